"""Specification: purchase orders (850) become ``order`` messages, changes (860) ``order_change``.

Expected values were read off the public samples by hand, not off the maps.
"""

from __future__ import annotations

import pytest

from o2c.adapters.canonical import OrderIn
from o2c.adapters.edi.maps import map_850, map_860, read_interchange
from o2c.adapters.edi.maps.canonical_ext import OrderChangeIn

from .support import ack_lines, assert_canonical, directory, inbound_set, inbound_text, partner, sample_sets

ACME_PO = [
    ("BEG", "00", "SA", "PO-7781", "", "20240301"),
    ("CUR", "BY", "USD"),
    ("REF", "DP", "038"),
    ("DTM", "002", "20240315"),
    ("N1", "BY", "ACME STORES", "92", "ACME-HQ"),
    ("N1", "ST", "ACME STORE 42", "92", "0042"),
    ("N3", "1 MAIN ST"),
    ("N4", "SPRINGFIELD", "IL", "62701", "US"),
    ("ITD", "08", "3", "2", "", "10", "", "30"),
    ("PO1", "1", "10", "CA", "24.5", "PE", "VP", "SKU-1", "BP", "A-100"),
    ("PID", "F", "", "", "", "CHIPS 12 X 50G"),
    ("PO1", "2", "3", "EA", "", "", "UP", "012345678905"),
    ("CTT", "2", "13"),
]


def test_the_vics_850_sample_becomes_an_order_for_the_partners_account() -> None:
    (ts,) = sample_sets("nodex12__850.edi", "850")
    result = map_850(ts, partner("xyz-retail"))
    assert result.errors == () and result.kind == "order"
    order = OrderIn.model_validate(result.payload)
    assert (order.customer_id, order.legal_entity_id, order.channel) == ("C-XYZ", "LE-US", "edi")
    assert (order.po_number, str(order.order_date), str(order.requested_date)) == (
        "08292233294",
        "2010-11-27",
        "2010-12-14",
    )
    # ITD*14*3*2**45**46: 2 % if paid within 45 days, net 46
    assert order.payment_terms == "2/45 net 46"
    # N1 ST 0003947268292 is mapped through the partner's ship_to_map
    assert order.ship_to_id == "ST-SOLON" and order.currency == "USD"
    assert len(order.lines) == 6
    first = order.lines[0]
    # PO1*1*120*EA*9.25*TE*CB*065322-117*PR*RO*VN*AB3542: VN is the partner's first choice
    assert (first.line_no, first.product_id, str(first.quantity), first.uom, str(first.unit_price)) == (
        1,
        "AB3542",
        "120",
        "EA",
        "9.25",
    )
    assert first.customer_item == "065322-117"  # the buyer's catalogue number (CB)
    assert [ln.product_id for ln in order.lines][-1] == "DX1875"
    assert result.documents[0].extras["line_descriptions"]["6"] == "ORANGE WIDGET"


def test_the_same_order_with_newline_terminators_maps_identically() -> None:
    (a,) = sample_sets("nodex12__850.edi", "850")
    (b,) = sample_sets("nodex12__850_2.edi", "850")
    assert map_850(a, partner("xyz-retail")).payload == map_850(b, partner("xyz-retail")).payload


def test_the_003010_po_in_the_dual_file_reads_six_digit_dates_and_buyer_item_numbers() -> None:
    (ts,) = sample_sets("staedi__invoice810_po850_dual.edi", "850")
    result = map_850(ts, partner("buysnacks"), version="003010")
    assert result.errors == ()
    order = OrderIn.model_validate(result.payload)
    # BEG*00*NE*S115921858*1017760*040317: BEG04 is the release, BEG05 a YYMMDD date
    assert (order.po_number, str(order.order_date)) == ("S115921858", "2004-03-17")
    # N1*BY*...*1*999999999 is mapped to the customer; N1 ST has no N104, so no ship-to:
    # the engine holds the order with VAL-SHIPTO-UNKNOWN rather than the 997 rejecting it.
    assert (order.customer_id, order.ship_to_id) == ("C-SHIPGRP", "")
    assert [(ln.product_id, str(ln.quantity), ln.unit_price) for ln in order.lines] == [
        ("02006", "150", None),
        ("02008", "50", None),
        ("01019", "25", None),
        ("01220", "25", None),
    ]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_acme_order_maps_every_header_and_line_element(version: str) -> None:
    ts = inbound_set(partner("acme"), "850", ACME_PO, version=version)
    result = map_850(ts, partner("acme"), version=version)
    assert result.errors == ()
    assert_canonical(result.documents[0])
    p = result.payload
    assert p is not None
    assert (p["po_number"], p["order_date"], p["requested_date"], p["payment_terms"]) == (
        "PO-7781",
        "2024-03-01",
        "2024-03-15",
        "2/10 net 30",
    )
    assert (p["customer_id"], p["ship_to_id"]) == ("C-ACME", "ST-ACME-42")
    assert p["lines"] == [
        # CA is the partner's case, CS ours; VP preferred, BP kept as the customer's item
        {
            "line_no": 1,
            "product_id": "SKU-1",
            "quantity": "10",
            "uom": "CS",
            "unit_price": "24.5",
            "customer_item": "A-100",
        },
        {
            "line_no": 2,
            "product_id": "012345678905",
            "quantity": "3",
            "uom": "EA",
            "unit_price": None,
            "customer_item": None,
        },
    ]
    parties = result.documents[0].extras["parties"]
    assert parties["ST"]["city"] == "SPRINGFIELD" and parties["ST"]["address"] == "1 MAIN ST"


@pytest.mark.parametrize(
    ("edit", "ak3", "ak4", "rule"),
    [
        # CTT01 counts 3 lines where there are 2: lines were lost or added in transit
        (("CTT*2*13", "CTT*3*13"), "AK3*CTT*14**8", "AK4*1*354*7*3", "850.CTT01"),
        (("BEG*00*SA*PO-7781**20240301", "BEG*00*SA***20240301"), "AK3*BEG*2**8", "AK4*3*324*1", "850.BEG03"),
        (("**20240301~", "**20240231~"), "AK3*BEG*2**8", "AK4*5*373*8*20240231", "850.BEG05"),
        (("PO1*1*10*CA", "PO1*1*1O*CA"), "AK3*PO1*11**8", "AK4*2*330*6*1O", "850.PO102"),
        (("PO1*1*10*CA", "PO1*1*0*CA"), "AK3*PO1*11**8", "AK4*2*330*7*0", "850.PO102"),
        # o2c keeps 4 decimals of a price; the codec leaves AK404 out since '.' could be a delimiter
        (("24.5*PE", "24.12345*PE"), "AK3*PO1*11**8", "AK4*4*212*7", "850.PO104"),
        (("*UP*012345678905", "*EN*012345678905"), "AK3*PO1*13**8", "AK4*6*235*7*EN", "850.PO107"),
        (("CUR*BY*USD", "CUR*BY*usd"), "AK3*CUR*3**8", "AK4*2*100*7*usd", "850.CUR02"),
        # three capitals, but no currency o2c keeps amounts in
        (("CUR*BY*USD", "CUR*BY*AAA"), "AK3*CUR*3**8", "AK4*2*100*7*AAA", "850.CUR02"),
        # a product id longer than data element 234 allows (48)
        (("VP*SKU-1*BP", "VP*" + "X" * 49 + "*BP"), "AK3*PO1*11**8", "AK4*7*234*5*" + "X" * 49, "850.PO107"),
    ],
)
def test_a_faulty_order_is_rejected_naming_the_segment_and_element(
    edit: tuple[str, str], ak3: str, ak4: str, rule: str
) -> None:
    batch = read_interchange(inbound_text(partner("acme"), "850", ACME_PO, edit=edit), directory())
    assert batch.messages == ()
    assert ack_lines(batch) == ["AK1*PO*1", "AK2*850*0001", ak3, ak4, "AK5*R*5", "AK9*R*1*1*0"]
    assert [e.message.split("]")[0].lstrip("[") for e in batch.errors] == [rule]


def test_a_purchase_order_without_beg_is_missing_a_mandatory_segment() -> None:
    batch = read_interchange(inbound_text(partner("acme"), "850", ACME_PO[1:]), directory())
    assert ack_lines(batch)[2:4] == ["AK3*BEG*2**3", "AK5*R*5"]


def test_a_hash_total_that_disagrees_is_noted_but_the_order_is_accepted() -> None:
    batch = read_interchange(
        inbound_text(partner("acme"), "850", ACME_PO, edit=("CTT*2*13", "CTT*2*12")), directory()
    )
    assert len(batch.messages) == 1
    assert ack_lines(batch) == [
        "AK1*PO*1",
        "AK2*850*0001",
        "AK3*CTT*14**8",
        "AK4*2*347*7*12",
        "AK5*E*5",
        "AK9*E*1*1*1",
    ]
    assert [e.severity for e in batch.errors] == ["warning"]


def test_a_po101_used_twice_is_noted_and_the_order_accepted_as_sent() -> None:
    batch = read_interchange(
        inbound_text(partner("acme"), "850", ACME_PO, edit=("PO1*2*3*EA", "PO1*1*3*EA")), directory()
    )
    # the engine holds the order for customer service (VAL-DUPLICATE-LINE)
    [message] = batch.messages
    assert [ln["line_no"] for ln in message.payload["lines"]] == [1, 1]
    assert ack_lines(batch)[2:6] == ["AK3*PO1*13**8", "AK4*1*350*7*1", "AK5*E*5", "AK9*E*1*1*1"]
    assert [(e.severity, e.message.split("]")[0].lstrip("[")) for e in batch.errors] == [
        ("warning", "850.PO101")
    ]


def test_a_po_line_without_any_product_id_is_missing_po107() -> None:
    segs = [*ACME_PO[:-1], ("PO1", "3", "1", "EA", "1.00"), ("CTT", "3", "14")]
    result = map_850(inbound_set(partner("acme"), "850", segs), partner("acme"))
    assert [(e.segment_id, e.element, e.ak403, e.reference) for e in result.errors] == [
        ("PO1", 7, "1", "234")
    ]


CHANGE = [
    ("BCH", "04", "SA", "PO-7781", "", "2", "20240301", "", "", "", "", "20240305"),
    ("N1", "BY", "ACME STORES", "92", "ACME-HQ"),
    ("POC", "1", "QI", "15", "15", "CA", "24.5", "", "VP", "SKU-1"),
    ("POC", "2", "DI", "", "", "EA"),
    ("POC", "3", "AI", "4", "4", "BX", "9.99", "", "VP", "SKU-9"),
    ("POC", "4", "RS"),
    ("DTM", "002", "20240320"),
    ("POC", "5", "PQ", "8", "8", "CA", "23.00", "", "VP", "SKU-5"),
    ("CTT", "5"),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_po_change_lists_each_lines_change_in_o2c_words(version: str) -> None:
    result = map_860(inbound_set(partner("acme"), "860", CHANGE, version=version), partner("acme"))
    assert result.errors == () and result.kind == "order_change"
    change = OrderChangeIn.model_validate(result.payload)
    assert (change.po_number, change.purpose, change.change_sequence, str(change.change_date)) == (
        "PO-7781",
        "change",
        "2",
        "2024-03-05",
    )
    assert [(ln.line_no, [c.value for c in ln.changes], ln.change_code) for ln in change.lines] == [
        (1, ["change_quantity"], "QI"),
        (2, ["cancel"], "DI"),
        (3, ["add"], "AI"),
        (4, ["change_date"], "RS"),
        (5, ["change_price", "change_quantity"], "PQ"),
    ]
    added = change.lines[2]
    assert (added.product_id, str(added.quantity), added.uom, str(added.unit_price)) == (
        "SKU-9",
        "4",
        "BX",
        "9.99",
    )
    assert str(change.lines[3].requested_date) == "2024-03-20"
    assert change.lines[0].uom == "CS"  # through the partner's unit map


def test_an_added_line_must_say_what_and_how_much_and_unknown_change_codes_are_refused() -> None:
    segs = [
        CHANGE[0],
        ("POC", "1", "AI", "", "", "EA", "", "", "VP", "SKU-9"),
        ("POC", "2", "ZZ"),
        ("CTT", "2"),
    ]
    result = map_860(inbound_set(partner("acme"), "860", segs), partner("acme"))
    assert not result.ok
    assert [(e.rule, e.segment_id, e.element, e.ak403) for e in result.errors] == [
        ("860.POC03", "POC", 3, "1"),
        ("860.POC02", "POC", 2, "7"),
    ]


def test_a_whole_po_cancellation_needs_no_lines() -> None:
    segs = [("BCH", "01", "SA", "PO-7781", "", "", "20240301")]
    result = map_860(inbound_set(partner("acme"), "860", segs), partner("acme"))
    assert result.errors == ()
    assert result.payload is not None and (result.payload["purpose"], result.payload["lines"]) == (
        "cancel",
        [],
    )
