"""Element formatting shared by the outbound builders.

X12 numbers are written without exponent and without trailing zeros after the point ("R"
type), implied-decimal amounts ("N2", e.g. TDS01) as whole cents; dates as CCYYMMDD.  A value
that cannot be written exactly raises ValueError: sending a partner a rounded amount would
change the document, and that is a programming error, not a data error.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.adapters.edi.maps.documents import Party

__all__ = ["Seg", "ccyymmdd", "cents", "decimal", "party_segments", "trim"]

Seg = tuple[str, ...]


def decimal(value: Decimal) -> str:
    """An R-type element: ``Decimal("12.50")`` -> ``"12.5"``, ``Decimal("100")`` -> ``"100"``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def cents(value: Decimal) -> str:
    """An N2 element (two implied decimals): ``Decimal("2554.38")`` -> ``"255438"``."""
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than two decimals; an N2 element holds whole cents")
    return str(int(scaled))


def ccyymmdd(value: date) -> str:
    return value.strftime("%Y%m%d")


def trim(*elements: str) -> Seg:
    """A segment tuple without trailing empty elements (X12 forbids them)."""
    end = len(elements)
    while end > 1 and elements[end - 1] == "":
        end -= 1
    return elements[:end]


def party_segments(p: Party) -> list[Seg]:
    """N1 [N3] [N4] for one party."""
    out = [trim("N1", p.role, p.name, p.id_qualifier if p.id else "", p.id)]
    if p.address:
        out.append(trim("N3", *p.address[:2]))
    if p.city or p.region or p.postal_code:
        out.append(trim("N4", p.city, p.region, p.postal_code, p.country))
    return out
