"""Disputes: a customer contests (part of) an invoice.

A deduction is the common way one starts: the customer pays less than the
invoice and says why (an 820 ADX adjustment with a reason code). Cash
application turns each such claim into a dispute (``DisputeOpened``) tied to
the invoice, so the difference is explained instead of left open or unapplied.
A claim that names no invoice (a payer-level adjustment) is a dispute of the
account as a whole: its ``invoice_id`` is empty. A person may open one by hand on
an invoice too (some of its lines, a category, an amount).

A dispute is a routed case: the policy (``disputes``) names per category the role that
owns it, its SLA and whom it escalates to, and per role how much it may write off. The
case (:class:`Dispute`, the read model) gathers evidence and ends in one resolution: a
credit memo, a write-off, or a rejection with evidence (the amount stays owed).

Invariants: a case is resolved at most once; what a resolution settles (credited or
written off) is positive and at most what is open on the invoice; a rejection settles
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from o2c.domain import events as ev


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
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class Resolution(StrEnum):
    """How a case ends: the customer is credited (a credit memo), the amount is written off
    (within the role's authority), or the claim is rejected with evidence (still owed)."""

    CREDIT_MEMO = "credit_memo"
    WRITE_OFF = "write_off"
    REJECT = "reject"


class EvidenceKind(StrEnum):
    POD = "pod"
    SIGNED_BOL = "signed_bol"
    CONTRACT_PRICE = "contract_price"
    NOTE = "note"
    DOCUMENT = "document"


#: roles that may act on every case, whoever owns it
CASE_SUPERVISORS = ("ar_manager", "controller")


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """Where a category of dispute goes: the role that owns it, its SLA (hours elapsed, or
    business days in the legal entity's zone) and the role it escalates to."""

    category: str
    owner: str
    escalation: str
    sla_hours: int | None = None
    sla_days: int | None = None

    def due(self, opened_at: datetime, zone_name: str) -> datetime:
        """When a case opened at ``opened_at`` is due: ``sla_hours`` later, or ``sla_days``
        business days (Monday to Friday) later at the same wall-clock time in ``zone_name``."""
        if self.sla_days is None:
            return opened_at + timedelta(hours=self.sla_hours or 0)
        local = opened_at.astimezone(ZoneInfo(zone_name))
        day, left = local.date(), self.sla_days
        while left > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        wall = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=ZoneInfo(zone_name))
        return wall.astimezone(opened_at.tzinfo)

    @property
    def sla_text(self) -> str:
        if self.sla_days is not None:
            return f"{self.sla_days} business day(s)"
        return f"{self.sla_hours} hour(s)"


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeSettings:
    """The policy's ``disputes`` section: a route per category (``other`` for what no
    route names) and, per role, the most it may write off per currency."""

    routes: Mapping[str, Route] = field(default_factory=dict)
    write_off_limits: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)

    def route(self, category: str) -> Route:
        found = self.routes.get(category) or self.routes.get(DisputeReason.OTHER.value)
        if found is None:
            return Route(category=category, owner="ar_manager", escalation="controller", sla_days=10)
        return found

    def write_off_limit(self, roles: Iterable[str], currency: str) -> Decimal:
        """The most any of ``roles`` may write off in ``currency`` (0: nothing)."""
        return max((self.write_off_limits.get(r, {}).get(currency, Decimal(0)) for r in roles),
                   default=Decimal(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    kind: str
    #: a reference (a document id, an event, a price agreement), never the document itself
    reference: str
    text: str
    at: datetime
    #: who attached it (a person's id), or ``o2c`` for what o2c knew itself
    by: str


@dataclass(slots=True, kw_only=True)
class Dispute:
    """A dispute case as it now stands (the ``disputes`` read model)."""

    dispute_id: str
    invoice_id: str  # empty: the account as a whole
    customer_id: str
    category: DisputeReason
    amount: Decimal
    currency: str
    opened_at: datetime
    order_id: str = ""
    legal_entity_id: str = ""
    status: DisputeStatus = DisputeStatus.OPEN
    owner_role: str = ""
    escalation_role: str = ""
    #: the role it waits on since its SLA passed (empty: its owner)
    escalated_to: str = ""
    sla_due: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str = ""
    #: what the resolution credited or wrote off
    settled: Decimal = Decimal(0)
    credit_memo_id: str = ""
    resolved_by: str = ""
    resolution_reason: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    lines: tuple[int, ...] = ()
    payment_id: str = ""
    note: str = ""
    opened_by: str = ""
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in (DisputeStatus.OPEN, DisputeStatus.ESCALATED)

    @property
    def waits_on(self) -> str:
        return self.escalated_to or self.owner_role

    @property
    def acting_roles(self) -> frozenset[str]:
        """Who may act on the case: its owner, its escalation role (and whom it escalated
        to), and the AR manager and controller."""
        return frozenset(r for r in (self.owner_role, self.escalation_role, self.escalated_to,
                                     *CASE_SUPERVISORS) if r)

    @staticmethod
    def start(e: ev.DisputeOpened, at: datetime, order_id: str = "") -> Dispute:
        return Dispute(
            dispute_id=e.dispute_id, invoice_id=e.invoice_id, customer_id=e.customer_id,
            category=reason_for_category(e.reason_code), amount=e.amount.amount, currency=e.amount.currency,
            opened_at=at, order_id=order_id, legal_entity_id=e.legal_entity_id, owner_role=e.owner_role,
            escalation_role=e.escalation_role, sla_due=e.sla_due_at, lines=e.lines,
            payment_id=e.payment_id, note=e.note, opened_by=e.opened_by, version=1)

    def apply(self, e: ev.Event, at: datetime) -> None:
        match e:
            case ev.DisputeEscalated():
                self.status = DisputeStatus.ESCALATED
                self.escalated_to = e.to_role
                self.sla_due = e.next_due_at
            case ev.DisputeEvidenceAttached():
                self.evidence.append(Evidence(kind=e.kind, reference=e.reference, text=e.text, at=at,
                                              by=e.by))
            case ev.DisputeResolved():
                self.status = DisputeStatus.REJECTED if e.outcome == Resolution.REJECT.value \
                    else DisputeStatus.RESOLVED
                self.resolved_at = at
                self.outcome = e.outcome
                self.settled = e.settled.amount if e.settled is not None else Decimal(0)
                self.credit_memo_id = e.credit_memo_id or ""
                self.resolved_by = e.by
                self.resolution_reason = e.reason
                self.sla_due = None
            case _:
                return
        self.version += 1


def reason_for_category(text: str) -> DisputeReason:
    """The category a stored reason names (an unknown one is ``other``)."""
    try:
        return DisputeReason(text)
    except ValueError:
        return DisputeReason.OTHER


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
