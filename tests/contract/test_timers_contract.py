"""Contract: the timer port (``o2c.engine.ports.Timers``) on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from o2c.domain.timers import Timer, TimerKind, TimerState
from o2c.engine.ports import ConcurrencyConflict
from tests.contract.conftest import T0, UowFactory


def timer(timer_id: str, minutes: int, **kw: Any) -> Timer:
    return Timer(timer_id=timer_id, kind=kw.pop("kind", TimerKind.HOLD_SLA),
                 due_at=T0 + timedelta(minutes=minutes), subject=kw.pop("subject", "O-1-H1"),
                 correlation_id="O-1", payload=kw.pop("payload", {"code": "CRD-OVER-LIMIT"}), **kw)


def schedule(uow_factory: UowFactory, *timers: Timer) -> None:
    with uow_factory() as uow:
        for t in timers:
            uow.timers.schedule(t)
        uow.commit()


def test_a_scheduled_timer_is_kept_whole_and_claimed_once_due(uow_factory: UowFactory) -> None:
    schedule(uow_factory, timer("sla:O-1-H1", 60, payload={"code": "CRD-OVER-LIMIT", "n": "1"}))
    with uow_factory() as uow:
        assert uow.timers.claim(T0 + timedelta(minutes=59)) == []
        [t] = uow.timers.claim(T0 + timedelta(minutes=60))
    assert t == timer("sla:O-1-H1", 60, payload={"code": "CRD-OVER-LIMIT", "n": "1"})
    assert t.due_at.utcoffset() == timedelta(0)


def test_nothing_is_scheduled_until_commit(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.timers.schedule(timer("a", 0))
        uow.rollback()
    with uow_factory() as uow:
        assert uow.timers.claim(T0 + timedelta(days=1)) == []
        assert uow.timers.next_due() is None
        assert uow.timers.get("a") is None


def test_due_timers_come_earliest_first_in_batches(uow_factory: UowFactory) -> None:
    schedule(uow_factory, *(timer(f"t{i}", 10 - i) for i in range(5)), timer("later", 100))
    with uow_factory() as uow:
        first = uow.timers.claim(T0 + timedelta(minutes=50), limit=3)
        assert [t.timer_id for t in first] == ["t4", "t3", "t2"]
        uow.timers.fired([t.timer_id for t in first], T0 + timedelta(minutes=50))
        uow.commit()
    with uow_factory() as uow:
        assert [t.timer_id for t in uow.timers.claim(T0 + timedelta(minutes=50), limit=3)] == ["t1", "t0"]
        assert uow.timers.next_due() == T0 + timedelta(minutes=9)


def test_a_fired_timer_is_never_claimed_again(uow_factory: UowFactory) -> None:
    schedule(uow_factory, timer("a", 0))
    at = T0 + timedelta(minutes=1)
    with uow_factory() as uow:
        [t] = uow.timers.claim(at)
        uow.timers.fired([t.timer_id], at)
        uow.commit()
    with uow_factory() as uow:
        assert uow.timers.claim(at + timedelta(days=1)) == []
        got = uow.timers.get("a")
        assert got is not None and got.state is TimerState.FIRED and got.fired_at == at
        assert uow.timers.next_due() is None


def test_firing_what_another_writer_fired_first_is_a_conflict(uow_factory: UowFactory) -> None:
    schedule(uow_factory, timer("a", 0))
    at = T0 + timedelta(minutes=1)
    with uow_factory() as uow:
        uow.timers.fired(["a"], at)
        uow.commit()
    with uow_factory() as uow, pytest.raises(ConcurrencyConflict):
        uow.timers.fired(["a"], at)


def test_a_cancelled_timer_does_not_fire(uow_factory: UowFactory) -> None:
    schedule(uow_factory, timer("a", 0), timer("b", 0))
    with uow_factory() as uow:
        uow.timers.cancel("a")
        uow.timers.cancel("never-scheduled")
        uow.commit()
    with uow_factory() as uow:
        assert [t.timer_id for t in uow.timers.claim(T0 + timedelta(hours=1))] == ["b"]
        got = uow.timers.get("a")
        assert got is not None and got.state is TimerState.CANCELLED
        assert uow.timers.get("never-scheduled") is None


def test_scheduling_the_same_id_again_rearms_it(uow_factory: UowFactory) -> None:
    schedule(uow_factory, timer("a", 0))
    with uow_factory() as uow:
        uow.timers.fired(["a"], T0)
        uow.timers.schedule(timer("a", 120, payload={"step": "2"}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.timers.claim(T0 + timedelta(minutes=119)) == []
        [t] = uow.timers.claim(T0 + timedelta(minutes=120))
        assert t.payload == {"step": "2"} and t.state is TimerState.SCHEDULED and t.fired_at is None


def test_schedule_then_cancel_in_one_transaction_leaves_nothing_due(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.timers.schedule(timer("a", 0))
        uow.timers.cancel("a")
        uow.commit()
    with uow_factory() as uow:
        assert uow.timers.claim(T0 + timedelta(hours=1)) == []


@pytest.mark.postgres
def test_on_postgres_a_second_worker_skips_what_the_first_has_claimed(clean_pg_store: Any) -> None:
    """Two transactions claim at once: the second gets only the timers the first left."""
    factory = clean_pg_store.unit_of_work
    schedule(factory, *(timer(f"t{i}", i) for i in range(5)))
    at = T0 + timedelta(hours=1)
    with factory() as first, factory() as second:
        mine = [t.timer_id for t in first.timers.claim(at, limit=3)]
        theirs = [t.timer_id for t in second.timers.claim(at, limit=3)]
        assert mine == ["t0", "t1", "t2"] and theirs == ["t3", "t4"]
        first.timers.fired(mine, at)
        second.timers.fired(theirs, at)
        first.commit()
        second.commit()
    with factory() as uow:
        assert uow.timers.claim(at) == []


def test_a_claim_after_a_key_starts_after_it(uow_factory: UowFactory) -> None:
    """Batch after batch, a caller passes the last timer it claimed: the next batch starts
    after it, in (due_at, timer_id) order, ties included."""
    schedule(uow_factory, timer("a", 0), timer("b", 0), timer("c", 5), timer("d", 9))
    at = T0 + timedelta(hours=1)
    with uow_factory() as uow:
        assert [t.timer_id for t in uow.timers.claim(at, 10, (T0, "a"))] == ["b", "c", "d"]
        assert [t.timer_id for t in uow.timers.claim(at, 1, (T0 + timedelta(minutes=5), "c"))] == ["d"]
        assert uow.timers.claim(at, 10, (T0 + timedelta(minutes=9), "d")) == []


def test_schedule_new_adds_only_what_is_missing_and_never_rearms(uow_factory: UowFactory) -> None:
    schedule(uow_factory, timer("fired", 0), timer("cancelled", 0))
    with uow_factory() as uow:
        uow.timers.fired(["fired"], T0)
        uow.timers.cancel("cancelled")
        uow.commit()
    with uow_factory() as uow:
        for name in ("fired", "cancelled", "missing"):
            uow.timers.schedule_new(timer(name, 30, payload={"new": "1"}))
        uow.timers.schedule_new(timer("rescheduled", 30))
        uow.timers.schedule(timer("rescheduled", 60, payload={"wins": "1"}))
        uow.commit()
    with uow_factory() as uow:
        states = {n: t.state for n in ("fired", "cancelled", "missing")
                  if (t := uow.timers.get(n)) is not None}
        assert states == {"fired": TimerState.FIRED, "cancelled": TimerState.CANCELLED,
                          "missing": TimerState.SCHEDULED}
        got = uow.timers.get("rescheduled")
        assert got is not None and got.payload == {"wins": "1"}
