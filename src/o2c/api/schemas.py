"""What the HTTP API answers with: output schemas, kept apart from the input
schemas (the canonical models of :mod:`o2c.adapters.canonical`) so the wire
contract of a response can change without touching what clients send.

Every amount and quantity is a decimal string, every time ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from o2c.domain.orders import Order
from o2c.engine.ports import DeadLetter

PROBLEM_MEDIA_TYPE = "application/problem+json"


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
    """An error answer, as RFC 9457 problem details (``application/problem+json``).

    ``code`` names the reason for machines (``CMD-INVALID``, ``NOT-FOUND``...), ``detail``
    says it for people; ``reason`` repeats ``detail`` for clients written before it.
    ``dead_letter_id`` names the parked message a person can fix and replay
    (``POST /dead-letters/{id}/replay``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    reason: str
    dead_letter_id: str | None = None


def problem_of(status: int, code: str, detail: str, dead_letter_id: str | None = None) -> Problem:
    return Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, code=code, reason=detail,
                   dead_letter_id=dead_letter_id)


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=problem.status, content=problem.model_dump(mode="json"),
                        media_type=PROBLEM_MEDIA_TYPE, headers=headers)


class FieldError(_Out):
    field: str = Field(description="Where: a dotted path (``lines.0.quantity``), ``(body)`` for the body.")
    message: str
    type: str = Field(description="The kind of error, for machines (``missing``, ``string_too_long``...).")
    loc: list[str | int]


class InvalidRequest(_Out):
    """A request that does not fit the schema: every bad field, and one sentence naming them."""

    detail: list[FieldError]
    message: str


#: Error answers, by status, for the routes' ``responses=``; each route lists those it can give.
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No such resource."}}
UNREADABLE: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not readable (not UTF-8 JSON)."}
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": InvalidRequest, "description": "The request does not fit the schema: bad fields named."}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "description": "The body is larger than the server takes "
          "(``--max-body-bytes``); ``detail`` names the limit and the size."}
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "Refused: the caller may not do this (a role it does not "
          "hold, a decision beyond its tier); ``detail`` names what it needs. Nothing was applied."}
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Problem, "description": "The database is unavailable; nothing was applied. "
          "Retry after ``Retry-After`` seconds (a write with the same Idempotency-Key)."}
}


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
