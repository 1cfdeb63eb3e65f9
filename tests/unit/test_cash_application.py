"""Cash application through the real bus, handlers and projector: the payer identified,
each matching rule recorded in the decision, overpayments on account, and what no rule can
place queued for a person with the candidates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from o2c.domain.holds import Role
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, decider, seed


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    return h


def invoiced(h: Harness, po: str, qty: str = "10") -> str:
    oid = h.order(po=po, lines=[("P1", qty, "EA")]).correlation_id
    h.ship_all(oid, f"SH-{po}")
    [inv] = h.get(oid).invoices
    return str(inv)


def total(h: Harness, inv: str) -> Decimal:
    return h.invoice(inv).total  # type: ignore[no-any-return]


def payment(h: Harness, amount: Decimal | str, *, customer: str = "C1",
            refs: list[dict[str, Any]] | None = None, text: str = "", payment_id: str = "PAY1",
            **payer: str) -> Any:
    return h.send("payment", {"payment_id": payment_id, "customer_id": customer, "amount": str(amount),
                              "currency": "USD", "references": refs or [], "text": text, **payer})


def events(h: Harness, kind: str) -> list[Any]:
    with h.app.store.unit_of_work() as uow:
        return [e for e in uow.events.all() if e.type == kind]


def test_each_application_records_its_rule_and_confidence(h: Harness) -> None:
    a, b, c = invoiced(h, "PO-1"), invoiced(h, "PO-2", "7"), invoiced(h, "PO-3", "3")
    out = payment(h, total(h, a) + total(h, b) + total(h, c), refs=[
        {"invoice_id": a.lower().replace("-", " "), "amount": str(total(h, a))},
        {"reference": "PO-2", "qualifier": "PO", "amount": str(total(h, b))},
        {"invoice_id": "unknown-ref", "amount": str(total(h, c))}])
    assert out.status is Status.APPLIED
    rules = {e.payload.invoice_id: (e.payload.decision.rule, e.payload.decision.inputs["confidence"])
             for e in events(h, "PaymentApplied")}
    assert rules == {a: ("cash/reference_noise", "0.97"), b: ("cash/po_number", "0.95"),
                     c: ("cash/unique_amount", "0.92")}
    assert all(h.invoice(i).open_amount == 0 for i in (a, b, c))


def test_a_payer_named_by_no_account_is_found_by_the_invoice_it_pays(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    out = payment(h, total(h, inv), customer="", payer_name="ACME STORES", text=f"INV {inv} THANK YOU")
    assert out.status is Status.APPLIED
    [applied] = events(h, "PaymentApplied")
    assert applied.payload.customer_id == "C1" and applied.payload.invoice_id == inv
    assert applied.payload.decision.inputs["payer_identified_by"] == f"invoice {inv}"
    [received] = events(h, "PaymentReceived")
    assert (received.payload.customer_id, received.payload.payer_name) == ("C1", "ACME STORES")


def test_an_unidentified_payer_waits_for_a_person_and_nothing_is_lost(h: Harness) -> None:
    invoiced(h, "PO-1")
    out = payment(h, "123.45", customer="", payer_name="SOMEONE", payer_account="DE89370400440532013000",
                  text="THANKS")
    assert out.status is Status.APPLIED
    [queued] = events(h, "CashUnapplied")
    assert queued.payload.customer_id == "" and queued.payload.amount.amount == Decimal("123.45")
    assert queued.correlation_id == "payment:PAY1"
    assert "payer not identified" in queued.payload.reason and "SOMEONE" in queued.payload.reason
    assert queued.payload.decision.rule == "cash/unidentified_payer"
    assert h.account("C1").unapplied_cash == 0  # no account is charged with it


def test_an_overpayment_is_credit_on_account(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    payment(h, total(h, inv) + Decimal("5.00"), refs=[{"invoice_id": inv, "amount": str(total(h, inv) + 5)}])
    [credit] = events(h, "CashOnAccount")
    assert credit.payload.amount.amount == Decimal("5.00")
    assert credit.payload.decision.rule == "cash/overpayment"
    acct = h.account("C1")
    assert (acct.on_account, acct.unapplied_cash, acct.open_ar) == (Decimal("5.00"), 0, 0)


def test_an_ambiguous_amount_goes_to_a_person_with_its_candidates(h: Harness) -> None:
    a, b = invoiced(h, "PO-1"), invoiced(h, "PO-2")  # the same amount twice
    out = payment(h, total(h, a))
    assert out.status is Status.APPLIED
    assert events(h, "PaymentApplied") == []
    [queued] = events(h, "CashUnapplied")
    assert set(queued.payload.candidates) == {a, b}
    assert queued.payload.decision.rule == "cash/unplaced"
    assert h.account("C1").unapplied_cash == total(h, a)


def test_a_typo_is_believed_only_when_the_amount_agrees(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    typo = inv[:-2] + inv[-1] + inv[-2]  # the last two digits swapped
    invoiced(h, "PO-2", "3")
    payment(h, "1.00", refs=[{"invoice_id": typo, "amount": "1.00"}], payment_id="PAY1")
    assert events(h, "PaymentApplied") == []
    payment(h, total(h, inv), refs=[{"invoice_id": typo, "amount": str(total(h, inv))}], payment_id="PAY2")
    [applied] = events(h, "PaymentApplied")
    assert applied.payload.invoice_id == inv and applied.payload.decision.rule == "cash/reference_noise"


def test_a_short_pay_explained_by_its_reason_opens_one_dispute_only(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    t = total(h, inv)
    h.send("payment", {"payment_id": "PAY1", "customer_id": "C1", "amount": str(t - 3), "currency": "USD",
                       "references": [{"invoice_id": inv, "amount": str(t - 3)}],
                       "adjustments": [{"invoice_id": inv, "amount": "-3", "reason_code": "06"}]})
    [dispute] = events(h, "DisputeOpened")
    assert (dispute.payload.amount.amount, dispute.payload.reason_code) == (Decimal(3), "shortage")



# ------------------------------------------------------------------ a person of cash application


def queue(h: Harness) -> list[str]:
    with h.app.store.unit_of_work() as uow:
        return uow.payments.waiting()


def test_a_person_names_the_payer_and_applies_the_cash_from_the_queue(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    payment(h, total(h, inv), customer="", payer_name="ACME", text="no reference")
    assert queue(h) == ["PAY1"]
    out = h.send("cash_application", {"payment_id": "PAY1", "customer_id": "C1", "invoice_id": inv,
                                      "reason": "ACME is C1's bank name"}, actor=decider("carla"))
    assert out.status is Status.APPLIED, out.reason
    assert [e.payload.customer_id for e in events(h, "PayerIdentified")] == ["C1"]
    [applied] = events(h, "PaymentApplied")
    assert applied.payload.from_unapplied and applied.payload.decision.rule == "cash/manual"
    assert applied.payload.decision.inputs["by"] == "carla"
    assert queue(h) == [] and h.invoice(inv).open_amount == 0
    acct = h.account("C1")
    assert (acct.unapplied_cash, acct.open_ar) == (0, 0)


def test_an_ambiguous_payment_is_placed_by_a_person_on_one_of_its_candidates(h: Harness) -> None:
    a, b = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    payment(h, total(h, a))
    with h.app.store.unit_of_work() as uow:
        waiting = uow.payments.get("PAY1")
    assert waiting is not None and set(waiting.candidates) == {a, b}
    h.send("cash_application", {"payment_id": "PAY1", "invoice_id": b, "reason": "customer called"})
    assert h.invoice(b).open_amount == 0 and h.invoice(a).open_amount == total(h, a)
    assert h.account("C1").unapplied_cash == 0 and queue(h) == []


def test_misapplied_cash_is_unapplied_and_applied_again(h: Harness) -> None:
    a, b = invoiced(h, "PO-1"), invoiced(h, "PO-2", "7")
    payment(h, total(h, a), refs=[{"invoice_id": a, "amount": str(total(h, a))}])
    assert h.invoice(a).open_amount == 0
    out = h.send("cash_unapplication", {"payment_id": "PAY1", "invoice_id": a, "reason": "meant for PO-2"})
    assert out.status is Status.APPLIED, out.reason
    assert h.invoice(a).open_amount == total(h, a) and h.invoice(a).status.value == "open"
    assert h.account("C1").unapplied_cash == total(h, a) and queue(h) == ["PAY1"]
    assert a in h.account("C1").open_items
    out = h.send("cash_application", {"payment_id": "PAY1", "invoice_id": b, "amount": str(total(h, b)),
                                      "reason": "meant for PO-2"})
    assert out.status is Status.APPLIED, out.reason
    with h.app.store.unit_of_work() as uow:
        pay = uow.payments.get("PAY1")
    assert pay is not None
    assert {k: v.amount for k, v in pay.applications.items()} == {b: total(h, b)}
    assert pay.unapplied == total(h, a) - total(h, b)
    acct = h.account("C1")
    assert acct.open_ar == total(h, a) and acct.unapplied_cash == pay.unapplied


@pytest.mark.parametrize(("body", "message"), [
    ({"payment_id": "NOPE", "invoice_id": "X", "reason": "r"}, "there is no payment NOPE"),
    ({"payment_id": "PAY1", "invoice_id": "X", "reason": "r"}, "not an invoice of C1"),
    ({"payment_id": "PAY1", "customer_id": "C2", "reason": "r"}, "it is from C1, not C2"),
])
def test_what_a_person_may_not_do_is_refused_with_the_reason(h: Harness, body: dict[str, str],
                                                             message: str) -> None:
    a, _ = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    payment(h, total(h, a))  # ambiguous: waits
    out = h.send("cash_application", body)
    assert out.status is Status.DEAD_LETTERED and message in out.reason


def test_only_cash_application_roles_may_apply_by_hand(h: Harness) -> None:
    a, _ = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    payment(h, total(h, a))
    out = h.send("cash_application", {"payment_id": "PAY1", "invoice_id": a, "reason": "r"},
                 actor=decider("bea", Role.BILLING))
    assert out.status is Status.REFUSED and "applying cash by hand needs one of the roles" in out.reason


def test_the_kpis_follow_cash_taken_back_and_a_payer_named(h: Harness) -> None:
    from datetime import timedelta

    from o2c.analytics.kpis import compute_kpis

    a, b = invoiced(h, "PO-1"), invoiced(h, "PO-2", "7")
    payment(h, total(h, a), refs=[{"invoice_id": a, "amount": str(total(h, a))}])
    payment(h, "40.00", customer="", payer_name="ACME", text="no reference", payment_id="PAY2")
    h.send("cash_unapplication", {"payment_id": "PAY1", "invoice_id": a, "reason": "meant for PO-2"})
    h.send("cash_application", {"payment_id": "PAY2", "customer_id": "C1", "reason": "ACME is C1",
                                "invoice_id": b, "amount": "10.00"})
    with h.app.store.unit_of_work() as uow:
        envs = list(uow.events.all())
    now = h.clock.now()
    r = compute_kpis(envs, period_start=now - timedelta(days=30), period_end=now + timedelta(days=1),
                     by="customer")
    acct = h.account("C1")
    usd = r.receivables["USD"]
    assert usd.ending_ar == acct.open_ar == total(h, a) + total(h, b) - Decimal("10.00")
    assert sum(usd.aging.values()) == usd.ending_ar  # the invoice taken back from is aged again
    cash = r.groups["C1"].cash.amounts["USD"]
    assert (cash.unapplied, cash.unapplied_payments) == (total(h, a) + Decimal("30.00"), 2)
    assert acct.unapplied_cash == cash.unapplied


IBAN = "DE89370400440532013000"


def test_a_bank_account_that_paid_for_one_account_names_the_payer_next_time(h: Harness) -> None:
    a, b = invoiced(h, "PO-1"), invoiced(h, "PO-2", "7")
    payment(h, total(h, a), customer="", payer_name="ACME", payer_account=IBAN, text="THANKS")
    assert queue(h) == ["PAY1"]  # the first time nobody knows the account: a person does
    h.send("cash_application", {"payment_id": "PAY1", "customer_id": "C1", "invoice_id": a,
                                "reason": "ACME is C1"}, actor=decider("carla"))
    out = payment(h, total(h, b), customer="", payer_name="ACME", payer_account=IBAN, text="THANKS",
                  payment_id="PAY2")
    assert out.status is Status.APPLIED
    assert queue(h) == [] and h.invoice(b).open_amount == 0
    applied = [e.payload for e in events(h, "PaymentApplied") if e.payload.payment_id == "PAY2"]
    [p] = applied
    assert p.decision.rule == "cash/unique_amount"
    assert p.decision.inputs["payer_identified_by"] == "bank account …3000, which paid for C1 before"
    assert IBAN not in str(p.decision.inputs)  # the account number is not copied into decisions


def test_a_bank_account_that_paid_for_two_accounts_names_nobody(h: Harness) -> None:
    seed(h.app, customer("C2"))
    for cust, pid in (("C1", "PAY1"), ("C2", "PAY2")):  # a parent paying for two accounts
        h.send("payment", {"payment_id": pid, "customer_id": cust, "amount": "5.00", "currency": "USD",
                           "payer_account": IBAN})
    inv = invoiced(h, "PO-1")
    payment(h, total(h, inv), customer="", payer_account=IBAN, text="THANKS", payment_id="PAY3")
    assert "PAY3" in queue(h) and h.invoice(inv).open_amount == total(h, inv)
