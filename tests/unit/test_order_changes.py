"""A buyer's change to its purchase order (``order_change``, X12 860), through the real
runtime: applied and checked again before the release, refused with a hold after it.

Runs on the in-memory store here and on SQLite and PostgreSQL in
``tests/integration/test_changes_on_sql.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from o2c.domain.holds import HoldCode
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, seed


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    return h


def change(h: Harness, *lines: dict[str, Any], purpose: str = "change", seq: str = "1",
           po: str = "PO-1", **extra: Any):
    return h.send("order_change", {"legal_entity_id": "US", "customer_id": "C1", "po_number": po,
                                   "purpose": purpose, "change_sequence": seq, "lines": list(lines),
                                   **extra})


def qty(line_no: int, quantity: str, uom: str | None = None) -> dict[str, Any]:
    return {"line_no": line_no, "changes": ["change_quantity"], "change_code": "QI",
            "quantity": quantity, **({"uom": uom} if uom else {})}


def cancel(line_no: int) -> dict[str, Any]:
    return {"line_no": line_no, "changes": ["cancel"], "change_code": "DI"}


def add(line_no: int, product: str, quantity: str, uom: str = "EA") -> dict[str, Any]:
    return {"line_no": line_no, "changes": ["add"], "change_code": "AI", "product_id": product,
            "quantity": quantity, "uom": uom}


def types(h: Harness, order_id: str) -> list[str]:
    return [e.type for e in h.events(order_id)]


def payloads(h: Harness, order_id: str, type_: str) -> list[Any]:
    return [e.payload for e in h.events(order_id) if e.type == type_]


def outbox(h: Harness, kind: str) -> list[dict[str, Any]]:
    with h.app.store.unit_of_work() as uow:
        return [m.payload for m in uow.outbox.pending() if m.kind == kind]


def reserved(h: Harness, product: str = "P1") -> Decimal:
    with h.app.store.unit_of_work() as uow:
        return sum((p.reserved for p in uow.stock.positions([product])), Decimal(0))


def backordered_order(h: Harness, lines: list[tuple[str, str, str]] | None = None) -> str:
    """An order waiting for stock (nothing in the warehouse yet): not released."""
    out = h.order(lines=lines or [("P1", "10", "EA"), ("P2", "5", "EA")])
    oid = out.correlation_id
    assert h.get(oid).status is OrderStatus.BACKORDERED
    return oid


# ---------------------------------------------------------------- applied before the release


def test_a_quantity_change_and_a_cancelled_line_send_the_order_through_the_checks_again(h: Harness) -> None:
    oid = backordered_order(h)
    (short,) = h.get(oid).open_holds
    assert short.code is HoldCode.INV_SHORT
    h.later(hours=1)
    out = change(h, qty(1, "2", "CS"), cancel(2))
    assert out.status is Status.APPLIED and out.correlation_id == oid
    order = h.get(oid)
    assert [(ln.line_no, ln.quantity, ln.uom, ln.base_quantity) for ln in order.lines] == [
        (1, Decimal(2), "CS", Decimal(24))]  # validated again: 2 cases of 12
    assert order.cancelled_lines == [2]
    assert types(h, oid)[5:] == [
        "HoldReleased", "OrderChanged", "OrderValidated", "CreditApproved", "OrderBackordered",
        "HoldPlaced"]
    superseded = payloads(h, oid, "HoldReleased")[0]
    assert (superseded.hold_id, superseded.action, superseded.by) == (short.hold_id, "edit_and_retry",
                                                                     "o2c.engine")
    (changed,) = payloads(h, oid, "OrderChanged")
    assert (changed.outcome, changed.recheck, changed.decision.rule) == ("applied", True,
                                                                        "change/applied-recheck")
    assert [(c.line_no, c.action, c.quantity, c.uom) for c in changed.lines] == [
        (1, "change", Decimal(2), "CS"), (2, "cancel", Decimal(5), "EA")]
    assert changed.decision.inputs["status"] == "backordered"
    # exposure and the new backorder are for the changed order
    assert payloads(h, oid, "CreditApproved")[-1].exposure.amount == Decimal("48.00")
    assert "line 1 P1 short 24" in order.open_holds[0].reason
    ack = outbox(h, "order_ack")
    assert ack[1] == {"order_id": oid, "po_number": "PO-1", "status": "changed", "change_sequence": "1",
                      "lines": [{"line_no": "1", "action": "change"}, {"line_no": "2", "action": "cancel"}]}
    assert ack[2] == {"order_id": oid, "status": "accepted"}  # the order as it now stands
    h.stock("P1", "100")
    assert h.get(oid).status is OrderStatus.RELEASED
    assert reserved(h) == Decimal(24)


def test_an_added_line_is_validated_like_any_order_line(h: Harness) -> None:
    oid = backordered_order(h, [("P1", "10", "EA")])
    change(h, add(2, "NOPE", "3"))
    order = h.get(oid)
    assert order.status is OrderStatus.RECEIVED
    (hold,) = order.open_holds
    assert hold.code is HoldCode.VAL_ITEM_UNKNOWN and "line 2: item 'NOPE'" in hold.reason
    # the buyer corrects its change: the unknown line goes, a good one comes
    change(h, cancel(2), add(3, "P2", "4"), seq="2")
    order = h.get(oid)
    assert [(ln.line_no, ln.product_id, ln.base_quantity) for ln in order.lines] == [
        (1, "P1", Decimal(10)), (3, "P2", Decimal(4))]
    assert order.status is OrderStatus.BACKORDERED
    assert [h.code for h in order.open_holds] == [HoldCode.INV_SHORT]


def test_a_change_of_dates_only_is_recorded_without_checking_the_order_again(h: Harness) -> None:
    oid = backordered_order(h)
    before = types(h, oid)
    out = change(h, {"line_no": 2, "changes": ["change_date"], "change_code": "RS",
                     "requested_date": "2026-04-01"}, requested_date="2026-04-02")
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert order.status is OrderStatus.BACKORDERED and order.on_hold  # INV-SHORT stays
    assert str(order.line(2).requested_date) == "2026-04-01"
    assert str(order.requested_date) == "2026-04-02"
    assert types(h, oid) == [*before, "OrderChanged"]
    (changed,) = payloads(h, oid, "OrderChanged")
    assert (changed.recheck, changed.decision.rule) == (False, "change/applied-dates-only")


def test_a_replacement_restates_the_order(h: Harness) -> None:
    oid = backordered_order(h)
    change(h, {"line_no": 1, "changes": ["replace"], "change_code": "CA", "product_id": "P1",
               "quantity": "7", "uom": "EA"}, add(3, "P2", "1"), purpose="replace")
    order = h.get(oid)
    assert [(ln.line_no, ln.product_id, ln.quantity) for ln in order.lines] == [
        (1, "P1", Decimal(7)), (3, "P2", Decimal(1))]
    (changed,) = payloads(h, oid, "OrderChanged")
    assert sorted((c.line_no, c.action) for c in changed.lines) == [(1, "change"), (2, "cancel"), (3, "add")]


def test_the_same_change_twice_changes_nothing_the_second_time(h: Harness) -> None:
    oid = backordered_order(h)
    change(h, qty(1, "12"), cancel(2), add(3, "P2", "2"))
    events = len(h.events(oid))
    order = h.get(oid)
    again = change(h, qty(1, "12"), cancel(2), add(3, "P2", "2"))  # re-sent under a new message id
    assert again.status is Status.APPLIED
    # recorded (the buyer's message has its place in the log), and nothing else happens
    assert [e.type for e in h.events(oid)[events:]] == ["OrderChanged"]
    unchanged = payloads(h, oid, "OrderChanged")[-1]
    assert (unchanged.outcome, unchanged.decision.rule, unchanged.lines) == (
        "unchanged", "change/no-difference", ())
    assert h.get(oid).lines == order.lines


def test_a_person_accepted_credit_is_decided_again_after_the_order_grows(new_harness) -> None:
    h = new_harness()
    seed(h.app, customer(limit="30"))
    oid = h.order(lines=[("P1", "10", "EA")]).correlation_id  # 20.00, within the limit
    assert h.get(oid).status is OrderStatus.BACKORDERED
    change(h, qty(1, "20"))  # 40.00: over the limit
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.CRD_OVER_LIMIT]
    h.send("hold_decision", {"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana",
                             "reason": "prepaid"})
    assert h.get(oid).status is OrderStatus.BACKORDERED
    change(h, qty(1, "30"), seq="2")  # 60.00: ana accepted 40.00, not this
    (hold,) = h.get(oid).open_holds
    assert hold.code is HoldCode.CRD_OVER_LIMIT and "exposure 60.00" in hold.reason
    h.send("hold_decision", {"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana", "reason": "ok"})
    assert payloads(h, oid, "CreditApproved")[-1].decision.rule == "credit/over-limit/released-by-person"


def test_cancelling_the_whole_po_rejects_the_order_and_is_answered(h: Harness) -> None:
    oid = backordered_order(h)
    out = change(h, purpose="cancel")
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert order.status is OrderStatus.REJECTED and not order.on_hold
    assert [ln.line_no for ln in order.lines] == [1, 2]  # the order as it was when cancelled
    (changed,) = payloads(h, oid, "OrderChanged")
    assert (changed.outcome, changed.decision.rule) == ("cancelled", "change/cancel-order")
    (rejected,) = payloads(h, oid, "OrderRejected")
    assert rejected.by == "customer:C1" and "cancelled by the buyer" in rejected.reason
    assert outbox(h, "order_ack")[-1] == {"order_id": oid, "status": "rejected"}
    assert change(h, purpose="cancel", seq="2").status is Status.APPLIED  # cancelled already
    assert [(c.outcome, c.decision.rule) for c in payloads(h, oid, "OrderChanged")][1:] == [
        ("unchanged", "change/already-cancelled")]
    assert h.get(oid).status is OrderStatus.REJECTED
    late = change(h, qty(1, "3"), seq="3")
    assert late.status is Status.DEAD_LETTERED and late.code == "VAL-CHANGE-TOO-LATE"
    assert f"(order {oid}) cannot be applied: the order is rejected" in (late.reason or "")


def test_cancelling_every_line_ends_the_order_rejected(h: Harness) -> None:
    oid = backordered_order(h)
    change(h, cancel(1), cancel(2))
    assert h.get(oid).status is OrderStatus.REJECTED
    (changed,) = payloads(h, oid, "OrderChanged")
    assert changed.decision.rule == "change/every-line-cancelled"


# ---------------------------------------------------------------- refused after the release


def test_a_change_after_the_release_is_refused_with_a_hold_for_customer_service(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    assert h.get(oid).status is OrderStatus.RELEASED and reserved(h) == Decimal(10)
    out = change(h, qty(1, "30"), seq="4")
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert order.status is OrderStatus.RELEASED and order.line(1).quantity == Decimal(10)
    assert reserved(h) == Decimal(10)
    (hold,) = order.open_holds
    assert hold.code is HoldCode.VAL_CHANGE_TOO_LATE
    assert hold.kind.owner.value == "customer_service"
    assert f"change 4 to PO PO-1 (line 1 P1: 30) came after order {oid} was released to warehouse W1" \
        in hold.reason
    (changed,) = payloads(h, oid, "OrderChanged")
    assert (changed.outcome, changed.decision.rule) == ("refused", "change/refused-released")
    assert changed.decision.inputs["warehouses"] == "W1"
    assert outbox(h, "order_ack")[-1]["status"] == "change_refused"
    # a second late change is recorded; customer service already has the order in hand
    change(h, qty(1, "40"), seq="5")
    assert len(h.get(oid).open_holds) == 1 and len(payloads(h, oid, "OrderChanged")) == 2
    # the warehouse could stop it: customer service cancels the order, the stock comes back
    h.send("hold_decision", {"order_id": oid, "code": "VAL-CHANGE-TOO-LATE", "by": "cs",
                             "reason": "buyer wants it cancelled, warehouse stopped it",
                             "action": "reject"})
    assert h.get(oid).status is OrderStatus.REJECTED
    assert reserved(h) == Decimal(0)


def test_a_change_after_shipping_is_refused_and_the_order_cannot_be_rejected_any_more(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid)
    change(h, purpose="cancel")
    order = h.get(oid)
    assert order.status is OrderStatus.INVOICED
    (hold,) = order.open_holds
    assert "(cancel the order) came after" in hold.reason and "has shipped (SH1-W1)" in hold.reason
    assert payloads(h, oid, "OrderChanged")[0].decision.rule == "change/refused-shipped"
    out = h.send("hold_decision", {"order_id": oid, "code": "VAL-CHANGE-TOO-LATE", "by": "cs",
                                   "reason": "x", "action": "reject"})
    assert out.status is Status.DEAD_LETTERED and "has shipped" in (out.reason or "")
    assert h.send("hold_decision", {"order_id": oid, "code": "VAL-CHANGE-TOO-LATE", "by": "cs",
                                    "reason": "told the buyer", "action": "override"}).status \
        is Status.APPLIED
    assert not h.get(oid).on_hold and h.get(oid).status is OrderStatus.INVOICED


# ---------------------------------------------------------------- changes that cannot be read


@pytest.mark.parametrize(("lines", "code", "text"), [
    ([cancel(7)], "INT-UNKNOWN-REFERENCE", "line 7 to cancel is not on the order"),
    ([qty(9, "1")], "INT-UNKNOWN-REFERENCE", "line 9 is not on the order"),
    ([add(1, "P2", "3")], "INT-UNKNOWN-REFERENCE", "line 1 to add is already on the order"),
    ([{"line_no": 3, "changes": ["add"], "change_code": "AI", "quantity": "2"}], "VAL-MISSING-FIELD",
     "line 3 to add has no product and no unit"),
    ([{**qty(1, "1"), "product_id": "P2"}], "INT-UNKNOWN-REFERENCE", "line 1 is for P1, the change names P2"),
    ([add(3, "P2", "1"), add(3, "P1", "1")], "INT-PARSE-ERROR", "line 3 is named twice"),
])
def test_a_change_that_does_not_fit_the_order_is_refused_whole(h: Harness, lines, code, text) -> None:
    oid = backordered_order(h)
    before = types(h, oid)
    out = change(h, *lines, qty(2, "1"))
    assert out.status is Status.DEAD_LETTERED and out.code == code
    assert text in (out.reason or "") and oid in (out.reason or "")
    assert types(h, oid) == before


def test_a_change_that_overtakes_its_order_waits_for_it_and_is_applied_before_the_order_is_checked(
    h: Harness,
) -> None:
    h.stock("P1", "100")
    early = change(h, qty(1, "4"), po="PO-EARLY")
    assert early.status is Status.DEAD_LETTERED and early.code == "INT-OUT-OF-ORDER"
    assert "PO PO-EARLY from C1" in (early.reason or "") and "has not received yet" in (early.reason or "")
    (parked,) = h.dead_letters()
    assert parked.waiting_for == "po:C1:PO-EARLY"
    h.later(hours=2)
    oid = h.order(po="PO-EARLY", lines=[("P1", "10", "EA")]).correlation_id
    order = h.get(oid)
    # applied the moment the order arrived, so the order was checked and released as changed
    assert order.status is OrderStatus.RELEASED and order.line(1).base_quantity == Decimal(4)
    assert reserved(h) == Decimal(4)
    assert types(h, oid)[:4] == ["OrderReceived", "OrderChanged", "OrderValidated", "CreditApproved"]
    (changed,) = payloads(h, oid, "OrderChanged")
    assert (changed.outcome, changed.recheck) == ("applied", True)
    assert not [hold for hold in order.holds if hold.code is HoldCode.VAL_CHANGE_TOO_LATE]
    assert h.dead_letters() == []  # closed as replayed


def test_a_cancellation_that_overtakes_its_order_cancels_it_on_arrival(h: Harness) -> None:
    h.stock("P1", "100")
    assert change(h, purpose="cancel", po="PO-GONE").code == "INT-OUT-OF-ORDER"
    oid = h.order(po="PO-GONE").correlation_id
    assert h.get(oid).status is OrderStatus.REJECTED
    assert reserved(h) == Decimal(0)
    assert h.dead_letters() == []


def test_a_change_to_a_po_that_never_arrives_stays_parked_for_a_person(h: Harness) -> None:
    out = change(h, qty(1, "1"), po="PO-NEVER")
    h.order(po="PO-OTHER")
    assert out.status is Status.DEAD_LETTERED and out.code == "INT-OUT-OF-ORDER"
    assert [d.code for d in h.dead_letters()] == ["INT-OUT-OF-ORDER"]
    assert "ask the buyer" in (out.reason or "")
