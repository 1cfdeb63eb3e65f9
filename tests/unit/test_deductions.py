"""Deductions: what a payer explains it did not pay (remittance adjustments, 820 ADX)
becomes a dispute on the invoice, through the real bus, handlers and projector."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from o2c.adapters.edi import build_interchange, write
from o2c.adapters.edi.maps import PartnerDirectory
from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange
from o2c.domain.disputes import Claim, DisputeReason, plan_deductions, reason_for
from o2c.domain.holds import HoldCode
from o2c.engine.rebuild import rebuild
from o2c.engine.runtime import Status
from o2c.store.memory import MemoryStore
from tests.builders import T0, Harness, seed


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    return h


def invoiced(h: Harness, po: str) -> str:
    """An invoice of 10 P1 at the contract price: 20.00 + 7.25 % tax = 21.45."""
    oid = h.order(po=po, lines=[("P1", "10", "EA")]).correlation_id
    h.ship_all(oid, f"SH-{po}")
    [inv] = h.get(oid).invoices
    assert h.invoice(inv).total == Decimal("21.45")
    return inv


def pay(h: Harness, amount: str, refs: list[tuple[str, str]], adjustments: list[dict[str, str]],
        payment_id: str = "PAY1") -> Any:
    return h.send("payment", {"payment_id": payment_id, "customer_id": "C1", "amount": amount,
                              "currency": "USD", "method": "ach",
                              "references": [{"invoice_id": i, "amount": a} for i, a in refs],
                              "adjustments": adjustments})


def account_events(h: Harness, kind: str) -> list[Any]:
    return [e.payload for e in h.events("account:C1") if e.type == kind]


def applied(h: Harness) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    with h.app.store.unit_of_work() as uow:
        for e in uow.events.all():
            if e.type == "PaymentApplied":
                inv = e.payload.invoice_id
                out[inv] = out.get(inv, Decimal(0)) + e.payload.amount.amount
    return out


def test_a_deduction_on_a_remittance_line_opens_a_dispute_for_what_it_left_open(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    out = pay(h, "11.45", [(inv, "11.45")],
              [{"invoice_id": inv, "amount": "-10.00", "reason_code": "01", "reference_qualifier": "IV",
                "reference": inv}])
    assert out.status is Status.APPLIED
    assert applied(h) == {inv: Decimal("11.45")}
    [dispute] = account_events(h, "DisputeOpened")
    assert (dispute.invoice_id, dispute.customer_id, dispute.reason_code, dispute.amount.amount,
            dispute.payment_id) == (inv, "C1", DisputeReason.PRICING.value, Decimal("10.00"), "PAY1")
    d = dispute.decision
    assert (d.policy_id, d.rule, d.outcome) == ("o2c.default", "cash/deduction", HoldCode.CSH_SHORT_PAY.value)
    assert (d.inputs["adjustment_amount"], d.inputs["adjustment_reason_code"],
            d.inputs["open_after_payment"]) == ("-10.00", "01", "10.00")
    assert account_events(h, "CashUnapplied") == []
    acct = h.account("C1")
    assert acct.open_ar == Decimal("10.00") and acct.disputed == Decimal("10.00")
    assert acct.disputed_on(inv) == Decimal("10.00") and acct.unapplied_cash == 0
    assert h.invoice(inv).open_amount == Decimal("10.00")
    [received] = account_events(h, "PaymentReceived")
    assert received.adjustments[0].reason_code == "01"


def test_a_deduction_of_the_whole_remittance_naming_an_invoice_comes_off_that_invoice(h: Harness) -> None:
    first, second = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    # the payment (32.90) is net of the deduction; the lines are not
    pay(h, "32.90", [(first, "21.45"), (second, "21.45")],
        [{"amount": "-10.00", "reason_code": "04", "reference_qualifier": "IV", "reference": first}])
    assert applied(h) == {first: Decimal("11.45"), second: Decimal("21.45")}
    [dispute] = account_events(h, "DisputeOpened")
    assert (dispute.invoice_id, dispute.amount.amount, dispute.reason_code) == (
        first, Decimal("10.00"), "damage")
    assert h.invoice(second).status.value == "paid"
    with h.app.store.unit_of_work() as uow:
        [why] = [e.payload.decision for e in uow.events.all()
                 if e.type == "PaymentApplied" and e.payload.invoice_id == first]
    assert (why.inputs["remitted"], why.inputs["remitted_less_deductions"]) == ("21.45", "11.45")


def test_a_deduction_naming_no_invoice_is_disputed_on_the_account_not_an_invoice(h: Harness) -> None:
    first, second = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    pay(h, "35.45", [(first, "21.45"), (second, "21.45")], [{"amount": "-7.45", "reason_code": "ZZ"}])
    assert applied(h) == {first: Decimal("21.45"), second: Decimal("14.00")}
    [dispute] = account_events(h, "DisputeOpened")
    assert (dispute.invoice_id, dispute.amount.amount, dispute.reason_code) == ("", Decimal("7.45"), "other")
    d = dispute.decision.inputs
    assert (d["invoice_id"], d["open_after_payment"], d["already_disputed"]) == ("", "7.45", "0")
    acct = h.account("C1")
    assert acct.open_ar == acct.disputed == Decimal("7.45")
    assert acct.disputed_on(second) == 0 and acct.disputed_on("") == Decimal("7.45")


def test_a_deduction_of_the_account_is_disputed_only_up_to_what_the_account_has_open(h: Harness) -> None:
    inv, other = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    pay(h, "17.45", [(inv, "17.45")], [{"invoice_id": inv, "amount": "-4", "reason_code": "01"}])
    # inv: 4.00 open, all of it in dispute; other: 21.45 open. An account deduction of 30 on a
    # payment of 0.01 finds 21.44 open and not disputed, and explains other's short pay.
    out = pay(h, "0.01", [(other, "0.01")], [{"amount": "-30", "reason_code": "59"}], payment_id="PAY2")
    assert out.status is Status.APPLIED
    assert [(d.invoice_id, d.amount.amount) for d in account_events(h, "DisputeOpened")] == [
        (inv, Decimal("4")), ("", Decimal("21.44"))]
    acct = h.account("C1")
    assert acct.open_ar == acct.disputed == Decimal("25.44")


def test_a_deduction_is_disputed_only_up_to_what_is_open_and_not_yet_in_dispute(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    pay(h, "11.45", [(inv, "11.45")], [{"invoice_id": inv, "amount": "-30", "reason_code": "06"}])
    [dispute] = account_events(h, "DisputeOpened")
    assert (dispute.amount.amount, dispute.reason_code) == (Decimal("10.00"), "shortage")
    assert dispute.decision.inputs["adjustment_amount"] == "-30"
    # the same claim on a later payment is already in dispute: no second case
    out = pay(h, "5.00", [(inv, "5.00")], [{"invoice_id": inv, "amount": "-5", "reason_code": "06"}],
              payment_id="PAY2")
    assert out.status is Status.APPLIED
    assert len(account_events(h, "DisputeOpened")) == 1
    assert h.account("C1").open_ar == Decimal("5.00")


def test_additions_open_no_dispute(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    pay(h, "21.45", [(inv, "21.45")], [{"invoice_id": inv, "amount": "2.00", "reason_code": "53"}])
    assert account_events(h, "DisputeOpened") == []
    assert h.invoice(inv).open_amount == Decimal(0)


def test_a_short_payment_without_a_reason_opens_an_unexplained_deduction(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    h.pay("C1", [(inv, "11.45", "0")])
    assert h.invoice(inv).open_amount == Decimal("10.00")
    [dispute] = account_events(h, "DisputeOpened")
    assert (dispute.invoice_id, dispute.amount.amount, dispute.reason_code) == (
        inv, Decimal("10.00"), "other")
    assert dispute.decision is not None and dispute.decision.rule == "cash/short_pay"
    assert dispute.decision.inputs["why"] == "paid less than open, no reason given"
    assert h.account("C1").disputed == Decimal("10.00")


def test_disputes_are_rebuilt_from_the_log(h: Harness) -> None:
    first, second = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    # first's line is net of its own deduction; the payment is net of both
    pay(h, "35.45", [(first, "18.45"), (second, "21.45")],
        [{"invoice_id": first, "amount": "-3", "reason_code": "19"},
         {"amount": "-4.45", "reason_code": "55"}])
    assert [(d.invoice_id, d.reason_code) for d in account_events(h, "DisputeOpened")] == [
        (first, "duplicate_billing"), ("", "tax")]
    live = h.app.store
    fresh = MemoryStore(legal_entities=live.legal_entities, warehouses=live.warehouses,
                        customers=live.customers, products=live.products, agreements=live.agreements)
    rebuild(iter(live.events), fresh.unit_of_work)
    assert fresh.accounts == live.accounts and fresh.invoices == live.invoices
    assert fresh.accounts["C1"].disputed == Decimal("7.45")


@pytest.mark.parametrize(("code", "reason"), [
    ("01", DisputeReason.PRICING), ("59", DisputeReason.SHORTAGE), ("04", DisputeReason.DAMAGE),
    ("19", DisputeReason.DUPLICATE_BILLING), ("55", DisputeReason.TAX), ("09", DisputeReason.TERMS),
    ("CS", DisputeReason.OTHER), (" 01", DisputeReason.PRICING),
])
def test_x12_adjustment_reasons_fold_into_o2cs_dispute_reasons(code: str, reason: DisputeReason) -> None:
    assert reason_for(code) is reason


money = st.integers(min_value=0, max_value=5000).map(lambda c: Decimal(c) / 100)


@given(
    claims=st.lists(st.tuples(st.sampled_from(["", "I1", "I2", "I3", "I9"]), money.filter(bool),
                              st.sampled_from(["01", "59", "CS"])), max_size=8),
    room=st.dictionaries(st.sampled_from(["I1", "I2", "I3"]), money.map(lambda m: m - 10), max_size=3),
    account=money.map(lambda m: m * 3 - 10),
)
def test_deductions_never_exceed_an_invoices_or_the_accounts_room_and_account_for_every_claim(
        claims, room, account) -> None:
    asked = [Claim(invoice_id=i, amount=a, reason_code=r) for i, a, r in claims]
    placed, unplaced = plan_deductions(asked, room, account)
    for inv in {d.invoice_id for d in placed if d.invoice_id}:
        assert Decimal(0) < sum(d.amount for d in placed if d.invoice_id == inv) <= room[inv]
    on_account = sum(d.amount for d in placed if not d.invoice_id)
    assert on_account <= max(account - sum(d.amount for d in placed if d.invoice_id), Decimal(0))
    for c in asked:  # a claim is placed where it names (no invoice: the account); nothing is lost
        mine = [d for d in placed if d.claim is c]
        assert all(d.invoice_id == c.invoice_id and d.amount > 0 for d in mine)
        assert all(d.reason is reason_for(c.reason_code) for d in mine)
    assert sum(d.amount for d in placed) + sum(u.amount for u in unplaced) == sum(c.amount for c in asked)
    # whatever stays unplaced found no room: its invoice, or what is left of the account, is full
    used = {inv: sum(d.amount for d in placed if d.invoice_id == inv) for inv in room}
    for u in unplaced:
        if u.invoice_id:
            assert used.get(u.invoice_id, Decimal(0)) >= max(room.get(u.invoice_id, Decimal(0)), Decimal(0))
        else:
            assert sum(d.amount for d in placed) >= account


# ---------------------------------------------------------------- raw X12 820

PARTNERS = PartnerDirectory.from_mapping(yaml.safe_load("""
partners:
  - partner_id: acme
    isa_qualifier: ZZ
    isa_id: ACME
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: US
    customer_id: C1
    inbound: ["820"]
    outbound: ["997"]
"""))


def remittance_820(amount: str, body: list[tuple[str, ...]], control: int = 31) -> bytes:
    segs = [("BPR", "C", amount, "C", "ACH", "CTX", "01", "999999992", "DA", "123456", "", "", "01",
             "888888880", "DA", "654321", "20260310"),
            ("TRN", "1", f"ACH-{control}"), ("N1", "PR", "ACME STORES"), ("ENT", "1"), *body]
    ic = build_interchange("ACME", "O2CDIST", control, at=T0.replace(tzinfo=None),
                           groups=[("RA", "004010", control, [("820", "0001", segs)])])
    return write(ic).encode()


def test_an_820_with_adx_deductions_becomes_payments_and_disputes(h: Harness) -> None:
    first, second = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    data = remittance_820("30.90", [
        ("ADX", "-2.00", "55"),  # of the whole remittance: BPR02 is net of it
        ("RMR", "IV", first, "PO", "11.45", "21.45"),
        ("ADX", "-10.00", "01", "IV", first),  # of the RMR before it: RMR04 is net of it
        ("RMR", "IV", second, "PO", "21.45", "21.45"),
    ])
    raw = raw_interchange(data, T0, name="ach.820")
    head, outs = h.app.runtime.submit_document(raw, EdiSplitter(PARTNERS))
    assert head.status is Status.APPLIED
    assert [(o.status, o.source, o.source_message_id) for o in outs] == [
        (Status.APPLIED, "edi:acme", "000000031:31:0001")]
    assert applied(h) == {first: Decimal("11.45"), second: Decimal("19.45")}
    disputes = account_events(h, "DisputeOpened")
    assert [(d.invoice_id, d.amount.amount, d.reason_code, d.payment_id) for d in disputes] == [
        (first, Decimal("10.00"), "pricing", "ACH-31"),
        ("", Decimal("2.00"), "tax", "ACH-31"),  # the remittance's own deduction: of the account
    ]
    assert account_events(h, "CashUnapplied") == []
    acct = h.account("C1")
    # what is still open is exactly what is in dispute: every cent of the difference is explained
    assert acct.open_ar == acct.disputed == Decimal("12.00")
    [received] = account_events(h, "PaymentReceived")
    assert [(a.invoice_id, a.amount, a.reason_code) for a in received.adjustments] == [
        ("", Decimal("-2.00"), "55"), (first, Decimal("-10.00"), "01")]
    with h.app.store.unit_of_work() as uow:
        acks = [m for m in uow.outbox.pending() if m.kind == "edi_997"]
    assert len(acks) == 1 and "AK9*A*1*1*1" in acks[0].payload["x12"]


def test_an_820s_entity_adjustments_open_disputes_on_the_account_not_another_loops_invoice(
        h: Harness) -> None:
    from o2c.analytics.source import order_trace

    first, second = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    # BPR02 27.90 = 11.45 + 21.45 (RMR04, net of their own ADX) - 2.00 - 3.00 (the entities')
    data = remittance_820("27.90", [
        ("RMR", "IV", first, "PO", "11.45", "21.45"),
        ("ADX", "-10.00", "01", "IV", first),  # ENT 1: of its RMR
        ("ENT", "2"),
        ("ADX", "-2.00", "55"),  # ENT 2: of the entity, before its RMR
        ("RMR", "IV", second, "PO", "21.45", "21.45"),
        ("ENT", "3"),
        ("ADX", "-3.00", "19"),  # ENT 3: of the entity, which has no RMR
    ], control=32)
    raw = raw_interchange(data, T0, name="ent.820")
    head, outs = h.app.runtime.submit_document(raw, EdiSplitter(PARTNERS))
    assert head.status is Status.APPLIED and [o.status for o in outs] == [Status.APPLIED]
    assert applied(h) == {first: Decimal("11.45"), second: Decimal("16.45")}
    disputes = account_events(h, "DisputeOpened")
    assert [(d.invoice_id, d.amount.amount, d.reason_code) for d in disputes] == [
        (first, Decimal("10.00"), "pricing"),
        ("", Decimal("2.00"), "tax"),
        ("", Decimal("3.00"), "duplicate_billing"),
    ]
    assert account_events(h, "CashUnapplied") == []
    acct = h.account("C1")
    assert acct.open_ar == acct.disputed == Decimal("15.00") and acct.disputed_on(second) == 0
    with h.app.store.unit_of_work() as uow:
        [ack] = [m for m in uow.outbox.pending() if m.kind == "edi_997"]
    assert "AK9*A*1*1*1" in ack.payload["x12"]  # BPR02 adds up: no note on it
    trace = order_trace(h.app.store, "account:C1")
    assert trace is not None
    summaries = [s.summary for s in trace.steps if s.type == "DisputeOpened"]
    assert "opened on account C1: 2.00 USD, reason tax" in summaries[1]


def test_the_accounts_trace_reads_the_payment_and_the_dispute_its_deduction_opened(h: Harness) -> None:
    from o2c.analytics.source import order_trace

    inv = invoiced(h, "PO-1")
    out = pay(h, "11.45", [(inv, "11.45")], [{"invoice_id": inv, "amount": "-10.00", "reason_code": "01"}])
    trace = order_trace(h.app.store, "account:C1")
    assert trace is not None and trace.status is None
    lines = {s.type: s.summary for s in trace.steps}
    assert lines["PaymentReceived"] == "Payment PAY1 received by ach: 11.45 USD for 1 invoice, 1 deduction"
    assert lines["DisputeOpened"].startswith("Dispute ") and (
        f"opened on {inv}: 10.00 USD, reason pricing (deducted from payment PAY1)" in lines["DisputeOpened"])
    # every step points at the remittance it came from
    assert {s.origin for s in trace.steps} == {f"test:{out.source_message_id}"}
