"""Domain events: facts in the past tense, each with a typed payload.

The envelope fields (event id, times, correlation, causation, source) live in
:class:`Envelope`; an event class carries only its business payload. Every
automated decision carries a :class:`Decision` naming the policy id, version
and rule that made it, and the inputs it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from o2c.domain.holds import HoldCode
from o2c.domain.master import Customer, LegalEntity, PriceAgreement, Product, TaxRate, Warehouse
from o2c.domain.money import Money
from o2c.domain.tax import TaxLine


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """One rule whose conditions held, with the inputs those conditions read."""

    rule: str  # table/rule, as in Decision.rule
    outcome: str
    inputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """Why an automated step decided what it did. A table that collects every matching
    rule (credit) lists them all in ``conditions``; ``rule`` is the one this step acted on."""

    policy_id: str
    version: str
    rule: str
    outcome: str
    inputs: dict[str, str] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()


class Event:
    """Base of all events. ``entity_type`` names the aggregate the event belongs to."""

    __slots__ = ()
    entity_type: ClassVar[str] = ""

    @property
    def entity_id(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """An event as stored in the append-only log."""

    event_id: str
    type: str
    occurred_at: datetime
    recorded_at: datetime
    correlation_id: str
    causation_id: str | None
    source: str
    entity_type: str
    entity_id: str
    payload: Event


# ---------------------------------------------------------------- orders


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLineData:
    line_no: int
    product_id: str
    quantity: Decimal
    uom: str
    unit_price: Decimal | None = None
    customer_item: str | None = None


class OrderEvent(Event):
    __slots__ = ()
    entity_type: ClassVar[str] = "order"

    @property
    def entity_id(self) -> str:
        return self.order_id  # type: ignore[attr-defined, no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReceived(OrderEvent):
    order_id: str
    legal_entity_id: str
    customer_id: str
    ship_to_id: str
    po_number: str
    channel: str
    currency: str
    order_date: date
    requested_date: date | None
    payment_terms: str | None
    lines: tuple[OrderLineData, ...]
    #: the person who entered it (a user's id), None when a system sent it: four-eyes
    #: keeps them from approving its holds
    entered_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldPlaced(OrderEvent):
    order_id: str
    hold_id: str
    code: HoldCode
    reason: str
    sla_due_at: datetime | None
    decision: Decision
    #: what is at stake, in the order's currency: the amount over the limit for
    #: CRD-OVER-LIMIT, the past-due amount for CRD-PAST-DUE, else the order's open value.
    #: The policy's approval tiers read it.
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldReleased(OrderEvent):
    order_id: str
    hold_id: str
    code: HoldCode
    action: str
    by: str
    reason: str
    #: the approval rule that let ``by`` decide (a person within their tier), or the rule
    #: by which o2c released it itself (automatic release); None for older records
    decision: Decision | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldEscalated(OrderEvent):
    """A hold outlived its SLA (or an escalation's deadline): it now waits on the next role
    up its ladder of authority. ``sla_due_at`` is the deadline that passed; ``next_due_at``
    the next one, when the policy escalates again (None: it does not)."""

    order_id: str
    hold_id: str
    code: HoldCode
    from_role: str
    to_role: str
    sla_due_at: datetime
    next_due_at: datetime | None
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class PodOverdue(OrderEvent):
    """A shipment billed on proof of delivery has none by the policy's timeout.
    ``remedy``: ``invoice_anyway`` (invoiced now, as on ship) or ``chase_carrier``
    (a BIL-POD-OVERDUE hold for billing, who chase the carrier)."""

    order_id: str
    shipment_id: str
    shipped_at: datetime
    due_at: datetime
    remedy: str
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class StallDetected(OrderEvent):
    """An order has sat in one stage (its status) with nothing happening for longer than
    the policy allows. An alert for ``notify`` (a role): the order is not held."""

    order_id: str
    stage: str
    idle_since: datetime
    limit_hours: int
    notify: str
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class PricedLine:
    line_no: int
    base_quantity: Decimal
    base_uom: str
    unit_price: Decimal
    price_source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderValidated(OrderEvent):
    """Master data and prices checked; lines converted to base units and priced."""

    order_id: str
    lines: tuple[PricedLine, ...]
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditApproved(OrderEvent):
    order_id: str
    exposure: Money
    limit: Money
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationLine:
    line_no: int
    product_id: str
    warehouse_id: str
    lot_id: str
    quantity: Decimal
    expiry: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAllocated(OrderEvent):
    order_id: str
    allocations: tuple[AllocationLine, ...]
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class BackorderLine:
    line_no: int
    product_id: str
    quantity: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderBackordered(OrderEvent):
    order_id: str
    lines: tuple[BackorderLine, ...]
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderReleased(OrderEvent):
    """Released to the warehouse(s): holds cleared, stock allocated."""

    order_id: str
    customer_id: str
    warehouses: tuple[str, ...]
    value: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationCancelled(OrderEvent):
    """Reserved stock given back (short shipment, cancellation)."""

    order_id: str
    customer_id: str
    allocations: tuple[AllocationLine, ...]
    value: Money
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(OrderEvent):
    order_id: str
    customer_id: str
    reason: str
    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderClosed(OrderEvent):
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LineChangeData:
    """One line of a buyer's change as o2c resolved it. ``action`` is ``add``, ``cancel`` or
    ``change``; for a change, the fields that are not None are the new values."""

    line_no: int
    action: str
    product_id: str
    quantity: Decimal | None = None
    uom: str | None = None
    unit_price: Decimal | None = None
    requested_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderChanged(OrderEvent):
    """A buyer's change to its purchase order (X12 860), as decided.

    ``outcome``: ``applied`` (the lines changed; with ``recheck`` the order goes back through
    validation, credit and allocation), ``cancelled`` (the whole order: ``OrderRejected``
    follows), ``refused`` (nothing changed: too late, a hold for customer service follows) or
    ``unchanged`` (the order already is as asked: cancelled already, or the same change again).
    """

    order_id: str
    customer_id: str
    po_number: str
    purpose: str
    change_sequence: str
    outcome: str
    recheck: bool
    lines: tuple[LineChangeData, ...]
    requested_date: date | None
    decision: Decision
    #: the person who asked for the change (a user's id), None when a system sent it
    by: str | None = None


# ---------------------------------------------------------------- fulfilment


@dataclass(frozen=True, slots=True, kw_only=True)
class ShippedLine:
    line_no: int
    product_id: str
    warehouse_id: str
    lot_id: str
    quantity: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentConfirmed(OrderEvent):
    order_id: str
    shipment_id: str
    warehouse_id: str
    carrier: str
    tracking_no: str
    lines: tuple[ShippedLine, ...]
    #: when the warehouse says the truck left (its own clock, in UTC); None when the
    #: source does not say, and then the confirmation is the shipment. A nightly
    #: batch confirms hours after the truck left: this keeps that wait visible.
    shipped_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProofOfDeliveryReceived(OrderEvent):
    order_id: str
    shipment_id: str
    delivered_at: datetime
    signed_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WarehouseLine:
    """An order line as a warehouse reports it: picked, or not fulfillable as allocated."""

    line_no: int
    product_id: str
    lot_id: str
    quantity: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PickConfirmed(OrderEvent):
    """The warehouse picked (some of) the order's lines: a timestamp, no quantities change."""

    order_id: str
    warehouse_id: str
    picked_at: datetime
    lines: tuple[WarehouseLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FulfilmentExceptionReported(OrderEvent):
    """The warehouse cannot fulfil as allocated. ``code`` is the source's own code; the hold
    ``hold_id`` (placed with this event, or already open) is how a person resolves it."""

    order_id: str
    warehouse_id: str
    code: str
    reason: str
    reported_at: datetime
    lines: tuple[WarehouseLine, ...]
    hold_code: HoldCode
    hold_id: str
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierStatus:
    """One carrier milestone (X12 214 AT7): status code, reason, when and where."""

    code: str
    reason: str = ""
    appointment_code: str = ""
    at: datetime | None = None
    city: str = ""
    region: str = ""
    country: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentStatusReported(OrderEvent):
    """A carrier's statuses for a shipment short of delivery (track and trace)."""

    order_id: str
    shipment_id: str
    carrier: str
    tracking_no: str
    statuses: tuple[CarrierStatus, ...]
    decision: Decision


# ---------------------------------------------------------------- billing


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipmentAwaitingInvoice(OrderEvent):
    """A shipment of a customer billed ``consolidated`` waits for the invoice of its window:
    the one for ``key`` (the customer, or ``<customer>/<ship-to>``) that the policy's window
    ``window`` closes at ``window_end`` (the timer that closes it is armed by this event)."""

    order_id: str
    shipment_id: str
    customer_id: str
    legal_entity_id: str
    key: str
    window: str
    window_start: datetime
    window_end: datetime
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    line_no: int
    product_id: str
    quantity: Decimal
    uom: str
    unit_price: Decimal
    amount: Decimal
    #: the order and shipment the line bills; empty in invoices issued before invoices
    #: could cover several orders: then the invoice's ``order_id`` and its one shipment
    order_id: str = ""
    shipment_id: str = ""


class InvoiceEvent(Event):
    __slots__ = ()
    entity_type: ClassVar[str] = "invoice"

    @property
    def entity_id(self) -> str:
        return self.invoice_id  # type: ignore[attr-defined, no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceIssued(InvoiceEvent):
    """An invoice of the lines of one or more orders' shipments. ``order_id`` is the first of
    ``order_ids`` (the order the event is correlated with); ``order_ids`` is every order on
    the invoice (left out by invoices issued before consolidated billing: ``(order_id,)``)."""

    invoice_id: str
    order_id: str
    customer_id: str
    legal_entity_id: str
    shipment_ids: tuple[str, ...]
    lines: tuple[InvoiceLine, ...]
    subtotal: Money
    tax: Money
    total: Money
    invoice_date: date
    due_date: date
    discount_date: date | None
    discount: Money
    trigger: str
    decision: Decision
    #: the taxes by jurisdiction whose amounts make up ``tax`` (empty on invoices issued
    #: before tax by jurisdiction, taxed at the legal entity's one rate)
    tax_lines: tuple[TaxLine, ...] = ()
    order_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.order_ids:
            object.__setattr__(self, "order_ids", (self.order_id,))

    def lines_of(self, order_id: str) -> tuple[InvoiceLine, ...]:
        """The lines that bill ``order_id``."""
        return tuple(ln for ln in self.lines if (ln.order_id or self.order_id) == order_id)

    def shipments_of(self, order_id: str) -> tuple[str, ...]:
        """The shipments of ``order_id`` the invoice bills."""
        if order_id not in self.order_ids:
            return ()
        named = tuple(dict.fromkeys(ln.shipment_id for ln in self.lines_of(order_id) if ln.shipment_id))
        return named or (self.shipment_ids if order_id == self.order_id else ())


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditMemoIssued(InvoiceEvent):
    credit_memo_id: str
    invoice_id: str
    order_id: str
    customer_id: str
    amount: Money
    reason: str
    #: the dispute it resolves, and the invoice lines it credits (empty: none named)
    dispute_id: str = ""
    lines: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoicePaid(InvoiceEvent):
    invoice_id: str
    order_id: str
    customer_id: str
    #: every order on the invoice (``(order_id,)`` when left out)
    order_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.order_ids:
            object.__setattr__(self, "order_ids", (self.order_id,))


# ---------------------------------------------------------------- receivables


class AccountEvent(Event):
    __slots__ = ()
    entity_type: ClassVar[str] = "account"

    @property
    def entity_id(self) -> str:
        return self.customer_id  # type: ignore[attr-defined, no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class RemittanceLine:
    """What the payer says a line pays: an invoice number as written (``invoice_id``), or
    another ``reference`` (``qualifier`` ``PO``: a purchase order; empty: unknown kind);
    ``amount`` None when the remittance does not say."""

    invoice_id: str
    amount: Decimal | None
    discount: Decimal = Decimal(0)
    reference: str = ""
    qualifier: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemittanceAdjustment:
    """An amount the payer deducted (negative) or added (positive), with its reason
    code (820 ADX). With ``invoice_id`` the remittance line of that invoice is already
    net of it; without, the payment as a whole is (``reference`` may then name the
    invoice, qualified ``IV``)."""

    invoice_id: str
    amount: Decimal
    reason_code: str
    reference_qualifier: str = ""
    reference: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentReceived(AccountEvent):
    """Cash received. ``customer_id`` is empty while the payer is not identified."""

    payment_id: str
    customer_id: str
    amount: Money
    method: str
    references: tuple[RemittanceLine, ...]
    adjustments: tuple[RemittanceAdjustment, ...] = ()
    payer_name: str = ""
    payer_account: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentApplied(AccountEvent):
    payment_id: str
    customer_id: str
    invoice_id: str
    order_id: str
    amount: Money
    discount: Money
    decision: Decision
    #: placed by a person from the payment's unapplied cash (not when it arrived)
    from_unapplied: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentUnapplied(AccountEvent):
    """A person takes back (part of) an application: the invoice is open again for it and
    the cash is unapplied, waiting to be applied again."""

    payment_id: str
    customer_id: str
    invoice_id: str
    order_id: str
    amount: Money
    discount: Money
    by: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PayerIdentified(AccountEvent):
    """A person names the account an unidentified payment came from: its unapplied cash
    becomes that account's."""

    payment_id: str
    customer_id: str
    amount: Money
    by: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CashUnapplied(AccountEvent):
    """Cash no rule could place with certainty: it waits for a person of cash application
    (``CSH-UNAPPLIED``). ``customer_id`` is empty when the payer is not identified;
    ``candidates`` are the open invoices that made the case ambiguous."""

    payment_id: str
    customer_id: str
    amount: Money
    reason: str
    candidates: tuple[str, ...] = ()
    decision: Decision | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CashOnAccount(AccountEvent):
    """An overpayment: every invoice the payer named is paid and this is left, kept as the
    customer's credit on account."""

    payment_id: str
    customer_id: str
    amount: Money
    decision: Decision


# ---------------------------------------------------------------- inventory


class StockEvent(Event):
    __slots__ = ()
    entity_type: ClassVar[str] = "stock"

    @property
    def entity_id(self) -> str:
        return f"{self.warehouse_id}/{self.product_id}"  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, kw_only=True)
class StockReceived(StockEvent):
    warehouse_id: str
    product_id: str
    lot_id: str
    expiry: date | None
    quantity: Decimal
    reference: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAdjusted(StockEvent):
    """On-hand of one position corrected to a warehouse's count (inventory advice).

    ``delta`` is the change booked (negative: fewer units than o2c had), ``advised``
    the count itself. On-hand never drops below what orders have reserved, so
    ``delta`` may stop short of the count (the rest is a ``StockDifferenceReferred``)."""

    warehouse_id: str
    product_id: str
    lot_id: str
    expiry: date | None
    delta: Decimal
    advised: Decimal
    advice_id: str
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class InventoryCounted(Event):
    """A warehouse's count (inventory advice) that matched o2c's on-hand for every
    position it named: nothing to book. Recorded so that the advice, like every
    applied message, has its place in the log (the trace, ``o2c verify``)."""

    entity_type: ClassVar[str] = "stock"
    warehouse_id: str
    advice_id: str
    positions: int

    @property
    def entity_id(self) -> str:
        return self.warehouse_id


@dataclass(frozen=True, slots=True, kw_only=True)
class StockDifferenceReferred(StockEvent):
    """A count difference o2c did not book on its own, referred to warehouse_ops:
    above the policy's tolerance, or below what orders have reserved. ``delta`` is
    the part left unbooked; ``on_hand`` and ``reserved`` are o2c's figures when the
    count was compared."""

    warehouse_id: str
    product_id: str
    lot_id: str
    expiry: date | None
    on_hand: Decimal
    reserved: Decimal
    advised: Decimal
    delta: Decimal
    advice_id: str
    reason: str
    decision: Decision


# ---------------------------------------------------------------- disputes


class DisputeEvent(Event):
    __slots__ = ()
    entity_type: ClassVar[str] = "dispute"

    @property
    def entity_id(self) -> str:
        return self.dispute_id  # type: ignore[attr-defined, no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeOpened(DisputeEvent):
    """A dispute case opens: from a deduction (cash application), a person, or a customer's
    812. ``route`` is the ``disputes`` policy's decision (``disputes/route/<category>``)
    naming the owner role and the SLA. Fields after ``decision`` have defaults, so events
    stored before cases were routed still load."""

    dispute_id: str
    invoice_id: str
    customer_id: str
    reason_code: str
    amount: Money
    #: the payment whose deduction opened it (cash application), if any
    payment_id: str = ""
    decision: Decision | None = None
    legal_entity_id: str = ""
    #: the invoice lines it contests (empty: the invoice, or the account, as a whole)
    lines: tuple[int, ...] = ()
    note: str = ""
    #: the person who opened it by hand, or the channel (``edi:812``); empty for a deduction
    opened_by: str = ""
    owner_role: str = ""
    escalation_role: str = ""
    sla_due_at: datetime | None = None
    route: Decision | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeResolved(DisputeEvent):
    """A case closes: ``outcome`` ``credit_memo`` | ``write_off`` | ``reject`` (the amount
    stays owed). ``amount`` is what was in dispute, ``settled`` what the resolution
    credited or wrote off; ``by`` and ``reason`` say who and why."""

    dispute_id: str
    invoice_id: str
    customer_id: str
    outcome: str
    credit_memo_id: str | None
    amount: Money | None = None
    settled: Money | None = None
    write_off_id: str = ""
    by: str = ""
    reason: str = ""
    decision: Decision | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeEscalated(DisputeEvent):
    """A case still open at its SLA goes to ``to_role`` (the route's escalation role, then
    up its ladder), due again at ``next_due_at`` (None: nobody above to escalate to)."""

    dispute_id: str
    invoice_id: str
    customer_id: str
    from_role: str
    to_role: str
    sla_due_at: datetime
    next_due_at: datetime | None
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeEvidenceAttached(DisputeEvent):
    """Evidence on a case: a reference (a POD, a signed bill of lading, a contract price, a
    document id) or a note, never the document itself. ``by`` ``o2c``: what o2c knew itself."""

    dispute_id: str
    invoice_id: str
    customer_id: str
    kind: str
    reference: str
    text: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivableWrittenOff(InvoiceEvent):
    """Part of an invoice written off (a dispute resolved within the role's authority):
    it leaves open AR like a credit memo, booked apart (AR = invoiced − credit memos −
    applied cash − discounts − write-offs)."""

    write_off_id: str
    invoice_id: str
    order_id: str
    customer_id: str
    amount: Money
    dispute_id: str
    by: str
    reason: str
    decision: Decision


# ---------------------------------------------------------------- collections


@dataclass(frozen=True, slots=True, kw_only=True)
class DunningNoticeSent(AccountEvent):
    """A dunning step sent for an invoice's undisputed past-due rest (``amount``), by
    ``channel``, with its rendered ``text``; the decision names the rule
    ``collections/dunning/<step>`` and its inputs."""

    customer_id: str
    invoice_id: str
    legal_entity_id: str
    step: str
    channel: str
    days_past_due: int
    due_date: date
    amount: Money
    text: str
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class PromiseToPayRecorded(AccountEvent):
    """A person in collections records the customer's promise to pay ``amount`` by
    ``promised_date`` (on ``invoice_ids``, or the account when empty); dunning waits for it.
    ``paid_before``: what the account had paid when it was made (kept when that grows by
    ``amount``); ``due_at``: when o2c looks whether it was kept (the date plus grace)."""

    promise_id: str
    customer_id: str
    legal_entity_id: str
    amount: Money
    promised_date: date
    invoice_ids: tuple[str, ...]
    note: str
    by: str
    paid_before: Decimal
    due_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PromiseKept(AccountEvent):
    promise_id: str
    customer_id: str
    paid: Money
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class PromiseBroken(AccountEvent):
    """A promise due with less than promised paid: the account goes to the top of the
    worklist and dunning resumes."""

    promise_id: str
    customer_id: str
    paid: Money
    decision: Decision


# ---------------------------------------------------------------- master data


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerChanged(Event):
    """A customer account as it now stands, from a system of record or a person: ``added``
    for a new one, else ``changed`` names the fields that differ from before (sorted).
    The projector writes it to master data; a record equal to what o2c holds records nothing."""

    entity_type: ClassVar[str] = "customer"
    customer: Customer
    changed: tuple[str, ...]
    added: bool = False

    @property
    def entity_id(self) -> str:
        return self.customer.customer_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductChanged(Event):
    """A product as it now stands (see :class:`CustomerChanged`)."""

    entity_type: ClassVar[str] = "product"
    product: Product
    changed: tuple[str, ...]
    added: bool = False

    @property
    def entity_id(self) -> str:
        return self.product.product_id


@dataclass(frozen=True, slots=True, kw_only=True)
class LegalEntityChanged(Event):
    """A legal entity as it now stands (see :class:`CustomerChanged`)."""

    entity_type: ClassVar[str] = "legal_entity"
    entity: LegalEntity
    changed: tuple[str, ...]
    added: bool = False

    @property
    def entity_id(self) -> str:
        return self.entity.entity_id


@dataclass(frozen=True, slots=True, kw_only=True)
class WarehouseChanged(Event):
    """A warehouse as it now stands (see :class:`CustomerChanged`)."""

    entity_type: ClassVar[str] = "warehouse"
    warehouse: Warehouse
    changed: tuple[str, ...]
    added: bool = False

    @property
    def entity_id(self) -> str:
        return self.warehouse.warehouse_id


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceAgreementChanged(Event):
    """A price agreement as it now stands, with the version o2c gave it (1 when added, one
    more per change); orders priced before keep the version they were priced by."""

    entity_type: ClassVar[str] = "price_agreement"
    agreement: PriceAgreement
    changed: tuple[str, ...]
    added: bool = False

    @property
    def entity_id(self) -> str:
        return self.agreement.agreement_id


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxRateChanged(Event):
    """A tax rate as it now stands, with the version o2c gave it (1 when added)."""

    entity_type: ClassVar[str] = "tax_rate"
    rate: TaxRate
    changed: tuple[str, ...]
    added: bool = False

    @property
    def entity_id(self) -> str:
        return self.rate.rate_id


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        OrderReceived, HoldPlaced, HoldReleased, OrderValidated, CreditApproved,
        StockAllocated, OrderBackordered, OrderReleased, AllocationCancelled,
        OrderRejected, OrderClosed, ShipmentConfirmed, ProofOfDeliveryReceived,
        InvoiceIssued, CreditMemoIssued, InvoicePaid, PaymentReceived, PaymentApplied,
        CashUnapplied, CashOnAccount, PaymentUnapplied, PayerIdentified, StockReceived, DisputeOpened,
        DisputeResolved,
        DisputeEscalated, DisputeEvidenceAttached, ReceivableWrittenOff,
        StockAdjusted, StockDifferenceReferred, InventoryCounted,
        OrderChanged, PickConfirmed, FulfilmentExceptionReported, ShipmentStatusReported,
        HoldEscalated, PodOverdue, StallDetected, CustomerChanged, ProductChanged,
        ShipmentAwaitingInvoice,
        LegalEntityChanged, WarehouseChanged, PriceAgreementChanged, TaxRateChanged,
    )
}

#: collections' events (their own line, so other areas' additions above merge cleanly)
EVENT_TYPES.update({cls.__name__: cls for cls in (DunningNoticeSent, PromiseToPayRecorded, PromiseKept,
                                                  PromiseBroken)})

# ---------------------------------------------------------------- outbound documents
# (the ledger of what o2c sends and the partners' 997s: o2c.domain.documents)


class DocumentEvent(Event):
    """An event of one document o2c sent; it belongs to its order's story when it has one."""

    __slots__ = ()
    entity_type: ClassVar[str] = "document"

    @property
    def entity_id(self) -> str:
        return self.document_id  # type: ignore[attr-defined, no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentAcknowledged(DocumentEvent):
    """A partner's 997 answered a document we sent: ``status`` is the ledger status its AK5
    (or, for a whole group, AK9) code stands for; ``errors`` the AK3/AK4 notes as text.
    ``repeated``: the document was answered before, and this 997 changes nothing."""

    document_id: str
    partner_id: str
    doc_type: str
    order_id: str | None
    invoice_id: str | None
    status: str
    set_code: str
    group_code: str
    errors: str
    ack_message: str
    repeated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentUnacknowledged(DocumentEvent):
    """No 997 for a document by the hours the policy gives its type (``documents.ack_hours``)."""

    document_id: str
    partner_id: str
    doc_type: str
    order_id: str | None
    invoice_id: str | None
    sent_at: datetime
    due_at: datetime
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentResent(DocumentEvent):
    """A person sent a rejected or unanswered document again: the same content, under the
    partner's next control numbers (a new ledger row that names this one)."""

    document_id: str
    partner_id: str
    doc_type: str
    order_id: str | None
    invoice_id: str | None
    shipment_id: str | None
    x12: str
    by: str


EVENT_TYPES.update({cls.__name__: cls
                    for cls in (DocumentAcknowledged, DocumentUnacknowledged, DocumentResent)})
