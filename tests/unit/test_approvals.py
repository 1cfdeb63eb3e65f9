"""Tiered approvals, four-eyes, credit per group and automatic release, from the policy.

Who may decide a hold depends on its code and what is at stake (the policy's
``approvals`` table); whoever entered or changed an order may not decide its
four-eyes holds; credit is checked per account and per group; a credit hold whose
condition is gone once exposure falls is released by o2c itself, naming its rule.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import yaml

from o2c.bootstrap import load_policy_file
from o2c.domain.actors import Actor, user
from o2c.domain.holds import HoldCode, Role
from o2c.domain.orders import OrderStatus
from o2c.engine.authority import tier
from o2c.engine.runtime import Status
from o2c.policy import PolicyError, parse_policy
from tests.builders import Harness, customer, seed
from tests.unit.test_order_changes import qty

OVER = HoldCode.CRD_OVER_LIMIT
ANA = user("ana", Role.CREDIT_ANALYST)
CARL = user("carl", Role.CREDIT_MANAGER)
CORA = user("cora", Role.CONTROLLER)


def held(h: Harness, each: str, *, actor: Actor | None = None, customer_id: str = "C1",
         po: str = "PO-1") -> str:
    """An order of ``each`` EA of P1 at the contract's 2.00, sent by ``actor`` (a person
    entering it) or by the portal itself."""
    out = h.send("order", {
        "legal_entity_id": "US", "customer_id": customer_id, "ship_to_id": f"{customer_id}-ST1",
        "po_number": po, "channel": "portal", "currency": "USD",
        "order_date": h.clock.now().date().isoformat(),
        "lines": [{"line_no": 1, "product_id": "P1", "quantity": each, "uom": "EA"}]}, actor=actor)
    assert out.status is Status.APPLIED, out.reason
    assert out.correlation_id is not None
    return out.correlation_id


def decide(h: Harness, oid: str, actor: Actor, code: HoldCode = OVER, action: str = "release") -> Any:
    return h.send("hold_decision", {"order_id": oid, "code": code.value, "by": actor.id,
                                    "reason": "prepaid", "action": action}, actor=actor)


@pytest.mark.parametrize(("each", "at_stake", "needs", "rule"), [
    ("4000", "7990.00", Role.CREDIT_ANALYST, "approvals/over-limit-analyst"),
    ("30000", "59990.00", Role.CREDIT_MANAGER, "approvals/over-limit-manager"),
    ("60000", "119990.00", Role.CONTROLLER, "approvals/over-limit-controller"),
])
def test_an_over_limit_hold_is_decided_by_the_tier_its_amount_falls_in(
        each: str, at_stake: str, needs: Role, rule: str, new_harness: Any) -> None:
    h = new_harness()
    seed(h.app, customer(limit="10"))
    oid = held(h, each)
    [hold] = h.get(oid).open_holds
    assert (hold.code, hold.amount) == (OVER, Decimal(at_stake))
    ladder = [ANA, CARL, CORA]
    lowest = [Role.CREDIT_ANALYST, Role.CREDIT_MANAGER, Role.CONTROLLER].index(needs)
    for below in ladder[:lowest]:
        out = decide(h, oid, below)
        assert out.status is Status.REFUSED and out.code == "AUTH-FORBIDDEN"
        assert f"with {at_stake} USD at stake needs {needs.value} or above ({rule})" in out.reason
        assert h.get(oid).open_holds, "a refused decision leaves the hold open"
    assert decide(h, oid, ladder[lowest]).status is Status.APPLIED
    released = next(e.payload for e in h.events(oid) if e.type == "HoldReleased")
    # the decision names the policy, its version, the approvals rule and what it read
    assert (released.decision.policy_id, released.decision.version) == ("o2c.default", "1")
    assert released.decision.rule == rule
    assert released.decision.inputs["amount"] == at_stake
    assert released.decision.inputs["tier"] == needs.value
    assert released.by == ladder[lowest].id


def test_a_hold_outside_the_credit_ladder_keeps_its_owner_and_a_controller_decides_any(
        new_harness: Any) -> None:
    h = new_harness()
    seed(h.app, customer(limit="10"))
    oid = held(h, "100")
    assert decide(h, oid, user("pia", Role.PRICING)).status is Status.REFUSED
    assert decide(h, oid, CORA).status is Status.APPLIED


def test_whoever_entered_the_order_may_not_approve_its_credit_hold_nor_may_their_stand_in(
        new_harness: Any) -> None:
    h = new_harness()
    seed(h.app, customer(limit="10"))
    chris = user("chris", Role.CUSTOMER_SERVICE, Role.CREDIT_MANAGER)
    oid = held(h, "100", actor=chris)
    assert h.get(oid).entered_by == "chris"
    out = decide(h, oid, chris)
    assert out.status is Status.REFUSED
    assert "four-eyes: chris entered order" in out.reason
    # a delegate holding chris's roles while chris is away is chris, for four-eyes
    stand_in = user("dee", Role.CREDIT_MANAGER, on_behalf_of="chris")
    out = decide(h, oid, stand_in)
    assert out.status is Status.REFUSED and "chris (for whom dee stands in) entered" in out.reason
    assert decide(h, oid, CARL).status is Status.APPLIED


def test_whoever_changed_the_order_may_not_approve_it_either(new_harness: Any) -> None:
    h = new_harness()
    seed(h.app, customer(limit="10"))
    oid = held(h, "100")
    sam = user("sam", Role.SALES_OPS, Role.CREDIT_ANALYST)
    out = h.send("order_change", {"legal_entity_id": "US", "customer_id": "C1", "po_number": "PO-1",
                                  "purpose": "change", "change_sequence": "1",
                                  "lines": [qty(1, "120")]}, actor=sam)
    assert out.status is Status.APPLIED, out.reason
    assert h.get(oid).changed_by == ["sam"]
    out = decide(h, oid, sam)
    assert out.status is Status.REFUSED and "four-eyes: sam changed order" in out.reason


def paid_down(h: Harness, *, limit: str, parent: str | None = None) -> tuple[str, str]:
    """C1 (limit ``limit``) owes invoice ``US-…`` of 643.50 (300 EA shipped); a new order of
    600.00 is held over the limit. Returns (the held order, the open invoice)."""
    h.stock("P1", "10000")
    first = held(h, "300", po="PO-OLD", customer_id=parent or "C1")
    h.ship_all(first)
    [invoice] = h.get(first).invoices
    oid = held(h, "300", po="PO-2")
    assert [x.code for x in h.get(oid).open_holds] == [OVER]
    return oid, invoice


def test_a_payment_that_covers_the_overage_releases_the_credit_hold_as_o2cs_decision(
        new_harness: Any) -> None:
    h = new_harness()
    seed(h.app, customer(limit="1000"))
    oid, invoice = paid_down(h, limit="1000")
    h.later(hours=2)
    assert h.pay("C1", [(invoice, "643.50", "0")]).status is Status.APPLIED
    order = h.get(oid)
    assert not order.on_hold and order.status is OrderStatus.RELEASED
    released = next(e.payload for e in h.events(oid) if e.type == "HoldReleased")
    assert released.by == "o2c.engine"
    assert released.decision.rule == "credit/auto_release"
    assert released.decision.inputs["over_limit"] == "-400.00"
    assert f"payment PAY1 applied to {invoice}" in released.reason
    # and the credit check after it approves by the table's own rule
    approved = next(e.payload for e in h.events(oid) if e.type == "CreditApproved")
    assert approved.decision.rule == "credit/within-limit"


def test_a_payment_that_leaves_the_order_over_the_limit_releases_nothing(new_harness: Any) -> None:
    h = new_harness()
    seed(h.app, customer(limit="1000"))
    oid, invoice = paid_down(h, limit="1000")
    assert h.pay("C1", [(invoice, "100.00", "0")]).status is Status.APPLIED
    assert [x.code for x in h.get(oid).open_holds] == [OVER]


def test_without_auto_release_in_the_policy_the_hold_waits_for_a_person(new_harness: Any) -> None:
    raw = yaml.safe_load(yaml.safe_dump(load_policy_file().raw))
    raw["credit"]["auto_release"] = []
    h = new_harness(policies=[parse_policy(raw)])
    seed(h.app, customer(limit="1000"))
    oid, invoice = paid_down(h, limit="1000")
    h.pay("C1", [(invoice, "643.50", "0")])
    assert [x.code for x in h.get(oid).open_holds] == [OVER]


def test_an_account_in_a_group_is_held_when_the_group_is_over_the_parents_limit(new_harness: Any) -> None:
    h = new_harness()
    parent = customer("HQ", limit="1000")
    child = replace(customer("C1", limit="100000"), parent_id="HQ")
    seed(h.app, parent, child)
    oid, invoice = paid_down(h, limit="100000", parent="HQ")
    [hold] = h.get(oid).open_holds
    assert "group HQ exposure 1243.50 exceeds its limit 1000.00 USD by 243.50" in hold.reason
    assert hold.amount == Decimal("243.50")
    placed = next(e.payload for e in h.events(oid) if e.type == "HoldPlaced")
    assert placed.decision.rule == "credit/group-over-limit"
    assert placed.decision.inputs["group_exposure"] == "1243.50"
    # the parent pays: the child's order is released, the group being within its limit again
    assert h.pay("HQ", [(invoice, "643.50", "0")]).status is Status.APPLIED
    assert not h.get(oid).on_hold


def test_cancelling_an_order_releases_its_sibling_held_for_the_exposure_it_caused(new_harness: Any) -> None:
    h = new_harness()
    seed(h.app, customer(limit="1000"))
    h.stock("P1", "10000")
    first = held(h, "300", po="PO-A")   # 600: within the limit, released to the warehouse
    second = held(h, "300", po="PO-B")  # 1,200 with the first: held
    assert [x.code for x in h.get(second).open_holds] == [OVER]
    out = h.send("order_rejection", {"order_id": first, "by": "chris", "reason": "customer cancelled"},
                 actor=user("chris", Role.CUSTOMER_SERVICE))
    assert out.status is Status.APPLIED, out.reason
    assert not h.get(second).on_hold


def test_the_tier_comes_from_the_entity_override() -> None:
    raw = yaml.safe_load(yaml.safe_dump(load_policy_file().raw))
    raw["entities"] = {"CA": {"approvals": {"rules": [
        {"id": "all-credit-to-manager", "when": {"code": "CRD-OVER-LIMIT"},
         "then": {"role": "credit_manager"}},
        {"id": "owner", "then": {"role": "owner"}}]}}}
    p = parse_policy(raw)
    small = Decimal("5")
    assert tier(p.for_entity("US"), OVER, small, "US").role is Role.CREDIT_ANALYST
    assert tier(p.for_entity("CA"), OVER, small, "CA").role is Role.CREDIT_MANAGER
    assert tier(p.for_entity("CA"), HoldCode.INV_SHORT, small, "CA").role is Role.SALES_OPS


@pytest.mark.parametrize(("change", "message"), [
    ({"approvals": {"rules": [{"id": "x", "then": {"role": "boss"}}]}},
     "policy.approvals.rules[x].then.role: expected 'owner' or one of"),
    ({"approvals": {"rules": [{"id": "x", "then": {"role": "admin"}}]}},
     "policy.approvals.rules[x].then.role"),
    ({"approvals": {"rules": [{"id": "x", "then": {"role": "owner"}}], "four_eyes": ["NOPE"]}},
     "policy.approvals.four_eyes: 'NOPE' is not one of"),
    ({"credit": {"auto_release": ["INV-SHORT"]}}, "policy.credit.auto_release: 'INV-SHORT' is not one of"),
])
def test_a_bad_approvals_section_is_refused_naming_its_path(change: dict[str, Any], message: str) -> None:
    raw = yaml.safe_load(yaml.safe_dump(load_policy_file().raw))
    for section, values in change.items():
        raw[section] = {**raw[section], **values}
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(raw)
