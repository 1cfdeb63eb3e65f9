"""Shipment confirmations from warehouses and proof of delivery from carriers."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import decision, load_order, place_hold
from o2c.engine.reactions import shipment_key


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
                                                tracking_no=c.tracking_no, lines=c.lines)]
    short = sorted((line_no, lot, left) for (line_no, wh, lot), left in open_alloc.items()
                   if wh == c.warehouse_id and left > 0)
    already = any(h.code is HoldCode.FUL_QTY_MISMATCH for h in order.open_holds)
    if short and not already:
        what = ", ".join(f"line {n} lot {lot}: {left} allocated not shipped" for n, lot, left in short)
        d = decision(ctx, "fulfilment/short-shipment", HoldCode.FUL_QTY_MISMATCH.value,
                     {"shipment_id": c.shipment_id, "warehouse_id": c.warehouse_id, "short": what})
        out.append(place_hold(ctx, order, HoldCode.FUL_QTY_MISMATCH,
                              f"shipment {c.shipment_id} from {c.warehouse_id} left {what}; release to "
                              "wait for the rest, override to close the order short", d))
    return out


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
    return [ev.ProofOfDeliveryReceived(order_id=order.order_id, shipment_id=c.shipment_id,
                                       delivered_at=c.delivered_at, signed_by=c.signed_by)]
