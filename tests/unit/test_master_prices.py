"""Legal entities, warehouses, price agreements and opening stock as inbound messages.

Price agreements are effective dated and versioned: an order is priced by the agreement valid
on its order date (the account's own before its group's price list, the latest to start
among several), at the quantity break its line reaches, and its priced line and the trace
name the agreement and version, so a later change of the agreement does not rewrite what an
earlier order was priced by. Two agreements valid on the same day for the same account and
product are refused. Orders held for a missing price go on when an agreement arrives.

Runs on the in-memory store here; ``tests/integration`` runs the same scenarios on SQLite
and PostgreSQL by overriding the ``new_harness`` fixture.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from o2c.analytics.trace import summarize
from o2c.domain import events as ev
from o2c.domain.actors import user
from o2c.domain.holds import HoldCode, Role
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, seed
from tests.unit.test_master_data import assert_parked, customer_body, master_events, product_body


def agreement(agreement_id: str = "PA-9", customer_id: str = "C1", product_id: str = "P1",
              **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"agreement_id": agreement_id, "customer_id": customer_id,
                            "product_id": product_id, "currency": "USD", "price": "1.90",
                            "valid_from": "2026-01-01"}
    body.update(over)
    return body


def entity(entity_id: str = "CA", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"entity_id": entity_id, "name": "Acme Supply Canada", "currency": "CAD",
                            "tax_jurisdiction": "CA-ON", "tax_rate": "0.13",
                            "invoice_prefix": "CA", "timezone": "America/Toronto"}
    body.update(over)
    return body


@pytest.fixture
def h(new_harness: Any) -> Harness:
    harness: Harness = new_harness()
    seed(harness.app)  # PA-C1-P1: C1 buys P1 at 2.00 from 2026-01-01, open-ended
    return harness


def priced(h: Harness, oid: str) -> tuple[Decimal | None, str]:
    line = h.get(oid).line(1)
    return line.unit_price, line.price_source


def test_a_legal_entity_and_its_warehouse_are_added_then_unchanged(h: Harness) -> None:
    assert h.send("legal_entity", entity()).status is Status.APPLIED
    assert h.send("warehouse", {"warehouse_id": "TOR", "legal_entity_id": "CA", "name": "Toronto",
                                "timezone": "America/Toronto"}).status is Status.APPLIED
    assert h.send("legal_entity", entity()).status is Status.APPLIED  # the same again
    [added] = master_events(h, "legal_entity:CA")
    assert isinstance(added, ev.LegalEntityChanged) and added.added
    h.send("legal_entity", entity(tax_rate="0.15"))
    assert master_events(h, "legal_entity:CA")[-1].changed == ("tax_rate",)
    with h.app.store.unit_of_work() as uow:
        assert [w.warehouse_id for w in uow.master.warehouses("CA")] == ["TOR"]
        le = uow.master.legal_entity("CA")
    assert le is not None and le.tax_rate == Decimal("0.15") and le.timezone == "America/Toronto"


@pytest.mark.parametrize(("kind", "body", "code", "words"), [
    ("legal_entity", entity(timezone="Mars/Olympus"), "VAL-MISSING-FIELD",
     "time zone 'Mars/Olympus' is not an IANA zone"),
    ("legal_entity", entity(tax_rate="13"), "INT-PARSE-ERROR", "tax_rate: Input should be less than 1"),
    ("legal_entity", entity("US", currency="CAD"), "VAL-CURRENCY-INVALID",
     "legal entity US keeps its books in USD; it does not change to CAD"),
    ("warehouse", {"warehouse_id": "W9", "legal_entity_id": "DE", "name": "Hamburg"},
     "INT-UNKNOWN-REFERENCE", "warehouse W9: legal entity 'DE' is not in master data"),
    ("price_agreement", agreement(currency=""), "INT-PARSE-ERROR", "currency: '' is not a currency"),
    ("price_agreement", agreement(currency="CAD"), "VAL-CURRENCY-INVALID",
     "priced in CAD but C1 buys from US in USD"),
    ("price_agreement", agreement(valid_to="2025-12-31"), "INT-PARSE-ERROR",
     "valid_to 2025-12-31 is before valid_from 2026-01-01"),
    ("price_agreement", agreement(valid_from="2026-06-01"), "PRC-CONTRACT-MISMATCH",
     "its validity (2026-06-01 to open-ended) overlaps PA-C1-P1 v1 for C1 and P1 (from 2026-01-01, "
     "open-ended); end one before the other starts"),
    ("price_agreement", agreement(breaks=[{"min_quantity": "10", "price": "1.5"},
                                          {"min_quantity": "10.0", "price": "1.4"}]),
     "INT-PARSE-ERROR", "price break"),
    ("stock_position", {"warehouse_id": "W1", "product_id": "P1", "quantity": "5", "uom": "PL"},
     "VAL-UOM-INVALID", "unit 'PL' is not valid for P1 (valid: EA, CS)"),
    ("stock_position", {"warehouse_id": "W9", "product_id": "P1", "quantity": "5"},
     "INT-UNKNOWN-REFERENCE", "warehouse 'W9' is not in master data"),
])
def test_a_bad_record_is_parked_with_a_precise_reason(h: Harness, kind: str, body: dict[str, Any],
                                                      code: str, words: str) -> None:
    assert_parked(h, kind, body, code, words)


def test_an_agreement_for_an_account_not_yet_known_waits_for_it(h: Harness) -> None:
    early = h.send("price_agreement", agreement(customer_id="C9"))
    assert early.status is Status.DEAD_LETTERED and "customer 'C9' is not in master data" in str(early.reason)
    h.send("customer", customer_body("C9"))
    with h.app.store.unit_of_work() as uow:
        assert uow.master.agreement("PA-9") is not None
    assert h.dead_letters() == []


def test_an_order_is_priced_by_the_agreement_and_names_its_version(h: Harness) -> None:
    h.stock("P1", "1000")
    first = str(h.order(po="PO-1").correlation_id)
    assert priced(h, first) == (Decimal("2.00"), "contract:PA-C1-P1@v1")
    # the agreement is lowered: a new version; the first order keeps what it was priced by
    h.send("price_agreement", agreement("PA-C1-P1", price="1.80"))
    [changed] = master_events(h, "price_agreement:PA-C1-P1")  # the seeded v1 came without one
    assert changed.changed == ("price",) and changed.agreement.version == 2
    second = str(h.order(po="PO-2").correlation_id)
    assert priced(h, second) == (Decimal("1.80"), "contract:PA-C1-P1@v2")
    assert priced(h, first) == (Decimal("2.00"), "contract:PA-C1-P1@v1")
    lines = [summarize(e) for e in h.events(first)]
    assert any(x.startswith("Validated: 1 line(s) priced (contract:PA-C1-P1@v1)") for x in lines), lines


def test_the_agreement_valid_on_the_order_date_prices_it(h: Harness) -> None:
    h.send("price_agreement", agreement("PA-C1-P1", valid_to="2026-02-28"))  # v2 ends in February
    h.send("price_agreement", agreement("PA-C1-P1-MAR", price="2.20", valid_from="2026-03-01"))
    h.stock("P1", "1000")
    feb = str(h.order(po="PO-FEB", order_date="2026-02-10").correlation_id)
    mar = str(h.order(po="PO-MAR", order_date="2026-03-10").correlation_id)
    assert priced(h, feb) == (Decimal("1.90"), "contract:PA-C1-P1@v2")
    assert priced(h, mar) == (Decimal("2.20"), "contract:PA-C1-P1-MAR@v1")


def test_quantity_breaks_lower_the_price_for_larger_lines(h: Harness) -> None:
    h.send("price_agreement", agreement("PA-C1-P1", price="2.00",
                                        breaks=[{"min_quantity": "120", "price": "1.85"},
                                                {"min_quantity": "600", "price": "1.70"}]))
    h.stock("P1", "10000")
    small = str(h.order(po="PO-S", lines=[("P1", "119", "EA")]).correlation_id)
    case = str(h.order(po="PO-C", lines=[("P1", "10", "CS")]).correlation_id)  # 120 EA
    pallet = str(h.order(po="PO-P", lines=[("P1", "600", "EA")]).correlation_id)
    assert [priced(h, o)[0] for o in (small, case, pallet)] == [Decimal("2.00"), Decimal("1.85"),
                                                                Decimal("1.70")]


def test_a_group_price_list_prices_its_members_after_their_own_agreements(new_harness: Any) -> None:
    h: Harness = new_harness()
    seed(h.app, customer("C1"))
    h.send("customer", customer_body("G1"))
    h.send("customer", customer_body("C7", parent_id="G1"))
    h.send("customer", customer_body("C8", parent_id="G1"))
    h.send("price_agreement", agreement("PL-G1", customer_id="G1", group=True, price="2.10"))
    h.send("price_agreement", agreement("PA-C8", customer_id="C8", price="1.95"))
    h.stock("P1", "1000")
    c7 = str(h.order(customer_id="C7", po="PO-7").correlation_id)
    c8 = str(h.order(customer_id="C8", po="PO-8").correlation_id)
    head = str(h.order(customer_id="G1", po="PO-G").correlation_id)
    assert priced(h, c7) == (Decimal("2.10"), "contract:PL-G1@v1")
    assert priced(h, c8) == (Decimal("1.95"), "contract:PA-C8@v1")
    assert priced(h, head) == (Decimal("2.10"), "contract:PL-G1@v1")
    refused = h.send("price_agreement", agreement("PL-C7", customer_id="C7", group=True))
    assert refused.status is Status.DEAD_LETTERED
    assert "filed under the group's head account; C7 is a member of group G1" in str(refused.reason)


def test_an_order_held_for_a_missing_price_goes_on_when_an_agreement_arrives(h: Harness) -> None:
    h.send("product", product_body("P9", prices=[]))  # no list price in USD
    h.stock("P9", "100")
    oid = str(h.order(lines=[("P9", "10", "EA")]).correlation_id)
    [hold] = h.get(oid).open_holds
    assert hold.code is HoldCode.VAL_ITEM_UNKNOWN and "has no price in USD" in hold.reason
    h.send("price_agreement", agreement("PA-C1-P9", product_id="P9", price="3.00"))
    order = h.get(oid)
    assert order.open_holds == [] and order.status is OrderStatus.RELEASED
    assert priced(h, oid) == (Decimal("3.00"), "contract:PA-C1-P9@v1")
    [released] = [e.payload for e in h.events(oid) if isinstance(e.payload, ev.HoldReleased)]
    assert "price agreement PA-C1-P9 v1 added" in released.reason


def test_a_credit_decision_names_the_version_of_the_limit_it_read(new_harness: Any) -> None:
    h: Harness = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    h.send("customer", customer_body("C1", credit_limit="60000.00"))  # v2 of the seeded C1
    oid = str(h.order().correlation_id)
    [approved] = [e.payload for e in h.events(oid) if isinstance(e.payload, ev.CreditApproved)]
    assert approved.decision is not None
    assert approved.decision.inputs["credit_limit_as_of"] == "v2 2026-03-02"
    assert str(approved.decision.inputs["credit_limit"]) == "60000.00"
    [line] = [summarize(e) for e in h.events(oid) if isinstance(e.payload, ev.CreditApproved)]
    assert "limit 60,000.00 USD (account record v2 2026-03-02)" in line, line


def test_opening_stock_is_taken_once(h: Harness) -> None:
    body = {"warehouse_id": "W2", "product_id": "P1", "quantity": "20", "uom": "CS"}
    assert h.send("stock_position", body).status is Status.APPLIED
    assert h.send("stock_position", body, msg_id="again").status is Status.APPLIED  # unchanged
    with h.app.store.unit_of_work() as uow:
        [pos] = [p for p in uow.stock.positions(["P1"]) if p.warehouse_id == "W2"]
    assert pos.on_hand == 240  # 20 cases of 12
    restated = h.send("stock_position", {**body, "quantity": "25"})
    assert restated.status is Status.DEAD_LETTERED
    assert "o2c already keeps this position (240 on hand); an opening balance is taken once" \
        in str(restated.reason)


def test_who_may_send_prices_and_warehouses(h: Harness) -> None:
    clerk = user("cs", Role.CUSTOMER_SERVICE)
    later = agreement(valid_from="2027-01-01")
    h.send("price_agreement", agreement("PA-C1-P1", valid_to="2026-12-31"))
    assert h.send("price_agreement", later, actor=clerk).status is Status.REFUSED
    assert h.send("price_agreement", later, actor=user("pr", Role.PRICING)).status is Status.APPLIED
    assert h.send("legal_entity", entity(), actor=user("pr", Role.PRICING)).status is Status.REFUSED
    assert h.send("legal_entity", entity(), actor=user("cfo", Role.CONTROLLER)).status \
        is Status.APPLIED
