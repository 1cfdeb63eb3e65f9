"""WMS "A": JSON events pushed one at a time (or as a list), UTC times, its own
status codes (``PCKD`` picked, ``SHPD`` shipped, ``XCPT`` exception). Mapped by
configuration (``configs/wms_a.yaml``): field paths, status code meanings,
site codes to o2c warehouses, item codes to products.

Produces ``shipment``, ``pick_confirmed`` and ``fulfilment_exception``; see
:mod:`o2c.adapters.sources.common` for the invariants.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from o2c.adapters.sources.common import (
    ConfigError,
    Meaning,
    Normalized,
    SourceError,
    SourceEvent,
    SourceReject,
    load_default,
    message,
    require,
    stable_id,
    statuses,
    str_map,
    utc_of,
)
from o2c.adapters.sources.json_events import EventReader, JsonPaths

__all__ = ["WmsAConfig", "normalize_wms_a"]

_MEANINGS = {Meaning.PICKED, Meaning.SHIPPED, Meaning.EXCEPTION, Meaning.IGNORE}


@dataclass(frozen=True, slots=True, kw_only=True)
class WmsAConfig:
    source: str
    paths: JsonPaths
    statuses: dict[str, Meaning]
    warehouses: dict[str, str]
    products: dict[str, str]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str = "wms-a config") -> WmsAConfig:
        paths = JsonPaths.from_mapping(raw, where, ("status", "warehouse", "order_id", "time", "lines"))
        table = str_map(raw, "warehouses", where)
        if not table:
            raise ConfigError(f"{where}: 'warehouses' must map the WMS's site codes to o2c warehouse ids")
        return cls(
            source=require(raw, "source", str, where),
            paths=paths,
            statuses=statuses(raw, _MEANINGS, where),
            warehouses=table,
            products=str_map(raw, "products", where),
        )

    @classmethod
    def default(cls) -> WmsAConfig:
        return cls.from_mapping(load_default("wms_a"), "configs/wms_a.yaml")


def normalize_wms_a(payload: str | bytes | Any, config: WmsAConfig, *, received_at: datetime) -> Normalized:
    """One pushed payload (a JSON event or a list of events, as text or parsed)."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as e:
            return _broken(config, f"JSON ({e})")
    events = payload if isinstance(payload, list) else [payload]
    out: list[SourceEvent] = []
    errors, ignored = [], 0
    rejects: list[SourceReject] = []
    for i, event in enumerate(events, 1):
        if not isinstance(event, dict):
            bad = _broken(config, "a JSON object per event", f"event {i}").errors
            errors += bad
            rejects.append(SourceReject(content=event, errors=bad))
            continue
        r = EventReader(config.source, f"event {i}", event, config.paths)
        event_id = r.text("event_id", required=False)
        if event_id:
            r.where = f"event {i} (id {event_id})"
        made = _one(r, config, event_id or stable_id("h", event), received_at)
        errors += r.errors
        if r.errors:
            rejects.append(SourceReject(content=event, errors=r.errors))
        if made is None and not r.errors:
            ignored += 1
        elif made is not None and not r.errors:
            out.append(made)
    return Normalized(events=out, errors=errors, ignored=ignored, rejects=rejects)


def _broken(config: WmsAConfig, expected: str, where: str = "payload") -> Normalized:
    return Normalized(
        errors=[SourceError(source=config.source, where=where, field="(event)", expected=expected)]
    )


def _one(r: EventReader, config: WmsAConfig, message_id: str, received_at: datetime) -> SourceEvent | None:
    code = r.text("status")
    meaning = config.statuses.get(code)
    if code and meaning is None:
        r.fail(config.paths.fields["status"], f"a status code in {sorted(config.statuses)}", code)
    if meaning is Meaning.IGNORE or meaning is None:
        return None
    site = r.text("warehouse")
    warehouse = config.warehouses.get(site)
    if site and warehouse is None:
        r.fail(config.paths.fields["warehouse"], f"a site code in {sorted(config.warehouses)}", site)
    order_id = r.text("order_id")
    at = utc_of(r.get("time"))
    if at is None:
        r.fail(
            config.paths.fields["time"],
            "an ISO 8601 time with an offset (2026-01-05T14:03:00Z)",
            r.get("time"),
        )
    body: dict[str, Any]  # JSON-shaped: what the canonical message carries
    if meaning is Meaning.SHIPPED:
        kind, body = (
            "shipment",
            {
                "shipment_id": r.text("shipment_id"),
                "order_id": order_id,
                "warehouse_id": warehouse,
                "carrier": r.text("carrier", required=False),
                "tracking_no": r.text("tracking_no", required=False),
                "lines": r.lines(config.products),
                "shipped_at": at.isoformat() if at else None,
            },
        )
    elif meaning is Meaning.PICKED:
        kind, body = (
            "pick_confirmed",
            {
                "order_id": order_id,
                "warehouse_id": warehouse,
                "picked_at": at,
                "lines": r.lines(config.products),
            },
        )
    else:
        items = r.get("lines")
        kind, body = (
            "fulfilment_exception",
            {
                "order_id": order_id,
                "warehouse_id": warehouse,
                "reported_at": at,
                "code": r.text("exception_code"),
                "reason": r.text("exception_text", required=False),
                "lines": r.lines(config.products) if isinstance(items, list) and items else [],
            },
        )
    if r.errors or at is None:
        return None
    return SourceEvent(message=message(config.source, message_id, kind, body, received_at), occurred_at=at)
