"""An order's path from intake to cash, through the real bus and handlers.

Runs on the in-memory store here; ``tests/integration`` runs the same
scenarios on SQLite and PostgreSQL by overriding the ``new_harness`` fixture.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.holds import HoldCode
from o2c.domain.master import BillingTrigger
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, seed
from tests.unit.test_master_data import customer_body


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    return h


def types(h: Harness, order_id: str) -> list[str]:
    return [e.type for e in h.events(order_id)]


def test_a_clean_order_is_released_shipped_invoiced_paid_and_closed(h: Harness) -> None:
    h.stock("P1", "100")
    out = h.order(lines=[("P1", "2", "CS")])
    assert out.status is Status.APPLIED
    oid = out.correlation_id
    assert h.get(oid).status is OrderStatus.RELEASED
    # 2 cases of 12 at the contract price 2.00 per each
    assert h.get(oid).lines[0].base_quantity == Decimal(24)
    h.later(hours=5)
    h.ship_all(oid)
    order = h.get(oid)
    assert order.status is OrderStatus.INVOICED
    inv_id = next(iter(order.invoices))
    inv = h.invoice(inv_id)
    assert inv.total == Decimal("51.48")  # 48.00 + 7.25 % tax 3.48
    assert inv.discount == Decimal("1.03")  # 2 % of 51.48, rounded half up
    h.later(days=3)
    assert h.pay("C1", [(inv_id, "50.45", "1.03")]).status is Status.APPLIED
    order = h.get(oid)
    assert order.status is OrderStatus.CLOSED
    assert h.account("C1").open_ar == 0
    assert types(h, oid) == [
        "OrderReceived", "OrderValidated", "CreditApproved", "StockAllocated", "OrderReleased",
        "ShipmentConfirmed", "InvoiceIssued", "PaymentApplied", "InvoicePaid", "OrderClosed",
    ]


def test_every_automated_decision_names_policy_version_rule_and_inputs(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    decided = [e for e in h.events(oid) if hasattr(e.payload, "decision")]
    assert decided
    for e in decided:
        d = e.payload.decision
        assert (d.policy_id, d.version) == ("o2c.default", "1")
        assert d.rule and d.inputs
    credit = next(e.payload for e in decided if e.type == "CreditApproved")
    assert credit.decision.rule == "credit/within-limit"
    assert credit.decision.inputs["exposure"] == "20.00"


def test_a_customer_billed_on_pod_is_invoiced_only_after_delivery(new_harness) -> None:
    h = new_harness()
    seed(h.app, customer(trigger=BillingTrigger.ON_POD))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid)
    assert h.get(oid).invoices == {}
    assert h.get(oid).status is OrderStatus.SHIPPED
    h.later(days=1)
    h.deliver(oid, "SH1-W1")
    order = h.get(oid)
    assert len(order.invoices) == 1
    inv = next(e.payload for e in h.events(oid) if e.type == "InvoiceIssued")
    assert inv.trigger == "on_pod"
    assert inv.decision.rule == "billing/customer-wants-pod"


def test_a_shipment_waiting_for_pod_when_the_customer_moves_to_on_ship_is_invoiced_by_its_pod(
        new_harness) -> None:
    h = new_harness()
    seed(h.app, customer(trigger=BillingTrigger.ON_POD))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid)
    assert h.get(oid).invoices == {}
    h.later(days=1)
    out = h.send("customer", customer_body("C1", name="Customer C1", credit_limit="100000.00",
                                           accepts_partial=False, billing_trigger="on_ship"))
    assert out.status is Status.APPLIED, out.reason
    [inv] = [e.payload for e in h.events(oid) if e.type == "InvoiceIssued"]
    assert (inv.trigger, inv.decision.inputs["event"]) == ("on_ship", "billing_rule_changed")
    h.deliver(oid, "SH1-W1")  # the POD, when it comes, invoices nothing more
    assert len(h.get(oid).invoices) == 1


def test_an_order_over_the_credit_limit_waits_on_a_credit_hold_until_released(new_harness) -> None:
    h = new_harness()
    seed(h.app, customer(limit="10"))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    order = h.get(oid)
    assert order.on_hold and order.open_holds[0].code is HoldCode.CRD_OVER_LIMIT
    assert "exceeds limit 10.00" in order.open_holds[0].reason
    h.later(hours=2)
    out = h.send("hold_decision", {"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana",
                                   "reason": "customer prepaid"})
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert not order.on_hold and order.status is OrderStatus.RELEASED
    approved = next(e.payload for e in h.events(oid) if e.type == "CreditApproved")
    assert approved.decision.rule == "credit/over-limit/released-by-person"


@pytest.mark.parametrize(("change", "code"), [
    ({"customer_id": "NOPE"}, HoldCode.VAL_CUSTOMER_UNKNOWN),
    ({"lines": [("ZZZ", "1", "EA")]}, HoldCode.VAL_ITEM_UNKNOWN),
    ({"lines": [("P1", "1", "PL")]}, HoldCode.VAL_UOM_INVALID),
    ({"price": "2.50"}, HoldCode.PRC_CONTRACT_MISMATCH),
    ({"payment_terms": "net 90"}, HoldCode.TRM_NONSTANDARD),
    ({"po": ""}, HoldCode.VAL_MISSING_FIELD),
    ({"currency": "EUR"}, HoldCode.VAL_CURRENCY_INVALID),
])
def test_bad_orders_stop_on_a_hold_with_the_right_code(h: Harness, change: dict, code: HoldCode) -> None:
    h.stock("P1", "100")
    out = h.order(**change)
    assert out.status is Status.APPLIED
    order = h.get(out.correlation_id)
    assert [x.code for x in order.open_holds] == [code]
    assert order.status is OrderStatus.RECEIVED


def test_a_second_order_with_the_same_po_is_held_as_a_duplicate(h: Harness) -> None:
    h.stock("P1", "100")
    first = h.order(po="PO-9").correlation_id
    second = h.get(h.order(po="PO-9").correlation_id)
    assert second.open_holds[0].code is HoldCode.VAL_DUPLICATE_PO
    assert first in second.open_holds[0].reason


def test_the_same_inbound_message_twice_changes_nothing(h: Harness) -> None:
    h.stock("P1", "100")
    body = {"legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1",
            "po_number": "X", "channel": "edi", "currency": "USD", "order_date": "2026-03-02",
            "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1", "uom": "EA"}]}
    assert h.send("order", body, msg_id="ISA-1").status is Status.APPLIED
    assert h.send("order", body, msg_id="ISA-1").status is Status.DUPLICATE
    with h.app.store.unit_of_work() as uow:
        assert uow.orders.find_by_po("C1", "X") == "SO-00000001"
        assert uow.orders.get("SO-00000002") is None


def test_a_ship_complete_customer_is_backordered_until_stock_arrives(h: Harness) -> None:
    h.stock("P1", "5")
    oid = h.order().correlation_id
    order = h.get(oid)
    assert order.status is OrderStatus.BACKORDERED
    assert order.open_holds[0].code is HoldCode.INV_SHORT
    h.later(days=2)
    h.stock("P1", "20", wh="W2")
    order = h.get(oid)
    assert order.status is OrderStatus.RELEASED and not order.on_hold
    assert {a.warehouse_id for a in order.allocations} == {"W2"}


def test_a_customer_accepting_partials_gets_a_split_and_a_backorder(new_harness) -> None:
    h = new_harness()
    seed(h.app, customer(partial=True))
    h.stock("P1", "4", wh="W1")
    h.stock("P1", "3", wh="W2")
    oid = h.order().correlation_id
    order = h.get(oid)
    assert order.status is OrderStatus.RELEASED and not order.on_hold
    assert sorted((a.warehouse_id, a.quantity) for a in order.allocations) == [
        ("W1", Decimal(4)), ("W2", Decimal(3))]
    assert order.lines[0].backordered == Decimal(3)
    h.ship_all(oid)
    assert h.get(oid).status is OrderStatus.PARTIALLY_SHIPPED
    h.stock("P1", "10", wh="W1")
    assert h.get(oid).lines[0].allocated == Decimal(10)
    h.ship_all(oid, "SH2")
    order = h.get(oid)
    assert order.status is OrderStatus.INVOICED
    assert len(order.invoices) == 3


def test_lots_are_allocated_first_expiry_first_out_skipping_short_shelf_life(h: Harness) -> None:
    from datetime import date
    h.stock("P2", "5", lot="L-LATE", expiry=date(2027, 6, 1))
    h.stock("P2", "5", lot="L-EARLY", expiry=date(2026, 9, 1))
    h.stock("P2", "50", lot="L-EXPIRING", expiry=date(2026, 3, 20))  # < 30 days of shelf life
    h2 = h.order(lines=[("P2", "7", "EA")])
    order = h.get(h2.correlation_id)
    assert [(a.lot_id, a.quantity) for a in order.allocations] == [
        ("L-EARLY", Decimal(5)), ("L-LATE", Decimal(2))]


def test_a_shipment_for_an_unknown_order_is_dead_lettered_with_a_reason(h: Harness) -> None:
    out = h.send("shipment", {"shipment_id": "S9", "order_id": "SO-404", "warehouse_id": "W1",
                              "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1"}]})
    assert out.status is Status.DEAD_LETTERED
    assert out.code == "INT-UNKNOWN-REFERENCE"
    assert "order 'SO-404'" in out.reason
    assert [d.dead_letter_id for d in h.dead_letters()] == [out.dead_letter_id]


def test_a_malformed_message_is_dead_lettered_naming_the_bad_fields(h: Harness) -> None:
    out = h.send("order", {"customer_id": "C1", "lines": [{"line_no": 0}]})
    assert out.status is Status.DEAD_LETTERED
    assert out.code == "INT-PARSE-ERROR"
    assert "legal_entity_id: Field required" in out.reason
    assert "lines.0.line_no: Input should be greater than or equal to 1" in out.reason
    bad_json = h.send("payment", "{not json")  # type: ignore[arg-type]
    assert bad_json.status is Status.DEAD_LETTERED


def test_a_pod_before_its_shipment_is_parked_and_applied_when_the_shipment_arrives(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    early = h.deliver(oid, "SH1-W1")
    assert early.status is Status.DEAD_LETTERED and early.code == "INT-OUT-OF-ORDER"
    assert [d.waiting_for for d in h.dead_letters()] == [f"shipment:{oid}:SH1-W1"]
    h.ship_all(oid)
    assert h.get(oid).shipments[0].delivered_at is not None
    assert h.dead_letters() == []
    pod = next(e for e in h.events(oid) if e.type == "ProofOfDeliveryReceived")
    assert pod.causation_id == f"test:{early.source_message_id}"
    # applied right after its shipment, before the shipment's reactions: the on-ship
    # invoice is still the shipment's, explained by its own trigger
    (invoiced,) = [e.payload for e in h.events(oid) if e.type == "InvoiceIssued"]
    assert (invoiced.trigger, invoiced.decision.inputs["event"]) == ("on_ship", "shipment_confirmed")


def test_a_parked_message_can_still_be_replayed_by_hand(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    early = h.deliver(oid, "SH-OTHER")
    again = h.app.runtime.replay(early.dead_letter_id)
    assert again.status is Status.DEAD_LETTERED and again.code == "INT-OUT-OF-ORDER"
    assert [d.dead_letter_id for d in h.dead_letters()] == [again.dead_letter_id]


def test_overshipping_is_refused_with_the_quantities(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    out = h.send("shipment", {"shipment_id": "S1", "order_id": oid, "warehouse_id": "W1",
                              "lines": [{"line_no": 1, "product_id": "P1", "quantity": "11"}]})
    assert out.code == "FUL-QTY-MISMATCH"
    assert "shipped 11" in out.reason and "10 is allocated" in out.reason


def short_ship(h: Harness, oid: str, qty: str, shipment_id: str = "S1"):
    return h.send("shipment", {"shipment_id": shipment_id, "order_id": oid, "warehouse_id": "W1",
                               "lines": [{"line_no": 1, "product_id": "P1", "quantity": qty}]})


def test_a_short_shipment_raises_a_quantity_mismatch_hold_for_the_warehouse(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    assert short_ship(h, oid, "8").status is Status.APPLIED
    order = h.get(oid)
    [hold] = order.open_holds
    assert hold.code is HoldCode.FUL_QTY_MISMATCH and hold.kind.owner.value == "warehouse_ops"
    assert "line 1 lot -: 2 allocated not shipped" in hold.reason
    assert order.status is OrderStatus.PARTIALLY_SHIPPED and order.lines[0].shipped == Decimal(8)


def test_overriding_a_short_shipment_closes_the_order_short_and_frees_the_stock(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    short_ship(h, oid, "8")
    h.send("hold_decision", {"order_id": oid, "code": "FUL-QTY-MISMATCH", "by": "wh", "action": "override",
                             "reason": "last 2 damaged in the pick"})
    order = h.get(oid)
    assert not order.on_hold and order.lines[0].closed_short == Decimal(2)
    assert order.status is OrderStatus.INVOICED
    with h.app.store.unit_of_work() as uow:
        [pos] = [p for p in uow.stock.positions(["P1"]) if p.warehouse_id == "W1"]
    assert (pos.on_hand, pos.reserved) == (Decimal(92), Decimal(0))
    inv = h.invoice(next(iter(order.invoices)))
    assert inv.total == Decimal("17.16")  # 8 × 2.00 + 7.25 % tax


def test_releasing_a_short_shipment_hold_waits_for_the_rest(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    short_ship(h, oid, "8")
    h.send("hold_decision", {"order_id": oid, "code": "FUL-QTY-MISMATCH", "by": "wh",
                             "reason": "the rest ships tomorrow"})
    assert short_ship(h, oid, "2", "S2").status is Status.APPLIED
    order = h.get(oid)
    assert not order.on_hold and order.lines[0].shipped == Decimal(10)
    assert order.status is OrderStatus.INVOICED and len(order.invoices) == 2


def test_cash_in_another_currency_than_the_account_is_dead_lettered_for_a_person(h: Harness) -> None:
    out = h.send("payment", {"payment_id": "EUR1", "customer_id": "C1", "amount": "10.00",
                             "currency": "EUR", "references": []})
    assert out.status is Status.DEAD_LETTERED and out.code == "CSH-UNAPPLIED"
    assert "kept in USD" in out.reason


def test_cash_for_an_unknown_invoice_stays_on_account_as_unapplied(h: Harness) -> None:
    out = h.pay("C1", [("US-9999999", "10.00", "0")])
    assert out.status is Status.APPLIED
    acct = h.account("C1")
    assert acct.unapplied_cash == Decimal("10.00")


def test_rejecting_a_held_order_gives_its_stock_back(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order(payment_terms="net 90").correlation_id
    h.send("hold_decision", {"order_id": oid, "code": "TRM-NONSTANDARD", "by": "sam",
                             "reason": "customer confirmed a mistake", "action": "reject"})
    assert h.get(oid).status is OrderStatus.REJECTED
