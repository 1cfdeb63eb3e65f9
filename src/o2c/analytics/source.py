"""Read-only access to what analytics needs from a store: the event log, and
counts and excerpts from the inbox and the dead-letter queue.

Works on the in-memory store and the SQL store alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from o2c.analytics.kpis import KpiReport, compute_kpis
from o2c.analytics.trace import InboundSummary, Trace, build_trace
from o2c.domain.events import Envelope


def _is_sql(store: Any) -> bool:
    return hasattr(store, "engine")


def events(store: Any) -> Iterator[Envelope]:
    """The whole log in order, streamed."""
    with store.unit_of_work() as uow:
        yield from uow.events.all()


def inbound_counts(store: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Inbound messages and dead-lettered inbound messages, per source system."""
    if _is_sql(store):
        from sqlalchemy import func, select

        from o2c.store.tables import dead_letters, inbox

        with store.engine.connect() as c:
            inbound = dict(
                c.execute(select(inbox.c.source, func.count()).group_by(inbox.c.source)).tuples().all()
            )
            dead = dict(
                c.execute(
                    select(inbox.c.source, func.count())
                    .where(inbox.c.status == "dead_lettered")
                    .group_by(inbox.c.source)
                )
                .tuples()
                .all()
            )
            engine_dead = c.execute(
                select(func.count()).select_from(dead_letters).where(dead_letters.c.source == "o2c.engine")
            ).scalar_one()
    else:
        inbound = dict(Counter(k[0] for k in store.inbox))
        dead = dict(Counter(k[0] for k, row in store.inbox.items() if row["status"] == "dead_lettered"))
        engine_dead = sum(1 for d in store.dead_letters.values() if d.source == "o2c.engine")
    if engine_dead:
        dead["o2c.engine"] = engine_dead
    return inbound, dead


def inbound_summaries(store: Any, keys: Iterable[str]) -> dict[str, InboundSummary]:
    """The inbound messages behind the given causation ids (``source:id``)."""
    wanted = [tuple(k.split(":", 1)) for k in keys if ":" in k]
    out: dict[str, InboundSummary] = {}
    if not wanted:
        return out
    if _is_sql(store):
        from sqlalchemy import select, tuple_

        from o2c.store.tables import inbox

        with store.engine.connect() as c:
            rows = c.execute(
                select(
                    inbox.c.source, inbox.c.source_message_id, inbox.c.kind, inbox.c.received_at, inbox.c.body
                ).where(tuple_(inbox.c.source, inbox.c.source_message_id).in_(wanted))
            )
            found = [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    else:
        found = [
            (s, i, row["message"].kind, row["message"].received_at, row["message"].body)
            for (s, i) in wanted
            if (row := store.inbox.get((s, i)))
        ]
    for source, mid, kind, at, body in found:
        s = InboundSummary.of(source=source, source_message_id=mid, kind=kind, received_at=at, body=body)
        out[s.key] = s
    return out


def order_trace(store: Any, order_id: str, as_of: datetime | None = None) -> Trace | None:
    with store.unit_of_work() as uow:
        envs = uow.events.for_correlation(order_id)
    if not envs:
        return None
    inbound = inbound_summaries(store, {e.causation_id for e in envs if e.causation_id})
    return build_trace(envs, inbound, as_of=as_of)


def kpi_report(store: Any, start: datetime, end: datetime) -> KpiReport:
    inbound, dead = inbound_counts(store)
    return compute_kpis(
        events(store), period_start=start, period_end=end, inbound=inbound, dead_lettered=dead
    )


def log_span(store: Any) -> tuple[datetime, datetime] | None:
    """First and last business time in the log."""
    if _is_sql(store):
        from sqlalchemy import func, select

        from o2c.store.tables import events as t

        with store.engine.connect() as c:
            lo, hi = c.execute(select(func.min(t.c.occurred_at), func.max(t.c.occurred_at))).one()
        return (lo, hi) if lo is not None else None
    if not store.events:
        return None
    return store.events[0].occurred_at, store.events[-1].occurred_at
