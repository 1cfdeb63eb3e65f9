"""The audit chain in SQL (see :class:`o2c.engine.ports.AuditLog`). Used through
:class:`o2c.store.sql.SqlUnitOfWork`.

Entries are buffered and sealed at commit, after every other write: the unit of work
locks the ``audit_head`` row (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite has one
writer), reads the head, hashes its entries after it, inserts them and moves the head
on. Holding that lock is the last thing a transaction does before it commits, and it
waits for nothing while holding it, so writers queue on it only for the moment of
their commit and no wait-for cycle can pass through it. A transaction without
entries (the hot path of source-system messages) never touches either table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from o2c.domain.audit import AuditEntry, AuditHead, AuditRecord, extend
from o2c.store.sql_raw import RawSql, insert_sql
from o2c.store.sql_repos import Tx, insert_rows
from o2c.store.tables import audit, audit_head, utc_from_db, utc_to_db

_HEAD = RawSql("SELECT seq, hash FROM audit_head WHERE id = 1")
_LOCK_HEAD = RawSql("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
_NEW_HEAD = RawSql("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING")
_LAST = RawSql("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
_MOVE_HEAD = RawSql("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1")
_INSERT = insert_sql(audit)
_COLUMNS = [c.name for c in audit.columns]


def _record(row: Any) -> AuditRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["occurred_at"] = utc_from_db(values["occurred_at"])
    values["recorded_at"] = utc_from_db(values["recorded_at"])
    return AuditRecord(**values)


def _head(row: Any) -> AuditHead | None:
    return None if row is None or row[0] == 0 else AuditHead(int(row[0]), row[1])


def read_head(conn: Connection) -> AuditHead | None:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    return _head(row)


def read_entries(conn: Connection, after: int = 0, limit: int = 1000) -> list[AuditRecord]:
    rows = conn.execute(select(audit).where(audit.c.seq > after).order_by(audit.c.seq).limit(limit))
    return [_record(r) for r in rows]


def read_found(conn: Connection, *, subject: tuple[str, str] | None = None, person: str | None = None,
               limit: int = 1000) -> list[AuditRecord]:
    wanted = []
    if subject is not None:
        wanted.append(and_(audit.c.subject_type == subject[0], audit.c.subject_id == subject[1]))
    if person is not None:
        wanted += [audit.c.actor_label == f"user:{person}", audit.c.on_behalf_of == person,
                   and_(audit.c.subject_type == "user", audit.c.subject_id == person)]
    if not wanted:
        return []
    rows = conn.execute(select(audit).where(or_(*wanted)).order_by(audit.c.seq.desc()).limit(limit))
    return [_record(r) for r in reversed(rows.fetchall())]


class SqlAudit:
    def __init__(self, tx: Tx, now: Callable[[], datetime]) -> None:
        self._tx = tx
        self._now = now
        self._pending: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self._pending.append(entry)

    def head(self) -> AuditHead | None:
        return read_head(self._tx.connection())

    def entries(self, after: int = 0, limit: int = 1000) -> list[AuditRecord]:
        return read_entries(self._tx.connection(), after, limit)

    def find(self, *, subject: tuple[str, str] | None = None, person: str | None = None,
             limit: int = 1000) -> list[AuditRecord]:
        return read_found(self._tx.connection(), subject=subject, person=person, limit=limit)

    def flush(self) -> None:
        """Seal this transaction's entries after the head, under the head's lock."""
        if not self._pending:
            return
        lock = _HEAD if self._tx.sqlite else _LOCK_HEAD
        row = self._tx.raw(lock, {}).fetchone()
        if row is None:  # the first entry ever, or the row was deleted behind o2c's back
            self._tx.raw(_NEW_HEAD, {})
            row = self._tx.raw(lock, {}).fetchone()
            if row is not None and row[0] == 0:  # go on from the last entry there is
                row = self._tx.raw(_LAST, {}).fetchone() or row
        records, head = extend(_head(row), self._pending, self._now())
        sqlite = self._tx.sqlite
        insert_rows(self._tx, audit, _INSERT, [
            {**{c: getattr(r, c) for c in _COLUMNS},
             "occurred_at": utc_to_db(r.occurred_at, sqlite), "recorded_at": utc_to_db(r.recorded_at, sqlite)}
            for r in records])
        assert head is not None
        self._tx.raw(_MOVE_HEAD, {"seq": head.seq, "hash": head.hash})
        self._pending = []
