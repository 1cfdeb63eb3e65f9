"""WMS "A": pushed JSON events with its own codes, mapped by configuration."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from o2c.adapters.canonical import ShipmentIn
from o2c.adapters.sources import ConfigError, PickConfirmedIn, WmsAConfig, normalize_wms_a
from o2c.adapters.sources.common import load_default
from tests.unit.sources.support import validated

AT = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
CONFIG = WmsAConfig.default()


def event(**change: Any) -> dict[str, Any]:
    e = {
        "id": "A-1001",
        "evt": "SHPD",
        "wh": "COL",
        "ref": "SO-00000042",
        "shp": "COL-88121",
        "ts": "2026-01-05T14:03:00Z",
        "carrier": "UPS",
        "bol": "BOL-5531",
        "items": [{"ln": 1, "sku": "GLV-10000", "lot": "L1", "qty": "10"}],
    }
    e.update(change)
    return {k: v for k, v in e.items() if v is not None}


def test_a_shipped_event_becomes_a_canonical_shipment() -> None:
    result = normalize_wms_a(json.dumps(event()), CONFIG, received_at=AT)
    assert result.errors == []
    (shipment,) = validated(result)
    assert isinstance(shipment, ShipmentIn)
    assert (shipment.shipment_id, shipment.order_id, shipment.warehouse_id) == (
        "COL-88121",
        "SO-00000042",
        "W1",
    )
    assert (shipment.carrier, shipment.tracking_no) == ("UPS", "BOL-5531")
    assert [(s.line_no, s.product_id, s.lot_id, s.quantity) for s in shipment.lines] == [
        (1, "GLV-10000", "L1", Decimal(10))
    ]
    (m,) = result.messages
    assert (m.source, m.source_message_id, m.kind) == ("wms-a", "A-1001", "shipment")
    assert result.events[0].occurred_at == datetime(2026, 1, 5, 14, 3, tzinfo=UTC)


def test_a_picked_event_and_an_exception_are_messages_for_the_engine() -> None:
    picked = event(id="A-1", evt="PCKD", shp=None)
    short = event(id="A-2", evt="XCPT", xcpt={"code": "SHORT", "text": "only 8 on the shelf"})
    result = normalize_wms_a([picked, short], CONFIG, received_at=AT)
    assert result.errors == [] and result.informational == []
    pick, exc = validated(result)
    assert isinstance(pick, PickConfirmedIn) and pick.picked_at == datetime(2026, 1, 5, 14, 3, tzinfo=UTC)
    assert (exc.code, exc.reason, exc.warehouse_id) == ("SHORT", "only 8 on the shelf", "W1")
    assert [m.kind for m in result.messages] == ["pick_confirmed", "fulfilment_exception"]


def test_a_pick_and_a_short_pick_from_wms_a_reach_the_order_through_the_runtime() -> None:
    from o2c.domain.holds import HoldCode
    from o2c.engine.runtime import Status
    from tests.builders import Harness, seed

    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    oid = h.order(lines=[("P1", "10", "EA")]).correlation_id
    items = [{"ln": 1, "sku": "P1", "lot": "-", "qty": "2"}]
    picked = event(id="A-1", evt="PCKD", shp=None, ref=oid, items=items)
    short = event(id="A-2", evt="XCPT", shp=None, ref=oid, items=items,
                  xcpt={"code": "SHORT", "text": "only 8 on the shelf"})
    result = normalize_wms_a([picked, short], CONFIG, received_at=AT)
    assert [o.status for o in h.app.runtime.submit(result.messages)] == [Status.APPLIED] * 2
    order = h.get(oid)
    assert order.picked_at == datetime(2026, 1, 5, 14, 3, tzinfo=UTC)
    (hold,) = order.open_holds
    assert hold.code is HoldCode.FUL_QTY_MISMATCH and "W1 reports SHORT" in hold.reason


def test_an_unknown_status_code_is_a_clear_error() -> None:
    result = normalize_wms_a(event(evt="LOST"), CONFIG, received_at=AT)
    (err,) = result.errors
    assert result.events == []
    assert str(err) == (
        "wms-a: event 1 (id A-1001), evt: expected a status code in "
        "['ALOC', 'PCKD', 'SHPD', 'XCPT'], got 'LOST'"
    )


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"ref": None}, "ref", "a order id"),
        ({"shp": None}, "shp", "a shipment id"),
        ({"wh": "XYZ"}, "wh", "a site code in ['COL', 'DAY']"),
        ({"ts": "2026-01-05T14:03:00"}, "ts", "an ISO 8601 time with an offset"),
        ({"items": []}, "items", "a non-empty list of lines"),
        ({"items": [{"ln": 1, "sku": "X", "qty": "0"}]}, "items.0.qty", "a quantity greater than zero"),
        ({"items": [{"sku": "X", "qty": "1"}]}, "items.0.ln", "a line number"),
    ],
)
def test_a_missing_or_bad_field_is_a_clear_error_and_no_message(
    change: dict, field: str, expected: str
) -> None:
    result = normalize_wms_a(event(**change), CONFIG, received_at=AT)
    assert result.events == []
    assert [e.field for e in result.errors] == [field]
    assert result.errors[0].expected.startswith(expected)


def test_ignored_codes_and_broken_payloads() -> None:
    assert normalize_wms_a(event(evt="ALOC"), CONFIG, received_at=AT).ignored == 1
    (err,) = normalize_wms_a("{not json", CONFIG, received_at=AT).errors
    assert err.expected.startswith("JSON")


def test_an_event_without_an_id_gets_a_stable_content_hash() -> None:
    one = normalize_wms_a(event(id=None), CONFIG, received_at=AT).messages[0]
    two = normalize_wms_a(event(id=None), CONFIG, received_at=datetime(2026, 2, 1, tzinfo=UTC)).messages[0]
    assert one.source_message_id == two.source_message_id and one.source_message_id.startswith("h:")


def test_a_config_must_map_every_status_to_a_known_meaning() -> None:
    raw = load_default("wms_a")
    with pytest.raises(ConfigError, match="'LOST' maps to 'vanished'"):
        WmsAConfig.from_mapping({**raw, "statuses": {"LOST": "vanished"}})
    with pytest.raises(ConfigError, match="paths must name"):
        WmsAConfig.from_mapping({**raw, "paths": {"status": "evt"}})
