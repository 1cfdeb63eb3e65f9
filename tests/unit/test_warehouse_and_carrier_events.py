"""What warehouses and carriers report besides shipments and deliveries: picks
(``pick_confirmed``), exceptions (``fulfilment_exception``) and carrier statuses
(``shipment_status``, X12 214), through the real runtime.

Runs on the in-memory store here and on SQLite and PostgreSQL in
``tests/integration/test_warehouse_events_on_sql.py``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c.domain.holds import HoldCode
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import T0, Harness, customer, seed


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    return h


def released(h: Harness, lines: list[tuple[str, str, str]] | None = None, po: str = "PO-1") -> str:
    h.stock("P1", "100")
    oid = h.order(lines=lines, po=po).correlation_id
    assert h.get(oid).status is OrderStatus.RELEASED
    return oid


def pick(h: Harness, oid: str, at: Any = None, *, wh: str = "W1", line: int = 1, product: str = "P1",
         msg_id: str | None = None):
    return h.send("pick_confirmed", {"order_id": oid, "warehouse_id": wh,
                                     "picked_at": (at or h.clock.now()).isoformat(),
                                     "lines": [{"line_no": line, "product_id": product, "quantity": "10"}]},
                  msg_id=msg_id)


def exception(h: Harness, oid: str, code: str = "SHORT", lines: list[tuple[int, str, str]] | None = None,
              *, wh: str = "W1", reason: str = "only 8 on the shelf"):
    return h.send("fulfilment_exception", {
        "order_id": oid, "warehouse_id": wh, "reported_at": h.clock.now().isoformat(), "code": code,
        "reason": reason,
        "lines": [{"line_no": n, "product_id": p, "quantity": q} for n, p, q in (lines or [])]})


def status(h: Harness, oid: str, *codes: str, shipment: str = "SH1-W1", **extra: Any):
    """Each code at its own time (the same code is the same status when sent again)."""
    return h.send("shipment_status", {
        "shipment_id": shipment, "order_id": oid, "carrier": "FFRT", "tracking_no": "PRO-1",
        "statuses": [{"code": c, "reason": "NS", "at": (T0 + timedelta(minutes=sum(map(ord, c)))).isoformat(),
                      "city": "TOLEDO", "region": "OH", "country": "US"} for c in codes],
        **extra})


def payloads(h: Harness, order_id: str, type_: str) -> list[Any]:
    return [e.payload for e in h.events(order_id) if e.type == type_]


def reserved(h: Harness, product: str = "P1") -> Decimal:
    with h.app.store.unit_of_work() as uow:
        return sum((p.reserved for p in uow.stock.positions([product])), Decimal(0))


# ---------------------------------------------------------------- picks


def test_a_pick_is_recorded_with_its_time_once(h: Harness) -> None:
    oid = released(h)
    h.later(hours=2)
    at = h.clock.now()
    assert pick(h, oid, at).status is Status.APPLIED
    order = h.get(oid)
    assert order.picked_at == at and order.status is OrderStatus.RELEASED
    assert order.allocations[0].shipped == 0  # a pick moves no quantity
    assert pick(h, oid, at).status is Status.APPLIED  # the same pick sent again
    (picked,) = payloads(h, oid, "PickConfirmed")
    assert (picked.warehouse_id, picked.picked_at, picked.lines[0].quantity) == ("W1", at, Decimal(10))
    later = at + timedelta(hours=1)
    pick(h, oid, later)
    assert h.get(oid).picked_at == later and len(payloads(h, oid, "PickConfirmed")) == 2


def test_a_pick_for_an_unknown_order_or_line_is_an_unknown_reference(h: Harness) -> None:
    out = pick(h, "SO-99999999")
    assert out.status is Status.DEAD_LETTERED and out.code == "INT-UNKNOWN-REFERENCE"
    oid = released(h)
    out = pick(h, oid, line=4)
    assert out.code == "INT-UNKNOWN-REFERENCE" and "has no line 4" in (out.reason or "")
    assert pick(h, oid, product="P2").code == "FUL-QTY-MISMATCH"


def test_a_pick_before_the_release_waits_for_it(h: Harness) -> None:
    oid = h.order().correlation_id
    assert h.get(oid).status is OrderStatus.BACKORDERED
    out = pick(h, oid)
    assert out.status is Status.DEAD_LETTERED and out.code == "INT-OUT-OF-ORDER"
    (letter,) = h.dead_letters()
    assert letter.waiting_for == f"release:{oid}"
    h.stock("P1", "100")  # re-allocation releases the order: the parked pick applies
    assert h.dead_letters() == []
    assert h.get(oid).picked_at is not None and len(payloads(h, oid, "PickConfirmed")) == 1


# ---------------------------------------------------------------- fulfilment exceptions


def test_a_short_pick_holds_the_order_and_override_closes_only_what_is_missing(h: Harness) -> None:
    oid = released(h)
    out = exception(h, oid, lines=[(1, "P1", "2")])
    assert out.status is Status.APPLIED
    order = h.get(oid)
    (hold,) = order.open_holds
    assert hold.code is HoldCode.FUL_QTY_MISMATCH and hold.kind.owner.value == "warehouse_ops"
    assert "W1 reports SHORT: only 8 on the shelf (line 1 P1 lot -: 2)" in hold.reason
    (reported,) = payloads(h, oid, "FulfilmentExceptionReported")
    assert (reported.hold_id, reported.hold_code) == (hold.hold_id, HoldCode.FUL_QTY_MISMATCH)
    assert reported.decision.rule == "fulfilment-exception/cannot-fulfil-as-allocated"
    assert reported.decision.inputs["code"] == "SHORT"
    assert exception(h, oid, lines=[(1, "P1", "2")]).status is Status.APPLIED  # sent again
    assert len(payloads(h, oid, "FulfilmentExceptionReported")) == 1
    h.send("hold_decision", {"order_id": oid, "code": "FUL-QTY-MISMATCH", "by": "wo",
                             "reason": "the 2 are not coming", "action": "override"})
    order = h.get(oid)
    assert not order.on_hold and order.line(1).closed_short == Decimal(2)
    assert reserved(h) == Decimal(8)
    h.ship_all(oid)  # ships the 8 left: complete, no short-shipment hold
    order = h.get(oid)
    assert order.status is OrderStatus.INVOICED and not order.on_hold
    assert reserved(h) == Decimal(0)


def test_releasing_the_exception_hold_keeps_the_allocation(h: Harness) -> None:
    oid = released(h)
    exception(h, oid, reason="")
    (hold,) = h.get(oid).open_holds
    assert "(all it holds for the order)" in hold.reason
    h.send("hold_decision", {"order_id": oid, "code": "FUL-QTY-MISMATCH", "by": "wo",
                             "reason": "found them", "action": "release"})
    assert reserved(h) == Decimal(10) and not h.get(oid).on_hold
    h.ship_all(oid)
    assert h.get(oid).status is OrderStatus.INVOICED


def test_an_exception_without_lines_closes_everything_open_there_on_override(h: Harness) -> None:
    oid = released(h)
    exception(h, oid, code="DAMAGED")
    h.send("hold_decision", {"order_id": oid, "code": "FUL-QTY-MISMATCH", "by": "wo", "reason": "gone",
                             "action": "override"})
    assert reserved(h) == Decimal(0) and h.get(oid).line(1).closed_short == Decimal(10)


def test_a_missing_lot_is_a_lot_hold_and_rejecting_it_gives_the_stock_back(h: Harness) -> None:
    oid = released(h)
    exception(h, oid, code="lot_missing", lines=[(1, "P1", "10")], reason="lot L7 not in bin")
    (hold,) = h.get(oid).open_holds
    assert hold.code is HoldCode.INV_LOT_UNAVAILABLE and hold.kind.owner.value == "warehouse_ops"
    assert payloads(h, oid, "FulfilmentExceptionReported")[0].decision.rule == \
        "fulfilment-exception/lot-missing"
    h.send("hold_decision", {"order_id": oid, "code": "INV-LOT-UNAVAILABLE", "by": "wo",
                             "reason": "no other lot", "action": "reject"})
    assert h.get(oid).status is OrderStatus.REJECTED and reserved(h) == Decimal(0)


def test_an_exception_joins_an_open_short_shipment_hold(new_harness) -> None:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "100")
    oid = h.order(lines=[("P1", "10", "EA"), ("P1", "6", "EA")]).correlation_id
    h.send("shipment", {"shipment_id": "S1", "order_id": oid, "warehouse_id": "W1",
                        "lines": [{"line_no": 1, "product_id": "P1", "quantity": "10"}]})
    (hold,) = h.get(oid).open_holds  # line 2 not shipped
    exception(h, oid, lines=[(2, "P1", "6")])
    assert h.get(oid).open_holds == [hold]
    assert payloads(h, oid, "FulfilmentExceptionReported")[0].hold_id == hold.hold_id
    h.send("hold_decision", {"order_id": oid, "code": "FUL-QTY-MISMATCH", "by": "wo", "reason": "short",
                             "action": "override"})
    assert h.get(oid).line(2).closed_short == Decimal(6) and reserved(h) == Decimal(0)


def test_an_exception_before_the_release_waits_and_one_for_nothing_open_is_refused(h: Harness) -> None:
    oid = h.order().correlation_id
    out = exception(h, oid)
    assert out.code == "INT-OUT-OF-ORDER"
    h.stock("P1", "100")
    assert h.dead_letters() == [] and h.get(oid).open_holds[0].code is HoldCode.FUL_QTY_MISMATCH
    other = released(h, po="PO-2")
    h.ship_all(other)
    out = exception(h, other)
    assert out.code == "FUL-QTY-MISMATCH" and "nothing left to ship from W1" in (out.reason or "")


# ---------------------------------------------------------------- carrier statuses


def test_carrier_milestones_are_recorded_for_track_and_trace(h: Harness) -> None:
    oid = released(h)
    h.ship_all(oid)
    assert status(h, oid, "AF", "X6").status is Status.APPLIED
    order = h.get(oid)
    assert [s.code for s in order.shipment("SH1-W1").statuses] == ["AF", "X6"]
    assert order.shipment("SH1-W1").statuses[1].city == "TOLEDO" and not order.on_hold
    (reported,) = payloads(h, oid, "ShipmentStatusReported")
    assert reported.decision.rule == "shipment-status/milestone"
    status(h, oid, "X6", "X1")  # X6 again, X1 new
    assert [s.code for s in h.get(oid).shipment("SH1-W1").statuses] == ["AF", "X6", "X1"]
    status(h, oid, "X6")
    assert len(payloads(h, oid, "ShipmentStatusReported")) == 2


def test_a_delay_raises_a_late_ship_hold_once(h: Harness) -> None:
    oid = released(h)
    h.ship_all(oid)
    status(h, oid, "X6", "SD")
    (hold,) = h.get(oid).open_holds
    assert hold.code is HoldCode.FUL_LATE_SHIP and hold.kind.owner.value == "warehouse_ops"
    assert "carrier FFRT reports status SD reason NS for shipment SH1-W1 (PRO-1)" in hold.reason
    (reported,) = payloads(h, oid, "ShipmentStatusReported")
    assert (reported.decision.rule, reported.decision.outcome) == ("shipment-status/carrier-reports-delay",
                                                                  "FUL-LATE-SHIP")
    h.later(hours=3)
    status(h, oid, "A9")  # damaged: recorded, the open hold stays the one
    assert len(h.get(oid).open_holds) == 1
    h.send("hold_decision", {"order_id": oid, "code": "FUL-LATE-SHIP", "by": "wo", "reason": "called"})
    assert not h.get(oid).on_hold


def test_a_delay_after_delivery_is_only_recorded(h: Harness) -> None:
    oid = released(h)
    h.ship_all(oid)
    h.deliver(oid, "SH1-W1")
    status(h, oid, "SD")
    assert not h.get(oid).on_hold and len(payloads(h, oid, "ShipmentStatusReported")) == 1


def test_a_status_before_its_shipment_waits_for_it_and_one_without_an_order_is_refused(h: Harness) -> None:
    oid = released(h)
    out = status(h, oid, "SD")
    assert out.code == "INT-OUT-OF-ORDER"
    (letter,) = h.dead_letters()
    assert letter.waiting_for == f"shipment:{oid}:SH1-W1"
    h.ship_all(oid)
    assert h.dead_letters() == []
    assert h.get(oid).open_holds[0].code is HoldCode.FUL_LATE_SHIP
    out = status(h, "", "X6")
    assert out.code == "INT-UNKNOWN-REFERENCE" and "names no order" in (out.reason or "")


def test_a_carrier_delay_does_not_stop_the_rest_of_a_split_order(new_harness) -> None:
    h = new_harness()
    seed(h.app, customer(partial=True))
    h.stock("P1", "4")
    oid = h.order().correlation_id
    h.ship_all(oid)  # 4 shipped, 6 backordered
    status(h, oid, "SD")
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.FUL_LATE_SHIP]
    h.stock("P1", "50")
    order = h.get(oid)
    assert order.line(1).allocated == Decimal(10)


# ---------------------------------------------------------------- trace and KPIs


def test_the_trace_tells_each_new_event_in_one_line_and_the_kpis_read_them(h: Harness) -> None:
    from o2c.analytics.kpis import compute_kpis
    from o2c.analytics.trace import build_trace

    oid = h.order(lines=[("P1", "10", "EA"), ("P1", "4", "EA")]).correlation_id
    h.send("order_change", {"legal_entity_id": "US", "customer_id": "C1", "po_number": "PO-1",
                            "purpose": "change", "change_sequence": "3", "lines": [
                                {"line_no": 2, "changes": ["cancel"], "change_code": "DI"}]})
    h.stock("P1", "100")
    h.later(hours=1)
    pick(h, oid)
    exception(h, oid, lines=[(1, "P1", "1")])
    h.send("hold_decision", {"order_id": oid, "code": "FUL-QTY-MISMATCH", "by": "wo", "reason": "ok"})
    h.ship_all(oid)
    status(h, oid, "SD")
    steps = {s.type: s.summary for s in build_trace(h.events(oid)).steps}
    assert steps["OrderChanged"].startswith(
        "Buyer's change 3 to PO PO-1 applied, checked again: cancel line 2 P1 4 EA — policy o2c.default")
    assert steps["PickConfirmed"] == "Picked at W1 2026-03-02 10:00: 1 line(s), 10 units"
    assert steps["FulfilmentExceptionReported"].startswith(
        "Warehouse W1 reports SHORT: only 8 on the shelf (line 1 P1 1) -> FUL-QTY-MISMATCH")
    assert steps["ShipmentStatusReported"].startswith("Carrier FFRT status for SH1-W1: SD/NS")
    log = [e for o in (oid,) for e in h.events(o)]
    report = compute_kpis(iter(log), period_start=T0, period_end=T0 + timedelta(days=2))
    assert report.totals.orders_received == 1 and report.totals.shipments == 1
    assert set(report.open_holds) == {"FUL-LATE-SHIP"}
    assert report.touchless.touchless_orders == 0
