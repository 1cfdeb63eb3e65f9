"""The canonical JSON messages every channel maps into, and their translation
into engine commands.

Each inbound ``kind`` has a pydantic model; a body that does not fit is
refused with the path of every bad field and what was expected, so a person
can correct it and replay.

What the store holds is decided here, once, for every channel and both
databases: identifiers (indexed: ids, codes, PO numbers) are at most
:data:`ID_MAX` characters without control characters, free text at most
:data:`TEXT_MAX` without NUL or lone surrogates (PostgreSQL refuses both);
quantities and unit prices have :data:`~o2c.domain.money.QUANTITY_PLACES`
decimal places, amounts of money their currency's minor unit.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from o2c.adapters.limits import too_many_lines
from o2c.domain import events as ev
from o2c.domain.documents import SetAck
from o2c.domain.master import (
    BillingTrigger,
    Customer,
    ExemptionCertificate,
    LegalEntity,
    PaymentTerms,
    PriceAgreement,
    PriceBreak,
    Product,
    ShipTo,
    TaxRate,
    Warehouse,
)
from o2c.domain.money import AMOUNT_PLACES, PRICE_PLACES, QUANTITY_PLACES, Money, minor_unit_problem
from o2c.engine import commands as cmd
from o2c.engine.errors import InvalidMessage
from o2c.engine.ports import InboundMessage

#: the longest identifier (id, code, PO number) kept: these are indexed, and an
#: index entry has a size limit on PostgreSQL
ID_MAX = 200
#: the longest free text (a reason, a name on a POD) kept
TEXT_MAX = 4000

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def identifier(value: str) -> str:
    """``value`` if it can be an identifier (no control characters), else a precise error."""
    bad = _CONTROL.search(value)
    if bad:
        raise PydanticCustomError("identifier_characters",
                                  "contains {char} at position {at}: an identifier has no control characters",
                                  {"char": f"U+{ord(bad.group()):04X}", "at": bad.start()})
    return value


def _text(value: str) -> str:
    bad = _UNSTORABLE.search(value)
    if bad:
        raise PydanticCustomError("text_characters",
                                  "contains {char} at position {at}, which text cannot hold "
                                  "(NUL or half of a surrogate pair)",
                                  {"char": f"U+{ord(bad.group()):04X}", "at": bad.start()})
    return value


#: an identifier that must be there (an id, a code)
Text = Annotated[str, Field(min_length=1, max_length=ID_MAX), AfterValidator(identifier)]
#: an identifier that may be empty
OptId = Annotated[str, Field(max_length=ID_MAX), AfterValidator(identifier)]
#: free text
Note = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_text)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=QUANTITY_PLACES)]
#: a unit price (may go below the currency's minor unit)
Price = Annotated[Decimal, Field(max_digits=18, decimal_places=PRICE_PLACES)]
#: an amount of money: exact to its currency's minor unit (checked where the currency is known)
Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=AMOUNT_PLACES)]
#: a short code from a partner's code list (X12 ADX02, POC02, AT701...)
Code = Annotated[str, Field(min_length=1, max_length=3), AfterValidator(identifier)]
Uom = Annotated[str, Field(min_length=1, max_length=10), AfterValidator(identifier)]
#: a stock count (zero allowed)
Stock = Annotated[Decimal, Field(max_digits=18, decimal_places=QUANTITY_PLACES)]


def _with_offset(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise PydanticCustomError(
            "timezone_aware", "timestamp has no UTC offset; send e.g. 2026-03-02T14:05:00-05:00")
    return t


#: A moment in time: sent with a UTC offset, never guessed (a source whose times are
#: local names its zone in its configuration, and its normalizer adds the offset).
Instant = Annotated[datetime, AfterValidator(_with_offset)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class OrderLineIn(_Model):
    line_no: int = Field(ge=1)
    product_id: Text
    quantity: Qty
    uom: Uom
    unit_price: Price | None = None
    customer_item: OptId | None = None


class OrderIn(_Model):
    legal_entity_id: Text
    customer_id: Text
    ship_to_id: OptId = ""
    po_number: OptId = ""
    channel: Text
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    order_date: date
    requested_date: date | None = None
    payment_terms: OptId | None = None
    lines: list[OrderLineIn]

    def command(self) -> cmd.ReceiveOrder:
        return cmd.ReceiveOrder(
            legal_entity_id=self.legal_entity_id, customer_id=self.customer_id,
            ship_to_id=self.ship_to_id, po_number=self.po_number, channel=self.channel,
            currency=self.currency, order_date=self.order_date, requested_date=self.requested_date,
            payment_terms=self.payment_terms,
            lines=tuple(ev.OrderLineData(line_no=ln.line_no, product_id=ln.product_id,
                                         quantity=ln.quantity, uom=ln.uom.upper(),
                                         unit_price=ln.unit_price, customer_item=ln.customer_item)
                        for ln in self.lines))


class LineChange(StrEnum):
    """What an 860 asks of one line (POC02, code list 670, folded into o2c's vocabulary)."""

    ADD = "add"
    CANCEL = "cancel"
    CHANGE_QUANTITY = "change_quantity"
    CHANGE_DATE = "change_date"
    CHANGE_PRICE = "change_price"
    REPLACE = "replace"
    NO_CHANGE = "no_change"


class OrderChangeLineIn(_Model):
    """One POC line.  ``quantity`` is the new ordered quantity (POC03), ``quantity_left``
    what the buyer still expects to receive (POC04); ``change_code`` keeps POC02 verbatim."""

    line_no: int = Field(ge=1)
    changes: list[LineChange] = Field(min_length=1)
    change_code: Code
    product_id: OptId | None = None
    quantity: Qty | None = None
    quantity_left: Annotated[Stock, Field(ge=0)] | None = None
    uom: Uom | None = None
    unit_price: Price | None = None
    requested_date: date | None = None


class OrderChangeIn(_Model):
    """kind ``order_change``: a buyer's change to a PO it sent before (X12 860).

    ``purpose`` is ``change`` (BCH01 04), ``replace`` (05: the lines restate the order) or
    ``cancel`` (01: the whole PO). The engine (``ChangeOrder``) finds the order by (customer,
    PO number), applies the change while nothing is released to a warehouse (the order is then
    validated, credit-checked and allocated again), refuses it after that with a hold for
    customer service, and answers through the outbox (``order_ack``). Nothing is shipped
    before a change is applied, so a missing ``quantity`` is taken from ``quantity_left``.
    """

    legal_entity_id: Text
    customer_id: Text
    po_number: Text
    purpose: Annotated[str, Field(pattern=r"^(change|replace|cancel)$")]
    change_sequence: OptId = ""
    order_date: date | None = None
    change_date: date | None = None
    requested_date: date | None = None
    lines: list[OrderChangeLineIn] = []

    def command(self) -> cmd.ChangeOrder:
        return cmd.ChangeOrder(
            legal_entity_id=self.legal_entity_id, customer_id=self.customer_id,
            po_number=self.po_number, purpose=self.purpose, change_sequence=self.change_sequence,
            requested_date=self.requested_date,
            lines=tuple(cmd.ChangeLine(
                line_no=ln.line_no, changes=tuple(c.value for c in ln.changes),
                product_id=ln.product_id or None,
                quantity=ln.quantity if ln.quantity is not None else ln.quantity_left or None,
                uom=ln.uom.upper() if ln.uom else None, unit_price=ln.unit_price,
                requested_date=ln.requested_date) for ln in self.lines))


class ShippedLineIn(_Model):
    line_no: int = Field(ge=1)
    product_id: Text
    lot_id: OptId = "-"
    quantity: Qty


class ShipmentIn(_Model):
    shipment_id: Text
    order_id: Text
    warehouse_id: Text
    carrier: OptId = ""
    tracking_no: OptId = ""
    lines: list[ShippedLineIn]
    shipped_at: Instant | None = None  # when the truck left, by the warehouse's clock

    def command(self) -> cmd.ConfirmShipment:
        return cmd.ConfirmShipment(
            shipment_id=self.shipment_id, order_id=self.order_id, warehouse_id=self.warehouse_id,
            carrier=self.carrier, tracking_no=self.tracking_no, shipped_at=self.shipped_at,
            lines=tuple(ev.ShippedLine(line_no=s.line_no, product_id=s.product_id,
                                       warehouse_id=self.warehouse_id, lot_id=s.lot_id,
                                       quantity=s.quantity) for s in self.lines))


class DeliveryIn(_Model):
    shipment_id: Text
    order_id: Text
    delivered_at: Instant
    signed_by: Note = ""

    def command(self) -> cmd.RecordDelivery:
        return cmd.RecordDelivery(shipment_id=self.shipment_id, order_id=self.order_id,
                                  delivered_at=self.delivered_at, signed_by=self.signed_by)


class PickedLineIn(_Model):
    line_no: int = Field(ge=1)
    product_id: Text
    lot_id: OptId = "-"
    quantity: Qty


def _warehouse_lines(lines: list[PickedLineIn]) -> tuple[ev.WarehouseLine, ...]:
    return tuple(ev.WarehouseLine(line_no=ln.line_no, product_id=ln.product_id,
                                  lot_id=ln.lot_id or "-", quantity=ln.quantity) for ln in lines)


class PickConfirmedIn(_Model):
    """kind ``pick_confirmed``: the warehouse picked (some of) an order's lines.

    ``RecordPick`` records a ``PickConfirmed`` event and the order's ``picked_at`` (no
    quantities change: the shipment confirmation does that), so that release-to-ship time
    splits into waiting for the pick and waiting for the truck. A pick with another lot than
    allocated is recorded as it is; the shipment confirmation decides."""

    order_id: Text
    warehouse_id: Text
    picked_at: Instant
    lines: list[PickedLineIn] = Field(min_length=1)

    def command(self) -> cmd.RecordPick:
        return cmd.RecordPick(order_id=self.order_id, warehouse_id=self.warehouse_id,
                              picked_at=self.picked_at, lines=_warehouse_lines(self.lines))


class FulfilmentExceptionIn(_Model):
    """kind ``fulfilment_exception``: the warehouse cannot fulfil as allocated
    (short pick, damaged, lot missing). ``code`` is the source's own exception
    code, kept verbatim; ``reason`` its text; each line's quantity is what cannot be
    fulfilled (no lines: the exception concerns all the warehouse holds for the order).

    ``ReportFulfilmentException`` places a ``FUL-QTY-MISMATCH`` (or, as the fulfilment
    policy maps the code, ``INV-LOT-UNAVAILABLE``) hold for ``warehouse_ops`` naming the
    lines."""

    order_id: Text
    warehouse_id: Text
    reported_at: Instant
    code: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(identifier)]
    reason: Note = ""
    lines: list[PickedLineIn] = []

    def command(self) -> cmd.ReportFulfilmentException:
        return cmd.ReportFulfilmentException(
            order_id=self.order_id, warehouse_id=self.warehouse_id, reported_at=self.reported_at,
            code=self.code, reason=self.reason, lines=_warehouse_lines(self.lines))


class StatusEventIn(_Model):
    """One AT7 status: the code (AT701, e.g. ``X6`` en route), its reason, when and where."""

    code: Code
    reason: Note = ""
    appointment_code: OptId = ""
    at: Instant | None = None
    city: Note = ""
    region: Note = ""
    country: Note = ""


class ShipmentStatusIn(_Model):
    """kind ``shipment_status``: a carrier's milestones short of delivery (X12 214).

    ``RecordShipmentStatus`` appends the statuses to the shipment (a ``ShipmentStatusReported``
    event for track and trace) and raises ``FUL-LATE-SHIP`` when the fulfilment policy calls a
    status a delay or an exception (e.g. ``SD`` shipment delayed). ``order_id`` is needed: o2c
    finds a shipment through its order."""

    shipment_id: Text
    order_id: OptId = ""
    carrier: OptId = ""
    tracking_no: OptId = ""
    statuses: list[StatusEventIn] = Field(min_length=1)

    def command(self) -> cmd.RecordShipmentStatus:
        return cmd.RecordShipmentStatus(
            shipment_id=self.shipment_id, order_id=self.order_id, carrier=self.carrier,
            tracking_no=self.tracking_no,
            statuses=tuple(ev.CarrierStatus(code=s.code.upper(), reason=s.reason,
                                            appointment_code=s.appointment_code, at=s.at,
                                            city=s.city, region=s.region, country=s.country)
                           for s in self.statuses))


class RemittanceLineIn(_Model):
    """One line of remittance: what the payer says it pays.

    ``invoice_id`` is the invoice number as the payer wrote it (typos and formatting noise
    included: cash application matches it). A line that names no invoice gives another
    ``reference`` with its ``qualifier`` (``PO`` a purchase order number; empty: a
    reference of unknown kind, e.g. taken from a bank's free text). ``amount`` is what the
    line pays; None when the remittance does not say (a bank file that lists references
    only): the payment is then spread over what the references name.
    """

    invoice_id: OptId = ""
    reference: OptId = ""
    qualifier: OptId = ""
    amount: Amount | None = None
    discount: Amount = Decimal(0)

    @model_validator(mode="after")
    def _names_something(self) -> RemittanceLineIn:
        if not self.invoice_id and not self.reference:
            raise PydanticCustomError("remittance_reference",
                                      "a remittance line needs an invoice_id or a reference")
        return self


class AdjustmentIn(_Model):
    """One remittance adjustment (820 ADX): an amount the payer deducted (negative) or
    added (positive), with its reason code (ADX02, X12 code list 426).

    With ``invoice_id`` (an ADX after its RMR) the remittance line of that invoice is
    already net of it; without, the payment amount as a whole is, and ``reference``
    qualified ``IV`` may name the invoice. Cash application turns each deduction into a
    dispute on its invoice (a deduction case, ``CSH-SHORT-PAY``).
    """

    invoice_id: OptId = ""
    amount: Amount
    reason_code: Code
    reference_qualifier: OptId = ""
    reference: OptId = ""


class PaymentIn(_Model):
    """Cash received, with what the payer (or its bank) says about it.

    ``customer_id`` is the account when the channel knows it (an 820 from a trading
    partner, a lockbox line keyed to an account); a bank file often does not, and gives the
    payer's ``payer_name`` and bank ``payer_account`` instead, and may give its references
    only as unstructured ``text``. Cash application identifies the payer from what there is;
    a payment it cannot place waits in the cash application queue, never lost.
    """

    payment_id: Text
    customer_id: OptId = ""
    payer_name: Note = ""
    payer_account: OptId = ""
    amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    method: OptId = "ach"
    value_date: date | None = None
    references: list[RemittanceLineIn] = []
    adjustments: list[AdjustmentIn] = []
    text: Note = ""

    @model_validator(mode="after")
    def _exact_to_the_minor_unit(self) -> PaymentIn:
        amounts = [("amount", self.amount)]
        amounts += [(f"references.{i}.{f}", getattr(r, f))
                    for i, r in enumerate(self.references) for f in ("amount", "discount")
                    if getattr(r, f) is not None]
        amounts += [(f"adjustments.{i}.amount", a.amount) for i, a in enumerate(self.adjustments)]
        for where, value in amounts:
            problem = minor_unit_problem(value, self.currency)
            if problem:
                raise PydanticCustomError("minor_unit", "{where}: {problem}",
                                          {"where": where, "problem": problem})
        return self

    def command(self) -> cmd.ReceivePayment:
        return cmd.ReceivePayment(
            payment_id=self.payment_id, customer_id=self.customer_id, amount=self.amount,
            currency=self.currency, method=self.method, payer_name=self.payer_name,
            payer_account=self.payer_account, value_date=self.value_date, text=self.text,
            references=tuple(ev.RemittanceLine(invoice_id=r.invoice_id, reference=r.reference,
                                               qualifier=r.qualifier, amount=r.amount,
                                               discount=r.discount) for r in self.references),
            adjustments=tuple(ev.RemittanceAdjustment(
                invoice_id=a.invoice_id, amount=a.amount, reason_code=a.reason_code,
                reference_qualifier=a.reference_qualifier, reference=a.reference)
                for a in self.adjustments))


class StockReceiptIn(_Model):
    warehouse_id: Text
    product_id: Text
    lot_id: OptId = "-"
    expiry: date | None = None
    quantity: Qty
    reference: Text

    def command(self) -> cmd.ReceiveStock:
        return cmd.ReceiveStock(warehouse_id=self.warehouse_id, product_id=self.product_id,
                                lot_id=self.lot_id, expiry=self.expiry, quantity=self.quantity,
                                reference=self.reference)


class InventoryItemIn(_Model):
    """One LIN of an 846: the product, its lot, and its quantities by QTY01 qualifier
    (``quantities``); ``on_hand`` (17) and ``available`` (33) are lifted out when present."""

    product_id: Text
    lot_id: OptId = "-"
    uom: OptId = ""
    on_hand: Stock | None = None
    available: Stock | None = None
    quantities: dict[str, Stock] = {}


class InventoryAdviceIn(_Model):
    """kind ``inventory_advice``: a warehouse's (or 3PL's) count of the positions it names
    (X12 846). o2c compares each ``on_hand`` with its own per warehouse/product/lot and
    books the difference (``ReconcileInventory``), never below what orders have reserved;
    a difference beyond the policy's tolerance goes to warehouse_ops."""

    warehouse_id: Text
    advice_id: OptId = ""
    as_of: date | None = None
    items: list[InventoryItemIn] = Field(min_length=1)

    def command(self) -> cmd.ReconcileInventory:
        return cmd.ReconcileInventory(
            warehouse_id=self.warehouse_id, advice_id=self.advice_id, as_of=self.as_of,
            items=tuple(cmd.CountedItem(product_id=i.product_id, lot_id=i.lot_id or "-",
                                        uom=i.uom.upper(), on_hand=i.on_hand)
                        for i in self.items))


class HoldDecisionIn(_Model):
    order_id: Text
    code: Text
    by: Text
    reason: Annotated[Note, Field(min_length=1)]
    action: OptId = "release"

    def command(self) -> cmd.ReleaseHold:
        return cmd.ReleaseHold(order_id=self.order_id, code=self.code, by=self.by,
                               reason=self.reason, action=self.action)


class OrderRejectionIn(_Model):
    order_id: Text
    by: Text
    reason: Annotated[Note, Field(min_length=1)]

    def command(self) -> cmd.RejectOrder:
        return cmd.RejectOrder(order_id=self.order_id, by=self.by, reason=self.reason)


class CreditMemoIn(_Model):
    invoice_id: Text
    amount: Amount
    reason: Annotated[Note, Field(min_length=1)]
    by: Text

    def command(self) -> cmd.IssueCreditMemo:
        return cmd.IssueCreditMemo(invoice_id=self.invoice_id, amount=self.amount,
                                   reason=self.reason, by=self.by)


class CashApplicationIn(_Model):
    """A person places a payment's unapplied cash (``o2c cash apply``): on ``invoice_id``
    (``amount``: all that fits when absent), naming the payer's account when o2c could not."""

    payment_id: Text
    invoice_id: OptId = ""
    amount: Amount | None = None
    discount: Amount = Decimal(0)
    customer_id: OptId = ""
    reason: Annotated[Note, Field(min_length=1)]

    def command(self) -> cmd.ApplyCash:
        return cmd.ApplyCash(payment_id=self.payment_id, invoice_id=self.invoice_id, amount=self.amount,
                             discount=self.discount, customer_id=self.customer_id, reason=self.reason)


class CashUnapplicationIn(_Model):
    """A person takes back what a payment applied to an invoice (``o2c cash unapply``)."""

    payment_id: Text
    invoice_id: Text
    amount: Amount | None = None
    reason: Annotated[Note, Field(min_length=1)]

    def command(self) -> cmd.UnapplyPayment:
        return cmd.UnapplyPayment(payment_id=self.payment_id, invoice_id=self.invoice_id, amount=self.amount,
                                  reason=self.reason)


# ---------------------------------------------------------------- disputes


#: an invoice line a dispute names
DisputedLine = Annotated[int, Field(ge=1, le=1_000_000)]


class DisputeIn(_Model):
    """kind ``dispute``: a dispute opened on an invoice (``o2c disputes open``, ``POST
    /disputes``, a customer's 812): its category, optionally some lines and an amount."""

    invoice_id: Text
    category: Text
    amount: Amount | None = None
    lines: list[DisputedLine] = Field(default_factory=list, max_length=1000)
    note: Note = ""

    def command(self) -> cmd.OpenDispute:
        return cmd.OpenDispute(invoice_id=self.invoice_id, category=self.category, amount=self.amount,
                               lines=tuple(self.lines), note=self.note)


class DisputeEvidenceIn(_Model):
    """kind ``dispute_evidence``: evidence on a case, a reference or a text."""

    dispute_id: Text
    kind: Text
    reference: OptId = ""
    text: Note = ""

    def command(self) -> cmd.AttachEvidence:
        return cmd.AttachEvidence(dispute_id=self.dispute_id, kind=self.kind, reference=self.reference,
                                  text=self.text)


class DisputeResolutionIn(_Model):
    """kind ``dispute_resolution``: a case closed by a credit memo, a write-off or a rejection."""

    dispute_id: Text
    resolution: Text
    amount: Amount | None = None
    reason: Annotated[Note, Field(min_length=1)]

    def command(self) -> cmd.ResolveDispute:
        return cmd.ResolveDispute(dispute_id=self.dispute_id, resolution=self.resolution, amount=self.amount,
                                  reason=self.reason)


# ---------------------------------------------------------------- master data


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise PydanticCustomError("currency", "{value} is not a currency: an amount needs its ISO 4217 "
                                  "code, three capital letters such as USD", {"value": repr(value)})
    return value


def _unit(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]{1,10}", value):
        raise PydanticCustomError("unit", "{value} is not a unit of measure: 1 to 10 letters or "
                                  "digits such as EA or CS", {"value": repr(value)})
    return value.upper()


def _terms(value: str) -> str:
    try:
        return PaymentTerms.parse(value).code
    except ValueError as e:
        raise PydanticCustomError("payment_terms", "{problem}", {"problem": str(e)}) from None


#: an ISO 4217 currency code
Currency = Annotated[str, AfterValidator(_currency)]
#: a unit of measure code, kept upper case
UnitCode = Annotated[str, AfterValidator(_unit)]


def _one_each(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise PydanticCustomError("duplicate", "{what} {value} is given twice",
                                      {"what": what, "value": v})
        seen.add(v)


class ShipToIn(_Model):
    ship_to_id: Text
    name: Annotated[Note, Field(min_length=1)]
    city: Note = ""
    region: Note = ""
    postal_code: OptId = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"
    county: Note = ""


#: A tax jurisdiction a certificate names: a country (``CA``) or a state or province (``US-IL``).
Jurisdiction = Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Za-z0-9 .]{1,40})?$")]


class ExemptionIn(_Model):
    """A tax exemption certificate of the account for ``jurisdiction``, valid to ``expires``."""

    certificate_id: Text
    jurisdiction: Jurisdiction
    expires: date


class CustomerIn(_Model):
    """kind ``customer``: a buying account as the system of record states it, whole
    (``UpsertCustomer``). ``credit_limit`` is in ``currency``, which must be the legal
    entity's; ``parent_id`` names the group's head account (one level); ``payment_terms``
    like ``2/10 net 30``; ``billing_trigger`` ``on_ship``, ``on_pod`` or ``consolidated``."""

    customer_id: Text
    legal_entity_id: Text
    name: Annotated[Note, Field(min_length=1)]
    parent_id: OptId | None = None
    payment_terms: Annotated[str, AfterValidator(_terms)]
    credit_limit: Annotated[Amount, Field(ge=0)]
    currency: Currency
    billing_trigger: BillingTrigger = BillingTrigger.ON_SHIP
    accepts_partial: bool = False
    home_warehouse_id: Text
    blocked: bool = False
    edi_id: OptId | None = None
    ship_tos: list[ShipToIn] = Field(min_length=1)
    exemptions: list[ExemptionIn] = []

    @model_validator(mode="after")
    def _consistent(self) -> CustomerIn:
        _one_each([s.ship_to_id for s in self.ship_tos], "ship-to")
        _one_each([x.certificate_id for x in self.exemptions], "exemption certificate")
        problem = minor_unit_problem(self.credit_limit, self.currency)
        if problem:
            raise PydanticCustomError("minor_unit", "credit_limit: {problem}", {"problem": problem})
        return self

    def command(self) -> cmd.UpsertCustomer:
        return cmd.UpsertCustomer(customer=Customer(
            customer_id=self.customer_id, legal_entity_id=self.legal_entity_id, name=self.name,
            ship_tos=tuple(ShipTo(ship_to_id=s.ship_to_id, name=s.name, city=s.city,
                                  region=s.region, postal_code=s.postal_code, country=s.country,
                                  county=s.county)
                           for s in self.ship_tos),
            payment_terms=self.payment_terms, credit_limit=Money(self.credit_limit, self.currency),
            billing_trigger=self.billing_trigger, accepts_partial=self.accepts_partial,
            home_warehouse_id=self.home_warehouse_id, blocked=self.blocked,
            parent_id=self.parent_id or None, edi_id=self.edi_id or None,
            exemptions=tuple(ExemptionCertificate(certificate_id=x.certificate_id,
                                                  jurisdiction=x.jurisdiction, expires=x.expires)
                             for x in self.exemptions)))


class UnitIn(_Model):
    """A unit other than the base unit and how many base units one of it holds."""

    uom: UnitCode
    factor: Qty


class PriceIn(_Model):
    """A product's list price and floor (margin) price per base unit, in ``currency``."""

    currency: Currency
    list_price: Annotated[Price, Field(ge=0)] | None = None
    floor_price: Annotated[Price, Field(ge=0)] | None = None


class ProductIn(_Model):
    """kind ``product``: a stocked item as the system of record states it, whole
    (``UpsertProduct``). Stock and prices are per ``base_uom``; each of ``units`` converts
    (a case ``CS`` of 12 ``EA``: ``{"uom": "CS", "factor": 12}``)."""

    product_id: Text
    description: Annotated[Note, Field(min_length=1)]
    base_uom: UnitCode
    units: list[UnitIn] = []
    lot_controlled: bool = False
    prices: list[PriceIn] = []
    gtin: OptId | None = None
    tax_class: Text = "standard"

    @model_validator(mode="after")
    def _consistent(self) -> ProductIn:
        _one_each([u.uom for u in self.units], "unit")
        _one_each([p.currency for p in self.prices], "price currency")
        return self

    def command(self) -> cmd.UpsertProduct:
        return cmd.UpsertProduct(product=Product(
            product_id=self.product_id, description=self.description, base_uom=self.base_uom,
            uom_factors={u.uom: u.factor for u in self.units}, lot_controlled=self.lot_controlled,
            list_prices={p.currency: p.list_price for p in self.prices if p.list_price is not None},
            floor_prices={p.currency: p.floor_price for p in self.prices if p.floor_price is not None},
            gtin=self.gtin or None, tax_class=self.tax_class))


class LegalEntityIn(_Model):
    """kind ``legal_entity``: the company that sells and invoices, stated whole
    (``UpsertLegalEntity``). ``tax_rate`` is a fraction (0.0725 for 7.25 %); ``timezone`` the
    IANA zone its business dates fall in."""

    entity_id: Text
    name: Annotated[Note, Field(min_length=1)]
    currency: Currency
    tax_jurisdiction: Text
    tax_rate: Annotated[Decimal, Field(ge=0, lt=1, max_digits=10, decimal_places=6)]
    invoice_prefix: Text
    timezone: Text = "UTC"
    address: Note = ""
    city: Note = ""
    region: Note = ""
    postal_code: Note = ""
    country: Note = ""
    tax_registrations: Note = ""
    remit_to: Note = ""

    def command(self) -> cmd.UpsertLegalEntity:
        return cmd.UpsertLegalEntity(entity=LegalEntity(
            entity_id=self.entity_id, name=self.name, currency=self.currency,
            tax_jurisdiction=self.tax_jurisdiction, tax_rate=self.tax_rate,
            invoice_prefix=self.invoice_prefix, timezone=self.timezone, address=self.address,
            city=self.city, region=self.region, postal_code=self.postal_code, country=self.country,
            tax_registrations=self.tax_registrations, remit_to=self.remit_to))


class WarehouseIn(_Model):
    """kind ``warehouse``: a warehouse of a legal entity, stated whole (``UpsertWarehouse``)."""

    warehouse_id: Text
    legal_entity_id: Text
    name: Annotated[Note, Field(min_length=1)]
    region: Note = ""
    timezone: Text = "UTC"

    def command(self) -> cmd.UpsertWarehouse:
        return cmd.UpsertWarehouse(warehouse=Warehouse(
            warehouse_id=self.warehouse_id, legal_entity_id=self.legal_entity_id, name=self.name,
            region=self.region, timezone=self.timezone))


class PriceBreakIn(_Model):
    """From ``min_quantity`` base units on a line, ``price`` per base unit."""

    min_quantity: Qty
    price: Annotated[Price, Field(ge=0)]


class PriceAgreementIn(_Model):
    """kind ``price_agreement``: a contract price per base unit of ``product_id`` for the
    account ``customer_id``, or (``group``) for every account of the group it heads, valid
    from ``valid_from`` to ``valid_to`` (inclusive; none: open-ended), with quantity
    ``breaks`` (``UpsertPriceAgreement``)."""

    agreement_id: Text
    customer_id: Text
    group: bool = False
    product_id: Text
    currency: Currency
    price: Annotated[Price, Field(ge=0)]
    valid_from: date
    valid_to: date | None = None
    breaks: list[PriceBreakIn] = []

    @model_validator(mode="after")
    def _consistent(self) -> PriceAgreementIn:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise PydanticCustomError("validity", "valid_to {to} is before valid_from {start}",
                                      {"to": str(self.valid_to), "start": str(self.valid_from)})
        _one_each([str(b.min_quantity.normalize()) for b in self.breaks], "price break")
        return self

    def command(self) -> cmd.UpsertPriceAgreement:
        return cmd.UpsertPriceAgreement(agreement=PriceAgreement(
            agreement_id=self.agreement_id, customer_id=self.customer_id, product_id=self.product_id,
            price=Money(self.price, self.currency), valid_from=self.valid_from,
            valid_to=self.valid_to, group=self.group,
            breaks=tuple(PriceBreak(min_quantity=b.min_quantity, price=b.price)
                         for b in sorted(self.breaks, key=lambda b: b.min_quantity))))


class TaxRateIn(_Model):
    """kind ``tax_rate``: a sales tax of a state or province (``country``, ``region``) or of a
    county or city within it, on products of ``tax_class``, at ``rate`` (a fraction: 0.0625),
    valid from ``valid_from`` to ``valid_to`` (inclusive; none: open-ended); ``name`` is what
    the invoice calls it (GST, HST, PST, QST, state, county, city) (``UpsertTaxRate``)."""

    rate_id: Text
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    region: Text
    county: Note = ""
    city: Note = ""
    tax_class: Text = "standard"
    name: Text
    rate: Annotated[Decimal, Field(ge=0, lt=1, max_digits=10, decimal_places=6)]
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TaxRateIn:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise PydanticCustomError("validity", "valid_to {to} is before valid_from {start}",
                                      {"to": str(self.valid_to), "start": str(self.valid_from)})
        if self.county and self.city:
            raise PydanticCustomError("level", "a rate is a county's or a city's, not both", {})
        return self

    def command(self) -> cmd.UpsertTaxRate:
        return cmd.UpsertTaxRate(rate=TaxRate(
            rate_id=self.rate_id, country=self.country, region=self.region, county=self.county,
            city=self.city, tax_class=self.tax_class, name=self.name, rate=self.rate,
            valid_from=self.valid_from, valid_to=self.valid_to))


class StockPositionIn(_Model):
    """kind ``stock_position``: an opening balance of one product and lot in a warehouse, in
    base units (``OpenStock``); taken once, later changes come as receipts and counts."""

    warehouse_id: Text
    product_id: Text
    lot_id: OptId = "-"
    expiry: date | None = None
    quantity: Annotated[Stock, Field(ge=0)]
    uom: Annotated[str, AfterValidator(lambda v: _unit(v) if v else v)] = ""
    reference: Text = "opening balance"

    def command(self) -> cmd.OpenStock:
        return cmd.OpenStock(warehouse_id=self.warehouse_id, product_id=self.product_id,
                             lot_id=self.lot_id or "-", expiry=self.expiry, quantity=self.quantity,
                             uom=self.uom, reference=self.reference)


class SetAckIn(_Model):
    """One AK2 loop of a 997 (or 999): the set we sent (id, ST02), its AK5 code and the
    AK3/AK4 (IK3/IK4) errors as text."""

    set_id: OptId = ""
    set_control_number: Text
    code: OptId = ""
    errors: Note = ""


class FunctionalAckIn(_Model):
    """kind ``functional_ack``: a partner's 997 or 999 answering one functional group we sent
    (AK1: GS01 and GS06; AK9: the group's code). ``RecordFunctionalAck`` matches it to the
    outbound document ledger (``o2c.domain.documents``); ``message`` names the 997."""

    partner_id: Text
    functional_id: OptId = ""
    group_control_number: Text
    group_code: Code
    sets: list[SetAckIn] = Field(default_factory=list)
    message: Text

    def command(self) -> cmd.RecordFunctionalAck:
        return cmd.RecordFunctionalAck(
            partner_id=self.partner_id, functional_id=self.functional_id,
            group_control_number=self.group_control_number, group_code=self.group_code.upper(),
            sets=tuple(SetAck(set_id=s.set_id, set_control_number=s.set_control_number,
                              code=s.code.upper(), errors=s.errors) for s in self.sets),
            message=self.message)


class DocumentResendIn(_Model):
    """kind ``document_resend``: a person sends a rejected or unacknowledged document again
    (``o2c documents resend``, ``POST /documents/{id}/resend``)."""

    document_id: Text

    def command(self) -> cmd.ResendDocument:
        return cmd.ResendDocument(document_id=self.document_id)


KINDS: dict[str, type[Any]] = {
    "order": OrderIn,
    "shipment": ShipmentIn,
    "delivery": DeliveryIn,
    "payment": PaymentIn,
    "stock_receipt": StockReceiptIn,
    "hold_decision": HoldDecisionIn,
    "order_rejection": OrderRejectionIn,
    "credit_memo": CreditMemoIn,
    "cash_application": CashApplicationIn,
    "cash_unapplication": CashUnapplicationIn,
    "dispute": DisputeIn,
    "dispute_evidence": DisputeEvidenceIn,
    "dispute_resolution": DisputeResolutionIn,
    "inventory_advice": InventoryAdviceIn,
    "order_change": OrderChangeIn,
    "pick_confirmed": PickConfirmedIn,
    "fulfilment_exception": FulfilmentExceptionIn,
    "shipment_status": ShipmentStatusIn,
    "customer": CustomerIn,
    "product": ProductIn,
    "legal_entity": LegalEntityIn,
    "warehouse": WarehouseIn,
    "price_agreement": PriceAgreementIn,
    "stock_position": StockPositionIn,
    "tax_rate": TaxRateIn,
    "functional_ack": FunctionalAckIn,
    "document_resend": DocumentResendIn,
}



# ---------------------------------------------------------------- collections


class PromiseToPayIn(_Model):
    """kind ``promise_to_pay``: a person in collections records a customer's promise to pay
    ``amount`` by ``promised_date``, on ``invoice_ids`` (or the account when empty)."""

    customer_id: Text
    amount: Annotated[Amount, Field(gt=0)]
    promised_date: date
    invoice_ids: Annotated[list[Text], Field(max_length=500)] = []
    note: Note = ""

    def command(self) -> cmd.RecordPromiseToPay:
        return cmd.RecordPromiseToPay(customer_id=self.customer_id, amount=self.amount,
                                      promised_date=self.promised_date.isoformat(),
                                      invoice_ids=tuple(self.invoice_ids), note=self.note)


class DunningRunIn(_Model):
    """kind ``dunning_run``: an operator runs a legal entity's dunning now."""

    legal_entity_id: Text

    def command(self) -> cmd.RunDunning:
        return cmd.RunDunning(legal_entity_id=self.legal_entity_id)


KINDS.update({"promise_to_pay": PromiseToPayIn, "dunning_run": DunningRunIn})

def explain(e: ValidationError) -> str:
    """One line per bad field: where it is, what was wrong."""
    parts = []
    for err in e.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def translate(m: InboundMessage, *, max_lines: int | None = None) -> cmd.Command:
    """Turn a canonical JSON message into a command, or raise InvalidMessage.

    ``max_lines`` is the most lines an order may have (:class:`~o2c.adapters.limits.Limits`;
    ``bootstrap`` binds the configured value), checked here rather than in ``OrderIn`` so that
    it can be configured at run time."""
    model = KINDS.get(m.kind)
    if model is None:
        raise InvalidMessage(f"message kind {m.kind!r} is not known (known: {', '.join(KINDS)})")
    try:
        parsed = model.model_validate_json(m.body)
    except ValidationError as e:
        raise InvalidMessage(f"{m.kind} {m.source_message_id} from {m.source}: {explain(e)}") from None
    if max_lines is not None and model is OrderIn:
        problem = too_many_lines(len(parsed.lines), max_lines)
        if problem:
            raise InvalidMessage(f"{m.kind} {m.source_message_id} from {m.source}: lines: {problem}")
    return parsed.command()  # type: ignore[no-any-return]
