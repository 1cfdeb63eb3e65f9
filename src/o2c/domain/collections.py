"""Collections: AR aging, value at risk, the collector's worklist, dunning steps and
promises to pay.

Definitions (one place; the store's SQL, the memory store and the KPIs use these):

- **Days past due** of an open invoice = the legal entity's business date (its zone)
  − the due date, in days. **Aging buckets**: ``current`` (≤ 0), ``1-30``, ``31-60``,
  ``61-90``, ``over_90``. Every open amount is in exactly one bucket, so the buckets
  of an account sum to its open AR (disputed amounts included: they are still owed).
- **Undisputed** open amount of an invoice = open − disputed (never below zero).
- **Value at risk** of an account = Σ over its past-due invoices of undisputed open
  × days past due, × the account's **risk** factor (1.0 by default; more for an
  account that broke promises: :func:`risk_factor`, the one place a model may re-rank).
- **Worklist**: accounts with undisputed past-due AR, a broken promise first, then by
  value at risk (highest first), accounts under a standing promise last, then by id.
- **Dunning**: a policy's steps by days past due; an invoice gets each step at most
  once, only the latest step it has reached, never one below a step already sent, and
  only for its undisputed rest (none when that is below the policy's minimum).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "over_90")

#: how much each broken promise adds to an account's risk, and the most it may reach
RISK_PER_BROKEN_PROMISE = Decimal("0.5")
MAX_RISK = Decimal(3)


def bucket(days_past_due: int) -> str:
    """The aging bucket of an open item ``days_past_due`` days past its due date."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    return "61-90" if days_past_due <= 90 else "over_90"


def undisputed(open_amount: Decimal, disputed: Decimal) -> Decimal:
    return max(open_amount - disputed, Decimal(0))


def risk_factor(promises_broken: int) -> Decimal:
    """An account's risk: 1.0, plus :data:`RISK_PER_BROKEN_PROMISE` per promise to pay it
    broke, at most :data:`MAX_RISK`. The hook a model re-ranks the worklist through."""
    return min(Decimal(1) + RISK_PER_BROKEN_PROMISE * promises_broken, MAX_RISK)


class PromiseStanding(StrEnum):
    """Where an account's promises to pay stand, as the worklist ranks it."""

    NONE = ""
    #: a promise not yet due (dunning waits for it)
    STANDING = "standing"
    #: the last promise due was broken, and no new one was made
    BROKEN = "broken"


#: worklist order of an account's promise standing: broken first, standing last
STANDING_RANK = {PromiseStanding.BROKEN: 0, PromiseStanding.NONE: 1, PromiseStanding.STANDING: 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenInvoice:
    """What aging and the worklist read of an open invoice (a row of the read model)."""

    invoice_id: str
    customer_id: str
    legal_entity_id: str
    currency: str
    due_date: date
    open_amount: Decimal
    disputed: Decimal = Decimal(0)


@dataclass(slots=True, kw_only=True)
class Aging:
    """Open AR of one group (an account, or an entity) in one currency, by bucket."""

    key: str
    legal_entity_id: str
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(AGING_BUCKETS, Decimal(0)))
    disputed: Decimal = Decimal(0)
    invoices: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal(0))

    @property
    def past_due(self) -> Decimal:
        return self.total - self.buckets["current"]

    def add(self, other: Aging) -> None:
        for b in AGING_BUCKETS:
            self.buckets[b] += other.buckets[b]
        self.disputed += other.disputed
        self.invoices += other.invoices


@dataclass(frozen=True, slots=True, kw_only=True)
class WorklistEntry:
    """An account to call: its undisputed past-due AR, oldest item, value at risk."""

    customer_id: str
    legal_entity_id: str
    currency: str
    past_due: Decimal
    invoices: int
    oldest_days: int
    risk: Decimal
    value_at_risk: Decimal
    promise: PromiseStanding = PromiseStanding.NONE


def age(items: Iterable[OpenInvoice], as_of: Mapping[str, date], default: date) -> list[Aging]:
    """Aging per account (customer, entity, currency), ``as_of`` the business date of
    each legal entity (``default`` for an entity not named); sorted by key."""
    out: dict[tuple[str, str, str], Aging] = {}
    for i in items:
        if i.open_amount <= 0:
            continue
        k = (i.customer_id, i.legal_entity_id, i.currency)
        a = out.get(k)
        if a is None:
            a = out[k] = Aging(key=i.customer_id, legal_entity_id=i.legal_entity_id, currency=i.currency)
        a.buckets[bucket((as_of.get(i.legal_entity_id, default) - i.due_date).days)] += i.open_amount
        a.disputed += i.disputed
        a.invoices += 1
    return [out[k] for k in sorted(out)]


def by_entity(rows: Iterable[Aging]) -> list[Aging]:
    """Account agings rolled up per legal entity and currency."""
    out: dict[tuple[str, str], Aging] = {}
    for r in rows:
        k = (r.legal_entity_id, r.currency)
        if k not in out:
            out[k] = Aging(key=r.legal_entity_id, legal_entity_id=r.legal_entity_id, currency=r.currency)
        out[k].add(r)
    return [out[k] for k in sorted(out)]


def rank(entries: Iterable[WorklistEntry]) -> list[WorklistEntry]:
    """The worklist's order (see the module's docstring)."""
    return sorted(entries, key=lambda e: (STANDING_RANK[e.promise], -e.value_at_risk, e.customer_id))


def worklist(items: Iterable[OpenInvoice], as_of: Mapping[str, date], default: date,
             risk: Mapping[str, Decimal], promise: Mapping[str, PromiseStanding]) -> list[WorklistEntry]:
    """Every account with undisputed AR past due, ranked (:func:`rank`)."""
    acc: dict[tuple[str, str, str], list[Decimal | int]] = {}
    for i in items:
        days = (as_of.get(i.legal_entity_id, default) - i.due_date).days
        rest = undisputed(i.open_amount, i.disputed)
        if days <= 0 or rest <= 0:
            continue
        a = acc.setdefault((i.customer_id, i.legal_entity_id, i.currency), [Decimal(0), 0, 0, Decimal(0)])
        a[0] += rest
        a[1] += 1
        a[2] = max(int(a[2]), days)
        a[3] += rest * days
    out = []
    for (customer, entity, currency), (past_due, n, oldest, weighted) in acc.items():
        r = risk.get(customer, Decimal(1))
        out.append(WorklistEntry(customer_id=customer, legal_entity_id=entity, currency=currency,
                                 past_due=Decimal(past_due), invoices=int(n), oldest_days=int(oldest), risk=r,
                                 value_at_risk=Decimal(weighted) * r,
                                 promise=promise.get(customer, PromiseStanding.NONE)))
    return rank(out)


# ---------------------------------------------------------------- dunning


@dataclass(frozen=True, slots=True, kw_only=True)
class DunningStep:
    """A notice sent once an invoice is ``days`` past due, by ``channel``, from ``template``
    (fields ``{customer}``, ``{invoice}``, ``{amount}``, ``{currency}``, ``{due_date}``,
    ``{days}``)."""

    name: str
    days: int
    channel: str
    template: str


def step_due(steps: Iterable[DunningStep], days_past_due: int, sent: Iterable[str]) -> DunningStep | None:
    """The step to send an invoice ``days_past_due`` days late that has had ``sent``: the
    latest step it has reached, unless it (or a later one) was sent already."""
    ordered = sorted(steps, key=lambda s: s.days)
    reached = [s for s in ordered if s.days <= days_past_due]
    if not reached:
        return None
    done = set(sent)
    latest = reached[-1]
    if any(s.name in done for s in ordered[ordered.index(latest):]):
        return None
    return latest


FIELDS = ("customer", "invoice", "amount", "currency", "due_date", "days")


def render(template: str, *, customer: str, invoice: str, amount: Decimal, currency: str, due_date: date,
           days: int) -> str:
    """A step's text with its fields filled in (a field the template does not name is left out)."""
    return template.format(customer=customer, invoice=invoice, amount=f"{amount:,.2f}", currency=currency,
                           due_date=due_date.isoformat(), days=days)


# ---------------------------------------------------------------- promises


@dataclass(slots=True, kw_only=True)
class Promise:
    """A customer's promise to pay ``amount`` by ``promised_date`` (on ``invoice_ids``, or
    on the account when empty). ``paid_before``: what the account had paid (cash applied,
    discounts, credit memos) when it was made; it is kept when that grew by ``amount``."""

    promise_id: str
    amount: Decimal
    promised_date: date
    invoice_ids: tuple[str, ...] = ()
    paid_before: Decimal = Decimal(0)

    def covers(self, invoice_id: str) -> bool:
        return not self.invoice_ids or invoice_id in self.invoice_ids
