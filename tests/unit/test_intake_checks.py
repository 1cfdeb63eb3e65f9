"""What order intake refuses to take on trust: line numbers used twice. It is a hold on the
received order, never a silent repair, whatever the channel the order came by.

Runs on the in-memory store here; ``tests/integration`` runs the lifecycle scenarios on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml

from o2c.adapters.csv_intake import CsvMapping, read_csv_orders
from o2c.adapters.edi import build_interchange, write
from o2c.adapters.edi.maps import PartnerDirectory
from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange
from o2c.domain.holds import TAXONOMY, HoldCode, Role
from o2c.domain.orders import Order, OrderStatus
from o2c.engine.runtime import Status
from tests.builders import T0, Harness, seed

DUP = HoldCode.VAL_DUPLICATE_LINE


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    h.stock("P2", "1000", lot="L1")
    return h


def order_body(lines: list[dict[str, Any]], po: str = "PO-1") -> dict[str, Any]:
    return {"legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1", "po_number": po,
            "channel": "portal", "currency": "USD", "order_date": "2026-03-02", "lines": lines}


def line(line_no: int, product: str = "P1", qty: str = "10", price: str | None = None) -> dict[str, Any]:
    return {"line_no": line_no, "product_id": product, "quantity": qty, "uom": "EA",
            **({"unit_price": price} if price is not None else {})}


def held(h: Harness, order_id: str | None) -> Order:
    assert order_id is not None
    order = h.get(order_id)
    assert order.status is OrderStatus.RECEIVED
    return order


def hold_decision(h: Harness, order: Order, code: HoldCode) -> Any:
    return next(e.payload.decision for e in h.events(order.order_id)
                if e.type == "HoldPlaced" and e.payload.code is code)


# ------------------------------------------------------------------ line numbers used twice


def test_an_order_with_a_line_number_used_twice_is_held_naming_the_numbers(h: Harness) -> None:
    out = h.send("order", order_body([line(1), line(1, qty="3"), line(2), line(3), line(3)]))
    assert out.status is Status.APPLIED
    order = held(h, out.correlation_id)
    [hold] = order.open_holds
    assert hold.code is DUP
    assert "lines 1 and 3 are each used more than once" in hold.reason
    assert (hold.kind.owner, hold.kind.actions[0].value) == (Role.CUSTOMER_SERVICE, "edit_and_retry")
    assert hold_decision(h, order, DUP).inputs["duplicate_line_numbers"] == "1,3"
    assert [ln.line_no for ln in order.lines] == [1, 1, 2, 3, 3]  # kept as sent, for a person to see


def test_the_duplicate_line_hold_is_in_the_taxonomy_with_its_policy_sla(h: Harness) -> None:
    kind = TAXONOMY[DUP]
    assert {a.value for a in kind.actions} == {"edit_and_retry", "reject"}
    assert kind.stage.value == "capture"
    out = h.send("order", order_body([line(1), line(1)]))
    [hold] = h.get(out.correlation_id).open_holds
    assert hold.sla_due_at == T0.replace(hour=13)  # holds.sla_hours VAL-DUPLICATE-LINE: 4


US_CSV = CsvMapping.from_mapping({
    "source": "field-sales", "legal_entity_id": "US", "currency": "USD", "customer_id": "Customer",
    "po_number": "PO", "ship_to_id": "ShipTo", "product_id": "Item", "quantity": "Qty", "uom": "Unit",
    "unit_price": "Price", "line_no": "Line",
})


def test_a_csv_order_with_a_line_number_used_twice_is_received_and_held(h: Harness) -> None:
    text = ("Customer,PO,ShipTo,Line,Item,Qty,Unit,Price\n"
            "C1,PO-5,C1-ST1,1,P1,1,EA,\nC1,PO-5,C1-ST1,1,P1,3,EA,\n")
    batch = read_csv_orders(text.encode(), US_CSV, file_name="o.csv",
                            received_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert batch.ok, [str(e) for e in batch.errors]
    [out] = h.app.runtime.submit(batch.messages)
    [hold] = held(h, out.correlation_id).open_holds
    assert hold.code is DUP and "line 1 is used more than once" in hold.reason


PARTNERS = PartnerDirectory.from_mapping(yaml.safe_load("""
partners:
  - partner_id: acme
    isa_qualifier: ZZ
    isa_id: ACME
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: US
    customer_id: C1
    inbound: ["850"]
    outbound: ["997"]
    product_qualifiers: [VP]
    ship_to_map: {"0042": C1-ST1}
"""))


def test_an_850_with_two_po1_of_the_same_assigned_id_is_accepted_and_held(h: Harness) -> None:
    segs = [("BEG", "00", "SA", "PO-850", "", "20260302"), ("N1", "ST", "Main dock", "92", "0042"),
            ("PO1", "1", "2", "EA", "2.00", "", "VP", "P1"), ("PO1", "1", "5", "EA", "2.00", "", "VP", "P1"),
            ("CTT", "2")]
    ic = build_interchange("ACME", "O2CDIST", 9, at=T0.replace(tzinfo=None),
                           groups=[("PO", "004010", 9, [("850", "0001", segs)])])
    head, outs = h.app.runtime.submit_document(raw_interchange(write(ic).encode(), T0), EdiSplitter(PARTNERS))
    assert head.status is Status.APPLIED and [o.status for o in outs] == [Status.APPLIED]
    [hold] = held(h, outs[0].correlation_id).open_holds
    assert hold.code is DUP and "line 1 is used more than once" in hold.reason
    [ack] = [m["payload"]["x12"] for m in h.app.store.outbox if m["kind"] == "edi_997"]
    assert "AK5*E" in ack  # accepted, the repeated PO101 noted for the buyer


def change(h: Harness, *lines: dict[str, Any], purpose: str = "change") -> Any:
    return h.send("order_change", {"legal_entity_id": "US", "customer_id": "C1", "po_number": "PO-1",
                                   "purpose": purpose, "change_sequence": "1", "lines": list(lines)})


def restated(line_no: int, product: str, qty: str) -> dict[str, Any]:
    return {"line_no": line_no, "changes": ["replace"], "change_code": "RZ", "product_id": product,
            "quantity": qty, "uom": "EA"}


def test_a_buyers_change_restating_the_lines_edits_a_held_order_and_it_is_released(h: Harness) -> None:
    oid = h.send("order", order_body([line(1, qty="1"), line(1, "P2", "3")])).correlation_id
    out = change(h, restated(1, "P1", "1"), restated(2, "P2", "3"), purpose="replace")
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert [(ln.line_no, ln.product_id, ln.quantity) for ln in order.lines] == [
        (1, "P1", Decimal(1)), (2, "P2", Decimal(3))]
    assert order.status is OrderStatus.RELEASED and not order.on_hold
    assert [x.resolution for x in order.holds] == ["edit_and_retry"]


def test_a_change_to_a_line_number_used_twice_says_what_that_line_is(h: Harness) -> None:
    oid = h.send("order", order_body([line(1, qty="1"), line(1, qty="3")])).correlation_id
    out = change(h, {"line_no": 1, "changes": ["change_quantity"], "change_code": "QI", "quantity": "3"})
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert [(ln.line_no, ln.quantity) for ln in order.lines] == [(1, Decimal(3))]
    assert order.status is OrderStatus.RELEASED


def test_a_change_cannot_add_a_line_under_a_number_the_order_already_has(h: Harness) -> None:
    oid = h.send("order", order_body([line(1, qty="5000")])).correlation_id
    assert h.get(oid).status is OrderStatus.BACKORDERED  # not released: changes still apply
    out = change(h, {"line_no": 1, "changes": ["add"], "change_code": "AI", "product_id": "P2",
                     "quantity": "1", "uom": "EA"})
    assert out.status is Status.DEAD_LETTERED and "line 1 to add is already on the order" in out.reason
    assert [ln.line_no for ln in h.get(oid).lines] == [1]


def test_a_held_order_with_a_line_number_used_twice_can_be_rejected(h: Harness) -> None:
    oid = h.send("order", order_body([line(1), line(1)])).correlation_id
    out = h.send("hold_decision", {"order_id": oid, "code": "VAL-DUPLICATE-LINE", "by": "cs",
                                   "action": "reject", "reason": "buyer will send a new PO"})
    assert out.status is Status.APPLIED
    assert h.get(oid).status is OrderStatus.REJECTED
