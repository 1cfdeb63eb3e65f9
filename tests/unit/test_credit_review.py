"""Credit review collects every failing condition, and a person's release accepts only
what the hold showed.

Runs on the in-memory store here; ``tests/integration`` runs the same scenarios on
SQLite and PostgreSQL by overriding the ``new_harness`` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest

from o2c.analytics.trace import build_trace
from o2c.domain.holds import HoldCode
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, seed
from tests.unit.test_order_changes import change, qty

PAST_DUE, OVER_LIMIT, BLOCKED = HoldCode.CRD_PAST_DUE, HoldCode.CRD_OVER_LIMIT, HoldCode.CRD_ACCOUNT_BLOCKED


def owing_past_due(new_harness: Any, *, limit: str, stock: str = "10000") -> Harness:
    """C1 (credit limit ``limit``) owes 643.50 (300 EA at 2.00 plus tax) on an invoice
    that is 31 days past due; ``stock`` EA of P1 were received before it shipped."""
    h: Harness = new_harness()
    seed(h.app, customer(limit=limit))
    h.stock("P1", stock)
    h.ship_all(h.order(po="PO-OLD", lines=[("P1", "300", "EA")]).correlation_id)
    h.later(days=61)  # 2/10 net 30: due after 30 days, so 31 days late
    return h


def order(h: Harness, po: str, each: str = "300") -> str:
    return h.order(po=po, lines=[("P1", each, "EA")]).correlation_id


def decide(h: Harness, oid: str, code: HoldCode, by: str = "ana", action: str = "release") -> None:
    out = h.send("hold_decision", {"order_id": oid, "code": code.value, "by": by,
                                   "reason": "spoke to the buyer", "action": action})
    assert out.status is Status.APPLIED, out.reason


def placed(h: Harness, oid: str) -> list[Any]:
    return [e.payload for e in h.events(oid) if e.type == "HoldPlaced"]


def approvals(h: Harness, oid: str) -> list[Any]:
    return [e.payload for e in h.events(oid) if e.type == "CreditApproved"]


def test_an_order_past_due_and_over_its_limit_is_held_for_both_and_each_hold_names_both(
        new_harness: Any) -> None:
    # given 643.50 past due and a limit of 1,000.00
    h = owing_past_due(new_harness, limit="1000")
    # when an order of 600.00 arrives (exposure 1,243.50)
    oid = order(h, "PO-2")
    # then it waits on one hold per failing code, placed together in the policy's order
    held = h.get(oid)
    assert [x.code for x in held.open_holds] == [PAST_DUE, OVER_LIMIT]
    for hold in held.open_holds:
        assert "643.50 USD past due, oldest 31 days" in hold.reason
        assert "exposure 1243.50 exceeds limit 1000.00 USD by 243.50" in hold.reason
    # and each event's decision lists every failed condition with the inputs it read
    for event in placed(h, oid):
        assert [(c.rule, c.outcome) for c in event.decision.conditions] == [
            ("credit/past-due", "CRD-PAST-DUE"), ("credit/over-limit", "CRD-OVER-LIMIT")]
        past_due, over = event.decision.conditions
        assert past_due.inputs == {"days_past_due": "31", "past_due_amount": "643.50"}
        assert over.inputs == {"over_limit": "243.50"}
    assert [e.decision.rule for e in placed(h, oid)] == ["credit/past-due", "credit/over-limit"]


def test_releasing_the_past_due_hold_does_not_release_an_order_over_its_limit(new_harness: Any) -> None:
    h = owing_past_due(new_harness, limit="1000")
    oid = order(h, "PO-2")
    # when the analyst releases only the past-due hold
    decide(h, oid, PAST_DUE)
    # then the order still waits on the over-limit hold, and credit has not approved it
    held = h.get(oid)
    assert [x.code for x in held.open_holds] == [OVER_LIMIT]
    assert held.status is OrderStatus.VALIDATED and approvals(h, oid) == []
    # and once the over-limit hold is released too, it goes on, naming both acceptances
    decide(h, oid, OVER_LIMIT, by="bo")
    assert h.get(oid).status is OrderStatus.RELEASED
    (approved,) = approvals(h, oid)
    assert approved.decision.rule == "credit/past-due/released-by-person"
    assert approved.decision.inputs["released_by"] == "ana, bo"
    assert [c.rule for c in approved.decision.conditions] == ["credit/past-due", "credit/over-limit"]


def test_rejecting_one_credit_hold_rejects_the_order_and_closes_the_other(new_harness: Any) -> None:
    h = owing_past_due(new_harness, limit="1000")
    oid = order(h, "PO-2")
    decide(h, oid, OVER_LIMIT, action="reject")
    rejected = h.get(oid)
    assert rejected.status is OrderStatus.REJECTED and not rejected.on_hold


def block_account(h: Harness) -> None:
    with h.app.store.unit_of_work() as uow:
        uow.master.add_customer(customer(limit="1500", blocked=True))
        uow.commit()


def release_another_order(h: Harness) -> None:
    """A second 600.00 order, held as past due too, is released first and goes to the
    warehouse: its value is now part of the account's exposure."""
    other = order(h, "PO-3")
    decide(h, other, PAST_DUE)
    assert h.get(other).status is OrderStatus.RELEASED


@pytest.mark.parametrize(("meanwhile", "new_code", "shown"), [
    (release_another_order, OVER_LIMIT, "exposure 1843.50 exceeds limit 1500.00 USD by 343.50"),
    (block_account, BLOCKED, "account C1 is blocked"),
])
def test_a_condition_that_appears_after_a_release_raises_a_new_hold(
        new_harness: Any, meanwhile: Any, new_code: HoldCode, shown: str) -> None:
    # given an order held only as past due (exposure 1,243.50 is within 1,500.00)
    h = owing_past_due(new_harness, limit="1500")
    oid = order(h, "PO-2")
    assert [x.code for x in h.get(oid).open_holds] == [PAST_DUE]
    # when something else fails before the analyst releases it
    meanwhile(h)
    decide(h, oid, PAST_DUE)
    # then the re-check stops the order again for what the release did not see
    held = h.get(oid)
    assert [x.code for x in held.open_holds] == [new_code]
    assert approvals(h, oid) == []
    (hold,) = held.open_holds
    assert shown in hold.reason
    assert "also failing: 643.50 USD past due, oldest 31 days (CRD-PAST-DUE, released by ana)" in hold.reason
    # and releasing the new hold lets it go on: the past due stays accepted
    decide(h, oid, new_code, by="bo")
    assert h.get(oid).status is OrderStatus.RELEASED


def test_a_recheck_after_a_change_holds_for_every_condition_failing_then(new_harness: Any) -> None:
    # given an order of 200.00 held as past due (exposure 843.50 is within 1,000.00), released
    # by the analyst, and waiting for stock (so the buyer may still change it)
    h = owing_past_due(new_harness, limit="1000", stock="300")
    oid = order(h, "PO-2", each="100")
    decide(h, oid, PAST_DUE)
    assert h.get(oid).status is OrderStatus.BACKORDERED
    # when the buyer triples it (600.00: exposure 1,243.50)
    assert change(h, qty(1, "300"), po="PO-2").status is Status.APPLIED
    # then credit is decided again and both conditions hold it
    assert [x.code for x in h.get(oid).open_holds] == [PAST_DUE, OVER_LIMIT]


def test_the_trace_shows_every_failed_condition_of_a_credit_hold(new_harness: Any) -> None:
    h = owing_past_due(new_harness, limit="1000")
    oid = order(h, "PO-2")
    lines = build_trace(h.events(oid)).render_lines()
    holds = [ln for ln in lines if "Hold CRD-" in ln and "placed" in ln]
    assert len(holds) == 2
    for line in holds:
        assert "rules credit/past-due, credit/over-limit" in line
        assert "past due" in line and "exceeds limit" in line
