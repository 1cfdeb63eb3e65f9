"""Inventory advice (846) from a warehouse or 3PL -> ``inventory_advice``.

BIA (BIA03 advice reference, BIA04 date), N1 WH/SF (the warehouse, through ``warehouse_map``,
else the partner's ``warehouse_id``), then per LIN loop: the product id by the partner's
qualifier preference, the lot (a LIN ``LT`` pair or REF LT), every QTY by its qualifier
(QTY01, code list 673: ``17`` quantity on hand and ``33`` quantity available are also lifted
into ``on_hand``/``available``) and the unit (QTY03, else the UIT after the QTY, as 004010
senders put it; a two-character code of list 355).  CTT01, when sent, must count the LIN loops.
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
    pick_product,
    product_pairs,
    read_party,
    unit_code,
)
from o2c.adapters.edi.maps.result import Mapped, MapResult

__all__ = ["map_846"]

_ON_HAND, _AVAILABLE = "17", "33"


def _item(
    f: Findings, lin: Segment, qtys: list[Segment], lot: str, unit: str, partner: TradingPartner
) -> dict[str, Any] | None:
    pairs = product_pairs(lin, 2, f, "846.LIN03")
    chosen = pick_product(pairs, partner.product_qualifiers)
    if chosen is None:
        sent = ", ".join(q for q, _ in pairs) or "none"
        f.bad_value(
            lin,
            2,
            "235",
            "846.LIN03",
            f"LIN carries product ids qualified {sent}; this partner "
            f"is set up for {', '.join(partner.product_qualifiers)}.",
        )
    if not qtys:
        f.missing_segment("QTY", "846.QTY", "The LIN loop has no QTY quantity.", at=f.after(lin))
    quantities: dict[str, str] = {}
    uom = ""
    for q in qtys:
        qualifier = el(q, 1)
        value = number(f, q, 2, "380", "846.QTY02", "quantity", required=True)
        if not qualifier:
            f.missing(q, 1, "673", "846.QTY01", "quantity qualifier")
        elif value is not None:
            quantities.setdefault(qualifier, str(value))
        code = (unit_code(f, q, 3, "846.QTY03") or "")  # every QTY's unit is checked, the first one kept
        uom = uom or code
    uom = uom or unit
    if chosen is None:
        return None
    lot = lot or next((v for q, v in pairs if q == "LT"), "")
    return {
        "product_id": chosen[1],
        "lot_id": lot or "-",
        "uom": partner.uom_map.get(uom, uom),
        "on_hand": quantities.get(_ON_HAND),
        "available": quantities.get(_AVAILABLE),
        "quantities": quantities,
    }


def map_846(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """846 -> ``inventory_advice`` (validates against ``canonical.InventoryAdviceIn``)."""
    f = Findings(ts)
    bia = ctt = None
    parties: dict[str, Party] = {}
    party: Party | None = None
    loops: list[tuple[Segment, list[Segment], list[str]]] = []  # (LIN, QTYs, [lot, UIT unit])
    for seg in ts.segments:
        sid = seg.id
        if sid == "LIN":
            loops.append((seg, [], ["", ""]))
        elif loops:
            if sid == "QTY":
                loops[-1][1].append(seg)
            elif sid == "REF" and el(seg, 1) == "LT":
                loops[-1][2][0] = el(seg, 2)
            elif sid == "UIT" and not loops[-1][2][1]:
                loops[-1][2][1] = unit_code(f, seg, 1, "846.UIT01") or ""
            elif sid == "CTT":
                ctt = seg
        elif sid == "BIA":
            bia = bia or seg
        elif sid == "N1":
            party = read_party(seg, f)
            parties.setdefault(party["role"], party)
        elif sid in ("N3", "N4") and party is not None:
            add_address(party, seg)
    as_of = None
    if bia is None:
        f.missing_segment("BIA", "846.BIA", "The inventory advice has no BIA segment.")
    else:
        as_of = date_of(f, bia, 4, "846.BIA04", "inventory date")
    if not loops:
        f.missing_segment("LIN", "846.LIN", "The inventory advice has no LIN item.", at=ctt or ts.trailer)
    items = [_item(f, lin, qtys, lot, unit, partner) for lin, qtys, (lot, unit) in loops]
    if ctt is not None:
        _check_ctt(f, ctt, len(loops), items)
    site = parties.get("WH") or parties.get("SF") or parties.get("RL")
    warehouse = partner.warehouse_for(site["id"] if site else "")
    if warehouse is None:
        f.missing_segment(
            "N1", "846.N1", "No N1 WH/SF names the warehouse and the partner has none.", at=f.first("LIN")
        )
    if f.failed or bia is None:
        return MapResult(errors=tuple(f.errors))
    payload = {
        "warehouse_id": warehouse,
        "advice_id": el(bia, 3),
        "as_of": as_of.isoformat() if as_of else None,
        "items": [i for i in items if i is not None],
    }
    extras = {"purpose": el(bia, 1), "report_type": el(bia, 2), "parties": parties}
    return MapResult.of([Mapped(kind="inventory_advice", payload=payload, extras=extras)], f.errors)


def _check_ctt(f: Findings, ctt: Segment, count: int, items: list[dict[str, Any] | None]) -> None:
    """CTT01 must count the LIN loops (error); CTT02 the QTY02 hash total (warning, and only
    when every item was read, so that a quantity error is not reported twice)."""
    declared = el(ctt, 1)
    if not (declared.isascii() and declared.isdigit() and int(declared) == count):
        f.bad_value(
            ctt,
            1,
            "354",
            "846.CTT01",
            f"CTT01 says {declared or 'nothing'} items, but the set has {count} LIN loops.",
            expected=str(count),
        )
    hashed = number(f, ctt, 2, "347", "846.CTT02", "hash total")
    if hashed is None or any(i is None for i in items):
        return
    total = sum((Decimal(v) for i in items if i is not None for v in i["quantities"].values()), Decimal(0))
    if hashed != total:
        f.bad_value(
            ctt,
            2,
            "347",
            "846.CTT02",
            f"CTT02 hash total {hashed} differs from the sum of the quantities {total}.",
            expected=str(total),
            severity="warning",
        )
