"""Dispute cases through the real bus, handlers and projector: routed by the policy when
they open (by hand or from a deduction), escalated on their SLA, and resolved by a person
with the authority to: a credit memo, a write-off within the role's limit, or a rejection
with evidence."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.disputes import DisputeReason, DisputeStatus
from o2c.domain.holds import Role
from o2c.domain.money import Money
from o2c.domain.receivables import Account
from o2c.engine.runtime import Status
from o2c.policy import PolicyError, parse_policy
from tests.builders import T0, Harness, decider, seed
from tests.policy_docs import SHIPPED


@pytest.fixture
def h(new_harness: Any) -> Harness:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    return h


def invoiced(h: Harness, po: str = "PO-1", qty: str = "10") -> str:
    """An invoice of ``qty`` P1 at the contract price 2.00 + 7.25 % tax (10: 21.45)."""
    oid = h.order(po=po, lines=[("P1", qty, "EA")]).correlation_id
    h.ship_all(oid, f"SH-{po}")
    [inv] = h.get(oid).invoices
    return str(inv)


def open_case(h: Harness, inv: str, category: str = "shortage", actor: Any = None, **body: Any) -> Any:
    return h.send(
        "dispute",
        {"invoice_id": inv, "category": category, "note": "customer called", **body},
        actor=actor or decider("cara", Role.CUSTOMER_SERVICE),
    )


def resolve(h: Harness, dispute_id: str, resolution: str, actor: Any, **body: Any) -> Any:
    return h.send(
        "dispute_resolution",
        {"dispute_id": dispute_id, "resolution": resolution, "reason": "checked with the warehouse", **body},
        actor=actor,
    )


def evidence(h: Harness, dispute_id: str, actor: Any, kind: str = "signed_bol", **body: Any) -> Any:
    return h.send(
        "dispute_evidence",
        {"dispute_id": dispute_id, "kind": kind, "reference": "BOL-778", **body},
        actor=actor,
    )


def account_events(h: Harness, kind: str, customer: str = "C1") -> list[Any]:
    return [e.payload for e in h.events(f"account:{customer}") if e.type == kind]


def case(h: Harness, dispute_id: str) -> Any:
    with h.app.store.unit_of_work() as uow:
        return uow.disputes.get(dispute_id)


def opened_id(h: Harness) -> str:
    return str(account_events(h, "DisputeOpened")[-1].dispute_id)


BILLING = decider("bea", Role.BILLING)
AR_MANAGER = decider("ari", Role.AR_MANAGER)
WAREHOUSE = decider("wes", Role.WAREHOUSE_OPS)


# ---------------------------------------------------------------- routing

SHIPPED_ROUTES = yaml.safe_load(SHIPPED)["disputes"]["routes"]


@pytest.mark.parametrize("category", [c.value for c in DisputeReason])
def test_each_category_is_routed_to_the_owner_and_sla_the_policy_names(h: Harness, category: str) -> None:
    inv = invoiced(h)
    assert open_case(h, inv, category).status is Status.APPLIED
    [e] = account_events(h, "DisputeOpened")
    route = SHIPPED_ROUTES[category]
    assert (e.owner_role, e.escalation_role) == (route["owner"], route["escalation"])
    assert e.route.rule == f"disputes/route/{category}"
    assert (e.route.policy_id, e.route.outcome) == ("o2c.default", route["owner"])
    assert e.route.inputs["sla_due_at"] == e.sla_due_at.isoformat()
    # T0 is a Monday 09:00 UTC: hours elapse, days are business days (the weekend skipped)
    expected = (
        timedelta(hours=route["sla_hours"])
        if "sla_hours" in route
        else timedelta(days=route["sla_days"] + 2 * ((route["sla_days"] - 1) // 5 + (route["sla_days"] >= 5)))
    )
    assert e.sla_due_at - h.clock.now() == expected
    d = case(h, e.dispute_id)
    assert (d.status, d.owner_role, d.category.value, d.amount, d.invoice_id, d.legal_entity_id) == (
        DisputeStatus.OPEN,
        route["owner"],
        category,
        Decimal("21.45"),
        inv,
        "US",
    )
    assert d.order_id == h.invoice(inv).order_id


def test_an_entity_override_routes_its_cases_to_another_owner(new_harness: Any) -> None:
    raw = yaml.safe_load(SHIPPED)
    raw["entities"] = {"US": {"disputes": {"routes": {"pricing": {"owner": "sales_ops"}}}}}
    h: Harness = new_harness(policies=[parse_policy(raw)])
    seed(h.app)
    h.stock("P1", "100")
    inv = invoiced(h)
    open_case(h, inv, "pricing")
    [e] = account_events(h, "DisputeOpened")
    assert (e.owner_role, e.escalation_role) == ("sales_ops", "controller")  # the rest inherited
    assert e.sla_due_at - h.clock.now() == timedelta(days=7)  # 5 business days from a Monday


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"routes": {"pricing": {"owner": "wizard", "sla_days": 1, "escalation": "controller"}}},
            "disputes.routes.pricing.owner",
        ),
        ({"routes": {"pricing": {"owner": "pricing", "escalation": "controller"}}}, "sla_hours or sla_days"),
        (
            {"routes": {"gifts": {"owner": "pricing", "sla_days": 1, "escalation": "controller"}}},
            "not a dispute category",
        ),
        ({"write_off_limits": {"billing": {"USD": 100.5}}}, "quoted strings"),
    ],
)
def test_the_policy_refuses_a_bad_disputes_section_naming_the_path(
    change: dict[str, Any], message: str
) -> None:
    raw = yaml.safe_load(SHIPPED)
    for k, v in change.items():
        raw["disputes"][k] = v
    with pytest.raises(PolicyError, match=message):
        parse_policy(raw)


def test_a_deduction_opens_a_routed_case_with_what_o2c_knows(h: Harness) -> None:
    oid = h.order(po="PO-9", lines=[("P1", "10", "EA")]).correlation_id
    h.ship_all(oid, "SH-9")
    [inv] = h.get(oid).invoices
    h.send(
        "delivery",
        {
            "order_id": oid,
            "shipment_id": "SH-9-W1",
            "signed_by": "R. Dock",
            "delivered_at": h.clock.now().isoformat(),
        },
    )
    out = h.send(
        "payment",
        {
            "payment_id": "PAY1",
            "customer_id": "C1",
            "amount": "16.45",
            "currency": "USD",
            "references": [{"invoice_id": inv, "amount": "16.45"}],
            "adjustments": [{"invoice_id": inv, "amount": "-5.00", "reason_code": "06"}],
        },
    )
    assert out.status is Status.APPLIED
    [e] = account_events(h, "DisputeOpened")
    assert (e.reason_code, e.owner_role, e.payment_id, e.decision.rule, e.route.rule) == (
        "shortage",
        "billing",
        "PAY1",
        "cash/deduction",
        "disputes/route/shortage",
    )
    [pod] = case(h, e.dispute_id).evidence
    assert (pod.kind, pod.reference, pod.by) == ("pod", f"ProofOfDeliveryReceived {oid}/SH-9-W1", "o2c")


def test_a_pricing_case_carries_the_contract_price_the_lines_were_priced_by(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "pricing", lines=[1])
    [price] = case(h, opened_id(h)).evidence
    assert (price.kind, price.reference) == ("contract_price", "PA-C1-P1@v1")


# ---------------------------------------------------------------- SLA and escalation


def fire(h: Harness) -> int:
    return h.app.timer_service().fire_due()


def test_a_case_open_at_its_sla_escalates_once_then_up_the_ladder_and_tells_the_role(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "duplicate_billing")  # billing, 24 hours, escalates to ar_manager
    did = opened_id(h)
    h.later(hours=23, minutes=59)
    fire(h)
    assert account_events(h, "DisputeEscalated") == []
    h.later(minutes=1)
    fire(h)
    [up] = account_events(h, "DisputeEscalated")
    assert (up.from_role, up.to_role, up.decision.rule) == (
        "billing",
        "ar_manager",
        "disputes/escalate/duplicate_billing",
    )
    assert up.next_due_at == h.clock.now() + timedelta(hours=24)
    d = case(h, did)
    assert (d.status, d.waits_on, d.sla_due) == (DisputeStatus.ESCALATED, "ar_manager", up.next_due_at)
    with h.app.store.unit_of_work() as uow:
        told = [m for m in uow.outbox.pending(100) if m.kind == "notification"]
    assert [m.destination for m in told] == ["role:ar_manager"]
    fire(h)
    assert len(account_events(h, "DisputeEscalated")) == 1  # not again before its next SLA
    h.later(hours=24)
    fire(h)
    last = account_events(h, "DisputeEscalated")[-1]
    assert (last.from_role, last.to_role, last.next_due_at) == ("ar_manager", "controller", None)
    h.later(hours=240)
    fire(h)
    assert len(account_events(h, "DisputeEscalated")) == 2  # the top of the ladder


def test_a_case_resolved_before_its_sla_never_escalates(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "duplicate_billing")
    assert resolve(h, opened_id(h), "credit_memo", BILLING).status is Status.APPLIED
    h.later(hours=100)
    fire(h)
    assert account_events(h, "DisputeEscalated") == []


# ---------------------------------------------------------------- authority


def test_only_the_owner_escalation_role_ar_manager_or_controller_act_on_a_case(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "shortage")  # owner billing, escalation ar_manager
    did = opened_id(h)
    out = resolve(h, did, "credit_memo", WAREHOUSE)
    assert (out.status, out.code) == (Status.REFUSED, "AUTH-FORBIDDEN")
    assert "only ar_manager, billing, controller may act on it" in out.reason
    refused = evidence(h, did, decider("cs", Role.CUSTOMER_SERVICE))
    assert refused.status is Status.REFUSED and "customer_service" in refused.reason
    assert case(h, did).evidence == [] and case(h, did).is_open
    assert evidence(h, did, decider("ctl", Role.CONTROLLER)).status is Status.APPLIED


def test_an_api_key_or_a_system_cannot_resolve_a_case(h: Harness) -> None:
    from o2c.domain.actors import Actor, ActorKind

    inv = invoiced(h)
    open_case(h, inv)
    key = Actor(kind=ActorKind.API_KEY, id="k1", roles=frozenset({Role.BILLING}))
    out = resolve(h, opened_id(h), "credit_memo", key)
    assert out.status is Status.REFUSED and "named person" in out.reason


@pytest.mark.parametrize(
    ("who", "amount", "applied"),
    [(BILLING, "100.00", True), (BILLING, "100.01", False), (AR_MANAGER, "100.01", True)],
)
def test_a_write_off_is_refused_beyond_the_persons_limit(
    new_harness: Any, who: Any, amount: str, applied: bool
) -> None:
    h: Harness = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    inv = invoiced(h, qty="100")  # 214.50
    open_case(h, inv, "shortage", amount="150.00")
    out = resolve(h, opened_id(h), "write_off", who, amount=amount)
    assert (out.status is Status.APPLIED) is applied
    if not applied:
        assert "beyond user:bea's authority (at most 100 USD as billing)" in out.reason
        assert out.status is Status.REFUSED and case(h, opened_id(h)).is_open
        assert h.account("C1").written_off == 0


# ---------------------------------------------------------------- resolutions


def test_a_credit_memo_resolution_credits_the_dispute_amount_on_its_lines(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "shortage", lines=[1], amount="4.00")
    did = opened_id(h)
    assert resolve(h, did, "credit_memo", BILLING).status is Status.APPLIED
    [memo] = [e.payload for e in h.events(h.invoice(inv).order_id) if e.type == "CreditMemoIssued"]
    assert (memo.amount.amount, memo.dispute_id, memo.lines, memo.invoice_id) == (
        Decimal("4.00"),
        did,
        (1,),
        inv,
    )
    [done] = account_events(h, "DisputeResolved")
    assert (done.outcome, done.credit_memo_id, done.amount.amount, done.settled.amount, done.by) == (
        "credit_memo",
        memo.credit_memo_id,
        Decimal("4.00"),
        Decimal("4.00"),
        "bea",
    )
    assert done.decision.rule == "disputes/resolve/credit_memo"
    d = case(h, did)
    assert (d.status, d.outcome, d.settled, d.credit_memo_id) == (
        DisputeStatus.RESOLVED,
        "credit_memo",
        Decimal("4.00"),
        memo.credit_memo_id,
    )
    assert h.invoice(inv).open_amount == Decimal("17.45")
    assert h.account("C1").disputed == 0


def test_a_credit_memo_of_a_stated_amount_and_a_case_closed_only_once(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "damage", amount="10.00")
    did = opened_id(h)
    cs = decider("cara", Role.CUSTOMER_SERVICE)
    assert resolve(h, did, "credit_memo", cs, amount="6.00").status is Status.APPLIED
    assert case(h, did).settled == Decimal("6.00")
    again = resolve(h, did, "credit_memo", cs)
    assert again.status is Status.DEAD_LETTERED and "resolved already" in again.reason


def test_a_write_off_reduces_ar_apart_from_credit_memos_and_keeps_the_subledger_balanced(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "other", amount="21.45")
    out = resolve(h, opened_id(h), "write_off", decider("col", Role.COLLECTIONS))
    assert out.status is Status.APPLIED
    [off] = [e.payload for e in h.events(h.invoice(inv).order_id) if e.type == "ReceivableWrittenOff"]
    assert (off.amount.amount, off.by, off.decision.inputs["limit"]) == (Decimal("21.45"), "col", "250")
    a = h.account("C1")
    assert (a.written_off, a.credited, a.open_ar, a.disputed) == (Decimal("21.45"), 0, 0, 0)
    assert a.invoiced - a.credited - a.applied - a.discounts - a.written_off == a.open_ar
    assert h.invoice(inv).open_amount == 0 and h.invoice(inv).status.value == "paid"
    assert inv not in a.open_items


def test_a_rejection_needs_evidence_and_leaves_the_amount_owed(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "shortage", amount="5.00")
    did = opened_id(h)
    refused = resolve(h, did, "reject", BILLING)
    assert refused.status is Status.DEAD_LETTERED and "needs evidence" in refused.reason
    assert evidence(h, did, BILLING, text="signed clean, 10 of 10").status is Status.APPLIED
    assert resolve(h, did, "reject", BILLING).status is Status.APPLIED
    [done] = account_events(h, "DisputeResolved")
    assert (done.outcome, done.settled, done.amount.amount) == ("reject", None, Decimal("5.00"))
    d = case(h, did)
    assert d.status is DisputeStatus.REJECTED
    assert [(x.kind, x.reference, x.text, x.by) for x in d.evidence] == [
        ("signed_bol", "BOL-778", "signed clean, 10 of 10", "bea")
    ]
    assert h.invoice(inv).open_amount == Decimal("21.45")
    assert h.account("C1").open_ar == Decimal("21.45") and h.account("C1").disputed == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"category": "gifts"}, "not a category"),
        ({"amount": "30.00"}, "at most the 21.45 USD open"),
        ({"amount": "1.001"}, "decimal"),
        ({"lines": [7]}, "it has no line 7"),
        ({"invoice_id": "US-9999999"}, "there is no invoice"),
    ],
)
def test_opening_a_case_refuses_what_cannot_be_disputed(
    h: Harness, body: dict[str, Any], message: str
) -> None:
    inv = invoiced(h)
    out = (
        open_case(h, **{"inv": inv, **body}) if "invoice_id" not in body else open_case(h, body["invoice_id"])
    )
    assert out.status is not Status.APPLIED
    assert message in out.reason


def test_each_action_on_a_case_is_audited_with_who_and_the_case_before(h: Harness) -> None:
    inv = invoiced(h)
    open_case(h, inv, "shortage", amount="5.00")
    did = opened_id(h)
    resolve(h, did, "credit_memo", BILLING)
    with h.app.store.unit_of_work() as uow:
        entries = [e for e in uow.audit.entries() if e.subject_type == "dispute"]
    [entry] = entries
    before = json.loads(entry.before or "{}")
    assert (entry.action, entry.subject_id, entry.actor_label, before["status"], before["waits_on"]) == (
        "dispute.resolve",
        did,
        "user:bea",
        "open",
        "billing",
    )


# ---------------------------------------------------------------- from a short pay to a credit memo


def test_a_deduction_in_an_820_becomes_a_case_resolved_by_a_credit_memo(h: Harness) -> None:
    """The full path: a remittance deducts 5.00 for a shortage (ADX 06); the case goes to
    billing, who credits it; the invoice is then settled."""
    inv = invoiced(h)
    h.send(
        "payment",
        {
            "payment_id": "PAY1",
            "customer_id": "C1",
            "amount": "16.45",
            "currency": "USD",
            "references": [{"invoice_id": inv, "amount": "16.45"}],
            "adjustments": [{"invoice_id": inv, "amount": "-5.00", "reason_code": "06"}],
        },
    )
    [opened] = account_events(h, "DisputeOpened")
    assert (opened.amount.amount, opened.owner_role) == (Decimal("5.00"), "billing")
    assert h.account("C1").disputed == Decimal("5.00")
    assert resolve(h, opened.dispute_id, "credit_memo", BILLING).status is Status.APPLIED
    assert h.invoice(inv).open_amount == 0
    assert h.invoice(inv).status.value == "paid"
    a = h.account("C1")
    assert (a.open_ar, a.disputed, a.credited) == (0, 0, Decimal("5.00"))
    assert case(h, opened.dispute_id).status is DisputeStatus.RESOLVED


# ---------------------------------------------------------------- the AR subledger, as a property

_USD = "USD"


def _money(cents: int) -> Money:
    return Money(Decimal(cents) / 100, _USD)


_TOTALS = st.lists(st.integers(1, 100_000), min_size=1, max_size=4)
_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["memo", "pay", "write_off", "dispute", "resolve"]),
        st.integers(0, 3),
        st.integers(1, 100),
    ),
    min_size=8,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(totals=_TOTALS, steps=_STEPS)
def test_the_ar_subledger_balances_with_credit_memos_payments_and_write_offs(
    totals: list[int], steps: list[tuple[str, int, int]]
) -> None:
    """invoices − credit memos − applied cash − discounts − write-offs = open AR = Σ open items,
    on the account and on the invoices, whatever order the settlements come in; disputes
    change what is contested, never what is owed."""
    _settle(totals, steps)


def _settle(totals: list[int], steps: list[tuple[str, int, int]]) -> set[str]:
    d = ev.Decision(policy_id="p", version="1", rule="r", outcome="o")
    account = Account(customer_id="C1", currency=_USD)
    invoices: dict[str, Invoice] = {}
    for i, cents in enumerate(totals):
        e = ev.InvoiceIssued(
            invoice_id=f"I{i}",
            order_id=f"O{i}",
            customer_id="C1",
            legal_entity_id="US",
            shipment_ids=(),
            lines=(),
            subtotal=_money(cents),
            tax=_money(0),
            total=_money(cents),
            invoice_date=T0.date(),
            due_date=T0.date(),
            discount_date=None,
            discount=_money(0),
            trigger="on_ship",
            decision=d,
        )
        account.apply(e)
        invoices[e.invoice_id] = Invoice.start(e)
    reached: set[str] = set()
    for n, (kind, which, percent) in enumerate(steps):
        inv = invoices[f"I{which % len(totals)}"]
        part = (inv.open_amount * percent / 100).quantize(Decimal("0.01"), ROUND_DOWN)
        e: ev.Event
        if kind == "dispute":
            e = ev.DisputeOpened(
                dispute_id=f"D{n}",
                invoice_id=inv.invoice_id,
                customer_id="C1",
                reason_code="shortage",
                amount=Money(part, _USD),
            )
        elif kind == "resolve" and account.disputes:
            first = next(iter(account.disputes))
            e = ev.DisputeResolved(
                dispute_id=first, invoice_id="", customer_id="C1", outcome="reject", credit_memo_id=None
            )
        elif part <= 0 or kind == "resolve":
            continue
        elif kind == "memo":
            e = ev.CreditMemoIssued(
                credit_memo_id=f"CM{n}",
                invoice_id=inv.invoice_id,
                order_id="",
                customer_id="C1",
                amount=Money(part, _USD),
                reason="r",
            )
        elif kind == "pay":
            disc = (part / 10).quantize(Decimal("0.01"), ROUND_DOWN)
            e = ev.PaymentApplied(
                payment_id=f"P{n}",
                customer_id="C1",
                invoice_id=inv.invoice_id,
                order_id="",
                amount=Money(part - disc, _USD),
                discount=Money(disc, _USD),
                decision=d,
            )
        else:
            e = ev.ReceivableWrittenOff(
                write_off_id=f"W{n}",
                invoice_id=inv.invoice_id,
                order_id="",
                customer_id="C1",
                amount=Money(part, _USD),
                dispute_id="",
                by="x",
                reason="r",
                decision=d,
            )
        reached.add(kind)
        account.apply(e)
        if kind in ("memo", "pay", "write_off"):
            inv.apply(e)
        a = account
        assert a.open_ar == a.invoiced - a.credited - a.applied - a.discounts - a.written_off
        assert a.open_ar == sum((i.open_amount for i in invoices.values()), Decimal(0))
        assert a.open_ar == sum((i.open_amount for i in a.open_items.values()), Decimal(0))
        assert all(i.open_amount >= 0 for i in invoices.values())
    assert account.invoiced == sum((Decimal(c) / 100 for c in totals), Decimal(0))
    return reached


def test_the_subledger_property_reaches_every_kind_of_settlement() -> None:
    """The generator above proves its reach: over its examples, every kind of settlement
    (a credit memo, a payment with a discount, a write-off, a dispute opened and resolved)
    is applied many times."""
    seen: Counter[str] = Counter()

    @settings(max_examples=100, deadline=None, derandomize=True, database=None)
    @given(totals=_TOTALS, steps=_STEPS)
    def run(totals: list[int], steps: list[tuple[str, int, int]]) -> None:
        seen.update(_settle(totals, steps))

    run()
    assert all(seen[k] >= 20 for k in ("memo", "pay", "write_off", "dispute", "resolve")), seen


def test_the_accounts_trace_tells_a_cases_path(h: Harness) -> None:
    from o2c.analytics.source import order_trace

    inv = invoiced(h)
    open_case(h, inv, "duplicate_billing", amount="3.00")
    did = opened_id(h)
    h.later(hours=25)
    h.app.timer_service().fire_due()
    evidence(h, did, AR_MANAGER, kind="document", reference="INV-COPY-7")
    resolve(h, did, "write_off", AR_MANAGER)
    trace = order_trace(h.app.store, "account:C1")
    assert trace is not None
    lines = {s.type: s.summary for s in trace.steps}
    assert lines["DisputeEscalated"] == (f"Dispute {did} on {inv} passed its SLA with billing: escalated to "
                                         "ar_manager")
    assert lines["DisputeEvidenceAttached"] == f"Evidence on dispute {did}: document INV-COPY-7 (by ari)"
    assert lines["DisputeResolved"].endswith("resolved: write_off by ari (checked with the warehouse)")


def test_the_kpis_count_a_write_off_out_of_ar_and_the_case_as_resolved(h: Harness) -> None:
    from datetime import UTC, datetime

    from o2c.analytics.kpis import compute_kpis

    inv = invoiced(h)
    open_case(h, inv, "other", amount="2.00")
    h.later(days=2)
    resolve(h, opened_id(h), "write_off", decider("col", Role.COLLECTIONS))
    with h.app.store.unit_of_work() as uow:
        log = list(uow.events.all())
    report = compute_kpis(iter(log), period_start=datetime(2026, 3, 1, tzinfo=UTC),
                          period_end=datetime(2026, 4, 1, tzinfo=UTC))
    assert report.receivables["USD"].ending_ar == h.account("C1").open_ar == Decimal("19.45")
    assert (report.disputes.opened, report.disputes.resolved) == (1, 1)
