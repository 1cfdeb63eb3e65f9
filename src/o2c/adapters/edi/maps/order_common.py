"""Pieces shared by the purchase-order maps (850, 860): header facts and line elements.

Header segments (CUR, REF, DTM, N1 loops, ITD) count only before the first line: the same ids
inside a PO1/POC loop are line-level.  CTT01 must equal the number of lines - a disagreement
means lines were lost or added in transit, so it is an error, never a silent acceptance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from o2c.adapters.edi import Segment, Severity
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import (
    Findings,
    Party,
    add_address,
    currency_of,
    el,
    number,
    pick_product,
    product_pairs,
    read_party,
    unit_code,
)

__all__ = ["BUYER_ITEM", "OrderHeader", "check_ctt", "line_number", "line_product", "line_uom"]

# Buyer-side item numbers, kept as the line's ``customer_item`` when the product id is another.
BUYER_ITEM = ("BP", "IN", "CB")


class OrderHeader:
    """Header facts of an 850 or 860, collected before the first line (see the module doc)."""

    __slots__ = ("cur", "dates", "itd", "parties", "refs")

    def __init__(self) -> None:
        self.cur: Segment | None = None
        self.itd: Segment | None = None
        self.refs: list[dict[str, str]] = []
        self.dates: dict[str, Segment] = {}
        self.parties: dict[str, Party] = {}

    def take(self, f: Findings, seg: Segment, party: Party | None) -> Party | None:
        """Fold one header segment in; returns the N1 loop now open (for N3/N4)."""
        sid = seg.id
        if sid == "N1":
            party = read_party(seg, f)
            self.parties.setdefault(party["role"], party)
            return party
        if sid in ("N3", "N4"):
            if party is not None:
                add_address(party, seg)
            return party
        if sid == "REF":
            e = seg.elements
            n = len(e)
            value = (e[1].strip() if n > 1 else "") or (e[2].strip() if n > 2 else "")
            self.refs.append({"qualifier": e[0].strip() if n else "", "value": value})
        elif sid == "DTM":
            e = seg.elements
            self.dates.setdefault(e[0].strip() if e else "", seg)
        elif sid == "CUR" and self.cur is None:
            self.cur = seg
        elif sid == "ITD" and self.itd is None:
            self.itd = seg
        return None

    def currency(self, f: Findings, partner: TradingPartner, rule: str) -> str:
        return currency_of(f, self.cur, partner.currency, rule)

    def customer(self, f: Findings, partner: TradingPartner, rule: str) -> str:
        by, bt = self.parties.get("BY"), self.parties.get("BT")
        found = partner.customer_for(((by or {}).get("id", ""), (bt or {}).get("id", "")))
        if found is None:
            f.missing_segment(
                "N1",
                rule,
                "No N1 BY/BT loop identifies the buyer and the partner has no "
                "customer_id; the order cannot be attributed to an account.",
                at=f.first("PO1", "POC"),
            )
        return found or ""

    def extras(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.refs:
            out["references"] = self.refs
        if self.parties:
            out["parties"] = self.parties
        return out


def line_number(
    f: Findings, seg: Segment, sequence: int, seen: set[int], rule: str, *, twice: Severity = "error"
) -> int:
    """PO101/POC01 when it is a positive integer, else the line's sequence in the set.

    A number used twice is a finding of severity ``twice``: a warning lets the set through
    with the number as sent (an 850's order is then held for customer service)."""
    text = el(seg, 1)
    n = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 and int(text) > 0 else sequence
    if n in seen:
        f.bad_value(
            seg,
            1,
            "350",
            rule,
            f"{seg.id}01 line number {n} is used twice in this set.",
            expected="a distinct line number per line",
            severity=twice,
        )
    seen.add(n)
    return n


def line_product(
    f: Findings, seg: Segment, first: int, partner: TradingPartner, rule: str, *, required_: bool = True
) -> tuple[str | None, str | None]:
    """(product id by the partner's qualifier preference, buyer's item number)."""
    pairs = product_pairs(seg, first, f, rule)
    chosen = pick_product(pairs, partner.product_qualifiers)
    if chosen is None:
        if not required_ and not pairs:
            return None, None
        if pairs:
            sent = ", ".join(q for q, _ in pairs)
            f.bad_value(
                seg,
                first,
                "235",
                rule,
                f"{seg.id} carries product ids qualified {sent}, none of which this partner "
                f"is set up to use ({', '.join(partner.product_qualifiers)}).",
                expected=f"a product id qualified {' or '.join(partner.product_qualifiers)}",
            )
        else:
            f.missing(seg, first + 1, "234", rule, "product/service id")
        return None, None
    buyer = next((v for q, v in pairs if q in BUYER_ITEM and v != chosen[1]), None)
    return chosen[1], buyer


def line_uom(
    f: Findings, seg: Segment, index: int, partner: TradingPartner, rule: str, *, required_: bool = True
) -> str | None:
    code = unit_code(f, seg, index, rule)  # POC05 is composite C001
    if not code:
        if required_ and code == "":
            f.missing(seg, index, "355", rule, "unit of measure")
        return None
    return partner.uom_map.get(code, code)


def check_ctt(f: Findings, ctt: Segment | None, lines: int, hash_total: Decimal | None, rule: str) -> None:
    """CTT01 must count the lines (error); CTT02, the quantity hash total, is checked as a warning
    because partners differ on how they truncate it - and not at all when ``hash_total`` is
    None (a quantity could not be read, which is reported already)."""
    if ctt is None:
        return
    declared = el(ctt, 1)
    if not (declared.isascii() and declared.isdigit() and int(declared) == lines):
        f.bad_value(
            ctt,
            1,
            "354",
            f"{rule}.CTT01",
            f"CTT01 says {declared or 'nothing'} line items, but the set has {lines}.",
            expected=f"{lines}",
        )
    hashed = number(f, ctt, 2, "347", f"{rule}.CTT02", "hash total")
    if hashed is not None and hash_total is not None and hashed != hash_total:
        f.bad_value(
            ctt,
            2,
            "347",
            f"{rule}.CTT02",
            f"CTT02 hash total {hashed} differs from the sum of line quantities {hash_total}.",
            expected=f"{hash_total}",
            severity="warning",
        )
