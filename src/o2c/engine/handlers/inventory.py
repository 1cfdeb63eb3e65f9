"""Reconciling a warehouse's count (inventory advice, X12 846) with o2c's stock.

For each position the advice names, the difference between the count and
o2c's on-hand goes through the policy's ``inventory`` table:

- ``adjust`` books it as a ``StockAdjusted`` event, but never below what
  orders have reserved: when the count is below the reserved quantity,
  on-hand goes down to the reserved quantity only, and the rest is referred;
- ``review`` books nothing and refers the whole difference.

A referral is a ``StockDifferenceReferred`` event (the decision record: the
rule, o2c's figures, the count). Its reaction, ``ResolveStockDifference``, is
refused with code ``INV-COUNT-MISMATCH`` (owner warehouse_ops) and so waits in
the dead-letter queue with the reason; a person replays it with ``by`` and
``action`` (``apply`` books the difference on the current on-hand if
reservations allow, ``keep`` keeps o2c's figures). Holds on the orders that
reserved the stock (``INV-LOT-UNAVAILABLE``) were not chosen: those orders
are not wrong, their stock is in question, and stopping released orders would
be heavier than asking the warehouse.

Positions the advice does not name are left as they are: an advice may be
partial. An advice naming an item unknown to master data, an unknown
warehouse, a unit the item does not have, or a position without an on-hand
count is refused whole (nothing is booked), naming every bad item.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_UP, Decimal

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.inventory import NO_LOT, StockPosition, split_count
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import check_warehouse, decided_by, decision

#: Quantities are kept to three decimals (the stores hold four).
_QTY = Decimal("0.001")
_PERCENT = Decimal("0.01")


def _counts(c: cmd.ReconcileInventory, ctx: Context) -> dict[tuple[str, str], Decimal]:
    """The advice's counts in base units per (product, lot); the same position
    named twice (e.g. two bins) adds up. Refuses the advice on any bad item."""
    what = f"inventory advice {c.advice_id or '(no id)'} from {c.warehouse_id}"
    if ctx.uow.master.warehouse(c.warehouse_id) is None:
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"{what}: warehouse {c.warehouse_id!r} is not in master data")
    if not c.items:
        raise Rejected(HoldCode.VAL_MISSING_FIELD, f"{what} names no items")
    problems: dict[HoldCode, list[str]] = {}
    counts: dict[tuple[str, str], Decimal] = {}
    for item in c.items:
        lot = item.lot_id or NO_LOT
        name = f"{item.product_id} lot {lot}"
        product = ctx.uow.master.product(item.product_id)
        if product is None:
            problems.setdefault(HoldCode.VAL_ITEM_UNKNOWN, []).append(
                f"item {item.product_id!r} is not in master data")
            continue
        factor = product.factor(item.uom) if item.uom else Decimal(1)
        if factor is None:
            valid = ", ".join([product.base_uom, *product.uom_factors])
            problems.setdefault(HoldCode.VAL_UOM_INVALID, []).append(
                f"{name}: unit {item.uom!r} is not valid for {product.product_id} (valid: {valid})")
            continue
        if item.on_hand is None or item.on_hand < 0:
            problems.setdefault(HoldCode.VAL_MISSING_FIELD, []).append(
                f"{name}: no on-hand count" if item.on_hand is None
                else f"{name}: on-hand count {item.on_hand} is negative")
            continue
        qty = item.on_hand * factor
        if qty != qty.quantize(_QTY):
            problems.setdefault(HoldCode.VAL_UOM_INVALID, []).append(
                f"{name}: {qty} {product.base_uom} has more than three decimal places")
            continue
        key = (product.product_id, lot)
        counts[key] = _exact(counts.get(key, Decimal(0)) + qty)
    if problems:
        # an unknown item names the refusal whenever there is one (master data must change)
        code = next(c for c in (HoldCode.VAL_ITEM_UNKNOWN, HoldCode.VAL_UOM_INVALID,
                                HoldCode.VAL_MISSING_FIELD) if c in problems)
        texts = [t for ts in problems.values() for t in ts]
        raise Rejected(code, f"{what} is refused whole, nothing was booked: " + "; ".join(texts))
    return counts


def _exact(d: Decimal) -> Decimal:
    """The same number without trailing zeros (stores differ in the scale they return:
    ``100.0000`` from SQL, ``100`` from memory), so events and decisions read alike."""
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _percent(delta: Decimal, on_hand: Decimal) -> Decimal:
    if on_hand <= 0:
        return Decimal(100)
    return (abs(delta) * 100 / on_hand).quantize(_PERCENT, ROUND_UP)


def _entity_of(ctx: Context, warehouse_id: str) -> str | None:
    warehouse = ctx.uow.master.warehouse(warehouse_id)
    return warehouse.legal_entity_id if warehouse is not None else None


def reconcile_inventory(c: cmd.ReconcileInventory, ctx: Context) -> list[ev.Event]:
    check_warehouse(ctx, c.warehouse_id)
    counts = _counts(c, ctx)
    positions: dict[tuple[str, str], StockPosition] = {
        (p.product_id, p.lot_id): p
        for p in ctx.uow.stock.positions({pid for pid, _ in counts})
        if p.warehouse_id == c.warehouse_id
    }
    entity_id = _entity_of(ctx, c.warehouse_id)
    policy = ctx.policy(entity_id)
    section = policy.for_entity(entity_id) if entity_id is not None else policy.base
    out: list[ev.Event] = []
    for (product_id, lot_id), advised in sorted(counts.items()):
        pos = positions.get((product_id, lot_id))
        on_hand = _exact(pos.on_hand) if pos else Decimal(0)
        reserved = _exact(pos.reserved) if pos else Decimal(0)
        expiry = pos.expiry if pos else None
        delta = advised - on_hand
        if delta == 0:
            continue
        inputs: dict[str, object] = {
            "warehouse_id": c.warehouse_id, "product_id": product_id, "lot_id": lot_id,
            "on_hand": on_hand, "reserved": reserved, "advised": advised, "delta": delta,
            "abs_delta": abs(delta), "direction": "up" if delta > 0 else "down",
            "delta_percent": _percent(delta, on_hand), "advice_id": c.advice_id,
            "as_of": c.as_of.isoformat() if c.as_of else "",
        }
        _, d = section.inventory_table.decide(inputs, policy_id=policy.policy_id,
                                              version=policy.version, outcome_key="outcome")
        referral = ev.StockDifferenceReferred(
            warehouse_id=c.warehouse_id, product_id=product_id, lot_id=lot_id, expiry=expiry,
            on_hand=on_hand, reserved=reserved, advised=advised, delta=delta,
            advice_id=c.advice_id, reason="", decision=d)
        if d.outcome == "review":
            out.append(replace(referral, reason=(
                f"the count differs from o2c's on-hand {on_hand} by {delta} "
                f"({inputs['delta_percent']}%), more than the policy books on its own "
                f"(rule {d.rule})")))
            continue
        split = split_count(on_hand, reserved, advised)
        if split.bookable != 0:
            out.append(ev.StockAdjusted(
                warehouse_id=c.warehouse_id, product_id=product_id, lot_id=lot_id, expiry=expiry,
                delta=split.bookable, advised=advised, advice_id=c.advice_id, decision=d))
        if split.blocked != 0:
            held = decision(ctx, "inventory/reservations-protected", HoldCode.INV_COUNT_MISMATCH.value,
                            {**inputs, "booked": split.bookable, "not_booked": split.blocked,
                             "tolerance_rule": d.rule}, entity_id)
            out.append(replace(referral, delta=split.blocked, decision=held, reason=(
                f"the count {advised} is below the {reserved} reserved by orders: on-hand went "
                f"down to {reserved} only; {-split.blocked} more would take reserved units "
                "(ship, cancel or re-allocate those orders first)")))
    if not out:  # every position matched: the count is still a fact of the log
        out.append(ev.InventoryCounted(warehouse_id=c.warehouse_id, advice_id=c.advice_id,
                                       positions=len(counts)))
    return out


def resolve_stock_difference(c: cmd.ResolveStockDifference, ctx: Context) -> list[ev.Event]:
    what = (f"stock difference {c.warehouse_id}/{c.product_id}/{c.lot_id} "
            f"(advice {c.advice_id or '(no id)'}): the count {c.advised} differs by {c.delta}")
    if not ctx.actor.is_person or c.action not in ("apply", "keep"):
        raise Rejected(HoldCode.INV_COUNT_MISMATCH,
                       f"{what}; {c.reason}. warehouse_ops: replay this with \"action\": "
                       "\"apply\" (book the difference) or \"keep\" (keep o2c's figures)")
    try:
        delta, advised = Decimal(c.delta), Decimal(c.advised)
    except ArithmeticError:
        raise Rejected("CMD-INVALID", f"{what}: delta and advised must be numbers") from None
    pos = next((p for p in ctx.uow.stock.positions([c.product_id])
                if (p.warehouse_id, p.lot_id) == (c.warehouse_id, c.lot_id)), None)
    on_hand = _exact(pos.on_hand) if pos else Decimal(0)
    reserved = _exact(pos.reserved) if pos else Decimal(0)
    booked = delta if c.action == "apply" else Decimal(0)
    if on_hand + booked < reserved or on_hand + booked < 0:
        raise Rejected(HoldCode.INV_COUNT_MISMATCH,
                       f"{what}; booking it would take on-hand {on_hand} below the {reserved} reserved "
                       "by orders: ship, cancel or re-allocate those orders, then replay this again")
    d = decision(ctx, f"{c.rule}/{'approved' if booked else 'kept'}-by-person", c.action,
                 {"by": decided_by(ctx), "on_hand": on_hand, "reserved": reserved, "delta": delta,
                  "advised": advised, "referred_because": c.reason},
                 _entity_of(ctx, c.warehouse_id))
    return [ev.StockAdjusted(warehouse_id=c.warehouse_id, product_id=c.product_id, lot_id=c.lot_id,
                             expiry=pos.expiry if pos else None, delta=booked, advised=advised,
                             advice_id=c.advice_id, decision=d)]
