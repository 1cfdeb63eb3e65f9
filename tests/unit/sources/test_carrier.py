"""A carrier's tracking feed: proof of delivery becomes a canonical delivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from o2c.adapters.canonical import DeliveryIn
from o2c.adapters.sources import CarrierConfig, ConfigError, normalize_carrier
from o2c.adapters.sources.common import load_default
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, seed
from tests.unit.sources.support import validated

AT = datetime(2026, 1, 6, 22, 0, tzinfo=UTC)
CONFIG = CarrierConfig.default()


def pod(**change: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "eventId": "CX-77",
        "statusCode": "D1",
        "trackingNumber": "1Z999",
        "shipperReference": {"shipment": "SH1-W1", "order": "SO-00000042"},
        "pod": {"signedBy": "J. DOE", "deliveredAt": "2026-01-06T15:20:00-05:00"},
    }
    e.update(change)
    return e


def test_a_delivered_event_becomes_a_canonical_delivery_in_utc() -> None:
    result = normalize_carrier(
        json.dumps({"events": [pod(), pod(eventId="CX-78", statusCode="I1")]}), CONFIG, received_at=AT
    )
    assert result.errors == [] and result.ignored == 1
    (delivery,) = validated(result)
    assert isinstance(delivery, DeliveryIn)
    assert delivery.delivered_at == datetime(2026, 1, 6, 20, 20, tzinfo=UTC)
    assert (delivery.shipment_id, delivery.order_id, delivery.signed_by) == (
        "SH1-W1",
        "SO-00000042",
        "J. DOE",
    )
    assert (result.messages[0].source, result.messages[0].source_message_id) == ("carrier-x", "CX-77")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"statusCode": "ZZ"}, "statusCode"),
        ({"pod": {"signedBy": "x"}}, "pod.deliveredAt"),
        ({"pod": {"deliveredAt": "2026-01-06 15:20"}}, "pod.deliveredAt"),
        ({"shipperReference": {"order": "SO-1"}}, "shipperReference.shipment"),
    ],
)
def test_unknown_codes_and_missing_fields_are_clear_errors(change: dict, field: str) -> None:
    result = normalize_carrier({"events": [pod(**change)]}, CONFIG, received_at=AT)
    assert result.events == []
    assert [e.field for e in result.errors] == [field]
    assert result.errors[0].where == "event 1 (id CX-77)"


def test_a_feed_without_its_event_list_is_refused() -> None:
    (err,) = normalize_carrier({"data": []}, CONFIG, received_at=AT).errors
    assert (err.field, err.expected) == ("events", "a list of tracking events")
    with pytest.raises(ConfigError, match="'D1' maps to 'shipped'"):
        CarrierConfig.from_mapping({**load_default("carrier_x"), "statuses": {"D1": "shipped"}})


def test_a_carrier_pod_drives_on_pod_billing_through_the_runtime() -> None:
    from o2c.domain.master import BillingTrigger

    h = Harness()
    seed(h.app, customer(trigger=BillingTrigger.ON_POD))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid)
    event = pod(
        shipperReference={"shipment": "SH1-W1", "order": oid},
        pod={"signedBy": "J. DOE", "deliveredAt": "2026-03-02T10:00:00-05:00"},
    )
    result = normalize_carrier({"events": [event]}, CONFIG, received_at=AT)
    assert [o.status for o in h.app.runtime.submit(result.messages)] == [Status.APPLIED]
    assert h.get(oid).status is OrderStatus.INVOICED
