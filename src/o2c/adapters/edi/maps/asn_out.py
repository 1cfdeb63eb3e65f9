"""Outbound ship notice (856) to a customer, in the Shipment/Order/Item hierarchy (BSN05 0004)."""

from __future__ import annotations

from decimal import Decimal

from o2c.adapters.edi.maps.documents import AsnShipment
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.writing import Seg, ccyymmdd, decimal, party_segments, trim

__all__ = ["build_856"]

_SHIPPED = "011"  # DTM01 (374): shipped


def build_856(asn: AsnShipment, partner: TradingPartner) -> list[Seg]:
    """BSN, HL S (TD5, REF BM/CN, DTM 011, N1 SF/ST), HL O (PRF, REF VN), HL I per line, CTT.

    BSN: 00 original, BSN02 our shipment id, BSN03 date, BSN05 ``0004`` (no pack level).  The
    order level carries the customer's PO in PRF01 and our order id as REF VN (vendor order
    number).  Items: LIN01 our line number, ``VP`` our product id, ``BP`` the buyer's item,
    ``LT`` the lot; SN1 the quantity shipped and its unit.  CTT01 counts the HL segments and
    CTT02 sums SN102, as the 856 defines them.
    """
    segs: list[Seg] = [("BSN", "00", asn.shipment_id, ccyymmdd(asn.ship_date), "0000", "0004")]
    segs.append(("HL", "1", "", "S"))
    if asn.carrier:
        segs.append(("TD5", "", "2", asn.carrier))
    if asn.bill_of_lading:
        segs.append(("REF", "BM", asn.bill_of_lading))
    if asn.tracking_no:
        segs.append(("REF", "CN", asn.tracking_no))
    segs.append(("DTM", _SHIPPED, ccyymmdd(asn.ship_date)))
    for party in (asn.ship_from, asn.ship_to):
        if party is not None:
            segs.extend(party_segments(party))
    segs.append(("HL", "2", "1", "O"))
    segs.append(("PRF", asn.po_number))
    segs.append(("REF", "VN", asn.order_id))
    total = Decimal(0)
    for n, ln in enumerate(asn.lines, 3):
        segs.append(("HL", str(n), "2", "I"))
        buyer = ("BP", ln.customer_item) if ln.customer_item else ()
        lot = ("LT", ln.lot_id) if ln.lot_id and ln.lot_id != "-" else ()
        segs.append(trim("LIN", str(ln.line_no), "VP", ln.product_id, *buyer, *lot))
        segs.append(("SN1", str(ln.line_no), decimal(ln.quantity), partner.x12_uom(ln.uom)))
        total += ln.quantity
    segs.append(("CTT", str(len(asn.lines) + 2), decimal(total)))
    return segs
