"""A buyer's change to a purchase order it sent before (X12 860).

The order is found by (customer, PO number), the way duplicate-PO detection finds it (the
first order received with that PO). A change that overtakes its order is parked under
``INT-OUT-OF-ORDER`` and applied as soon as the order is received, before it is validated.

A change is applied only while nothing is released to a warehouse
(:data:`o2c.domain.orders.CHANGEABLE`): a change to the lines sends the order back to
``received``, so that it is validated, credit-checked and allocated again like a new
order (its open holds are closed as superseded and decided again); a change of dates only is
recorded without that. Cancelling the whole order, or every line, rejects it.

A change that arrives after the release (or the shipment) is refused: the order stays as it
is, ``OrderChanged`` records the refusal and a hold goes to customer service, who knows the
buyer and can reach the warehouse, under ``VAL-CHANGE-TOO-LATE`` (an o2c addition to the
primer's taxonomy): override keeps the order as it is, reject cancels it (possible only while
nothing has shipped).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TypeVar

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.orders import CHANGEABLE, Order, OrderLine, OrderStatus
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import decision, person, place_hold
from o2c.engine.handlers.orders import reject_events
from o2c.engine.reactions import po_key

#: The hold for a change that came too late (see the module docstring).
CHANGE_REFUSED = HoldCode.VAL_CHANGE_TOO_LATE
ENGINE = "o2c.engine"
T = TypeVar("T")
_PRICE = Decimal("0.0001")  # prices travel with at most 4 decimals (canonical ``Amount``)


def change_order(c: cmd.ChangeOrder, ctx: Context) -> list[ev.Event]:
    what = f"change {c.change_sequence or '-'} to PO {c.po_number} from {c.customer_id}"
    order_id = ctx.uow.orders.find_by_po(c.customer_id, c.po_number)
    order = ctx.uow.orders.get(order_id) if order_id else None
    if order is not None and not visible(ctx.actor, order.legal_entity_id):
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"{what} refers to a purchase order o2c does not know")
    if order is None:
        # Changes travel apart from their orders (another VAN batch, another mailbox), so one
        # can overtake its 850: it waits, and is applied the moment the order arrives.
        raise Rejected(HoldCode.INT_OUT_OF_ORDER,
                       f"{what} refers to a purchase order o2c has not received yet; it is parked "
                       "and applied as soon as that order arrives. If the buyer never sent it, ask "
                       "the buyer for the order",
                       waiting_for=po_key(c.customer_id, c.po_number))
    what = f"{what} (order {order.order_id})"
    if order.terminal:
        if c.purpose == "cancel" and order.status is OrderStatus.REJECTED:
            return _unchanged(c, order, ctx, "change/already-cancelled")
        raise Rejected(CHANGE_REFUSED, f"{what} cannot be applied: the order is "
                                       f"{order.status.value}")
    if order.status not in CHANGEABLE:
        return _refuse(c, order, ctx)
    changes, problems = _resolve(c, order, ctx)
    if problems:
        code = problems[0][0]
        raise Rejected(code, f"{what} cannot be applied: " + "; ".join(t for _, t in problems))
    left = ({ln.line_no for ln in order.lines} - {ch.line_no for ch in changes if ch.action == "cancel"}
            | {ch.line_no for ch in changes if ch.action == "add"})
    if c.purpose == "cancel" or (order.lines and not left):
        return _cancel(c, order, ctx, what)
    if not changes and (c.requested_date is None or c.requested_date == order.requested_date):
        return _unchanged(c, order, ctx, "change/no-difference")  # the same change again
    twice = used_twice(order)
    recheck = any(ch.action != "change" or ch.quantity is not None or ch.uom is not None
                  or ch.unit_price is not None or ch.product_id != order.line(ch.line_no).product_id
                  or ch.line_no in twice for ch in changes)
    rule = "change/applied-recheck" if recheck else "change/applied-dates-only"
    d = decision(ctx, rule, "applied", _inputs(c, order, changes), order.legal_entity_id)
    out: list[ev.Event] = []
    if recheck:
        out += [ev.HoldReleased(order_id=order.order_id, hold_id=h.hold_id, code=h.code,
                                action="edit_and_retry", by=ENGINE,
                                reason=f"superseded by the buyer's {what}: checked again")
                for h in order.open_holds]
    out.append(ev.OrderChanged(order_id=order.order_id, customer_id=order.customer_id,
                               po_number=order.po_number, purpose=c.purpose,
                               change_sequence=c.change_sequence, outcome="applied", recheck=recheck,
                               lines=tuple(changes), requested_date=c.requested_date, decision=d,
                               by=person(ctx)))
    return out


def _resolve(c: cmd.ChangeOrder, order: Order,
             ctx: Context) -> tuple[list[ev.LineChangeData], list[tuple[HoldCode, str]]]:
    """The request as changes to this order's lines, leaving out what would change nothing;
    and what makes it impossible (code, sentence)."""
    # reversed: of a number used twice the first line stands for it, as Order.line finds it
    lines = {ln.line_no: ln for ln in reversed(order.lines)}
    twice = used_twice(order)
    out: list[ev.LineChangeData] = []
    problems: list[tuple[HoldCode, str]] = []
    if c.purpose == "cancel":
        return [_cancelled(ln) for ln in order.lines], problems
    restating = c.purpose == "replace"
    seen: set[int] = set()
    for cl in c.lines:
        wants = set(cl.changes)
        ln = lines.get(cl.line_no)
        if cl.line_no in seen:
            problems.append((HoldCode.INT_PARSE_ERROR, f"line {cl.line_no} is named twice"))
            continue
        seen.add(cl.line_no)
        if wants <= {"no_change"}:
            continue
        if "cancel" in wants:
            if ln is not None:
                out.append(_cancelled(ln))
            elif cl.line_no not in order.cancelled_lines:
                problems.append((HoldCode.INT_UNKNOWN_REFERENCE,
                                 f"line {cl.line_no} to cancel is not on the order"))
            continue
        restate = restating or "replace" in wants
        if ln is None:
            if not ("add" in wants or restate):
                problems.append((HoldCode.INT_UNKNOWN_REFERENCE, f"line {cl.line_no} is not on the order"))
                continue
            missing = [n for n, v in (("product", cl.product_id), ("quantity", cl.quantity),
                                      ("unit", cl.uom)) if v is None]
            if missing:
                problems.append((HoldCode.VAL_MISSING_FIELD,
                                 f"line {cl.line_no} to add has no {' and no '.join(missing)}"))
                continue
            out.append(ev.LineChangeData(line_no=cl.line_no, action="add", product_id=str(cl.product_id),
                                         quantity=cl.quantity, uom=str(cl.uom).upper(),
                                         unit_price=cl.unit_price, requested_date=cl.requested_date))
            continue
        if "add" in wants:
            if (cl.product_id, cl.quantity, (cl.uom or "").upper()) != (ln.product_id, ln.quantity, ln.uom):
                problems.append((HoldCode.INT_UNKNOWN_REFERENCE,
                                 f"line {cl.line_no} to add is already on the order "
                                 f"({ln.quantity} {ln.uom} of {ln.product_id})"))
            continue  # else: added before, the same change again
        if cl.product_id and cl.product_id != ln.product_id and not restate:
            problems.append((HoldCode.INT_UNKNOWN_REFERENCE,
                             f"line {cl.line_no} is for {ln.product_id}, the change names {cl.product_id}"))
            continue
        qty_change = restate or "change_quantity" in wants
        if "change_quantity" in wants and cl.quantity is None:
            problems.append((HoldCode.VAL_MISSING_FIELD,
                             f"line {cl.line_no}: a quantity change without the new quantity"))
            continue
        uom = _new(cl.uom.upper() if qty_change and cl.uom else None, ln.uom)
        price = cl.unit_price if restate or "change_price" in wants else None
        if price is None and uom is not None and ln.requested_price is not None:
            price = _per(ctx, ln, uom)  # the PO price, in the new unit
        change = ev.LineChangeData(
            line_no=ln.line_no, action="change",
            product_id=cl.product_id if restate and cl.product_id else ln.product_id,
            quantity=_new(cl.quantity if qty_change else None, ln.quantity), uom=uom,
            unit_price=_new(price, ln.requested_price),
            requested_date=_new(cl.requested_date if restate or "change_date" in wants else None,
                                ln.requested_date))
        if (change.product_id, change.quantity, change.uom, change.unit_price,
                change.requested_date) != (ln.product_id, None, None, None, None) or ln.line_no in twice:
            out.append(change)  # a change to a number used twice says what that one line is
    if restating:
        mentioned = {cl.line_no for cl in c.lines}
        out += [_cancelled(ln) for ln in order.lines if ln.line_no not in mentioned]
    return out, problems


def used_twice(order: Order) -> set[int]:
    """Line numbers the order holds more than once (a buyer's mistake, held as
    ``VAL-DUPLICATE-LINE`` until a change or a rejection resolves it)."""
    return {n for n, k in Counter(ln.line_no for ln in order.lines).items() if k > 1}


def _per(ctx: Context, ln: OrderLine, uom: str) -> Decimal | None:
    """The line's PO price converted to ``uom`` (None when a unit is not the item's)."""
    product = ctx.uow.master.product(ln.product_id)
    old = product.factor(ln.uom) if product else None
    new = product.factor(uom) if product else None
    if ln.requested_price is None or not old or not new:
        return None
    converted = ln.requested_price / old * new
    return converted if converted == converted.quantize(_PRICE) else converted.quantize(_PRICE)


def _new(value: T | None, current: T | None) -> T | None:
    """The new value, or None when there is none or it is the current one."""
    return None if value is None or value == current else value


def _cancelled(ln: OrderLine) -> ev.LineChangeData:
    return ev.LineChangeData(line_no=ln.line_no, action="cancel", product_id=ln.product_id,
                             quantity=ln.quantity, uom=ln.uom)


def _cancel(c: cmd.ChangeOrder, order: Order, ctx: Context, what: str) -> list[ev.Event]:
    """The buyer cancels the whole order (or every line of it): the order is rejected."""
    rule = "change/cancel-order" if c.purpose == "cancel" else "change/every-line-cancelled"
    lines = tuple(_cancelled(ln) for ln in order.lines)
    d = decision(ctx, rule, "cancelled", _inputs(c, order, list(lines)), order.legal_entity_id)
    out: list[ev.Event] = [ev.OrderChanged(
        order_id=order.order_id, customer_id=order.customer_id, po_number=order.po_number,
        purpose=c.purpose, change_sequence=c.change_sequence, outcome="cancelled", recheck=False,
        lines=lines, requested_date=c.requested_date, decision=d, by=person(ctx))]
    out += reject_events(order.order_id, ctx, f"customer:{order.customer_id}",
                         f"cancelled by the buyer: {what}")
    return out


def _unchanged(c: cmd.ChangeOrder, order: Order, ctx: Context, rule: str) -> list[ev.Event]:
    """Nothing to do: the order already is as the buyer asks (cancelled already, or the same
    change again). Recorded, so the buyer's message has its place in the log and the trace."""
    d = decision(ctx, rule, "unchanged", _inputs(c, order, []), order.legal_entity_id)
    return [ev.OrderChanged(
        order_id=order.order_id, customer_id=order.customer_id, po_number=order.po_number,
        purpose=c.purpose, change_sequence=c.change_sequence, outcome="unchanged", recheck=False,
        lines=(), requested_date=c.requested_date, decision=d, by=person(ctx))]


def _refuse(c: cmd.ChangeOrder, order: Order, ctx: Context) -> list[ev.Event]:
    """Too late: the order is released (or shipped). Record the request, change nothing, and
    give customer service a hold to answer the buyer."""
    requested = tuple(_requested(c, order))
    shipped = bool(order.shipments)
    warehouses = sorted({a.warehouse_id for a in order.allocations})
    rule = "change/refused-shipped" if shipped else "change/refused-released"
    d = decision(ctx, rule, "refused", {**_inputs(c, order, list(requested)),
                                        "warehouses": ",".join(warehouses),
                                        "shipments": ",".join(s.shipment_id for s in order.shipments)},
                 order.legal_entity_id)
    out: list[ev.Event] = [ev.OrderChanged(
        order_id=order.order_id, customer_id=order.customer_id, po_number=order.po_number,
        purpose=c.purpose, change_sequence=c.change_sequence, outcome="refused", recheck=False,
        lines=requested, requested_date=c.requested_date, decision=d, by=person(ctx))]
    if any(h.code is CHANGE_REFUSED for h in order.open_holds):
        return out  # customer service already has this order in hand
    asked = "cancel the order" if c.purpose == "cancel" else _describe(list(requested)) or "a change"
    if shipped:
        where = f"has shipped ({', '.join(s.shipment_id for s in order.shipments)})"
        todo = "tell the buyer and override to keep the order as shipped"
    else:
        where = f"was released to warehouse {', '.join(warehouses)}"
        todo = ("ask the warehouse whether it can still stop it: reject to cancel the order, "
                "or override to keep it as released")
    reason = (f"the buyer's change {c.change_sequence or '-'} to PO {order.po_number} ({asked}) "
              f"came after order {order.order_id} {where}; it was not applied: {todo}")
    out.append(place_hold(ctx, order, CHANGE_REFUSED, reason, d))
    return out


def _requested(c: cmd.ChangeOrder, order: Order) -> list[ev.LineChangeData]:
    """The request as it came, for the record of a refusal."""
    if c.purpose == "cancel":
        return [_cancelled(ln) for ln in order.lines]
    out = []
    for cl in c.lines:
        wants = set(cl.changes)
        if wants <= {"no_change"}:
            continue
        action = "cancel" if "cancel" in wants else "add" if "add" in wants else "change"
        current = next((ln for ln in order.lines if ln.line_no == cl.line_no), None)
        out.append(ev.LineChangeData(
            line_no=cl.line_no, action=action,
            product_id=cl.product_id or (current.product_id if current else ""),
            quantity=cl.quantity, uom=cl.uom.upper() if cl.uom else None, unit_price=cl.unit_price,
            requested_date=cl.requested_date))
    return out


def _describe(changes: list[ev.LineChangeData]) -> str:
    parts = []
    for ch in changes:
        if ch.action == "cancel":
            parts.append(f"cancel line {ch.line_no}")
        elif ch.action == "add":
            parts.append(f"add line {ch.line_no}: {_qty(ch.quantity)} {ch.uom} {ch.product_id}")
        else:
            what = [f"{_qty(ch.quantity)}{' ' + ch.uom if ch.uom else ''}" if ch.quantity is not None else "",
                    f"price {ch.unit_price}" if ch.unit_price is not None else "",
                    f"date {ch.requested_date}" if ch.requested_date is not None else ""]
            parts.append(f"line {ch.line_no} {ch.product_id}: " + ", ".join(w for w in what if w))
    return "; ".join(parts)


def _qty(q: Decimal | None) -> str:
    return "-" if q is None else f"{q.normalize():f}"


def _inputs(c: cmd.ChangeOrder, order: Order, changes: list[ev.LineChangeData]) -> dict[str, object]:
    return {"order_id": order.order_id, "status": order.status.value, "purpose": c.purpose,
            "change_sequence": c.change_sequence, "open_holds": ",".join(h.code.value for h in
                                                                          order.open_holds),
            "changes": _describe(changes) or "none"}
