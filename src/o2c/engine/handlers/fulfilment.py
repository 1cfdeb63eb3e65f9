"""What warehouses and carriers report: picks, exceptions, shipments, carrier statuses and
proof of delivery."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.orders import Order
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import decision, load_order, place_hold
from o2c.engine.reactions import release_key, shipment_key


def confirm_shipment(c: cmd.ConfirmShipment, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, f"shipment {c.shipment_id}")
    if order.shipment(c.shipment_id) is not None:
        return []  # the same shipment reported again: already applied
    if not c.lines:
        raise Rejected(HoldCode.VAL_MISSING_FIELD, f"shipment {c.shipment_id} has no lines")
    open_alloc: dict[tuple[int, str, str], Decimal] = {}
    for a in order.allocations:
        key = (a.line_no, a.warehouse_id, a.lot_id)
        open_alloc[key] = open_alloc.get(key, Decimal(0)) + a.quantity - a.shipped
    for s in c.lines:
        if s.warehouse_id != c.warehouse_id:
            raise Rejected(HoldCode.FUL_QTY_MISMATCH,
                           f"shipment {c.shipment_id} from {c.warehouse_id} has line {s.line_no} "
                           f"shipped from {s.warehouse_id}")
        try:
            line = order.line(s.line_no)
        except KeyError:
            raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                           f"shipment {c.shipment_id}: order {order.order_id} has no line "
                           f"{s.line_no}") from None
        if s.product_id != line.product_id:
            raise Rejected(HoldCode.FUL_QTY_MISMATCH,
                           f"shipment {c.shipment_id} line {s.line_no}: shipped {s.product_id} "
                           f"but the order line is for {line.product_id}")
        avail = open_alloc.get((s.line_no, s.warehouse_id, s.lot_id), Decimal(0))
        if s.quantity <= 0 or s.quantity > avail:
            raise Rejected(HoldCode.FUL_QTY_MISMATCH,
                           f"shipment {c.shipment_id} line {s.line_no}: shipped {s.quantity} "
                           f"{line.base_uom} of lot {s.lot_id} from {s.warehouse_id}, but "
                           f"{avail} is allocated there and not yet shipped")
        open_alloc[(s.line_no, s.warehouse_id, s.lot_id)] = avail - s.quantity
    out: list[ev.Event] = [ev.ShipmentConfirmed(order_id=order.order_id, shipment_id=c.shipment_id,
                                                warehouse_id=c.warehouse_id, carrier=c.carrier,
                                                tracking_no=c.tracking_no, lines=c.lines,
                                                shipped_at=_not_after(c.shipped_at, ctx.now()))]
    short = sorted((line_no, lot, left) for (line_no, wh, lot), left in open_alloc.items()
                   if wh == c.warehouse_id and left > 0)
    already = any(h.code is HoldCode.FUL_QTY_MISMATCH for h in order.open_holds)
    if short and not already:
        what = ", ".join(f"line {n} lot {lot}: {left} allocated not shipped" for n, lot, left in short)
        d = decision(ctx, "fulfilment/short-shipment", HoldCode.FUL_QTY_MISMATCH.value,
                     {"shipment_id": c.shipment_id, "warehouse_id": c.warehouse_id, "short": what},
                     order.legal_entity_id)
        out.append(place_hold(ctx, order, HoldCode.FUL_QTY_MISMATCH,
                              f"shipment {c.shipment_id} from {c.warehouse_id} left {what}; release to "
                              "wait for the rest, override to close the order short", d))
    return out


def _not_after(t: datetime | None, now: datetime) -> datetime | None:
    """A source's own time, never later than o2c's clock (a warehouse clock running fast
    must not make a shipment look as if it happened after it was confirmed)."""
    return None if t is None else min(t, now)


def record_delivery(c: cmd.RecordDelivery, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, f"proof of delivery for shipment {c.shipment_id}")
    sh = order.shipment(c.shipment_id)
    if sh is None:
        raise Rejected(HoldCode.INT_OUT_OF_ORDER,
                       f"proof of delivery for shipment {c.shipment_id} of order {order.order_id} "
                       "arrived before the shipment confirmation; it is parked and applied as soon "
                       "as the shipment is confirmed",
                       waiting_for=shipment_key(order.order_id, c.shipment_id))
    if sh.delivered_at is not None:
        return []
    out: list[ev.Event] = [ev.ProofOfDeliveryReceived(order_id=order.order_id, shipment_id=c.shipment_id,
                                                      delivered_at=c.delivered_at, signed_by=c.signed_by)]
    if all(s.delivered_at is not None for s in order.shipments if s is not sh):
        # The carrier was chased for it (BIL-POD-OVERDUE): no POD is missing any more.
        why = f"proof of delivery received for shipment {c.shipment_id}"
        out += [ev.HoldReleased(order_id=order.order_id, hold_id=h.hold_id, code=h.code, action="release",
                                by="o2c.engine", reason=why)
                for h in order.open_holds if h.code is HoldCode.BIL_POD_OVERDUE]
    return out


def _check_lines(order: Order, lines: tuple[ev.WarehouseLine, ...], what: str) -> None:
    for ln in lines:
        try:
            line = order.line(ln.line_no)
        except KeyError:
            raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                           f"{what}: order {order.order_id} has no line {ln.line_no}") from None
        if ln.product_id != line.product_id:
            raise Rejected(HoldCode.FUL_QTY_MISMATCH,
                           f"{what} line {ln.line_no}: reports {ln.product_id} but the order line is "
                           f"for {line.product_id}")


def _released_to(order: Order, warehouse_id: str, what: str) -> None:
    """Refuse (park) a warehouse's report about an order not released to that warehouse."""
    if any(a.warehouse_id == warehouse_id for a in order.allocations):
        return
    if order.terminal:
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"{what}: order {order.order_id} is {order.status.value} and was never "
                       f"released to {warehouse_id}")
    raise Rejected(HoldCode.INT_OUT_OF_ORDER,
                   f"{what} arrived before order {order.order_id} was released to {warehouse_id}; "
                   "it is parked and applied again when the order is released",
                   waiting_for=release_key(order.order_id))


def record_pick(c: cmd.RecordPick, ctx: Context) -> list[ev.Event]:
    what = f"pick at {c.warehouse_id}"
    order = load_order(ctx, c.order_id, what)
    if (c.warehouse_id, c.picked_at) in order.picks:
        return []  # the same pick reported again
    _check_lines(order, c.lines, what)
    _released_to(order, c.warehouse_id, what)
    return [ev.PickConfirmed(order_id=order.order_id, warehouse_id=c.warehouse_id,
                             picked_at=c.picked_at, lines=c.lines)]


def report_fulfilment_exception(c: cmd.ReportFulfilmentException, ctx: Context) -> list[ev.Event]:
    """A hold for warehouse_ops: the fulfilment policy maps the warehouse's code to
    ``FUL-QTY-MISMATCH`` (release: fulfil as allocated; override: close the reported quantities
    short, see ``orders.release_hold``) or ``INV-LOT-UNAVAILABLE``. An open hold of that code
    takes the report instead of a second hold."""
    what = f"fulfilment exception {c.code} at {c.warehouse_id}"
    order = load_order(ctx, c.order_id, what)
    if any((i.warehouse_id, i.code, i.reported_at) == (c.warehouse_id, c.code, c.reported_at)
           for i in order.issues):
        return []  # the same exception reported again
    _check_lines(order, c.lines, what)
    _released_to(order, c.warehouse_id, what)
    named = {ln.line_no for ln in c.lines}
    still_open = [a for a in order.allocations if a.warehouse_id == c.warehouse_id
                  and a.quantity - a.shipped > 0 and (not named or a.line_no in named)]
    if not still_open:
        lines = ", ".join(str(n) for n in sorted(named)) or "any line"
        raise Rejected(HoldCode.FUL_QTY_MISMATCH,
                       f"{what}: order {order.order_id} has nothing left to ship from "
                       f"{c.warehouse_id} for {lines} (status {order.status.value}); no hold placed")
    policy = ctx.policy(order.legal_entity_id)
    inputs: dict[str, object] = {"code": c.code.upper(), "warehouse_id": c.warehouse_id,
                                 "lines": len(c.lines)}
    _, d = ctx.section(order.legal_entity_id).fulfilment_exception_table.decide(
        inputs, policy_id=policy.policy_id, version=policy.version, outcome_key="hold")
    d = ev.Decision(policy_id=d.policy_id, version=d.version, rule=d.rule, outcome=d.outcome,
                    inputs={**d.inputs, "reason": c.reason, "reported_at": c.reported_at.isoformat()})
    code = HoldCode(d.outcome)
    described = "; ".join(f"line {ln.line_no} {ln.product_id} lot {ln.lot_id}: "
                          f"{ln.quantity.normalize():f}" for ln in c.lines) or "all it holds for the order"
    held = next((h for h in order.open_holds if h.code is code), None)
    hold: ev.HoldPlaced | None = None
    hold_id = held.hold_id if held is not None else ""
    if held is None:
        if code is HoldCode.FUL_QTY_MISMATCH:
            todo = "release to fulfil as allocated, override to close it short"
        else:
            todo = "release once the warehouse has a lot to ship, reject to cancel the order"
        hold = place_hold(ctx, order, code, f"{c.warehouse_id} reports {c.code}"
                                            f"{': ' + c.reason if c.reason else ''} ({described}); {todo}", d)
        hold_id = hold.hold_id
    out: list[ev.Event] = [ev.FulfilmentExceptionReported(
        order_id=order.order_id, warehouse_id=c.warehouse_id, code=c.code, reason=c.reason,
        reported_at=c.reported_at, lines=c.lines, hold_code=code,
        hold_id=hold_id, decision=d)]
    if hold is not None:
        out.append(hold)
    return out


def record_shipment_status(c: cmd.RecordShipmentStatus, ctx: Context) -> list[ev.Event]:
    """Record a carrier's statuses for track and trace; a status the fulfilment policy calls a
    delay or an exception also raises ``FUL-LATE-SHIP`` (one open hold per order), unless the
    shipment is delivered already."""
    what = f"carrier status for shipment {c.shipment_id}"
    if not c.order_id:
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"{what} names no order (o2c finds shipments through their order: the "
                       "carrier must send our order number, e.g. an L11 OQ reference)")
    order = load_order(ctx, c.order_id, what)
    sh = order.shipment(c.shipment_id)
    if sh is None:
        raise Rejected(HoldCode.INT_OUT_OF_ORDER,
                       f"{what} of order {order.order_id} arrived before the shipment confirmation; "
                       "it is parked and applied as soon as the shipment is confirmed",
                       waiting_for=shipment_key(order.order_id, c.shipment_id))
    new = tuple(s for i, s in enumerate(c.statuses) if s not in sh.statuses and s not in c.statuses[:i])
    if not new:
        return []  # reported before
    policy = ctx.policy(order.legal_entity_id)
    table = ctx.section(order.legal_entity_id).shipment_status_table
    decided = [table.decide({"status": s.code, "reason": s.reason, "shipment_id": c.shipment_id,
                             "carrier": c.carrier}, policy_id=policy.policy_id,
                            version=policy.version, outcome_key="outcome")[1] for s in new]
    late = [(s, d) for s, d in zip(new, decided, strict=True) if d.outcome == HoldCode.FUL_LATE_SHIP.value]
    d = late[0][1] if late else decided[-1]
    out: list[ev.Event] = [ev.ShipmentStatusReported(order_id=order.order_id, shipment_id=c.shipment_id,
                                                     carrier=c.carrier, tracking_no=c.tracking_no,
                                                     statuses=new, decision=d)]
    open_late = any(h.code is HoldCode.FUL_LATE_SHIP for h in order.open_holds)
    if late and sh.delivered_at is None and not order.terminal and not open_late:
        s = late[0][0]
        when = f" at {s.at.isoformat()}" if s.at else ""
        where = ", ".join(p for p in (s.city, s.region, s.country) if p)
        reason = (f"carrier {c.carrier or '-'} reports status {s.code}"
                  f"{' reason ' + s.reason if s.reason else ''} for shipment {c.shipment_id}"
                  f"{' (' + c.tracking_no + ')' if c.tracking_no else ''}{when}"
                  f"{' in ' + where if where else ''}; follow up with the carrier and the customer, "
                  "then release")
        out.append(place_hold(ctx, order, HoldCode.FUL_LATE_SHIP, reason, d))
    return out
