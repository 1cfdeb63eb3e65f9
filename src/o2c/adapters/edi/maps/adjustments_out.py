"""The answer to a dispute, as an 812 (credit/debit adjustment) to the customer.

When a case closes, o2c tells the customer what it decided: BCD01 the date, BCD02 o2c's
adjustment number (the credit memo, the write-off, or the dispute id of a rejection), BCD03
``I`` (information), BCD04 what is credited (0 for a rejection: the amount stays owed),
BCD05 ``C``, BCD06 the invoice; REF*CR the customer's own adjustment number when its 812
opened the case, REF*ZZ the dispute id; one CDD with the reason code of the dispute's
category (X12 code list 426), the line it named and the amount credited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.adapters.edi.maps.writing import Seg, ccyymmdd, decimal, trim

__all__ = ["build_812"]

#: the X12 adjustment reason o2c answers with, per dispute category
REASON_CODES = {
    "pricing": "01",
    "shortage": "06",
    "damage": "04",
    "duplicate_billing": "19",
    "tax": "55",
    "terms": "09",
    "missing_pod": "06",
    "other": "CS",
}


def build_812(answer: Mapping[str, Any], day: date) -> list[Seg]:
    """The content segments of the 812 answering a ``dispute_answer`` outbox message."""
    settled = Decimal(str(answer.get("settled") or "0"))
    ours = answer.get("credit_memo_id") or answer.get("write_off_id") or answer["dispute_id"]
    segs: list[Seg] = [
        trim("BCD", ccyymmdd(day), str(ours), "I", decimal(settled), "C", str(answer["invoice_id"]))
    ]
    theirs = str(answer.get("note") or "")
    if theirs.startswith("812 "):
        segs.append(("REF", "CR", theirs.split()[1]))
    segs.append(("REF", "ZZ", str(answer["dispute_id"])))
    lines = answer.get("lines") or [""]
    segs.append(
        trim("CDD", REASON_CODES.get(str(answer.get("category")), "CS"), "C", str(lines[0]), decimal(settled))
    )
    return segs
