"""Consolidated billing through the engine: shipments of a customer billed ``consolidated``
wait for their window, and the window's timer issues one invoice for all of them.

Runs on the in-memory store here; ``tests/integration/test_consolidated_billing_on_sql.py``
runs the same scenarios on SQLite and PostgreSQL through the ``new_harness`` fixture.

T0 is Monday 2 March 2026, 09:00 UTC; the shipped policy's ``weekly-per-customer`` window
closes on Fridays at 17:00 in the entity's zone (UTC unless a test says otherwise).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2c.analytics.kpis import compute_kpis
from o2c.analytics.source import order_trace
from o2c.domain import events as ev
from o2c.domain.actors import ENGINE
from o2c.domain.consolidation import window_timer_id
from o2c.domain.master import BillingTrigger, ShipTo
from o2c.domain.money import Money
from o2c.domain.timers import TimerKind
from o2c.engine.timers import fire_command
from o2c.policy import parse_policy
from tests.builders import Harness, customer, seed

FRIDAY_CLOSE = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)


def policy(rule_window: str = "weekly-per-customer", customer_id: str | None = None) -> Any:
    """The shipped policy; consolidated customers (or ``customer_id`` alone) on ``rule_window``."""
    from importlib import resources

    raw = yaml.safe_load(resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text())
    rules = raw["billing"]["rules"]
    if customer_id is not None:
        rules.insert(0, {"id": "one-customer", "when": {"customer_id": customer_id},
                         "then": {"trigger": "consolidated", "window": rule_window}})
    else:
        for r in rules:
            if r["then"]["trigger"] == "consolidated":
                r["then"]["window"] = rule_window
    raw["holds"]["stall_hours"] = {"default": 0}  # no stall checks in these scenarios
    return parse_policy(raw)


def consolidated(new_harness: Any, *customers: Any, window: str = "weekly-per-customer") -> Harness:
    h: Harness = new_harness(policies=[policy(window)])
    seed(h.app, *(customers or (customer(trigger=BillingTrigger.CONSOLIDATED),)))
    h.stock("P1", "1000")
    h.stock("P2", "1000", lot="L1")
    return h


def invoices(h: Harness, oid: str) -> list[ev.InvoiceIssued]:
    return [e.payload for e in h.events(oid) if e.type == "InvoiceIssued"]


def all_invoices(h: Harness) -> list[ev.InvoiceIssued]:
    with h.app.store.unit_of_work() as uow:
        return [e.payload for e in uow.events.all() if isinstance(e.payload, ev.InvoiceIssued)]


def fire(h: Harness) -> int:
    return h.app.timer_service().fire_due()


def until(h: Harness, at: datetime) -> None:
    h.clock.set(at)


def test_two_orders_of_a_week_are_invoiced_once_together_at_the_window_close(new_harness: Any) -> None:
    h = consolidated(new_harness)
    a = h.order(po="PO-A").correlation_id
    h.ship_all(a, "SA")
    h.later(days=2)
    b = h.order(po="PO-B", lines=[("P1", "4", "EA"), ("P2", "3", "EA")]).correlation_id
    h.ship_all(b, "SB")
    [w] = [e.payload for e in h.events(a) if e.type == "ShipmentAwaitingInvoice"]
    assert (w.window_start, w.window_end) == (FRIDAY_CLOSE - timedelta(days=7), FRIDAY_CLOSE)
    assert w.key == "C1" and w.decision.rule == "billing/customer-wants-consolidated"
    assert w.decision.inputs["window"] == "weekly-per-customer"
    until(h, FRIDAY_CLOSE - timedelta(microseconds=1))
    assert fire(h) == 0 and all_invoices(h) == []
    until(h, FRIDAY_CLOSE)
    assert fire(h) == 1
    [inv] = all_invoices(h)
    assert inv.order_ids == (a, b) and inv.order_id == a and inv.trigger == "consolidated"
    assert {(ln.order_id, ln.shipment_id, ln.line_no, ln.quantity) for ln in inv.lines} == {
        (a, "SA-W1", 1, Decimal(10)), (b, "SB-W1", 1, Decimal(4)), (b, "SB-W1", 2, Decimal(3))}
    assert inv.subtotal.amount == Decimal("20.00") + Decimal("8.00") + Decimal("12.00")
    assert inv.total == inv.subtotal + inv.tax
    assert inv.decision.rule == "billing.windows.weekly-per-customer"
    for oid in (a, b):
        o = h.get(oid)
        assert o.status.value == "invoiced" and all(s.invoice_id == inv.invoice_id for s in o.shipments)
        assert all(ln.invoiced == ln.shipped for ln in o.lines)
    stored = h.invoice(inv.invoice_id)
    assert stored.orders == (a, b) and stored.total == inv.total.amount
    assert set(h.account("C1").open_items[inv.invoice_id].order_ids) == {a, b}


def test_the_trace_of_every_order_on_a_consolidated_invoice_shows_it(new_harness: Any) -> None:
    h = consolidated(new_harness)
    a = h.order(po="PO-A").correlation_id
    h.ship_all(a, "SA")
    b = h.order(po="PO-B").correlation_id
    h.ship_all(b, "SB")
    until(h, FRIDAY_CLOSE)
    fire(h)
    [inv] = all_invoices(h)
    for oid in (a, b):
        t = order_trace(h.app.store, oid)
        assert t is not None and t.order_id == oid
        issued = [s for s in t.steps if s.type == "InvoiceIssued"]
        assert len(issued) == 1 and inv.invoice_id in issued[0].summary
        assert f"of orders {a}, {b}" in issued[0].summary
        [waiting] = [s for s in t.steps if s.type == "ShipmentAwaitingInvoice"]
        assert "waits for the consolidated invoice of C1 (weekly-per-customer, closing 2026-03-06 17:00)" \
            in waiting.summary
        assert t.status is not None and t.status.value == "invoiced"


def test_a_shipment_after_the_cut_off_waits_for_the_next_window(new_harness: Any) -> None:
    h = consolidated(new_harness)
    a = h.order(po="PO-A").correlation_id
    h.ship_all(a, "SA")
    until(h, FRIDAY_CLOSE + timedelta(minutes=1))
    b = h.order(po="PO-B").correlation_id
    h.ship_all(b, "SB")  # after Friday 17:00: next week's window
    fire(h)
    [first] = all_invoices(h)
    assert first.order_ids == (a,)
    assert h.get(b).shipments[0].invoice_id is None
    until(h, FRIDAY_CLOSE + timedelta(days=7))
    fire(h)
    second = [i for i in all_invoices(h) if i.invoice_id != first.invoice_id]
    assert [i.order_ids for i in second] == [(b,)]


def test_a_daily_window_per_ship_to_issues_one_invoice_per_ship_to(new_harness: Any) -> None:
    c = customer(trigger=BillingTrigger.CONSOLIDATED)
    c = type(c)(**{**{f: getattr(c, f) for f in c.__dataclass_fields__},
                   "ship_tos": (*c.ship_tos, ShipTo(ship_to_id="C1-ST2", name="Store 2", city="Akron",
                                                     region="OH", postal_code="44308", country="US"))})
    h = consolidated(new_harness, c, window="daily-per-ship-to")
    a = h.order(po="PO-A").correlation_id
    b = h.order(po="PO-B", ship_to_id="C1-ST2").correlation_id
    c2 = h.order(po="PO-C").correlation_id
    for oid, sid in ((a, "SA"), (b, "SB"), (c2, "SC")):
        h.ship_all(oid, sid)
    until(h, datetime(2026, 3, 2, 17, 0, tzinfo=UTC))  # Monday's cut-off
    assert fire(h) == 2
    got = sorted(i.order_ids for i in all_invoices(h))
    assert got == sorted([(a, c2), (b,)])


def test_partial_shipments_and_a_backorder_invoice_in_the_windows_they_ship_in(new_harness: Any) -> None:
    h: Harness = new_harness(policies=[policy()])
    seed(h.app, customer(trigger=BillingTrigger.CONSOLIDATED, partial=True))
    h.stock("P1", "6")
    oid = h.order(po="PO-A").correlation_id  # 10 ordered, 6 allocated, 4 backordered
    h.ship_all(oid, "S1")
    until(h, FRIDAY_CLOSE)
    fire(h)
    [first] = all_invoices(h)
    assert [ln.quantity for ln in first.lines] == [Decimal(6)]
    h.later(days=1)
    h.stock("P1", "10")  # the backorder allocates and ships in the next week
    h.ship_all(oid, "S2")
    assert len(all_invoices(h)) == 1
    until(h, FRIDAY_CLOSE + timedelta(days=7))
    fire(h)
    second = [i for i in all_invoices(h) if i.invoice_id != first.invoice_id]
    assert [[ln.quantity for ln in i.lines] for i in second] == [[Decimal(4)]]
    assert h.get(oid).lines[0].invoiced == Decimal(10)


def test_a_window_timer_fired_twice_issues_one_invoice(new_harness: Any) -> None:
    h = consolidated(new_harness)
    a = h.order(po="PO-A").correlation_id
    h.ship_all(a, "SA")
    b = h.order(po="PO-B").correlation_id
    h.ship_all(b, "SB")  # the same window: its timer is set once
    with h.app.store.unit_of_work() as uow:
        timers = [t for t in (uow.timers.get("bill:C1:20260306T170000Z"),) if t is not None]
    assert [t.kind for t in timers] == [TimerKind.BILLING_WINDOW]
    until(h, FRIDAY_CLOSE)
    assert fire(h) == 1
    assert fire(h) == 0
    with h.app.store.unit_of_work() as uow:  # fired again (a replayed firing): nothing left to bill
        h.app.bus.dispatch(uow, fire_command(timers[0]), source="test", causation_id="again", actor=ENGINE)
        uow.commit()
    assert len(all_invoices(h)) == 1


def test_a_pod_after_the_window_closed_and_a_policy_switch_never_bill_twice(new_harness: Any) -> None:
    h = consolidated(new_harness)
    a = h.order(po="PO-A").correlation_id
    h.ship_all(a, "SA")
    until(h, FRIDAY_CLOSE)
    fire(h)
    h.deliver(a, "SA-W1")  # the POD after the consolidated invoice: nothing more to bill
    assert len(all_invoices(h)) == 1
    assert h.dead_letters() == []


def test_a_payment_of_a_consolidated_invoice_pays_and_closes_every_order_on_it(new_harness: Any) -> None:
    h = consolidated(new_harness)
    a = h.order(po="PO-A").correlation_id
    h.ship_all(a, "SA")
    b = h.order(po="PO-B").correlation_id
    h.ship_all(b, "SB")
    until(h, FRIDAY_CLOSE)
    fire(h)
    [inv] = all_invoices(h)
    out = h.pay("C1", [(inv.invoice_id, str(inv.total.amount), "0")])
    assert out.dead_letter_id is None and out.code is None, out
    applied = [e.payload for e in h.events(a) if e.type == "PaymentApplied"]
    assert [p.invoice_id for p in applied] == [inv.invoice_id]
    assert h.invoice(inv.invoice_id).open_amount == 0
    assert h.get(a).status.value == "closed" and h.get(b).status.value == "closed"
    assert h.account("C1").open_ar == 0
    t = order_trace(h.app.store, b)
    assert t is not None and {"PaymentApplied", "InvoicePaid", "OrderClosed"} <= {s.type for s in t.steps}


def test_each_shipment_s_latency_runs_to_its_own_invoice(new_harness: Any) -> None:
    h = consolidated(new_harness)
    a = h.order(po="PO-A").correlation_id
    h.ship_all(a, "SA")  # Monday 09:00
    h.later(days=2)
    b = h.order(po="PO-B").correlation_id
    h.ship_all(b, "SB")  # Wednesday 09:00
    until(h, FRIDAY_CLOSE)
    fire(h)
    with h.app.store.unit_of_work() as uow:
        envs = list(uow.events.all())
    k = compute_kpis(envs, period_start=datetime(2026, 3, 1, tzinfo=UTC),
                     period_end=datetime(2026, 3, 8, tzinfo=UTC))
    lat = k.shipment_to_invoice
    assert lat.count == 2
    assert k.shipments_not_invoiced.count == 0


# ---------------------------------------------------------------- exactly once, whatever happens

#: what each customer switches between: consolidated and on ship (C1), or on POD (C2)
SWITCHES = ((BillingTrigger.CONSOLIDATED, BillingTrigger.ON_SHIP),
            (BillingTrigger.ON_POD, BillingTrigger.CONSOLIDATED))
steps = st.lists(st.one_of(
    st.tuples(st.just("ship"), st.integers(0, 1), st.integers(1, 12)),  # customer, quantity
    st.tuples(st.just("deliver"), st.integers(0, 20), st.just(0)),  # the n-th shipment's POD
    st.tuples(st.just("later"), st.integers(1, 80), st.just(0)),  # hours, then due timers fire
    st.tuples(st.just("switch"), st.integers(0, 1), st.integers(0, 1)),  # customer's trigger
    st.tuples(st.just("refire"), st.just(0), st.just(0)),  # every fired window timer again
), min_size=1, max_size=14)


def switch(h: Harness, customer_id: str, trigger: BillingTrigger) -> None:
    with h.app.store.unit_of_work() as uow:
        c = uow.master.customer(customer_id)
        assert c is not None
        uow.master.add_customer(dataclasses.replace(c, billing_trigger=trigger))
        uow.commit()


def refire(h: Harness) -> None:
    with h.app.store.unit_of_work() as uow:
        fired = [e.payload for e in uow.events.all() if isinstance(e.payload, ev.ShipmentAwaitingInvoice)]
        ids = {window_timer_id(w.key, w.window_end) for w in fired}
        timers = [t for t in (uow.timers.get(i) for i in sorted(ids))
                  if t is not None and t.due_at <= h.clock.now()]
        for t in timers:
            h.app.bus.dispatch(uow, fire_command(t), source="test", causation_id="again", actor=ENGINE)
        uow.commit()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps)
def test_every_shipment_line_is_invoiced_exactly_once_after_all_windows_close(
        plan: list[tuple[str, int, int]]) -> None:
    h = Harness(policies=[policy()])
    seed(h.app, customer("C1", trigger=BillingTrigger.CONSOLIDATED),
         customer("C2", trigger=BillingTrigger.ON_POD))
    h.stock("P1", "10000")
    shipped: list[tuple[str, str]] = []
    for n, (kind, a, b) in enumerate(plan):
        if kind == "ship":
            oid = h.order(customer_id=f"C{a + 1}", po=f"PO-{n}", lines=[("P1", str(b), "EA")]).correlation_id
            h.ship_all(oid, f"S{n}")
            shipped.append((oid, f"S{n}-W1"))
        elif kind == "deliver" and shipped:
            h.deliver(*shipped[a % len(shipped)])
        elif kind == "later":
            h.later(hours=a)
            fire(h)
        elif kind == "switch":
            switch(h, f"C{a + 1}", SWITCHES[a][b])
        elif kind == "refire":
            refire(h)
    for oid, sid in shipped:  # every POD arrives in the end, and every window closes
        if h.get(oid).shipment(sid).delivered_at is None:
            h.deliver(oid, sid)
    h.later(days=15)
    fire(h)
    assert h.dead_letters() == []
    billed: dict[tuple[str, str, int], Decimal] = {}
    for inv in all_invoices(h):
        for ln in inv.lines:
            k = (ln.order_id, ln.shipment_id, ln.line_no)
            assert k not in billed, f"{k} invoiced twice"
            billed[k] = ln.quantity
    expected = {(oid, sid, s.line_no): s.quantity
                for oid, sid in shipped for s in h.get(oid).shipment(sid).lines}
    assert billed == expected
    for oid, _ in shipped:
        o = h.get(oid)
        assert all(ln.invoiced == ln.shipped for ln in o.lines)


def test_invoice_events_stored_before_invoices_had_several_orders_still_read() -> None:
    from o2c.store.codec import dump_event, load_event

    line = ev.InvoiceLine(line_no=1, product_id="P1", quantity=Decimal(2), uom="EA",
                          unit_price=Decimal("2.00"), amount=Decimal("4.00"), order_id="SO-1",
                          shipment_id="SH-1")
    usd = "USD"
    new = ev.InvoiceIssued(
        invoice_id="US-1", order_id="SO-1", customer_id="C1", legal_entity_id="US", shipment_ids=("SH-1",),
        lines=(line,), subtotal=Money(Decimal("4.00"), usd), tax=Money(Decimal("0.29"), usd),
        total=Money(Decimal("4.29"), usd), invoice_date=date(2026, 3, 2), due_date=date(2026, 4, 1),
        discount_date=None, discount=Money(Decimal(0), usd), trigger="on_ship",
        decision=ev.Decision(policy_id="p", version="1", rule="billing/invoice-on-ship", outcome="on_ship"))
    old = json.loads(dump_event(new))
    del old["order_ids"]
    for ln in old["lines"]:
        del ln["order_id"], ln["shipment_id"]
    read = load_event("InvoiceIssued", json.dumps(old))
    assert isinstance(read, ev.InvoiceIssued)
    assert read.order_ids == ("SO-1",) and read.lines_of("SO-1") == read.lines
    assert read.shipments_of("SO-1") == ("SH-1",) and read.shipments_of("SO-2") == ()
    assert load_event("InvoiceIssued", dump_event(new)) == new
    paid = load_event("InvoicePaid",
                      json.dumps({"invoice_id": "US-1", "order_id": "SO-1", "customer_id": "C1"}))
    assert isinstance(paid, ev.InvoicePaid) and paid.order_ids == ("SO-1",)
