"""Collections' queries on SQL (SQLite and PostgreSQL): AR aging and the worklist as one
``GROUP BY`` over the open invoices each, answered from the partial index
``ix_invoices_open`` (every column they read is in it).

Raw SQL beside SQLAlchemy, through the same fast path as the repositories
(:mod:`o2c.store.sql_raw`), because the business date differs per legal entity: days past
due are the entity's date (a ``CASE`` over the entities named) minus the due date. The
figures are defined in :mod:`o2c.domain.collections`, whose pure functions the memory store
runs; the contract tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from o2c.domain.collections import AGING_BUCKETS, Aging, PromiseStanding, WorklistEntry
from o2c.store.sql_raw import RawSql
from o2c.store.tables import date_to_db, exact_from_db


class _Tx(Protocol):
    @property
    def sqlite(self) -> bool: ...
    def raw(self, sql: RawSql, params: Mapping[str, Any]) -> Any: ...


def _groups(as_of: Mapping[str, date], default: date) -> list[tuple[date, str, dict[str, Any]]]:
    """The entities by business date (usually one date for all): each date with the SQL that
    picks its entities' invoices and its parameters. The default date takes every entity not
    named with another date, so the groups cover every invoice exactly once."""
    by_day: dict[date, list[str]] = {}
    for entity, day in sorted(as_of.items()):
        by_day.setdefault(day, []).append(entity)
    by_day.setdefault(default, [])
    out = []
    for i, (day, entities) in enumerate(sorted(by_day.items())):
        if day == default:
            others = sorted(e for d, es in by_day.items() if d != default for e in es)
            names, op = others, "NOT IN"
        else:
            names, op = entities, "IN"
        params = {f"g{i}_{n}": e for n, e in enumerate(names)}
        where = f" AND legal_entity_id {op} ({', '.join(':' + k for k in params)})" if names else ""
        out.append((day, where, params))
    return out


def _bounds(day: date, sqlite: bool) -> dict[str, Any]:
    """The due dates where the buckets change, for invoices aged at ``day``."""
    return {f"d{n}": date_to_db(day - timedelta(days=n), sqlite) for n in (0, 30, 60, 90)}


def _key() -> str:
    """The account's key, in the order of the partial index ``ix_invoices_open``, so that the
    grouping reads the index in order and sorts nothing."""
    return "customer_id, legal_entity_id, currency"


def _one_entity(sqlite: bool) -> str:
    # On SQLite, "+" keeps the planner on the account-ordered index (reading one entity's
    # rows by the due-date index would look each invoice up in the table: 4x slower).
    return f" AND {'+' if sqlite else ''}legal_entity_id = :entity"


def _no_jit(tx: _Tx) -> None:
    """PostgreSQL's JIT compiles these aggregates anew each time, for longer than it saves."""
    if not tx.sqlite:
        tx.raw(RawSql("SET LOCAL jit = off"), {})


_AGING = (
    "SUM(open_amount) FILTER (WHERE due_date >= :d0)",
    "SUM(open_amount) FILTER (WHERE due_date < :d0 AND due_date >= :d30)",
    "SUM(open_amount) FILTER (WHERE due_date < :d30 AND due_date >= :d60)",
    "SUM(open_amount) FILTER (WHERE due_date < :d60 AND due_date >= :d90)",
    "SUM(open_amount) FILTER (WHERE due_date < :d90)",
)


def aging(tx: _Tx, as_of: Mapping[str, date], default: date, legal_entity_id: str | None) -> list[Aging]:
    sqlite = tx.sqlite
    _no_jit(tx)
    out = []
    for day, where, params in _groups(as_of, default):
        params = {**params, **_bounds(day, sqlite)}
        if legal_entity_id is not None:
            where, params["entity"] = where + _one_entity(sqlite), legal_entity_id
        sql = RawSql(f"SELECT {_key()}, {', '.join(_AGING)}, SUM(disputed), COUNT(*) "
                     f"FROM invoices WHERE status = 'open' AND open_amount > 0{where} "
                     f"GROUP BY {_key()}")
        for r in tx.raw(sql, params).fetchall():
            a = Aging(key=r[0], legal_entity_id=r[1], currency=r[2], disputed=_exact(r[8]),
                      invoices=int(r[9]))
            for b, v in zip(AGING_BUCKETS, r[3:8], strict=True):
                a.buckets[b] = _exact(v)
            out.append(a)
    out.sort(key=lambda a: (a.key, a.legal_entity_id, a.currency))
    return out


def worklist(tx: _Tx, as_of: Mapping[str, date], default: date, limit: int,
             legal_entity_id: str | None) -> list[WorklistEntry]:
    sqlite = tx.sqlite
    _no_jit(tx)
    params: dict[str, Any] = {"n": limit}
    parts = []
    for n, (day, where, group) in enumerate(_groups(as_of, default)):
        params.update(group)
        params[f"day{n}"] = date_to_db(day, sqlite)
        if legal_entity_id is not None:
            where, params["entity"] = where + _one_entity(sqlite), legal_entity_id
        if sqlite:
            days = f"CAST(julianday(:day{n}) - julianday(due_date) AS INTEGER)"
            oldest = f"CAST(julianday(:day{n}) - julianday(MIN(due_date)) AS INTEGER)"
        else:
            days, oldest = f"(CAST(:day{n} AS DATE) - due_date)", f"(CAST(:day{n} AS DATE) - MIN(due_date))"
        parts.append(
            f"SELECT {_key()}, SUM(open_amount - disputed) AS past_due, COUNT(*) AS n, "
            f"{oldest} AS oldest, SUM((open_amount - disputed) * {days}) AS weighted FROM invoices "
            f"WHERE status = 'open' AND open_amount > disputed AND due_date < :day{n}{where} "
            f"GROUP BY {_key()}")
    # SQLite keeps amounts as integer ten-thousandths: the risk-weighted order is computed
    # in floating point there (only to order; the figures are exact), in NUMERIC on PostgreSQL.
    risk = "(COALESCE(a.risk, 10000) / 10000.0)" if sqlite else "COALESCE(a.risk, 1)"
    # ties in the order Python sorts strings in (bytewise), whatever PostgreSQL's collation
    by_id = ", ".join(f"w.{c}" + ("" if sqlite else ' COLLATE "C"')
                      for c in ("customer_id", "legal_entity_id", "currency"))
    sql = RawSql(
        "SELECT w.customer_id, w.legal_entity_id, w.currency, w.past_due, w.n, w.oldest, w.weighted, "
        f"a.risk, a.promise FROM ({' UNION ALL '.join(parts)}) w "
        "LEFT JOIN accounts a ON a.customer_id = w.customer_id "
        "ORDER BY CASE a.promise WHEN 'broken' THEN 0 WHEN 'standing' THEN 2 ELSE 1 END, "
        f"w.weighted * {risk} DESC, {by_id} LIMIT :n")
    out = []
    for r in tx.raw(sql, params).fetchall():
        factor = Decimal(1) if r[7] is None else _exact(r[7]).normalize()
        out.append(WorklistEntry(
            customer_id=r[0], legal_entity_id=r[1], currency=r[2], past_due=_exact(r[3]), invoices=int(r[4]),
            oldest_days=int(r[5]), risk=factor, value_at_risk=_exact(r[6]) * factor,
            promise=PromiseStanding(r[8] or "")))
    return out


_PAST_DUE = RawSql("SELECT invoice_id FROM invoices WHERE status = 'open' AND legal_entity_id = :e "
                   "AND due_date < :d AND open_amount > disputed ORDER BY due_date, invoice_id LIMIT :n")


def past_due(tx: _Tx, legal_entity_id: str, as_of: date, limit: int) -> list[str]:
    rows = tx.raw(_PAST_DUE, {"e": legal_entity_id, "d": date_to_db(as_of, tx.sqlite), "n": limit})
    return [r[0] for r in rows.fetchall()]


def _exact(v: Any) -> Decimal:
    d = exact_from_db(v if v is not None else 0)
    return Decimal(0) if d is None else d
