"""What every source normalizer shares: results and errors as values, the
meanings a source's status codes map to, configuration loading, and small
readers (dotted field paths, decimals, times).

Invariants:
- a normalizer never raises on bad input: every problem is a :class:`SourceError`
  naming the source, where (event or file row), the field and what was expected;
- an event with any error produces no message (a half-read shipment would be
  wrong); its errors say why;
- times in produced messages are timezone-aware UTC;
- ``source_message_id`` is the source's own event id when it has one, else a
  stable hash of the event's content, so a re-sent event is deduplicated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml

from o2c.adapters.canonical import KINDS
from o2c.engine.ports import InboundMessage


class Meaning(StrEnum):
    """What a source status code means to o2c (the right-hand side of ``statuses``)."""

    PICKED = "picked"
    SHIPPED = "shipped"
    EXCEPTION = "exception"
    DELIVERED = "delivered"
    IGNORE = "ignore"  # a known code o2c has no use for (in transit, received at hub)


class ConfigError(ValueError):
    """A normalizer configuration that cannot work; the message names the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceError:
    """One problem in a source's input. ``where`` locates it (``event 3 (id A-1)``,
    ``shipments.csv row 4``); ``field`` is the source's own field or column name."""

    source: str
    where: str
    field: str
    expected: str
    value: str = ""

    def __str__(self) -> str:
        got = f", got {self.value!r}" if self.value else ""
        return f"{self.source}: {self.where}, {self.field}: expected {self.expected}{got}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceEvent:
    """A canonical message and the business time the source reported for it (UTC);
    the message carries it too (``shipped_at``, ``picked_at``, ``reported_at``)."""

    message: InboundMessage
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceReject:
    """What could not be read, as the source sent it: one JSON event, or the rows
    (cell dicts) of one CSV group; kept so it can be parked, corrected and replayed."""

    content: Any
    errors: list[SourceError]


@dataclass(frozen=True, slots=True, kw_only=True)
class Normalized:
    events: list[SourceEvent] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    ignored: int = 0  # events with a status mapped to ``ignore``
    rejects: list[SourceReject] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # a CSV source's header, for its rejects

    @property
    def messages(self) -> list[InboundMessage]:
        """Messages the engine applies (kinds in ``canonical.KINDS``: shipments,
        deliveries, picks and fulfilment exceptions): submit these."""
        return [e.message for e in self.events if e.message.kind in KINDS]

    @property
    def informational(self) -> list[InboundMessage]:
        """Messages of kinds the engine does not handle (none of the kinds the
        normalizers produce today): keep or forward them, do not submit them (the
        runtime would dead-letter an unknown kind)."""
        return [e.message for e in self.events if e.message.kind not in KINDS]


def load_default(name: str) -> dict[str, Any]:
    """The packaged default configuration ``configs/<name>.yaml``."""
    text = resources.files("o2c.adapters.sources").joinpath(f"configs/{name}.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ConfigError(f"configs/{name}.yaml must be a mapping")
    return raw


def require(raw: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or (isinstance(value, str | dict) and not value):
        raise ConfigError(f"{where}: {key!r} must be a non-empty {kind.__name__}")
    return value


def statuses(raw: Mapping[str, Any], allowed: set[Meaning], where: str) -> dict[str, Meaning]:
    table = require(raw, "statuses", dict, where)
    out = {}
    for code, meaning in table.items():
        if meaning not in {m.value for m in allowed}:
            raise ConfigError(
                f"{where}: status {code!r} maps to {meaning!r}; "
                f"expected one of {sorted(m.value for m in allowed)}"
            )
        out[str(code)] = Meaning(meaning)
    return out


def str_map(raw: Mapping[str, Any], key: str, where: str) -> dict[str, str]:
    table = raw.get(key) or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {key!r} must be a mapping")
    return {str(k): str(v) for k, v in table.items()}


_MISSING = object()


def at_path(obj: Any, path: str) -> Any:
    """The value at a dotted path (``pod.signedBy``, ``items.0.sku``), or ``_MISSING``."""
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return _MISSING
    return obj


def is_missing(value: Any) -> bool:
    return value is _MISSING or value is None or value == ""


def decimal_of(value: Any, separator: str = ".") -> Decimal | None:
    """A positive, finite decimal from a JSON number or string, or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    if separator == ",":
        if "." in text:
            return None
        text = text.replace(",", ".")
    try:
        n = Decimal(text)
    except InvalidOperation:
        return None
    return n if n.is_finite() and n > 0 else None


def utc_of(value: Any) -> datetime | None:
    """An ISO 8601 time with an offset, in UTC; None for anything else (a time
    without an offset is refused: guessing its zone is how POD times go wrong)."""
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return t.astimezone(UTC) if t.tzinfo is not None else None


def stable_id(prefix: str, content: Any) -> str:
    """A content hash: the same content gives the same id on every run and machine."""
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return f"{prefix}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def message(
    source: str, message_id: str, kind: str, body: Mapping[str, Any], received_at: datetime
) -> InboundMessage:
    return InboundMessage(
        source=source,
        source_message_id=message_id,
        kind=kind,
        received_at=received_at,
        body=json.dumps(body, default=str),
    )
