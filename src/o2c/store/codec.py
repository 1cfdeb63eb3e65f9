"""JSON encoding of the domain's dataclasses (aggregates, master data, events).

The domain stays free of serialization code: pydantic v2 ``TypeAdapter``s read
the stdlib dataclasses' annotations. Adapters are built on first use and
cached per class (building one costs milliseconds, so never at import time).

Guarantees, checked by ``tests/contract/test_codec.py``:
- ``Decimal`` is written as a JSON *string* (``"1.10"``, ``"1E+3"``, ``"-0.00"``)
  and read back with the same digits and exponent; never through float;
- ``datetime`` is ISO 8601 with its offset (``Z`` for UTC) and microseconds,
  ``date`` is ISO 8601;
- ``StrEnum`` members are written as their value and read back as members;
  tuples come back as tuples, lists as lists, ``dict[str, bool]`` as is.

A datetime read back carries a fixed-offset ``tzinfo`` from pydantic
(``TzInfo``) rather than ``datetime.timezone``; it compares, hashes and does
arithmetic identically.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter
from pydantic_core import to_json

from o2c.domain.events import EVENT_TYPES, Event

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:  # a race only builds the same adapter twice
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def dump(obj: object) -> str:
    """Encode a domain dataclass (aggregate, master data, event payload) as JSON."""
    return _adapter(type(obj)).dump_json(obj).decode()


def load(cls: type[T], data: str | bytes) -> T:
    """Decode JSON written by :func:`dump` into an instance of ``cls``."""
    return _adapter(cls).validate_json(data)  # type: ignore[no-any-return]


def dump_event(event: Event) -> str:
    """Encode an event's business payload (its envelope fields are columns)."""
    if EVENT_TYPES.get(type(event).__name__) is not type(event):
        raise ValueError(f"{type(event).__name__} is not a registered event type (EVENT_TYPES)")
    return _adapter(type(event)).dump_json(event).decode()


def load_event(type_name: str, data: str | bytes) -> Event:
    """Decode a payload written by :func:`dump_event` for the event type ``type_name``."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise ValueError(f"unknown event type {type_name!r}: not in o2c.domain.events.EVENT_TYPES")
    return _adapter(cls).validate_json(data)  # type: ignore[no-any-return]


def dump_value(value: Any) -> str:
    """Encode a plain JSON-like value (an outbox payload); Decimals become strings."""
    return to_json(value).decode()
