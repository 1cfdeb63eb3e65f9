"""Disputes: a customer contests (part of) an invoice.

A deduction is the common way one starts: the customer pays less than the
invoice and says why (an 820 ADX adjustment with a reason code). Cash
application turns each such claim into a dispute (``DisputeOpened``) tied to
the invoice, so the difference is explained instead of left open or unapplied.
A claim that names no invoice (a payer-level adjustment) is a dispute of the
account as a whole: its ``invoice_id`` is empty. Routing and resolution come in
a later stage of the product.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class DisputeReason(StrEnum):
    PRICING = "pricing"
    SHORTAGE = "shortage"
    DAMAGE = "damage"
    MISSING_POD = "missing_pod"
    DUPLICATE_BILLING = "duplicate_billing"
    TAX = "tax"
    TERMS = "terms"
    OTHER = "other"


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(slots=True, kw_only=True)
class Dispute:
    dispute_id: str
    invoice_id: str  # empty: the account as a whole
    customer_id: str
    reason: DisputeReason
    amount: Decimal
    opened_at: datetime
    status: DisputeStatus = DisputeStatus.OPEN
    resolved_at: datetime | None = None
    outcome: str | None = None


#: X12 code list 426 (adjustment reason, 820 ADX02) folded into o2c's reasons;
#: a code not listed (or a partner's own) is ``other``.
ADJUSTMENT_REASONS: Mapping[str, DisputeReason] = {
    **dict.fromkeys(("01", "02", "03", "23", "24", "43"), DisputeReason.PRICING),
    **dict.fromkeys(("06", "59", "25"), DisputeReason.SHORTAGE),
    **dict.fromkeys(("04", "11", "42"), DisputeReason.DAMAGE),
    "19": DisputeReason.DUPLICATE_BILLING,
    "55": DisputeReason.TAX,
    "09": DisputeReason.TERMS,
}


def reason_for(code: str) -> DisputeReason:
    """o2c's dispute reason for a payer's adjustment reason code."""
    return ADJUSTMENT_REASONS.get(code.strip().upper(), DisputeReason.OTHER)


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A deduction the payer took: ``amount`` (> 0) less than invoiced, for ``reason_code``,
    on ``invoice_id`` (empty: the account as a whole)."""

    invoice_id: str
    amount: Decimal
    reason_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Deduction:
    """A claim placed on an invoice (or, ``invoice_id`` empty, the account): the dispute to open."""

    invoice_id: str
    amount: Decimal
    reason: DisputeReason
    claim: Claim


def plan_deductions(claims: Iterable[Claim], room: Mapping[str, Decimal],
                    account: Decimal = Decimal(0)) -> tuple[list[Deduction], list[Claim]]:
    """Place each claim on the invoice it names, then each claim naming none on the
    account as a whole (a deduction with an empty ``invoice_id``).

    ``room`` is, per invoice, what is still open and not yet in dispute; ``account`` the
    same for the whole account (its invoices included, so what the claims on invoices take
    comes off it too). Invariants: no invoice is disputed beyond its room, nor the account
    beyond what is left of ``account``; a claim is disputed for at most its amount, and only
    where it names; what of a claim finds no room (an unknown or settled invoice, an account
    with nothing open) is returned, unplaced.
    """
    left = {k: v for k, v in room.items() if v > 0}
    account_left = account
    placed: list[Deduction] = []
    unplaced: list[Claim] = []
    claims = list(claims)
    for c in [c for c in claims if c.invoice_id] + [c for c in claims if not c.invoice_id]:
        take = max(min(c.amount, left.get(c.invoice_id, Decimal(0)) if c.invoice_id else account_left),
                   Decimal(0))
        if take > 0:
            placed.append(Deduction(invoice_id=c.invoice_id, amount=take, reason=reason_for(c.reason_code),
                                    claim=c))
            if c.invoice_id:
                left[c.invoice_id] -= take
            account_left -= take
        if take < c.amount:
            unplaced.append(Claim(invoice_id=c.invoice_id, amount=c.amount - take, reason_code=c.reason_code))
    return placed, unplaced
