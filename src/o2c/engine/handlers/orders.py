"""Holds released or rejected by people, order rejection and closing."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import TAXONOMY, HoldAction, HoldCode
from o2c.domain.orders import OrderStatus
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import load_order


def _cancel_allocations(order_id: str, ctx: Context, reason: str,
                        warehouses: set[str] | None = None) -> list[ev.Event]:
    order = load_order(ctx, order_id, "cancellation")
    lines = tuple(
        ev.AllocationLine(line_no=a.line_no, product_id=a.product_id, warehouse_id=a.warehouse_id,
                          lot_id=a.lot_id, quantity=a.quantity - a.shipped, expiry=a.expiry)
        for a in order.allocations
        if a.quantity - a.shipped > 0 and (warehouses is None or a.warehouse_id in warehouses)
    )
    if not lines:
        return []
    value = sum((order.line(a.line_no).unit_price * a.quantity for a in lines), Decimal(0))
    return [ev.AllocationCancelled(order_id=order.order_id, customer_id=order.customer_id,
                                   allocations=lines, value=order.money(value), reason=reason)]


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
    out: list[ev.Event] = [ev.HoldReleased(order_id=order.order_id, hold_id=hold.hold_id, code=code,
                                           action=action.value, by=c.by, reason=c.reason)]
    if code is HoldCode.FUL_QTY_MISMATCH and action is HoldAction.OVERRIDE:
        # What a warehouse that has shipped did not ship is not coming: close it short.
        shipped_from = {s.warehouse_id for s in order.shipments}
        out += _cancel_allocations(order.order_id, ctx, f"closed short by {c.by}: {c.reason}", shipped_from)
    if action is HoldAction.REJECT:
        out += _reject(order.order_id, ctx, c.by, f"{code.value} rejected: {c.reason}", skip=hold.hold_id)
    return out


def _reject(order_id: str, ctx: Context, by: str, reason: str, skip: str = "") -> list[ev.Event]:
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
    if order.terminal:
        return []
    if any(ln.shipped for ln in order.lines):
        raise Rejected("CMD-INVALID", f"order {order.order_id} has shipped; it cannot be rejected")
    return _reject(c.order_id, ctx, c.by, c.reason)


def close_order(c: cmd.CloseOrder, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "closing")
    if order.status is OrderStatus.PAID:
        return [ev.OrderClosed(order_id=order.order_id)]
    return []


def receive_stock(c: cmd.ReceiveStock, ctx: Context) -> list[ev.Event]:
    if c.quantity <= 0:
        raise Rejected(HoldCode.VAL_MISSING_FIELD, f"stock receipt {c.reference}: quantity must be positive")
    if ctx.uow.master.product(c.product_id) is None:
        raise Rejected(HoldCode.VAL_ITEM_UNKNOWN, f"stock receipt {c.reference}: item "
                                                  f"{c.product_id!r} is not in master data")
    return [ev.StockReceived(warehouse_id=c.warehouse_id, product_id=c.product_id, lot_id=c.lot_id,
                             expiry=c.expiry, quantity=c.quantity, reference=c.reference)]
