"""The price of one order line, and what is wrong with the PO price the buyer sent.

A PO price is the buyer's word, so it is never dropped in silence: within the policy's
tolerance of the reference price (the contract's, else the list price) it is the line's
price; outside it the order waits for pricing (``PRC-CONTRACT-MISMATCH``: a person may accept
it, and then it is the line's price); a price of zero or less, or one the policy calls absurd
(``pricing.po_price_max_ratio`` times the reference or that fraction of it), is a typo to
correct or a reason to reject (``PRC-PO-PRICE-INVALID``), never something to price over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from o2c.domain.holds import HoldCode
from o2c.domain.orders import OrderLine
from o2c.policy.document import Section

C = HoldCode
#: A PO price per case is kept per base unit to six places: exact enough that the amount of
#: ten thousand units still comes to the PO's to the cent, short enough for every channel
#: (an X12 R element, an 810's IT104, holds at most 15 digits; 25.00 / 12 does not end).
_PER_BASE = Decimal("0.000001")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """The price o2c would charge without a PO price, per base unit."""

    price: Decimal
    source: str  # "contract:<agreement id>" or "list", as kept on the line
    name: str  # how a person reads it: "contract PA-1 price" or "list price"
    note: str = ""  # said after the price, e.g. "(no contract)"

    def per(self, factor: Decimal) -> Decimal:
        return self.price * factor

    def describe(self, factor: Decimal) -> str:
        return f"{self.name} {self.per(factor)}{' ' + self.note if self.note else ''}"


@dataclass(slots=True, kw_only=True)
class LinePrice:
    """The line's price per base unit (None: not priced, ``issue`` says why), where it came
    from, and what the decision read."""

    price: Decimal | None
    source: str
    issue: tuple[HoldCode, str] | None = None
    inputs: dict[str, object] = field(default_factory=dict)


def price_line(ln: OrderLine, factor: Decimal, ref: Reference, section: Section, *,
               mismatch_accepted: bool) -> LinePrice:
    """Price ``ln`` (``factor`` converts its unit to the base unit) against ``ref``.
    ``mismatch_accepted``: a person accepted an earlier ``PRC-CONTRACT-MISMATCH``."""
    asked = ln.requested_price
    if asked is None:
        return LinePrice(price=ref.price, source=ref.source)
    key = f"line_{ln.line_no}"
    inputs: dict[str, object] = {f"{key}.po_price": asked, f"{key}.uom": ln.uom,
                                 f"{key}.reference_price": ref.per(factor),
                                 f"{key}.reference": ref.source}
    said = f"line {ln.line_no}: PO price {asked} per {ln.uom}"
    todo = "correct it through the buyer's change of the PO, or reject the order"
    ratio = section.po_price_max_ratio
    if ratio is not None:
        inputs["po_price_max_ratio"] = ratio
    if asked <= 0:
        return LinePrice(price=None, source="", inputs=inputs, issue=(
            C.PRC_PO_PRICE_INVALID, f"{said} is zero or less ({ref.describe(factor)}): {todo}"))
    reference = ref.per(factor)
    if ratio is not None and reference > 0 and (asked > reference * ratio or asked * ratio < reference):
        side = f"more than {ratio} times" if asked > reference else f"less than 1/{ratio} of"
        return LinePrice(price=None, source="", inputs=inputs, issue=(
            C.PRC_PO_PRICE_INVALID, f"{said} is {side} the {ref.describe(factor)}, beyond what "
                                    f"the policy takes for a price (pricing.po_price_max_ratio): {todo}"))
    exact = asked / factor
    rounded = exact.quantize(_PER_BASE, ROUND_HALF_UP)
    per_base = exact if exact == rounded else rounded  # 2.01 stays 2.01, not 2.010000
    tolerance = section.price_tolerance_percent
    if abs(per_base - ref.price) <= ref.price * tolerance / 100:
        return LinePrice(price=per_base, source="po", inputs=inputs)
    if mismatch_accepted:
        return LinePrice(price=per_base, source="po-price-accepted", inputs=inputs)
    return LinePrice(price=None, source="", inputs=inputs, issue=(
        C.PRC_CONTRACT_MISMATCH, f"{said} differs from {ref.describe(factor)} by more than "
                                 f"{tolerance}%"))
