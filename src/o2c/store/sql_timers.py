"""SQL timers (the ``Timers`` port), used through :class:`o2c.store.sql.SqlUnitOfWork`.

Schedules and cancels are buffered and written at commit (one batched statement
each); ``claim`` and ``fired`` run at once. On PostgreSQL ``claim`` locks the rows it
returns and skips rows another transaction holds (``FOR UPDATE SKIP LOCKED``), so
several workers share the due timers without waiting on one another; ``fired`` is a
conditional update (``state = 'scheduled'``) on both databases, so a timer another
writer fired or cancelled first is never fired again (SQLite has one writer at a time
and no row locks: there the conditional update is what guarantees it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from o2c.domain.timers import Timer, TimerKey, TimerKind, TimerState
from o2c.engine.ports import ConcurrencyConflict
from o2c.store.sql_raw import RawSql, in_list
from o2c.store.sql_repos import Tx
from o2c.store.tables import utc_from_db, utc_to_db

_COLS = "timer_id, kind, due_at, subject, correlation_id, payload, state, fired_at"
_UPSERT = RawSql(
    f"INSERT INTO timers ({_COLS}) VALUES (:timer_id, :kind, :due_at, :subject, :correlation_id, "
    ":payload, 'scheduled', NULL) ON CONFLICT (timer_id) DO UPDATE SET kind = excluded.kind, "
    "due_at = excluded.due_at, subject = excluded.subject, correlation_id = excluded.correlation_id, "
    "payload = excluded.payload, state = 'scheduled', fired_at = NULL"
)
_INSERT_NEW = RawSql(
    f"INSERT INTO timers ({_COLS}) VALUES (:timer_id, :kind, :due_at, :subject, :correlation_id, "
    ":payload, 'scheduled', NULL) ON CONFLICT (timer_id) DO NOTHING"
)
_CLAIM = f"SELECT {_COLS} FROM timers WHERE state = 'scheduled' AND due_at <= :now"
# Spelled out rather than as a row comparison, whose selectivity PostgreSQL can only guess:
# with the bound on due_at it estimates from its statistics and reads the index in order.
_AFTER = " AND due_at >= :after_due AND (due_at > :after_due OR timer_id > :after_id)"
_ORDER = " ORDER BY due_at, timer_id LIMIT :n"
_LOCK = " FOR UPDATE SKIP LOCKED"
_CLAIMS = {(sqlite, after): RawSql(_CLAIM + (_AFTER if after else "") + _ORDER + ("" if sqlite else _LOCK))
           for sqlite in (True, False) for after in (True, False)}
_NEXT_DUE = RawSql("SELECT min(due_at) FROM timers WHERE state = 'scheduled'")
_GET = RawSql(f"SELECT {_COLS} FROM timers WHERE timer_id = :i")

#: ids per IN list: well under SQLite's bound-parameter limit
_CHUNK = 400


def _timer(r: Sequence[Any]) -> Timer:
    timer_id, kind, due_at, subject, correlation_id, payload, state, fired_at = r
    return Timer(timer_id=timer_id, kind=TimerKind(kind), due_at=utc_from_db(due_at), subject=subject,
                 correlation_id=correlation_id, payload=json.loads(payload), state=TimerState(state),
                 fired_at=utc_from_db(fired_at))


class SqlTimers:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._pending: dict[str, Timer | None] = {}  # None: cancel
        self._new: dict[str, Timer] = {}

    def schedule(self, timer: Timer) -> None:
        self._pending[timer.timer_id] = timer

    def schedule_new(self, timer: Timer) -> None:
        self._new[timer.timer_id] = timer

    def cancel(self, timer_id: str) -> None:
        self._pending[timer_id] = None

    def claim(self, now: datetime, limit: int = 500, after: TimerKey | None = None) -> list[Timer]:
        sqlite = self._tx.sqlite
        params: dict[str, Any] = {"now": utc_to_db(now, sqlite), "n": limit}
        if after is not None:
            params["after_due"], params["after_id"] = utc_to_db(after[0], sqlite), after[1]
        rows = self._tx.raw(_CLAIMS[(sqlite, after is not None)], params).fetchall()
        return [_timer(r) for r in rows]

    def fired(self, timer_ids: Sequence[str], at: datetime) -> None:
        ids = list(dict.fromkeys(timer_ids))
        at_db = utc_to_db(at, self._tx.sqlite)
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i:i + _CHUNK]
            params: dict[str, Any] = {f"t{k}": t for k, t in enumerate(chunk)}
            params["at"] = at_db
            # "not fired, not cancelled" rather than "scheduled": the same rows, but it keeps
            # PostgreSQL from reading the partial index of every scheduled timer instead of
            # looking the ids up by primary key.
            sql = RawSql(f"UPDATE timers SET state = 'fired', fired_at = :at WHERE timer_id IN "
                         f"({in_list('t', len(chunk))}) AND state <> 'fired' AND state <> 'cancelled'")
            if self._tx.raw(sql, params).rowcount != len(chunk):
                raise ConcurrencyConflict("a timer claimed here was fired or cancelled by another writer")

    def next_due(self) -> datetime | None:
        row = self._tx.raw(_NEXT_DUE, {}).fetchone()
        return None if row is None or row[0] is None else utc_from_db(row[0])

    def get(self, timer_id: str) -> Timer | None:
        row = self._tx.raw(_GET, {"i": timer_id}).fetchone()
        return None if row is None else _timer(row)

    def flush(self) -> None:
        new = [t for i, t in self._new.items() if i not in self._pending]
        self._new.clear()
        if new:
            self._tx.raw_many(_INSERT_NEW, [self._row(t) for t in new])
        if not self._pending:
            return
        rows = [self._row(t) for t in self._pending.values() if t is not None]
        if rows:
            self._tx.raw_many(_UPSERT, rows)
        gone = [i for i, t in self._pending.items() if t is None]
        for k in range(0, len(gone), _CHUNK):
            chunk = gone[k:k + _CHUNK]
            ids = in_list("t", len(chunk))
            self._tx.raw(RawSql(f"UPDATE timers SET state = 'cancelled' WHERE timer_id IN ({ids}) "
                                "AND state <> 'fired' AND state <> 'cancelled'"),
                         {f"t{n}": t for n, t in enumerate(chunk)})
        self._pending.clear()

    def _row(self, t: Timer) -> dict[str, Any]:
        return {"timer_id": t.timer_id, "kind": t.kind.value, "due_at": utc_to_db(t.due_at, self._tx.sqlite),
                "subject": t.subject, "correlation_id": t.correlation_id,
                "payload": json.dumps(t.payload, sort_keys=True)}
