"""The audit: who changed what, when, from where, as a hash chain.

Every change made by a person or an API key (a hold released, an order rejected,
a credit memo issued, a dead letter replayed, a user added, a policy approved) and
the decisions o2c takes on its own that are not a reaction to a message (a hold
escalated, released automatically) is an :class:`AuditEntry`. Entries are sealed
into a chain in the order they are committed: entry ``n`` holds its own number,
the hash of entry ``n - 1`` and a SHA-256 over a canonical JSON of all its fields
(:func:`digest`), so an entry changed, inserted or removed after it was written
breaks the chain where it happened (:func:`check_chain`).

Canonical JSON here means: keys sorted, no whitespace (``","`` and ``":"``),
ASCII only (``\\u`` escapes), no NaN; times as UTC ISO-8601 with microseconds
(``2026-03-02T09:00:00.000000+00:00``); decimals as strings. ``before`` and
``after`` are stored as that JSON text and hashed as the JSON values they hold.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from o2c.domain.actors import Actor

#: The previous hash of the first entry.
GENESIS = "0" * 64

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def plain(value: Any) -> Any:
    """``value`` as JSON values: dataclasses as objects of their fields, decimals as
    strings (exact, never float), times and dates in ISO-8601, enums as their value,
    tuples, lists and sets as arrays (sets sorted)."""
    if isinstance(value, Enum):
        return plain(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value) if value.utcoffset() is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=canonical)
    if isinstance(value, float):
        raise TypeError(f"refusing float {value!r} in the audit: amounts and quantities are Decimal")
    raise TypeError(f"{type(value).__name__} cannot be written to the audit")


def canonical(value: Any) -> str:
    """The canonical JSON text of JSON values (see the module's docstring)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def iso(t: datetime) -> str:
    """An aware time as the audit writes it: UTC, microseconds."""
    return t.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Subject:
    """What an entry is about: ``kind`` (``order``, ``account``, ``warehouse``,
    ``dead_letter``, ``user``, ``key``, ``policy``…), its id and the legal entity it
    belongs to, when it belongs to one."""

    kind: str
    id: str
    legal_entity_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One change, before it is sealed into the chain. ``action`` is
    ``<subject>.<verb>`` (``hold.release``, ``credit_memo.issue``, ``user.add``);
    ``occurred_at`` is business time (the clock's); ``before`` and ``after`` are what
    the subject was and what the change made of it, as :func:`plain` values;
    ``cause`` names the inbound message or dead letter it came with, if any."""

    actor: Actor
    action: str
    subject: Subject
    occurred_at: datetime
    before: Any = None
    after: Any = None
    cause: str | None = None

    def __post_init__(self) -> None:
        if not _ACTION.match(self.action):
            raise ValueError(f"audit action {self.action!r} is not like 'hold.release' "
                             "(lower-case words joined by dots)")
        if self.occurred_at.utcoffset() is None:
            raise ValueError(f"audit entry {self.action}: occurred_at needs an offset")
        if not self.subject.kind or not self.subject.id:
            raise ValueError(f"audit entry {self.action}: the subject needs a kind and an id")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """An entry as the chain holds it: every stored field. ``actor`` is the actor's
    JSON (:meth:`Actor.to_json`); ``actor_label`` and ``on_behalf_of`` repeat parts of
    it for queries and are hashed too; ``before`` and ``after`` are canonical JSON text."""

    seq: int
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    actor_label: str
    on_behalf_of: str | None
    action: str
    subject_type: str
    subject_id: str
    legal_entity_id: str | None
    cause: str | None
    before: str | None
    after: str | None
    prev_hash: str
    hash: str

    def fields(self) -> dict[str, Any]:
        """The hashed document: every field but ``hash``, JSON inside parsed (a field
        that is not JSON raises ValueError)."""
        return {
            "seq": self.seq, "prev_hash": self.prev_hash,
            "occurred_at": iso(self.occurred_at), "recorded_at": iso(self.recorded_at),
            "actor": json.loads(self.actor), "actor_label": self.actor_label,
            "on_behalf_of": self.on_behalf_of, "action": self.action,
            "subject_type": self.subject_type, "subject_id": self.subject_id,
            "legal_entity_id": self.legal_entity_id, "cause": self.cause,
            "before": None if self.before is None else json.loads(self.before),
            "after": None if self.after is None else json.loads(self.after),
        }

    @property
    def address(self) -> str | None:
        """Where the change came from (the actor's address), if known."""
        try:
            found = json.loads(self.actor).get("address")
        except (ValueError, AttributeError):
            return None
        return found if isinstance(found, str) else None

    def as_dict(self) -> dict[str, Any]:
        """For people and tools: the fields, ``hash`` included, JSON inside parsed."""
        try:
            out = self.fields()
        except ValueError:  # a damaged entry is still shown, as stored
            out = {k: getattr(self, k) for k in _STORED if k != "hash"}
            out["occurred_at"], out["recorded_at"] = iso(self.occurred_at), iso(self.recorded_at)
        out["hash"] = self.hash
        return out


_STORED = tuple(f.name for f in dataclasses.fields(AuditRecord))


def digest(record: AuditRecord) -> str:
    """SHA-256 (hex) of the canonical JSON of ``record.fields()``."""
    return hashlib.sha256(canonical(record.fields()).encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The last entry of the chain as o2c recorded it (kept beside the chain, in the
    same transaction): how many entries there are and the hash of the last."""

    seq: int
    hash: str


def seal(entry: AuditEntry, *, seq: int, prev_hash: str, recorded_at: datetime) -> AuditRecord:
    """``entry`` as entry number ``seq`` of the chain, after the entry hashed ``prev_hash``."""
    unsealed = AuditRecord(
        seq=seq, occurred_at=entry.occurred_at, recorded_at=recorded_at,
        actor=entry.actor.to_json(), actor_label=entry.actor.label, on_behalf_of=entry.actor.on_behalf_of,
        action=entry.action, subject_type=entry.subject.kind, subject_id=entry.subject.id,
        legal_entity_id=entry.subject.legal_entity_id, cause=entry.cause,
        before=None if entry.before is None else canonical(plain(entry.before)),
        after=None if entry.after is None else canonical(plain(entry.after)),
        prev_hash=prev_hash, hash="",
    )
    return dataclasses.replace(unsealed, hash=digest(unsealed))


def extend(head: AuditHead | None, entries: Iterable[AuditEntry],
           recorded_at: datetime) -> tuple[list[AuditRecord], AuditHead | None]:
    """Seal ``entries`` after ``head`` (None: an empty chain); the records and the new head."""
    seq, prev = (0, GENESIS) if head is None else (head.seq, head.hash)
    records = []
    for e in entries:
        seq += 1
        r = seal(e, seq=seq, prev_hash=prev, recorded_at=recorded_at)
        records.append(r)
        prev = r.hash
    return records, (AuditHead(seq, prev) if records else head)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainCheck:
    """What :func:`check_chain` found: the entries read, the head they end in, and the
    first problem (None when the chain is intact) with the number of the first bad entry
    (every entry before it is as o2c wrote it; None when no entry is bad, only the record
    of the head)."""

    entries: int
    last: AuditHead | None
    problem: str | None = None
    bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _count(n: int) -> str:
    return f"{n:,} entr{'y' if n == 1 else 'ies'}"


def _short(h: str) -> str:
    return h[:12]


def _named(r: AuditRecord) -> str:
    return f"audit entry {r.seq} ({r.action} on {r.subject_type} {r.subject_id} by {r.actor_label})"


def check_chain(records: Iterable[AuditRecord], head: AuditHead | None) -> ChainCheck:
    """Walk the chain in ``seq`` order and compare its end with the recorded ``head``.
    Finds an entry changed (its content no longer gives its hash), removed (a gap in
    the numbers), inserted or replaced (an entry that does not link to the one before),
    a tail cut off or entries added at the end (the chain does not end at the head)."""
    n, prev = 0, GENESIS
    for r in records:
        n += 1
        if r.seq != n:
            if r.seq > n:
                what = (f"audit entry {n} is missing" if r.seq == n + 1
                        else f"audit entries {n} to {r.seq - 1} are missing")
                return ChainCheck(entries=n - 1, last=_last(n - 1, prev), bad_seq=n, problem=(
                    f"{what}: the chain goes from entry {n - 1} to entry {r.seq}; "
                    "they were deleted after they were written"))
            return ChainCheck(entries=n - 1, last=_last(n - 1, prev), bad_seq=r.seq,
                              problem=f"audit entry {r.seq} appears twice or out of order")
        if r.prev_hash != prev:
            return ChainCheck(entries=n - 1, last=_last(n - 1, prev), bad_seq=r.seq, problem=(
                f"{_named(r)} does not follow entry {n - 1}: it was written after an entry hashed "
                f"{_short(r.prev_hash)}…, but entry {n - 1} hashes to {_short(prev)}…; an entry was "
                f"inserted, replaced or removed before it"))
        try:
            actual = digest(r)
        except ValueError:
            actual = ""
        if actual != r.hash:
            return ChainCheck(entries=n - 1, last=_last(n - 1, prev), bad_seq=r.seq, problem=(
                f"{_named(r)} was changed after it was written: its content no longer gives "
                f"its hash {_short(r.hash)}…"))
        prev = r.hash
    last = _last(n, prev)
    if head is None:
        if n:
            return ChainCheck(entries=n, last=last, problem=(
                "the record of the chain's head is missing: it was deleted outside o2c, so a tail cut "
                f"off can no longer be told (the entries there, {n:,}, link correctly)"))
        return ChainCheck(entries=0, last=None)
    if n < head.seq:
        cut = f"entry {head.seq}" if n + 1 == head.seq else f"entries {n + 1} to {head.seq}"
        return ChainCheck(entries=n, last=last, bad_seq=n + 1, problem=(
            f"the audit chain ends at entry {n}, but o2c recorded {_count(head.seq)} ending in "
            f"{_short(head.hash)}…: {cut} were deleted (the tail was cut off)"))
    if n > head.seq:
        return ChainCheck(entries=n, last=last, bad_seq=head.seq + 1, problem=(
            f"audit entry {head.seq + 1} and after were not written by o2c: o2c recorded "
            f"{_count(head.seq)}, the chain holds {n:,}; they were added outside o2c"))
    if last is not None and last.hash != head.hash:
        return ChainCheck(entries=n, last=last, bad_seq=n, problem=(
            f"audit entry {n} is not the one o2c recorded as the last: it hashes to "
            f"{_short(last.hash)}…, o2c recorded {_short(head.hash)}…; the end of the chain was replaced"))
    return ChainCheck(entries=n, last=last)


def _last(n: int, h: str) -> AuditHead | None:
    return AuditHead(n, h) if n else None
