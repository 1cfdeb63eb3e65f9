"""Commands: what someone or something asks the engine to do (imperative).

Inbound adapters turn messages into commands; reactions to events issue
commands too (``o2c.engine.reactions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from o2c.domain.events import OrderLineData, RemittanceLine, ShippedLine


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
class ConfirmShipment(Command):
    """A warehouse reports what left the dock."""

    shipment_id: str
    order_id: str
    warehouse_id: str
    carrier: str
    tracking_no: str
    lines: tuple[ShippedLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordDelivery(Command):
    """A carrier reports proof of delivery."""

    shipment_id: str
    order_id: str
    delivered_at: datetime
    signed_by: str


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


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueCreditMemo(Command):
    invoice_id: str
    amount: Decimal
    reason: str
    by: str


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
class CloseOrder(Command):
    order_id: str
