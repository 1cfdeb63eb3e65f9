"""Invariants over random histories that mix buyers' changes, warehouse picks and exceptions,
carrier statuses and people's hold decisions with the ordinary flow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2c.domain.master import BillingTrigger
from o2c.domain.orders import OrderStatus
from o2c.engine.rebuild import rebuild
from o2c.store.memory import MemoryStore
from tests.builders import Harness, customer, seed

which = st.integers(0, 5)
_exception = st.tuples(st.just("exception"), which, st.integers(0, 12),
                       st.sampled_from(["SHORT", "LOT_MISSING"]))
_decide = st.tuples(st.just("decide"), which, st.sampled_from(["release", "override", "reject"]), st.just(0))
step = st.one_of(
    _exception, _decide,
    st.tuples(st.just("order"), st.integers(1, 3), st.integers(1, 30), st.integers(0, 8)),
    st.tuples(st.just("stock"), st.sampled_from(["W1", "W2"]), st.integers(1, 40), st.just(0)),
    st.tuples(st.just("qty"), which, st.integers(1, 40), st.just(0)),
    st.tuples(st.just("cancel_line"), which, st.integers(1, 2), st.just(0)),
    st.tuples(st.just("add_line"), which, st.integers(1, 20), st.just(0)),
    st.tuples(st.just("cancel"), which, st.just(0), st.just(0)),
    st.tuples(st.just("ship"), which, st.just(0), st.just(0)),
    st.tuples(st.just("pick"), which, st.just(0), st.just(0)),
    st.tuples(st.just("exception"), which, st.integers(0, 12), st.sampled_from(["SHORT", "LOT_MISSING"])),
    st.tuples(st.just("status"), which, st.sampled_from(["X6", "SD", "A9"]), st.just(0)),
    st.tuples(st.just("decide"), which, st.sampled_from(["release", "override", "reject"]), st.just(0)),
)


def play(h: Harness, steps: list[tuple]) -> None:
    h.stock("P1", "20", wh="W1")
    h.stock("P2", "20", wh="W2")
    orders: list[tuple[str, str, str]] = []  # order id, customer, PO
    for n, (kind, a, b, c) in enumerate(steps):
        h.later(hours=2)
        if kind == "order":
            lines = [("P1", str(b), "EA")] + ([("P2", str(c), "EA")] if c else [])
            out = h.order(customer_id=f"C{a}", po=f"PO{n}", lines=lines)
            if out.correlation_id:
                orders.append((out.correlation_id, f"C{a}", f"PO{n}"))
            continue
        if kind == "stock":
            h.stock("P1" if a == "W1" else "P2", str(b), wh=a)
            continue
        if not orders:
            continue
        oid, cust, po = orders[a % len(orders)]
        order = h.get(oid)
        head = {"legal_entity_id": "US", "customer_id": cust, "po_number": po, "change_sequence": str(n)}
        if kind == "qty":
            h.send("order_change", {**head, "purpose": "change", "lines": [
                {"line_no": 1, "changes": ["change_quantity"], "change_code": "QC", "quantity": str(b)}]})
        elif kind == "cancel_line":
            h.send("order_change", {**head, "purpose": "change", "lines": [
                {"line_no": b, "changes": ["cancel"], "change_code": "DI"}]})
        elif kind == "add_line":
            h.send("order_change", {**head, "purpose": "change", "lines": [
                {"line_no": 10 + n, "changes": ["add"], "change_code": "AI", "product_id": "P2",
                 "quantity": str(b), "uom": "EA"}]})
        elif kind == "cancel":
            h.send("order_change", {**head, "purpose": "cancel"})
        elif kind == "ship":
            h.ship_all(oid, f"S{n}")
        elif kind == "pick":
            for wh in sorted({al.warehouse_id for al in order.allocations}):
                h.send("pick_confirmed", {"order_id": oid, "warehouse_id": wh,
                                          "picked_at": h.clock.now().isoformat(),
                                          "lines": [{"line_no": order.lines[0].line_no,
                                                     "product_id": order.lines[0].product_id,
                                                     "quantity": "1"}]})
        elif kind == "exception":
            open_ = [al for al in order.allocations if al.quantity - al.shipped > 0]
            if not open_:
                continue
            al = open_[0]
            lines = [{"line_no": al.line_no, "product_id": al.product_id, "quantity": str(b)}] if b else []
            h.send("fulfilment_exception", {"order_id": oid, "warehouse_id": al.warehouse_id,
                                            "reported_at": h.clock.now().isoformat(), "code": c,
                                            "lines": lines})
        elif kind == "status":
            if order.shipments:
                h.send("shipment_status", {"shipment_id": order.shipments[-1].shipment_id, "order_id": oid,
                                           "statuses": [{"code": b, "at": (h.clock.now() - timedelta(
                                               minutes=1)).isoformat()}]})
        elif kind == "decide" and order.open_holds:
            hold = order.open_holds[0]
            action = b if b in {x.value for x in hold.kind.actions} else hold.kind.actions[0].value
            h.send("hold_decision", {"order_id": oid, "code": hold.code.value, "by": "ana",
                                     "reason": "decided", "action": action})


def harness() -> Harness:
    h = Harness()
    seed(h.app, customer("C1", partial=True), customer("C2", limit="150"),
         customer("C3", trigger=BillingTrigger.ON_POD, home="W2"))
    return h


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=6, max_size=35))
def test_any_mix_of_changes_and_warehouse_reports_keeps_stock_and_orders_consistent(steps) -> None:
    h = harness()
    play(h, steps)
    s = h.app.store
    open_alloc: dict[tuple, Decimal] = {}
    for o in s.orders.values():
        for a in o.allocations:
            assert a.shipped <= a.quantity  # per allocation, not only per line
            k = (a.warehouse_id, a.product_id, a.lot_id)
            open_alloc[k] = open_alloc.get(k, Decimal(0)) + a.quantity - a.shipped
        for ln in o.lines:
            assert ln.invoiced <= ln.shipped <= ln.allocated
            assert ln.shipped + ln.closed_short <= ln.allocated or not ln.allocated
        if o.status not in (OrderStatus.RECEIVED, OrderStatus.VALIDATED, OrderStatus.CREDIT_APPROVED,
                            OrderStatus.BACKORDERED, OrderStatus.REJECTED):
            assert o.lines, "a released order keeps its lines"
    # reserved stock is exactly what open allocations hold, never more than on hand
    for k, pos in s.stock.items():
        assert Decimal(0) <= pos.reserved <= pos.on_hand
        assert pos.reserved == open_alloc.get(k, Decimal(0))
    # the read models are a fold of the log
    fresh = MemoryStore(legal_entities=s.legal_entities, warehouses=s.warehouses,
                        customers=s.customers, products=s.products, agreements=s.agreements)
    rebuild(iter(s.events), fresh.unit_of_work)
    assert fresh.orders == s.orders
    assert fresh.stock == s.stock
    # nothing the engine itself caused failed: only inbound messages may be parked
    assert all(dl.source != "o2c.engine" or dl.code in ("INV-SHORT",) for dl in h.dead_letters())
