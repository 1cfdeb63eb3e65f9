"""Holds released or rejected by people, order rejection and closing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import TAXONOMY, HoldAction, HoldCode
from o2c.domain.orders import Allocation, Order, OrderStatus
from o2c.engine import commands as cmd
from o2c.engine.authority import refuse_beyond_tier, tier
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import check_warehouse, decided_by, decision, load_order


def _cancel_allocations(order_id: str, ctx: Context, reason: str,
                        warehouses: set[str] | None = None) -> list[ev.Event]:
    order = load_order(ctx, order_id, "cancellation")
    return _cancel(order, reason, lambda a, left: left if warehouses is None or
                   a.warehouse_id in warehouses else Decimal(0))


def _cancel(order: Order, reason: str,
            how_much: Callable[[Allocation, Decimal], Decimal]) -> list[ev.Event]:
    """Give back, per allocation, ``how_much(allocation, open quantity)`` (at most the open
    quantity) of what is allocated and not shipped."""
    lines = []
    for a in order.allocations:
        left = a.quantity - a.shipped
        q = min(how_much(a, left), left) if left > 0 else Decimal(0)
        if q > 0:
            lines.append(ev.AllocationLine(line_no=a.line_no, product_id=a.product_id,
                                           warehouse_id=a.warehouse_id, lot_id=a.lot_id, quantity=q,
                                           expiry=a.expiry))
    if not lines:
        return []
    value = sum((order.line(a.line_no).unit_price * a.quantity for a in lines), Decimal(0))
    return [ev.AllocationCancelled(order_id=order.order_id, customer_id=order.customer_id,
                                   allocations=tuple(lines), value=order.money(value), reason=reason)]


def _close_short(order: Order, hold_id: str, reason: str) -> list[ev.Event]:
    """Close short what will not come: everything a warehouse that has shipped did not ship,
    and what warehouses reported they cannot fulfil (exceptions resolved through ``hold_id``:
    the quantities of the lines they named, or everything open there when they named none)."""
    whole = {s.warehouse_id for s in order.shipments}
    reported: dict[tuple[str, int], Decimal] = {}  # (warehouse, line) -> quantity not coming
    for issue in order.issues:
        if issue.hold_id != hold_id:
            continue
        if not issue.lines:
            whole.add(issue.warehouse_id)
        for ln in issue.lines:
            key = (issue.warehouse_id, ln.line_no)
            reported[key] = reported.get(key, Decimal(0)) + ln.quantity

    def how_much(a: Allocation, left: Decimal) -> Decimal:
        if a.warehouse_id in whole:
            return left
        key = (a.warehouse_id, a.line_no)
        q = min(reported.get(key, Decimal(0)), left)
        if q > 0:
            reported[key] -= q
        return q

    return _cancel(order, reason, how_much)


def release_hold(c: cmd.ReleaseHold, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "hold release")
    try:
        code = HoldCode(c.code)
    except ValueError:
        raise Rejected("CMD-INVALID", f"{c.code!r} is not a hold code") from None
    hold = next((h for h in order.open_holds if h.code is code), None)
    if hold is None:
        raise Rejected("CMD-INVALID", f"order {order.order_id} has no open {code.value} hold")
    try:
        action = HoldAction(c.action)
    except ValueError:
        raise Rejected("CMD-INVALID", f"{c.action!r} is not a hold action") from None
    if action not in TAXONOMY[code].actions:
        allowed = ", ".join(a.value for a in TAXONOMY[code].actions)
        raise Rejected("CMD-INVALID", f"a {code.value} hold allows {allowed}, not {action.value}")
    # The policy's approval tiers: who may decide this hold, at this amount, under four-eyes.
    t = tier(ctx.section(order.legal_entity_id), code, hold.amount, order.legal_entity_id)
    if not ctx.actor.is_system:
        refuse_beyond_tier(ctx.actor, order, t, order.currency)
    by = decided_by(ctx)
    if action is HoldAction.REJECT and any(ln.shipped for ln in order.lines):
        raise Rejected("CMD-INVALID", f"order {order.order_id} has shipped; it cannot be rejected "
                                      f"(choose another action for the {code.value} hold)")
    d = decision(ctx, t.rule, action.value, {**t.inputs(order.legal_entity_id), "tier": t.role.value,
                                            "by": by}, order.legal_entity_id)
    out: list[ev.Event] = [ev.HoldReleased(order_id=order.order_id, hold_id=hold.hold_id, code=code,
                                           action=action.value, by=by, reason=c.reason, decision=d)]
    if code is HoldCode.FUL_QTY_MISMATCH and action is HoldAction.OVERRIDE:
        # What the warehouse(s) said will not come is not coming: close it short.
        out += _close_short(order, hold.hold_id, f"closed short by {by}: {c.reason}")
    if action is HoldAction.REJECT:
        out += reject_events(order.order_id, ctx, by, f"{code.value} rejected: {c.reason}",
                             skip=hold.hold_id)
    return out


def reject_events(order_id: str, ctx: Context, by: str, reason: str, skip: str = "") -> list[ev.Event]:
    """Reject an order: its open holds (but ``skip``) rejected, its allocations given back."""
    order = load_order(ctx, order_id, "rejection")
    out: list[ev.Event] = [
        ev.HoldReleased(order_id=order.order_id, hold_id=h.hold_id, code=h.code, action="reject",
                        by=by, reason="order rejected")
        for h in order.open_holds if h.hold_id != skip
    ]
    out += _cancel_allocations(order_id, ctx, reason)
    out.append(ev.OrderRejected(order_id=order.order_id, customer_id=order.customer_id,
                                reason=reason, by=by))
    return out


def reject_order(c: cmd.RejectOrder, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "rejection")
    if order.terminal:  # said, not swallowed: the sender learns nothing was changed
        raise Rejected("CMD-INVALID", f"order {order.order_id} is already {order.status.value}; "
                                      "there is nothing left to reject")
    if any(ln.shipped for ln in order.lines):
        raise Rejected("CMD-INVALID", f"order {order.order_id} has shipped; it cannot be rejected")
    return reject_events(c.order_id, ctx, decided_by(ctx), c.reason)


def close_order(c: cmd.CloseOrder, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "closing")
    if order.status is OrderStatus.PAID:
        return [ev.OrderClosed(order_id=order.order_id)]
    return []


def receive_stock(c: cmd.ReceiveStock, ctx: Context) -> list[ev.Event]:
    check_warehouse(ctx, c.warehouse_id)
    if c.quantity <= 0:
        raise Rejected(HoldCode.VAL_MISSING_FIELD, f"stock receipt {c.reference}: quantity must be positive")
    if ctx.uow.master.product(c.product_id) is None:
        raise Rejected(HoldCode.VAL_ITEM_UNKNOWN, f"stock receipt {c.reference}: item "
                                                  f"{c.product_id!r} is not in master data")
    return [ev.StockReceived(warehouse_id=c.warehouse_id, product_id=c.product_id, lot_id=c.lot_id,
                             expiry=c.expiry, quantity=c.quantity, reference=c.reference)]
