"""Durable timers in the engine: which events set or cancel them, and firing the due ones.

**Setting.** :func:`~o2c.engine.timer_rules.arm` runs for every event the bus records, in
its transaction, and costs no query on the hot path (a dictionary write the store flushes
at commit):

- ``HoldPlaced`` with an SLA sets ``sla:<hold>`` at ``sla_due_at``; ``HoldEscalated`` with a
  ``next_due_at`` sets it again; ``HoldReleased`` cancels it.
- ``ShipmentConfirmed`` of a customer billed on proof of delivery sets
  ``pod:<order>:<shipment>`` at shipping + ``billing.pod_timeout_days``;
  ``ProofOfDeliveryReceived`` cancels it.
- ``DisputeOpened`` sets ``dispute:<id>`` at the case's SLA; ``DisputeEscalated`` with a
  ``next_due_at`` sets it again; ``DisputeResolved`` cancels it.
- ``OrderReceived`` sets ``stall:<order>`` at receipt + ``holds.stall_hours`` of the
  first stage; when it fires it sets itself again from the order's last activity
  (one timer per order, whatever number of events the order has).

**Firing.** :class:`TimerService` claims due timers in batches (``claim`` up to ``now``,
which the injected clock gives: simulated time in the simulator and tests, wall time in
``o2c worker`` and ``o2c serve``), and, per timer, dispatches a ``FireTimer`` command
through the message bus as o2c itself, in the unit of work that marks the batch fired.
Whatever the firing decides (an escalation, a POD hold, a stall alert) is recorded with
its decision and notifications in that same transaction: a timer fires exactly once,
whichever worker claims it. A firing that fails is parked in the dead-letter queue like
any command a reaction issues; the timer is still marked fired.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime

from o2c.domain.actors import ENGINE
from o2c.domain.timers import Timer, TimerKey
from o2c.engine import commands as cmd
from o2c.engine.bus import ENGINE_SOURCE, MessageBus
from o2c.engine.errors import ProjectionFailed
from o2c.engine.ports import ConcurrencyConflict, UnitOfWork
from o2c.engine.timer_rules import arm, sla_timer, stall_timer

__all__ = ["BATCH", "TimerService", "arm", "fire_command", "run_timers", "sla_timer", "stall_timer",
           "start_timers"]

#: timers fired per transaction
BATCH = 500


def fire_command(t: Timer) -> cmd.FireTimer:
    return cmd.FireTimer(timer_id=t.timer_id, kind=t.kind.value, subject=t.subject,
                         due_at=t.due_at.isoformat(), payload=json.dumps(t.payload, sort_keys=True))


class TimerService:
    """Fires due timers through ``bus`` (see the module's docstring). Several services, in
    one process or many, may fire the timers of one PostgreSQL database at once."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], bus: MessageBus, *, batch: int = BATCH,
                 max_conflicts: int = 5) -> None:
        self.uow_factory, self.bus, self.batch, self.max_conflicts = uow_factory, bus, batch, max_conflicts

    def next_due(self) -> datetime | None:
        with self.uow_factory() as uow:
            return uow.timers.next_due()

    def arm_open_holds(self, limit: int = 100_000) -> int:
        """Give every open hold with an SLA its timer if it has none (holds placed before
        timers existed: a database from before the upgrade), at its SLA, so one already past
        escalates on the next round. A timer that exists, in any state, is left as it is, so
        this is safe to run at every start, by any number of workers at once. Returns how
        many open holds it looked at (of the ``limit`` oldest held orders)."""
        n = 0
        with self.uow_factory() as uow:
            for order_id in uow.orders.held(limit):
                order = uow.orders.get(order_id)
                for h in order.open_holds if order is not None else ():
                    if h.sla_due_at is not None:
                        uow.timers.schedule_new(sla_timer(order_id, h.hold_id, h.code.value, h.sla_due_at))
                        n += 1
            uow.commit()
        return n

    def fire_due(self, now: datetime | None = None) -> int:
        """Fire every timer due at or before ``now`` (the clock's now if None), a batch per
        transaction; returns how many this call fired."""
        at = self.bus.clock.now() if now is None else now
        fired = 0
        after: TimerKey | None = None
        while True:
            n, after = self._batch(at, after)
            fired += n
            if n < self.batch:
                return fired

    def _batch(self, at: datetime, after: TimerKey | None) -> tuple[int, TimerKey | None]:
        """One batch, claimed after ``after`` (what the batch before claimed last: the timers
        before it are fired, or locked by another worker that fires them), in a transaction;
        how many it fired and the last it claimed."""
        conflicts = 0
        due: list[Timer] = []
        while True:
            try:
                with self.uow_factory() as uow:
                    due = uow.timers.claim(at, self.batch, after)
                    if not due:
                        return 0, after
                    uow.timers.fired([t.timer_id for t in due], at)
                    for t in due:
                        self._fire(uow, t)
                    uow.commit()
                    return len(due), (due[-1].due_at, due[-1].timer_id)
            except ConcurrencyConflict:
                # Another worker fired some of them first (SQLite, without row locks):
                # nothing of this batch was kept; claim again what is left.
                conflicts += 1
                if conflicts > self.max_conflicts:
                    raise
            except ProjectionFailed:
                return self._one_by_one(due), (due[-1].due_at, due[-1].timer_id)

    def _fire(self, uow: UnitOfWork, t: Timer) -> None:
        c = fire_command(t)
        cause = f"timer:{t.timer_id}"
        try:
            self.bus.dispatch(uow, c, source=ENGINE_SOURCE, causation_id=cause, actor=ENGINE)
        except ProjectionFailed:
            raise
        except Exception as exc:
            self.bus.dead_letter(uow, c, cause, exc)

    def _one_by_one(self, timers: list[Timer]) -> int:
        """A firing broke while its events were applied: each timer of the batch in its own
        transaction, so only the one that breaks is parked (and still marked fired)."""
        done = 0
        for t in timers:
            try:
                with self.uow_factory() as uow:
                    uow.timers.fired([t.timer_id], self.bus.clock.now())
                    self._fire(uow, t)
                    uow.commit()
                    done += 1
                continue
            except ConcurrencyConflict:
                continue  # fired elsewhere meanwhile
            except ProjectionFailed as exc:
                failure = exc
            with self.uow_factory() as uow:
                uow.timers.fired([t.timer_id], self.bus.clock.now())
                self.bus.dead_letter(uow, fire_command(t), f"timer:{t.timer_id}", failure)
                uow.commit()
                done += 1
        return done


def start_timers(fire: Callable[[], int], every: float = 5.0,
                 on_error: Callable[[BaseException], None] | None = None) -> threading.Event:
    """:func:`run_timers` in a daemon thread; set the event returned to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_timers, args=(fire, stop, every, on_error), name="o2c-timers",
                     daemon=True).start()
    return stop


def run_timers(fire: Callable[[], int], stop: threading.Event, every: float = 5.0,
               on_error: Callable[[BaseException], None] | None = None) -> None:
    """Call ``fire`` (``TimerService.fire_due``: its clock says what is due) every ``every``
    seconds until ``stop`` is set: the loop ``o2c serve`` runs beside the API, in a thread.
    A round that fails is reported to ``on_error`` and tried again."""
    while not stop.is_set():
        try:
            fire()
        except Exception as exc:  # the database may be away for a while: keep trying
            if on_error is not None:
                on_error(exc)
        stop.wait(every)
