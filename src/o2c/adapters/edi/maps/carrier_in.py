"""Carrier shipment status (214) -> ``delivery`` when delivered, else ``shipment_status``.

Structure read (004010/005010): B10 (B1001 carrier reference/PRO, B1002 shipment id, B1003
SCAC), L11 references (value first, qualifier second - the reverse of REF), then per LX loop
one or more AT7 status loops: AT7 (AT701 status, AT702 reason, AT703 appointment status, AT705
date, AT706 time, AT707 time code), MS1 (city, state, country), MS2 (equipment), K1 remarks.

Proof of delivery: AT701 ``D1`` (completed unloading at delivery location).  The 214 has no
element for the consignee's signature: AT7 carries codes only and MS2 the trailer, so carriers
put the signer's name in a K1 remark of the D1 loop; we take that K1 (else a heading K1).

Order and shipment references: the shipment id is B1002 (else L11 ``SI`` shipper's id, else
``BM`` bill of lading); our order id is an L11 ``OQ`` (order number) or ``SO`` (shipper's
order).  A delivery without an order reference is an error: the engine cannot place it.

Times: AT707 picks the zone (``UT``/``GM`` UTC, the US and Canadian standard/daylight codes as
fixed offsets, ``ET``/``CT``/``MT``/``PT``... through the IANA database); ``LT`` or no code is
the partner's ``timezone``.  An unknown code is a warning and the partner's zone is used.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import Findings, date_of, el, fits, time_of, zone_of
from o2c.adapters.edi.maps.result import Mapped, MapResult

__all__ = ["DELIVERED", "map_214"]

DELIVERED = "D1"
_ORDER_REFS = ("OQ", "SO")
_SHIPMENT_REFS = ("SI", "BM")
def _status(f: Findings, loop: dict[str, Any], partner: TradingPartner) -> dict[str, Any]:
    at7: Segment = loop["at7"]
    code = fits(f, at7, 1, el(at7, 1), "1650", "214.AT701", "shipment status code", 2)
    appointment = fits(f, at7, 3, el(at7, 3), "1652", "214.AT703", "appointment status code", 2)
    if not code and not appointment:
        f.missing(at7, 1, "1650", "214.AT701", "shipment status code")
    day = date_of(f, at7, 5, "214.AT705", "status date", required=bool(code))
    clock = time_of(f, at7, 6, "214.AT706", "status time")
    when = None
    if day is not None:
        zone = zone_of(f, at7, 7, "214.AT707", partner.timezone)
        when = datetime.combine(day, clock or time(0), tzinfo=zone)
    ms1: Segment | None = loop["ms1"]
    return {
        "code": code or appointment,
        "reason": el(at7, 2) or el(at7, 4),
        "appointment_code": appointment,
        "at": when.isoformat() if when else None,
        "city": el(ms1, 1) if ms1 else "",
        "region": el(ms1, 2) if ms1 else "",
        "country": el(ms1, 3) if ms1 else "",
    }


def map_214(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """214 -> ``delivery`` (``DeliveryIn``) when an AT7 says D1, else ``shipment_status``.

    With several statuses in one set the delivery wins and the others travel in
    ``extras["statuses"]`` (one message per set keeps the inbox key ``ISA13:GS06:ST02``).
    """
    f = Findings(ts)
    b10: Segment | None = None
    refs: dict[str, str] = {}
    remarks: list[str] = []
    loops: list[dict[str, Any]] = []
    loop: dict[str, Any] | None = None
    for seg in ts.segments:
        sid = seg.id
        if sid == "AT7":
            loop = {"at7": seg, "ms1": None, "k1": []}
            loops.append(loop)
        elif sid == "LX":
            loop = None
        elif sid == "MS1" and loop is not None:
            loop["ms1"] = loop["ms1"] or seg
        elif sid == "K1":
            text = " ".join(v for v in (el(seg, 1), el(seg, 2)) if v)
            (loop["k1"] if loop is not None else remarks).append(text)
        elif sid == "L11":
            refs.setdefault(
                el(seg, 2), fits(f, seg, 1, el(seg, 1), "127", "214.L1101", "reference identification")
            )
        elif sid == "B10":
            b10 = b10 or seg
    shipment_id = ""
    if b10 is None:
        f.missing_segment("B10", "214.B10", "The status message has no B10 segment.")
    else:
        shipment_id = fits(f, b10, 2, el(b10, 2), "145", "214.B1002", "shipment identification") or next(
            (refs[q] for q in _SHIPMENT_REFS if refs.get(q)), ""
        )
        if not shipment_id:
            f.missing(b10, 2, "145", "214.B1002", "shipment identification (or an L11 SI/BM)")
    if not loops:
        f.missing_segment("AT7", "214.AT7", "The status message has no AT7 status.", at=ts.trailer)
    statuses = [_status(f, lp, partner) for lp in loops]
    order_id = next((refs[q] for q in _ORDER_REFS if refs.get(q)), "")
    delivered = next((i for i, lp in enumerate(loops) if el(lp["at7"], 1) == DELIVERED), None)
    if delivered is not None and not order_id:
        f.missing_segment(
            "L11",
            "214.L11",
            "The delivery names no order: expected an L11 with qualifier "
            "OQ (order number) or SO (shipper's order).",
            at=f.first("LX", "AT7"),
        )
    if delivered is not None and statuses[delivered]["at"] is None and not f.failed:
        f.missing(loops[delivered]["at7"], 5, "373", "214.AT705", "delivery date")
    if f.failed or b10 is None:
        return MapResult(errors=tuple(f.errors))
    extras: dict[str, Any] = {"carrier": el(b10, 3), "carrier_reference": el(b10, 1), "references": refs}
    if delivered is None:
        payload = {
            "shipment_id": shipment_id,
            "order_id": order_id,
            "carrier": el(b10, 3),
            "tracking_no": el(b10, 1),
            "statuses": statuses,
        }
        return MapResult.of([Mapped(kind="shipment_status", payload=payload, extras=extras)], f.errors)
    signer = " ".join(loops[delivered]["k1"]) or " ".join(remarks)
    payload = {
        "shipment_id": shipment_id,
        "order_id": order_id,
        "delivered_at": statuses[delivered]["at"],
        "signed_by": signer,
    }
    extras["statuses"] = statuses
    return MapResult.of([Mapped(kind="delivery", payload=payload, extras=extras)], f.errors)
