"""Outbound order documents: 855 acknowledgment to a buyer, 940 shipping order to a warehouse.

Builders are pure: a document value in, the content segments of one set out (ST/SE are added
by ``build_interchange``), ready for ``(set id, control number, segments)``.  Product ids are
written as ``VP`` (our part number, we are the vendor) with the buyer's ``BP`` beside it when
known, so a partner can match on either; units go through the partner's ``uom_map`` reversed.
"""

from __future__ import annotations

from decimal import Decimal

from o2c.adapters.edi.maps.documents import OrderAcknowledgment, WarehouseOrder
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.writing import Seg, ccyymmdd, decimal, party_segments, trim

__all__ = ["build_855", "build_940"]

_CURRENT_SCHEDULE_SHIP = "068"  # ACK04 date/time qualifier (374)
_REQUESTED_SHIP = "10"  # G6201 date qualifier (432)


def build_855(ack: OrderAcknowledgment, partner: TradingPartner) -> list[Seg]:
    """BAK, then PO1 + ACK per line, then CTT.

    BAK: 00 original, BAK02 ack type (AD/AC/RD, see ``OrderAcknowledgment.ack_type``), BAK03
    the buyer's PO, BAK04 its date, BAK08 our order id, BAK09 the acknowledgment date.  ACK:
    status (IA/IC/IB/IR), acknowledged quantity and unit, and the scheduled ship date (068).
    CTT01 counts the PO1 lines, CTT02 sums their quantities.
    """
    segs: list[Seg] = [
        trim(
            "BAK",
            "00",
            ack.ack_type,
            ack.po_number,
            ccyymmdd(ack.po_date),
            "",
            "",
            "",
            ack.order_id,
            ccyymmdd(ack.ack_date),
        )
    ]
    total = Decimal(0)
    for ln in ack.lines:
        uom = partner.x12_uom(ln.uom)
        price = decimal(ln.unit_price) if ln.unit_price is not None else ""
        buyer = ("BP", ln.customer_item) if ln.customer_item else ()
        segs.append(
            trim("PO1", str(ln.line_no), decimal(ln.quantity), uom, price, "", "VP", ln.product_id, *buyer)
        )
        when = (_CURRENT_SCHEDULE_SHIP, ccyymmdd(ln.ship_date)) if ln.ship_date else ()
        segs.append(trim("ACK", ln.status.value, decimal(ln.acknowledged), uom, *when))
        total += ln.quantity
    segs.append(("CTT", str(len(ack.lines)), decimal(total)))
    return segs


def build_940(order: WarehouseOrder, partner: TradingPartner) -> list[Seg]:
    """W05, N1 ST, N9, G62, then per line LX + W01 + N9 LI (+ N9 LT), then W76.

    W05: N original, W0502 our order id (the depositor order number the warehouse echoes in
    its 945 W0602), W0503 the customer's PO.  W01: quantity, unit, ``VN`` + our product id
    (the warehouse's "vendor item number" is ours).  N9 LI carries our line number, N9 LT the
    lot to ship when allocation chose one.  W76 totals the quantity.
    """
    segs: list[Seg] = [trim("W05", "N", order.order_id, order.po_number)]
    if order.ship_to is not None:
        segs.extend(party_segments(order.ship_to))
    if order.release_id:
        segs.append(("N9", "ZZ", order.release_id))
    if order.requested_ship_date is not None:
        segs.append(("G62", _REQUESTED_SHIP, ccyymmdd(order.requested_ship_date)))
    total = Decimal(0)
    for i, ln in enumerate(order.lines, 1):
        segs.append(("LX", str(i)))
        segs.append(("W01", decimal(ln.quantity), partner.x12_uom(ln.uom), "", "VN", ln.product_id))
        if ln.description:
            segs.append(("G69", ln.description))
        segs.append(("N9", "LI", str(ln.line_no)))
        if ln.lot_id and ln.lot_id != "-":
            segs.append(("N9", "LT", ln.lot_id))
        total += ln.quantity
    segs.append(("W76", decimal(total)))
    return segs
