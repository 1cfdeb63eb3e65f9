"""Specification: carrier status (214) -> ``delivery`` or ``shipment_status``; inventory advice
(846) -> ``inventory_advice``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from o2c.adapters.canonical import DeliveryIn
from o2c.adapters.edi.maps import map_214, map_846, read_interchange
from o2c.adapters.edi.maps.canonical_ext import InventoryAdviceIn, ShipmentStatusIn

from .support import ack_lines, directory, inbound_set, inbound_text, partner

DELIVERED = [
    ("B10", "PRO-123", "SH-55", "FFRT"),
    ("L11", "SO-00000042", "OQ"),
    ("L11", "BOL-9", "BM"),
    ("N1", "CN", "ACME STORE 42", "92", "0042"),
    ("LX", "1"),
    ("AT7", "X6", "NS", "", "", "20240303", "0815", "CT"),
    ("MS1", "TOLEDO", "OH", "US"),
    ("LX", "2"),
    ("AT7", "D1", "NS", "", "", "20240304", "1432", "ED"),
    ("MS1", "SPRINGFIELD", "IL", "US"),
    ("MS2", "FFRT", "TRL-88"),
    ("K1", "J SMITH"),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_d1_status_is_a_proof_of_delivery_with_its_time_and_signer(version: str) -> None:
    result = map_214(
        inbound_set(partner("fastfreight"), "214", DELIVERED, version=version), partner("fastfreight")
    )
    assert result.errors == () and result.kind == "delivery"
    pod = DeliveryIn.model_validate(result.payload)
    assert (pod.shipment_id, pod.order_id, pod.signed_by) == ("SH-55", "SO-00000042", "J SMITH")
    # ED is Eastern Daylight Time, UTC-4
    assert pod.delivered_at == datetime(2024, 3, 4, 18, 32, tzinfo=UTC)
    statuses = result.documents[0].extras["statuses"]
    # CT is Central Time through the time-zone database: 3 March 2024 is still standard time
    assert [s["code"] for s in statuses] == ["X6", "D1"]
    assert statuses[0]["at"] == "2024-03-03T08:15:00-06:00" and statuses[0]["city"] == "TOLEDO"


def test_milestones_short_of_delivery_are_a_shipment_status() -> None:
    segs = [*DELIVERED[:7], ("LX", "2"), ("AT7", "AF", "NS", "", "", "20240302", "1700")]
    result = map_214(inbound_set(partner("fastfreight"), "214", segs), partner("fastfreight"))
    assert result.errors == () and result.kind == "shipment_status"
    status = ShipmentStatusIn.model_validate(result.payload)
    assert (status.shipment_id, status.carrier, status.tracking_no) == ("SH-55", "FFRT", "PRO-123")
    # No AT707: local time, i.e. the partner's America/New_York zone
    assert [(s.code, s.at.isoformat() if s.at else None) for s in status.statuses] == [
        ("X6", "2024-03-03T08:15:00-06:00"),
        ("AF", "2024-03-02T17:00:00-05:00"),
    ]


def test_a_delivery_that_names_no_order_is_rejected() -> None:
    segs = [DELIVERED[0], *DELIVERED[2:]]
    batch = read_interchange(inbound_text(partner("fastfreight"), "214", segs), directory())
    assert batch.messages == ()
    assert ack_lines(batch) == ["AK1*QM*1", "AK2*214*0001", "AK3*L11*5**3", "AK5*R*5", "AK9*R*1*1*0"]


def test_an_unknown_time_code_is_read_in_the_partners_zone_and_noted() -> None:
    edit = ("20240304*1432*ED", "20240304*1432*QQ")
    batch = read_interchange(inbound_text(partner("fastfreight"), "214", DELIVERED, edit=edit), directory())
    (message,) = batch.messages
    assert message.payload["delivered_at"] == "2024-03-04T14:32:00-05:00"
    assert ack_lines(batch)[2:5] == ["AK3*AT7*10**8", "AK4*7*623*7*QQ", "AK5*E*5"]


def test_a_delivery_date_that_is_not_a_date_is_rejected() -> None:
    edit = ("20240304*1432", "20240340*1432")
    result = map_214(inbound_set(partner("fastfreight"), "214", DELIVERED, edit=edit), partner("fastfreight"))
    assert [(e.rule, e.element, e.ak403) for e in result.errors] == [("214.AT705", 5, "8")]


ADVICE = [
    ("BIA", "00", "DD", "INV-20240301", "20240301"),
    ("N1", "WH", "LAKESIDE CHICAGO", "92", "CHI-1"),
    ("LIN", "1", "VN", "SKU-1", "LT", "L-2024-01"),
    ("QTY", "17", "120", "EA"),
    ("QTY", "33", "96", "EA"),
    ("LIN", "2", "UP", "012345678905"),
    ("REF", "LT", "L-77"),
    ("QTY", "17", "0", "CA"),
    ("CTT", "2", "216"),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_inventory_advice_lists_on_hand_and_available_per_product_and_lot(version: str) -> None:
    result = map_846(
        inbound_set(partner("lakeside-3pl"), "846", ADVICE, version=version), partner("lakeside-3pl")
    )
    assert result.errors == () and result.kind == "inventory_advice"
    advice = InventoryAdviceIn.model_validate(result.payload)
    assert (advice.warehouse_id, advice.advice_id, str(advice.as_of)) == (
        "WH-CHI",
        "INV-20240301",
        "2024-03-01",
    )
    assert [(i.product_id, i.lot_id, i.uom, i.on_hand, i.available) for i in advice.items] == [
        ("SKU-1", "L-2024-01", "EA", 120, 96),
        ("012345678905", "L-77", "CA", 0, None),
    ]
    assert advice.items[0].quantities == {"17": 120, "33": 96}


def test_an_item_without_quantity_and_a_wrong_item_count_are_both_reported() -> None:
    segs = [*ADVICE[:5], ("LIN", "2", "UP", "012345678905"), ("CTT", "3")]
    result = map_846(inbound_set(partner("lakeside-3pl"), "846", segs), partner("lakeside-3pl"))
    assert [(e.rule, e.segment_id, e.ak304, e.ak403) for e in result.errors] == [
        ("846.QTY", "QTY", "3", None),  # expected after the second LIN, where CTT stands
        ("846.CTT01", "CTT", "8", "7"),
    ]
