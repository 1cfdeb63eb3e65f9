"""Collections through the real bus, handlers, projector and timers: dunning from the
policy's steps, suppressed by disputes and promises; promises kept and broken; the worklist
and aging as the store answers them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c.domain import events as ev
from o2c.domain.actors import user
from o2c.domain.collections import PromiseStanding
from o2c.domain.holds import Role
from o2c.domain.money import Money
from o2c.domain.timers import TimerState
from o2c.engine.projector import project
from o2c.engine.runtime import Status
from tests.builders import Harness, decider, seed

COLLECTOR = user("cole", Role.COLLECTIONS)


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "5000")
    return h


def invoiced(h: Harness, po: str, qty: str = "100") -> Any:
    """An invoice of ``qty`` P1 at 2.00 + 7.25 % tax (100: 214.50), due in 30 days."""
    oid = h.order(po=po, lines=[("P1", qty, "EA")]).correlation_id
    h.ship_all(oid, f"SH-{po}")
    [inv] = h.get(oid).invoices
    return h.invoice(inv)


def at(h: Harness, day: date, hour: int = 7) -> None:
    h.clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))


def run(h: Harness, actor: Any = COLLECTOR) -> Any:
    return h.send("dunning_run", {"legal_entity_id": "US"}, actor=actor)


def notices(h: Harness) -> list[ev.DunningNoticeSent]:
    return [e.payload for e in h.events("account:C1") if isinstance(e.payload, ev.DunningNoticeSent)]


def promise(h: Harness, amount: str, on: date, invoices: list[str] | None = None,
            actor: Any = COLLECTOR) -> Any:
    return h.send("promise_to_pay", {"customer_id": "C1", "amount": amount,
                                     "promised_date": on.isoformat(), "invoice_ids": invoices or [],
                                     "note": "called, will pay"}, actor=actor)


def fire(h: Harness) -> int:
    return h.app.timer_service().fire_due()


def short_pay(h: Harness, inv: str, paid: str, deducted: str) -> None:
    out = h.send("payment", {
        "payment_id": f"PAY-{inv}", "customer_id": "C1", "amount": paid, "currency": "USD",
        "references": [{"invoice_id": inv, "amount": paid}],
        "adjustments": [{"invoice_id": inv, "amount": f"-{deducted}", "reason_code": "01",
                         "reference_qualifier": "IV", "reference": inv}]})
    assert out.status is Status.APPLIED


def resolve(h: Harness, dispute_id: str, invoice_id: str) -> None:
    """A dispute resolved, applied through the projector as the engine applies any event."""
    apply(h, ev.DisputeResolved(dispute_id=dispute_id, invoice_id=invoice_id, customer_id="C1",
                                outcome="withdrawn", credit_memo_id=None))


def apply(h: Harness, e: ev.Event) -> None:
    env = ev.Envelope(event_id=f"E-{h.clock.now().isoformat()}-{e.entity_id}-{type(e).__name__}",
                      type=type(e).__name__, occurred_at=h.clock.now(),
                      recorded_at=h.clock.now(), correlation_id="account:C1", causation_id=None,
                      source="test",
                      entity_type=e.entity_type, entity_id=e.entity_id, payload=e)
    with h.app.store.unit_of_work() as uow:
        project(env, uow)
        uow.events.append([env])
        uow.commit()


def worklist(h: Harness) -> list[Any]:
    with h.app.store.unit_of_work() as uow:
        return uow.invoices.worklist({"US": h.clock.now().date()}, h.clock.now().date())


# ---------------------------------------------------------------- dunning


def test_each_dunning_step_is_sent_once_and_only_the_latest_step_reached(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    assert inv.due_date == date(2026, 4, 1)
    at(h, date(2026, 4, 1))
    run(h)
    assert notices(h) == []  # due today: current
    at(h, date(2026, 4, 2))
    run(h)
    run(h)
    [first] = notices(h)
    assert (first.step, first.channel, first.days_past_due, first.amount.amount) == (
        "reminder", "email", 1, Decimal("214.50"))
    assert "invoice " + inv.invoice_id in first.text and "214.50 USD" in first.text
    d = first.decision
    assert (d.policy_id, d.rule, d.outcome) == ("o2c.default", "collections/dunning/reminder", "email")
    assert (d.inputs["days_past_due"], d.inputs["undisputed"]) == ("1", "214.50")
    at(h, date(2026, 4, 20))
    run(h)
    at(h, date(2026, 6, 1))  # 61 days: the final step, once
    run(h)
    run(h)
    assert [n.step for n in notices(h)] == ["reminder", "second", "final"]
    assert h.invoice(inv.invoice_id).dunned == ["reminder", "second", "final"]


def test_an_invoice_first_dunned_late_gets_only_the_step_it_has_reached(h: Harness) -> None:
    invoiced(h, "PO-1")
    at(h, date(2026, 5, 20))  # 49 days past due
    run(h)
    at(h, date(2026, 5, 21))
    run(h)
    assert [n.step for n in notices(h)] == ["final"]


def test_each_notice_is_written_to_the_outbox_with_its_text(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    at(h, date(2026, 4, 2))
    run(h)
    with h.app.store.unit_of_work() as uow:
        [msg] = [m for m in uow.outbox.pending() if m.kind == "dunning_notice"]
    assert msg.destination == "customer:C1"
    assert (msg.payload["invoice_id"], msg.payload["step"], msg.payload["amount"]) == (
        inv.invoice_id, "reminder", "214.50")
    assert msg.payload["text"] == notices(h)[0].text


def test_the_daily_timer_runs_dunning_and_sets_its_next_run(h: Harness) -> None:
    invoiced(h, "PO-1")
    with h.app.store.unit_of_work() as uow:  # the first day the invoice may be dunned: due + 1
        first = uow.timers.get("dunning:US:2026-04-02")
    assert first.state is TimerState.SCHEDULED and first.due_at == datetime(2026, 4, 2, 6, tzinfo=UTC)
    at(h, date(2026, 4, 2), hour=6)
    fire(h)
    assert [n.step for n in notices(h)] == ["reminder"]
    with h.app.store.unit_of_work() as uow:
        assert uow.timers.get("dunning:US:2026-04-02").state is TimerState.FIRED
        nxt = uow.timers.get("dunning:US:2026-04-03")
    assert nxt.state is TimerState.SCHEDULED and nxt.due_at == datetime(2026, 4, 3, 6, tzinfo=UTC)
    fire(h)
    assert len(notices(h)) == 1


def test_a_disputed_amount_is_not_dunned_only_the_undisputed_rest(h: Harness) -> None:
    a = invoiced(h, "PO-1")
    b = invoiced(h, "PO-2")
    short_pay(h, a.invoice_id, "114.50", "100.00")  # 100.00 left open, all of it disputed
    apply(h, ev.DisputeOpened(dispute_id="D-B", invoice_id=b.invoice_id, customer_id="C1",
                              reason_code="pricing", amount=Money(Decimal("100.00"), "USD")))
    # 214.50 open on b, 100.00 of it disputed
    assert h.invoice(a.invoice_id).disputed == Decimal("100.00")
    at(h, date(2026, 4, 2))
    run(h)
    [n] = notices(h)
    assert (n.invoice_id, n.amount.amount) == (b.invoice_id, Decimal("114.50"))
    assert (n.decision.inputs["open_amount"], n.decision.inputs["disputed"]) == ("214.50", "100.00")


def test_the_worklist_skips_a_disputed_invoice_while_the_dispute_is_open_and_lists_it_once_resolved(
        h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    short_pay(h, inv.invoice_id, "114.50", "100.00")
    [opened] = [e.payload for e in h.events("account:C1") if isinstance(e.payload, ev.DisputeOpened)]
    at(h, date(2026, 4, 11))
    assert worklist(h) == []
    run(h)
    assert notices(h) == []
    resolve(h, opened.dispute_id, inv.invoice_id)
    assert h.invoice(inv.invoice_id).disputed == 0
    [entry] = worklist(h)
    assert (entry.customer_id, entry.past_due, entry.oldest_days, entry.value_at_risk) == (
        "C1", Decimal("100.00"), 10, Decimal("1000.00"))
    run(h)
    assert [n.amount.amount for n in notices(h)] == [Decimal("100.00")]


def test_nothing_is_dunned_below_the_policys_minimum(h: Harness) -> None:
    invoiced(h, "PO-1", qty="10")  # 21.45 < 25.00
    at(h, date(2026, 4, 5))
    run(h)
    assert notices(h) == []


# ---------------------------------------------------------------- promises


def test_a_promise_suppresses_dunning_of_its_invoices_while_it_stands(h: Harness) -> None:
    a = invoiced(h, "PO-1")
    b = invoiced(h, "PO-2")
    at(h, date(2026, 4, 2))
    out = promise(h, "214.50", date(2026, 4, 10), [a.invoice_id])
    assert out.status is Status.APPLIED, out.reason
    run(h)
    assert [n.invoice_id for n in notices(h)] == [b.invoice_id]
    [rec] = [e for e in h.events("account:C1") if e.type == "PromiseToPayRecorded"]
    assert (rec.payload.by, rec.payload.amount.amount, rec.payload.due_at) == (
        "cole", Decimal("214.50"), datetime(2026, 4, 13, tzinfo=UTC))
    assert [w.promise for w in worklist(h)] == [PromiseStanding.STANDING]


def test_a_promise_not_paid_by_its_date_and_grace_is_broken_and_dunning_resumes(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    at(h, date(2026, 4, 2), hour=5)
    promise(h, "214.50", date(2026, 4, 10))
    h.clock.set(datetime(2026, 4, 12, 23, tzinfo=UTC))
    fire(h)
    assert notices(h) == [] and h.account("C1").promises
    h.clock.set(datetime(2026, 4, 13, 7, tzinfo=UTC))
    fire(h)  # the promise's due check and the day's dunning run
    [broken] = [e.payload for e in h.events("account:C1") if isinstance(e.payload, ev.PromiseBroken)]
    assert (broken.paid.amount, broken.decision.rule) == (Decimal(0), "collections/promise/broken")
    acct = h.account("C1")
    assert (acct.promise, acct.promises_broken, acct.risk) == (PromiseStanding.BROKEN, 1, Decimal("1.5"))
    run(h)
    assert [n.invoice_id for n in notices(h)] == [inv.invoice_id]
    [top] = worklist(h)
    assert (top.promise, top.risk, top.value_at_risk) == (
        PromiseStanding.BROKEN, Decimal("1.5"), Decimal("214.50") * 12 * Decimal("1.5"))


def test_a_promise_paid_by_its_date_is_kept(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    at(h, date(2026, 4, 2), hour=5)
    promise(h, "214.50", date(2026, 4, 10), [inv.invoice_id])
    at(h, date(2026, 4, 9))
    h.pay("C1", [(inv.invoice_id, "214.50", "0")])
    h.clock.set(datetime(2026, 4, 13, 1, tzinfo=UTC))
    fire(h)
    [kept] = [e.payload for e in h.events("account:C1") if isinstance(e.payload, ev.PromiseKept)]
    assert kept.paid.amount == Decimal("214.50")
    assert h.account("C1").promise is PromiseStanding.NONE


def test_only_the_roles_the_policy_names_may_record_a_promise(h: Harness) -> None:
    invoiced(h, "PO-1")
    out = promise(h, "10.00", date(2026, 4, 10), actor=user("bo", Role.BILLING))
    assert out.status is Status.REFUSED
    assert "recording a promise to pay needs one of the roles" in out.reason
    out = promise(h, "10.00", date(2026, 4, 10), actor=user("cm", Role.CREDIT_MANAGER))
    assert out.status is Status.REFUSED and "collections.promise_roles" in out.reason
    out = promise(h, "10.00", date(2026, 4, 10), actor=user("ar", Role.AR_MANAGER))
    assert out.status is Status.APPLIED


def test_a_promise_is_refused_for_a_past_date_or_more_than_is_open(h: Harness) -> None:
    invoiced(h, "PO-1")
    assert "before today" in promise(h, "10.00", date(2026, 3, 1)).reason
    assert "more than the 214.50" in promise(h, "500.00", date(2026, 4, 1)).reason
    assert "not an invoice of C1" in promise(h, "10.00", date(2026, 4, 1), ["NOPE"]).reason


def test_a_promise_is_audited_with_who_recorded_it(h: Harness) -> None:
    invoiced(h, "PO-1")
    promise(h, "100.00", date(2026, 4, 10))
    with h.app.store.unit_of_work() as uow:
        entries = uow.audit.find(person="cole")
    [entry] = [e for e in entries if e.action == "promise_to_pay.record"]
    assert entry.subject_type == "account" and entry.subject_id == "C1"


# ---------------------------------------------------------------- the store's figures


def test_aging_buckets_an_account_by_days_past_due_in_its_entitys_date(h: Harness) -> None:
    invoiced(h, "PO-1")
    h.later(days=20)
    invoiced(h, "PO-2")
    at(h, date(2026, 5, 5))
    with h.app.store.unit_of_work() as uow:
        [row] = uow.invoices.aging({"US": date(2026, 5, 5)}, date(2026, 5, 5))
    assert (row.key, row.currency, row.invoices) == ("C1", "USD", 2)
    assert row.buckets == {"current": 0, "1-30": Decimal("214.50"), "31-60": Decimal("214.50"), "61-90": 0,
                           "over_90": 0}


def test_an_entitys_business_date_decides_days_past_due_across_midnight_utc(h: Harness) -> None:
    inv = invoiced(h, "PO-1")
    # 02:00 UTC on 2 April is still 1 April in Chicago: not yet past due there.
    with h.app.store.unit_of_work() as uow:
        chicago = uow.invoices.aging({"US": date(2026, 4, 1)}, date(2026, 4, 2))
        utc = uow.invoices.aging({}, date(2026, 4, 2))
        assert uow.invoices.past_due("US", date(2026, 4, 1)) == []
        assert uow.invoices.past_due("US", date(2026, 4, 2)) == [inv.invoice_id]
    assert chicago[0].buckets["current"] == Decimal("214.50")
    assert utc[0].buckets["1-30"] == Decimal("214.50")
    assert timedelta(0) == timedelta(0)


def test_a_short_pay_case_is_never_chased_while_open_gone_once_credited_and_chased_once_rejected(
        h: Harness) -> None:
    """A dispute's whole path through the engine: two short pays open cases; collections
    leaves both alone while they are open; the one credited is settled, the one rejected (with
    evidence) is owed again and comes back to the worklist and to dunning."""
    from tests.unit.test_disputes import evidence as attach
    from tests.unit.test_disputes import resolve as settle

    ari = decider("ari", Role.AR_MANAGER)
    a, b = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    short_pay(h, a.invoice_id, "114.50", "100.00")
    short_pay(h, b.invoice_id, "114.50", "100.00")
    cases = {e.payload.invoice_id: e.payload.dispute_id for e in h.events("account:C1")
             if isinstance(e.payload, ev.DisputeOpened)}
    at(h, date(2026, 4, 11))
    assert worklist(h) == []
    run(h)
    assert notices(h) == []

    assert settle(h, cases[a.invoice_id], "credit_memo", ari).status is Status.APPLIED
    assert attach(h, cases[b.invoice_id], ari, reference="BOL-77").status is Status.APPLIED
    assert settle(h, cases[b.invoice_id], "reject", ari).status is Status.APPLIED
    assert h.invoice(a.invoice_id).open_amount == 0
    [entry] = worklist(h)
    assert (entry.customer_id, entry.past_due) == ("C1", Decimal("100.00"))
    run(h)
    assert [(n.invoice_id, n.amount.amount) for n in notices(h)] == [(b.invoice_id, Decimal("100.00"))]
