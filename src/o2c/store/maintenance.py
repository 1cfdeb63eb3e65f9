"""Maintenance of a SQL store: check that the read models are what the event
log says they should be.

Read models are derived. :func:`verify_read_models` replays the whole log
into a scratch SQLite database that holds the same master data, with the
engine's own projector, and compares every order, invoice, account and stock
position with the live tables. A difference means a bug or a hand edit; the
report names each one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from o2c.engine.rebuild import rebuild
from o2c.store import tables as t
from o2c.store.sql import SqlStore

_MASTER = (t.legal_entities, t.warehouses, t.customers, t.products, t.price_agreements)
_DOCS = {"orders": (t.orders, "order_id"), "invoices": (t.invoices, "invoice_id"),
         "accounts": (t.accounts, "customer_id")}


@dataclass(frozen=True, slots=True)
class Verification:
    events: int
    compared: dict[str, int]
    differences: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences


def _rows(store: SqlStore, table: Any) -> list[dict[str, Any]]:
    with store.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(select(table))]


def _docs(store: SqlStore, name: str) -> dict[str, str]:
    table, key = _DOCS[name]
    with store.engine.connect() as c:
        return dict(c.execute(select(table.c[key], table.c.doc)).tuples().all())


def _stock(store: SqlStore) -> dict[tuple[str, str, str], tuple[Any, Any]]:
    with store.engine.connect() as c:
        ids = [r[0] for r in c.execute(select(t.stock.c.product_id).distinct())]
    with store.unit_of_work() as uow:
        return {(p.warehouse_id, p.product_id, p.lot_id): (p.on_hand, p.reserved)
                for p in uow.stock.positions(ids)}


def _compare(name: str, live: dict[Any, Any], rebuilt: dict[Any, Any]) -> Iterator[str]:
    for key in sorted(set(live) | set(rebuilt), key=str):
        if key not in rebuilt:
            yield f"{name} {key}: in the database but not produced by the log"
        elif key not in live:
            yield f"{name} {key}: produced by the log but missing from the database"
        elif live[key] != rebuilt[key]:
            yield f"{name} {key}: differs from what the log gives"


def verify_read_models(store: SqlStore, *, limit: int = 50) -> Verification:
    """Replay the log into a scratch database and compare (at most ``limit``
    differences are listed)."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = SqlStore(f"sqlite:///{Path(tmp) / 'rebuild.db'}", cache_size=0)
        try:
            with scratch.engine.begin() as c:
                for table in _MASTER:
                    rows = _rows(store, table)
                    if rows:
                        c.execute(table.insert(), rows)
            scratch.clear_caches()
            with store.unit_of_work() as uow:
                n = rebuild(uow.events.all(), scratch.unit_of_work)
            differences: list[str] = []
            compared: dict[str, int] = {}
            for name in _DOCS:
                live, rebuilt = _docs(store, name), _docs(scratch, name)
                compared[name] = len(live)
                differences += _compare(name, live, rebuilt)
            live_stock, rebuilt_stock = _stock(store), _stock(scratch)
            compared["stock"] = len(live_stock)
            differences += _compare("stock", live_stock, rebuilt_stock)
        finally:
            scratch.dispose()
    return Verification(events=n, compared=compared, differences=differences[:limit])
