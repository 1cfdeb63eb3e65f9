"""Specification: warehouse and 3PL ship notices (856) and shipping advice (945) -> ``shipment``.

Assumptions documented by these tests (see ``o2c.adapters.edi.maps.shipment_common``): the
order reference the warehouse echoes (PRF01, W0602) is our order id; the warehouse is the
partner's own or its N1 SF code mapped; one ``shipment`` per order in an ASN.
"""

from __future__ import annotations

import pytest

from o2c.adapters.canonical import ShipmentIn
from o2c.adapters.edi.maps import map_856, map_945, read_interchange

from .support import (
    ack_lines,
    assert_canonical,
    directory,
    inbound_set,
    inbound_text,
    partner,
    sample,
    sample_sets,
)


def test_the_node_x12_asn_confirms_one_order_with_its_carrier_and_pro_number() -> None:
    (ts,) = sample_sets("nodex12__856.edi", "856")
    result = map_856(ts, partner("xyz-retail"))
    assert result.errors == () and len(result.documents) == 1
    shipment = ShipmentIn.model_validate(result.payload)
    # BSN*14*829716*...; PRF*99999817 is taken as our order id; TD5**2*XXXX; REF*CN*5787970539
    assert (shipment.shipment_id, shipment.order_id, shipment.warehouse_id) == (
        "829716",
        "99999817",
        "WH-SOLON",
    )
    assert (shipment.carrier, shipment.tracking_no) == ("XXXX", "5787970539")
    # LIN*1*VP*87787D*UP*...; SN1*1*24*EA - VP is preferred over UP, LIN01 is the line
    assert [(ln.line_no, ln.product_id, ln.lot_id, str(ln.quantity)) for ln in shipment.lines] == [
        (1, "87787D", "-", "24"),
        (2, "99887D", "-", "6"),
    ]
    extras = result.documents[0].extras
    assert (extras["bill_of_lading"], extras["shipped_on"]) == ("999999-001", "20111206")


def test_the_crossdock_asn_splits_into_one_shipment_per_order() -> None:
    (ts,) = sample_sets("ediengine__856.Crossdock.OK.edi", "856")
    result = map_856(ts, partner("crossdock-3pl"))
    assert result.errors == ()
    first, second = (ShipmentIn.model_validate(d.payload) for d in result.documents)
    # Both orders travel on shipment 000009; N1*SF*...*92*000009 is our WH-CA
    assert {first.shipment_id, second.shipment_id, first.warehouse_id} == {"000009", "WH-CA"}
    assert (first.order_id, second.order_id) == ("POREF00", "POREF01")
    assert [d.part for d in result.documents] == ["2", "11"]  # the HL01 of each order
    # Items sit under packs (S/O/P/I); LIN has no line number, so items are numbered in order
    assert [(ln.line_no, ln.product_id) for ln in first.lines] == [
        (1, "0000000000642"),
        (2, "0000000000831"),  # qualified EN, the partner's third choice
        (3, "0000000000283"),
        (4, "0000000000203"),
    ]
    assert [str(ln.quantity) for ln in first.lines] == ["12"] * 4
    assert [(ln.line_no, ln.product_id) for ln in second.lines] == [(1, "0000000000642")]
    assert (first.carrier, first.tracking_no) == ("OVNT", "0000000008741")


def test_each_order_of_an_asn_gets_its_own_inbox_key() -> None:
    batch = read_interchange(sample("ediengine__856.Crossdock.OK.edi"), directory())
    assert [m.source_message_id for m in batch.messages] == ["000000091:91:0001/2", "000000091:91:0001/11"]
    assert ack_lines(batch) == ["AK1*SH*91", "AK2*856*0001", "AK5*A", "AK9*A*1*1*1"]


ASN = [
    ("BSN", "00", "SH-55", "20240302", "1015", "0001"),
    ("HL", "1", "", "S"),
    ("TD5", "", "2", "ODFL"),
    ("REF", "BM", "BOL-9"),
    ("REF", "CN", "PRO-123"),
    ("DTM", "011", "20240302"),
    ("N1", "SF", "LAKESIDE", "92", "CHI-1"),
    ("HL", "2", "1", "O"),
    ("PRF", "SO-00000042"),
    ("HL", "3", "2", "P"),
    ("MAN", "GM", "00000715670002152360"),
    ("HL", "4", "3", "I"),
    ("LIN", "1", "VN", "SKU-1", "LT", "L-2024-01"),
    ("SN1", "", "6", "EA"),
    ("HL", "5", "2", "P"),
    ("HL", "6", "5", "I"),
    ("LIN", "1", "VN", "SKU-1", "LT", "L-2024-01"),
    ("SN1", "", "4", "EA"),
    ("HL", "7", "5", "I"),
    ("LIN", "2", "UP", "012345678905"),
    ("REF", "LT", "L-77"),
    ("SN1", "", "2", "CA"),
    ("CTT", "7", "12"),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_3pl_asn_sums_cartons_of_the_same_line_and_lot(version: str) -> None:
    result = map_856(
        inbound_set(partner("lakeside-3pl"), "856", ASN, version=version), partner("lakeside-3pl")
    )
    assert result.errors == ()
    assert_canonical(result.documents[0])
    assert result.payload is not None and result.payload["lines"] == [
        {"line_no": 1, "product_id": "SKU-1", "lot_id": "L-2024-01", "quantity": "10"},
        {"line_no": 2, "product_id": "012345678905", "lot_id": "L-77", "quantity": "2"},
    ]
    assert result.documents[0].extras["units"] == {"SKU-1": "EA", "012345678905": "CA"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("CTT*7*12", "CTT*6*12"), ("856.CTT01", "CTT", 1, "7", "error")),
        (("CTT*7*12", "CTT*7*13"), ("856.CTT02", "CTT", 2, "7", "warning")),
        (("HL*6*5*I", "HL*6*9*I"), ("856.HL02", "HL", 2, "7", "error")),
        (("PRF*SO-00000042", "PRF*"), ("856.PRF01", "PRF", 1, "1", "error")),
        (("SN1**4*EA", "SN1**-4*EA"), ("856.SN102", "SN1", 2, "7", "error")),
        (("BSN*00*SH-55", "BSN*01*SH-55"), ("856.BSN01", "BSN", 1, "7", "error")),
    ],
)
def test_a_faulty_asn_names_the_rule_segment_and_element(
    edit: tuple[str, str], expected: tuple[str, str, int, str, str]
) -> None:
    ts = inbound_set(partner("lakeside-3pl"), "856", ASN, edit=edit)
    result = map_856(ts, partner("lakeside-3pl"))
    assert [(e.rule, e.segment_id, e.element, e.ak403, e.severity) for e in result.errors] == [expected]
    assert result.ok is (expected[4] == "warning")


SHIPPING_ADVICE = [
    ("W06", "F", "SO-00000042", "20240302", "SH-56", "", "PO-7781"),
    ("N1", "SF", "LAKESIDE CHICAGO", "92", "CHI-1"),
    ("N9", "BM", "BOL-10"),
    ("N9", "CN", "PRO-456"),
    ("W27", "M", "ODFL"),
    ("LX", "1"),
    ("W12", "CC", "6", "6", "0", "EA", "", "VN", "SKU-1", "L-2024-01"),
    ("LX", "2"),
    ("N9", "LI", "3"),
    ("W12", "CP", "5", "3", "2", "EA", "012345678905"),
    ("N9", "LT", "L-77"),
    ("LX", "3"),
    ("W12", "DS", "1", "0", "1", "EA", "", "VN", "SKU-4"),
    ("W03", "9", "22", "LB"),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_945_confirms_what_the_3pl_shipped_against_our_940(version: str) -> None:
    ts = inbound_set(partner("lakeside-3pl"), "945", SHIPPING_ADVICE, version=version)
    result = map_945(ts, partner("lakeside-3pl"))
    assert result.errors == ()
    shipment = ShipmentIn.model_validate(result.payload)
    assert (shipment.shipment_id, shipment.order_id, shipment.warehouse_id) == (
        "SH-56",
        "SO-00000042",
        "WH-CHI",
    )
    assert (shipment.carrier, shipment.tracking_no) == ("ODFL", "PRO-456")
    # Line 1 from LX01; line 3 from N9 LI (our line number echoed); W1206 read as a UPC
    assert [(ln.line_no, ln.product_id, ln.lot_id, str(ln.quantity)) for ln in shipment.lines] == [
        (1, "SKU-1", "L-2024-01", "6"),
        (3, "012345678905", "L-77", "3"),
    ]
    extras = result.documents[0].extras
    assert extras["not_shipped"] == [{"product_id": "SKU-4", "lot_id": "-"}]
    assert (extras["bill_of_lading"], extras["purchase_order"], extras["shipped_on"]) == (
        "BOL-10",
        "PO-7781",
        "20240302",
    )


@pytest.mark.parametrize(("g62", "shipped_at"), [
    (("G62", "11", "20240302", "8", "1645"), "2024-03-02T22:45:00+00:00"),  # the partner's zone, CST
    (("G62", "11", "20240302", "8", "1645", "ET"), "2024-03-02T21:45:00+00:00"),
    (("G62", "11", "20240302", "8", "1645", "UT"), "2024-03-02T16:45:00+00:00"),
    (("G62", "11", "20240302"), None),  # a date alone does not say when the truck left
    (("G62", "10", "20240301", "8", "0900"), None),  # requested ship date: not when it shipped
])
def test_a_945_says_when_the_truck_left_with_a_g62_ship_date_and_time(g62: tuple[str, ...],
                                                                     shipped_at: str | None) -> None:
    segments = [*SHIPPING_ADVICE[:5], g62, *SHIPPING_ADVICE[5:]]
    result = map_945(inbound_set(partner("lakeside-3pl"), "945", segments), partner("lakeside-3pl"))
    assert result.errors == ()
    shipment = ShipmentIn.model_validate(result.payload)
    assert (shipment.shipped_at.isoformat() if shipment.shipped_at else None) == shipped_at


def test_a_945_ship_time_that_is_no_time_is_an_error_on_g6204() -> None:
    segments = [*SHIPPING_ADVICE[:5], ("G62", "11", "20240302", "8", "2561"), *SHIPPING_ADVICE[5:]]
    result = map_945(inbound_set(partner("lakeside-3pl"), "945", segments), partner("lakeside-3pl"))
    assert [(e.segment_id, e.element, e.rule) for e in result.errors] == [("G62", 4, "945.G6204")]


def test_a_945_total_that_disagrees_with_its_items_is_a_warning() -> None:
    batch = read_interchange(
        inbound_text(partner("lakeside-3pl"), "945", SHIPPING_ADVICE, edit=("W03*9*", "W03*10*")), directory()
    )
    assert len(batch.messages) == 1
    assert ack_lines(batch)[-2:] == ["AK5*E*5", "AK9*E*1*1*1"]


def test_a_945_without_an_order_reference_is_rejected() -> None:
    batch = read_interchange(
        inbound_text(partner("lakeside-3pl"), "945", SHIPPING_ADVICE, edit=("W06*F*SO-00000042", "W06*F*")),
        directory(),
    )
    assert batch.messages == ()
    assert ack_lines(batch) == [
        "AK1*SW*1",
        "AK2*945*0001",
        "AK3*W06*2**8",
        "AK4*2**1",
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]
