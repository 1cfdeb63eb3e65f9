"""Orders and hold decisions: ``/orders``, ``/orders/{id}``, ``/orders/{id}/trace``,
``/hold-decisions``.

Routes stay thin: parse (FastAPI, with the canonical models as request
schemas), send one message through the runtime, shape the answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from o2c.adapters.canonical import HoldDecisionIn, OrderIn
from o2c.adapters.limits import too_many_lines
from o2c.analytics.source import order_trace
from o2c.api import queries
from o2c.api.deps import CallerDep, EngineDep, IdempotencyKey, ResourceId
from o2c.api.intake import submit
from o2c.api.schemas import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    TOO_LARGE,
    UNAVAILABLE,
    OrderAccepted,
    OrderPublic,
    Problem,
    order_public,
)

router = APIRouter(tags=["orders"])

#: The request schemas are the canonical models themselves: one contract for
#: every channel (REST, CSV, EDI), documented in OpenAPI.
OrderCreate = OrderIn
HoldDecisionCreate = HoldDecisionIn

_WRITE_ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The Idempotency-Key header is missing, or the body is not "
          "readable (not UTF-8 JSON)."},
    409: {
        "model": Problem,
        "description": "Not applied: dead-lettered (``dead_letter_id`` names it), "
        "or the Idempotency-Key was already used for another request.",
    },
    **FORBIDDEN,
    **INVALID,
    **TOO_LARGE,
    **UNAVAILABLE,
}
_READ_ANSWERS = {**NOT_FOUND, **INVALID, **UNAVAILABLE}


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderAccepted,
    responses={
        200: {
            "model": OrderAccepted,
            "description": "A retry: the order created by the first "
            "request with this Idempotency-Key, as it stands now.",
        },
        **_WRITE_ANSWERS,
    },
    summary="Place an order",
)
def create_order(
    order: OrderCreate, key: IdempotencyKey, engine: EngineDep, caller: CallerDep
) -> JSONResponse:
    """Receive an order. It is applied once per Idempotency-Key; the answer names the
    order, its status and the holds it waits on (an order with problems is accepted
    and held, not refused: a person resolves the hold). An order of more lines than the
    server takes (``--max-lines-per-order``) is a 422 naming ``lines``."""
    problem = too_many_lines(len(order.lines), engine.app.limits.max_lines_per_order)
    if problem:
        raise RequestValidationError([{"type": "too_many_lines", "loc": ("body", "lines"), "msg": problem,
                                       "input": None}])
    return submit(engine, kind="order", key=key, payload=order, created_status=status.HTTP_201_CREATED)


@router.post(
    "/hold-decisions",
    response_model=OrderAccepted,
    responses=_WRITE_ANSWERS,
    summary="Release or reject a hold",
)
def decide_hold(
    decision: HoldDecisionCreate, key: IdempotencyKey, engine: EngineDep, caller: CallerDep
) -> JSONResponse:
    """Act on an order's open hold (``action``: release, reject, ... as the hold's code
    allows). A decision the order cannot take (no such open hold) is dead-lettered: 409."""
    return submit(engine, kind="hold_decision", key=key, payload=decision, created_status=status.HTTP_200_OK)


@router.get("/orders/{order_id}", response_model=OrderPublic, responses=_READ_ANSWERS,
            summary="An order's current state")
def get_order(order_id: ResourceId, engine: EngineDep, caller: CallerDep) -> OrderPublic:
    found = queries.order(engine.store, order_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order {order_id}")
    return order_public(found)


@router.get("/orders/{order_id}/trace", responses=_READ_ANSWERS,
            summary="Everything that happened to an order, with waits")
def get_trace(order_id: ResourceId, engine: EngineDep, caller: CallerDep) -> dict[str, Any]:
    """The order's trace from the event log (steps, time in each status, holds, and
    the inbound messages that caused them)."""
    trace = order_trace(engine.store, order_id, now=engine.app.clock.now())
    if trace is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no events for order {order_id}")
    return trace.as_dict()
