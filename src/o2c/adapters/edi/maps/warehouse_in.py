"""Inbound warehouse shipping advice (945) from a 3PL -> ``shipment``.

See :mod:`.shipment_common` for the assumptions shared with the 856.  When the truck left:
a G62 ``11`` (shipped on this date) with its time (G6204, in the zone of G6205, else the
partner's) is the shipment's ``shipped_at``; W0603 alone is a date, which does not say when,
so the 945's arrival then stands for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import (
    Findings,
    Party,
    add_address,
    date_of,
    el,
    fits,
    number,
    product_pairs,
    read_party,
    required,
    time_of,
    zone_of,
)
from o2c.adapters.edi.maps.result import Mapped, MapResult
from o2c.adapters.edi.maps.shipment_common import ShippedLines, int_id, shipped_product

__all__ = ["map_945"]

_SHIPPED_ON = "11"  # G6201 date qualifier (432): shipped on this date


def map_945(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """945 warehouse shipping advice -> ``shipment`` (see module doc).

    W06: W0602 our order id and W0604 shipment id (else W0605, the agent's) are mandatory;
    W27: W2702 carrier SCAC; N9 CN/2I tracking and BM bill of lading; per LX: W12 shipped
    quantity (W1203), unit (W1205), product (W1207/W1208 by preference, or W1206 as UPC), lot
    (W1209 or N9 LT), line (N9 LI, else LX01).  W0301, when sent, must equal the shipped total
    (a warning otherwise).
    """
    f = Findings(ts)
    w06 = w27 = w03 = g62 = None
    refs: dict[str, str] = {}
    parties: dict[str, Party] = {}
    party: Party | None = None
    lines = ShippedLines()
    # An LX loop is one line: an N9 LI/LT before its W12 describes the line, after it the item.
    line_no: int | None = None
    lot = ""
    item: list[Any] | None = None  # [W12, line number, lot] of the loop's current item
    pending: list[list[Any]] = []
    total = Decimal(0)
    for seg in ts.segments:
        sid = seg.id
        if sid == "LX":
            line_no, lot, item = int_id(el(seg, 1)), "", None
        elif sid == "W12":
            item = [seg, line_no, lot]
            pending.append(item)
        elif sid == "N9":
            q, v = el(seg, 1), el(seg, 2)
            if q == "LI" and int_id(v) is not None:
                if item is None:
                    line_no = int_id(v)
                else:
                    item[1] = int_id(v)
            elif q == "LT":
                if item is None:
                    lot = v
                else:
                    item[2] = v
            else:
                refs.setdefault(q, v)
        elif sid == "W06":
            w06 = w06 or seg
        elif sid == "W27":
            w27 = w27 or seg
        elif sid == "G62" and el(seg, 1) == _SHIPPED_ON:
            g62 = g62 or seg
        elif sid == "W03":
            w03 = seg
        elif sid == "N1":
            party = read_party(seg, f)
            parties.setdefault(party["role"], party)
        elif sid in ("N3", "N4") and party is not None:
            add_address(party, seg)
    for w12, line_no, lot in pending:
        total += _w12(f, w12, line_no, lot, partner, lines)
    order_id = shipment_id = ""
    if w06 is None:
        f.missing_segment("W06", "945.W06", "The shipping advice has no W06 segment.")
    else:
        order_id = required(f, w06, 2, "", "945.W0602", "depositor order number")
        shipment_id = fits(f, w06, 4, el(w06, 4), "145", "945.W0604", "shipment identification") or fits(
            f, w06, 5, el(w06, 5), "145", "945.W0605", "agent shipment identification"
        )
        if not shipment_id:
            f.missing(w06, 4, "145", "945.W0604", "shipment identification")
        date_of(f, w06, 3, "945.W0603", "shipment date")
    shipped_at = _shipped_at(f, g62, partner) if g62 is not None else None
    if not pending:
        f.missing_segment("W12", "945.W12", "The shipping advice has no W12 item.", at=w03 or ts.trailer)
    if w03 is not None:
        declared = number(f, w03, 1, "382", "945.W0301", "units shipped")
        if declared is not None and declared != total:
            f.bad_value(
                w03,
                1,
                "382",
                "945.W0301",
                f"W0301 says {declared} units shipped; the W12 items add up to {total}.",
                expected=str(total),
                severity="warning",
            )
    wh_party = parties.get("SF") or parties.get("WH")
    warehouse = partner.warehouse_for(wh_party["id"] if wh_party else "")
    if warehouse is None:
        f.missing_segment(
            "N1",
            "945.N1",
            "No N1 SF/WH names the warehouse and the partner has none.",
            at=f.first("LX", "W12"),
        )
    if f.failed or w06 is None:
        return MapResult(errors=tuple(f.errors))
    payload = {
        "shipment_id": shipment_id,
        "order_id": order_id,
        "warehouse_id": warehouse,
        "carrier": el(w27, 2) if w27 is not None else "",
        "tracking_no": refs.get("CN") or refs.get("2I") or "",
        "lines": lines.payload(),
    }
    if shipped_at is not None:
        payload["shipped_at"] = shipped_at.isoformat()
    extras: dict[str, Any] = {
        "shipped_on": el(w06, 3),
        "purchase_order": el(w06, 6),
        "reporting_code": el(w06, 1),
        "bill_of_lading": refs.get("BM") or "",
        "units": lines.units,
        "parties": parties,
    }
    if lines.not_shipped:
        extras["not_shipped"] = lines.not_shipped
    return MapResult.of([Mapped(kind="shipment", payload=payload, extras=extras)], f.errors)


def _w12(
    f: Findings, w12: Segment, line_no: int | None, lot: str, partner: TradingPartner, lines: ShippedLines
) -> Decimal:
    qty = number(f, w12, 3, "382", "945.W1203", "number of units shipped", required=True)
    if qty is not None and qty < 0:
        f.bad_value(w12, 3, "382", "945.W1203", f"W1203 units shipped {qty} is negative.")
        return Decimal(0)
    pairs = product_pairs(w12, 7, f, "945.W1208")
    upc = fits(f, w12, 6, el(w12, 6), "438", "945.W1206", "U.P.C. case code", 48)
    if upc:
        pairs.append(("UP", upc))
    product = shipped_product(f, w12, pairs, partner, "945.W1208")
    if qty is not None and product:
        lines.add(line_no, product, lot or el(w12, 9) or "-", qty, el(w12, 5))
    return qty or Decimal(0)


def _shipped_at(f: Findings, g62: Segment, partner: TradingPartner) -> datetime | None:
    """G62 11: the date (G6202) and time (G6204) the shipment left, in UTC; None without a time."""
    day = date_of(f, g62, 2, "945.G6202", "ship date", required=True)
    clock = time_of(f, g62, 4, "945.G6204", "ship time")
    if day is None or clock is None:
        return None
    local = datetime.combine(day, clock, tzinfo=zone_of(f, g62, 5, "945.G6205", partner.timezone))
    return local.astimezone(UTC)
