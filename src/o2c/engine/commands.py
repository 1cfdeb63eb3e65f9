"""Commands: what someone or something asks the engine to do (imperative).

Inbound adapters turn messages into commands; reactions to events issue
commands too (``o2c.engine.reactions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from o2c.domain.documents import SetAck
from o2c.domain.events import (
    CarrierStatus,
    OrderLineData,
    RemittanceAdjustment,
    RemittanceLine,
    ShippedLine,
    WarehouseLine,
)
from o2c.domain.master import Customer, LegalEntity, PriceAgreement, Product, TaxRate, Warehouse


class Command:
    __slots__ = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveOrder(Command):
    """A customer's purchase order as captured by a channel (EDI, portal, CSV)."""

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


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateOrder(Command):
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckCredit(Command):
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReevaluateCredit(Command):
    """Exposure fell (a payment, a credit memo, an order cancelled): check an order held for
    credit again, and release what the policy lets o2c release itself."""

    order_id: str
    because: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocateOrder(Command):
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseHold(Command):
    """A person releases (or overrides) a hold; the order resumes where it waited."""

    order_id: str
    code: str
    by: str
    reason: str
    action: str = "release"


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectOrder(Command):
    order_id: str
    by: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeLine:
    """One line of a buyer's change. ``changes``: ``add``, ``cancel``, ``change_quantity``,
    ``change_date``, ``change_price``, ``replace`` (the line restated), ``no_change``."""

    line_no: int
    changes: tuple[str, ...]
    product_id: str | None = None
    quantity: Decimal | None = None  # the new ordered quantity
    uom: str | None = None
    unit_price: Decimal | None = None
    requested_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeOrder(Command):
    """A buyer changes a purchase order it sent before (X12 860), found by (customer, PO).

    ``purpose``: ``change`` (the lines say what changes), ``replace`` (the lines restate the
    whole order) or ``cancel`` (the whole order)."""

    legal_entity_id: str
    customer_id: str
    po_number: str
    purpose: str
    change_sequence: str = ""
    requested_date: date | None = None
    lines: tuple[ChangeLine, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmShipment(Command):
    """A warehouse reports what left the dock."""

    shipment_id: str
    order_id: str
    warehouse_id: str
    carrier: str
    tracking_no: str
    lines: tuple[ShippedLine, ...]
    shipped_at: datetime | None = None  # the warehouse's time of shipping, if it says


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordDelivery(Command):
    """A carrier reports proof of delivery."""

    shipment_id: str
    order_id: str
    delivered_at: datetime
    signed_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordPick(Command):
    """A warehouse reports lines picked for an order."""

    order_id: str
    warehouse_id: str
    picked_at: datetime
    lines: tuple[WarehouseLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportFulfilmentException(Command):
    """A warehouse cannot fulfil as allocated (short pick, damage, lot missing). ``code`` is
    the source's own; each line's quantity is what cannot be fulfilled (no lines: all of it)."""

    order_id: str
    warehouse_id: str
    reported_at: datetime
    code: str
    reason: str
    lines: tuple[WarehouseLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordShipmentStatus(Command):
    """A carrier reports milestones of a shipment short of delivery (X12 214)."""

    shipment_id: str
    order_id: str
    carrier: str
    tracking_no: str
    statuses: tuple[CarrierStatus, ...]


#: the trigger of an :class:`InvoiceShipment` issued because the account's billing trigger changed
BILLING_RULE_CHANGED = "billing_rule_changed"


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceShipment(Command):
    order_id: str
    shipment_id: str
    trigger: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivePayment(Command):
    """Cash from a customer with its remittance (invoice references)."""

    payment_id: str
    customer_id: str
    amount: Decimal
    currency: str
    method: str
    references: tuple[RemittanceLine, ...]
    #: the payer's deductions and additions (820 ADX); each deduction with a reason
    #: code becomes a dispute on its invoice
    adjustments: tuple[RemittanceAdjustment, ...] = ()
    #: who paid, as the bank knows them, when ``customer_id`` is not known (empty)
    payer_name: str = ""
    payer_account: str = ""
    value_date: date | None = None
    #: unstructured remittance information (a bank's free text)
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyCash(Command):
    """A person places a payment's unapplied cash: on ``invoice_id`` (``amount``, with
    ``discount`` granted), naming the payer's account when o2c could not identify it
    (``customer_id``). With no invoice, only the payer is named: the cash stays unapplied
    on that account."""

    payment_id: str
    reason: str
    invoice_id: str = ""
    amount: Decimal | None = None
    discount: Decimal = Decimal(0)
    customer_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnapplyPayment(Command):
    """A person takes back what a payment applied to an invoice (all of it, or ``amount``):
    the invoice is open again and the cash waits to be applied again."""

    payment_id: str
    invoice_id: str
    reason: str
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueCreditMemo(Command):
    invoice_id: str
    amount: Decimal
    reason: str
    by: str


# ---------------------------------------------------------------- disputes


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDispute(Command):
    """Open a dispute case on ``invoice_id`` (a person, or a customer's 812): ``category``
    (a dispute reason), optionally some of its ``lines`` and an ``amount`` (default: those
    lines' amount, else what is open and not yet in dispute), with a ``note``."""

    invoice_id: str
    category: str
    note: str = ""
    amount: Decimal | None = None
    lines: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachEvidence(Command):
    """Attach evidence to a case: its ``kind`` (pod, signed_bol, contract_price, note,
    document) and a ``reference`` or ``text``, never the document itself."""

    dispute_id: str
    kind: str
    reference: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveDispute(Command):
    """Close a case: ``resolution`` credit_memo | write_off | reject, for ``amount``
    (default: the case's amount; a rejection settles nothing), saying why."""

    dispute_id: str
    resolution: str
    reason: str
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveStock(Command):
    """Goods received into a warehouse (purchase receipt, transfer, 3PL advice)."""

    warehouse_id: str
    product_id: str
    lot_id: str
    expiry: date | None
    quantity: Decimal
    reference: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CountedItem:
    """One position of an inventory advice: the warehouse's count (None: not sent)
    in ``uom`` (empty: the product's base unit)."""

    product_id: str
    lot_id: str
    uom: str
    on_hand: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileInventory(Command):
    """A warehouse's (or 3PL's) count of the positions it names (X12 846)."""

    warehouse_id: str
    advice_id: str
    as_of: date | None
    items: tuple[CountedItem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveStockDifference(Command):
    """A count difference referred to warehouse_ops. Issued by the engine without
    ``by``, it is refused (parked in the dead-letter queue with the reason) until a
    person replays it with ``by`` and ``action``: ``apply`` books ``delta`` on the
    current on-hand, ``keep`` keeps o2c's figures. Plain strings: it is replayed
    from its JSON body."""

    warehouse_id: str
    product_id: str
    lot_id: str
    delta: str
    advised: str
    advice_id: str
    rule: str
    reason: str
    by: str = ""
    action: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseOrder(Command):
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FireTimer(Command):
    """A durable timer is due (``o2c.domain.timers``): o2c looks again at what it watches.
    Plain strings (``due_at`` ISO 8601, ``payload`` JSON): it is replayed from its JSON body."""

    timer_id: str
    kind: str
    subject: str
    due_at: str
    payload: str = "{}"


@dataclass(frozen=True, slots=True, kw_only=True)
class UpsertCustomer(Command):
    """A customer account as the system of record (an ERP) or a person states it, whole:
    added if new, updated where it differs, nothing if equal (``o2c.engine.handlers.master``)."""

    customer: Customer


@dataclass(frozen=True, slots=True, kw_only=True)
class UpsertProduct(Command):
    """A product as the system of record states it, whole (see :class:`UpsertCustomer`)."""

    product: Product


@dataclass(frozen=True, slots=True, kw_only=True)
class UpsertLegalEntity(Command):
    """A legal entity (the company that sells and invoices) stated whole."""

    entity: LegalEntity


@dataclass(frozen=True, slots=True, kw_only=True)
class UpsertWarehouse(Command):
    """A warehouse of a legal entity stated whole."""

    warehouse: Warehouse


@dataclass(frozen=True, slots=True, kw_only=True)
class UpsertPriceAgreement(Command):
    """A price agreement (or a group price list) stated whole; its version is o2c's to count."""

    agreement: PriceAgreement


@dataclass(frozen=True, slots=True, kw_only=True)
class UpsertTaxRate(Command):
    """A tax rate of a jurisdiction and tax class stated whole; its version is o2c's to count."""

    rate: TaxRate


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryTaxHold(Command):
    """A tax rate arrived or changed: o2c lifts the order's BIL-TAX-UNRESOLVED holds that
    waited for ``jurisdiction`` (``US-IL``), and invoicing is tried again."""

    order_id: str
    jurisdiction: str
    because: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenStock(Command):
    """An opening balance: what a warehouse holds of one product and lot when o2c starts
    keeping its stock, in ``uom`` (empty: the product's base unit). Later changes come as
    receipts and counts."""

    warehouse_id: str
    product_id: str
    lot_id: str
    expiry: date | None
    quantity: Decimal
    reference: str
    uom: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RevalidateOrder(Command):
    """Master data an order was held for arrived (a customer, a ship-to, an item, a unit):
    o2c lifts the order's master-data holds whose problem is gone, and validation resumes."""

    order_id: str
    because: str


# ---------------------------------------------------------------- collections


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordPromiseToPay(Command):
    """A person in collections records a customer's promise to pay ``amount`` by
    ``promised_date`` (ISO date), on ``invoice_ids`` or the account when empty."""

    customer_id: str
    amount: Decimal
    promised_date: str
    note: str
    invoice_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunDunning(Command):
    """Run a legal entity's dunning now, for its business date (operators; the daily run is
    a timer)."""

    legal_entity_id: str
# ---------------------------------------------------------------- outbound documents


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordFunctionalAck(Command):
    """A partner's 997 (or 999) answering one functional group we sent: AK1 (GS01, GS06),
    an AK2..AK5 per transaction set it names, AK9. ``message`` names the inbound message
    (``source:ISA13:GS06:ST02``)."""

    partner_id: str
    functional_id: str
    group_control_number: str
    group_code: str
    sets: tuple[SetAck, ...]
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ResendDocument(Command):
    """A person sends a rejected or unacknowledged document again, under new control numbers."""

    document_id: str
