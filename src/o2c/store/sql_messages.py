"""SQL event log, inbox, outbox and dead letters. Used through
:class:`o2c.store.sql.SqlUnitOfWork`.

Appends are buffered and written in bulk at commit (one ``executemany`` per
table), so a unit of work that handles hundreds of messages still makes a
handful of round trips. Reads see the buffer: ``inbox.seen`` and
``events.for_correlation`` answer for this transaction's own writes too.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update

from o2c.domain.actors import Actor
from o2c.domain.events import Envelope
from o2c.engine.ports import DeadLetter, InboundMessage, OutboundMessage
from o2c.store.codec import dump_event, dump_value, load_event
from o2c.store.sql_raw import RawSql, in_list, insert_sql
from o2c.store.sql_repos import Tx, insert_rows
from o2c.store.tables import dead_letters, events, inbox, outbox, utc_from_db, utc_to_db

Key = tuple[str, str]

#: Statuses an inbox row may take. ``received`` on arrival; the rest are outcomes.
INBOX_STATUSES = frozenset({"received", "applied", "dead_lettered", "duplicate", "refused"})

# Row values in IN lists: kept well under SQLite's bound-parameter limit.
_IN_CHUNK = 400
#: lookups of this many keys and more probe the primary key once per id (SqlInbox._probe)
_PROBE_PLAN = 2
_probe_sql: dict[int, RawSql] = {}


# ---------------------------------------------------------------- event log

_EVENT_COLS = (
    "seq, event_id, type, occurred_at, recorded_at, correlation_id, causation_id, "
    "source, entity_type, entity_id, payload"
)
_FOR_CORRELATION = RawSql(f"SELECT {_EVENT_COLS} FROM events WHERE correlation_id = :c ORDER BY seq")
_PAGE = RawSql(f"SELECT {_EVENT_COLS} FROM events WHERE seq > :after ORDER BY seq LIMIT :n")
_INSERT_EVENT = insert_sql(events)


def _envelope(r: tuple[Any, ...]) -> Envelope:
    _, event_id, type_, occurred, recorded, correlation, causation, source, etype, eid, doc = r
    return Envelope(
        event_id=event_id,
        type=type_,
        occurred_at=utc_from_db(occurred),
        recorded_at=utc_from_db(recorded),
        correlation_id=correlation,
        causation_id=causation,
        source=source,
        entity_type=etype,
        entity_id=eid,
        payload=load_event(type_, doc),
    )


class SqlEventLog:
    """The append-only log. Order is ``seq`` (commit-time insertion order);
    payloads are encoded at ``append`` so a bad event fails at its source."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._pending: list[Envelope] = []
        self._rows: list[dict[str, Any]] = []

    def append(self, envelopes: Sequence[Envelope]) -> None:
        sqlite = self._tx.sqlite
        for e in envelopes:
            if e.type != type(e.payload).__name__:
                raise ValueError(
                    f"envelope {e.event_id}: type {e.type!r} does not match its "
                    f"payload {type(e.payload).__name__}"
                )
            if e.occurred_at.utcoffset() is None or e.recorded_at.utcoffset() is None:
                raise ValueError(
                    f"envelope {e.event_id}: occurred_at and recorded_at need an "
                    "offset (naive datetimes are ambiguous in an audit log)"
                )
            self._rows.append(
                {
                    "event_id": e.event_id,
                    "type": e.type,
                    "occurred_at": utc_to_db(e.occurred_at, sqlite),
                    "recorded_at": utc_to_db(e.recorded_at, sqlite),
                    "correlation_id": e.correlation_id,
                    "causation_id": e.causation_id,
                    "source": e.source,
                    "entity_type": e.entity_type,
                    "entity_id": e.entity_id,
                    "payload": dump_event(e.payload),
                }
            )
            self._pending.append(e)

    def for_correlation(self, correlation_id: str) -> list[Envelope]:
        """Committed events of ``correlation_id`` in log order, then this
        transaction's own, in append order."""
        rows = self._tx.raw(_FOR_CORRELATION, {"c": correlation_id}).fetchall()
        found = [_envelope(r) for r in rows]
        found.extend(e for e in self._pending if e.correlation_id == correlation_id)
        return found

    def all(self, batch_size: int = 5000) -> Iterator[Envelope]:
        """Every committed event in log order, read ``batch_size`` at a time
        by keyset (``seq > last``), so memory stays bounded and each page costs
        the same however deep into the log it is."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        last = 0
        while True:
            page = self._tx.raw(_PAGE, {"after": last, "n": batch_size}).fetchall()
            for r in page:
                yield _envelope(r)
            if len(page) < batch_size:
                return
            last = page[-1][0]

    def flush(self) -> None:
        insert_rows(self._tx, events, _INSERT_EVENT, self._rows)


# ---------------------------------------------------------------- inbox

_seen_sql: dict[int, RawSql] = {}
_MARK = (
    update(inbox)
    .where(inbox.c.source == bindparam("s"), inbox.c.source_message_id == bindparam("m"))
    .values(status=bindparam("st"))
)
_MARK_CORRELATED = _MARK.values(correlation_id=bindparam("c"))
_INSERT_INBOX = insert_sql(inbox)


def _check_status(status: str) -> None:
    if status not in INBOX_STATUSES:
        raise ValueError(f"inbox status {status!r} is not one of {sorted(INBOX_STATUSES)}")


class SqlInbox:
    """Inbound messages keyed by ``(source, source_message_id)``. New rows are
    buffered until commit; ``seen`` asks the buffer, then the table with one
    query. Two workers adding the same key concurrently: the second commit
    fails with ConcurrencyConflict, and its retry finds the key seen."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._pending: dict[Key, dict[str, Any]] = {}
        self._present: set[Key] = set()  # known to be in the table
        self._absent: set[Key] = set()  # known not to be in the table (this transaction)

    def _lookup(self, keys: Iterable[Key]) -> None:
        todo = sorted({k for k in keys if k not in self._present and k not in self._absent})
        by_source: dict[str, list[str]] = {}
        for source, mid in todo:
            by_source.setdefault(source, []).append(mid)
        # One primary-key range per source (a batch usually has one or two).
        for source, mids in by_source.items():
            for i in range(0, len(mids), _IN_CHUNK):
                chunk = mids[i : i + _IN_CHUNK]
                sql = _seen_sql.get(len(chunk))
                if sql is None:
                    sql = _seen_sql[len(chunk)] = RawSql(
                        "SELECT source_message_id FROM inbox WHERE source = :s "
                        f"AND source_message_id IN ({in_list('m', len(chunk))})"
                    )
                params = {f"m{j}": m for j, m in enumerate(chunk)}
                params["s"] = source
                if self._tx.sqlite or len(chunk) < _PROBE_PLAN:
                    found = {r[0] for r in self._tx.raw(sql, params).fetchall()}
                else:
                    found = self._probe(len(chunk), params)
                self._present.update((source, m) for m in found)
                self._absent.update((source, m) for m in chunk if m not in found)

    def _probe(self, n: int, params: dict[str, str]) -> set[str]:
        """The lookup on PostgreSQL, one primary-key probe per id. A freshly grown inbox has
        statistics that say a source has few rows, and the planner then reads every row of
        the source and compares it with the whole list: a big file's batches got slower as
        it went in, each reading all the records stored before it. A lateral subquery on
        the whole key can only be answered by the key, at any size."""
        sql = _probe_sql.get(n)
        if sql is None:
            values = ", ".join(f"(:m{j})" for j in range(n))
            sql = _probe_sql[n] = RawSql(
                f"SELECT v.m FROM (VALUES {values}) AS v(m) CROSS JOIN LATERAL (SELECT 1 FROM inbox "
                "WHERE source = :s AND source_message_id = v.m LIMIT 1) AS found")
        return {r[0] for r in self._tx.raw(sql, params).fetchall()}

    def seen(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        wanted = [(s, m) for s, m in keys]
        self._lookup(k for k in wanted if k not in self._pending)
        return {k for k in wanted if k in self._pending or k in self._present}

    def add(self, message: InboundMessage, correlation_id: str | None) -> None:
        key = (message.source, message.source_message_id)
        if key not in self._pending:
            self._lookup([key])
        if key in self._pending or key in self._present:
            raise KeyError(f"inbox already holds {key}")
        self._pending[key] = {
            "source": message.source,
            "source_message_id": message.source_message_id,
            "kind": message.kind,
            "received_at": utc_to_db(message.received_at, self._tx.sqlite),
            "content_type": message.content_type,
            "body": message.body,
            "status": "received",
            "correlation_id": correlation_id,
            "document": message.document,
            "actor": None if message.actor is None else message.actor.to_json(),
        }

    def mark(self, source: str, source_message_id: str, status: str, correlation_id: str | None) -> None:
        """Record the outcome; a None ``correlation_id`` keeps the one stored."""
        _check_status(status)
        row = self._pending.get((source, source_message_id))
        if row is not None:
            row["status"] = status
            if correlation_id is not None:
                row["correlation_id"] = correlation_id
            return
        stmt = _MARK if correlation_id is None else _MARK_CORRELATED
        params = {"s": source, "m": source_message_id, "st": status, "c": correlation_id}
        if self._tx.connection().execute(stmt, params).rowcount != 1:
            raise KeyError(f"inbox holds no message {(source, source_message_id)}")

    def status(self, source: str, source_message_id: str) -> str | None:
        """The message's status, or None if it is not in the inbox."""
        row = self._pending.get((source, source_message_id))
        if row is not None:
            return str(row["status"])
        return (
            self._tx.connection()
            .execute(
                select(inbox.c.status).where(
                    inbox.c.source == source, inbox.c.source_message_id == source_message_id
                )
            )
            .scalar()
        )

    def unfinished(self) -> list[InboundMessage]:
        rows = self._tx.connection().execute(
            select(inbox.c.source, inbox.c.source_message_id, inbox.c.kind, inbox.c.received_at,
                   inbox.c.body, inbox.c.content_type, inbox.c.actor)
            .where(inbox.c.status == "received", inbox.c.document.is_(None))
            .order_by(inbox.c.received_at))
        return [InboundMessage(source=r[0], source_message_id=r[1], kind=r[2], received_at=r[3], body=r[4],
                               content_type=r[5], actor=_actor(r[6])) for r in rows]

    def flush(self) -> None:
        insert_rows(self._tx, inbox, _INSERT_INBOX, list(self._pending.values()))


# ---------------------------------------------------------------- outbox


_PENDING = (
    select(outbox.c.id, outbox.c.kind, outbox.c.destination, outbox.c.correlation_id, outbox.c.payload)
    .where(outbox.c.sent_at.is_(None))
    .order_by(outbox.c.id)
    .limit(bindparam("n"))
)
_MARK_SENT = update(outbox).where(outbox.c.id == bindparam("i"))
_INSERT_OUTBOX = insert_sql(outbox, ["created_at", "kind", "destination", "correlation_id", "payload"])


class SqlOutbox:
    """Outbound messages, inserted in the transaction of the state change that
    caused them; a relay reads ``pending`` after commit and marks them sent.
    ``outbox_id`` increases in commit order within one writer."""

    def __init__(self, tx: Tx, now: Callable[[], datetime]) -> None:
        self._tx = tx
        self._now = now
        self._rows: list[dict[str, Any]] = []

    def put(self, kind: str, destination: str, correlation_id: str, payload: dict[str, Any]) -> None:
        self._rows.append(
            {
                "created_at": utc_to_db(self._now(), self._tx.sqlite),
                "kind": kind,
                "destination": destination,
                "correlation_id": correlation_id,
                "payload": dump_value(payload),
            }
        )

    def pending(self, limit: int = 1000) -> list[OutboundMessage]:
        """Committed, unsent messages, oldest first (payload decoded from JSON,
        so Decimals arrive as strings, as a receiver would see them)."""
        rows = self._tx.connection().execute(_PENDING, {"n": limit})
        return [
            OutboundMessage(
                outbox_id=r.id,
                kind=r.kind,
                destination=r.destination,
                correlation_id=r.correlation_id,
                payload=json.loads(r.payload),
            )
            for r in rows
        ]

    def mark_sent(self, outbox_ids: Sequence[int], at: datetime) -> None:
        rows = [{"i": i, "sent_at": at} for i in outbox_ids]
        if rows:
            self._tx.connection().execute(_MARK_SENT, rows)

    def flush(self) -> None:
        insert_rows(self._tx, outbox, _INSERT_OUTBOX, self._rows)


# ---------------------------------------------------------------- dead letters

_DL_COLS = (
    "dead_letter_id",
    "source",
    "source_message_id",
    "kind",
    "code",
    "reason",
    "failed_at",
    "body",
    "status",
    "waiting_for",
)


_INSERT_DEAD_LETTER = insert_sql(dead_letters)


def _actor(text: str | None) -> Actor | None:
    return None if text is None else Actor.from_json(text)


def _letter(r: Row[Any]) -> DeadLetter:
    return DeadLetter(**{c: getattr(r, c) for c in _DL_COLS}, actor=_actor(r.actor))


class SqlDeadLetters:
    """Messages that could not be applied. New letters are buffered until
    commit; closing a stored letter updates it at once."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._pending: dict[str, DeadLetter] = {}
        self._any_waiting: bool | None = None  # any stored open letter waits for something?

    def add(self, letter: DeadLetter) -> None:
        self._pending[letter.dead_letter_id] = letter

    def get(self, dead_letter_id: str) -> DeadLetter | None:
        letter = self._pending.get(dead_letter_id)
        if letter is not None:
            return letter
        row = (
            self._tx.connection()
            .execute(select(dead_letters).where(dead_letters.c.dead_letter_id == dead_letter_id))
            .first()
        )
        return None if row is None else _letter(row)

    def open(self) -> list[DeadLetter]:
        """Open letters, oldest failure first."""
        rows = self._tx.connection().execute(select(dead_letters).where(dead_letters.c.status == "open"))
        found = {r.dead_letter_id: _letter(r) for r in rows}
        found.update(self._pending)
        return sorted(
            (d for d in found.values() if d.status == "open"), key=lambda d: (d.failed_at, d.dead_letter_id)
        )

    # Asked after every order received, released and shipped, and almost always empty: a
    # prepared statement on the index first, whole letters only for what it finds.
    _waiting = RawSql("SELECT dead_letter_id FROM dead_letters WHERE waiting_for = :k AND status = 'open'")

    _any = RawSql("SELECT 1 FROM dead_letters WHERE waiting_for IS NOT NULL AND status = 'open' LIMIT 1")

    def waiting_for(self, keys: Iterable[str]) -> list[DeadLetter]:
        """Open letters parked until one of ``keys`` happens. Most of the time no stored letter
        waits for anything: one query per unit of work finds that out, instead of one per
        event that might unblock one (a new order, a shipment, a customer)."""
        wanted = set(keys)
        if not wanted:
            return []
        if self._any_waiting is None:
            self._any_waiting = self._tx.raw(self._any, {}).fetchone() is not None
        ids = [r[0] for k in wanted for r in self._tx.raw(self._waiting, {"k": k}).fetchall()] \
            if self._any_waiting else []
        found: dict[str, DeadLetter] = {}
        if ids:
            rows = self._tx.connection().execute(
                select(dead_letters).where(dead_letters.c.dead_letter_id.in_(ids))
            )
            found = {r.dead_letter_id: _letter(r) for r in rows}
        found.update((k, d) for k, d in self._pending.items() if d.waiting_for in wanted)
        return sorted(
            (d for d in found.values() if d.status == "open"), key=lambda d: (d.failed_at, d.dead_letter_id)
        )

    def close(self, dead_letter_id: str, status: str) -> None:
        letter = self._pending.get(dead_letter_id)
        if letter is not None:
            self._pending[dead_letter_id] = dataclasses.replace(letter, status=status)
            return
        result = self._tx.connection().execute(
            update(dead_letters).where(dead_letters.c.dead_letter_id == dead_letter_id).values(status=status)
        )
        if result.rowcount != 1:
            raise KeyError(dead_letter_id)

    def flush(self) -> None:
        self._any_waiting = None  # what is stored changes at commit
        sqlite = self._tx.sqlite
        rows = [
            {**{c: getattr(d, c) for c in _DL_COLS}, "failed_at": utc_to_db(d.failed_at, sqlite),
             "actor": None if d.actor is None else d.actor.to_json()}
            for d in self._pending.values()
        ]
        insert_rows(self._tx, dead_letters, _INSERT_DEAD_LETTER, rows)
