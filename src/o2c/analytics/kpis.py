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

Memory: state is kept per open order, open hold, uninvoiced shipment and open
invoice, and is dropped when they close. Exact percentiles need every measured
duration of the period; they are kept as counts per distinct value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from o2c.domain import events as ev
from o2c.domain.business_time import business_date, start_of_day
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
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "over_90")


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
        self.counts[value] += 1
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
class KpiReport(_Json):
    """The KPIs of one period; the module docstring defines each of them.

    ``as_dict()`` keys: ``period`` (``start``, ``end``, ``days``), then one key per
    field below (``period_start``/``period_end`` are folded into ``period``).
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
    shipments_not_invoiced: Stat = field(
        default_factory=lambda: Stat(count=0, median_hours=None, p90_hours=None))

    @property
    def period_days(self) -> Fraction:
        return Fraction(micros(self.period_end - self.period_start), _US_PER_DAY)

    def as_dict(self) -> dict[str, Any]:
        d = to_json(self)
        period = {
            "start": d.pop("period_start"),
            "end": d.pop("period_end"),
            "days": str(round_half_up(self.period_days, 2)),
        }
        return {"period": period, **d}


# ---------------------------------------------------------------- the pass


@dataclass(slots=True)
class _Order:
    received_at: datetime
    released: bool = False
    invoiced: bool = False
    touched: bool = False
    #: shipment id -> (shipped by the warehouse's clock, POD received, confirmed to o2c)
    shipments: dict[str, tuple[datetime, datetime | None, datetime]] = field(default_factory=dict)


@dataclass(slots=True)
class _OpenInvoice:
    currency: str
    due_date: date
    open: Decimal
    zone: str


@dataclass(slots=True)
class _Ar:
    begin: Decimal = Decimal(0)
    end: Decimal = Decimal(0)
    sales: Decimal = Decimal(0)


def is_human(env: ev.Envelope) -> bool:
    """A person acted: the envelope's source is a person, or a person released a hold."""
    if env.source in HUMAN_SOURCES or env.source.startswith(HUMAN_SOURCE_PREFIX):
        return True
    return isinstance(env.payload, ev.HoldReleased) and env.payload.by != ENGINE


class _Pass:
    def __init__(self, start: datetime, end: datetime, zones: Mapping[str, str]) -> None:
        self.start, self.end, self.zones = start, end, zones
        self.orders: dict[str, _Order] = {}
        self.holds: dict[str, tuple[str, datetime]] = {}
        #: per open hold with an SLA: (code, SLA due, placed in the period)
        self.slas: dict[str, tuple[str, datetime, bool]] = {}
        #: per code: judged, breached, escalations, resolved, auto_released
        self.sla_n: dict[str, Counter[str]] = {}
        self.invoices: dict[str, _OpenInvoice] = {}
        self.ar: dict[str, _Ar] = {}
        self.release, self.ship_inv, self.trig_inv = Sample(), Sample(), Sample()
        self.inv_cycle, self.o2c = Sample(), Sample()
        self.hold_times: dict[str, Sample] = {}
        self.invoiced_orders = self.touchless_orders = 0
        self.n: Counter[str] = Counter()

    def add(self, env: ev.Envelope) -> None:
        at = env.occurred_at
        if at >= self.end:
            return
        inp = at >= self.start
        e, order = env.payload, self.orders.get(env.correlation_id)
        self._receivables(e, at)
        if order is not None and not order.invoiced and (is_human(env) or isinstance(e, ev.HoldPlaced)):
            order.touched = True
        match e:
            case ev.OrderReceived():
                self.orders[env.correlation_id] = _Order(received_at=at)
                self.n["orders_received"] += inp
            case ev.HoldPlaced():
                self.holds[e.hold_id] = (e.code.value, at)
                if e.sla_due_at is not None:
                    self.slas[e.hold_id] = (e.code.value, e.sla_due_at, inp)
            case ev.HoldReleased():
                placed = self.holds.pop(e.hold_id, None)
                if placed is not None and inp:
                    self.hold_times.setdefault(placed[0], Sample()).add(micros(at - placed[1]))
                self._sla_resolved(e, at, inp)
            case ev.HoldEscalated() if inp:
                self.sla_n.setdefault(e.code.value, Counter())["escalations"] += 1
            case ev.OrderReleased() if order is not None and not order.released:
                order.released = True
                if inp:
                    self.release.add(micros(at - order.received_at))
                    self.n["orders_released"] += 1
            case ev.ShipmentConfirmed():
                self.n["shipments"] += inp
                if order is not None:
                    order.shipments[e.shipment_id] = (e.shipped_at or at, None, at)
            case ev.ProofOfDeliveryReceived() if order is not None:
                if e.shipment_id in order.shipments:
                    shipped, _, confirmed = order.shipments[e.shipment_id]
                    order.shipments[e.shipment_id] = (shipped, at, confirmed)
            case ev.InvoiceIssued():
                self.n["invoices_issued"] += inp
                for order_id in e.order_ids:  # a consolidated invoice bills several orders
                    billed = self.orders.get(order_id)
                    if billed is not None:
                        self._invoiced(billed, order_id, e, at, inp)
            case ev.PaymentApplied():
                self.n["payments_applied"] += inp
            case ev.OrderClosed() if order is not None:
                del self.orders[env.correlation_id]
                self.n["orders_closed"] += inp
                if inp:
                    self.o2c.add(micros(at - order.received_at))
            case ev.OrderRejected() if order is not None:
                del self.orders[env.correlation_id]
                self.n["orders_rejected"] += inp
            case _:
                pass

    def _sla_resolved(self, e: ev.HoldReleased, at: datetime, inp: bool) -> None:
        n = self.sla_n.setdefault(e.code.value, Counter())
        if inp:
            n["resolved"] += 1
            n["auto_released"] += e.by == ENGINE and e.action != "reject"
        sla = self.slas.pop(e.hold_id, None)
        if sla is not None and sla[2]:
            n["judged"] += 1
            n["breached"] += at > sla[1]

    def hold_sla(self) -> dict[str, HoldSla]:
        for code, due, placed_in in self.slas.values():  # still open at the end
            if due < self.end:
                n = self.sla_n.setdefault(code, Counter())
                n["open_past_sla"] += 1
                if placed_in:
                    n["judged"] += 1
                    n["breached"] += 1
        return {
            code: HoldSla(judged=n["judged"], breached=n["breached"],
                          breach_rate_percent=_percent(n["breached"], n["judged"], 1),
                          escalations=n["escalations"], resolved=n["resolved"],
                          auto_released=n["auto_released"],
                          auto_release_rate_percent=_percent(n["auto_released"], n["resolved"], 1),
                          open_past_sla=n["open_past_sla"])
            for code, n in sorted(self.sla_n.items())
        }

    def _invoiced(self, order: _Order, order_id: str, e: ev.InvoiceIssued, at: datetime, inp: bool) -> None:
        for sid in e.shipments_of(order_id):
            shipped = order.shipments.pop(sid, None)  # invoiced: no longer an open item
            if shipped is None or not inp:
                continue
            self.ship_inv.add(micros(at - shipped[0]))
            trigger = {BillingTrigger.ON_SHIP.value: shipped[2], BillingTrigger.ON_POD.value: shipped[1]}.get(
                e.trigger
            )
            if trigger is not None:
                self.trig_inv.add(micros(at - trigger))
        if order.invoiced:
            return
        order.invoiced = True
        if inp:
            self.inv_cycle.add(micros(at - order.received_at))
            self.invoiced_orders += 1
            self.touchless_orders += not order.touched

    def _receivables(self, e: ev.Event, at: datetime) -> None:
        match e:
            case ev.InvoiceIssued():
                cur, delta, settles = e.total.currency, e.total.amount, None
                zone = self.zones.get(e.legal_entity_id, "UTC")
                if delta > 0:
                    self.invoices[e.invoice_id] = _OpenInvoice(cur, e.due_date, delta, zone)
                if self.start <= start_of_day(e.invoice_date, zone) < self.end:
                    self.ar.setdefault(cur, _Ar()).sales += delta
            case ev.PaymentApplied():
                cur, delta = e.amount.currency, -(e.amount.amount + e.discount.amount)
                settles = e.invoice_id
            case ev.CreditMemoIssued():
                cur, delta, settles = e.amount.currency, -e.amount.amount, e.invoice_id
            case _:
                return
        ar = self.ar.setdefault(cur, _Ar())
        ar.end += delta
        if at < self.start:
            ar.begin += delta
        inv = self.invoices.get(settles) if settles is not None else None
        if inv is not None:
            inv.open += delta
            if inv.open <= 0:  # settled: drop it, so memory follows open items only
                del self.invoices[settles]  # type: ignore[arg-type]

    def receivables(self) -> dict[str, Receivables]:
        last = self.end - _US
        as_of = {z: business_date(last, z) for z in {inv.zone for inv in self.invoices.values()}}
        aging: dict[str, dict[str, Decimal]] = {c: dict.fromkeys(AGING_BUCKETS, Decimal(0)) for c in self.ar}
        for inv in self.invoices.values():
            aging[inv.currency][_bucket((as_of[inv.zone] - inv.due_date).days)] += inv.open
        days = Fraction(micros(self.end - self.start), _US_PER_DAY)
        out = {}
        for cur in sorted(self.ar):
            ar, q = self.ar[cur], quantum(cur)
            current = aging[cur]["current"]
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
                aging={k: v.quantize(q) for k, v in aging[cur].items()},
            )
        return out


def _bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    return "61-90" if days_past_due <= 90 else "over_90"


def compute_kpis(
    envelopes: Iterable[ev.Envelope],
    *,
    period_start: datetime,
    period_end: datetime,
    inbound: Mapping[str, int] | None = None,
    dead_lettered: Mapping[str, int] | None = None,
    zones: Mapping[str, str] | None = None,
) -> KpiReport:
    """The KPIs of ``[period_start, period_end)`` from envelopes in log order,
    read once (a generator over the whole log is fine); ``zones`` maps a legal
    entity to the IANA zone of its business dates (UTC if not named)."""
    if period_start.utcoffset() is None or period_end.utcoffset() is None:
        raise ValueError("period_start and period_end must be timezone-aware")
    if period_end <= period_start:
        raise ValueError(f"the period is empty: {period_start} .. {period_end}")
    p = _Pass(period_start, period_end, zones or {})
    for env in envelopes:
        p.add(env)
    open_holds: dict[str, list[datetime]] = {}
    for code, placed in p.holds.values():
        open_holds.setdefault(code, []).append(placed)
    inbound, dead_lettered = inbound or {}, dead_lettered or {}
    return KpiReport(
        period_start=period_start,
        period_end=period_end,
        order_release=_stat(p.release),
        hold_resolution={c: _stat(p.hold_times[c]) for c in sorted(p.hold_times)},
        open_holds={
            c: OpenHolds(count=len(ts), oldest_age_hours=hours(period_end - min(ts)))
            for c, ts in sorted(open_holds.items())
        },
        shipment_to_invoice=_stat(p.ship_inv),
        shipments_not_invoiced=_stat(Sample(micros(period_end - shipped[0])
                                            for o in p.orders.values() for shipped in o.shipments.values())),
        trigger_to_invoice=_stat(p.trig_inv),
        invoice_cycle=_stat(p.inv_cycle),
        order_to_cash=_stat(p.o2c),
        touchless=Touchless(
            invoiced_orders=p.invoiced_orders,
            touchless_orders=p.touchless_orders,
            rate_percent=_percent(p.touchless_orders, p.invoiced_orders, 1),
        ),
        receivables=p.receivables(),
        integration={
            s: IntegrationHealth(
                inbound=inbound.get(s, 0),
                dead_lettered=dead_lettered.get(s, 0),
                failure_rate_percent=_percent(dead_lettered.get(s, 0), inbound.get(s, 0), 2),
            )
            for s in sorted({*inbound, *dead_lettered})
        },
        totals=Totals(**p.n, open_orders_at_end=len(p.orders)),
        hold_sla=p.hold_sla(),
    )
