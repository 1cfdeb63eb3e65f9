"""Inbound purchase orders: 850 -> ``order`` (the engine's ``OrderIn``).

Invariants of a mapped order: at least one line, distinct line numbers, quantities > 0, and
CTT01 (when sent) equal to the number of lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.order_common import OrderHeader, check_ctt, line_number, line_product, line_uom
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import Findings, Party, date_of, el, number, required, terms_text
from o2c.adapters.edi.maps.result import Mapped, MapResult

__all__ = ["map_850"]


def map_850(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """850 purchase order -> ``order`` (validates against ``OrderIn``).

    BEG03 PO number and BEG05 date are mandatory; CUR02 (else the partner's currency); DTM 002
    requested delivery date; N1 ST -> ship-to through ``ship_to_map``; customer from N1 BY/BT
    through ``customer_map``, else the partner's; ITD -> terms text; PO1 quantity (PO102),
    unit (PO103 through ``uom_map``), price (PO104), product id by ``product_qualifiers``;
    PID05 descriptions and line-level segments go to ``extras``.  ``version`` is accepted for a
    uniform signature; dates are read in both 6- and 8-digit forms whatever it says.
    """
    f = Findings(ts)
    head = OrderHeader()
    beg = ctt = None
    party: Party | None = None
    lines: list[dict[str, Any]] = []
    descriptions: dict[str, str] = {}
    seen: set[int] = set()
    hash_total = Decimal(0)
    sequence = 0
    current: dict[str, Any] | None = None
    for seg in ts.segments:
        sid = seg.id
        if sid == "PO1":
            sequence += 1
            current, qty = _po1(f, seg, sequence, seen, partner)
            if current is not None:
                lines.append(current)
            if qty is not None:
                hash_total += qty
        elif sequence:
            if sid == "PID" and current is not None and str(current["line_no"]) not in descriptions:
                descriptions[str(current["line_no"])] = el(seg, 5)
            elif sid == "CTT":
                ctt = seg
        elif sid == "BEG":
            beg = beg or seg
        else:
            party = head.take(seg, party)
    rule = "850"
    po = order_date = None
    if beg is None:
        f.missing_segment("BEG", "850.BEG", "The purchase order has no BEG segment.")
    else:
        po = required(f, beg, 3, "324", "850.BEG03", "purchase order number")
        order_date = date_of(f, beg, 5, "850.BEG05", "purchase order date", required=True)
    if not sequence:
        f.missing_segment("PO1", "850.PO1", "The purchase order has no PO1 line.", at=ctt or ts.trailer)
    check_ctt(f, ctt, sequence, hash_total, rule)
    currency = head.currency(f, partner, "850.CUR02")
    customer = head.customer(f, partner, "850.N1")
    requested = (
        date_of(f, head.dates["002"], 2, "850.DTM02", "requested delivery date")
        if "002" in head.dates
        else None
    )
    if f.failed:
        return MapResult(errors=tuple(f.errors))
    ship_to = head.parties.get("ST")
    payload = {
        "legal_entity_id": partner.legal_entity_id,
        "customer_id": customer,
        "ship_to_id": partner.ship_to_for(ship_to["id"]) if ship_to else "",
        "po_number": po,
        "channel": "edi",
        "currency": currency,
        "order_date": order_date.isoformat() if order_date else None,
        "requested_date": requested.isoformat() if requested else None,
        "payment_terms": terms_text(head.itd) if head.itd is not None else None,
        "lines": lines,
    }
    extras = head.extras()
    if beg is not None:
        extras.update(purpose=el(beg, 1), po_type=el(beg, 2))
    if descriptions:
        extras["line_descriptions"] = descriptions
    return MapResult(
        documents=(Mapped(kind="order", payload=payload, extras=extras),), errors=tuple(f.errors)
    )


def _po1(
    f: Findings, seg: Segment, sequence: int, seen: set[int], partner: TradingPartner
) -> tuple[dict[str, Any] | None, Decimal | None]:
    line_no = line_number(f, seg, sequence, seen, "850.PO101")
    qty = number(f, seg, 2, "330", "850.PO102", "quantity ordered", required=True, positive=True)
    uom = line_uom(f, seg, 3, partner, "850.PO103")
    price = number(f, seg, 4, "212", "850.PO104", "unit price", places=4)
    if price is not None and price < 0:
        f.bad_value(seg, 4, "212", "850.PO104", f"PO104 unit price {price} is negative.")
    product, buyer_item = line_product(f, seg, 6, partner, "850.PO107")
    if qty is None or uom is None or product is None:
        return None, qty
    line = {
        "line_no": line_no,
        "product_id": product,
        "quantity": str(qty),
        "uom": uom,
        "unit_price": str(price) if price is not None else None,
        "customer_item": buyer_item,
    }
    return line, qty
