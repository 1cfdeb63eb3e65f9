"""Master data as files again: the records o2c holds written in the default layouts that
:mod:`o2c.adapters.master_files` reads (``o2c master export``).

Written so that reading an exported file gives back the records it was written from:
every column of the default layout, the record's columns repeated on each of its rows (a
customer's ship-tos, a product's price currencies, an agreement's quantity breaks), amounts
with the digits o2c holds (never through float), ``yes``/``no`` flags, dates as YYYY-MM-DD.
A customer's ship-tos, a product's units and an agreement's breaks keep the order o2c holds
them in (it is part of the record); a product's price currencies are sorted. Stock is
written in base units (``uom`` empty), as the quantity on hand.

o2c's own bookkeeping (a customer's or agreement's ``version``, a customer's ``as_of``) is
not part of the file formats and is not written. The order of the records is the caller's
(see :func:`o2c.store.master_export.master_records`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.adapters.master_files import COLUMNS, FILE_KINDS
from o2c.domain.inventory import StockPosition
from o2c.domain.master import Customer, LegalEntity, PriceAgreement, Product, TaxRate, Warehouse

__all__ = ["export_csv", "header", "not_kept", "rows"]

Row = dict[str, str]


def header(kind: str) -> list[str]:
    """The default layout's columns of ``kind`` (a key of :data:`FILE_KINDS`), in the order
    they are documented."""
    return list(COLUMNS[FILE_KINDS[kind][0]][0])


def _num(d: Decimal) -> str:
    """The digits held, as plain notation (``2.50``, ``1000`` for ``1E+3``)."""
    return format(d, "f")


def _qty(d: Decimal) -> str:
    """A quantity without trailing zeros (``240`` for ``240.0000``)."""
    return format(d.normalize(), "f") if d else "0"


def _flag(b: bool) -> str:
    return "yes" if b else "no"


def _day(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def _legal_entity(e: LegalEntity) -> list[Row]:
    return [{"entity_id": e.entity_id, "name": e.name, "currency": e.currency,
             "tax_jurisdiction": e.tax_jurisdiction, "tax_rate": _num(e.tax_rate),
             "invoice_prefix": e.invoice_prefix, "timezone": e.timezone, "address": e.address,
             "city": e.city, "region": e.region, "postal_code": e.postal_code, "country": e.country,
             "tax_registrations": e.tax_registrations, "remit_to": e.remit_to}]


def _warehouse(w: Warehouse) -> list[Row]:
    return [{"warehouse_id": w.warehouse_id, "legal_entity_id": w.legal_entity_id, "name": w.name,
             "region": w.region, "timezone": w.timezone}]


def _product(p: Product) -> list[Row]:
    account = {"product_id": p.product_id, "description": p.description, "base_uom": p.base_uom,
               "units": ";".join(f"{uom}={_num(f)}" for uom, f in p.uom_factors.items()),
               "lot_controlled": _flag(p.lot_controlled), "gtin": p.gtin or "",
               "tax_class": p.tax_class}
    currencies = sorted({*p.list_prices, *p.floor_prices})
    if not currencies:
        return [{**account, "currency": "", "list_price": "", "floor_price": ""}]
    return [{**account, "currency": cur,
             "list_price": _num(p.list_prices[cur]) if cur in p.list_prices else "",
             "floor_price": _num(p.floor_prices[cur]) if cur in p.floor_prices else ""}
            for cur in currencies]


def _customer(c: Customer) -> list[Row]:
    account = {"customer_id": c.customer_id, "legal_entity_id": c.legal_entity_id, "name": c.name,
               "parent_id": c.parent_id or "", "payment_terms": c.payment_terms,
               "credit_limit": _num(c.credit_limit.amount), "currency": c.credit_limit.currency,
               "billing_trigger": c.billing_trigger.value,
               "accepts_partial": _flag(c.accepts_partial),
               "home_warehouse_id": c.home_warehouse_id, "blocked": _flag(c.blocked),
               "edi_id": c.edi_id or "",
               "tax_exemptions": ";".join(f"{x.certificate_id}={x.jurisdiction}:{_day(x.expires)}"
                                          for x in c.exemptions)}
    return [{**account, "ship_to_id": s.ship_to_id, "ship_to_name": s.name, "city": s.city,
             "region": s.region, "postal_code": s.postal_code, "country": s.country,
             "county": s.county}
            for s in c.ship_tos]


def _agreement(a: PriceAgreement) -> list[Row]:
    head = {"agreement_id": a.agreement_id, "customer_id": a.customer_id, "group": _flag(a.group),
            "product_id": a.product_id, "currency": a.price.currency, "price": _num(a.price.amount),
            "valid_from": _day(a.valid_from), "valid_to": _day(a.valid_to)}
    if not a.breaks:
        return [{**head, "min_quantity": "", "break_price": ""}]
    return [{**head, "min_quantity": _num(b.min_quantity), "break_price": _num(b.price)}
            for b in a.breaks]


def _tax_rate(r: TaxRate) -> list[Row]:
    return [{"rate_id": r.rate_id, "country": r.country, "region": r.region, "county": r.county,
             "city": r.city, "tax_class": r.tax_class, "name": r.name, "rate": _num(r.rate),
             "valid_from": _day(r.valid_from), "valid_to": _day(r.valid_to)}]


def _stock(p: StockPosition) -> list[Row]:
    return [{"warehouse_id": p.warehouse_id, "product_id": p.product_id,
             "lot_id": "" if p.lot_id == "-" else p.lot_id, "expiry": _day(p.expiry),
             "quantity": _qty(p.on_hand), "uom": ""}]


_ROWS: dict[str, Callable[[Any], list[Row]]] = {
    "legal_entities": _legal_entity, "warehouses": _warehouse, "products": _product,
    "customers": _customer, "price_agreements": _agreement, "stock": _stock,
    "tax_rates": _tax_rate}


def rows(kind: str, records: Iterable[Any]) -> list[Row]:
    """The default layout's rows of ``records`` of ``kind`` (domain objects: ``LegalEntity``,
    ``Warehouse``, ``Product``, ``Customer``, ``PriceAgreement``, ``StockPosition``,
    ``TaxRate``), in the
    order given."""
    render = _ROWS[kind]
    return [row for r in records for row in render(r)]


def not_kept(kind: str, records: Iterable[Any], file_name: str = "") -> list[str]:
    """What the file cannot keep of ``records``: cells with spaces at their ends (a record
    that came as JSON, say), which reading the file drops, so loading it would change those
    records. One sentence per cell, naming the row (2 is the first after the header)."""
    out = []
    for n, row in enumerate(rows(kind, records), start=2):
        for column, cell in row.items():
            if cell != cell.strip():
                out.append(f"{file_name or kind}, row {n}, column {column}: {cell!r} has spaces "
                           "at its ends, which the file does not keep")
    return out


def export_csv(kind: str, records: Sequence[Any]) -> str:
    """``records`` of ``kind`` as a CSV file in the default layout: its header, then their
    rows (lines end in ``\\n``; a cell is quoted only where it must be)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=header(kind), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(kind, records))
    return out.getvalue()
