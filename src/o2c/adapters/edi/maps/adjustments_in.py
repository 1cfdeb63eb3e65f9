"""Credit/debit adjustment (812) from a customer -> ``dispute`` (the engine's ``DisputeIn``).

The customer tells what it contests on an invoice: BCD01 the date, BCD02 its own adjustment
number, BCD04 the total, BCD05 ``C`` (a credit it asks for) or ``D``, BCD06 the invoice
number (required: o2c opens a case on an invoice). Each CDD is one adjustment: CDD01 its
reason (X12 code list 426, folded into a dispute category as in an 820's ADX), CDD03 the
invoice line it names (if a number), CDD04 the amount. An 812 without CDD contests BCD04 as
a whole, category ``other``. Each adjustment opens one case; the customer's adjustment
number goes in its note, so the 812 answering the resolution can quote it.
"""

from __future__ import annotations

from decimal import Decimal

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import Findings, date_of, el, number, required
from o2c.adapters.edi.maps.result import Mapped, MapResult
from o2c.domain.disputes import DisputeReason, reason_for

__all__ = ["map_812"]


def map_812(ts: TransactionSet, partner: TradingPartner, *, version: str = "") -> MapResult:
    """812 -> one ``dispute`` per CDD (or one for BCD04 when there is none)."""
    f = Findings(ts)
    bcd: Segment | None = None
    details: list[Segment] = []
    for seg in ts.segments:
        if seg.id == "BCD":
            bcd = bcd or seg
        elif seg.id == "CDD":
            details.append(seg)
    if bcd is None:
        f.missing_segment("BCD", "812.BCD", "The adjustment has no BCD segment.")
        return MapResult(errors=tuple(f.errors))
    date_of(f, bcd, 1, "812.BCD01", "adjustment date")
    reference = required(f, bcd, 2, "127", "812.BCD02", "credit/debit adjustment number")
    total = number(f, bcd, 4, "782", "812.BCD04", "adjustment amount", required=True, places=4)
    invoice = required(f, bcd, 6, "76", "812.BCD06", "invoice number")
    wanted: list[tuple[str, Decimal | None, list[int]]] = []  # (category, amount, lines)
    for cdd in details:
        reason = required(f, cdd, 1, "426", "812.CDD01", "adjustment reason code", max_len=3)
        amount = number(f, cdd, 4, "782", "812.CDD04", "adjustment amount", required=True, places=4)
        line = el(cdd, 3)
        wanted.append((reason_for(reason).value, amount, [int(line)] if line.isdigit() and int(line) else []))
    if not details:
        wanted.append((DisputeReason.OTHER.value, total, []))
    if f.failed:
        return MapResult(errors=tuple(f.errors))
    docs = [
        Mapped(
            kind="dispute",
            payload={
                "invoice_id": invoice,
                "category": category,
                "amount": str(abs(amount)) if amount is not None else None,
                "lines": lines,
                "note": f"812 {reference}" + (f" ({el(bcd, 5)})" if el(bcd, 5) else ""),
            },
            extras={"adjustment_number": reference, "credit_debit": el(bcd, 5)},
            part=str(n) if len(wanted) > 1 else "",
        )
        for n, (category, amount, lines) in enumerate(wanted, 1)
        if amount is not None
    ]
    return MapResult.of(docs, f.errors)
