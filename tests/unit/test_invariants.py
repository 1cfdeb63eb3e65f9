"""Invariants of the core, checked over many generated histories."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2c.domain.inventory import Need, StockPosition, plan_allocation
from o2c.domain.master import BillingTrigger
from o2c.engine.rebuild import rebuild
from o2c.engine.runtime import Status
from o2c.store.memory import MemoryStore
from tests.builders import Harness, customer, seed

quantities = st.integers(min_value=0, max_value=40).map(Decimal)


@given(
    needs=st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 30)), min_size=1, max_size=6),
    stock=st.lists(st.tuples(st.sampled_from(["W1", "W2", "W3"]), st.sampled_from(["A", "B", "C"]),
                             st.sampled_from(["L1", "L2"]), quantities, quantities),
                   max_size=12, unique_by=lambda t: t[:3]),
    partial=st.booleans(),
)
def test_a_plan_never_takes_more_than_is_available_nor_more_than_needed(needs, stock, partial) -> None:
    positions = [StockPosition(warehouse_id=w, product_id=p, lot_id=lot, expiry=None,
                               on_hand=max(a, b), reserved=min(a, b)) for w, p, lot, a, b in stock]
    plan = plan_allocation(
        [Need(line_no=i, product_id=p, quantity=Decimal(q)) for i, (p, q) in enumerate(needs, 1)],
        positions, warehouse_preference=["W1", "W2", "W3"], accepts_partial=partial,
        today=date(2026, 1, 1))
    taken: dict[tuple[str, str, str], Decimal] = {}
    for pick in plan.picks:
        key = (pick.warehouse_id, pick.product_id, pick.lot_id)
        taken[key] = taken.get(key, Decimal(0)) + pick.quantity
    for p in positions:
        assert taken.get((p.warehouse_id, p.product_id, p.lot_id), Decimal(0)) <= p.atp
    for i, (_, q) in enumerate(needs, 1):
        got = sum((pk.quantity for pk in plan.picks if pk.line_no == i), Decimal(0))
        short = sum((s.quantity for s in plan.shortages if s.line_no == i), Decimal(0))
        assert got + short == q
    if not partial:
        assert not plan.picks or not plan.shortages
        assert len({pk.warehouse_id for pk in plan.picks}) <= 1


# A history is a list of steps applied to a small distributor in random order.
_ship = st.tuples(st.just("ship"), st.integers(0, 5), st.integers(0, 1))
_pay = st.tuples(st.just("pay"), st.integers(0, 5), st.sampled_from(["1", "0.5", "1.1"]))
step = st.one_of(
    st.tuples(st.just("order"), st.integers(1, 3), st.integers(1, 30)),
    _ship, _pay, _ship, _pay,
    st.tuples(st.just("stock"), st.sampled_from(["W1", "W2"]), st.integers(1, 40)),
    st.tuples(st.just("ship"), st.integers(0, 5), st.integers(0, 1)),
    st.tuples(st.just("deliver"), st.integers(0, 5), st.integers(0, 1)),
    st.tuples(st.just("pay"), st.integers(0, 5), st.sampled_from(["1", "0.5", "1.1"])),
    st.tuples(st.just("memo"), st.integers(0, 5), st.sampled_from(["0.3", "1"])),
    st.tuples(st.just("release"), st.integers(0, 5), st.just(0)),
)


def play(h: Harness, steps: list[tuple]) -> list:
    h.stock("P1", "60", wh="W1")
    h.stock("P1", "30", wh="W2")
    outcomes = []
    orders: list[str] = []
    for n, (kind, a, b) in enumerate(steps):
        h.later(hours=3)
        if kind == "order":
            out = h.order(customer_id=f"C{a}", po=f"PO{n}", lines=[("P1", str(b), "EA")])
            if out.correlation_id:
                orders.append(out.correlation_id)
        elif kind == "stock":
            out = h.stock("P1", str(b), wh=a)
        elif not orders:
            continue
        else:
            oid = orders[a % len(orders)]
            order = h.get(oid)
            if kind == "ship":
                outs = h.ship_all(oid, f"S{n}")
                outcomes += outs
                continue
            if kind == "deliver":
                if not order.shipments:
                    continue
                out = h.deliver(oid, order.shipments[b % len(order.shipments)].shipment_id)
            elif kind == "release":
                if not order.open_holds:
                    continue
                out = h.send("hold_decision", {"order_id": oid, "code": order.open_holds[0].code.value,
                                               "by": "ana", "reason": "ok"})
            else:
                if not order.invoices:
                    continue
                inv = h.invoice(sorted(order.invoices)[0])
                amount = (inv.total * Decimal(b)).quantize(Decimal("0.01"))
                if kind == "pay":
                    out = h.pay(order.customer_id, [(inv.invoice_id, str(amount), "0")], payment_id=f"P{n}")
                else:
                    out = h.send("credit_memo", {"invoice_id": inv.invoice_id, "amount": str(amount),
                                                 "reason": "damaged", "by": "bo"})
        outcomes.append(out)
    return outcomes


def harness() -> Harness:
    h = Harness()
    seed(h.app, customer("C1", partial=True), customer("C2", limit="150"),
         customer("C3", trigger=BillingTrigger.ON_POD, home="W2"))
    return h


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=8, max_size=40))
def test_any_history_keeps_the_books_and_the_stock_consistent(steps) -> None:
    h = harness()
    play(h, steps)
    s = h.app.store
    # never allocate more than on hand; reserved matches open allocations
    for pos in s.stock.values():
        assert Decimal(0) <= pos.reserved <= pos.on_hand
    open_alloc: dict[tuple, Decimal] = {}
    for o in s.orders.values():
        for a in o.allocations:
            k = (a.warehouse_id, a.product_id, a.lot_id)
            open_alloc[k] = open_alloc.get(k, Decimal(0)) + a.quantity - a.shipped
        # never invoice more than shipped
        for ln in o.lines:
            assert ln.invoiced <= ln.shipped <= ln.allocated
    for k, pos in s.stock.items():
        assert pos.reserved == open_alloc.get(k, Decimal(0))
    # AR balance = invoices − credit memos − applied cash (and discounts)
    for acct in s.accounts.values():
        invoices = [i for i in s.invoices.values() if i.customer_id == acct.customer_id]
        assert acct.open_ar == sum((i.total for i in invoices), Decimal(0)) - acct.credited \
            - acct.applied - acct.discounts
        assert acct.open_ar == sum((i.open_amount for i in invoices), Decimal(0))
        assert all(i.open_amount >= 0 for i in invoices)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=8, max_size=30))
def test_rebuilding_the_read_models_from_the_log_gives_identical_state(steps) -> None:
    h = harness()
    play(h, steps)
    live = h.app.store
    fresh = MemoryStore(legal_entities=live.legal_entities, warehouses=live.warehouses,
                        customers=live.customers, products=live.products, agreements=live.agreements)
    rebuild(iter(live.events), fresh.unit_of_work)
    assert fresh.orders == live.orders
    assert fresh.invoices == live.invoices
    assert fresh.accounts == live.accounts
    assert fresh.stock == live.stock


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=15))
def test_an_inbound_message_applied_twice_changes_nothing(steps) -> None:
    h = harness()
    play(h, steps)
    s = h.app.store
    before = (len(s.events), repr(s.orders), repr(s.accounts), repr(s.stock))
    for row in list(s.inbox.values()):
        m = row["message"]
        assert h.app.runtime.submit([m])[0].status is Status.DUPLICATE
    assert (len(s.events), repr(s.orders), repr(s.accounts), repr(s.stock)) == before


def test_the_same_seed_gives_the_same_event_log() -> None:
    from o2c.sim.demo import run_demo

    def log(seed: int) -> list[str]:
        app, _, _, _ = run_demo(days=2, seed=seed, db="memory", customers=40, products=120)
        return [json.dumps([e.event_id, e.type, e.occurred_at.isoformat(), e.correlation_id,
                            e.causation_id, e.source, e.entity_id, repr(e.payload)])
                for e in app.store.events]

    first = log(5)
    assert len(first) > 500
    assert log(5) == first
    assert log(6) != first
