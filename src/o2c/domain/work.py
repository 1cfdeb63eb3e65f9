"""Work on open holds by people: who has claimed a hold, and what was said about it.

A claim says who is working on a hold (one person at a time); a comment is a note on a
hold, with its author and the business time it was written. Neither changes the order:
the hold is decided with a hold decision, as always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """``claimed_by`` works on the hold since ``claimed_at``; ``assigned_by`` is the person who
    assigned it to them (None: they claimed it themselves)."""

    hold_id: str
    order_id: str
    claimed_by: str
    claimed_at: datetime
    assigned_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    hold_id: str
    order_id: str
    author: str
    written_at: datetime
    text: str
    comment_id: int = 0  # given by the store


class RejectReason(StrEnum):
    """Why a person rejects an order from the work queue: one of a fixed list, so that
    rejections can be counted by reason."""

    CUSTOMER_REQUEST = "CUSTOMER-REQUEST"
    CREDIT_RISK = "CREDIT-RISK"
    PRICE_NOT_AGREED = "PRICE-NOT-AGREED"
    DUPLICATE = "DUPLICATE"
    DATA_NOT_FIXABLE = "DATA-NOT-FIXABLE"
    OTHER = "OTHER"


def order_of_hold(hold_id: str) -> str | None:
    """The order a hold id belongs to (hold ids are ``<order id>-H<n>``); None for an id
    that is not shaped like one."""
    order_id, sep, n = hold_id.rpartition("-H")
    return order_id if sep and order_id and n.isdigit() else None
