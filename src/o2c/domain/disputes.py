"""Disputes: a customer contests (part of) an invoice. Routed and resolved in a
later stage of the product; the model is here so that events and read models
have one vocabulary from the start."""

from __future__ import annotations

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


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(slots=True, kw_only=True)
class Dispute:
    dispute_id: str
    invoice_id: str
    customer_id: str
    reason: DisputeReason
    amount: Decimal
    opened_at: datetime
    status: DisputeStatus = DisputeStatus.OPEN
    resolved_at: datetime | None = None
    outcome: str | None = None
