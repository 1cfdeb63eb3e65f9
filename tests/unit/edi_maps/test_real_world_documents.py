"""Specification: the inbound path reads documents as real partners lay them out.

Each case is a small reconstruction, written here, of a structure met in public X12 fixtures
during a robustness sweep: acknowledgments coming back from a partner, ship notices without an
order level, units lost to a missing terminator, pretty-printed files.
"""

from __future__ import annotations

from o2c.adapters.edi import build_interchange, write
from o2c.adapters.edi.maps import map_846, map_856, map_860, read_interchange

from .support import AT, assert_canonical, directory, inbound_set, inbound_text, partner
from .test_map_orders import ACME_PO

ACK_997 = [("AK1", "PR", "17"), ("AK2", "855", "0001"), ("AK5", "A"), ("AK9", "A", "1", "1", "1")]
ACK_999 = [
    ("AK1", "IN", "18", "005010"),
    ("AK2", "810", "0001", "005010"),
    ("IK3", "IT1", "4", "", "8"),
    ("IK4", "2", "358", "1"),
    ("IK5", "R", "5"),
    ("AK9", "R", "1", "1", "0"),
]


def acknowledgment_text(set_id: str, segments: list[tuple[str, ...]], *, version: str = "004010") -> str:
    """A 997 or 999 from the partner acme back to us, in its own FA group."""
    acme = partner("acme")
    ic = build_interchange(
        acme.isa_id,
        acme.our_isa_id,
        41,
        at=AT,
        groups=[("FA", version, 7, [(set_id, 1, segments)])],
        sender_qualifier=acme.isa_qualifier,
        receiver_qualifier=acme.our_isa_qualifier,
    )
    return write(ic, newline=True)


def test_a_997_from_a_partner_is_read_for_the_ledger_but_never_acknowledged_nor_called_unsupported() -> None:
    batch = read_interchange(acknowledgment_text("997", ACK_997), directory())
    # No 997 answers the 997 (an acknowledgment is never acknowledged), and no error is raised
    assert batch.acks == () and batch.errors == ()
    (outcome,) = batch.sets
    assert (outcome.set_id, outcome.code) == ("997", "A")
    (message,) = batch.messages
    assert message.kind == "functional_ack" and message.source_message_id == "000000041:7:0001"
    assert dict(message.payload) == {
        "partner_id": "acme", "functional_id": "PR", "group_control_number": "17", "group_code": "A",
        "sets": [{"set_id": "855", "set_control_number": "0001", "code": "A", "errors": ""}],
        "message": "edi:acme:000000041:7:0001"}


def test_a_999_in_005010_is_read_the_same_way_with_its_errors_as_text() -> None:
    batch = read_interchange(acknowledgment_text("999", ACK_999, version="005010X231A1"), directory())
    assert batch.acks == () and batch.errors == ()
    assert [(s.set_id, s.code) for s in batch.sets] == [("999", "A")]
    (message,) = batch.messages
    (answered,) = message.payload["sets"]
    assert (message.payload["group_code"], answered["set_id"], answered["code"]) == ("R", "810", "R")
    assert answered["errors"] == ("segment IT1 at 4: segment has data element errors (8); "
                                  "element 2 (358): mandatory data element missing (1)")


def test_a_damaged_997_is_reported_but_still_not_answered_with_a_997() -> None:
    text = acknowledgment_text("997", ACK_997).replace("SE*6*0001", "SE*9*0001")
    batch = read_interchange(text, directory())
    assert batch.acks == ()
    assert [(e.code, e.segment_id) for e in batch.errors] == [("SEGMENT_COUNT_MISMATCH", "SE")]
    assert [(s.set_id, s.code) for s in batch.sets] == [("997", "R")]


def test_other_sets_the_partner_may_not_send_are_still_refused_as_not_supported() -> None:
    ic = build_interchange(
        "ACME", "O2CDIST", 42, at=AT, groups=[("IN", "004010", 8, [("810", 1, [("BIG", "20240301", "I-1")])])]
    )
    batch = read_interchange(write(ic), directory())
    assert [e.code for e in batch.errors] == ["SET_NOT_SUPPORTED"]
    assert len(batch.acks) == 1 and batch.acks[0].code == "R"


# An ASN in the shipment/item structure (no order level): each item names its order in a PRF.
SHIPMENT_ITEM_ASN = [
    ("BSN", "00", "SH-77", "20240302", "1015"),
    ("HL", "1", "", "S"),
    ("TD5", "", "2", "ODFL"),
    ("N1", "SF", "LAKESIDE", "92", "CHI-1"),
    ("HL", "2", "1", "I"),
    ("LIN", "1", "VN", "SKU-1"),
    ("SN1", "", "6", "EA"),
    ("PRF", "SO-00000042"),
    ("HL", "3", "1", "I"),
    ("LIN", "1", "VN", "SKU-9"),
    ("SN1", "", "2", "EA"),
    ("PRF", "SO-00000043"),
    ("HL", "4", "1", "I"),
    ("LIN", "2", "UP", "012345678905"),
    ("SN1", "", "4", "CA"),
    ("PRF", "SO-00000042"),
    ("CTT", "4", "12"),
]


def test_an_asn_without_order_level_gives_one_shipment_per_order_its_items_name() -> None:
    lakeside = partner("lakeside-3pl")
    result = map_856(inbound_set(lakeside, "856", SHIPMENT_ITEM_ASN), lakeside)
    assert result.errors == ()
    for doc in result.documents:
        assert_canonical(doc)
    assert [(d.part, d.payload["order_id"]) for d in result.documents] == [
        ("2", "SO-00000042"),
        ("3", "SO-00000043"),
    ]
    first, second = (d.payload["lines"] for d in result.documents)
    assert [(ln["line_no"], ln["product_id"], ln["quantity"]) for ln in first] == [
        (1, "SKU-1", "6"),
        (2, "012345678905", "4"),
    ]
    assert [(ln["product_id"], ln["quantity"]) for ln in second] == [("SKU-9", "2")]


def test_an_item_with_neither_an_order_above_it_nor_its_own_prf_is_still_an_error() -> None:
    lakeside = partner("lakeside-3pl")
    segments = [s for s in SHIPMENT_ITEM_ASN if s != ("PRF", "SO-00000043")]
    result = map_856(inbound_set(lakeside, "856", segments), lakeside)
    assert [(e.rule, e.segment_id, e.element, e.severity) for e in result.errors] == [
        ("856.HL02", "HL", 2, "error")
    ]
    assert "has no PRF" in result.errors[0].message


ADVICE = [
    ("BIA", "00", "DD", "INV-20240301", "20240301"),
    ("N1", "WH", "LAKESIDE CHICAGO", "92", "CHI-1"),
    ("LIN", "1", "VN", "SKU-1"),
    ("QTY", "17", "120"),
    ("UIT", "CA"),
    ("LIN", "2", "UP", "012345678905"),
    ("QTY", "17", "7280", "EA"),
]


def test_an_846_unit_given_in_a_uit_after_the_quantity_is_the_items_unit() -> None:
    lakeside = partner("lakeside-3pl")
    result = map_846(inbound_set(lakeside, "846", ADVICE), lakeside)
    assert result.errors == ()
    assert [(i["product_id"], i["uom"]) for i in result.payload["items"]] == [  # type: ignore[index]
        ("SKU-1", "CA"),
        ("012345678905", "EA"),
    ]


def test_an_846_unit_swallowing_the_next_segment_is_reported_on_qty03() -> None:
    # Given QTY*17*7280*EA whose terminator was lost, so that the CTT after it ran into QTY03
    lakeside = partner("lakeside-3pl")
    segments = [*ADVICE[:-1], ("QTY", "17", "7280", "EACTT"), ("DTM", "405", "20240301")]
    result = map_846(inbound_set(lakeside, "846", segments), lakeside)
    assert [(e.rule, e.segment_id, e.element, e.ak403, e.reference) for e in result.errors] == [
        ("846.QTY03", "QTY", 3, "7", "355")
    ]
    assert not result.ok


def test_a_pretty_printed_850_maps_to_the_same_order_and_997_as_a_flat_one() -> None:
    flat = inbound_text(partner("acme"), "850", ACME_PO)
    indented = flat.replace("~\n", "~\r\n    ")
    plain, pretty = read_interchange(flat, directory()), read_interchange(indented, directory())
    assert pretty.errors == () and len(pretty.messages) == 1
    assert [m.payload for m in pretty.messages] == [m.payload for m in plain.messages]
    assert [a.code for a in pretty.acks] == [a.code for a in plain.acks] == ["A"]


def test_a_deleted_860_line_may_give_zero_as_its_new_quantity() -> None:
    # Given a change deleting line 2 with POC03 0, as many buyers send DI lines
    change = [
        ("BCH", "04", "NE", "PO-7781", "", "01", "20240301"),
        ("POC", "1", "QI", "15", "15", "CA", "24.5", "", "VP", "SKU-1"),
        ("POC", "2", "DI", "0", "50", "EA", "45.00", "", "VP", "SKU-2"),
        ("CTT", "2", "15"),
    ]
    result = map_860(inbound_set(partner("acme"), "860", change), partner("acme"))
    assert result.errors == ()
    assert_canonical(result.documents[0])
    lines = result.payload["lines"]  # type: ignore[index]
    assert [(ln["changes"], ln["quantity"]) for ln in lines] == [
        (["change_quantity"], "15"),
        (["cancel"], None),
    ]


def test_a_deleted_860_line_with_a_negative_quantity_is_still_refused() -> None:
    change = [("BCH", "04", "NE", "PO-7781", "", "01", "20240301"), ("POC", "2", "DI", "-1", "", "EA")]
    result = map_860(inbound_set(partner("acme"), "860", change), partner("acme"))
    assert [(e.rule, e.element, e.ak403) for e in result.errors] == [("860.POC03", 3, "7")]
