"""Customers and products as inbound messages: stored first, deduplicated, recorded as
events when they change, parked with a precise reason when they cannot be applied; orders
held for missing master data are validated again when it arrives, and a raised credit
limit re-evaluates credit holds.

Runs on the in-memory store here; ``tests/integration`` runs the same scenarios on
SQLite and PostgreSQL by overriding the ``new_harness`` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest

from o2c.domain import events as ev
from o2c.domain.actors import ENGINE, user
from o2c.domain.holds import HoldCode, Role
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.auth import is_seed
from tests.builders import Harness, customer, seed


def customer_body(customer_id: str = "C9", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": customer_id, "legal_entity_id": "US", "name": f"Customer {customer_id}",
        "payment_terms": "2/10 net 30", "credit_limit": "50000.00", "currency": "USD",
        "billing_trigger": "on_ship", "accepts_partial": True, "home_warehouse_id": "W1",
        "ship_tos": [{"ship_to_id": f"{customer_id}-ST1", "name": "Main dock", "city": "Dayton",
                      "region": "OH", "postal_code": "45402", "country": "US"}],
    }
    body.update(over)
    return body


def product_body(product_id: str = "P9", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_id": product_id, "description": "Exam table paper", "base_uom": "EA",
        "units": [{"uom": "cs", "factor": "24"}],
        "prices": [{"currency": "USD", "list_price": "3.10", "floor_price": "1.20"}],
    }
    body.update(over)
    return body


def assert_parked(h: Harness, kind: str, body: dict[str, Any], code: str, words: str) -> None:
    """``body`` sent as ``kind`` is parked with ``code`` and a reason saying ``words``."""
    out = h.send(kind, body)
    assert out.status is Status.DEAD_LETTERED, out
    assert out.code == code
    assert out.reason is not None and words in out.reason, out.reason


def master_events(h: Harness, key: str) -> list[Any]:
    return [e.payload for e in h.events(key)]


@pytest.fixture
def h(new_harness: Any) -> Harness:
    harness: Harness = new_harness()
    seed(harness.app)
    return harness


def test_a_new_customer_is_recorded_as_added_and_written_to_master_data(h: Harness) -> None:
    out = h.send("customer", customer_body(), source="erp", msg_id="customers.csv:C9:aaa")
    assert out.status is Status.APPLIED
    [e] = master_events(h, "customer:C9")
    assert isinstance(e, ev.CustomerChanged) and e.added and e.changed == ()
    with h.app.store.unit_of_work() as uow:
        c = uow.master.customer("C9")
    assert c is not None and c.credit_limit.amount == 50000 and c.payment_terms == "2/10 net 30"
    assert c.accepts_partial and c.ship_tos[0].ship_to_id == "C9-ST1"


def test_the_same_record_again_changes_nothing_and_records_nothing(h: Harness) -> None:
    h.send("customer", customer_body(), msg_id="a")
    again = h.send("customer", customer_body(), msg_id="b")  # another message, same record
    dup = h.send("customer", customer_body(), msg_id="a")  # the same message redelivered
    assert again.status is Status.APPLIED
    assert dup.status is Status.DUPLICATE
    assert len(master_events(h, "customer:C9")) == 1


def test_a_changed_record_names_the_fields_that_changed(h: Harness) -> None:
    h.send("customer", customer_body())
    h.send("customer", customer_body(credit_limit="75000", payment_terms="net 45"))
    [_, e] = master_events(h, "customer:C9")
    assert not e.added and e.changed == ("credit_limit", "payment_terms")
    assert e.customer.payment_terms == "net 45"


def test_a_new_product_with_units_and_prices(h: Harness) -> None:
    assert h.send("product", product_body()).status is Status.APPLIED
    [e] = master_events(h, "product:P9")
    assert isinstance(e, ev.ProductChanged) and e.added
    with h.app.store.unit_of_work() as uow:
        p = uow.master.product("P9")
    assert p is not None and p.factor("CS") == 24 and str(p.list_prices["USD"]) == "3.10"
    h.send("product", product_body(prices=[{"currency": "USD", "list_price": "3.25"}]))
    assert master_events(h, "product:P9")[-1].changed == ("floor_prices", "list_prices")


@pytest.mark.parametrize(("kind", "body", "code", "words"), [
    ("customer", customer_body(legal_entity_id="DE"), "INT-UNKNOWN-REFERENCE",
     "legal entity 'DE' is not in master data"),
    ("customer", customer_body(home_warehouse_id="W7"), "INT-UNKNOWN-REFERENCE",
     "home warehouse 'W7' is not a warehouse of US (known: W1, W2)"),
    ("customer", customer_body(currency="EUR", credit_limit="100"), "VAL-CURRENCY-INVALID",
     "the credit limit is in EUR but US keeps accounts in USD"),
    ("customer", customer_body(payment_terms="whenever"), "INT-PARSE-ERROR",
     "payment_terms: payment terms 'whenever' are not of the form"),
    ("customer", customer_body(ship_tos=[]), "INT-PARSE-ERROR", "ship_tos: List should have at least 1"),
    ("customer", customer_body(currency=""), "INT-PARSE-ERROR", "currency: '' is not a currency"),
    ("product", product_body(prices=[{"list_price": "3.10"}]), "INT-PARSE-ERROR",
     "prices.0.currency: Field required"),
    ("product", product_body(units=[{"uom": "C S", "factor": "12"}]), "INT-PARSE-ERROR",
     "units.0.uom: 'C S' is not a unit of measure"),
    ("product", product_body(units=[{"uom": "CS", "factor": "0"}]), "INT-PARSE-ERROR",
     "units.0.factor: Input should be greater than 0"),
    ("product", product_body(units=[{"uom": "EA", "factor": "1"}]), "VAL-UOM-INVALID",
     "unit EA is the base unit"),
    ("product", product_body(prices=[{"currency": "USD", "list_price": "1", "floor_price": "2"}]),
     "PRC-BELOW-FLOOR", "floor price 2 USD is above the list price 1 USD"),
])
def test_a_bad_record_is_parked_with_a_precise_reason(h: Harness, kind: str, body: dict[str, Any],
                                                      code: str, words: str) -> None:
    assert_parked(h, kind, body, code, words)


def test_a_member_sent_before_its_parent_waits_and_is_applied_when_the_parent_arrives(h: Harness) -> None:
    early = h.send("customer", customer_body("C10", parent_id="C9"))
    assert early.status is Status.DEAD_LETTERED
    assert "parent account 'C9' is not in master data" in str(early.reason)
    h.send("customer", customer_body("C9"))
    with h.app.store.unit_of_work() as uow:
        member = uow.master.customer("C10")
        assert uow.master.group("C9") == ("C10", "C9")
    assert member is not None and member.parent_id == "C9"
    assert h.dead_letters() == []


def test_who_may_send_master_data(h: Harness) -> None:
    clerk = user("cs", Role.CUSTOMER_SERVICE)
    refused = h.send("customer", customer_body(), actor=clerk)
    assert refused.status is Status.REFUSED and "credit_manager" in str(refused.reason)
    assert h.send("customer", customer_body(), actor=user("cm", Role.CREDIT_MANAGER)).status \
        is Status.APPLIED
    assert h.send("product", product_body(), actor=user("pr", Role.PRICING)).status is Status.APPLIED
    assert h.send("product", product_body("P10"), actor=clerk).status is Status.REFUSED


def test_a_person_acting_for_other_legal_entities_cannot_send_this_ones_customers(h: Harness) -> None:
    out = h.send("customer", customer_body(), actor=user("cm", Role.CREDIT_MANAGER, entities={"CA"}))
    assert out.status is Status.REFUSED and "does not act for legal entity 'US'" in str(out.reason)
    with h.app.store.unit_of_work() as uow:
        assert uow.master.customer("C9") is None


def test_an_order_held_for_an_unknown_customer_goes_on_when_the_customer_arrives(h: Harness) -> None:
    oid = str(h.order(customer_id="C9").correlation_id)
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.VAL_CUSTOMER_UNKNOWN]
    h.stock("P1", "100")
    h.send("customer", customer_body("C9"))
    order = h.get(oid)
    assert order.open_holds == []
    assert order.status is OrderStatus.RELEASED
    [released] = [e.payload for e in h.events(oid) if isinstance(e.payload, ev.HoldReleased)]
    assert released.by == ENGINE.id and "customer C9 added" in released.reason
    assert released.decision is not None and released.decision.rule == "validation/master-data-arrived"


def test_an_order_held_for_an_unknown_item_goes_on_when_the_item_arrives(h: Harness) -> None:
    oid = str(h.order(lines=[("P1", "5", "EA"), ("P9", "2", "CS")]).correlation_id)
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.VAL_ITEM_UNKNOWN]
    h.send("product", product_body("P7"))  # another item: the order still waits
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.VAL_ITEM_UNKNOWN]
    h.send("product", product_body("P9"))
    order = h.get(oid)
    # validated and credit-checked; no P9 is in stock, so it waits for stock now
    assert [x.code for x in order.open_holds] == [HoldCode.INV_SHORT]
    assert order.status is OrderStatus.BACKORDERED
    assert order.line(2).base_quantity == 48 and str(order.line(2).unit_price) == "3.10"


def test_an_order_with_two_unknown_items_waits_for_both(h: Harness) -> None:
    oid = str(h.order(lines=[("P8", "1", "EA"), ("P9", "1", "EA")]).correlation_id)
    h.send("product", product_body("P8"))
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.VAL_ITEM_UNKNOWN]
    h.send("product", product_body("P9"))
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.INV_SHORT]  # known, not in stock


def test_a_new_unit_lifts_a_unit_hold(h: Harness) -> None:
    h.send("product", product_body("P9", units=[]))
    oid = str(h.order(lines=[("P9", "1", "CS")]).correlation_id)
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.VAL_UOM_INVALID]
    h.send("product", product_body("P9"))
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.INV_SHORT]  # known, not in stock


def test_a_new_ship_to_lifts_a_ship_to_hold(h: Harness) -> None:
    h.send("customer", customer_body("C9"))
    oid = str(h.order(customer_id="C9", ship_to_id="C9-ST2").correlation_id)
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.VAL_SHIPTO_UNKNOWN]
    body = customer_body("C9")
    body["ship_tos"] = [*body["ship_tos"], {**body["ship_tos"][0], "ship_to_id": "C9-ST2"}]
    h.send("customer", body)
    assert h.get(oid).open_holds == []


def test_a_raised_credit_limit_re_evaluates_a_credit_hold(new_harness: Any) -> None:
    h: Harness = new_harness()
    seed(h.app, customer("C1", limit="100"))
    h.stock("P1", "1000")
    oid = str(h.order(lines=[("P1", "500", "EA")]).correlation_id)
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.CRD_OVER_LIMIT]
    h.send("customer", customer_body("C1", credit_limit="500.00"))  # still too low
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.CRD_OVER_LIMIT]
    h.send("customer", customer_body("C1", credit_limit="5000.00"))
    order = h.get(oid)
    assert order.open_holds == [] and order.status is OrderStatus.RELEASED
    [released] = [e.payload for e in h.events(oid) if isinstance(e.payload, ev.HoldReleased)]
    assert "credit limit of C1 now 5,000.00 USD" in released.reason


def test_a_persons_change_is_audited_with_the_record_before_and_the_change_after(h: Harness) -> None:
    h.send("customer", customer_body(), source="erp")  # a system's message: not audited
    cm = user("cora", Role.CREDIT_MANAGER)
    assert h.send("customer", customer_body(credit_limit="90000"), actor=cm).status is Status.APPLIED
    with h.app.store.unit_of_work() as uow:
        (r,) = [e for e in uow.audit.entries() if not is_seed(e)]  # after o2c's approval of its policy
    d = r.as_dict()
    assert (r.action, r.actor_label, r.subject_type, r.subject_id, r.legal_entity_id) == (
        "customer.upsert", "user:cora", "customer", "C9", "US")
    assert d["before"]["credit_limit"]["amount"] == "50000.00"
    [event] = d["after"]["events"]
    assert event["type"] == "CustomerChanged" and event["payload"]["changed"] == ["credit_limit"]
