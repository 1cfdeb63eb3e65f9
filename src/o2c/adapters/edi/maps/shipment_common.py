"""What the shipment maps (856 ASN, 945) share: line numbering and product choice.

Assumptions (each tested against the public samples):

* the sender is the warehouse or 3PL that shipped *our* order, so the order reference it
  echoes (856 PRF01, 945 W0602) is the o2c order id we gave it in the 940;
* the warehouse is the partner's ``warehouse_id``, or the N1 SF (ship-from) code through
  ``warehouse_map``;
* an ASN may carry several orders (one HL O each): it yields one ``shipment`` per order, all
  with the ASN's shipment id (BSN02), told apart by ``Mapped.part`` (the order's HL01);
* quantities are in the units we released (base units): the unit codes are kept in
  ``extras["units"]``, not converted;
* the order line is LIN01 (856) or N9 LI / LX01 (945) when numeric; without one, items are
  numbered by first appearance within the order, and the same (line, product, lot) packed in
  several cartons is summed into one line;
* a zero shipped quantity means "not shipped": the item is listed in ``extras["not_shipped"]``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from o2c.adapters.edi import Segment
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import Findings, pick_product

__all__ = ["ShippedLines", "int_id", "shipped_product"]


class ShippedLines:
    """Shipped items of one order, summed per (line, product, lot) and numbered.

    Invariant of :meth:`payload`: items without a line number get the lowest numbers not used
    by the numbered ones, in order of first appearance, one number per product.
    """

    __slots__ = ("items", "not_shipped", "units")

    def __init__(self) -> None:
        self.items: dict[tuple[int | None, str, str], Decimal] = {}
        self.units: dict[str, str] = {}
        self.not_shipped: list[dict[str, str]] = []

    def add(self, line_no: int | None, product: str, lot: str, qty: Decimal, uom: str) -> None:
        if qty == 0:
            self.not_shipped.append({"product_id": product, "lot_id": lot})
            return
        key = (line_no, product, lot)
        self.items[key] = self.items.get(key, Decimal(0)) + qty
        if uom:
            self.units[product] = uom

    def payload(self) -> list[dict[str, Any]]:
        used = {n for n, _, _ in self.items if n is not None}
        assigned: dict[str, int] = {}
        out = []
        nxt = 1
        for (line_no, product, lot), qty in self.items.items():
            if line_no is None:
                line_no = assigned.get(product)
                if line_no is None:
                    while nxt in used:
                        nxt += 1
                    line_no = assigned[product] = nxt
                    used.add(nxt)
            out.append({"line_no": line_no, "product_id": product, "lot_id": lot, "quantity": str(qty)})
        return out


def int_id(text: str) -> int | None:
    """A positive line number of at most 6 digits, or None."""
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else None


def shipped_product(
    f: Findings, seg: Segment, pairs: list[tuple[str, str]], partner: TradingPartner, rule: str
) -> str:
    chosen = pick_product(pairs, partner.product_qualifiers)
    if chosen is not None:
        return chosen[1]
    sent = ", ".join(q for q, _ in pairs) or "none"
    f.bad_value(
        seg,
        2 if seg.id == "LIN" else 7,
        "235",
        rule,
        f"{seg.id} carries product ids qualified {sent}; this partner is set up for "
        f"{', '.join(partner.product_qualifiers)}.",
        expected=f"a product id qualified {' or '.join(partner.product_qualifiers)}",
    )
    return ""
