"""A carrier's JSON tracking feed: proof of delivery -> canonical ``delivery``.

Mapped by configuration (``configs/carrier_x.yaml``): where the list of events
is, field paths, and status codes (``delivered`` or ``ignore``). The shipment
and order are the references o2c gave the carrier when it tendered the load.
See :mod:`o2c.adapters.sources.common` for the invariants.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from o2c.adapters.sources.common import (
    Meaning,
    Normalized,
    SourceError,
    SourceEvent,
    SourceReject,
    at_path,
    load_default,
    message,
    require,
    stable_id,
    statuses,
    utc_of,
)
from o2c.adapters.sources.json_events import EventReader, JsonPaths

__all__ = ["CarrierConfig", "normalize_carrier"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierConfig:
    source: str
    events: str
    paths: JsonPaths
    statuses: dict[str, Meaning]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str = "carrier config") -> CarrierConfig:
        paths = JsonPaths.from_mapping(raw, where, ("status", "shipment_id", "order_id", "delivered_at"))
        return cls(
            source=require(raw, "source", str, where),
            events=str(raw.get("events") or ""),
            paths=paths,
            statuses=statuses(raw, {Meaning.DELIVERED, Meaning.IGNORE}, where),
        )

    @classmethod
    def default(cls) -> CarrierConfig:
        return cls.from_mapping(load_default("carrier_x"), "configs/carrier_x.yaml")


def normalize_carrier(
    payload: str | bytes | Any, config: CarrierConfig, *, received_at: datetime
) -> Normalized:
    """One feed payload (text or parsed JSON) -> ``delivery`` messages."""

    def broken(expected: str, where: str = "payload") -> Normalized:
        return Normalized(
            errors=[
                SourceError(
                    source=config.source, where=where, field=config.events or "(event)", expected=expected
                )
            ]
        )

    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as e:
            return broken(f"JSON ({e})")
    events = at_path(payload, config.events) if config.events else [payload]
    if not isinstance(events, list):
        return broken("a list of tracking events")
    out: list[SourceEvent] = []
    errors: list[SourceError] = []
    rejects: list[SourceReject] = []
    ignored = 0
    for i, event in enumerate(events, 1):
        if not isinstance(event, dict):
            bad = broken("a JSON object per event", f"event {i}").errors
            errors += bad
            rejects.append(SourceReject(content=event, errors=bad))
            continue
        r = EventReader(config.source, f"event {i}", event, config.paths)
        event_id = r.text("event_id", required=False)
        if event_id:
            r.where = f"event {i} (id {event_id})"
        code = r.text("status")
        meaning = config.statuses.get(code)
        if code and meaning is None:
            r.fail(config.paths.fields["status"], f"a status code in {sorted(config.statuses)}", code)
        if meaning is Meaning.IGNORE:
            ignored += 1
            continue
        shipment_id, order_id = r.text("shipment_id"), r.text("order_id")
        at = utc_of(r.get("delivered_at"))
        if at is None and meaning is Meaning.DELIVERED:
            r.fail(
                config.paths.fields["delivered_at"],
                "a delivery time in ISO 8601 with an offset (2026-01-06T15:20:00-05:00)",
                r.get("delivered_at"),
            )
        errors += r.errors
        if r.errors:
            rejects.append(SourceReject(content=event, errors=r.errors))
        if r.errors or at is None:
            continue
        body = {
            "shipment_id": shipment_id,
            "order_id": order_id,
            "delivered_at": at.isoformat(),
            "signed_by": r.text("signed_by", required=False),
        }
        mid = event_id or stable_id("h", event)
        out.append(
            SourceEvent(message=message(config.source, mid, "delivery", body, received_at), occurred_at=at)
        )
    return Normalized(events=out, errors=errors, ignored=ignored, rejects=rejects)
