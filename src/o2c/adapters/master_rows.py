"""Master data as rows of the default file layouts (:mod:`o2c.adapters.master_files`): the
domain objects o2c keeps (legal entities, warehouses, products, customers, price agreements)
written back as the cells a file of their kind holds, and rows as CSV text.

What is written reads back as the same objects: ``read_master_file(csv_text(kind,
rows_of(kind, objects)), kind, ...)`` gives a canonical message per object whose command
states it whole. A record spanning several rows (a customer's ship-tos, a product's prices
per currency, an agreement's quantity breaks) repeats its record cells on every row, which
the reader takes as the same record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from o2c.adapters.master_files import COLUMNS, FILE_KINDS
from o2c.domain.master import Customer, LegalEntity, PriceAgreement, Product, Warehouse

__all__ = [
    "agreement_rows",
    "csv_text",
    "customer_rows",
    "entity_rows",
    "header",
    "product_rows",
    "rows_of",
    "warehouse_rows",
]

Row = dict[str, str]


def _num(d: Decimal) -> str:
    """A decimal as a plain number (no exponent): ``Decimal('5E+3')`` is ``5000``."""
    return f"{d:f}"


def _flag(b: bool) -> str:
    return "yes" if b else "no"


def header(kind: str) -> list[str]:
    """The default layout's columns for a file of ``kind`` (a key of ``FILE_KINDS``)."""
    return list(COLUMNS[FILE_KINDS[kind][0]][0])


def entity_rows(e: LegalEntity) -> list[Row]:
    return [{"entity_id": e.entity_id, "name": e.name, "currency": e.currency,
             "tax_jurisdiction": e.tax_jurisdiction, "tax_rate": _num(e.tax_rate),
             "invoice_prefix": e.invoice_prefix, "timezone": e.timezone}]


def warehouse_rows(w: Warehouse) -> list[Row]:
    return [{"warehouse_id": w.warehouse_id, "legal_entity_id": w.legal_entity_id, "name": w.name,
             "region": w.region, "timezone": w.timezone}]


def product_rows(p: Product) -> list[Row]:
    """One row per price currency (one row when it has no price)."""
    record = {"product_id": p.product_id, "description": p.description, "base_uom": p.base_uom,
              "units": ";".join(f"{u}={_num(f)}" for u, f in p.uom_factors.items()),
              "lot_controlled": _flag(p.lot_controlled), "gtin": p.gtin or ""}
    currencies = list(dict.fromkeys([*p.list_prices, *p.floor_prices]))
    if not currencies:
        return [{**record, "currency": "", "list_price": "", "floor_price": ""}]
    return [{**record, "currency": cur,
             "list_price": _num(p.list_prices[cur]) if cur in p.list_prices else "",
             "floor_price": _num(p.floor_prices[cur]) if cur in p.floor_prices else ""}
            for cur in currencies]


def customer_rows(c: Customer) -> list[Row]:
    """One row per ship-to."""
    record = {"customer_id": c.customer_id, "legal_entity_id": c.legal_entity_id, "name": c.name,
              "parent_id": c.parent_id or "", "payment_terms": c.payment_terms,
              "credit_limit": _num(c.credit_limit.amount), "currency": c.credit_limit.currency,
              "billing_trigger": c.billing_trigger.value, "accepts_partial": _flag(c.accepts_partial),
              "home_warehouse_id": c.home_warehouse_id, "blocked": _flag(c.blocked),
              "edi_id": c.edi_id or ""}
    return [{**record, "ship_to_id": s.ship_to_id, "ship_to_name": s.name, "city": s.city,
             "region": s.region, "postal_code": s.postal_code, "country": s.country}
            for s in c.ship_tos]


def agreement_rows(a: PriceAgreement) -> list[Row]:
    """One row per quantity break (one row when it has none)."""
    record = {"agreement_id": a.agreement_id, "customer_id": a.customer_id, "group": _flag(a.group),
              "product_id": a.product_id, "currency": a.price.currency, "price": _num(a.price.amount),
              "valid_from": a.valid_from.isoformat(),
              "valid_to": a.valid_to.isoformat() if a.valid_to else ""}
    if not a.breaks:
        return [{**record, "min_quantity": "", "break_price": ""}]
    return [{**record, "min_quantity": _num(b.min_quantity), "break_price": _num(b.price)}
            for b in a.breaks]


_ROWS: dict[str, Any] = {
    "legal_entities": entity_rows,
    "warehouses": warehouse_rows,
    "products": product_rows,
    "customers": customer_rows,
    "price_agreements": agreement_rows,
}


def rows_of(kind: str, records: Iterable[Any]) -> Iterator[Row]:
    """The rows of ``records`` (domain objects of ``kind``: legal_entities, warehouses,
    products, customers or price_agreements), in the order given."""
    if kind not in _ROWS:
        raise ValueError(f"no rows for {kind!r}: one of {', '.join(_ROWS)}")
    write = _ROWS[kind]
    for r in records:
        yield from write(r)


def csv_text(kind: str, rows: Iterable[Row]) -> str:
    """``rows`` as a CSV file of ``kind`` in the default layout (header first, ``\\r\\n``
    line ends as the csv module writes them)."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=header(kind), restval="", extrasaction="raise")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()
