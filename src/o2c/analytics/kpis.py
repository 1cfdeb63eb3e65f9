"""Order-to-cash KPIs from the event log, in one streaming pass.

Every KPI is a pure function of the envelopes given, the period
``[period_start, period_end)`` (half-open, timezone-aware) and, for the
integration failure rate, the inbound and dead-letter counts per source.

Global rules
------------
- Only envelopes with ``occurred_at < period_end`` are read; later ones are
  ignored, so the report is "as of the end of the period". An event is *in the
  period* when ``period_start <= occurred_at < period_end``.
- Durations are ``b.occurred_at - a.occurred_at`` (business time), exact to the
  microsecond. For each duration KPI, ``Stat`` gives the count, the median (for
  an even count the mean of the two middle values) and the p90 (nearest rank:
  the value at rank ``ceil(0.9 * n)`` of the ascending list), in hours rounded
  once, half up, to 2 decimals; ``None`` when the count is 0.
- Ratios are computed exactly (rational arithmetic) and rounded once, half
  away from zero: percentages to 1 decimal (2 for the failure rate), DSO to
  2 decimals of a day. Nothing goes through ``float``.
- An order is identified by its correlation id (the ``order_id`` of its
  ``OrderReceived``). Per-order KPIs need that ``OrderReceived`` in the input;
  the first/last event of an order means first/last in log order.

Definitions
-----------
- ``order_release``: ``OrderReceived`` -> the order's first ``OrderReleased``,
  for orders whose first release is in the period.
- ``hold_resolution[code]``: ``HoldPlaced`` -> the ``HoldReleased`` with the same
  ``hold_id`` (any action: release, reject, override, edit), for holds resolved
  in the period, by the code of the ``HoldPlaced``.
- ``open_holds[code]``: holds placed before ``period_end`` with no
  ``HoldReleased`` before it: count, and the oldest one's age
  ``period_end - placed``.
- ``hold_sla[code]`` (holds with an SLA; by the code of their ``HoldPlaced``):
  ``judged``: holds placed in the period whose SLA outcome is known by ``period_end``
  (resolved before it, or still open with ``sla_due_at < period_end``); ``breached``:
  of those, the ones resolved after ``sla_due_at`` or still open past it;
  ``breach_rate_percent`` = breached / judged x 100, 1 decimal (``None`` when none is
  judged). ``escalations``: ``HoldEscalated`` events in the period. ``resolved``:
  ``HoldReleased`` in the period (any action); ``auto_released``: those with ``by``
  ``o2c.engine`` and an action other than ``reject`` (o2c released it itself: stock
  arrived, the POD came, a buyer's change superseded it); ``auto_release_rate_percent``
  = auto_released / resolved x 100, 1 decimal (``None`` when none was resolved).
  ``open_past_sla``: holds (placed at any time) still open at ``period_end`` with
  ``sla_due_at < period_end``.
- ``shipment_to_invoice``: one value per (invoice, shipment) pair, for each
  ``InvoiceIssued`` in the period and each shipment it bills (of each of its
  ``order_ids``: a consolidated invoice bills several orders' shipments) whose
  ``ShipmentConfirmed`` (same order, same shipment id) was seen: the shipment
  (its ``shipped_at``, the warehouse's own time, when the source reports it;
  else the ``ShipmentConfirmed``) -> ``InvoiceIssued``. A warehouse that
  confirms in a nightly batch shows here as latency.
- ``shipments_not_invoiced``: the shipments the latency cannot count yet, so it
  does not read better than the truth: every ``ShipmentConfirmed`` before
  ``period_end`` (in the period or before it) with no ``InvoiceIssued`` for it
  by then, of an order still open; each one's age at ``period_end`` from its
  ``shipped_at`` (count, median, p90).
- ``trigger_to_invoice``: the same pairs, from the event that fired the invoice:
  trigger ``on_ship`` -> the ``ShipmentConfirmed``; ``on_pod`` -> the
  ``ProofOfDeliveryReceived`` of that shipment (its ``occurred_at``, not the
  carrier's ``delivered_at``). Pairs with another trigger or no POD are left out.
- ``invoice_cycle``: ``OrderReceived`` -> the order's first ``InvoiceIssued``,
  for orders whose first invoice is in the period.
- ``order_to_cash``: ``OrderReceived`` -> ``OrderClosed`` (closed = fully paid),
  closed in the period.
- ``touchless``: among orders whose first invoice is in the period
  (``invoiced_orders``), those whose events up to and including that first
  invoice have no ``HoldPlaced``, no ``HoldReleased`` with ``by`` other than
  ``o2c.engine``, and no envelope with a human ``source`` (``ui`` or
  ``user:*``) (``touchless_orders``); ``rate_percent`` = touchless / invoiced
  x 100, 1 decimal; ``None`` when no order was invoiced.
- ``receivables[currency]`` (never mixing currencies):
  AR at time t = sum ``InvoiceIssued.total`` - sum ``PaymentApplied.amount`` -
  sum ``PaymentApplied.discount`` - sum ``CreditMemoIssued.amount`` over events
  with ``occurred_at < t``; ``beginning_ar`` at ``period_start``, ``ending_ar`` at
  ``period_end``. ``credit_sales`` = sum ``InvoiceIssued.total`` whose
  ``invoice_date`` is in the period, i.e. whose midnight in its legal entity's
  zone (``zones``, UTC for an entity not named) is in ``[period_start,
  period_end)`` (use periods aligned to the entities' midnights: invoice dates are
  business dates of the entity). ``as_of_date`` = the entity's business date of
  the period's last instant (``period_end - 1 microsecond``); an invoice's days
  past due = ``as_of_date - due_date`` in days, its open amount = total minus the
  payments, discounts and credit memos above. ``aging``: open amounts (non-zero)
  by days past due: ``current`` (<= 0), ``1-30``, ``31-60``, ``61-90``,
  ``over_90``. ``ending_current_ar`` = the ``current`` bucket.
  ``dso_days`` = ending_ar / credit_sales x days in period, where days in
  period = (period_end - period_start) / 1 day, exactly; ``None`` without sales.
  ``cei_percent`` = (beginning_ar + credit_sales - ending_ar) /
  (beginning_ar + credit_sales - ending_current_ar) x 100, 1 decimal; ``None``
  when the denominator is 0.
- ``integration[source]``: ``failure_rate_percent`` = dead_lettered / inbound x
  100, 2 decimals, ``None`` when inbound is 0; sources from either mapping.
- ``totals``: events in the period: ``orders_received`` (``OrderReceived``),
  ``orders_released`` (orders whose first release is in the period),
  ``orders_rejected``, ``shipments`` (``ShipmentConfirmed``), ``invoices_issued``,
  ``payments_applied`` (``PaymentApplied`` events), ``orders_closed``; and
  ``open_orders_at_end``: orders received before ``period_end`` and neither
  closed nor rejected before it.

- ``shipment_to_invoice_with_waiting``: the headline latency, which cannot read
  better than the truth: the ``shipment_to_invoice`` values and the
  ``shipments_not_invoiced`` ages together (a shipment still waiting counts with
  the wait so far, a lower bound of its latency).
- ``invoice_accuracy``: ``issued`` = ``InvoiceIssued`` in the period; ``corrected``
  = those with, before ``period_end``, a ``CreditMemoIssued`` on them or a
  ``DisputeOpened`` on them whose reason says the invoice was wrong
  (:data:`CORRECTING_REASONS`: pricing, shortage (quantity), tax, terms,
  duplicate billing, other; not damage or missing POD, which are about the
  delivery); ``first_pass_percent`` = (issued - corrected) / issued x 100, 1
  decimal. A rebill has no event of its own yet: it counts once it comes with a
  credit memo or a dispute.
- ``disputes``: ``opened`` / ``resolved`` = ``DisputeOpened`` / ``DisputeResolved``
  in the period; ``days_to_resolve`` over the disputes resolved in the period,
  ``DisputeOpened`` -> ``DisputeResolved``: count, mean, median and nearest-rank p90
  in days, 2 decimals; ``open[currency][bucket]``: disputes opened before
  ``period_end`` and not resolved before it, by age in whole days at ``period_end``
  (:data:`DISPUTE_AGE_BUCKETS`: 0-30, 31-60, 61-90, over 90), count and amount
  (the ``DisputeOpened`` amount).
- ``perfect_order``: ``delivered`` = orders whose first ``ProofOfDeliveryReceived``
  is in the period; each is judged when it closes, else at ``period_end``:
  ``on_time``: no POD with ``delivered_at`` (as a business date of the order's
  legal entity) after the order's requested date (the latest ``OrderChanged`` that
  sets one, else ``OrderReceived``'s; an order without one is on time);
  ``complete``: every ordered line shipped in full (``ShipmentConfirmed`` quantities
  against the base quantities of the latest ``OrderValidated``, else the ordered
  quantities) and every shipment delivered; ``undamaged``: no
  ``FulfilmentExceptionReported`` whose code contains ``DAMAG`` and no
  ``DisputeOpened`` of reason ``damage`` on its invoices; ``invoiced_right``: at
  least one invoice and none corrected (as in ``invoice_accuracy``); ``perfect``:
  all four. Rates = each count / delivered x 100, 1 decimal.
- ``cash``: ``remittance_lines`` = the remittance lines of the ``PaymentReceived``
  in the period (a payment without any counts as one line); ``auto_matched_lines``
  = per such payment, the ``PaymentApplied`` of it not made by a person (see
  :func:`is_human`), at most its lines; ``auto_match_rate_percent`` = matched /
  lines x 100. ``applied``: ``PaymentApplied`` in the period, ``applied_by_person``
  those made by a person, ``applied_by_rule`` per ``decision.rule`` (``cash/<rule>``).
  ``amounts[currency]``: ``received`` (``PaymentReceived.amount`` in the period),
  ``auto_applied`` (what was applied of them without a person),
  ``auto_amount_share_percent``; ``unapplied``: ``CashUnapplied`` and ``PaymentUnapplied``
  amounts (any
  time before ``period_end``) less what of the same payment was applied after
  them, counted for the payer a person identified (``PayerIdentified``), and
  ``unapplied_payments``, the payments with some left. ``by_channel[channel]``:
  the same per channel the cash came by (see :func:`payment_channel`: ``lockbox``, ``bai2``,
  ``camt`` for a bank file's payments, ``edi_820``, ``other``): ``payments`` and
  ``remittance_lines`` received in the period, ``auto_matched_lines`` and its rate, and
  ``left_for_a_person``, those of them with cash unapplied at the period's end. Match precision
  needs the truth of each remittance, which the log does not hold: it is the cash
  benchmark's.

Dimensions (``by``)
-------------------
With ``by``, every figure above is also given per group, and every fact lands in
exactly one group, so counts summed over the groups equal the whole:

- ``entity``: an order's ``OrderReceived.legal_entity_id``; an invoice's
  ``InvoiceIssued.legal_entity_id``; a payment, unapplied cash or a dispute
  without a known invoice: the customer's entity (master data, or as orders and
  invoices of the log name it).
- ``channel``: ``OrderReceived.channel``; an invoice, the channel of its order.
- ``customer``: ``OrderReceived.customer_id``; ``InvoiceIssued.customer_id``;
  the payer of a payment.
- ``warehouse``: an order counts in its *first* warehouse (its first
  ``StockAllocated`` line, else ``OrderReleased.warehouses[0]``, else its first
  ``ShipmentConfirmed``); a shipment (its count, latencies, age while not
  invoiced) in its own ``warehouse_id``; an invoice in the warehouse of its first
  shipment.

A payment's cash figures (lines, auto-match, received, unapplied) belong to the
payer (its entity, or itself by customer), and to :data:`NO_GROUP` by channel or
warehouse; a ``PaymentApplied`` and a ``CreditMemoIssued`` (the AR they reduce,
the application counts) belong to their invoice's group; a dispute to its
invoice's. What a dimension cannot place (an order never allocated, by
warehouse; an event of an order the log does not hold) is in :data:`NO_GROUP`.

Memory: state is kept per open order, open hold, uninvoiced shipment, open
invoice, open dispute, payment with cash on account and payment received in the
period, and is dropped when they close; one small entry per invoice (its group,
order and whether it is still first-pass) is kept for the whole log so that a
later dispute or credit memo finds them. Exact percentiles need every measured
duration of the period; they are kept as counts per distinct value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from o2c.domain import events as ev
from o2c.domain.business_time import business_date, start_of_day
from o2c.domain.collections import AGING_BUCKETS
from o2c.domain.collections import bucket as _bucket
from o2c.domain.master import BillingTrigger
from o2c.domain.money import quantum

#: The source and ``by`` of what the engine does by itself. Mirrors
#: ``o2c.engine.bus.ENGINE_SOURCE``: analytics reads only the domain.
ENGINE = "o2c.engine"
HUMAN_SOURCES = ("ui",)
HUMAN_SOURCE_PREFIX = "user:"

_US = timedelta(microseconds=1)
_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 86_400_000_000


# ---------------------------------------------------------------- exact arithmetic


def round_half_up(x: Fraction, places: int) -> Decimal:
    """``x`` rounded once to ``places`` decimals, ties away from zero."""
    scaled = math.floor(abs(x) * 10**places + Fraction(1, 2))
    return Decimal(scaled if x >= 0 else -scaled).scaleb(-places)


def micros(td: timedelta) -> int:
    return td // _US


def hours(td: timedelta) -> Decimal:
    """A duration in hours, 2 decimals, half up."""
    return round_half_up(Fraction(micros(td), _US_PER_HOUR), 2)


def _percent(num: int | Decimal, den: int | Decimal, places: int) -> Decimal | None:
    if den == 0:
        return None
    return round_half_up(Fraction(num) / Fraction(den) * 100, places)


class Sample:
    """Integer values kept as counts per distinct value (exact order statistics)."""

    __slots__ = ("counts", "n")

    def __init__(self, values: Iterable[int] = ()) -> None:
        self.counts: Counter[int] = Counter()
        self.n = 0
        for v in values:
            self.add(v)

    def add(self, value: int) -> None:
        counts = self.counts
        counts[value] = counts.get(value, 0) + 1  # no Counter.__missing__ call per new value
        self.n += 1

    def rank(self, k: int) -> int:
        """The value at 1-based rank ``k`` of the ascending values."""
        if not 1 <= k <= self.n:
            raise ValueError(f"rank {k} outside 1..{self.n}")
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen >= k:
                return value
        raise AssertionError("unreachable: counts add up to n")

    def median(self) -> Fraction:
        if self.n == 0:
            raise ValueError("median of no values")
        lo, hi = (self.n + 1) // 2, self.n // 2 + 1
        return Fraction(self.rank(lo) + self.rank(hi), 2)

    def nearest_rank(self, percent: int) -> int:
        if self.n == 0:
            raise ValueError("percentile of no values")
        return self.rank(-(-percent * self.n // 100))  # ceil(percent/100 * n), in integers


def median(values: Iterable[int]) -> Fraction:
    """The middle value; for an even count the mean of the two middle values."""
    return Sample(values).median()


def nearest_rank(values: Iterable[int], percent: int) -> int:
    """The value at rank ``ceil(percent/100 * n)`` of the ascending values."""
    return Sample(values).nearest_rank(percent)


def to_json(value: Any) -> Any:
    """Dataclasses, dicts and sequences as plain JSON values: Decimals as strings
    (exact), datetimes and dates as ISO 8601, durations as hours (:func:`hours`)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(hours(value))
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    return value


class _Json:
    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (see :func:`to_json`)."""
        return to_json(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stat(_Json):
    """Count, median and nearest-rank p90 of durations, in hours (2 decimals)."""

    count: int
    median_hours: Decimal | None
    p90_hours: Decimal | None

    @staticmethod
    def of(durations: Iterable[timedelta]) -> Stat:
        return _stat(Sample(micros(d) for d in durations))


def _stat(s: Sample) -> Stat:
    if s.n == 0:
        return Stat(count=0, median_hours=None, p90_hours=None)
    return Stat(
        count=s.n,
        median_hours=round_half_up(s.median() / _US_PER_HOUR, 2),
        p90_hours=round_half_up(Fraction(s.nearest_rank(90), _US_PER_HOUR), 2),
    )


# ---------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenHolds(_Json):
    count: int
    oldest_age_hours: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldSla(_Json):
    """How one hold code kept its SLA (see ``hold_sla`` in the module docstring)."""

    judged: int = 0
    breached: int = 0
    breach_rate_percent: Decimal | None = None
    escalations: int = 0
    resolved: int = 0
    auto_released: int = 0
    auto_release_rate_percent: Decimal | None = None
    open_past_sla: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Touchless(_Json):
    invoiced_orders: int
    touchless_orders: int
    rate_percent: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Receivables(_Json):
    """AR of one currency at the period's end; ``aging`` maps :data:`AGING_BUCKETS`
    to open amounts. Amounts are quantized to the currency's minor unit."""

    currency: str
    beginning_ar: Decimal
    credit_sales: Decimal
    ending_ar: Decimal
    ending_current_ar: Decimal
    dso_days: Decimal | None
    cei_percent: Decimal | None
    aging: dict[str, Decimal]


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegrationHealth(_Json):
    inbound: int
    dead_lettered: int
    failure_rate_percent: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals(_Json):
    orders_received: int = 0
    orders_released: int = 0
    orders_rejected: int = 0
    shipments: int = 0
    invoices_issued: int = 0
    payments_applied: int = 0
    orders_closed: int = 0
    open_orders_at_end: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceAccuracy(_Json):
    """Invoices issued in the period, those corrected by the period's end, and the
    first-pass accuracy (see ``invoice_accuracy`` in the module docstring)."""

    issued: int = 0
    corrected: int = 0
    first_pass_percent: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DayStat(_Json):
    """Count, mean, median and nearest-rank p90 of durations, in days (2 decimals)."""

    count: int = 0
    mean_days: Decimal | None = None
    median_days: Decimal | None = None
    p90_days: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDisputes(_Json):
    count: int = 0
    amount: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Disputes(_Json):
    """Disputes opened and resolved in the period, days to resolve, and the disputes
    open at the period's end by currency and age bucket (:data:`DISPUTE_AGE_BUCKETS`)."""

    opened: int = 0
    resolved: int = 0
    days_to_resolve: DayStat = field(default_factory=DayStat)
    open: dict[str, dict[str, OpenDisputes]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PerfectOrder(_Json):
    """Orders delivered (first POD) in the period and how many met each part."""

    delivered: int = 0
    on_time: int = 0
    complete: int = 0
    undamaged: int = 0
    invoiced_right: int = 0
    perfect: int = 0
    rate_percent: Decimal | None = None
    on_time_percent: Decimal | None = None
    complete_percent: Decimal | None = None
    undamaged_percent: Decimal | None = None
    invoiced_right_percent: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CashAmounts(_Json):
    """Cash of one currency: received in the period, applied without a person, the
    share, and the unapplied cash still on account at the period's end."""

    received: Decimal = Decimal(0)
    auto_applied: Decimal = Decimal(0)
    auto_amount_share_percent: Decimal | None = None
    unapplied: Decimal = Decimal(0)
    unapplied_payments: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CashChannel(_Json):
    """Cash application of the payments that came by one channel (``cash`` in the module
    docstring)."""

    payments: int = 0
    remittance_lines: int = 0
    auto_matched_lines: int = 0
    auto_match_rate_percent: Decimal | None = None
    left_for_a_person: int = 0


#: the bank file kinds whose payment ids (``<kind>:...``) name the channel they came by
BANK_CHANNELS = ("bai2", "camt", "lockbox")


def payment_channel(payment_id: str, source: str) -> str:
    """The channel a payment came by: the kind of bank file it was read from (its id begins
    ``lockbox:``, ``bai2:`` or ``camt:``), ``edi_820`` from an EDI partner, else ``other``."""
    kind = payment_id.split(":", 1)[0]
    if kind in BANK_CHANNELS:
        return kind
    return "edi_820" if source.startswith("edi:") else "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class CashApplication(_Json):
    """Cash application (see ``cash`` in the module docstring)."""

    remittance_lines: int = 0
    auto_matched_lines: int = 0
    auto_match_rate_percent: Decimal | None = None
    applied: int = 0
    applied_by_person: int = 0
    applied_by_rule: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, CashAmounts] = field(default_factory=dict)
    by_channel: dict[str, CashChannel] = field(default_factory=dict)


def _channels(n: Counter[str]) -> dict[str, CashChannel]:
    """Cash application per channel, from a group's ``channel:<channel>:<figure>`` counts."""
    names = sorted({k.split(":")[1] for k in n if k.startswith("channel:")})
    out = {}
    for ch in names:
        f = {k.rsplit(":", 1)[1]: v for k, v in n.items() if k.startswith(f"channel:{ch}:")}
        out[ch] = CashChannel(
            payments=f.get("payments", 0), remittance_lines=f.get("remittance_lines", 0),
            auto_matched_lines=f.get("auto_matched_lines", 0),
            auto_match_rate_percent=_percent(f.get("auto_matched_lines", 0), f.get("remittance_lines", 0), 1),
            left_for_a_person=f.get("left_for_a_person", 0))
    return out


_NO_STAT = Stat(count=0, median_hours=None, p90_hours=None)
#: fields of a report that are the period's, not a group's figures
_FRAME = ("period_start", "period_end", "by", "groups", "integration")


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiReport(_Json):
    """The KPIs of one period; the module docstring defines each of them.

    ``as_dict()`` keys: ``period`` (``start``, ``end``, ``days``), then one key per
    field below (``period_start``/``period_end`` are folded into ``period``). A report
    split by a dimension (``by``) also has ``by`` and ``groups``: per group key, the
    same KPI keys but ``period``, ``integration``, ``by`` and ``groups``.
    """

    period_start: datetime
    period_end: datetime
    order_release: Stat
    hold_resolution: dict[str, Stat]
    open_holds: dict[str, OpenHolds]
    shipment_to_invoice: Stat
    trigger_to_invoice: Stat
    invoice_cycle: Stat
    order_to_cash: Stat
    touchless: Touchless
    receivables: dict[str, Receivables]
    integration: dict[str, IntegrationHealth]
    totals: Totals
    hold_sla: dict[str, HoldSla] = field(default_factory=dict)
    #: shipments confirmed before the period's end and not invoiced by then: their ages
    shipments_not_invoiced: Stat = _NO_STAT
    #: the latency with the shipments still waiting counted at their age so far
    shipment_to_invoice_with_waiting: Stat = _NO_STAT
    invoice_accuracy: InvoiceAccuracy = field(default_factory=InvoiceAccuracy)
    disputes: Disputes = field(default_factory=Disputes)
    perfect_order: PerfectOrder = field(default_factory=PerfectOrder)
    cash: CashApplication = field(default_factory=CashApplication)
    #: the dimension of ``groups`` (one of :data:`DIMENSIONS`), ``None`` when not split
    by: str | None = None
    groups: dict[str, KpiReport] = field(default_factory=dict)

    @property
    def period_days(self) -> Fraction:
        return Fraction(micros(self.period_end - self.period_start), _US_PER_DAY)

    def figures(self) -> dict[str, Any]:
        """The KPIs alone, JSON-ready: no period, integration or groups."""
        return {f.name: to_json(getattr(self, f.name)) for f in fields(self) if f.name not in _FRAME}

    def as_dict(self) -> dict[str, Any]:
        period = {
            "start": to_json(self.period_start),
            "end": to_json(self.period_end),
            "days": str(round_half_up(self.period_days, 2)),
        }
        d: dict[str, Any] = {"period": period}
        d.update((f.name, to_json(getattr(self, f.name))) for f in fields(self)
                 if f.name not in ("period_start", "period_end", "by", "groups"))
        if self.by is not None:
            d["by"] = self.by
            d["groups"] = {k: g.figures() for k, g in self.groups.items()}
        return d


# ---------------------------------------------------------------- the pass

#: the dimensions a report can be split by
DIMENSIONS = ("entity", "warehouse", "channel", "customer")
#: the group of what a dimension cannot place (an order never allocated, a payment by channel)
NO_GROUP = "(none)"
_ALL = ""
#: ages of open disputes, in whole days since opened
DISPUTE_AGE_BUCKETS = ("0-30", "31-60", "61-90", "over_90")
#: dispute reasons that say the invoice was wrong (price, quantity, tax, terms, billed twice,
#: or a reason nobody named): they make an invoice not first-pass accurate
CORRECTING_REASONS = frozenset({"pricing", "shortage", "tax", "terms", "duplicate_billing", "other"})
DAMAGE_REASON = "damage"
#: a fulfilment exception whose code contains this (any case) reports damaged goods
DAMAGE_CODE_MARK = "DAMAG"


class _Acc:
    """Everything one group (or the whole report) accumulates."""

    __slots__ = (
        "aging",
        "ar",
        "cash",
        "hold_times",
        "inv_cycle",
        "n",
        "o2c",
        "open_disputes",
        "open_holds",
        "open_orders",
        "release",
        "resolve",
        "rules",
        "ship_inv",
        "ship_wait",
        "sla_n",
        "trig_inv",
    )

    def __init__(self) -> None:
        self.release, self.ship_inv, self.trig_inv = Sample(), Sample(), Sample()
        self.inv_cycle, self.o2c, self.ship_wait, self.resolve = Sample(), Sample(), Sample(), Sample()
        self.hold_times: dict[str, Sample] = {}
        self.open_holds: dict[str, list[datetime]] = {}
        #: per hold code: judged, breached, escalations, resolved, auto_released, open_past_sla
        self.sla_n: dict[str, Counter[str]] = {}
        #: totals and every other count of the group
        self.n: Counter[str] = Counter()
        self.ar: dict[str, _Ar] = {}
        self.aging: dict[str, dict[str, Decimal]] = {}
        #: currency -> bucket -> [count, amount]
        self.open_disputes: dict[str, dict[str, list[Any]]] = {}
        self.rules: Counter[str] = Counter()
        #: currency -> [received, auto-applied, unapplied at end]
        self.cash: dict[str, list[Decimal]] = {}
        self.open_orders = 0

    def cash_of(self, currency: str) -> list[Decimal]:
        c = self.cash.get(currency)
        if c is None:
            c = self.cash[currency] = [Decimal(0), Decimal(0), Decimal(0)]
        return c


@dataclass(slots=True)
class _Order:
    received_at: datetime
    #: the order's group; ``None`` while unknown (by warehouse: until its first allocation)
    key: str | None = None
    entity: str = ""
    requested: date | None = None
    released: bool = False
    invoiced: bool = False
    touched: bool = False
    #: shipment id -> (shipped by the warehouse's clock, POD received, confirmed to o2c,
    #: warehouse), while not invoiced
    shipments: dict[str, tuple[datetime, datetime | None, datetime, str]] = field(default_factory=dict)
    #: facts waiting for the order's group to be known
    pending: list[Callable[[_Acc], None]] = field(default_factory=list)
    # perfect order
    ordered: dict[int, Decimal] = field(default_factory=dict)
    shipped: dict[int, Decimal] = field(default_factory=dict)
    shipment_ids: set[str] = field(default_factory=set)
    delivered_ids: set[str] = field(default_factory=set)
    first_pod_in_period: bool | None = None
    late: bool = False
    damaged: bool = False
    invoices: int = 0
    miscorrected: bool = False


@dataclass(slots=True)
class _Invoice:
    key: str
    order_id: str
    #: issued in the period and not corrected (yet)
    fresh: bool
    #: what aging needs to open it again once settled (a payment taken back from it)
    currency: str = ""
    due_date: date | None = None
    zone: str = "UTC"


@dataclass(slots=True)
class _OpenInvoice:
    currency: str
    due_date: date
    open: Decimal
    zone: str
    key: str


@dataclass(slots=True)
class _Ar:
    begin: Decimal = Decimal(0)
    end: Decimal = Decimal(0)
    sales: Decimal = Decimal(0)


@dataclass(slots=True)
class _Payment:
    key: str
    currency: str
    lines: int
    auto: int = 0
    channel: str = "other"


def is_human(env: ev.Envelope) -> bool:
    """A person acted: the envelope's source is a person, or a person released a hold."""
    if env.source in HUMAN_SOURCES or env.source.startswith(HUMAN_SOURCE_PREFIX):
        return True
    return isinstance(env.payload, ev.HoldReleased) and env.payload.by != ENGINE


class _Pass:
    def __init__(self, start: datetime, end: datetime, zones: Mapping[str, str], by: str | None,
                 customers: Mapping[str, str]) -> None:
        self.start, self.end, self.zones, self.by = start, end, zones, by
        self.total = _Acc()
        self.groups: dict[str, _Acc] = {}
        #: customer -> legal entity, from master data and as the log names it
        self.entity_of: dict[str, str] = dict(customers)
        self.orders: dict[str, _Order] = {}
        #: per open hold: (code, placed, order)
        self.holds: dict[str, tuple[str, datetime, _Order | None]] = {}
        #: per open hold with an SLA: (code, SLA due, placed in the period, order)
        self.slas: dict[str, tuple[str, datetime, bool, _Order | None]] = {}
        self.invoices: dict[str, _OpenInvoice] = {}
        #: every invoice seen: its group, order and whether it is still first-pass
        self.inv: dict[str, _Invoice] = {}
        #: per open dispute: (group, opened, currency, amount)
        self.disputes: dict[str, tuple[str, datetime, str, Decimal]] = {}
        #: payments received in the period
        self.payments: dict[str, _Payment] = {}
        #: per payment with cash on account: (group, currency, amount still unapplied)
        self.unapplied: dict[str, tuple[str, str, Decimal]] = {}

    # -- groups

    def _accs(self, key: str) -> tuple[_Acc, ...]:
        if self.by is None:
            return (self.total,)
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = _Acc()
        return self.total, g

    def _on(self, order: _Order | None, fact: Callable[[_Acc], None]) -> None:
        """Apply ``fact`` to the total and to ``order``'s group, or keep it until the
        group is known."""
        fact(self.total)
        if self.by is None:
            return
        if order is None:
            fact(self._accs(NO_GROUP)[1])
        elif order.key is None:
            order.pending.append(fact)
        else:
            fact(self._accs(order.key)[1])

    def _place(self, order: _Order, key: str) -> None:
        """``order`` belongs to ``key`` from now on; what waited for it lands there."""
        if order.key is not None:
            return
        order.key = key
        if self.by is not None:
            acc = self._accs(key)[1]
            for fact in order.pending:
                fact(acc)
        order.pending.clear()

    def _warehouse(self, order: _Order | None, warehouse_id: str) -> None:
        if order is not None and order.key is None and self.by == "warehouse":
            self._place(order, warehouse_id)

    def _order_key(self, e: ev.OrderReceived) -> str | None:
        match self.by:
            case None:
                return _ALL
            case "entity":
                return e.legal_entity_id
            case "channel":
                return e.channel
            case "customer":
                return e.customer_id
        return None  # warehouse: known at the first allocation

    def _account_key(self, customer_id: str) -> str:
        match self.by:
            case None:
                return _ALL
            case "entity":
                return self.entity_of.get(customer_id, NO_GROUP)
            case "customer":
                return customer_id
        return NO_GROUP  # a payment belongs to an account, not a channel or warehouse

    def _invoice_key(self, e: ev.InvoiceIssued, order: _Order | None) -> str:
        match self.by:
            case None:
                return _ALL
            case "entity":
                return e.legal_entity_id
            case "customer":
                return e.customer_id
            case "warehouse" if order is not None:
                for sid in e.shipment_ids:
                    if sid in order.shipments:
                        return order.shipments[sid][3]
        return order.key or NO_GROUP if order is not None else NO_GROUP

    def _shipment_key(self, order: _Order | None, warehouse_id: str) -> str:
        if self.by == "warehouse":
            return warehouse_id
        if order is None:
            return _ALL if self.by is None else NO_GROUP
        return order.key or NO_GROUP

    def _key_of_invoice(self, invoice_id: str, customer_id: str) -> str:
        inv = self.inv.get(invoice_id)
        return inv.key if inv is not None else self._account_key(customer_id)

    # -- the events

    def add(self, env: ev.Envelope) -> None:
        at = env.occurred_at
        if at >= self.end:
            return
        e, order = env.payload, self.orders.get(env.correlation_id)
        if order is not None and not order.invoiced and (is_human(env) or isinstance(e, ev.HoldPlaced)):
            order.touched = True
        handle = _HANDLERS.get(type(e))
        if handle is not None:
            handle(self, env, e, order, at, at >= self.start)

    # One method per event type read (:data:`_HANDLERS`): ``e`` is ``env.payload``,
    # ``order`` the open order of ``env``'s correlation id, ``inp`` whether ``at`` is in
    # the period.

    def _order_received(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                        inp: bool) -> None:
        order = _Order(received_at=at, entity=e.legal_entity_id, requested=e.requested_date,
                       ordered={ln.line_no: ln.quantity for ln in e.lines})
        self.orders[env.correlation_id] = order
        self.entity_of[e.customer_id] = e.legal_entity_id
        key = self._order_key(e)
        if key is not None:
            self._place(order, key)
        if inp:
            self._on(order, _count("orders_received"))

    def _order_validated(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                         inp: bool) -> None:
        if order is not None:
            order.ordered = {ln.line_no: ln.base_quantity for ln in e.lines}

    def _order_changed(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                       inp: bool) -> None:
        if order is not None and e.requested_date is not None:
            order.requested = e.requested_date

    def _customer_changed(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                          inp: bool) -> None:
        self.entity_of[e.customer.customer_id] = e.customer.legal_entity_id

    def _hold_placed(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                     inp: bool) -> None:
        self.holds[e.hold_id] = (e.code.value, at, order)
        if e.sla_due_at is not None:
            self.slas[e.hold_id] = (e.code.value, e.sla_due_at, inp, order)

    def _hold_released(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                       inp: bool) -> None:
        placed = self.holds.pop(e.hold_id, None)
        if placed is not None and inp:
            self._on(order, _hold_time(placed[0], micros(at - placed[1])))
        self._sla_resolved(e, at, inp, order)

    def _hold_escalated(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                        inp: bool) -> None:
        if inp:
            self._on(order, _sla_count(e.code.value, "escalations"))

    def _stock_allocated(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                         inp: bool) -> None:
        if order is not None and e.allocations:
            self._warehouse(order, e.allocations[0].warehouse_id)

    def _order_released(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                        inp: bool) -> None:
        if order is None:
            return
        if e.warehouses:
            self._warehouse(order, e.warehouses[0])
        if not order.released:
            order.released = True
            if inp:
                self._on(order, _released(micros(at - order.received_at)))

    def _shipment_confirmed(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                            inp: bool) -> None:
        self._warehouse(order, e.warehouse_id)
        if inp:
            for acc in self._accs(self._shipment_key(order, e.warehouse_id)):
                acc.n["shipments"] += 1
        if order is not None:
            order.shipments[e.shipment_id] = (e.shipped_at or at, None, at, e.warehouse_id)
            order.shipment_ids.add(e.shipment_id)
            for ln in e.lines:
                order.shipped[ln.line_no] = order.shipped.get(ln.line_no, Decimal(0)) + ln.quantity

    def _fulfilment_exception(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                              inp: bool) -> None:
        if order is not None and DAMAGE_CODE_MARK in e.code.upper():
            order.damaged = True

    def _invoice_issued(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                        inp: bool) -> None:
        self.entity_of.setdefault(e.customer_id, e.legal_entity_id)
        key = self._invoice_key(e, order)
        self.inv[e.invoice_id] = _Invoice(key, e.order_id, inp, e.total.currency, e.due_date,
                                          self.zones.get(e.legal_entity_id, "UTC"))
        self._receivables(e, at, key)
        if inp:
            for acc in self._accs(key):
                acc.n["invoices_issued"] += 1
        for order_id in e.order_ids:  # a consolidated invoice bills several orders
            billed = order if order_id == env.correlation_id else self.orders.get(order_id)
            if billed is not None:
                billed.invoices += 1
                self._invoiced(billed, order_id, e, at, inp)

    def _payment_received(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                          inp: bool) -> None:
        if not inp:
            return
        pay = _Payment(self._account_key(e.customer_id), e.amount.currency, max(1, len(e.references)),
                       channel=payment_channel(e.payment_id, env.source))
        self.payments[e.payment_id] = pay
        for acc in self._accs(pay.key):
            acc.n["remittance_lines"] += pay.lines
            acc.n[f"channel:{pay.channel}:payments"] += 1
            acc.n[f"channel:{pay.channel}:remittance_lines"] += pay.lines
            acc.cash_of(pay.currency)[0] += e.amount.amount

    def _payment_applied(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                         inp: bool) -> None:
        key = self._key_of_invoice(e.invoice_id, e.customer_id)
        self._receivables(e, at, key)
        self._applied(env, e, key, inp)

    def _cash_unapplied(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                        inp: bool) -> None:
        was = self.unapplied.get(e.payment_id)
        left = e.amount.amount + (was[2] if was is not None else Decimal(0))
        self.unapplied[e.payment_id] = (self._account_key(e.customer_id), e.amount.currency, left)

    def _payment_unapplied(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                           inp: bool) -> None:
        """A person took cash back from an invoice: the invoice is open again for it (in
        aging too) and the cash waits on the payment."""
        key = self._key_of_invoice(e.invoice_id, e.customer_id)
        self._receivables(e, at, key)
        was = self.unapplied.get(e.payment_id)
        self.unapplied[e.payment_id] = (self._account_key(e.customer_id), e.amount.currency,
                                        e.amount.amount + (was[2] if was is not None else Decimal(0)))

    def _payer_identified(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                          inp: bool) -> None:
        """The cash of an unidentified payment is now the named account's."""
        was = self.unapplied.get(e.payment_id)
        if was is not None:
            self.unapplied[e.payment_id] = (self._account_key(e.customer_id), was[1], was[2])

    def _credit_memo(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                     inp: bool) -> None:
        self._receivables(e, at, self._key_of_invoice(e.invoice_id, e.customer_id))
        self._corrected(e.invoice_id, e.order_id)

    def _written_off(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                     inp: bool) -> None:
        """A write-off leaves AR like a credit memo; it does not say the invoice was wrong."""
        self._receivables(e, at, self._key_of_invoice(e.invoice_id, e.customer_id))

    def _dispute_resolved(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                          inp: bool) -> None:
        opened = self.disputes.pop(e.dispute_id, None)
        if opened is not None and inp:
            for acc in self._accs(opened[0]):
                acc.n["disputes_resolved"] += 1
                acc.resolve.add(micros(at - opened[1]))

    def _order_closed(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                      inp: bool) -> None:
        if order is None:
            return
        del self.orders[env.correlation_id]
        if inp:
            self._on(order, _closed(micros(at - order.received_at)))
        self._judge(order)
        self._drop(order)

    def _order_rejected(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                        inp: bool) -> None:
        if order is None:
            return
        del self.orders[env.correlation_id]
        if inp:
            self._on(order, _count("orders_rejected"))
        self._drop(order)

    def _drop(self, order: _Order) -> None:
        """An order that ends without a group lands in :data:`NO_GROUP`."""
        if order.key is None:
            self._place(order, NO_GROUP)

    def _delivered(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                   inp: bool) -> None:
        if order is None:
            return
        if e.shipment_id in order.shipments:
            shipped, _, confirmed, wh = order.shipments[e.shipment_id]
            order.shipments[e.shipment_id] = (shipped, at, confirmed, wh)
        if order.first_pod_in_period is None:
            order.first_pod_in_period = inp
        order.delivered_ids.add(e.shipment_id)
        zone = self.zones.get(order.entity, "UTC")
        if order.requested is not None and business_date(e.delivered_at, zone) > order.requested:
            order.late = True

    def _judge(self, order: _Order) -> None:
        """Perfect-order parts of an order first delivered in the period, as of now."""
        if not order.first_pod_in_period:
            return
        complete = order.shipment_ids <= order.delivered_ids and all(
            order.shipped.get(line, Decimal(0)) >= qty for line, qty in order.ordered.items())
        parts = {"delivered": True, "on_time": not order.late, "complete": complete,
                 "undamaged": not order.damaged,
                 "invoiced_right": order.invoices > 0 and not order.miscorrected}
        parts["perfect"] = all(parts.values())
        self._on(order, _perfect(tuple(k for k, ok in parts.items() if ok)))

    def _corrected(self, invoice_id: str, order_id: str | None = None) -> None:
        inv = self.inv.get(invoice_id)
        if inv is not None:
            order_id = inv.order_id
            if inv.fresh:
                inv.fresh = False
                for acc in self._accs(inv.key):
                    acc.n["invoices_corrected"] += 1
        order = self.orders.get(order_id) if order_id else None
        if order is not None:
            order.miscorrected = True

    def _dispute_opened(self, env: ev.Envelope, e: Any, order: _Order | None, at: datetime,
                        inp: bool) -> None:
        key = self._key_of_invoice(e.invoice_id, e.customer_id)
        self.disputes[e.dispute_id] = (key, at, e.amount.currency, e.amount.amount)
        if inp:
            for acc in self._accs(key):
                acc.n["disputes_opened"] += 1
        if e.reason_code in CORRECTING_REASONS:
            self._corrected(e.invoice_id)
        elif e.reason_code == DAMAGE_REASON and (inv := self.inv.get(e.invoice_id)) is not None:
            order = self.orders.get(inv.order_id)
            if order is not None:
                order.damaged = True

    def _applied(self, env: ev.Envelope, e: ev.PaymentApplied, key: str, inp: bool) -> None:
        human = is_human(env)
        if inp:
            for acc in self._accs(key):
                acc.n["payments_applied"] += 1
                acc.n["applied_by_person"] += human
                acc.rules[e.decision.rule] += 1
        pay = self.payments.get(e.payment_id)
        if pay is not None and not human:
            pay.auto += 1
            for acc in self._accs(pay.key):
                acc.cash_of(e.amount.currency)[1] += e.amount.amount
        was = self.unapplied.get(e.payment_id)
        if was is not None:  # cash on account applied later
            left = was[2] - e.amount.amount
            if left > 0:
                self.unapplied[e.payment_id] = (was[0], was[1], left)
            else:
                del self.unapplied[e.payment_id]

    def _sla_resolved(self, e: ev.HoldReleased, at: datetime, inp: bool, order: _Order | None) -> None:
        code = e.code.value
        self._on(order, _sla_count(code, None))  # the code shows, even with nothing in the period
        if inp:
            self._on(order, _sla_count(code, "resolved"))
            if e.by == ENGINE and e.action != "reject":
                self._on(order, _sla_count(code, "auto_released"))
        sla = self.slas.pop(e.hold_id, None)
        if sla is not None and sla[2]:
            self._on(order, _sla_count(code, "judged"))
            if at > sla[1]:
                self._on(order, _sla_count(code, "breached"))

    def _invoiced(self, order: _Order, order_id: str, e: ev.InvoiceIssued, at: datetime, inp: bool) -> None:
        for sid in e.shipments_of(order_id):
            shipped = order.shipments.pop(sid, None)  # invoiced: no longer an open item
            if shipped is None or not inp:
                continue
            trigger = {BillingTrigger.ON_SHIP.value: shipped[2], BillingTrigger.ON_POD.value: shipped[1]}.get(
                e.trigger
            )
            for acc in self._accs(self._shipment_key(order, shipped[3])):
                acc.ship_inv.add(micros(at - shipped[0]))
                if trigger is not None:
                    acc.trig_inv.add(micros(at - trigger))
        if order.invoiced:
            return
        order.invoiced = True
        if inp:
            self._on(order, _first_invoice(micros(at - order.received_at), order.touched))

    def _receivables(self, e: ev.Event, at: datetime, key: str) -> None:
        match e:
            case ev.InvoiceIssued():
                cur, delta, settles = e.total.currency, e.total.amount, None
                zone = self.zones.get(e.legal_entity_id, "UTC")
                if delta > 0:
                    self.invoices[e.invoice_id] = _OpenInvoice(cur, e.due_date, delta, zone, key)
                if self.start <= start_of_day(e.invoice_date, zone) < self.end:
                    for acc in self._accs(key):
                        _ar(acc, cur).sales += delta
            case ev.PaymentApplied():
                cur, delta = e.amount.currency, -(e.amount.amount + e.discount.amount)
                settles = e.invoice_id
            case ev.CreditMemoIssued() | ev.ReceivableWrittenOff():
                cur, delta, settles = e.amount.currency, -e.amount.amount, e.invoice_id
            case ev.PaymentUnapplied():
                cur, delta = e.amount.currency, e.amount.amount + e.discount.amount
                settles = e.invoice_id
                meta = self.inv.get(e.invoice_id)
                if e.invoice_id not in self.invoices and meta is not None and meta.due_date is not None:
                    self.invoices[e.invoice_id] = _OpenInvoice(cur, meta.due_date, Decimal(0), meta.zone,
                                                               meta.key)
            case _:
                return
        for acc in self._accs(key):
            ar = _ar(acc, cur)
            ar.end += delta
            if at < self.start:
                ar.begin += delta
        inv = self.invoices.get(settles) if settles is not None else None
        if inv is not None:
            inv.open += delta
            if inv.open <= 0:  # settled: drop it, so memory follows open items only
                del self.invoices[settles]  # type: ignore[arg-type]

    # -- the end of the period

    def finish(self) -> None:
        """Figures taken at the period's end: what is still open, waiting or unapplied."""
        end = self.end
        for order in self.orders.values():
            self._judge(order)
            self._drop(order)
            for acc in self._accs(order.key or NO_GROUP):
                acc.open_orders += 1
            for shipped, _, _, wh in order.shipments.values():
                for acc in self._accs(self._shipment_key(order, wh)):
                    acc.ship_wait.add(micros(end - shipped))
        for code, placed, held in self.holds.values():
            for acc in self._accs(self._group_of(held)):
                acc.open_holds.setdefault(code, []).append(placed)
        for code, due, placed_in, held in self.slas.values():  # still open at the end
            if due < end:
                for acc in self._accs(self._group_of(held)):
                    n = acc.sla_n.setdefault(code, Counter())
                    n["open_past_sla"] += 1
                    if placed_in:
                        n["judged"] += 1
                        n["breached"] += 1
        last = end - _US
        as_of = {z: business_date(last, z) for z in {inv.zone for inv in self.invoices.values()}}
        for inv in self.invoices.values():
            bucket = _bucket((as_of[inv.zone] - inv.due_date).days)
            for acc in self._accs(inv.key):
                aging = acc.aging.setdefault(inv.currency, dict.fromkeys(AGING_BUCKETS, Decimal(0)))
                aging[bucket] += inv.open
        for key, opened, cur, amount in self.disputes.values():
            bucket = _dispute_bucket((end - opened) // timedelta(days=1))
            for acc in self._accs(key):
                buckets = acc.open_disputes.setdefault(cur, {b: [0, Decimal(0)] for b in DISPUTE_AGE_BUCKETS})
                buckets[bucket][0] += 1
                buckets[bucket][1] += amount
        for pay in self.payments.values():
            for acc in self._accs(pay.key):
                acc.n["auto_matched_lines"] += min(pay.auto, pay.lines)
                acc.n[f"channel:{pay.channel}:auto_matched_lines"] += min(pay.auto, pay.lines)
        for pid, (key, cur, left) in self.unapplied.items():
            waiting = self.payments.get(pid)  # received in the period, else counted in no channel
            for acc in self._accs(key):
                acc.cash_of(cur)[2] += left
                acc.n["unapplied_payments:" + cur] += 1
                if waiting is not None:
                    acc.n[f"channel:{waiting.channel}:left_for_a_person"] += 1

    def _group_of(self, order: _Order | None) -> str:
        if self.by is None:
            return _ALL
        return order.key or NO_GROUP if order is not None else NO_GROUP

    def report(self, acc: _Acc, inbound: Mapping[str, int], dead: Mapping[str, int]) -> KpiReport:
        end = self.end
        n = acc.n
        return KpiReport(
            period_start=self.start,
            period_end=end,
            order_release=_stat(acc.release),
            hold_resolution={c: _stat(acc.hold_times[c]) for c in sorted(acc.hold_times)},
            open_holds={
                c: OpenHolds(count=len(ts), oldest_age_hours=hours(end - min(ts)))
                for c, ts in sorted(acc.open_holds.items())
            },
            shipment_to_invoice=_stat(acc.ship_inv),
            shipments_not_invoiced=_stat(acc.ship_wait),
            shipment_to_invoice_with_waiting=_stat(_merged(acc.ship_inv, acc.ship_wait)),
            trigger_to_invoice=_stat(acc.trig_inv),
            invoice_cycle=_stat(acc.inv_cycle),
            order_to_cash=_stat(acc.o2c),
            touchless=Touchless(
                invoiced_orders=n["invoiced_orders"],
                touchless_orders=n["touchless_orders"],
                rate_percent=_percent(n["touchless_orders"], n["invoiced_orders"], 1),
            ),
            receivables=self._receivables_of(acc),
            integration={
                s: IntegrationHealth(
                    inbound=inbound.get(s, 0),
                    dead_lettered=dead.get(s, 0),
                    failure_rate_percent=_percent(dead.get(s, 0), inbound.get(s, 0), 2),
                )
                for s in sorted({*inbound, *dead})
            },
            totals=Totals(**{f.name: n[f.name] for f in fields(Totals) if f.name != "open_orders_at_end"},
                          open_orders_at_end=acc.open_orders),
            hold_sla={
                code: HoldSla(judged=c["judged"], breached=c["breached"],
                              breach_rate_percent=_percent(c["breached"], c["judged"], 1),
                              escalations=c["escalations"], resolved=c["resolved"],
                              auto_released=c["auto_released"],
                              auto_release_rate_percent=_percent(c["auto_released"], c["resolved"], 1),
                              open_past_sla=c["open_past_sla"])
                for code, c in sorted(acc.sla_n.items())
            },
            invoice_accuracy=InvoiceAccuracy(
                issued=n["invoices_issued"], corrected=n["invoices_corrected"],
                first_pass_percent=_percent(n["invoices_issued"] - n["invoices_corrected"],
                                            n["invoices_issued"], 1)),
            disputes=Disputes(
                opened=n["disputes_opened"], resolved=n["disputes_resolved"],
                days_to_resolve=_day_stat(acc.resolve),
                open={cur: {b: OpenDisputes(count=c, amount=a.quantize(quantum(cur)))
                            for b, (c, a) in buckets.items()}
                      for cur, buckets in sorted(acc.open_disputes.items())}),
            perfect_order=PerfectOrder(
                delivered=n["delivered"], on_time=n["on_time"], complete=n["complete"],
                undamaged=n["undamaged"], invoiced_right=n["invoiced_right"], perfect=n["perfect"],
                rate_percent=_percent(n["perfect"], n["delivered"], 1),
                on_time_percent=_percent(n["on_time"], n["delivered"], 1),
                complete_percent=_percent(n["complete"], n["delivered"], 1),
                undamaged_percent=_percent(n["undamaged"], n["delivered"], 1),
                invoiced_right_percent=_percent(n["invoiced_right"], n["delivered"], 1)),
            cash=CashApplication(
                remittance_lines=n["remittance_lines"], auto_matched_lines=n["auto_matched_lines"],
                auto_match_rate_percent=_percent(n["auto_matched_lines"], n["remittance_lines"], 1),
                applied=n["payments_applied"], applied_by_person=n["applied_by_person"],
                applied_by_rule=dict(sorted(acc.rules.items())),
                amounts={cur: CashAmounts(
                    received=r.quantize(quantum(cur)), auto_applied=a.quantize(quantum(cur)),
                    auto_amount_share_percent=_percent(a, r, 1), unapplied=u.quantize(quantum(cur)),
                    unapplied_payments=n["unapplied_payments:" + cur])
                    for cur, (r, a, u) in sorted(acc.cash.items())},
                by_channel=_channels(n)),
        )

    def _receivables_of(self, acc: _Acc) -> dict[str, Receivables]:
        days = Fraction(micros(self.end - self.start), _US_PER_DAY)
        out = {}
        for cur in sorted(acc.ar):
            ar, q = acc.ar[cur], quantum(cur)
            aging = acc.aging.get(cur) or dict.fromkeys(AGING_BUCKETS, Decimal(0))
            current = aging["current"]
            dso = None if ar.sales == 0 else round_half_up(Fraction(ar.end) / Fraction(ar.sales) * days, 2)
            collected, collectible = ar.begin + ar.sales - ar.end, ar.begin + ar.sales - current
            out[cur] = Receivables(
                currency=cur,
                beginning_ar=ar.begin.quantize(q),
                credit_sales=ar.sales.quantize(q),
                ending_ar=ar.end.quantize(q),
                ending_current_ar=current.quantize(q),
                dso_days=dso,
                cei_percent=_percent(collected, collectible, 1),
                aging={k: v.quantize(q) for k, v in aging.items()},
            )
        return out


_Handler = Callable[[_Pass, ev.Envelope, Any, "_Order | None", datetime, bool], None]
#: the events the pass reads, by type (a dictionary look-up, not a test per type)
_HANDLERS: dict[type, _Handler] = {
    ev.OrderReceived: _Pass._order_received,
    ev.OrderValidated: _Pass._order_validated,
    ev.OrderChanged: _Pass._order_changed,
    ev.CustomerChanged: _Pass._customer_changed,
    ev.HoldPlaced: _Pass._hold_placed,
    ev.HoldReleased: _Pass._hold_released,
    ev.HoldEscalated: _Pass._hold_escalated,
    ev.StockAllocated: _Pass._stock_allocated,
    ev.OrderReleased: _Pass._order_released,
    ev.ShipmentConfirmed: _Pass._shipment_confirmed,
    ev.ProofOfDeliveryReceived: _Pass._delivered,
    ev.FulfilmentExceptionReported: _Pass._fulfilment_exception,
    ev.InvoiceIssued: _Pass._invoice_issued,
    ev.PaymentReceived: _Pass._payment_received,
    ev.PaymentApplied: _Pass._payment_applied,
    ev.CashUnapplied: _Pass._cash_unapplied,
    ev.PaymentUnapplied: _Pass._payment_unapplied,
    ev.PayerIdentified: _Pass._payer_identified,
    ev.CreditMemoIssued: _Pass._credit_memo,
    ev.ReceivableWrittenOff: _Pass._written_off,
    ev.DisputeOpened: _Pass._dispute_opened,
    ev.DisputeResolved: _Pass._dispute_resolved,
    ev.OrderClosed: _Pass._order_closed,
    ev.OrderRejected: _Pass._order_rejected,
}


# ---------------------------------------------------------------- facts


def _ar(acc: _Acc, currency: str) -> _Ar:
    ar = acc.ar.get(currency)
    if ar is None:
        ar = acc.ar[currency] = _Ar()
    return ar


def _count(name: str) -> Callable[[_Acc], None]:
    def fact(acc: _Acc) -> None:
        acc.n[name] += 1
    return fact


def _hold_time(code: str, us: int) -> Callable[[_Acc], None]:
    def fact(acc: _Acc) -> None:
        s = acc.hold_times.get(code)
        if s is None:
            s = acc.hold_times[code] = Sample()
        s.add(us)
    return fact


def _sla_count(code: str, name: str | None) -> Callable[[_Acc], None]:
    """One more ``name`` for ``code`` (``None``: the code is known to the group, no count)."""
    def fact(acc: _Acc) -> None:
        c = acc.sla_n.setdefault(code, Counter())
        if name is not None:
            c[name] += 1
    return fact


def _released(us: int) -> Callable[[_Acc], None]:
    def fact(acc: _Acc) -> None:
        acc.release.add(us)
        acc.n["orders_released"] += 1
    return fact


def _first_invoice(us: int, touched: bool) -> Callable[[_Acc], None]:
    def fact(acc: _Acc) -> None:
        acc.inv_cycle.add(us)
        acc.n["invoiced_orders"] += 1
        acc.n["touchless_orders"] += not touched
    return fact


def _closed(us: int) -> Callable[[_Acc], None]:
    def fact(acc: _Acc) -> None:
        acc.o2c.add(us)
        acc.n["orders_closed"] += 1
    return fact


def _perfect(parts: tuple[str, ...]) -> Callable[[_Acc], None]:
    def fact(acc: _Acc) -> None:
        for p in parts:
            acc.n[p] += 1
    return fact


def _merged(*samples: Sample) -> Sample:
    out = Sample()
    for s in samples:
        out.counts.update(s.counts)
        out.n += s.n
    return out


def _day_stat(s: Sample) -> DayStat:
    if s.n == 0:
        return DayStat()
    total = sum(v * c for v, c in s.counts.items())
    return DayStat(
        count=s.n,
        mean_days=round_half_up(Fraction(total, s.n * _US_PER_DAY), 2),
        median_days=round_half_up(s.median() / _US_PER_DAY, 2),
        p90_days=round_half_up(Fraction(s.nearest_rank(90), _US_PER_DAY), 2),
    )


def _dispute_bucket(age_days: int) -> str:
    if age_days <= 30:
        return "0-30"
    if age_days <= 60:
        return "31-60"
    return "61-90" if age_days <= 90 else "over_90"


def compute_kpis(
    envelopes: Iterable[ev.Envelope],
    *,
    period_start: datetime,
    period_end: datetime,
    inbound: Mapping[str, int] | None = None,
    dead_lettered: Mapping[str, int] | None = None,
    zones: Mapping[str, str] | None = None,
    by: str | None = None,
    customers: Mapping[str, str] | None = None,
) -> KpiReport:
    """The KPIs of ``[period_start, period_end)`` from envelopes in log order,
    read once (a generator over the whole log is fine); ``zones`` maps a legal
    entity to the IANA zone of its business dates (UTC if not named). With ``by``
    (one of :data:`DIMENSIONS`) the report also holds every KPI per group of that
    dimension; ``customers`` maps a customer to its legal entity (master data), for
    cash of a customer the log has not tied to an entity by an order or invoice."""
    if period_start.utcoffset() is None or period_end.utcoffset() is None:
        raise ValueError("period_start and period_end must be timezone-aware")
    if period_end <= period_start:
        raise ValueError(f"the period is empty: {period_start} .. {period_end}")
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"cannot split KPIs by {by!r}: choose one of {', '.join(DIMENSIONS)}")
    p = _Pass(period_start, period_end, zones or {}, by, customers or {})
    for env in envelopes:
        p.add(env)
    p.finish()
    inbound, dead_lettered = inbound or {}, dead_lettered or {}
    report = p.report(p.total, inbound, dead_lettered)
    if by is None:
        return report
    groups = {k: p.report(acc, {}, {}) for k, acc in sorted(p.groups.items())}
    return replace(report, by=by, groups=groups)
