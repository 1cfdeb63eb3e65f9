"""Durable timers in the engine: a hold escalates exactly at its SLA, exactly once; a POD
that does not come is chased or invoiced anyway; an order that does not move raises an
alert; every one of them notifies through the outbox.

Runs on the in-memory store here; ``tests/integration/test_timers_on_sql.py`` runs the
same scenarios on SQLite and PostgreSQL by overriding the ``new_harness`` fixture.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.analytics.trace import build_trace
from o2c.bootstrap import load_policy_file
from o2c.domain.holds import HoldCode, HoldStatus, Role
from o2c.domain.master import BillingTrigger
from o2c.domain.timers import Timer, TimerKind, TimerState
from o2c.engine.authority import LADDERS, at_or_above, next_up
from o2c.policy import PolicyError, parse_policy
from o2c.store.memory import MemoryStore
from tests.builders import T0, Harness, customer, seed

US = 1  # microsecond


def policy(**changes: Any) -> Any:
    """The shipped policy with ``section.key`` values changed (``billing__pod_overdue_remedy=``)."""
    from importlib import resources

    raw = yaml.safe_load(resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text())
    for path, value in changes.items():
        section, key = path.split("__")
        if value is None:
            raw[section].pop(key, None)
        else:
            raw[section][key] = value
    return parse_policy(raw)


def events(h: Harness, oid: str, kind: str) -> list[Any]:
    return [e for e in h.events(oid) if e.type == kind]


def notifications(h: Harness) -> list[Any]:
    with h.app.store.unit_of_work() as uow:
        return [m for m in uow.outbox.pending(10_000) if m.kind == "notification"]


def fire(h: Harness) -> int:
    return h.app.timer_service().fire_due()


def held_over_limit(new_harness: Any, **kw: Any) -> tuple[Harness, str]:
    """An order held CRD-OVER-LIMIT (owner credit_analyst, SLA 8 hours) at T0."""
    h: Harness = new_harness(**kw)
    seed(h.app, customer(limit="10"))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.CRD_OVER_LIMIT]
    return h, oid


# ---------------------------------------------------------------- hold SLAs


def test_a_hold_escalates_exactly_at_its_sla_and_exactly_once(new_harness: Any) -> None:
    h, oid = held_over_limit(new_harness)
    hold = h.get(oid).open_holds[0]
    assert hold.sla_due_at == T0 + timedelta(hours=8)
    # a microsecond before the SLA nothing is due
    h.clock.set(hold.sla_due_at - timedelta(microseconds=US))
    assert fire(h) == 0
    # at the SLA, one escalation, recorded at the SLA, with the rule that made it
    h.clock.set(hold.sla_due_at)
    assert fire(h) == 1
    assert fire(h) == 0
    [esc] = events(h, oid, "HoldEscalated")
    assert esc.occurred_at == hold.sla_due_at
    e = esc.payload
    assert (e.hold_id, e.code, e.from_role, e.to_role) == (hold.hold_id, HoldCode.CRD_OVER_LIMIT,
                                                           "credit_analyst", "credit_manager")
    assert e.sla_due_at == hold.sla_due_at and e.next_due_at == hold.sla_due_at + timedelta(hours=24)
    d = e.decision
    assert (d.policy_id, d.version, d.rule) == ("o2c.default", "1", "holds.sla_hours")
    assert e.decision.inputs["hours"] == "8" and e.decision.outcome == "credit_manager"
    assert esc.source == "o2c.engine"
    assert h.get(oid).open_holds[0].escalated_to is Role.CREDIT_MANAGER
    [wait] = build_trace(h.events(oid), as_of=h.clock.now()).holds
    assert (wait.owner, wait.escalated_to, wait.sla_breached) == ("credit_analyst", "credit_manager", False)
    # ... and the credit manager is told, with a link to the order
    [n] = notifications(h)
    assert n.destination == "role:credit_manager" and n.payload["link"] == f"/orders/{oid}"
    assert n.payload["recipient"] == "role:credit_manager" and "CRD-OVER-LIMIT" in n.payload["subject"]


def test_a_hold_in_a_higher_tier_escalates_from_its_tier_not_from_its_owner(new_harness: Any) -> None:
    h: Harness = new_harness()
    seed(h.app, customer(limit="10"))
    oid = h.order(lines=[("P1", "30000", "EA")]).correlation_id  # 59,990 over: the credit manager's
    hold = h.get(oid).open_holds[0]
    h.clock.set(hold.sla_due_at)
    assert fire(h) == 1
    [esc] = events(h, oid, "HoldEscalated")
    assert (esc.payload.from_role, esc.payload.to_role) == ("credit_manager", "controller")
    assert esc.payload.decision.inputs["tier_rule"] == "approvals/over-limit-manager"


def test_an_escalated_hold_escalates_again_up_its_ladder_and_stops_at_the_top(new_harness: Any) -> None:
    h, oid = held_over_limit(new_harness)
    h.later(hours=8)
    fire(h)
    h.later(hours=24)
    assert fire(h) == 1
    h.later(days=30)
    fire(h)  # the order's stall check: nothing more to escalate
    roles = [(e.payload.from_role, e.payload.to_role, e.payload.decision.rule)
             for e in events(h, oid, "HoldEscalated")]
    assert roles == [("credit_analyst", "credit_manager", "holds.sla_hours"),
                     ("credit_manager", "controller", "holds.escalation_hours")]
    assert events(h, oid, "HoldEscalated")[1].payload.next_due_at is None


def test_without_escalation_hours_a_hold_escalates_once(new_harness: Any) -> None:
    h, oid = held_over_limit(new_harness, policies=[policy(holds__escalation_hours=None)])
    h.later(hours=8)
    fire(h)
    h.later(days=30)
    fire(h)
    assert len(events(h, oid, "HoldEscalated")) == 1


def test_a_hold_released_before_its_sla_never_escalates(new_harness: Any) -> None:
    h, oid = held_over_limit(new_harness)
    h.later(hours=7)
    h.send("hold_decision", {"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana", "reason": "ok",
                             "action": "release"})
    h.later(hours=2)
    assert fire(h) == 0
    assert events(h, oid, "HoldEscalated") == []


# ---------------------------------------------------------------- proof of delivery


def shipped_on_pod(new_harness: Any, remedy: str) -> tuple[Harness, str, str]:
    h: Harness = new_harness(policies=[policy(billing__pod_overdue_remedy=remedy,
                                              holds__stall_hours={"default": 0})])  # no stall checks
    seed(h.app, customer(trigger=BillingTrigger.ON_POD))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid)
    return h, oid, h.get(oid).shipments[0].shipment_id


def test_pod_overdue_chase_carrier_holds_for_billing_notifies_and_a_late_pod_releases(
        new_harness: Any) -> None:
    h, oid, sid = shipped_on_pod(new_harness, "chase_carrier")
    h.later(days=7, microseconds=-US)
    assert fire(h) == 0
    h.later(microseconds=US)
    assert fire(h) == 1
    [over] = events(h, oid, "PodOverdue")
    assert over.payload.remedy == "chase_carrier"
    assert over.payload.decision.rule == "billing.pod_overdue_remedy"
    assert over.payload.decision.inputs["pod_timeout_days"] == "7"
    [hold] = h.get(oid).open_holds
    assert hold.code is HoldCode.BIL_POD_OVERDUE and hold.kind.owner is Role.BILLING
    assert events(h, oid, "InvoiceIssued") == []
    assert [n.destination for n in notifications(h)] == ["role:billing"]
    # the carrier sends the POD at last: invoiced on POD, and the hold released by o2c
    h.later(days=1)
    h.deliver(oid, sid)
    assert len(events(h, oid, "InvoiceIssued")) == 1
    released = h.get(oid).holds[0]
    assert released.status is HoldStatus.RELEASED and released.resolved_by == "o2c.engine"


def test_pod_overdue_invoice_anyway_invoices_as_on_ship_and_records_why(new_harness: Any) -> None:
    h, oid, sid = shipped_on_pod(new_harness, "invoice_anyway")
    h.later(days=7)
    assert fire(h) == 1
    [inv] = events(h, oid, "InvoiceIssued")
    d = inv.payload.decision
    assert (d.rule, d.outcome) == ("billing.pod_overdue_remedy", "invoice_anyway")
    assert d.inputs["pod_timeout_days"] == "7" and d.conditions[0].outcome == "on_pod"
    assert h.get(oid).open_holds == [] and notifications(h) == []
    # a POD after that changes nothing more
    h.deliver(oid, sid)
    assert len(events(h, oid, "InvoiceIssued")) == 1


def test_a_pod_in_time_cancels_the_timer(new_harness: Any) -> None:
    h, oid, sid = shipped_on_pod(new_harness, "chase_carrier")
    h.later(days=2)
    h.deliver(oid, sid)
    h.later(days=10)
    assert fire(h) == 0
    assert events(h, oid, "PodOverdue") == []


# ---------------------------------------------------------------- stalls


def test_an_order_idle_in_a_stage_beyond_the_limit_raises_one_alert_per_window(new_harness: Any) -> None:
    h: Harness = new_harness(policies=[policy(holds__stall_hours={"default": 48, "released": 12})])
    seed(h.app)
    h.stock("P1", "100")
    oid = h.order().correlation_id  # released to the warehouse at T0
    h.later(hours=11)
    assert fire(h) == 0  # the receipt's timer (48 h) is not due
    h.later(hours=37)
    assert fire(h) == 1  # due at 48 h: the order has been released and idle since T0
    [s] = events(h, oid, "StallDetected")
    assert (s.payload.stage, s.payload.limit_hours, s.payload.notify) == ("released", 12, "warehouse_ops")
    assert s.payload.decision.rule == "holds.stall_hours" and s.payload.idle_since == T0
    assert h.get(oid).open_holds == []  # an alert, not a hold
    assert [n.destination for n in notifications(h)] == ["role:warehouse_ops"]
    h.later(hours=11)
    assert fire(h) == 0
    h.later(hours=1)
    assert fire(h) == 1
    assert len(events(h, oid, "StallDetected")) == 2


def test_an_order_that_moves_in_time_raises_no_alert(new_harness: Any) -> None:
    h: Harness = new_harness(policies=[policy(holds__stall_hours={"default": 10})])
    seed(h.app)
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.later(hours=9)
    h.ship_all(oid)  # invoiced on ship: a stage o2c does not watch
    h.later(hours=9)
    fire(h)
    h.later(days=10)
    fire(h)
    assert events(h, oid, "StallDetected") == []


# ---------------------------------------------------------------- pure parts


def test_next_up_is_the_role_above_on_its_ladder() -> None:
    for role in Role:
        up = next_up(role)
        ladders = [ladder for ladder in LADDERS if role in ladder]
        if up is None:
            assert all(ladder[-1] == role for ladder in ladders)
        else:
            assert up in at_or_above(role) and up != role
            assert any(ladder[ladder.index(role) + 1] == up for ladder in ladders)


def test_the_policy_refuses_an_unknown_remedy_or_stage() -> None:
    with pytest.raises(PolicyError, match="pod_overdue_remedy"):
        policy(billing__pod_overdue_remedy="wait_forever")
    with pytest.raises(PolicyError, match=r"stall_hours\.invoiced"):
        policy(holds__stall_hours={"invoiced": 5})
    with pytest.raises(PolicyError, match="escalation_hours"):
        policy(holds__escalation_hours=0)
    base = load_policy_file().base
    assert base.stall_for("invoiced") is None and base.stall_for("received") == 48
    assert policy(holds__stall_hours={"default": 5, "shipped": 0}).base.stall_for("shipped") is None


@settings(max_examples=40, deadline=None)
@given(dues=st.lists(st.integers(0, 500), min_size=1, max_size=40),
       steps=st.lists(st.tuples(st.integers(0, 120), st.integers(1, 7)), min_size=1, max_size=12))
def test_every_timer_fires_once_never_before_it_is_due(dues: list[int], steps: list[tuple[int, int]]) -> None:
    """However the clock advances and whatever the batch size, each due timer fires exactly
    once, at or after its due time; those not yet due stay scheduled."""
    h = Harness(store=MemoryStore())
    with h.app.store.unit_of_work() as uow:
        for i, minutes in enumerate(dues):
            uow.timers.schedule(Timer(timer_id=f"t{i}", kind=TimerKind.NOOP, subject="x", correlation_id="x",
                                      due_at=T0 + timedelta(minutes=minutes)))
        uow.commit()
    fired = 0
    for advance, batch in steps:
        h.later(minutes=advance)
        fired += h.app.timer_service(batch=batch).fire_due()
    store = h.app.store
    assert isinstance(store, MemoryStore)
    done = [t for t in store.timers.values() if t.state is TimerState.FIRED]
    assert fired == len(done) == sum(T0 + timedelta(minutes=m) <= h.clock.now() for m in dues)
    assert all(t.fired_at is not None and t.fired_at >= t.due_at for t in done)


# ---------------------------------------------------------------- KPIs


def test_kpis_per_hold_code_breach_rate_escalations_automatic_release_and_open_past_sla() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from o2c.analytics.kpis import HoldSla, compute_kpis

    h = Harness()
    seed(h.app, customer("C1", limit="10"), customer("C2"))
    h.stock("P1", "100")
    a, b, _ = (h.order(customer_id="C1", po=f"PO-{x}").correlation_id for x in "ABC")
    d = h.order(customer_id="C2", po="PO-D", lines=[("P2", "5", "EA")]).correlation_id
    assert [x.code for x in h.get(d).open_holds] == [HoldCode.INV_SHORT]
    h.later(hours=7)
    h.send("hold_decision", {"order_id": a, "code": "CRD-OVER-LIMIT", "by": "ana", "reason": "ok",
                             "action": "release"})
    h.later(hours=1)
    fire(h)  # B and C escalate at their SLA
    h.later(hours=1)
    h.send("hold_decision", {"order_id": b, "code": "CRD-OVER-LIMIT", "by": "ana", "reason": "ok",
                             "action": "release"})
    h.stock("P2", "100", lot="L1", expiry=date(2027, 1, 1))  # D allocated: o2c releases its hold
    with h.app.store.unit_of_work() as uow:
        log = list(uow.events.all())
    r = compute_kpis(iter(log), period_start=datetime(2026, 3, 1, tzinfo=UTC),
                     period_end=datetime(2026, 4, 1, tzinfo=UTC))
    assert r.hold_sla["CRD-OVER-LIMIT"] == HoldSla(
        judged=3, breached=2, breach_rate_percent=Decimal("66.7"), escalations=2, resolved=2,
        auto_released=0, auto_release_rate_percent=Decimal("0.0"), open_past_sla=1)
    assert r.hold_sla["INV-SHORT"] == HoldSla(
        judged=1, breached=0, breach_rate_percent=Decimal("0.0"), escalations=0, resolved=1,
        auto_released=1, auto_release_rate_percent=Decimal("100.0"), open_past_sla=0)
    assert r.as_dict()["hold_sla"]["INV-SHORT"]["auto_release_rate_percent"] == "100.0"
    # as of the SLA itself, C is not yet past it
    early = compute_kpis(iter(log), period_start=datetime(2026, 3, 1, tzinfo=UTC),
                         period_end=T0 + timedelta(hours=8))
    assert early.hold_sla["CRD-OVER-LIMIT"].open_past_sla == 0


# ---------------------------------------------------------------- the live loops


def _due_noop(h: Harness, n: int) -> None:
    with h.app.store.unit_of_work() as uow:
        for i in range(n):
            uow.timers.schedule(Timer(timer_id=f"n{i}", kind=TimerKind.NOOP, subject="x", correlation_id="x",
                                      due_at=T0))
        uow.commit()


def test_serve_fires_due_timers_in_a_background_thread_until_stopped() -> None:
    import time

    from o2c.engine.timers import start_timers

    h = Harness()
    _due_noop(h, 3)
    stop = start_timers(h.app.timer_service().fire_due, every=0.01)
    try:
        for _ in range(500):
            if h.app.timer_service().next_due() is None:
                break
            time.sleep(0.01)
    finally:
        stop.set()
    assert h.app.timer_service().next_due() is None


def test_the_worker_fires_due_timers_beside_its_consumer_and_kicks_the_relay() -> None:
    import asyncio

    from o2c.adapters.nats.worker import fire_timers

    h = Harness()
    _due_noop(h, 2)
    fired: list[int] = []

    async def main() -> bool:
        stop, kick = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()

        def fire() -> int:  # runs in a thread
            n = h.app.timer_service().fire_due()
            fired.append(n)
            if len(fired) == 2:
                loop.call_soon_threadsafe(stop.set)
            return n

        await asyncio.wait_for(fire_timers(fire, stop, kick, every=0.01), timeout=10)
        return kick.is_set()

    assert asyncio.run(main()) is True
    assert fired == [2, 0]


def test_a_firing_that_fails_is_dead_lettered_and_the_timer_still_fires_once(new_harness: Any) -> None:
    h, oid = held_over_limit(new_harness)
    with h.app.store.unit_of_work() as uow:  # a timer whose payload its handler cannot use
        uow.timers.schedule(Timer(timer_id="broken", kind=TimerKind.HOLD_SLA, subject="x", correlation_id=oid,
                                  due_at=T0 + timedelta(minutes=1), payload={"order_id": oid}))
        uow.commit()
    h.later(minutes=1)
    assert fire(h) == 1
    [letter] = h.dead_letters()
    assert (letter.source, letter.kind, letter.code) == ("o2c.engine", "FireTimer", "INTERNAL-ERROR")
    assert letter.source_message_id == "timer:broken"
    with h.app.store.unit_of_work() as uow:
        t = uow.timers.get("broken")
    assert t is not None and t.state is TimerState.FIRED
    h.later(hours=1)
    assert fire(h) == 0


# ---------------------------------------------------------------- the simulator


def test_the_simulator_escalates_each_hold_exactly_at_its_deadline_and_once_per_deadline() -> None:
    """Timers fire on the simulated clock, each at its due time, between the messages of a
    tick: every escalation is recorded at the deadline it names, never twice for one."""
    from collections import Counter

    from o2c.sim.demo import run_demo

    app, stats, _, _ = run_demo(days=4, seed=3, db="memory", customers=40, products=120)
    store = app.store
    assert isinstance(store, MemoryStore)
    escalations = [e for e in store.events if e.type == "HoldEscalated"]
    assert escalations and stats.timers >= len(escalations)
    assert all(e.occurred_at == e.payload.sla_due_at for e in escalations)
    assert set(Counter((e.payload.hold_id, e.payload.sla_due_at) for e in escalations).values()) == {1}
    placed = {e.payload.hold_id: e.payload for e in store.events if e.type == "HoldPlaced"}
    firsts = [e.payload for e in escalations if e.payload.decision.rule == "holds.sla_hours"]
    assert all(p.sla_due_at == placed[p.hold_id].sla_due_at for p in firsts)
    assert stats.sent.get("notification", 0) >= len(escalations)


def test_a_firing_that_breaks_half_way_parks_alone_and_the_rest_of_its_batch_fires() -> None:
    """A firing whose events fail while being applied (a bug) may have half-changed the read
    models: the batch is rolled back and fired one timer per transaction, so only that timer
    is parked (and marked fired), and the others fire."""
    from o2c.domain import events as ev
    from o2c.engine import commands as cmd
    from o2c.engine.bus import MessageBus
    from o2c.engine.handlers import HANDLERS
    from o2c.engine.handlers.timers import fire_timer
    from o2c.engine.timers import TimerService

    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    oid = h.order().correlation_id

    def breaking(c: cmd.FireTimer, ctx: Any) -> list[ev.Event]:
        if c.subject == "boom":  # the first event applies, the second cannot
            return [ev.OrderClosed(order_id=oid), ev.OrderClosed(order_id="SO-NOWHERE")]
        return fire_timer(c, ctx)

    bus = MessageBus(clock=h.clock, ids=h.app.ids, policies=h.app.policies, recorded_clock=h.clock.now,
                     handlers={**HANDLERS, cmd.FireTimer: breaking})
    with h.app.store.unit_of_work() as uow:
        for name in ("a", "boom", "c"):
            uow.timers.schedule(Timer(timer_id=name, kind=TimerKind.NOOP, subject=name, correlation_id=oid,
                                      due_at=T0))
        uow.commit()
    assert TimerService(h.app.store.unit_of_work, bus).fire_due() == 3
    [letter] = h.dead_letters()
    assert (letter.kind, letter.source_message_id) == ("FireTimer", "timer:boom")
    assert events(h, oid, "OrderClosed") == []  # nothing of the broken firing was kept
    with h.app.store.unit_of_work() as uow:
        assert all(uow.timers.get(n).state is TimerState.FIRED for n in ("a", "boom", "c"))  # type: ignore[union-attr]


def forget_timer(h: Harness, timer_id: str) -> None:
    store = h.app.store
    if isinstance(store, MemoryStore):
        del store.timers[timer_id]
        return
    from sqlalchemy import text

    with store.sql_engine.begin() as c:
        c.execute(text("DELETE FROM timers WHERE timer_id = :i"), {"i": timer_id})


def test_holds_placed_before_timers_existed_get_their_timer_once(new_harness: Any) -> None:
    h, oid = held_over_limit(new_harness)
    hold = h.get(oid).open_holds[0]
    forget_timer(h, f"sla:{hold.hold_id}")  # as a database from before timers would be
    h.later(hours=9)
    assert h.app.timer_service().arm_open_holds() == 1
    assert fire(h) == 1
    [esc] = events(h, oid, "HoldEscalated")
    assert esc.payload.sla_due_at == hold.sla_due_at and esc.occurred_at == T0 + timedelta(hours=9)
    # at the next start it is left as it is: the escalation's own timer, not the first deadline again
    h.app.timer_service().arm_open_holds()
    h.later(hours=1)
    assert fire(h) == 0
