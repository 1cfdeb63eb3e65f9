"""Collections' reports: AR aging (per account or legal entity) and the collector's worklist,
as of now in each legal entity's zone, for what an actor may see; and their JSON shape (the
CLI's ``--json`` and the API answer the same)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from o2c.analytics.source import entity_zones
from o2c.domain.actors import Actor
from o2c.domain.business_time import business_date
from o2c.domain.collections import AGING_BUCKETS, Aging, WorklistEntry, by_entity, rank
from o2c.domain.money import quantum
from o2c.store.memory import as_memory_store
from o2c.store.port import Store

BY = ("customer", "entity")


def as_of(store: Store, now: datetime) -> dict[str, date]:
    """Each legal entity's business date at ``now``."""
    return {e: business_date(now, z) for e, z in entity_zones(store).items()}


def aging(store: Store, now: datetime, actor: Actor, by: str = "customer",
          legal_entity_id: str | None = None) -> list[Aging]:
    """Open AR by aging bucket per account (``by="customer"``) or per legal entity, in each
    currency, of the entities ``actor`` acts for."""
    dates = as_of(store, now)
    with store.unit_of_work() as uow:
        rows = uow.invoices.aging(dates, now.date(), legal_entity_id)
    rows = [r for r in rows if actor.acts_for(r.legal_entity_id)]
    return by_entity(rows) if by == "entity" else rows


def worklist(store: Store, now: datetime, actor: Actor, limit: int = 100,
             legal_entity_id: str | None = None) -> list[WorklistEntry]:
    """The first ``limit`` accounts to call, of the entities ``actor`` acts for."""
    dates = as_of(store, now)
    with store.unit_of_work() as uow:
        if legal_entity_id is not None or actor.entities is None:
            found = uow.invoices.worklist(dates, now.date(), limit, legal_entity_id)
        else:  # one query per entity the actor acts for, merged in the worklist's order
            found = rank(e for entity in sorted(actor.entities)
                         for e in uow.invoices.worklist(dates, now.date(), limit, entity))[:limit]
    return [e for e in found if actor.acts_for(e.legal_entity_id)]


def _m(v: Decimal, currency: str) -> str:
    return str(v.quantize(quantum(currency)))


def aging_json(rows: list[Aging], by: str) -> list[dict[str, Any]]:
    return [{by if by == "customer" else "legal_entity_id": r.key,
             **({"legal_entity_id": r.legal_entity_id} if by == "customer" else {}),
             "currency": r.currency, "buckets": {b: _m(r.buckets[b], r.currency) for b in AGING_BUCKETS},
             "total": _m(r.total, r.currency), "past_due": _m(r.past_due, r.currency),
             "disputed": _m(r.disputed, r.currency), "invoices": r.invoices} for r in rows]


def worklist_json(rows: list[WorklistEntry]) -> list[dict[str, Any]]:
    return [{"customer_id": e.customer_id, "legal_entity_id": e.legal_entity_id, "currency": e.currency,
             "past_due": _m(e.past_due, e.currency), "invoices": e.invoices, "oldest_days": e.oldest_days,
             "risk": str(e.risk.normalize()), "value_at_risk": _m(e.value_at_risk, e.currency),
             "promise": e.promise.value or None}
            for e in rows]


def promise_outcomes(store: Store) -> dict[str, int]:
    """How many promises to pay were kept and broken (``kept``, ``broken``), from the log."""
    kinds = {"PromiseKept": "kept", "PromiseBroken": "broken"}
    found = dict.fromkeys(kinds.values(), 0)
    engine = store.sql_engine
    if engine is None:
        for e in as_memory_store(store).events:
            if e.type in kinds:
                found[kinds[e.type]] += 1
        return found
    from sqlalchemy import text

    from o2c.store.database import reading

    with reading(engine) as c:
        for kind, n in c.execute(text("SELECT type, COUNT(*) FROM events WHERE type IN "
                                      "('PromiseKept', 'PromiseBroken') GROUP BY type")):
            found[kinds[kind]] = int(n)
    return found
