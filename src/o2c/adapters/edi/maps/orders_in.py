"""Inbound purchase orders: 850 -> ``order`` (the engine's ``OrderIn``).

Invariants of a mapped order: at least one line, distinct line numbers, quantities > 0, and
CTT01 (when sent) equal to the number of lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.order_common import (
    BUYER_ITEM,
    OrderHeader,
    check_ctt,
    line_number,
    line_product,
    line_uom,
)
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import (
    Findings,
    Party,
    date_of,
    el,
    number,
    required,
    terms_text,
)
from o2c.adapters.edi.maps.result import Mapped, MapResult

__all__ = ["map_850"]

# An ordinary PO1, its elements joined by _SEP (see _po1_fast): PO101 a line number 1-999999
# and PO102 a whole quantity of at most 15 digits, without leading zeros; PO103 two letters
# or digits; PO104 empty or a price without sign or leading zero, with at most 11 digits before
# the point and 4 after (15 in all, as the checked path allows);
# PO105 anything; then complete pairs, each a two-character upper-case qualifier and an id
# of 1-48 characters with no blank at either end (what the checked path keeps unstripped),
# or an empty pair.
_SEP = "\x1f"
_ORDINARY = re.compile(
    r"[1-9][0-9]{0,5}\x1f[1-9][0-9]{0,14}\x1f[A-Za-z0-9]{2}\x1f(?:(?:0|[1-9][0-9]{0,10})(?:\.[0-9]{1,4})?)?"
    r"\x1f[^\x1f]*(?:\x1f(?:[A-Z0-9]{2}\x1f[^\x1f\s](?:[^\x1f]{0,46}[^\x1f\s])?|\x1f))+"
)


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
    descriptions: dict[int, str] = {}
    seen: set[int] = set()
    hash_total: Decimal | None = Decimal(0)
    whole = 0  # the fast path's quantities, summed as ints (cheaper), added to hash_total last
    sequence = 0
    current: dict[str, Any] | None = None
    rank = {q: i for i, q in enumerate(partner.product_qualifiers)}
    uoms = partner.uom_map
    for seg in ts.segments:
        sid = seg.id
        if sid == "PO1":
            sequence += 1
            fast = _po1_fast(seg.elements, seen, rank, uoms)
            if fast is not None:
                current = fast
                lines.append(fast)
                whole += int(fast["quantity"])
                continue
            current, qty = _po1(f, seg, sequence, seen, partner)
            if current is not None:
                lines.append(current)
            hash_total = hash_total + qty if qty is not None and hash_total is not None else None
        elif sequence:
            if sid == "PID":
                if current is not None and current["line_no"] not in descriptions:
                    e = seg.elements  # PID05, inline: one PID per line on most orders
                    descriptions[current["line_no"]] = e[4].strip() if len(e) > 4 else ""
            elif sid == "CTT":
                ctt = seg
        elif sid == "BEG":
            beg = beg or seg
        else:
            party = head.take(f, seg, party)
    rule = "850"
    po = order_date = None
    if beg is None:
        f.missing_segment("BEG", "850.BEG", "The purchase order has no BEG segment.")
    else:
        po = required(f, beg, 3, "324", "850.BEG03", "purchase order number")
        order_date = date_of(f, beg, 5, "850.BEG05", "purchase order date", required=True)
    if not sequence:
        f.missing_segment("PO1", "850.PO1", "The purchase order has no PO1 line.", at=ctt or ts.trailer)
    check_ctt(f, ctt, sequence, hash_total + whole if hash_total is not None else None, rule)
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
        extras["line_descriptions"] = {str(n): text for n, text in descriptions.items()}
    return MapResult.of([Mapped(kind="order", payload=payload, extras=extras)], f.errors)


def _po1_fast(
    el: tuple[str, ...], seen: set[int], rank: Mapping[str, int], uoms: Mapping[str, str]
) -> dict[str, Any] | None:
    """The common PO1 read without error bookkeeping; None sends it through :func:`_po1`.

    Common means what ``_ORDINARY`` accepts.  Invariant (a property test holds it to
    :func:`_po1`): whenever this returns a line, ``_po1`` returns the same line and finds
    nothing wrong.  It exists because the map runs once per order line of every inbound order
    and the checked path costs about twice as much for lines that are almost always ordinary.
    """
    n = len(el)
    if n < 7 or n % 2 == 0:
        return None
    joined = _SEP.join(el)
    # The separator count guards against an element that itself holds the separator.
    if joined.count(_SEP) != n - 1 or _ORDINARY.fullmatch(joined) is None:
        return None
    line_no = int(el[0])
    if line_no in seen:
        return None
    product = None
    best = len(rank)
    buyers: list[str] = []
    for i in range(5, n, 2):
        qualifier = el[i]
        r = rank.get(qualifier)
        if r is not None and r < best:
            product, best = el[i + 1], r
        if qualifier in BUYER_ITEM:
            buyers.append(el[i + 1])
    if product is None:
        return None
    buyer = None
    for value in buyers:  # a loop, not next(genexpr): this runs for every order line
        if value != product:
            buyer = value
            break
    seen.add(line_no)
    uom = el[2]
    return {
        "line_no": line_no,
        "product_id": product,
        "quantity": el[1],
        "uom": uoms.get(uom, uom),
        "unit_price": el[3] or None,
        "customer_item": buyer,
    }


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
