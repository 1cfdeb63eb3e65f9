"""Stock positions and the allocation planner (pure).

The planner proposes; the runtime reserves each planned quantity with an
atomic conditional update and re-plans if another process got there first.

Invariants of a plan: it never takes more than a position's available-to-
promise (on hand − reserved), never more than a line still needs, and lots of
lot-controlled items are taken first-expiry-first-out, skipping lots whose
remaining shelf life is below the policy minimum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

NO_LOT = "-"


@dataclass(slots=True, kw_only=True)
class StockPosition:
    warehouse_id: str
    product_id: str
    lot_id: str
    expiry: date | None
    on_hand: Decimal
    reserved: Decimal

    @property
    def atp(self) -> Decimal:
        """Available to promise."""
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True, kw_only=True)
class Need:
    line_no: int
    product_id: str
    quantity: Decimal
    lot_controlled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Pick:
    line_no: int
    product_id: str
    warehouse_id: str
    lot_id: str
    quantity: Decimal
    expiry: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Shortage:
    line_no: int
    product_id: str
    quantity: Decimal


class AllocationRule(StrEnum):
    HOME_COMPLETE = "home_warehouse_complete"
    OTHER_COMPLETE = "single_warehouse_complete"
    SPLIT = "split_across_warehouses"
    BACKORDER = "backorder_ship_complete"
    NOTHING_NEEDED = "nothing_to_allocate"


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationPlan:
    picks: tuple[Pick, ...]
    shortages: tuple[Shortage, ...]
    rule: AllocationRule


def _usable(p: StockPosition, today: date, min_shelf_days: int) -> bool:
    return p.atp > 0 and (p.expiry is None or p.expiry >= today + timedelta(days=min_shelf_days))


def _fefo(positions: Iterable[StockPosition]) -> list[StockPosition]:
    return sorted(positions, key=lambda p: (p.expiry or date.max, p.lot_id))


def _take(need: Need, qty: Decimal, lots: list[StockPosition], left: dict[int, Decimal]) -> list[Pick]:
    picks: list[Pick] = []
    for p in lots:
        if qty <= 0:
            break
        avail = left[id(p)]
        if avail <= 0:
            continue
        q = min(avail, qty)
        left[id(p)] = avail - q
        qty -= q
        picks.append(Pick(line_no=need.line_no, product_id=need.product_id,
                          warehouse_id=p.warehouse_id, lot_id=p.lot_id, quantity=q,
                          expiry=p.expiry))
    return picks


def plan_allocation(
    needs: Sequence[Need],
    positions: Sequence[StockPosition],
    *,
    warehouse_preference: Sequence[str],
    accepts_partial: bool,
    today: date,
    min_shelf_days: int = 0,
) -> AllocationPlan:
    """Plan where each line's quantity comes from.

    Strategy: ship complete from the first warehouse in ``warehouse_preference``
    (home first) that can; otherwise split across warehouses and backorder the
    rest if the customer accepts partial shipments; otherwise allocate nothing
    and backorder the whole order.
    """
    needs = [n for n in needs if n.quantity > 0]
    if not needs:
        return AllocationPlan(picks=(), shortages=(), rule=AllocationRule.NOTHING_NEEDED)
    by_wh_product: dict[tuple[str, str], list[StockPosition]] = {}
    for p in positions:
        if _usable(p, today, min_shelf_days):
            by_wh_product.setdefault((p.warehouse_id, p.product_id), []).append(p)
    for k, lots in by_wh_product.items():
        by_wh_product[k] = _fefo(lots)

    for rank, wh in enumerate(warehouse_preference):
        if all(sum((p.atp for p in by_wh_product.get((wh, n.product_id), ())), Decimal(0)) >= n.quantity
               for n in _merged(needs)):
            left = {id(p): p.atp for lots in by_wh_product.values() for p in lots}
            complete = [pk for n in needs
                        for pk in _take(n, n.quantity, by_wh_product.get((wh, n.product_id), []), left)]
            rule = AllocationRule.HOME_COMPLETE if rank == 0 else AllocationRule.OTHER_COMPLETE
            return AllocationPlan(picks=tuple(complete), shortages=(), rule=rule)

    if not accepts_partial:
        return AllocationPlan(
            picks=(),
            shortages=tuple(Shortage(line_no=n.line_no, product_id=n.product_id, quantity=n.quantity)
                            for n in needs),
            rule=AllocationRule.BACKORDER,
        )

    left = {id(p): p.atp for lots in by_wh_product.values() for p in lots}
    picks: list[Pick] = []
    shortages: list[Shortage] = []
    for n in needs:
        lots = [p for wh in warehouse_preference for p in by_wh_product.get((wh, n.product_id), [])]
        taken = _take(n, n.quantity, lots, left)
        picks.extend(taken)
        short = n.quantity - sum((t.quantity for t in taken), Decimal(0))
        if short > 0:
            shortages.append(Shortage(line_no=n.line_no, product_id=n.product_id, quantity=short))
    return AllocationPlan(picks=tuple(picks), shortages=tuple(shortages), rule=AllocationRule.SPLIT)


def _merged(needs: Sequence[Need]) -> list[Need]:
    """Needs summed per product (two lines of one item draw on the same stock)."""
    total: dict[str, Decimal] = {}
    for n in needs:
        total[n.product_id] = total.get(n.product_id, Decimal(0)) + n.quantity
    return [Need(line_no=0, product_id=p, quantity=q) for p, q in total.items()]


@dataclass(frozen=True, slots=True, kw_only=True)
class CountSplit:
    """A warehouse's count of one position, split into what can be booked now and
    what cannot.

    Invariants: ``bookable + blocked == advised - on_hand``; booking ``bookable``
    leaves ``on_hand + bookable >= reserved`` (a count never takes back stock that
    orders hold); ``blocked`` is 0 unless the count is below what is reserved, and
    then negative (the units the count says are missing but orders hold)."""

    bookable: Decimal
    blocked: Decimal


def split_count(on_hand: Decimal, reserved: Decimal, advised: Decimal) -> CountSplit:
    """Reconcile o2c's ``on_hand`` with a physical count ``advised`` without
    breaking reservations: on-hand goes to the count, or to ``reserved`` if the
    count is below it."""
    target = max(advised, reserved)
    return CountSplit(bookable=target - on_hand, blocked=advised - target)
