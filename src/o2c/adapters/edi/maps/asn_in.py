"""Inbound ship notices (856 ASN) from a warehouse or 3PL -> ``shipment`` (one per order).

An order is an HL O with its PRF, or - in the shipment/item structure (S-I, no order level,
as AIAG and several retail guides lay it out) - the PRF01 of item HLs that carry their own
PRF: items naming the same order make one shipment.  See :mod:`.shipment_common` for the
assumptions shared with the 945.
"""

from __future__ import annotations

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
    number,
    product_pairs,
    read_party,
    required,
)
from o2c.adapters.edi.maps.result import Mapped, MapResult
from o2c.adapters.edi.maps.shipment_common import ShippedLines, int_id, shipped_product

__all__ = ["map_856"]

_CANCELLED = {"01": "cancellation", "03": "delete"}  # BSN01 purposes that ship nothing


class _Order:
    __slots__ = ("hl", "lines", "prf", "refs")

    def __init__(self, hl: Segment) -> None:
        self.hl = hl
        self.prf: Segment | None = None
        self.refs: dict[str, str] = {}
        self.lines = ShippedLines()


class _Item:
    __slots__ = ("hl", "lin", "lot", "orphan_reported", "prf", "sn1")

    def __init__(self, hl: Segment, orphan_reported: bool) -> None:
        self.hl = hl
        self.orphan_reported = orphan_reported  # its HL02 was already reported as unknown
        self.lin: Segment | None = None
        self.sn1: Segment | None = None
        self.prf: Segment | None = None  # its own order reference, when no HL O is above it
        self.lot = ""


def map_856(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """856 ship notice from a warehouse or 3PL -> one ``shipment`` per HL O (see module doc).

    BSN02 shipment id and BSN03 date are mandatory; the HL tree is checked (unique HL01, known
    HL02 parent, every item under an order or with its own PRF); TD5 gives the carrier (TD503
    SCAC, else TD505);
    REF CN the tracking (PRO) number, REF BM/BN the bill of lading; PRF01 the order; per item
    LIN product id by preference and lot (LIN ``LT`` pair or REF LT), SN102 the quantity.
    CTT01 must count the HL segments (error); CTT02 the SN102 hash total (warning).
    """
    f = Findings(ts)
    bsn = ctt = None
    refs: dict[str, str] = {}
    dates: dict[str, str] = {}
    parties: dict[str, Party] = {}
    party: Party | None = None
    td5: Segment | None = None
    hls: dict[str, tuple[str, _Order | None]] = {}
    orders: list[_Order] = []
    items: list[tuple[_Item, _Order | None]] = []
    level = ""
    order: _Order | None = None
    item: _Item | None = None
    for seg in ts.segments:
        sid = seg.id
        if sid == "HL":
            level, order, known_parent = _hl(f, seg, hls, orders)
            item = None
            if level == "I":
                item = _Item(seg, orphan_reported=not known_parent)
                items.append((item, order))
        elif sid == "LIN" and item is not None:
            item.lin = item.lin or seg
        elif sid == "SN1" and item is not None:
            item.sn1 = item.sn1 or seg
        elif sid == "REF":
            q, v = el(seg, 1), el(seg, 2) or el(seg, 3)
            if item is not None and q == "LT":
                item.lot = v
            elif level == "O" and order is not None:
                order.refs.setdefault(q, v)
            elif level in ("", "S"):
                refs.setdefault(q, v)
        elif sid == "PRF" and order is not None:
            order.prf = order.prf or seg
        elif sid == "PRF" and item is not None:
            item.prf = item.prf or seg
        elif level in ("", "S"):
            if sid == "BSN":
                bsn = bsn or seg
            elif sid == "TD5":
                td5 = td5 or seg
            elif sid == "DTM":
                dates.setdefault(el(seg, 1), el(seg, 2))
            elif sid == "N1":
                party = read_party(seg, f)
                parties.setdefault(party["role"], party)
            elif sid in ("N3", "N4") and party is not None:
                add_address(party, seg)
        if sid == "CTT":
            ctt = seg
    shipment_id = ""
    if bsn is None:
        f.missing_segment("BSN", "856.BSN", "The ship notice has no BSN segment.")
    else:
        shipment_id = required(f, bsn, 2, "396", "856.BSN02", "shipment identification")
        date_of(f, bsn, 3, "856.BSN03", "shipment date", required=True)
        purpose = el(bsn, 1)
        if purpose in _CANCELLED:
            f.bad_value(
                bsn,
                1,
                "353",
                "856.BSN01",
                f"BSN01 {purpose} ({_CANCELLED[purpose]}) withdraws a ship notice; o2c does not "
                "undo a confirmed shipment from EDI.",
                expected="00 (original) or another purpose that reports goods shipped",
            )
    items = _orders_of_items(items, orders)
    hash_total: Decimal | None = Decimal(0)
    for it, owner in items:
        qty = _item_line(f, it, owner, partner)
        hash_total = hash_total + qty if hash_total is not None and qty is not None else None
    if not orders:
        f.missing_segment(
            "HL",
            "856.HL",
            "The ship notice has no order-level HL (HL03 O), so the order it confirms is unknown.",
            at=ctt or ts.trailer,
        )
    if ctt is not None:
        _check_counts(f, ctt, len(hls), hash_total, "856")
    sf = parties.get("SF")
    warehouse = partner.warehouse_for(sf["id"] if sf else "")
    if warehouse is None:
        f.missing_segment(
            "N1", "856.N1", "No N1 SF names the warehouse and the partner has none.", at=f.first("HL")
        )
    order_ids = []
    for o in orders:
        order_id = required(f, o.prf, 1, "324", "856.PRF01", "order number") if o.prf is not None else ""
        if o.prf is None:
            f.missing_segment(
                "PRF", "856.PRF", f"Order HL {el(o.hl, 1)} has no PRF order reference.", at=o.hl
            )
        elif not o.lines.items and not o.lines.not_shipped:
            f.missing_segment("HL", "856.HL", f"Order HL {el(o.hl, 1)} has no item HL.", at=o.hl)
        order_ids.append(order_id)
    if f.failed:
        return MapResult(errors=tuple(f.errors))
    carrier = (el(td5, 3) or el(td5, 5)) if td5 is not None else ""
    tracking = refs.get("CN") or refs.get("2I") or ""
    docs = []
    for o, order_id in zip(orders, order_ids, strict=True):
        payload = {
            "shipment_id": shipment_id,
            "order_id": order_id,
            "warehouse_id": warehouse,
            "carrier": carrier,
            "tracking_no": tracking,
            "lines": o.lines.payload(),
        }
        extras: dict[str, Any] = {
            "shipped_on": dates.get("011") or (el(bsn, 3) if bsn is not None else ""),
            "bill_of_lading": refs.get("BM") or refs.get("BN") or "",
            "units": o.lines.units,
            "parties": parties,
            "order_references": o.refs,
        }
        if o.lines.not_shipped:
            extras["not_shipped"] = o.lines.not_shipped
        part = el(o.hl, 1) if len(orders) > 1 else ""
        docs.append(Mapped(kind="shipment", payload=payload, extras=extras, part=part))
    return MapResult.of(docs, f.errors)


def _orders_of_items(
    items: list[tuple[_Item, _Order | None]], orders: list[_Order]
) -> list[tuple[_Item, _Order | None]]:
    """Give each item without an order HL above it the order its own PRF names (one order per
    PRF01, in order of first appearance, appended to ``orders``); others keep their owner."""
    by_number: dict[str, _Order] = {}
    out: list[tuple[_Item, _Order | None]] = []
    for it, owner in items:
        if owner is None and it.prf is not None and not it.orphan_reported:
            number = el(it.prf, 1)
            owner = by_number.get(number)
            if owner is None:
                owner = by_number[number] = _Order(it.hl)
                owner.prf = it.prf
                orders.append(owner)
        out.append((it, owner))
    return out


def _hl(
    f: Findings, seg: Segment, hls: dict[str, tuple[str, _Order | None]], orders: list[_Order]
) -> tuple[str, _Order | None, bool]:
    """Register one HL; returns its level code, the order it belongs to, and whether its HL02
    parent (if any) is known."""
    hl_id, parent, code = el(seg, 1), el(seg, 2), el(seg, 3)
    if not hl_id:
        f.missing(seg, 1, "628", "856.HL01", "hierarchical id number")
    elif hl_id in hls:
        f.bad_value(seg, 1, "628", "856.HL01", f"HL01 {hl_id} is used twice.", expected="a unique HL01")
    if not code:
        f.missing(seg, 3, "735", "856.HL03", "hierarchical level code")
    owner: _Order | None = None
    known = not parent or parent in hls
    if parent:
        if not known:
            f.bad_value(
                seg,
                2,
                "734",
                "856.HL02",
                f"HL02 parent {parent} is not an earlier HL01.",
                expected="the HL01 of an earlier HL",
            )
        else:
            owner = hls[parent][1]
    if code == "O":
        owner = _Order(seg)
        orders.append(owner)
    hls[hl_id] = (code, owner)
    return code, owner, known


def _item_line(f: Findings, it: _Item, order: _Order | None, partner: TradingPartner) -> Decimal | None:
    """Add one item HL to its order's lines; returns its SN102 for the hash total (None when
    unreadable, so that a hash total is not also reported for a quantity already in error)."""
    if order is None and not it.orphan_reported:
        f.bad_value(
            it.hl,
            2,
            "734",
            "856.HL02",
            f"Item HL {el(it.hl, 1)} is not under an order HL and has no PRF, so its order "
            "is unknown.",
            expected="an item HL below an HL with HL03 O, or with its own PRF",
        )
    if it.lin is None:
        f.missing_segment("LIN", "856.LIN", f"Item HL {el(it.hl, 1)} has no LIN.", at=it.hl)
    if it.sn1 is None:
        f.missing_segment("SN1", "856.SN1", f"Item HL {el(it.hl, 1)} has no SN1.", at=it.hl)
        return None
    qty = number(f, it.sn1, 2, "382", "856.SN102", "units shipped", required=True)
    if qty is not None and qty < 0:
        f.bad_value(it.sn1, 2, "382", "856.SN102", f"SN102 units shipped {qty} is negative.")
    if qty is None or qty < 0:
        return None
    if it.lin is None or order is None:
        return qty
    pairs = product_pairs(it.lin, 2, f, "856.LIN03")
    lot = it.lot or next((v for q, v in pairs if q == "LT"), "")
    product = shipped_product(f, it.lin, pairs, partner, "856.LIN03")
    if product:
        line_no = int_id(el(it.lin, 1)) or int_id(el(it.sn1, 1))
        order.lines.add(line_no, product, lot or "-", qty, el(it.sn1, 3))
    return qty


def _check_counts(f: Findings, ctt: Segment, count: int, hash_total: Decimal | None, rule: str) -> None:
    declared = el(ctt, 1)
    if not (declared.isascii() and declared.isdigit() and int(declared) == count):
        f.bad_value(
            ctt,
            1,
            "354",
            f"{rule}.CTT01",
            f"CTT01 says {declared or 'nothing'}, but the set has {count} HL segments.",
            expected=str(count),
        )
    hashed = number(f, ctt, 2, "347", f"{rule}.CTT02", "hash total")
    if hashed is not None and hash_total is not None and hashed != hash_total:
        f.bad_value(
            ctt,
            2,
            "347",
            f"{rule}.CTT02",
            f"CTT02 hash total {hashed} differs from the sum of shipped quantities {hash_total}.",
            expected=str(hash_total),
            severity="warning",
        )
