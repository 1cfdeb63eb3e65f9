"""Allocation across warehouses, backorders and their re-allocation."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.inventory import AllocationRule, Need, plan_allocation
from o2c.domain.orders import Order, OrderStatus
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.handlers.common import decision, load_order, place_hold

ALLOCATABLE = frozenset({OrderStatus.CREDIT_APPROVED, OrderStatus.BACKORDERED,
                         OrderStatus.RELEASED, OrderStatus.PARTIALLY_SHIPPED})


def _preference(ctx: Context, order: Order, home: str) -> list[str]:
    section = ctx.section(order.legal_entity_id)
    ids = [w.warehouse_id for w in ctx.uow.master.warehouses(order.legal_entity_id)]
    ordered = [home, *section.warehouse_preference, *sorted(ids)]
    seen: list[str] = []
    for w in ordered:
        if w in ids and w not in seen:
            seen.append(w)
    return seen


def allocate_order(c: cmd.AllocateOrder, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "allocation")
    if order.status not in ALLOCATABLE:
        return []
    # A backorder waits for stock; a carrier's delay of what shipped does not stop the rest.
    if any(h.code not in (HoldCode.INV_SHORT, HoldCode.FUL_LATE_SHIP) for h in order.open_holds):
        return []
    customer = ctx.uow.master.customer(order.customer_id)
    if customer is None:
        raise LookupError(f"customer {order.customer_id} vanished from master data")
    needs = []
    for ln in order.lines:
        left = ln.base_quantity - ln.allocated - ln.closed_short
        if left > 0:
            p = ctx.uow.master.product(ln.product_id)
            needs.append(Need(line_no=ln.line_no, product_id=ln.product_id, quantity=left,
                              lot_controlled=bool(p and p.lot_controlled)))
    if not needs:
        return []
    section = ctx.section(order.legal_entity_id)
    pref = _preference(ctx, order, customer.home_warehouse_id)
    positions = ctx.uow.stock.positions({n.product_id for n in needs})
    plan = plan_allocation(needs, positions, warehouse_preference=pref,
                           accepts_partial=customer.accepts_partial, today=ctx.today(order.legal_entity_id),
                           min_shelf_days=section.min_shelf_life_days)
    inputs: dict[str, object] = {
        "strategy": section.allocation_strategy, "home_warehouse": customer.home_warehouse_id,
        "accepts_partial": customer.accepts_partial, "warehouses": ",".join(pref),
        "min_shelf_life_days": section.min_shelf_life_days,
        "needs": ";".join(f"{n.line_no}:{n.product_id}:{n.quantity}" for n in needs),
    }
    d = decision(ctx, f"allocation/{plan.rule.value}", plan.rule.value, inputs,
                 order.legal_entity_id)
    out: list[ev.Event] = []
    if plan.picks:
        # StockAllocated goes first: its projection is the atomic reservation and
        # the only step that can lose a race, before anything else is applied.
        out.append(ev.StockAllocated(order_id=order.order_id, allocations=tuple(
            ev.AllocationLine(line_no=p.line_no, product_id=p.product_id,
                              warehouse_id=p.warehouse_id, lot_id=p.lot_id, quantity=p.quantity,
                              expiry=p.expiry) for p in plan.picks), decision=d))
        value = sum((order.line(p.line_no).unit_price * p.quantity for p in plan.picks), Decimal(0))
        out.append(ev.OrderReleased(order_id=order.order_id, customer_id=order.customer_id,
                                    warehouses=tuple(sorted({p.warehouse_id for p in plan.picks})),
                                    value=order.money(value)))
    short_hold = next((h for h in order.open_holds if h.code is HoldCode.INV_SHORT), None)
    if plan.shortages:
        lines = tuple(ev.BackorderLine(line_no=s.line_no, product_id=s.product_id,
                                       quantity=s.quantity) for s in plan.shortages)
        if plan.picks or any(order.line(s.line_no).backordered != s.quantity for s in plan.shortages):
            out.append(ev.OrderBackordered(order_id=order.order_id, lines=lines, decision=d))
        if plan.rule is AllocationRule.BACKORDER and short_hold is None:
            what = ", ".join(f"line {s.line_no} {s.product_id} short {s.quantity}"
                             for s in plan.shortages)
            out.append(place_hold(ctx, order, HoldCode.INV_SHORT,
                                  f"not enough stock to ship complete from one warehouse: {what}; "
                                  "the order is backordered and re-allocated when stock arrives", d))
    elif short_hold is not None:
        out.append(ev.HoldReleased(order_id=order.order_id, hold_id=short_hold.hold_id,
                                   code=HoldCode.INV_SHORT, action="release", by="o2c.engine",
                                   reason="stock arrived: order fully allocated"))
    return out
