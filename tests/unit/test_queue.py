"""The work queue: which open holds a person may act on, with their context, and the claims
and comments on them. The scenarios take ``new_harness``: the in-memory store here, SQLite and
PostgreSQL in ``tests/integration/test_queue_on_sql.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.analytics.queue import Claimed, QueueFilter, build_queue, queue_item
from o2c.domain.actors import Actor, ActorKind, user
from o2c.domain.holds import TAXONOMY, Hold, HoldCode, HoldStatus, Role
from o2c.domain.work import order_of_hold
from o2c.engine.authority import at_or_above
from o2c.engine.queue import can_act, claim_refusal, rank, sections_at
from o2c.store import work_items
from o2c.store.work_items import Refusal, WorkError
from tests.auth import person
from tests.builders import T0, Harness, customer, seed

Make = Callable[..., Harness]


def _order(entity: str = "US") -> Any:
    from o2c.domain.orders import Order

    return Order(order_id="O1", legal_entity_id=entity, customer_id="C1", ship_to_id="S", po_number="PO",
                 channel="portal", currency="USD", order_date=T0.date(), requested_date=None,
                 payment_terms=None, received_at=T0, lines=[])


def _hold(code: HoldCode, status: HoldStatus = HoldStatus.OPEN) -> Hold:
    return Hold(hold_id="O1-H1", code=code, reason="", placed_at=T0, sla_due_at=None, status=status)


# ---------------------------------------------------------------- can_act


def test_an_analyst_acts_on_credit_holds_of_their_entity_only() -> None:
    ana = user("ana", Role.CREDIT_ANALYST, entities={"US"})
    assert can_act(ana, _order("US"), _hold(HoldCode.CRD_OVER_LIMIT))
    assert not can_act(ana, _order("DE"), _hold(HoldCode.CRD_OVER_LIMIT))
    assert not can_act(ana, _order("US"), _hold(HoldCode.CRD_ACCOUNT_BLOCKED))  # a manager's
    assert not can_act(ana, _order("US"), _hold(HoldCode.PRC_BELOW_FLOOR))
    assert not can_act(ana, _order("US"), _hold(HoldCode.CRD_OVER_LIMIT, HoldStatus.RELEASED))


def test_an_api_key_never_acts_on_a_hold_whatever_its_roles() -> None:
    key = Actor(kind=ActorKind.API_KEY, id="bot", roles=frozenset(Role))
    assert not can_act(key, _order(), _hold(HoldCode.CRD_OVER_LIMIT))


@given(roles=st.frozensets(st.sampled_from(list(Role))), code=st.sampled_from(list(HoldCode)),
       entities=st.one_of(st.none(), st.frozensets(st.sampled_from(["US", "DE"]))))
def test_can_act_is_the_engines_own_rule(roles: frozenset[Role], code: HoldCode,
                                         entities: frozenset[str] | None) -> None:
    """The queue offers exactly what the engine accepts: the owner role or one above it,
    for the order's legal entity."""
    actor = Actor(kind=ActorKind.USER, id="p", roles=roles, entities=entities)
    expected = bool(roles & at_or_above(TAXONOMY[code].owner)) and (entities is None or "US" in entities)
    assert can_act(actor, _order("US"), _hold(code)) is expected


@given(roles=st.frozensets(st.sampled_from(list(Role))), more=st.sampled_from(list(Role)),
       owner=st.sampled_from(sorted({k.owner for k in TAXONOMY.values()})))
def test_more_roles_never_rank_lower(roles: frozenset[Role], more: Role, owner: Role) -> None:
    assert rank(roles | {more}, owner) >= rank(roles, owner)
    assert (rank(roles, owner) >= 0) is bool(roles & at_or_above(owner))


def test_a_claim_is_taken_over_only_by_someone_ranking_higher() -> None:
    owner = Role.CREDIT_ANALYST
    carl = user("carl", Role.CREDIT_ANALYST)
    cora = user("cora", Role.CONTROLLER)
    assert "claimed by ana" in (claim_refusal(carl, "ana", frozenset({Role.CREDIT_ANALYST}), owner) or "")
    assert claim_refusal(cora, "ana", frozenset({Role.CREDIT_ANALYST}), owner) is None
    assert claim_refusal(carl, "carl", frozenset({Role.CREDIT_ANALYST}), owner) is None
    assert claim_refusal(carl, "gone", None, owner) is None  # the holder is no longer a user
    assert claim_refusal(carl, "cora", frozenset({Role.CONTROLLER}), owner) is not None


def test_a_hold_id_names_its_order() -> None:
    assert order_of_hold("SO-000123-H2") == "SO-000123"
    assert order_of_hold("weird-Hx") is None and order_of_hold("nothing") is None


# ---------------------------------------------------------------- the queue


def held_for_credit(h: Harness) -> str:
    """An order of 20.00 for C1 (limit 10) held over its credit limit; people ana (credit
    analyst, US), wes (warehouse), carl (credit analyst), cora (controller), dee (credit
    analyst for DE only)."""
    seed(h.app, customer(limit="10"))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    assert oid is not None and h.get(oid).open_holds[0].code is HoldCode.CRD_OVER_LIMIT
    person(h.app, "ana", Role.CREDIT_ANALYST, entities={"US"})
    person(h.app, "carl", Role.CREDIT_ANALYST)
    person(h.app, "wes", Role.WAREHOUSE_OPS)
    person(h.app, "cora", Role.CONTROLLER)
    return oid


def actor(h: Harness, user_id: str) -> Actor:
    from o2c.store.identities import actor_for_user

    return actor_for_user(h.app.store, user_id, h.clock.now())


def test_the_analyst_sees_the_credit_hold_with_what_decides_it(new_harness: Make) -> None:
    h = new_harness()
    oid = held_for_credit(h)
    h.later(hours=3)
    (item,) = build_queue(h.app.store, actor(h, "ana"), now=h.clock.now())
    hold = h.get(oid).open_holds[0]
    assert (item.hold_id, item.code, item.owner_role) == (hold.hold_id, "CRD-OVER-LIMIT", "credit_analyst")
    assert item.order.order_id == oid and item.order.value == Decimal("20.00")
    assert item.amount_at_stake == hold.amount == Decimal("10.00")
    assert item.order.currency == "USD" and item.order.legal_entity_id == "US"
    assert item.customer is not None and item.customer.name == "Customer C1"
    assert item.customer.credit_limit == Decimal("10")
    assert item.credit is not None and item.credit.source == "decision"
    assert (item.credit.exposure, item.credit.credit_limit, item.credit.over_by) == (
        Decimal("20.00"), Decimal("10"), Decimal("10.00"))
    assert [c.rule for c in item.conditions] == ["credit/over-limit"]
    assert item.rule == "credit/over-limit" and item.policy_version
    assert item.placed_at == hold.placed_at and item.sla_due_at == hold.sla_due_at
    assert item.sla_due_at is not None and item.time_left == item.sla_due_at - h.clock.now()
    assert item.claim is None and item.comments == 0
    assert queue_item(h.app.store, actor(h, "ana"), hold.hold_id, now=h.clock.now()) == item


def test_who_sees_what(new_harness: Make) -> None:
    h = new_harness()
    oid = held_for_credit(h)
    now = h.clock.now()
    assert [i.order.order_id for i in build_queue(h.app.store, actor(h, "cora"), now=now)] == [oid]
    assert build_queue(h.app.store, actor(h, "wes"), now=now) == []
    hold_id = h.get(oid).open_holds[0].hold_id
    with pytest.raises(WorkError) as e:
        queue_item(h.app.store, actor(h, "wes"), hold_id, now=now)
    assert e.value.kind is Refusal.FORBIDDEN and "credit_analyst" in str(e.value)
    other = user("dee", Role.CREDIT_ANALYST, entities={"DE"})
    assert build_queue(h.app.store, other, now=now) == []
    with pytest.raises(WorkError) as e:
        queue_item(h.app.store, other, hold_id, now=now)
    assert e.value.kind is Refusal.NOT_FOUND


def test_filters_and_breach(new_harness: Make) -> None:
    h = new_harness()
    held_for_credit(h)
    ana = actor(h, "ana")
    store, now = h.app.store, h.clock.now()
    assert len(build_queue(store, ana, now=now, where=QueueFilter(code=HoldCode.CRD_OVER_LIMIT))) == 1
    assert build_queue(store, ana, now=now, where=QueueFilter(code=HoldCode.CRD_PAST_DUE)) == []
    assert build_queue(store, ana, now=now, where=QueueFilter(customer_id="C2")) == []
    assert build_queue(store, ana, now=now, where=QueueFilter(legal_entity_id="DE")) == []
    assert build_queue(store, ana, now=now, where=QueueFilter(breached=True)) == []
    (item,) = build_queue(store, ana, now=now)
    assert item.sla_due_at is not None
    late = item.sla_due_at + timedelta(minutes=5)
    (breached,) = build_queue(store, ana, now=late, where=QueueFilter(breached=True))
    assert breached.breached and breached.time_left == timedelta(minutes=-5)
    assert build_queue(store, ana, now=now, where=QueueFilter(claimed=Claimed.ME)) == []
    assert len(build_queue(store, ana, now=now, where=QueueFilter(claimed=Claimed.UNCLAIMED))) == 1


def test_sorted_by_sla_due(new_harness: Make) -> None:
    h = new_harness()
    held_for_credit(h)
    h.later(hours=1)
    h.order(po="PO-2")
    items = build_queue(h.app.store, actor(h, "ana"), now=h.clock.now())
    assert len(items) == 2 and items[0].sla_due_at is not None and items[1].sla_due_at is not None
    assert items[0].sla_due_at < items[1].sla_due_at


# ---------------------------------------------------------------- claims and comments


def audit_actions(h: Harness) -> list[tuple[str, str, str]]:
    with h.app.store.unit_of_work() as uow:
        return [(r.action, r.actor_label.removeprefix("user:"), r.subject_id) for r in uow.audit.entries()
                if r.action.startswith("hold.") and r.subject_type == "hold"]


def test_claims_assignments_and_comments_are_stored_and_audited(new_harness: Make) -> None:
    h = new_harness()
    oid = held_for_credit(h)
    store, now = h.app.store, h.clock.now()
    hid = h.get(oid).open_holds[0].hold_id
    ana, carl, cora, wes = (actor(h, u) for u in ("ana", "carl", "cora", "wes"))

    claim = work_items.claim(store, ana, hid, at=now)
    assert (claim.claimed_by, claim.claimed_at, claim.order_id) == ("ana", now, oid)
    assert work_items.claim(store, ana, hid, at=now) == claim  # again: nothing changes
    with pytest.raises(WorkError) as e:
        work_items.claim(store, carl, hid, at=now)
    assert e.value.kind is Refusal.CONFLICT and "claimed by ana" in str(e.value)
    with pytest.raises(WorkError) as e:
        work_items.unclaim(store, carl, hid, at=now)
    assert e.value.kind is Refusal.CONFLICT
    with pytest.raises(WorkError) as e:
        work_items.claim(store, wes, hid, at=now)
    assert e.value.kind is Refusal.FORBIDDEN

    # the holder hands it over; someone who may not act on it cannot receive it
    with pytest.raises(WorkError) as e:
        work_items.assign(store, ana, hid, "wes", at=now)
    assert e.value.kind is Refusal.INVALID and "wes may not act" in str(e.value)
    given = work_items.assign(store, ana, hid, "carl", at=now)
    assert (given.claimed_by, given.assigned_by) == ("carl", "ana")
    # a controller outranks the analyst holding it
    taken = work_items.claim(store, cora, hid, at=now)
    assert taken.claimed_by == "cora"
    work_items.unclaim(store, cora, hid, at=now)
    (item,) = build_queue(store, ana, now=now)
    assert item.claim is None

    h.later(minutes=7)
    note = work_items.comment(store, carl, hid, "  called the buyer, paying Friday ", at=h.clock.now())
    assert (note.author, note.written_at) == ("carl", h.clock.now())
    assert note.text == "called the buyer, paying Friday"
    with pytest.raises(WorkError):
        work_items.comment(store, carl, hid, "   ", at=h.clock.now())
    assert [c.text for c in work_items.comments(store, ana, hid)] == ["called the buyer, paying Friday"]
    work_items.claim(store, carl, hid, at=h.clock.now())
    (item,) = build_queue(store, ana, now=h.clock.now())
    assert item.comments == 1 and item.claimed_by == "carl"
    (mine,) = build_queue(store, carl, now=h.clock.now(), where=QueueFilter(claimed=Claimed.ME))
    assert mine.hold_id == hid

    assert audit_actions(h) == [("hold.claim", "ana", hid), ("hold.assign", "ana", hid),
                                ("hold.claim", "cora", hid), ("hold.unclaim", "cora", hid),
                                ("hold.comment", "carl", hid), ("hold.claim", "carl", hid)]


def test_a_decided_hold_leaves_the_queue_and_takes_no_claim(new_harness: Make) -> None:
    h = new_harness()
    oid = held_for_credit(h)
    hid = h.get(oid).open_holds[0].hold_id
    h.send("hold_decision", {"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "carl", "reason": "prepaid"},
           actor=actor(h, "carl"))
    assert build_queue(h.app.store, actor(h, "ana"), now=h.clock.now()) == []
    with pytest.raises(WorkError) as e:
        work_items.claim(h.app.store, actor(h, "ana"), hid, at=h.clock.now())
    assert e.value.kind is Refusal.CONFLICT and "released" in str(e.value)


def test_the_policy_in_force_reaches_can_act_for_limits_by_amount(new_harness: Make) -> None:
    """Approval tiers read the policy of the order's entity: the queue hands it to can_act."""

    h = new_harness()
    held_for_credit(h)
    asked: list[str] = []
    policy = sections_at(h.app.policies, h.clock.now())

    def sections(entity: str) -> Any:
        asked.append(entity)
        return policy(entity)

    assert len(build_queue(h.app.store, actor(h, "ana"), now=h.clock.now(), sections=sections)) == 1
    assert asked == ["US"] and policy("US") is policy("US")  # looked up once per entity


_MIXED: list[Harness] = []


def mixed() -> Harness:
    """Held orders of several kinds, built once: over the credit limit (credit analyst), a PO
    price outside the contract's tolerance (pricing), an unknown item (customer service)."""
    if not _MIXED:
        h = Harness()
        seed(h.app, customer("C1"), customer("C2", limit="10"))
        h.stock("P1", "100")
        h.order(customer_id="C2", po="PO-CREDIT")
        h.order(po="PO-PRICE", price="9.99")
        h.order(po="PO-ITEM", lines=[("NOPE", "1", "EA")])
        _MIXED.append(h)
    return _MIXED[0]


@settings(deadline=None)  # the first example builds the orders
@given(roles=st.frozensets(st.sampled_from(list(Role))),
       entities=st.one_of(st.none(), st.frozensets(st.sampled_from(["US", "DE"]))))
def test_the_queue_is_exactly_the_open_holds_can_act_allows(roles: frozenset[Role],
                                                            entities: frozenset[str] | None) -> None:
    h = mixed()
    person_ = Actor(kind=ActorKind.USER, id="p", roles=roles, entities=entities)
    with h.app.store.unit_of_work() as uow:
        held = [uow.orders.get(i) for i in uow.orders.held()]
    sections = sections_at(h.app.policies, h.clock.now())
    expected = {x.hold_id for o in held if o is not None for x in o.open_holds
                if can_act(person_, o, x, sections(o.legal_entity_id))}
    assert len({x.code for o in held if o is not None for x in o.open_holds}) == 3
    got = build_queue(h.app.store, person_, now=h.clock.now(), sections=sections)
    assert {i.hold_id for i in got} == expected
    assert [i.sla_due_at for i in got] == sorted(i.sla_due_at for i in got if i.sla_due_at is not None)


def test_the_queue_follows_the_policys_approval_tiers_and_four_eyes(new_harness: Make) -> None:
    """Over the limit by 10,000 or more, the shipped policy wants a credit manager: the
    analyst's queue does not list the hold (the engine would refuse her), the manager's
    does; and nobody sees a four-eyes hold on an order they entered themselves."""
    from o2c.engine.queue import why_not

    h = new_harness()
    held_for_credit(h)
    person(h.app, "mona", Role.CREDIT_MANAGER)
    big = h.order(po="PO-BIG", lines=[("P1", "6000", "EA")]).correlation_id  # 12,000.00 on a 10.00 limit
    assert big is not None
    (hold,) = h.get(big).open_holds
    assert hold.code is HoldCode.CRD_OVER_LIMIT and hold.amount is not None and hold.amount >= 10_000
    now = h.clock.now()
    sections = sections_at(h.app.policies, now)

    def listed(who: str) -> set[str]:
        return {i.order.order_id for i in build_queue(h.app.store, actor(h, who), now=now, sections=sections)}

    assert big not in listed("ana") and big in listed("mona") and big in listed("cora")
    assert "credit_manager" in why_not(actor(h, "ana"), h.get(big), hold, sections("US"))
    with pytest.raises(WorkError) as e:
        work_items.claim(h.app.store, actor(h, "ana"), hold.hold_id, at=now, sections=sections)
    assert e.value.kind is Refusal.FORBIDDEN and "credit_manager" in str(e.value)
    # what the queue says is what the engine does
    decision = {"order_id": big, "code": "CRD-OVER-LIMIT", "reason": "ok"}
    refused = h.send("hold_decision", {**decision, "by": "ana"}, actor=actor(h, "ana"))
    assert refused.code == "AUTH-FORBIDDEN"
    applied = h.send("hold_decision", {**decision, "by": "mona"}, actor=actor(h, "mona"))
    assert applied.status.value == "applied"

    # four-eyes: the manager who entered an order does not see its credit hold
    entered = _order("US")
    entered.entered_by = "mona"
    over = Hold(hold_id="O1-H1", code=HoldCode.CRD_OVER_LIMIT, reason="", placed_at=T0, sla_due_at=None,
                amount=Decimal("50000"))
    assert not can_act(actor(h, "mona"), entered, over, sections("US"))
    assert can_act(actor(h, "cora"), entered, over, sections("US"))
    assert "four-eyes" in why_not(actor(h, "mona"), entered, over, sections("US"))
