"""Reading all the master data a store holds, in a fixed order, for ``o2c master export``
and for reconciling a full file from a system of record against o2c's copy.

Each kind comes back as domain objects ordered by its key (legal entities, warehouses,
products, price agreements and tax rates by id; customers by account id with a group's head before
its members, so a file written in this order loads without a member waiting for its parent;
stock positions by warehouse, product and lot). Stock is what o2c holds now: the positions
with something on hand, in base units.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from o2c.domain.inventory import StockPosition
from o2c.domain.master import Customer, LegalEntity, PriceAgreement, Product, TaxRate, Warehouse
from o2c.store.port import Store

__all__ = ["KINDS", "MasterRecords", "master_records"]

#: the kinds, named as the files that hold them, in the order records refer to each other
KINDS = ("legal_entities", "warehouses", "products", "customers", "price_agreements", "tax_rates",
         "stock")


@dataclass(frozen=True, slots=True)
class MasterRecords:
    """The master data a store holds, each kind in its order (see the module docstring)."""

    legal_entities: tuple[LegalEntity, ...] = ()
    warehouses: tuple[Warehouse, ...] = ()
    products: tuple[Product, ...] = ()
    customers: tuple[Customer, ...] = ()
    price_agreements: tuple[PriceAgreement, ...] = ()
    tax_rates: tuple[TaxRate, ...] = ()
    stock: tuple[StockPosition, ...] = ()

    def of(self, kind: str) -> tuple[Any, ...]:
        """The records of ``kind`` (one of :data:`KINDS`)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        return getattr(self, kind)  # type: ignore[no-any-return]


def _customer_order(c: Customer) -> tuple[str, bool, str]:
    return (c.parent_id or c.customer_id, c.parent_id is not None, c.customer_id)


def _stock_order(p: StockPosition) -> tuple[str, str, str]:
    return (p.warehouse_id, p.product_id, p.lot_id)


def master_records(store: Store, kinds: Collection[str] | None = None) -> MasterRecords:
    """What ``store`` holds of ``kinds`` (default: every kind of :data:`KINDS`), read in one
    transaction (a SQL store) so the kinds agree with each other."""
    wanted = set(KINDS if kinds is None else kinds)
    unknown = sorted(wanted - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown} (known: {', '.join(KINDS)})")
    found = _sql(store, wanted) if store.sql_engine is not None else _memory(store, wanted)
    return MasterRecords(**found)


def _sql(store: Store, wanted: set[str]) -> dict[str, tuple[Any, ...]]:
    from sqlalchemy import select

    from o2c.store import codec
    from o2c.store import tables as t

    engine = store.sql_engine
    assert engine is not None
    docs = {"legal_entities": (t.legal_entities, "entity_id", LegalEntity),
            "warehouses": (t.warehouses, "warehouse_id", Warehouse),
            "products": (t.products, "product_id", Product),
            "customers": (t.customers, "customer_id", Customer),
            "price_agreements": (t.price_agreements, "agreement_id", PriceAgreement),
            "tax_rates": (t.tax_rates, "rate_id", TaxRate)}
    out: dict[str, tuple[Any, ...]] = {}
    with engine.connect() as c, c.begin():
        for kind, (table, key, cls) in docs.items():
            if kind in wanted:
                rows = c.execute(select(table.c.doc).order_by(table.c[key])).scalars()
                out[kind] = tuple(codec.load(cls, doc) for doc in rows)
        if "stock" in wanted:
            s = t.stock.c
            held = c.execute(select(s.warehouse_id, s.product_id, s.lot_id, s.expiry, s.on_hand,
                                    s.reserved)
                             .where(s.on_hand > 0)
                             .order_by(s.warehouse_id, s.product_id, s.lot_id))
            out["stock"] = tuple(
                StockPosition(warehouse_id=w, product_id=p, lot_id=lot, expiry=e,
                              on_hand=Decimal(oh), reserved=Decimal(r))
                for w, p, lot, e, oh, r in held)
    if "customers" in out:
        out["customers"] = tuple(sorted(out["customers"], key=_customer_order))
    return out


def _memory(store: Store, wanted: set[str]) -> dict[str, tuple[Any, ...]]:
    from o2c.store.memory import MemoryStore

    if not isinstance(store, MemoryStore):
        raise TypeError(f"cannot read master data from {type(store).__name__}")
    held: dict[str, dict[Any, Any]] = {
        "legal_entities": store.legal_entities, "warehouses": store.warehouses,
        "products": store.products, "customers": store.customers,
        "price_agreements": store.agreements, "tax_rates": store.tax_rates}
    out: dict[str, tuple[Any, ...]] = {
        kind: tuple(v for _, v in sorted(held[kind].items())) for kind in held if kind in wanted}
    if "customers" in out:
        out["customers"] = tuple(sorted(out["customers"], key=_customer_order))
    if "stock" in wanted:
        out["stock"] = tuple(sorted((p for p in store.stock.values() if p.on_hand > 0),
                                    key=_stock_order))
    return out
