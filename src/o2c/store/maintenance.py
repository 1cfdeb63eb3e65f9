"""Maintenance of a SQL store: check that the read models are what the event
log says they should be.

Read models are derived. :func:`verify_read_models` replays the whole log
into a scratch SQLite database that holds the same master data, with the
engine's own projector, and compares every order, invoice, account and stock
position with the live tables. A difference means a bug or a hand edit; the
report names each one.

:func:`incomplete` checks that nothing inbound was left half-way: every raw
document finished (each of its parts applied or parked), every message
applied with its events in the log, or parked with its dead letter.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, func, select

from o2c.engine.rebuild import rebuild
from o2c.store import tables as t
from o2c.store.sql import SqlStore

_MASTER = (t.legal_entities, t.warehouses, t.customers, t.products, t.price_agreements, t.tax_rates)
_DOCS = {"orders": (t.orders, "order_id"), "invoices": (t.invoices, "invoice_id"),
         "accounts": (t.accounts, "customer_id"), "payments": (t.payments, "payment_id"),
         "disputes": (t.disputes, "dispute_id")}


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
        return {k: doc for k, doc in c.execute(select(table.c[key], table.c.doc))}


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


#: Kinds of message that may rightly leave no event: master data files (applied through their
#: records), and master data records (one equal to what o2c already holds changes nothing and
#: records nothing: a file loaded twice).
MAY_CHANGE_NOTHING = ("customer", "product", "legal_entity", "warehouse", "price_agreement",
                      "stock_position", "customer_file", "product_file", "legal_entity_file",
                      "warehouse_file", "price_agreement_file", "stock_file", "tax_rate", "tax_rate_file")


def incomplete(store: SqlStore, *, document_kinds: Collection[str] = (), limit: int = 50) -> list[str]:
    """Inbound messages left half-way: documents an interrupted run did not
    finish, parts of documents never applied or parked, messages marked
    dead-lettered with no dead letter, messages (other than raw documents of
    ``document_kinds``, which are applied through their parts) marked applied
    with no event in the log. Empty when nothing was lost."""
    i, d, e = t.inbox, t.dead_letters, t.events
    part = i.alias("part")
    taken = (select(func.count()).select_from(part)
             .where(part.c.document == i.c.source + ":" + i.c.source_message_id).scalar_subquery())
    found: list[str] = []
    with store.engine.connect() as c:
        for source, mid, kind, parts in c.execute(
                select(i.c.source, i.c.source_message_id, i.c.kind, taken)
                .where(i.c.status == "received", i.c.document.is_(None)).limit(limit)):
            found.append(f"document {source}:{mid} ({kind}) was stored but not finished "
                         f"({parts} part(s) taken so far): a run stopped half-way; "
                         "`o2c finish` applies the rest")
        for source, mid, doc in c.execute(
                select(i.c.source, i.c.source_message_id, i.c.document)
                .where(i.c.status == "received", i.c.document.is_not(None)).limit(limit)):
            found.append(f"message {source}:{mid} of document {doc} was stored but neither applied "
                         "nor parked")
        letter = exists().where(and_(d.c.source == i.c.source,
                                     d.c.source_message_id == i.c.source_message_id))
        for source, mid in c.execute(
                select(i.c.source, i.c.source_message_id)
                .where(i.c.status == "dead_lettered", ~letter).limit(limit)):
            found.append(f"message {source}:{mid} is marked dead-lettered but has no dead letter")
        # An anti-join on the set of causes, not a correlated EXISTS: the causation id is not
        # indexed (the hot path writes it), so each message would scan the whole log.
        causes = select(e.c.causation_id).where(e.c.causation_id.is_not(None))
        for source, mid, kind in c.execute(
                select(i.c.source, i.c.source_message_id, i.c.kind)
                .where(i.c.status == "applied",
                       i.c.kind.not_in([*document_kinds, *MAY_CHANGE_NOTHING]),
                       (i.c.source + ":" + i.c.source_message_id).not_in(causes))
                .limit(limit)):
            found.append(f"message {source}:{mid} ({kind}) is marked applied but no event in the log "
                         "came of it")
    return found[:limit]


def verify_read_models(store: SqlStore, *, document_kinds: Collection[str] = (),
                       limit: int = 50) -> Verification:
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
    differences += incomplete(store, document_kinds=document_kinds, limit=limit)
    return Verification(events=n, compared=compared, differences=differences[:limit])
