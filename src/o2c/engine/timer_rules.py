"""Which events set or cancel durable timers (see :mod:`o2c.engine.timers`).

:func:`arm` runs for every event the bus records, in its transaction, and costs no query
on the hot path (a dictionary write the store flushes at commit; a shipment reads its
order and customer, which the unit of work already holds).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from o2c.domain import events as ev
from o2c.domain.consolidation import window_timer_id
from o2c.domain.master import BillingTrigger
from o2c.domain.timers import (
    Timer,
    TimerKind,
    ack_timer_id,
    dispute_timer_id,
    pod_timer_id,
    sla_timer_id,
    stall_timer_id,
)
from o2c.engine.context import Context
from o2c.engine.handlers import collections
from o2c.engine.handlers.common import billing_decision


def arm(ctx: Context, env: ev.Envelope) -> None:
    """Set or cancel the timers ``env`` calls for (see the module's docstring)."""
    e = env.payload
    timers = ctx.uow.timers
    match e:
        case ev.HoldPlaced() if e.sla_due_at is not None:
            timers.schedule(sla_timer(e.order_id, e.hold_id, e.code.value, e.sla_due_at))
        case ev.HoldEscalated() if e.next_due_at is not None:
            timers.schedule(sla_timer(e.order_id, e.hold_id, e.code.value, e.next_due_at))
        case ev.HoldReleased():
            timers.cancel(sla_timer_id(e.hold_id))
        case ev.ProofOfDeliveryReceived():
            timers.cancel(pod_timer_id(e.order_id, e.shipment_id))
        case ev.ShipmentConfirmed():
            _arm_pod(ctx, e, env.occurred_at)
        case ev.ShipmentAwaitingInvoice():
            # One timer per key and window: the first shipment of the window sets it, the
            # others find it set (and one already fired is not set again).
            timers.schedule_new(window_timer(e))
        case ev.DocumentAcknowledged() | ev.DocumentResent():
            timers.cancel(ack_timer_id(e.document_id))
        case ev.OrderReceived():
            hours = ctx.section(e.legal_entity_id).stall_for("received")
            if hours is not None:
                timers.schedule(stall_timer(e.order_id, env.occurred_at + timedelta(hours=hours)))
        # ---- disputes: a case's SLA, again at each escalation, cancelled when it closes
        case ev.DisputeOpened() if e.sla_due_at is not None:
            timers.schedule(dispute_timer(e.dispute_id, e.customer_id, e.sla_due_at))
        case ev.DisputeEscalated() if e.next_due_at is not None:
            timers.schedule(dispute_timer(e.dispute_id, e.customer_id, e.next_due_at))
        case ev.DisputeResolved():
            timers.cancel(dispute_timer_id(e.dispute_id))
        case _:
            pass
    collections.arm(ctx, env)


def sla_timer(order_id: str, hold_id: str, code: str, due_at: datetime) -> Timer:
    return Timer(timer_id=sla_timer_id(hold_id), kind=TimerKind.HOLD_SLA, due_at=due_at, subject=hold_id,
                 correlation_id=order_id, payload={"order_id": order_id, "hold_id": hold_id, "code": code})


def dispute_timer(dispute_id: str, customer_id: str, due_at: datetime) -> Timer:
    return Timer(timer_id=dispute_timer_id(dispute_id), kind=TimerKind.DISPUTE_SLA, due_at=due_at,
                 subject=dispute_id, correlation_id=f"account:{customer_id}",
                 payload={"dispute_id": dispute_id, "customer_id": customer_id})


def window_timer(e: ev.ShipmentAwaitingInvoice) -> Timer:
    """The timer that closes the consolidation window ``e`` waits for, at its end."""
    return Timer(timer_id=window_timer_id(e.key, e.window_end), kind=TimerKind.BILLING_WINDOW,
                 due_at=e.window_end, subject=e.key, correlation_id=f"account:{e.customer_id}",
                 payload={"customer_id": e.customer_id, "legal_entity_id": e.legal_entity_id, "key": e.key,
                          "window": e.window, "window_start": e.window_start.isoformat(),
                          "window_end": e.window_end.isoformat()})


def stall_timer(order_id: str, due_at: datetime) -> Timer:
    return Timer(timer_id=stall_timer_id(order_id), kind=TimerKind.STALL, due_at=due_at, subject=order_id,
                 correlation_id=order_id, payload={"order_id": order_id})


def _arm_pod(ctx: Context, e: ev.ShipmentConfirmed, at: datetime) -> None:
    """A POD timer for a shipment whose customer is billed on proof of delivery."""
    order = ctx.uow.orders.get(e.order_id)
    if order is None:
        return
    customer = ctx.uow.master.customer(order.customer_id)
    if customer is None:
        return
    if billing_decision(ctx, order, customer, "shipment_confirmed").outcome != BillingTrigger.ON_POD.value:
        return
    section = ctx.section(order.legal_entity_id)
    shipped = e.shipped_at or at
    ctx.uow.timers.schedule(Timer(
        timer_id=pod_timer_id(e.order_id, e.shipment_id), kind=TimerKind.POD_OVERDUE,
        due_at=shipped + timedelta(days=section.pod_timeout_days), subject=f"{e.order_id}/{e.shipment_id}",
        correlation_id=e.order_id, payload={"order_id": e.order_id, "shipment_id": e.shipment_id}))
