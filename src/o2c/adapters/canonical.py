"""The canonical JSON messages every channel maps into, and their translation
into engine commands.

Each inbound ``kind`` has a pydantic model; a body that does not fit is
refused with the path of every bad field and what was expected, so a person
can correct it and replay.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from o2c.domain import events as ev
from o2c.engine import commands as cmd
from o2c.engine.errors import InvalidMessage
from o2c.engine.ports import InboundMessage

Text = Annotated[str, Field(min_length=1, max_length=200)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]
Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class OrderLineIn(_Model):
    line_no: int = Field(ge=1)
    product_id: Text
    quantity: Qty
    uom: Annotated[str, Field(min_length=1, max_length=10)]
    unit_price: Amount | None = None
    customer_item: str | None = None


class OrderIn(_Model):
    legal_entity_id: Text
    customer_id: Text
    ship_to_id: str = ""
    po_number: str = ""
    channel: Text
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    order_date: date
    requested_date: date | None = None
    payment_terms: str | None = None
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


class ShippedLineIn(_Model):
    line_no: int = Field(ge=1)
    product_id: Text
    lot_id: str = "-"
    quantity: Qty


class ShipmentIn(_Model):
    shipment_id: Text
    order_id: Text
    warehouse_id: Text
    carrier: str = ""
    tracking_no: str = ""
    lines: list[ShippedLineIn]

    def command(self) -> cmd.ConfirmShipment:
        return cmd.ConfirmShipment(
            shipment_id=self.shipment_id, order_id=self.order_id, warehouse_id=self.warehouse_id,
            carrier=self.carrier, tracking_no=self.tracking_no,
            lines=tuple(ev.ShippedLine(line_no=s.line_no, product_id=s.product_id,
                                       warehouse_id=self.warehouse_id, lot_id=s.lot_id,
                                       quantity=s.quantity) for s in self.lines))


class DeliveryIn(_Model):
    shipment_id: Text
    order_id: Text
    delivered_at: datetime
    signed_by: str = ""

    def command(self) -> cmd.RecordDelivery:
        return cmd.RecordDelivery(shipment_id=self.shipment_id, order_id=self.order_id,
                                  delivered_at=self.delivered_at, signed_by=self.signed_by)


class RemittanceLineIn(_Model):
    invoice_id: Text
    amount: Amount
    discount: Amount = Decimal(0)


class PaymentIn(_Model):
    payment_id: Text
    customer_id: Text
    amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    method: str = "ach"
    references: list[RemittanceLineIn] = []

    def command(self) -> cmd.ReceivePayment:
        return cmd.ReceivePayment(
            payment_id=self.payment_id, customer_id=self.customer_id, amount=self.amount,
            currency=self.currency, method=self.method,
            references=tuple(ev.RemittanceLine(invoice_id=r.invoice_id, amount=r.amount,
                                               discount=r.discount) for r in self.references))


class StockReceiptIn(_Model):
    warehouse_id: Text
    product_id: Text
    lot_id: str = "-"
    expiry: date | None = None
    quantity: Qty
    reference: Text

    def command(self) -> cmd.ReceiveStock:
        return cmd.ReceiveStock(warehouse_id=self.warehouse_id, product_id=self.product_id,
                                lot_id=self.lot_id, expiry=self.expiry, quantity=self.quantity,
                                reference=self.reference)


class HoldDecisionIn(_Model):
    order_id: Text
    code: Text
    by: Text
    reason: Text
    action: str = "release"

    def command(self) -> cmd.ReleaseHold:
        return cmd.ReleaseHold(order_id=self.order_id, code=self.code, by=self.by,
                               reason=self.reason, action=self.action)


class OrderRejectionIn(_Model):
    order_id: Text
    by: Text
    reason: Text

    def command(self) -> cmd.RejectOrder:
        return cmd.RejectOrder(order_id=self.order_id, by=self.by, reason=self.reason)


class CreditMemoIn(_Model):
    invoice_id: Text
    amount: Amount
    reason: Text
    by: Text

    def command(self) -> cmd.IssueCreditMemo:
        return cmd.IssueCreditMemo(invoice_id=self.invoice_id, amount=self.amount,
                                   reason=self.reason, by=self.by)


KINDS: dict[str, type[Any]] = {
    "order": OrderIn,
    "shipment": ShipmentIn,
    "delivery": DeliveryIn,
    "payment": PaymentIn,
    "stock_receipt": StockReceiptIn,
    "hold_decision": HoldDecisionIn,
    "order_rejection": OrderRejectionIn,
    "credit_memo": CreditMemoIn,
}


def explain(e: ValidationError) -> str:
    """One line per bad field: where it is, what was wrong."""
    parts = []
    for err in e.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(message)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def translate(m: InboundMessage) -> cmd.Command:
    """Turn a canonical JSON message into a command, or raise InvalidMessage."""
    model = KINDS.get(m.kind)
    if model is None:
        raise InvalidMessage(f"message kind {m.kind!r} is not known (known: {', '.join(KINDS)})")
    try:
        parsed = model.model_validate_json(m.body)
    except ValidationError as e:
        raise InvalidMessage(f"{m.kind} {m.source_message_id} from {m.source}: {explain(e)}") from None
    return parsed.command()  # type: ignore[no-any-return]
