"""What the HTTP API answers with: output schemas, kept apart from the input
schemas (the canonical models of :mod:`o2c.adapters.canonical`) so the wire
contract of a response can change without touching what clients send.

Every amount and quantity is a decimal string, every time ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from o2c.domain.orders import Order
from o2c.engine.ports import DeadLetter


class _Out(BaseModel):
    # from_attributes: responses are read from the domain objects by field name,
    # so a new field is one line in its schema, not another copy loop.
    model_config = ConfigDict(frozen=True, from_attributes=True)


class HoldPublic(_Out):
    code: str
    reason: str
    status: str = "open"
    placed_at: datetime | None = None


class OrderAccepted(_Out):
    """The answer to an order or hold decision that was applied (or replayed)."""

    order_id: str
    status: str
    holds: list[HoldPublic] = Field(description="Open holds only: what the order waits on.")


class LinePublic(_Out):
    line_no: int
    product_id: str
    quantity: Decimal
    uom: str
    base_quantity: Decimal
    base_uom: str
    unit_price: Decimal
    allocated: Decimal
    backordered: Decimal
    shipped: Decimal
    invoiced: Decimal


class AllocationPublic(_Out):
    line_no: int
    product_id: str
    warehouse_id: str
    lot_id: str
    quantity: Decimal
    shipped: Decimal
    expiry: date | None


class ShipmentPublic(_Out):
    shipment_id: str
    warehouse_id: str
    shipped_at: datetime
    delivered_at: datetime | None
    invoice_id: str | None


class InvoiceRef(_Out):
    invoice_id: str
    paid: bool


class OrderPublic(_Out):
    """An order's current state (the read model, not the event log: see ``/trace``)."""

    order_id: str
    legal_entity_id: str
    customer_id: str
    ship_to_id: str
    po_number: str
    channel: str
    currency: str
    order_date: date
    requested_date: date | None
    status: str
    holds: list[HoldPublic] = Field(description="Every hold, open and resolved, oldest first.")
    lines: list[LinePublic]
    allocations: list[AllocationPublic]
    shipments: list[ShipmentPublic]
    invoices: list[InvoiceRef]

    @field_validator("invoices", mode="before")
    @classmethod
    def _invoice_map(cls, v: Any) -> Any:
        # The read model keeps invoice id -> paid; the API lists them.
        return [{"invoice_id": i, "paid": p} for i, p in v.items()] if isinstance(v, dict) else v


class Problem(_Out):
    """Why a message was not applied; ``dead_letter_id`` names the parked message a
    person can fix and replay (``POST /dead-letters/{id}/replay``)."""

    code: str
    reason: str
    dead_letter_id: str | None = None


class DeadLetterPublic(_Out):
    dead_letter_id: str
    source: str
    source_message_id: str
    kind: str
    code: str
    reason: str
    failed_at: datetime
    status: str


class DeadLetterDetail(DeadLetterPublic):
    body: str = Field(description="The message as received, verbatim.")


class ReplayRequest(BaseModel):
    """Optional correction to apply instead of the stored body: a canonical message as JSON,
    or, for a parked file or part of one (an X12 interchange, CSV rows, a WMS event), the
    corrected document as text, split again with the served integration configuration."""

    model_config = ConfigDict(extra="forbid")

    body: dict[str, Any] | str | None = None


class ReplayResult(_Out):
    status: str
    correlation_id: str | None = None
    dead_letter_id: str | None = None
    code: str | None = None
    reason: str | None = None


def accepted(order: Order) -> OrderAccepted:
    return OrderAccepted(
        order_id=order.order_id,
        status=order.status.value,
        holds=[
            HoldPublic(code=h.code.value, reason=h.reason, placed_at=h.placed_at) for h in order.open_holds
        ],
    )


def order_public(o: Order) -> OrderPublic:
    return OrderPublic.model_validate(o)


def dead_letter_public(d: DeadLetter) -> DeadLetterPublic:
    return DeadLetterPublic.model_validate(d)


def dead_letter_detail(d: DeadLetter) -> DeadLetterDetail:
    return DeadLetterDetail.model_validate(d)
