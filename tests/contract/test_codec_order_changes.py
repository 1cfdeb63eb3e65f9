"""An order that went through a buyer's change, picks, warehouse exceptions and carrier
statuses reads back equal from its JSON (the read model's ``doc`` column), and a document
written before those fields existed still reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.orders import Order, OrderStatus
from o2c.store import codec

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
D = ev.Decision(policy_id="p", version="1", rule="r", outcome="o")


def folded() -> Order:
    o = Order.start(ev.OrderReceived(
        order_id="O-1", legal_entity_id="US", customer_id="C1", ship_to_id="ST1", po_number="PO-1",
        channel="edi", currency="USD", order_date=date(2026, 3, 2), requested_date=None,
        payment_terms=None,
        lines=(ev.OrderLineData(line_no=1, product_id="P1", quantity=Decimal(10), uom="EA"),
               ev.OrderLineData(line_no=2, product_id="P2", quantity=Decimal(5), uom="EA"))), T0)
    o.apply(ev.OrderChanged(order_id="O-1", customer_id="C1", po_number="PO-1", purpose="change",
                            change_sequence="1", outcome="applied", recheck=True, requested_date=None,
                            decision=D, lines=(
                                ev.LineChangeData(line_no=1, action="change", product_id="P1",
                                                  quantity=Decimal("7.5"), requested_date=date(2026, 4, 1)),
                                ev.LineChangeData(line_no=2, action="cancel", product_id="P2"))), T0)
    o.apply(ev.OrderValidated(order_id="O-1", decision=D, lines=(
        ev.PricedLine(line_no=1, base_quantity=Decimal("7.5"), base_uom="EA", unit_price=Decimal(2),
                      price_source="list"),)), T0)
    o.apply(ev.CreditApproved(order_id="O-1", exposure=o.money(Decimal(15)), limit=o.money(Decimal(99)),
                              decision=D), T0)
    o.apply(ev.StockAllocated(order_id="O-1", decision=D, allocations=(
        ev.AllocationLine(line_no=1, product_id="P1", warehouse_id="W1", lot_id="L1",
                          quantity=Decimal("7.5")),)), T0)
    line = ev.WarehouseLine(line_no=1, product_id="P1", lot_id="L1", quantity=Decimal("1.5"))
    o.apply(ev.PickConfirmed(order_id="O-1", warehouse_id="W1", picked_at=T0, lines=(line,)), T0)
    o.apply(ev.FulfilmentExceptionReported(order_id="O-1", warehouse_id="W1", code="SHORT", reason="",
                                           reported_at=T0, lines=(line,), hold_id="O-1-H1",
                                           hold_code=HoldCode.FUL_QTY_MISMATCH, decision=D), T0)
    o.apply(ev.ShipmentConfirmed(order_id="O-1", shipment_id="S1", warehouse_id="W1", carrier="",
                                 tracking_no="",
                                 lines=(ev.ShippedLine(line_no=1, product_id="P1", warehouse_id="W1",
                                                       lot_id="L1", quantity=Decimal(6)),)), T0)
    o.apply(ev.ShipmentStatusReported(order_id="O-1", shipment_id="S1", carrier="X", tracking_no="1",
                                      decision=D, statuses=(ev.CarrierStatus(
                                          code="SD", at=T0 + timedelta(hours=3), city="TOLEDO"),)), T0)
    return o


def test_an_order_with_changes_picks_issues_and_carrier_statuses_round_trips() -> None:
    o = folded()
    assert (o.cancelled_lines, o.picked_at, o.holds_at_change) == ([2], T0, 0)
    assert o.status is OrderStatus.PARTIALLY_SHIPPED
    back = codec.load(Order, codec.dump(o))
    assert back == o
    assert back.picks == [("W1", T0)] and isinstance(back.picks[0], tuple)
    assert back.shipments[0].statuses[0].code == "SD" and back.line(1).requested_date == date(2026, 4, 1)


def test_a_document_from_before_these_fields_still_reads() -> None:
    raw = json.loads(codec.dump(folded()))
    for key in ("picked_at", "picks", "issues", "holds_at_change", "cancelled_lines"):
        del raw[key]
    del raw["shipments"][0]["statuses"]
    del raw["lines"][0]["requested_date"]
    old = codec.load(Order, json.dumps(raw))
    assert (old.picks, old.issues, old.cancelled_lines, old.picked_at) == ([], [], [], None)
    assert old.shipments[0].statuses == () and old.line(1).requested_date is None
