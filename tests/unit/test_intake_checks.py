"""What order intake refuses to take on trust: line numbers used twice and PO prices that
cannot be right. Each is a hold on the received order, never a silent repair, whatever the
channel the order came by.

Runs on the in-memory store here; ``tests/integration`` runs the lifecycle scenarios on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
import yaml

from o2c.adapters.csv_intake import CsvMapping, read_csv_orders
from o2c.adapters.edi import build_interchange, write
from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange
from o2c.domain.holds import TAXONOMY, HoldCode, Role
from o2c.domain.orders import Order, OrderLine, OrderStatus
from o2c.engine.handlers.pricing import Reference, price_line
from o2c.engine.runtime import Status
from o2c.policy import PolicyError, parse_policy
from tests.builders import T0, Harness, seed
from tests.unit.test_edi_intake import PARTNERS

DUP = HoldCode.VAL_DUPLICATE_LINE
INVALID = HoldCode.PRC_PO_PRICE_INVALID
MISMATCH = HoldCode.PRC_CONTRACT_MISMATCH


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


# ------------------------------------------------------------------ PO prices


@pytest.mark.parametrize("price", ["-1", "0", "0.00", "99999999999999"])
@pytest.mark.parametrize(("product", "reference"), [("P1", "contract PA-C1-P1 v1 price 2.00"),
                                                    ("P2", "list price 4.00")])
def test_a_po_price_that_cannot_be_right_is_held_for_pricing_naming_it(
        h: Harness, price: str, product: str, reference: str) -> None:
    out = h.send("order", order_body([line(1, product, price=price)]))
    order = held(h, out.correlation_id)
    [hold] = order.open_holds
    assert hold.code is INVALID and hold.kind.owner is Role.PRICING
    assert f"line 1: PO price {price} per EA" in hold.reason and reference in hold.reason
    assert order.lines[0].unit_price == 0  # nothing was priced behind the buyer's back
    d = hold_decision(h, order, INVALID)
    assert (d.policy_id, d.version, d.rule) == ("o2c.default", "1", "validation/PRC-PO-PRICE-INVALID")
    assert d.inputs["line_1.po_price"] == price
    assert d.inputs["line_1.reference_price"] == reference.rsplit(" ", 1)[1]
    assert d.inputs["po_price_max_ratio"] == "10"


def test_a_po_price_a_person_cannot_wave_through_is_fixed_by_the_buyers_change(h: Harness) -> None:
    oid = h.send("order", order_body([line(1, price="-2.00")])).correlation_id
    refused = h.send("hold_decision", {"order_id": oid, "code": "PRC-PO-PRICE-INVALID", "by": "pat",
                                       "action": "override", "reason": "fine"})
    assert refused.status is Status.DEAD_LETTERED and "allows edit_and_retry, reject" in refused.reason
    out = change(h, {"line_no": 1, "changes": ["change_price"], "change_code": "PC", "unit_price": "2.00"})
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert order.status is OrderStatus.RELEASED and order.lines[0].unit_price == Decimal("2.00")


@pytest.mark.parametrize(("product", "price", "reference"), [
    ("P1", "2.50", "contract PA-C1-P1 v1 price 2.00"),
    ("P2", "3.00", "list price 4.00 (no contract)"),
])
def test_a_po_price_outside_the_tolerance_is_a_price_mismatch_hold(
        h: Harness, product: str, price: str, reference: str) -> None:
    order = held(h, h.send("order", order_body([line(1, product, price=price)])).correlation_id)
    [hold] = order.open_holds
    assert hold.code is MISMATCH
    assert f"line 1: PO price {price} per EA differs from {reference} by more than 2.0%" in hold.reason
    d = hold_decision(h, order, MISMATCH)
    assert (d.inputs["line_1.po_price"], d.inputs["tolerance_percent"]) == (price, "2.0")


@pytest.mark.parametrize(("product", "price"), [("P1", "2.01"), ("P2", "4.05"), ("P2", "4.00")])
def test_a_po_price_within_the_tolerance_is_the_price_of_the_line(h: Harness, product: str,
                                                                  price: str) -> None:
    oid = h.send("order", order_body([line(1, product, price=price)])).correlation_id
    order = h.get(oid)
    assert order.status is OrderStatus.RELEASED
    assert (order.lines[0].unit_price, order.lines[0].price_source) == (Decimal(price), "po")
    validated = next(e.payload for e in h.events(oid) if e.type == "OrderValidated")
    assert validated.decision.inputs["line_1.po_price"] == price


def test_a_line_without_a_po_price_is_priced_from_the_contract(h: Harness) -> None:
    order = h.get(h.send("order", order_body([line(1)])).correlation_id)
    assert (order.lines[0].unit_price, order.lines[0].price_source) == (
        Decimal("2.00"), "contract:PA-C1-P1@v1")


def test_an_overridden_price_mismatch_is_released_and_invoiced_at_the_po_price(h: Harness) -> None:
    oid = h.send("order", order_body([line(1, price="2.50")])).correlation_id
    out = h.send("hold_decision", {"order_id": oid, "code": "PRC-CONTRACT-MISMATCH", "by": "pat",
                                   "action": "override", "reason": "agreed with the buyer"})
    assert out.status is Status.APPLIED
    order = h.get(oid)
    assert order.status is OrderStatus.RELEASED
    assert (order.lines[0].unit_price, order.lines[0].price_source) == (Decimal("2.50"), "po-price-accepted")
    h.ship_all(oid)
    [invoiced] = [e.payload for e in h.events(oid) if e.type == "InvoiceIssued"]
    assert [(ln.unit_price, ln.amount) for ln in invoiced.lines] == [(Decimal("2.50"), Decimal("25.00"))]
    assert invoiced.total.amount == Decimal("26.81")  # 25.00 + 7.25 % tax


def shipped_policy() -> dict[str, Any]:
    text = resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("ratio", "code"), [("10", INVALID), ("1000", MISMATCH), (None, MISMATCH)])
def test_what_counts_as_an_absurd_po_price_is_the_policys_ratio(ratio: str | None, code: HoldCode) -> None:
    raw = shipped_policy()
    if ratio is None:
        del raw["pricing"]["po_price_max_ratio"]  # then only a price of zero or less is invalid
    else:
        raw["pricing"]["po_price_max_ratio"] = ratio
    section = parse_policy(raw).base
    ln = OrderLine(line_no=1, product_id="P1", quantity=Decimal(1), uom="EA", requested_price=Decimal(25))
    priced = price_line(ln, Decimal(1), Reference(price=Decimal(2), source="list", name="list price"),
                        section, mismatch_accepted=False)
    assert priced.issue is not None and priced.issue[0] is code and priced.price is None


@pytest.mark.parametrize("ratio", ["1", "0.5", "-3"])
def test_a_ratio_that_would_call_fair_prices_absurd_is_refused_naming_the_key(ratio: str) -> None:
    raw = shipped_policy()
    raw["pricing"]["po_price_max_ratio"] = ratio
    with pytest.raises(PolicyError, match=r"pricing\.po_price_max_ratio: expected a number greater than 1"):
        parse_policy(raw)


def test_a_po_price_per_case_is_kept_per_each_to_six_places_and_billed_as_the_po_says(h: Harness) -> None:
    oid = h.send("order", order_body([{**line(1, qty="2", price="24.10"), "uom": "CS"}])).correlation_id
    order = h.get(oid)
    assert order.status is OrderStatus.RELEASED  # 24.10 per CS of 12 is within 2 % of 2.00 per EA
    assert order.lines[0].unit_price == Decimal("2.008333")  # 24.10 / 12 does not end
    h.ship_all(oid)
    [invoiced] = [e.payload for e in h.events(oid) if e.type == "InvoiceIssued"]
    assert [ln.amount for ln in invoiced.lines] == [Decimal("48.20")]  # 2 × 24.10
