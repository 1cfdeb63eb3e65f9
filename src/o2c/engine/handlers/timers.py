"""What o2c decides when a durable timer fires (``FireTimer``, issued by the timer
service as o2c itself; see :mod:`o2c.engine.timers`).

- ``hold_sla``: a hold still open at its deadline escalates to the next role up the
  ladder of its owner (``o2c.engine.authority.LADDERS``): ``HoldEscalated``, with the
  next deadline if the policy escalates again (``holds.escalation_hours``).
- ``pod_overdue``: a shipment billed on POD with none by ``billing.pod_timeout_days``:
  ``PodOverdue`` with the policy's remedy (``billing.pod_overdue_remedy``):
  ``chase_carrier`` also places a BIL-POD-OVERDUE hold for billing; ``invoice_anyway``
  has the shipment invoiced (a reaction to the event).
- ``billing_window``: a consolidation window closes: one invoice for the shipments of its
  key waiting for it (:func:`o2c.engine.handlers.billing.close_window`).
- ``dispute_sla``: a dispute case still open at its SLA escalates to its route's escalation
  role, then up that role's ladder (:func:`o2c.engine.handlers.disputes.escalate_dispute`).
- ``stall``: an order with nothing happening in its stage for ``holds.stall_hours``:
  ``StallDetected`` (an alert; the order is not held). The timer then sets itself again
  (the one state change a timer's handler makes: its own next check).

A timer whose subject has moved on (the hold released, the POD arrived, the order
closed) decides nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode, HoldStatus, Role
from o2c.domain.orders import Order
from o2c.domain.timers import TimerKind
from o2c.engine import commands as cmd
from o2c.engine.authority import next_up, tier
from o2c.engine.context import Context
from o2c.engine.handlers import collections
from o2c.engine.handlers.billing import close_window
from o2c.engine.handlers.common import decision, place_hold
from o2c.engine.handlers.disputes import escalate_dispute
from o2c.engine.handlers.documents import unacknowledged
from o2c.engine.timer_rules import stall_timer

#: who is told about an order idle in a stage, when no open hold names a role
STAGE_ROLES: dict[str, Role] = {
    "received": Role.CUSTOMER_SERVICE, "validated": Role.CUSTOMER_SERVICE,
    "credit_approved": Role.SALES_OPS, "backordered": Role.SALES_OPS,
    "released": Role.WAREHOUSE_OPS, "partially_shipped": Role.WAREHOUSE_OPS,
    "shipped": Role.WAREHOUSE_OPS, "delivered": Role.BILLING,
}


def fire_timer(c: cmd.FireTimer, ctx: Context) -> list[ev.Event]:
    payload: dict[str, str] = json.loads(c.payload)
    due = datetime.fromisoformat(c.due_at)
    kind = TimerKind(c.kind)
    if kind is TimerKind.NOOP:
        return []
    if kind is TimerKind.BILLING_WINDOW:
        return close_window(ctx, payload, due)
    if kind is TimerKind.DUNNING_RUN:
        return collections.dunning_due(ctx, payload)
    if kind is TimerKind.PROMISE_DUE:
        return collections.promise_due(ctx, payload)
    if kind is TimerKind.DOCUMENT_ACK:
        return unacknowledged(ctx, payload["document_id"], due)
    if kind is TimerKind.DISPUTE_SLA:
        return escalate_dispute(ctx, payload["dispute_id"], due)
    order = ctx.uow.orders.get(payload.get("order_id", ""))
    if order is None or order.terminal:
        return []
    if kind is TimerKind.HOLD_SLA:
        return escalate(ctx, order, payload["hold_id"], due)
    if kind is TimerKind.POD_OVERDUE:
        return pod_overdue(ctx, order, payload["shipment_id"], due)
    return stall(ctx, order)


def escalate(ctx: Context, order: Order, hold_id: str, due: datetime) -> list[ev.Event]:
    hold = next((h for h in order.holds if h.hold_id == hold_id), None)
    if hold is None or hold.status is not HoldStatus.OPEN:
        return []
    section = ctx.section(order.legal_entity_id)
    # It waits on its tier (the policy's approvals: an over-limit of 50,000 on the credit
    # manager), or on whom it was escalated to; it escalates to the next role up from there.
    t = tier(section, hold.code, hold.amount, order.legal_entity_id)
    from_role = hold.escalated_to or t.role
    to_role = next_up(from_role)
    if to_role is None:
        return []  # the top of its ladder (or on none): nobody above to escalate to
    first = hold.escalated_to is None
    again = section.escalation_hours
    next_due = ctx.now() + timedelta(hours=again) if again and next_up(to_role) is not None else None
    rule = "holds.sla_hours" if first else "holds.escalation_hours"
    inputs: dict[str, object] = {
        "code": hold.code.value, "hold_id": hold.hold_id, "owner": hold.kind.owner.value,
        "tier": t.role.value, "tier_rule": t.rule, "from_role": from_role.value,
        "placed_at": hold.placed_at.isoformat(), "due_at": due.isoformat(),
        "hours": section.sla_for(hold.code) if first else again,
    }
    d = decision(ctx, rule, to_role.value, inputs, order.legal_entity_id)
    return [ev.HoldEscalated(order_id=order.order_id, hold_id=hold.hold_id, code=hold.code,
                             from_role=from_role.value, to_role=to_role.value, sla_due_at=due,
                             next_due_at=next_due, decision=d)]


def pod_overdue(ctx: Context, order: Order, shipment_id: str, due: datetime) -> list[ev.Event]:
    sh = order.shipment(shipment_id)
    if sh is None or sh.delivered_at is not None or sh.invoice_id is not None:
        return []
    section = ctx.section(order.legal_entity_id)
    remedy = section.pod_overdue_remedy
    d = decision(ctx, "billing.pod_overdue_remedy", remedy, {
        "customer_id": order.customer_id, "shipment_id": shipment_id, "shipped_at": sh.shipped_at.isoformat(),
        "pod_timeout_days": section.pod_timeout_days, "due_at": due.isoformat()}, order.legal_entity_id)
    out: list[ev.Event] = [ev.PodOverdue(order_id=order.order_id, shipment_id=shipment_id,
                                         shipped_at=sh.shipped_at, due_at=due, remedy=remedy, decision=d)]
    if remedy == "chase_carrier" and not any(h.code is HoldCode.BIL_POD_OVERDUE for h in order.open_holds):
        out.append(place_hold(ctx, order, HoldCode.BIL_POD_OVERDUE,
                              f"no proof of delivery for shipment {shipment_id} {section.pod_timeout_days} "
                              f"day(s) after it shipped ({sh.shipped_at.isoformat()}): chase the carrier", d))
    return out


def stall(ctx: Context, order: Order) -> list[ev.Event]:
    stage = order.status.value
    section = ctx.section(order.legal_entity_id)
    limit = section.stall_for(stage)
    if limit is None:
        return []  # a stage o2c does not watch (invoiced, paid): the order's own work is done
    activity = [e.occurred_at for e in ctx.uow.events.for_correlation(order.order_id)
                if not isinstance(e.payload, ev.StallDetected)]
    last = max(activity, default=order.received_at)
    now = ctx.now()
    if now < last + timedelta(hours=limit):
        ctx.uow.timers.schedule(stall_timer(order.order_id, last + timedelta(hours=limit)))
        return []
    ctx.uow.timers.schedule(stall_timer(order.order_id, now + timedelta(hours=limit)))
    held = order.open_holds
    notify = held[0].waits_on if held else STAGE_ROLES[stage]
    d = decision(ctx, "holds.stall_hours", "alert", {
        "stage": stage, "idle_since": last.isoformat(), "limit_hours": limit,
        "open_holds": ",".join(h.code.value for h in held)}, order.legal_entity_id)
    return [ev.StallDetected(order_id=order.order_id, stage=stage, idle_since=last, limit_hours=limit,
                             notify=notify.value, decision=d)]
