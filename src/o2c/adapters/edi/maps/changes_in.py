"""Inbound purchase order changes: 860 -> ``order_change`` (``canonical.OrderChangeIn``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from o2c.adapters.canonical import LineChange
from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.order_common import OrderHeader, check_ctt, line_number, line_product, line_uom
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import Findings, Party, date_of, el, number, required
from o2c.adapters.edi.maps.result import Mapped, MapResult

__all__ = ["map_860"]

# POC02 (code list 670) -> o2c changes.  Codes not listed are refused (AK403 7): guessing what a
# change means would change an order nobody asked to change.
_POC02: dict[str, tuple[LineChange, ...]] = {
    "AI": (LineChange.ADD,),
    "DI": (LineChange.CANCEL,),
    "QI": (LineChange.CHANGE_QUANTITY,),
    "QD": (LineChange.CHANGE_QUANTITY,),
    "QC": (LineChange.CHANGE_QUANTITY,),
    "CT": (LineChange.CHANGE_DATE,),
    "RS": (LineChange.CHANGE_DATE,),
    "RB": (LineChange.CHANGE_DATE,),
    "PC": (LineChange.CHANGE_PRICE,),
    "PQ": (LineChange.CHANGE_PRICE, LineChange.CHANGE_QUANTITY),
    "PR": (LineChange.CHANGE_PRICE, LineChange.CHANGE_DATE),
    "RQ": (LineChange.CHANGE_DATE, LineChange.CHANGE_QUANTITY),
    "MU": (LineChange.CHANGE_PRICE, LineChange.CHANGE_QUANTITY, LineChange.CHANGE_DATE),
    "CA": (LineChange.REPLACE,),
    "RZ": (LineChange.REPLACE,),
    "NC": (LineChange.NO_CHANGE,),
}
_BCH01 = {"01": "cancel", "04": "change", "05": "replace"}


def map_860(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """860 purchase order change -> ``order_change`` (validates against ``OrderChangeIn``).

    BCH01 purpose (01 cancel, 04 change, 05 replace), BCH03 PO number, BCH06 PO date, BCH11
    change date; per POC: POC01 line, POC02 change code (see ``_POC02``), POC03 new quantity,
    POC04 quantity left, POC05 unit, POC06 price, POC08.. product ids, and a DTM 002 in the loop
    as the line's new requested date.  Added lines (AI) must say product, quantity and unit;
    a deleted line (DI) may give 0 as its new quantity.
    """
    f = Findings(ts)
    head = OrderHeader()
    bch = ctt = None
    party: Party | None = None
    lines: list[dict[str, Any]] = []
    seen: set[int] = set()
    hash_total: Decimal | None = Decimal(0)
    sequence = 0
    current: dict[str, Any] | None = None
    for seg in ts.segments:
        sid = seg.id
        if sid == "POC":
            sequence += 1
            current = _poc(f, seg, sequence, seen, partner)
            if current is None:
                hash_total = None  # a line could not be read: its error says so, no hash noise
            else:
                lines.append(current)
                if hash_total is not None:
                    hash_total += Decimal(current["quantity"] or 0)
        elif sequence:
            if sid == "DTM" and current is not None and el(seg, 1) == "002":
                when = date_of(f, seg, 2, "860.DTM02", "requested delivery date")
                current["requested_date"] = when.isoformat() if when else None
            elif sid == "CTT":
                ctt = seg
        elif sid == "BCH":
            bch = bch or seg
        else:
            party = head.take(f, seg, party)
    purpose = po = None
    order_date = change_date = None
    if bch is None:
        f.missing_segment("BCH", "860.BCH", "The purchase order change has no BCH segment.")
    else:
        code = required(f, bch, 1, "353", "860.BCH01", "transaction set purpose")
        purpose = _BCH01.get(code)
        if code and purpose is None:
            f.bad_value(
                bch,
                1,
                "353",
                "860.BCH01",
                f"BCH01 purpose {code!r} is not one o2c acts on.",
                expected="01 (cancellation), 04 (change) or 05 (replace)",
            )
        po = required(f, bch, 3, "324", "860.BCH03", "purchase order number")
        order_date = date_of(f, bch, 6, "860.BCH06", "purchase order date")
        change_date = date_of(f, bch, 11, "860.BCH11", "change request date")
    if not sequence and purpose != "cancel":
        f.missing_segment(
            "POC", "860.POC", "A change that is not a cancellation needs POC lines.", at=ctt or ts.trailer
        )
    check_ctt(f, ctt, sequence, hash_total, "860")
    customer = head.customer(f, partner, "860.N1")
    requested = (
        date_of(f, head.dates["002"], 2, "860.DTM02", "requested delivery date")
        if "002" in head.dates
        else None
    )
    if f.failed or bch is None:
        return MapResult(errors=tuple(f.errors))
    payload = {
        "legal_entity_id": partner.legal_entity_id,
        "customer_id": customer,
        "po_number": po,
        "purpose": purpose,
        "change_sequence": el(bch, 5),
        "order_date": order_date.isoformat() if order_date else None,
        "change_date": change_date.isoformat() if change_date else None,
        "requested_date": requested.isoformat() if requested else None,
        "lines": lines,
    }
    return MapResult.of([Mapped(kind="order_change", payload=payload, extras=head.extras())], f.errors)


def _poc(
    f: Findings, seg: Segment, sequence: int, seen: set[int], partner: TradingPartner
) -> dict[str, Any] | None:
    line_no = line_number(f, seg, sequence, seen, "860.POC01")
    code = required(f, seg, 2, "670", "860.POC02", "change or response type")
    changes = _POC02.get(code)
    if code and changes is None:
        f.bad_value(
            seg,
            2,
            "670",
            "860.POC02",
            f"POC02 change code {code!r} is not one o2c acts on.",
            expected="one of " + ", ".join(_POC02),
        )
    adding = changes == (LineChange.ADD,)
    # A deleted line's new quantity is naught: 0 is what many buyers send with DI, and it says
    # nothing the cancellation does not (it is mapped as no quantity).
    cancelling = changes == (LineChange.CANCEL,)
    qty = number(f, seg, 3, "330", "860.POC03", "quantity ordered", required=adding, positive=not cancelling)
    if cancelling and qty is not None and qty <= 0:
        if qty < 0:
            f.bad_value(seg, 3, "330", "860.POC03", f"POC03 quantity ordered {qty} is negative.")
        qty = None
    left = number(f, seg, 4, "671", "860.POC04", "quantity left to receive")
    if left is not None and left < 0:
        f.bad_value(seg, 4, "671", "860.POC04", f"POC04 quantity left {left} is negative.")
    uom = line_uom(f, seg, 5, partner, "860.POC05", required_=adding)
    price = number(f, seg, 6, "212", "860.POC06", "unit price", places=4)
    product, _ = line_product(f, seg, 8, partner, "860.POC09", required_=adding)
    if changes is None or (adding and (qty is None or uom is None or product is None)):
        return None
    return {
        "line_no": line_no,
        "changes": [c.value for c in changes],
        "change_code": code,
        "product_id": product,
        "quantity": str(qty) if qty is not None else None,
        "quantity_left": str(left) if left is not None and left >= 0 else None,
        "uom": uom,
        "unit_price": str(price) if price is not None else None,
        "requested_date": None,
    }
