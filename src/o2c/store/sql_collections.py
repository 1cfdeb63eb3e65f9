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
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from o2c.domain.collections import AGING_BUCKETS, Aging, PromiseStanding, WorklistEntry
from o2c.store.sql_raw import RawSql
from o2c.store.tables import date_to_db, exact_from_db


class _Tx(Protocol):
    @property
    def sqlite(self) -> bool: ...
    def raw(self, sql: RawSql, params: Mapping[str, Any]) -> Any: ...


def _days(as_of: Mapping[str, date], default: date, sqlite: bool) -> tuple[str, dict[str, Any]]:
    """The SQL for an open invoice's days past due, and its parameters."""
    params: dict[str, Any] = {"asof_default": date_to_db(default, sqlite)}
    whens = []
    for n, (entity, day) in enumerate(sorted(as_of.items())):
        params[f"ent{n}"], params[f"asof{n}"] = entity, date_to_db(day, sqlite)
        whens.append(f"WHEN :ent{n} THEN {_date(f':asof{n}', sqlite)}")
    day_sql = (f"CASE legal_entity_id {' '.join(whens)} ELSE {_date(':asof_default', sqlite)} END"
               if whens else _date(":asof_default", sqlite))
    if sqlite:
        return f"CAST(julianday({day_sql}) - julianday(due_date) AS INTEGER)", params
    return f"({day_sql} - due_date)", params


def _date(param: str, sqlite: bool) -> str:
    return param if sqlite else f"CAST({param} AS DATE)"


_BUCKET_SQL = (
    "SUM(CASE WHEN d <= 0 THEN open_amount ELSE 0 END)",
    "SUM(CASE WHEN d BETWEEN 1 AND 30 THEN open_amount ELSE 0 END)",
    "SUM(CASE WHEN d BETWEEN 31 AND 60 THEN open_amount ELSE 0 END)",
    "SUM(CASE WHEN d BETWEEN 61 AND 90 THEN open_amount ELSE 0 END)",
    "SUM(CASE WHEN d > 90 THEN open_amount ELSE 0 END)",
)


def aging(tx: _Tx, as_of: Mapping[str, date], default: date, legal_entity_id: str | None) -> list[Aging]:
    days, params = _days(as_of, default, tx.sqlite)
    where = ""
    if legal_entity_id is not None:
        where, params["entity"] = " AND legal_entity_id = :entity", legal_entity_id
    sql = RawSql(
        f"SELECT customer_id, legal_entity_id, currency, {', '.join(_BUCKET_SQL)}, SUM(disputed), COUNT(*) "
        f"FROM (SELECT customer_id, legal_entity_id, currency, open_amount, disputed, {days} AS d "
        f"FROM invoices WHERE status = 'open' AND open_amount > 0{where}) open_invoices "
        "GROUP BY customer_id, legal_entity_id, currency")
    out = []
    for r in tx.raw(sql, params).fetchall():
        a = Aging(key=r[0], legal_entity_id=r[1], currency=r[2], disputed=_exact(r[8]), invoices=int(r[9]))
        for b, v in zip(AGING_BUCKETS, r[3:8], strict=True):
            a.buckets[b] = _exact(v)
        out.append(a)
    out.sort(key=lambda a: (a.key, a.legal_entity_id, a.currency))
    return out


def worklist(tx: _Tx, as_of: Mapping[str, date], default: date, limit: int,
             legal_entity_id: str | None) -> list[WorklistEntry]:
    sqlite = tx.sqlite
    days, params = _days(as_of, default, sqlite)
    params["n"] = limit
    where = ""
    if legal_entity_id is not None:
        where, params["entity"] = " AND legal_entity_id = :entity", legal_entity_id
    # SQLite keeps amounts as integer ten-thousandths: the risk-weighted order is computed
    # in floating point there (only to order; the figures are exact), in NUMERIC on PostgreSQL.
    risk = "(COALESCE(a.risk, 10000) / 10000.0)" if sqlite else "COALESCE(a.risk, 1)"
    by_id = "w.customer_id" if sqlite else 'w.customer_id COLLATE "C"'
    sql = RawSql(
        "SELECT w.customer_id, w.legal_entity_id, w.currency, w.past_due, w.n, w.oldest, w.weighted, "
        "a.risk, a.promise FROM ("
        "SELECT customer_id, legal_entity_id, currency, SUM(rest) AS past_due, COUNT(*) AS n, "
        "MAX(d) AS oldest, SUM(rest * d) AS weighted FROM ("
        f"SELECT customer_id, legal_entity_id, currency, open_amount - disputed AS rest, {days} AS d "
        f"FROM invoices WHERE status = 'open' AND open_amount > disputed{where}) open_invoices "
        "WHERE d > 0 GROUP BY customer_id, legal_entity_id, currency) w "
        "LEFT JOIN accounts a ON a.customer_id = w.customer_id "
        "ORDER BY CASE a.promise WHEN 'broken' THEN 0 WHEN 'standing' THEN 2 ELSE 1 END, "
        f"w.weighted * {risk} DESC, {by_id}, w.legal_entity_id, w.currency LIMIT :n")
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
