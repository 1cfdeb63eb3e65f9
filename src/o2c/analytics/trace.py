"""The trace of one order: what happened, why, and where it waited.

:func:`build_trace` reads the envelopes of one correlation id in log order and
gives, for each event, its business time, type, source, a one-line summary,
the order status after it and the time since the previous event. The status
comes from the domain's own fold (``Order.start`` / ``Order.apply``), so the
trace and the order read model cannot disagree.

Waits:
- **status waits**: one interval per stay in a status, from the event that
  entered it to the event that left it; the current status stays open up to
  ``as_of``. Closed and rejected are ends, not waits: the timeline stops at the
  terminal event. The waits therefore add up to :attr:`Trace.elapsed` =
  (terminal event, else ``as_of``) - ``OrderReceived``.
- **hold waits**: each hold with placed and resolved times (open holds run to
  ``as_of``), owner role and stage from ``o2c.domain.holds.TAXONOMY``, the
  resolution, who resolved it and whether its SLA was breached.

Origins: an event caused by an inbound message has causation id
``"{source}:{source_message_id}"``; an event caused by another event has that
event's id. Following the chain inside the trace gives each event's *origin*,
the inbound message that started it, shown with its :class:`InboundSummary`
when the caller supplies one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from o2c.analytics.kpis import to_json
from o2c.domain import events as ev
from o2c.domain.holds import TAXONOMY, Hold
from o2c.domain.orders import Order, OrderStatus

TERMINAL = frozenset({OrderStatus.CLOSED, OrderStatus.REJECTED})
#: events of an invoice, which a consolidated invoice shares among its orders: they are
#: correlated with its first order and belong in the trace of every order it bills
SHARED = (ev.InvoiceIssued, ev.InvoicePaid, ev.PaymentApplied, ev.CreditMemoIssued)
_VERBS = {
    "release": "released",
    "reject": "rejected",
    "override": "overridden",
    "edit_and_retry": "edited for retry",
}
_EXCERPT = 160


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundSummary:
    """The inbound message behind some events, shortened for display; for a
    message split out of a raw document (an X12 interchange, a CSV or WMS file,
    a carrier feed), that document's key and kind and the part of it the
    message came from, as the sender wrote it."""

    source: str
    source_message_id: str
    kind: str
    received_at: datetime
    body: str
    document: str | None = None
    document_kind: str | None = None
    raw: str = ""

    @property
    def key(self) -> str:
        """The causation id of the events it produced directly."""
        return f"{self.source}:{self.source_message_id}"

    @staticmethod
    def of(
        *,
        source: str,
        source_message_id: str,
        kind: str,
        received_at: datetime,
        body: str,
        limit: int = _EXCERPT,
        document: str | None = None,
        document_kind: str | None = None,
        raw: str = "",
    ) -> InboundSummary:
        """A summary with ``body`` on one line, cut to ``limit`` characters."""
        flat = " ".join(body.split())
        excerpt = flat if len(flat) <= limit else flat[: limit - 1] + "…"
        return InboundSummary(
            source=source,
            source_message_id=source_message_id,
            kind=kind,
            received_at=received_at,
            body=excerpt,
            document=document,
            document_kind=document_kind,
            raw=raw,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceStep:
    event_id: str
    occurred_at: datetime
    type: str
    source: str
    summary: str
    status: OrderStatus | None  # after this event; None before an OrderReceived
    since_previous: timedelta | None
    causation_id: str | None
    origin: str | None  # the root cause: an inbound message key, or an id outside the trace


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusWait:
    status: OrderStatus
    entered_at: datetime
    left_at: datetime | None  # None: still in it at ``as_of``
    duration: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldWait:
    hold_id: str
    code: str
    title: str
    owner: str
    stage: str
    reason: str
    placed_at: datetime
    sla_due_at: datetime | None
    resolved_at: datetime | None
    duration: timedelta  # to ``resolved_at``, or to ``as_of`` while open
    resolution: str | None  # release, reject, override, edit_and_retry
    resolved_by: str | None
    sla_breached: bool
    #: the role it was escalated to when its SLA passed (None: never escalated)
    escalated_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """One order's story. ``as_dict()`` keys: ``order_id``, ``customer_id``,
    ``po_number``, ``status``, ``started_at``, ``ended_at``, ``as_of``,
    ``elapsed_hours``, ``steps``, ``status_waits``, ``time_in_status``, ``holds``,
    ``inbound`` (durations as hours strings with 2 decimals)."""

    order_id: str
    customer_id: str | None
    po_number: str | None
    status: OrderStatus | None
    started_at: datetime
    ended_at: datetime | None  # the terminal event's time
    as_of: datetime
    steps: tuple[TraceStep, ...]
    status_waits: tuple[StatusWait, ...]
    holds: tuple[HoldWait, ...]
    inbound: Mapping[str, InboundSummary]  # only the messages some step originates from

    @property
    def elapsed(self) -> timedelta:
        return (self.ended_at or self.as_of) - self.started_at

    @property
    def waiting(self) -> str | None:
        """For an order that has not ended, where it waits as of ``as_of`` and on what:
        ``waiting 15d 2h in invoiced since 01-14 10:08: BIL-POD-OVERDUE (billing) since
        01-21 10:08, SLA breached``; None once it has ended."""
        if self.ended_at is not None or not self.status_waits or self.status_waits[-1].left_at is not None:
            return None
        w = self.status_waits[-1]
        text = f"waiting {fmt_duration(w.duration)} in {w.status.value} since {_t(w.entered_at)}"
        open_holds = [h for h in self.holds if h.resolved_at is None]
        if open_holds:
            text += ": " + "; ".join(
                f"{h.code} ({h.owner}) since {_t(h.placed_at)}" + (", SLA breached" if h.sla_breached else "")
                for h in open_holds)
        return text

    def time_in_status(self) -> dict[OrderStatus, timedelta]:
        """Total time per status over all stays in it, in order of first entry."""
        out: dict[OrderStatus, timedelta] = {}
        for w in self.status_waits:
            out[w.status] = out.get(w.status, timedelta(0)) + w.duration
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: times ISO 8601, durations as hours with 2 decimals (strings)."""
        d: dict[str, Any] = to_json(
            {
                "order_id": self.order_id,
                "customer_id": self.customer_id,
                "po_number": self.po_number,
                "status": self.status,
                "started_at": self.started_at,
                "ended_at": self.ended_at,
                "as_of": self.as_of,
                "elapsed_hours": self.elapsed,
                "waiting": self.waiting,
                "steps": [
                    {
                        "event_id": s.event_id,
                        "occurred_at": s.occurred_at,
                        "type": s.type,
                        "source": s.source,
                        "summary": s.summary,
                        "status": s.status,
                        "since_previous_hours": s.since_previous,
                        "causation_id": s.causation_id,
                        "origin": s.origin,
                    }
                    for s in self.steps
                ],
                "status_waits": [
                    {
                        "status": w.status,
                        "entered_at": w.entered_at,
                        "left_at": w.left_at,
                        "hours": w.duration,
                    }
                    for w in self.status_waits
                ],
                "time_in_status": self.time_in_status(),
                "holds": [_hold_json(h) for h in self.holds],
                "inbound": self.inbound,
            }
        )
        return d

    def render_lines(self) -> list[str]:
        """Plain text, one line per entry, for a terminal or a log."""
        head = f"Order {self.order_id}"
        if self.customer_id:
            head += f" for {self.customer_id}, PO {self.po_number or '-'}"
        end = f"ended {_t(self.ended_at)}" if self.ended_at else f"as of {_t(self.as_of)}"
        lines = [
            f"{head}: {self.status or '-'}, received {_t(self.started_at)}, {end}, "
            f"elapsed {fmt_duration(self.elapsed)}",
            *([self.waiting[0].upper() + self.waiting[1:]] if self.waiting else []),
            "",
            "Events",
        ]
        shown: set[str] = set()
        for s in self.steps:
            since = "" if s.since_previous is None else "+" + fmt_duration(s.since_previous)
            lines.append(
                f"  {_t(s.occurred_at)} {since:>9}  {s.type:<24} "
                f"{s.status or '-':<17} {s.source:<12} {s.summary}"
            )
            msg = self.inbound.get(s.origin or "")
            if msg is not None and msg.key not in shown:
                shown.add(msg.key)
                lines.append(f"      from {msg.kind} {msg.key} received {_t(msg.received_at)}: {msg.body}")
                if msg.raw:
                    lines.append(f"      as sent in {msg.document_kind} {msg.document}:")
                    lines += [f"        {ln}" for ln in msg.raw.splitlines()]
        lines += ["", "Time in status"]
        lines += [f"  {st.value:<17} {fmt_duration(d)}" for st, d in self.time_in_status().items()]
        lines += ["", "Holds"] if self.holds else []
        for h in self.holds:
            state = (
                f"{_VERBS.get(h.resolution or '', h.resolution)} by {h.resolved_by} {_t(h.resolved_at)}"
                if h.resolved_at
                else "open"
            )
            late = ", SLA breached" if h.sla_breached else ""
            lines.append(
                f"  {h.code} ({h.owner}) placed {_t(h.placed_at)}, {state}, waited "
                f"{fmt_duration(h.duration)}{late}: {h.reason}"
            )
        return lines


def build_trace(
    envelopes: Sequence[ev.Envelope],
    inbound: Mapping[str, InboundSummary] | None = None,
    *,
    as_of: datetime | None = None,
    now: datetime | None = None,
) -> Trace:
    """The trace of one order from its envelopes in log order (and those of the invoices
    it shares with other orders, :data:`SHARED`, whose correlation is the invoice's first order).

    ``inbound`` maps ``"{source}:{source_message_id}"`` to the message's summary
    (the caller reads it from the inbox). ``as_of`` (default: the last event's
    time) closes the open status and holds; it may not be earlier than the last
    event. ``now`` instead: the trace as of now, or of the last event if that is later
    (an order that waits is measured to now, not to its last event, so it never looks
    fresh).
    """
    if not envelopes:
        raise ValueError("no events to trace")
    ids = {e.correlation_id for e in envelopes if not isinstance(e.payload, SHARED)}
    if len(ids) != 1:
        raise ValueError(f"a trace is of one correlation id, got {sorted(ids)}")
    order_id = next(iter(ids))
    last = max(e.occurred_at for e in envelopes)
    as_of = as_of or (max(now, last) if now is not None else last)
    if as_of < last:
        raise ValueError(f"as_of {as_of} is before the last event at {last}")
    inbound = inbound or {}
    order: Order | None = None
    steps: list[TraceStep] = []
    waits: list[StatusWait] = []
    entered: tuple[OrderStatus, datetime] | None = None
    ended: datetime | None = None
    origins: dict[str, str | None] = {}
    prev: datetime | None = None
    for env in envelopes:
        e, at = env.payload, env.occurred_at
        if order is None and isinstance(e, ev.OrderReceived):
            order = Order.start(e, at)
        elif order is not None:
            order.apply(e, at)
        status = order.status if order is not None else None
        if status is not None and ended is None and (entered is None or status != entered[0]):
            if entered is not None:
                waits.append(
                    StatusWait(status=entered[0], entered_at=entered[1], left_at=at, duration=at - entered[1])
                )
            entered = None if status in TERMINAL else (status, at)
            ended = at if status in TERMINAL else None
        summary = summarize(env)
        if isinstance(e, ev.HoldReleased) and order is not None:
            held = next((h for h in order.holds if h.hold_id == e.hold_id), None)
            summary += "" if held is None else f" (held {fmt_duration(at - held.placed_at)})"
        # A reaction's causation id is the event that caused it: inherit that
        # event's origin, so a whole cascade points at the message that started it.
        cause = env.causation_id
        origins[env.event_id] = origins.get(cause, cause) if cause is not None else None
        steps.append(
            TraceStep(
                event_id=env.event_id,
                occurred_at=at,
                type=env.type,
                source=env.source,
                summary=summary,
                status=status,
                since_previous=None if prev is None else at - prev,
                causation_id=cause,
                origin=origins[env.event_id],
            )
        )
        prev = at
    if entered is not None:
        waits.append(
            StatusWait(status=entered[0], entered_at=entered[1], left_at=None, duration=as_of - entered[1])
        )
    holds = tuple(_hold_wait(h, as_of) for h in order.holds) if order is not None else ()
    return Trace(
        order_id=order_id,
        customer_id=order.customer_id if order else None,
        po_number=order.po_number if order else None,
        status=order.status if order else None,
        started_at=order.received_at if order else envelopes[0].occurred_at,
        ended_at=ended,
        as_of=as_of,
        steps=tuple(steps),
        status_waits=tuple(waits),
        holds=holds,
        inbound={o: inbound[o] for s in steps if (o := s.origin or "") in inbound},
    )


def _hold_json(h: HoldWait) -> dict[str, Any]:
    d: dict[str, Any] = to_json(h)
    d["hours"] = d.pop("duration")
    return d


def _hold_wait(h: Hold, as_of: datetime) -> HoldWait:
    kind = TAXONOMY[h.code]
    until = h.resolved_at or as_of
    return HoldWait(
        hold_id=h.hold_id,
        code=h.code.value,
        title=kind.title,
        owner=kind.owner.value,
        stage=kind.stage.value,
        reason=h.reason,
        placed_at=h.placed_at,
        sla_due_at=h.sla_due_at,
        resolved_at=h.resolved_at,
        duration=until - h.placed_at,
        resolution=h.resolution,
        resolved_by=h.resolved_by,
        sla_breached=h.sla_due_at is not None and until > h.sla_due_at,
        escalated_to=None if h.escalated_to is None else h.escalated_to.value,
    )


# ---------------------------------------------------------------- wording


def fmt_duration(td: timedelta) -> str:
    """``2d 3h 5m``; seconds only under a minute; ``0m`` for nothing."""
    sign, secs = "-" if td < timedelta(0) else "", abs(td) // timedelta(seconds=1)
    if secs < 60:
        return f"{sign}{secs}s" if secs else "0m"
    d, rest = divmod(secs, 86400)
    h, m = rest // 3600, rest % 3600 // 60
    parts = [f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m")) if v]
    return sign + " ".join(parts)


def _t(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%d %H:%M")


def _decided(e: ev.Event) -> str:
    d = getattr(e, "decision", None)
    if d is None:
        return ""
    head = f" — policy {d.policy_id} v{d.version}"
    rules = [c.rule for c in d.conditions]
    if len(rules) < 2:
        return f"{head} rule {d.rule}"
    # A collecting table (credit): every rule whose conditions held, not only this one.
    if d.rule in rules:
        return f"{head} rules {', '.join(rules)}"
    return f"{head} rule {d.rule} (conditions {', '.join(rules)})"


def summarize(env: ev.Envelope) -> str:
    """One line a person can read: what happened, with the numbers that matter."""
    e = env.payload
    match e:
        case ev.OrderReceived():
            n = len(e.lines)
            return (
                f"Order {e.order_id} received from {e.customer_id} via {e.channel}: PO "
                f"{e.po_number or '-'}, {n} line{'s' * (n != 1)}, ship-to {e.ship_to_id}, "
                f"{e.currency}"
            )
        case ev.HoldPlaced():
            kind = TAXONOMY[e.code]
            sla = "" if e.sla_due_at is None else f", SLA {fmt_duration(e.sla_due_at - env.occurred_at)}"
            return f"Hold {e.code.value} placed: {e.reason} ({kind.owner.value}{sla}){_decided(e)}"
        case ev.HoldReleased():
            return f"Hold {e.code.value} {_VERBS.get(e.action, e.action)} by {e.by}: {e.reason}"
        case ev.HoldEscalated():
            again = "" if e.next_due_at is None else f", next deadline {e.next_due_at:%Y-%m-%d %H:%M}"
            return (f"Hold {e.code.value} escalated from {e.from_role} to {e.to_role}: its deadline "
                    f"{e.sla_due_at:%Y-%m-%d %H:%M} passed{again}{_decided(e)}")
        case ev.PodOverdue():
            return (f"No proof of delivery for shipment {e.shipment_id} by {e.due_at:%Y-%m-%d %H:%M}: "
                    f"{e.remedy.replace('_', ' ')}{_decided(e)}")
        case ev.StallDetected():
            return (f"Stalled: {e.stage} with nothing happening since {e.idle_since:%Y-%m-%d %H:%M} "
                    f"(limit {e.limit_hours} h); {e.notify} notified{_decided(e)}")
        case ev.OrderValidated():
            src = ", ".join(sorted({p.price_source for p in e.lines}))
            return f"Validated: {len(e.lines)} line(s) priced ({src}){_decided(e)}"
        case ev.CreditApproved():
            as_of = e.decision.inputs.get("credit_limit_as_of") if e.decision else None
            read = f" (account record {as_of})" if as_of else ""
            return f"Credit approved: exposure {e.exposure}, limit {e.limit}{read}{_decided(e)}"
        case ev.StockAllocated():
            picks = "; ".join(
                f"line {a.line_no} {a.product_id} {a.quantity.normalize():f} from "
                f"{a.warehouse_id} lot {a.lot_id}"
                for a in e.allocations
            )
            return f"Stock allocated: {picks}{_decided(e)}"
        case ev.OrderBackordered():
            short = "; ".join(
                f"line {b.line_no} {b.product_id} short {b.quantity.normalize():f}" for b in e.lines
            )
            return f"Backordered: {short}{_decided(e)}"
        case ev.OrderReleased():
            return f"Released to warehouse {', '.join(e.warehouses)}: value {e.value}"
        case ev.AllocationCancelled():
            return f"Allocation cancelled, {e.value} given back: {e.reason}"
        case ev.OrderRejected():
            return f"Order rejected by {e.by}: {e.reason}"
        case ev.OrderClosed():
            return "Order closed: fully paid"
        case ev.ShipmentConfirmed():
            qty = sum((s.quantity for s in e.lines), Decimal(0))
            return (
                f"Shipment {e.shipment_id} confirmed from {e.warehouse_id}: "
                f"{len(e.lines)} line(s), {qty.normalize():f} units, carrier "
                f"{e.carrier or '-'} {e.tracking_no}".rstrip()
            )
        case ev.ProofOfDeliveryReceived():
            return (
                f"Delivered: shipment {e.shipment_id} at {_t(e.delivered_at)}, signed by {e.signed_by or '-'}"
            )
        case ev.InvoiceIssued():
            orders = f" of orders {', '.join(e.order_ids)}" if len(e.order_ids) > 1 else ""
            return (
                f"Invoice {e.invoice_id} issued {e.trigger} for {', '.join(e.shipment_ids)}{orders}: "
                f"total {e.total}, due {e.due_date}{_decided(e)}"
            )
        case ev.ShipmentAwaitingInvoice():
            return (
                f"Shipment {e.shipment_id} waits for the consolidated invoice of {e.key} "
                f"({e.window}, closing {_t(e.window_end)}){_decided(e)}"
            )
        case ev.CreditMemoIssued():
            return f"Credit memo {e.credit_memo_id} on {e.invoice_id}: {e.amount} ({e.reason})"
        case ev.PaymentApplied():
            disc = "" if e.discount.is_zero() else f" + discount {e.discount}"
            return f"Payment {e.payment_id} applied to {e.invoice_id}: {e.amount}{disc}"
        case ev.InvoicePaid():
            return f"Invoice {e.invoice_id} paid in full"
        case ev.OrderChanged():
            changed = "; ".join(_line_change(c) for c in e.lines) or "dates"
            outcome = {"applied": "applied" + (", checked again" if e.recheck else ""),
                       "cancelled": "the order is cancelled", "refused": "refused (too late)",
                       "unchanged": "changes nothing (the order already is so)"}
            return (
                f"Buyer's {e.purpose} {e.change_sequence or '-'} to PO {e.po_number} "
                f"{outcome.get(e.outcome, e.outcome)}: {changed}{_decided(e)}"
            )
        case ev.PickConfirmed():
            qty = sum((ln.quantity for ln in e.lines), Decimal(0))
            return (
                f"Picked at {e.warehouse_id} {_t(e.picked_at)}: {len(e.lines)} line(s), "
                f"{qty.normalize():f} units"
            )
        case ev.FulfilmentExceptionReported():
            what = "; ".join(
                f"line {ln.line_no} {ln.product_id} {ln.quantity.normalize():f}" for ln in e.lines
            )
            return (
                f"Warehouse {e.warehouse_id} reports {e.code}{': ' + e.reason if e.reason else ''}"
                f" ({what or 'whole order'}) -> {e.hold_code.value}{_decided(e)}"
            )
        case ev.ShipmentStatusReported():
            codes = ", ".join(
                s.code + (f"/{s.reason}" if s.reason else "") + (f" {_t(s.at)}" if s.at else "")
                for s in e.statuses
            )
            return f"Carrier {e.carrier or '-'} status for {e.shipment_id}: {codes}{_decided(e)}"
        case ev.PaymentReceived():
            lines = len(e.references)
            taken = [a for a in e.adjustments if a.amount < 0]
            deducted = f", {len(taken)} deduction{'s' * (len(taken) != 1)}" if taken else ""
            return (f"Payment {e.payment_id} received by {e.method or '-'}: {e.amount} for {lines} "
                    f"invoice{'s' * (lines != 1)}{deducted}")
        case ev.CashUnapplied():
            return f"{e.amount} of payment {e.payment_id} kept on account: {e.reason}"
        case ev.DisputeOpened():
            paid = f" (deducted from payment {e.payment_id})" if e.payment_id else ""
            return (f"Dispute {e.dispute_id} opened on {_disputed(e)}: {e.amount}, reason "
                    f"{e.reason_code}{paid}{_decided(e)}")
        case ev.DisputeResolved():
            memo = f", credit memo {e.credit_memo_id}" if e.credit_memo_id else ""
            who = f" by {e.by} ({e.reason})" if e.by else ""
            return f"Dispute {e.dispute_id} on {_disputed(e)} resolved: {e.outcome}{memo}{who}"
        case ev.DunningNoticeSent():
            return (f"Dunning {e.step} ({e.channel}) for {e.invoice_id}, {e.days_past_due} days past due: "
                    f"{e.amount}{_decided(e)}")
        case ev.PromiseToPayRecorded():
            on = ", ".join(e.invoice_ids) or "the account"
            return (f"Promise to pay {e.promise_id} recorded by {e.by}: {e.amount} by "
                    f"{e.promised_date.isoformat()} on {on}" + (f" ({e.note})" if e.note else ""))
        case ev.PromiseKept() | ev.PromiseBroken():
            kept = "kept" if isinstance(e, ev.PromiseKept) else "broken"
            return f"Promise to pay {e.promise_id} {kept}: {e.paid} paid since{_decided(e)}"
        case ev.DocumentAcknowledged():
            errors = f": {e.errors}" if e.errors else ""
            again = " (again; nothing changed)" if e.repeated else ""
            return (f"{e.doc_type} {e.document_id} {e.status.replace('_', ' ')} by {e.partner_id}'s 997 "
                    f"(AK5 {e.set_code or '-'}, AK9 {e.group_code}){errors}{again}")
        case ev.DocumentUnacknowledged():
            return (f"{e.doc_type} {e.document_id} unacknowledged: no 997 from {e.partner_id} by "
                    f"{e.due_at:%Y-%m-%d %H:%M}{_decided(e)}")
        case ev.DocumentResent():
            return f"{e.doc_type} {e.document_id} sent again to {e.partner_id} by {e.by}"
        case ev.DisputeEscalated():
            return (f"Dispute {e.dispute_id} on {e.invoice_id or 'account ' + e.customer_id} passed its SLA "
                    f"with {e.from_role}: escalated to {e.to_role}")
        case ev.DisputeEvidenceAttached():
            return f"Evidence on dispute {e.dispute_id}: {e.kind} {e.reference or e.text} (by {e.by})"
        case ev.ReceivableWrittenOff():
            return f"Written off on {e.invoice_id}: {e.amount} (dispute {e.dispute_id}, by {e.by})"
        case _:
            return env.type


def _disputed(e: ev.DisputeOpened | ev.DisputeResolved) -> str:
    """The invoice a dispute is about, or the account for a payer's deduction naming none."""
    return e.invoice_id or f"account {e.customer_id}"


def _line_change(c: ev.LineChangeData) -> str:
    qty = "" if c.quantity is None else f" {c.quantity.normalize():f}{' ' + c.uom if c.uom else ''}"
    if c.action in ("add", "cancel"):
        return f"{c.action} line {c.line_no} {c.product_id}{qty}"
    parts = [qty.strip(), "" if c.unit_price is None else f"price {c.unit_price}",
             "" if c.requested_date is None else f"date {c.requested_date}"]
    return f"line {c.line_no} {c.product_id} " + ", ".join(p for p in parts if p)
