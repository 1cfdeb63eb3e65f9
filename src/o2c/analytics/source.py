"""Read-only access to what analytics needs from a store: the event log, and
counts and excerpts from the inbox and the dead-letter queue.

Works on the in-memory store and the SQL store alike.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from o2c.adapters.raw import raw_part
from o2c.analytics.kpis import KpiReport, compute_kpis
from o2c.analytics.trace import SHARED, InboundSummary, Trace, build_trace
from o2c.domain.events import Envelope
from o2c.store.memory import as_memory_store
from o2c.store.port import Store


def _reading(engine: Any) -> Any:
    from o2c.store.database import reading  # SQLAlchemy only when there is SQL

    return reading(engine)


def events(store: Store) -> Iterator[Envelope]:
    """The whole log in order, streamed."""
    with store.unit_of_work() as uow:
        yield from uow.events.all()


def inbound_counts(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    """Inbound messages and dead-lettered inbound messages, per source system
    (documents and the messages split out of them alike)."""
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import func, select

        from o2c.store.tables import dead_letters, inbox

        with _reading(engine) as c:
            inbound = {source: n for source, n in
                       c.execute(select(inbox.c.source, func.count()).group_by(inbox.c.source))}
            dead = {source: n for source, n in c.execute(
                select(inbox.c.source, func.count())
                .where(inbox.c.status == "dead_lettered")
                .group_by(inbox.c.source))}
            engine_dead = c.execute(
                select(func.count()).select_from(dead_letters).where(dead_letters.c.source == "o2c.engine")
            ).scalar_one()
    else:
        mem = as_memory_store(store)
        inbound = dict(Counter(k[0] for k in mem.inbox))
        dead = dict(Counter(k[0] for k, row in mem.inbox.items() if row["status"] == "dead_lettered"))
        engine_dead = sum(1 for d in mem.dead_letters.values() if d.source == "o2c.engine")
    if engine_dead:
        dead["o2c.engine"] = engine_dead
    return _by_system(inbound), _by_system(dead)


def _by_system(counts: dict[str, int]) -> dict[str, int]:
    """Counts per source system: an X12 interchange is stored under ``edi`` and its
    sets under ``edi:<partner>``; both are the EDI channel's traffic."""
    out: dict[str, int] = {}
    for source, n in counts.items():
        system = source.split(":", 1)[0]
        out[system] = out.get(system, 0) + n
    return out


def _inbox_rows(store: Store, keys: Iterable[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """(source, id, kind, received_at, body, document) of the inbox rows with these keys."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import select, tuple_

        from o2c.store.tables import inbox

        cols = (inbox.c.source, inbox.c.source_message_id, inbox.c.kind, inbox.c.received_at, inbox.c.body,
                inbox.c.document)
        with _reading(engine) as c:
            return [tuple(r) for r in c.execute(
                select(*cols).where(tuple_(inbox.c.source, inbox.c.source_message_id).in_(wanted)))]
    mem = as_memory_store(store)
    return [
        (s, i, m.kind, m.received_at, m.body, m.document)
        for (s, i) in wanted
        if (row := mem.inbox.get((s, i))) and (m := row["message"])
    ]


def inbound_summaries(store: Store, keys: Iterable[str]) -> dict[str, InboundSummary]:
    """The inbound messages behind the given causation ids (``source:id``), each
    with the part of the raw document (X12 set, CSV rows, JSON events) it came from.

    Sources may hold a ``:`` (``edi:acme``), so each key is tried at every colon."""
    candidates = [(k[:i], k[i + 1:]) for k in keys for i, ch in enumerate(k) if ch == ":"]
    found = _inbox_rows(store, candidates)
    docs = {f"{r[0]}:{r[1]}": r for r in _inbox_rows(
        store, [_document_key(r[5]) for r in found if r[5]])}
    out: dict[str, InboundSummary] = {}
    for source, mid, kind, at, body, document in found:
        doc = docs.get(document or "")
        part = raw_part(doc[2], doc[4], mid, body) if doc else ""
        s = InboundSummary.of(source=source, source_message_id=mid, kind=kind, received_at=at, body=body,
                              document=document, document_kind=doc[2] if doc else None, raw=part)
        out[s.key] = s
    return out


def _document_key(document: str) -> tuple[str, str]:
    """A document key ``source:id``; raw documents' ids (``sha256:…``, ``part:…``)
    hold a colon, so the source is what precedes the id's scheme."""
    for scheme in (":sha256:", ":part:"):
        at = document.find(scheme)
        if at > 0:
            return document[:at], document[at + 1:]
    source, _, mid = document.partition(":")
    return source, mid


def order_trace(store: Store, order_id: str, as_of: datetime | None = None,
                now: datetime | None = None) -> Trace | None:
    """The order's trace (see :func:`~o2c.analytics.trace.build_trace` for ``as_of`` and ``now``)."""
    with store.unit_of_work() as uow:
        envs = uow.events.for_correlation(order_id)
        if envs:
            envs = _with_shared_invoices(uow, order_id, envs)
    if not envs:
        return None
    inbound = inbound_summaries(store, {e.causation_id for e in envs if e.causation_id})
    return build_trace(envs, inbound, as_of=as_of, now=now)


def _with_shared_invoices(uow: Any, order_id: str, envs: list[Envelope]) -> list[Envelope]:
    """``envs`` with the events of the order's invoices that bill other orders too and are
    correlated with another (a consolidated invoice's first order), merged in by time."""
    order = uow.orders.get(order_id)
    extra: list[Envelope] = []
    seen: dict[str, list[Envelope]] = {}
    for invoice_id in order.invoices if order is not None else ():
        inv = uow.invoices.get(invoice_id)
        if inv is None or inv.order_id == order_id:
            continue
        if inv.order_id not in seen:
            seen[inv.order_id] = uow.events.for_correlation(inv.order_id)
        extra.extend(e for e in seen[inv.order_id]
                     if isinstance(e.payload, SHARED) and getattr(e.payload, "invoice_id", "") == invoice_id)
    if not extra:
        return envs
    # At the same instant the invoice's events come first: they cause the order's (OrderClosed).
    return list(heapq.merge(extra, envs, key=lambda e: e.occurred_at))


def entity_zones(store: Store) -> dict[str, str]:
    """Each legal entity's zone: where its business dates (invoice, due) fall."""
    engine = store.sql_engine
    if engine is not None:
        from sqlalchemy import select

        from o2c.domain.master import LegalEntity
        from o2c.store.codec import load
        from o2c.store.tables import legal_entities

        with _reading(engine) as c:
            rows = c.execute(select(legal_entities.c.doc)).scalars().all()
        return {e.entity_id: e.timezone for e in (load(LegalEntity, doc) for doc in rows)}
    return {k: e.timezone for k, e in as_memory_store(store).legal_entities.items()}


def customer_entities(store: Store) -> dict[str, str]:
    """Each customer's legal entity, from master data."""
    engine = store.sql_engine
    if engine is not None:
        from sqlalchemy import select

        from o2c.domain.master import Customer
        from o2c.store.codec import load
        from o2c.store.tables import customers

        with _reading(engine) as c:
            rows = c.execute(select(customers.c.doc)).scalars().all()
        return {x.customer_id: x.legal_entity_id for x in (load(Customer, doc) for doc in rows)}
    return {k: x.legal_entity_id for k, x in as_memory_store(store).customers.items()}


def kpi_report(store: Store, start: datetime, end: datetime, by: str | None = None) -> KpiReport:
    """The KPIs of ``[start, end)``; with ``by``, also per group of that dimension."""
    inbound, dead = inbound_counts(store)
    return compute_kpis(
        events(store), period_start=start, period_end=end, inbound=inbound, dead_lettered=dead,
        zones=entity_zones(store), by=by,
        customers=customer_entities(store) if by == "entity" else None,
    )


def log_span(store: Store) -> tuple[datetime, datetime] | None:
    """First and last business time in the log."""
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import func, select

        from o2c.store.tables import events as t

        with _reading(engine) as c:
            lo, hi = c.execute(select(func.min(t.c.occurred_at), func.max(t.c.occurred_at))).one()
        return (lo, hi) if lo is not None else None
    mem = as_memory_store(store)
    if not mem.events:
        return None
    return mem.events[0].occurred_at, mem.events[-1].occurred_at
