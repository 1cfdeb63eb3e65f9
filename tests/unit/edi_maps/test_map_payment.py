"""Specification: remittance advice (820) -> ``payment``, with its ADX adjustments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.adapters.canonical import PaymentIn
from o2c.adapters.edi.maps import map_820, read_interchange

from .support import ack_lines, directory, inbound_set, inbound_text, partner, sample_sets


def test_the_edi_net_820_sample_becomes_a_check_payment_of_seven_invoices() -> None:
    (ts,) = sample_sets("indice__x12.820.issue140.edi", "820")
    result = map_820(ts, partner("mart"), version="005010")
    assert result.errors == () and result.kind == "payment"
    payment = PaymentIn.model_validate(result.payload)
    # TRN*3*4529952; BPR*I*21298.97*C*CHK...; N1*PR*MART INC.*UL*1238742000008 -> C-MART
    assert (payment.payment_id, payment.customer_id, payment.amount, payment.currency, payment.method) == (
        "4529952",
        "C-MART",
        Decimal("21298.97"),
        "USD",
        "check",
    )
    assert len(payment.references) == 7
    first = payment.references[0]
    # RMR*IV*26801*PO*4408.75*4650.41*97.9: paid 4408.75 of 4650.41 with 97.90 discount
    assert (first.invoice_id, first.amount, first.discount) == ("26801", Decimal("4408.75"), Decimal("97.9"))
    extras = result.documents[0].extras
    # ADX*-143.76*59*CM*26801 follows RMR 26801: 4650.41 - 97.90 - 143.76 = 4408.75
    (adjustment,) = payment.adjustments
    assert "adjustments" not in extras
    assert (adjustment.invoice_id, adjustment.amount, adjustment.reason_code, adjustment.reference) == (
        "26801",
        Decimal("-143.76"),
        "59",
        "26801",
    )
    assert (extras["handling"], extras["payment_date"]) == ("I", "20191029")
    assert extras["remittance"][0]["invoice_amount"] == "4650.41"


REMITTANCE = [
    (
        "BPR",
        "C",
        "1500.00",
        "C",
        "ACH",
        "CTX",
        "01",
        "999999992",
        "DA",
        "123456",
        "",
        "",
        "01",
        "888888880",
        "DA",
        "654321",
        "20240305",
    ),
    ("TRN", "1", "ACH-778899"),
    ("N1", "PR", "ACME STORES", "92", "ACME-HQ"),
    ("ENT", "1"),
    ("RMR", "IV", "INV-1001", "", "980", "1000", "20"),
    ("RMR", "IV", "INV-1002", "", "520", "520"),
    ("ADX", "-10", "CS", "IV", "INV-1002"),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_ach_remittance_pays_invoices_net_of_discount(version: str) -> None:
    result = map_820(inbound_set(partner("acme"), "820", REMITTANCE, version=version), partner("acme"))
    assert result.errors == ()
    payment = PaymentIn.model_validate(result.payload)
    assert (payment.payment_id, payment.customer_id, payment.method) == ("ACH-778899", "C-ACME", "ach")
    assert [(r.invoice_id, r.amount, r.discount) for r in payment.references] == [
        ("INV-1001", Decimal("980"), Decimal("20")),
        ("INV-1002", Decimal("520"), Decimal("0")),
    ]
    (adjustment,) = payment.adjustments
    assert (adjustment.invoice_id, adjustment.amount, adjustment.reason_code) == (
        "INV-1002", Decimal(-10), "CS")
    assert (adjustment.reference_qualifier, adjustment.reference) == ("IV", "INV-1002")
    assert payment.command().adjustments[0].amount == Decimal(-10)


def test_a_payment_that_does_not_add_up_is_accepted_with_a_note_for_cash_application() -> None:
    text = inbound_text(partner("acme"), "820", REMITTANCE, edit=("BPR*C*1500.00", "BPR*C*1490.00"))
    batch = read_interchange(text, directory())
    assert len(batch.messages) == 1
    assert ack_lines(batch)[2:5] == ["AK3*BPR*2**8", "AK4*2*782*7", "AK5*E*5"]


def test_a_remittance_without_trace_number_or_amount_is_rejected() -> None:
    segs = [("BPR", "C", "", "C", "ACH"), *REMITTANCE[2:]]
    batch = read_interchange(inbound_text(partner("acme"), "820", segs), directory())
    assert batch.messages == ()
    assert ack_lines(batch) == [
        "AK1*RA*1",
        "AK2*820*0001",
        "AK3*BPR*2**8",
        "AK4*2*782*1",
        "AK3*TRN*3**3",  # reported where it was expected: before the N1 that follows BPR
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]
    assert [e.message.split("]")[0][1:] for e in batch.errors] == ["820.BPR02", "820.TRN"]


# Three payee-side ENT loops: an RMR with its own ADX; an ADX of the entity before its RMR;
# an entity with only an ADX.  BPR02 = 90 + 50 (RMR04, net of their own ADX) - 5 - 3.
ENTITY_LOOPS = [
    REMITTANCE[0],
    REMITTANCE[1],
    REMITTANCE[2],
    ("ENT", "1"),
    ("RMR", "IV", "INV-1", "", "90", "100"),
    ("ADX", "-10", "01", "IV", "INV-1"),
    ("ENT", "2"),
    ("ADX", "-5", "55"),
    ("RMR", "IV", "INV-2", "", "50", "50"),
    ("ENT", "3"),
    ("ADX", "-3", "19"),
]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_adx_of_an_entity_loop_is_an_account_adjustment_not_another_loops_invoice(version: str) -> None:
    segments = [("BPR", "C", "132", *ENTITY_LOOPS[0][3:]), *ENTITY_LOOPS[1:]]
    result = map_820(inbound_set(partner("acme"), "820", segments, version=version), partner("acme"))
    # BPR02 is checked against every adjustment, in whichever loop: no note that it does not add up
    assert result.errors == ()
    payment = PaymentIn.model_validate(result.payload)
    assert [(a.invoice_id, a.amount, a.reason_code) for a in payment.adjustments] == [
        ("INV-1", Decimal(-10), "01"),
        ("", Decimal(-5), "55"),
        ("", Decimal(-3), "19"),
    ]
    assert [(r.invoice_id, r.amount) for r in payment.references] == [
        ("INV-1", Decimal(90)),
        ("INV-2", Decimal(50)),
    ]


def test_a_bpr02_that_leaves_out_an_entitys_adjustment_is_noted() -> None:
    # 140 would be right only if the ADX of ENT 2 and 3 belonged to the RMRs before them
    segments = [("BPR", "C", "140", *ENTITY_LOOPS[0][3:]), *ENTITY_LOOPS[1:]]
    result = map_820(inbound_set(partner("acme"), "820", segments), partner("acme"))
    (note,) = result.errors
    assert note.severity == "warning" and "add up to 132" in note.message
