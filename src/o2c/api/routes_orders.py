"""Orders and hold decisions: ``/orders``, ``/orders/{id}``, ``/orders/{id}/trace``,
``/hold-decisions``.

Routes stay thin: parse (FastAPI, with the canonical models as request
schemas), send one message through the runtime, shape the answer.
"""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import APIRouter, Depends, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field

from o2c.adapters.canonical import HoldDecisionIn, OrderIn, Text
from o2c.adapters.limits import too_many_lines
from o2c.analytics.source import order_trace
from o2c.api import scope
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, authenticated, may, not_found
from o2c.api.deps import EngineDep, IdempotencyKey, ResourceId
from o2c.api.intake import submit
from o2c.api.schemas import (
    INVALID,
    NOT_FOUND,
    TOO_LARGE,
    UNAVAILABLE,
    OrderAccepted,
    OrderPublic,
    Problem,
    order_public,
)

router = APIRouter(tags=["orders"], dependencies=[Depends(authenticated)])

#: The request schemas are the canonical models themselves: one contract for
#: every channel (REST, CSV, EDI), documented in OpenAPI.
OrderCreate = OrderIn


class HoldDecisionCreate(HoldDecisionIn):
    """A hold decision; who decides is the authenticated person, never the body."""

    # Optional here only (pydantic takes the override; mypy sees the base's type).
    by: Text | None = Field(  # type: ignore[assignment]
        default=None, description="Who decides: the authenticated user. Leave it out; a value other "
        "than the caller's user id is refused.")


def _refuse_field(field: str, message: str) -> NoReturn:
    raise RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message,
                                   "input": None}])

_WRITE_ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The Idempotency-Key header is missing, or the body is not "
          "readable (not UTF-8 JSON)."},
    409: {
        "model": Problem,
        "description": "Not applied: dead-lettered (``dead_letter_id`` names it), "
        "or the Idempotency-Key was already used for another request.",
    },
    **NOT_FOUND,
    **INVALID,
    **TOO_LARGE,
    **UNAVAILABLE,
    **WRITE_AUTH_ANSWERS,
}
_READ_ANSWERS = {**NOT_FOUND, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS}


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
    order: OrderCreate, key: IdempotencyKey, engine: EngineDep, actor: ActorDep
) -> JSONResponse:
    """Receive an order. It is applied once per Idempotency-Key; the answer names the
    order, its status and the holds it waits on (an order with problems is accepted
    and held, not refused: a person resolves the hold). An order of more lines than the
    server takes (``--max-lines-per-order``) is a 422 naming ``lines``."""
    problem = too_many_lines(len(order.lines), engine.app.limits.max_lines_per_order)
    if problem:
        raise RequestValidationError([{"type": "too_many_lines", "loc": ("body", "lines"), "msg": problem,
                                       "input": None}])
    may(actor, order.command())
    if not actor.acts_for(order.legal_entity_id):
        raise not_found(f"no legal entity {order.legal_entity_id}")
    return submit(engine, kind="order", key=key, payload=order, created_status=status.HTTP_201_CREATED,
                  actor=actor)


@router.post(
    "/hold-decisions",
    response_model=OrderAccepted,
    responses=_WRITE_ANSWERS,
    summary="Release or reject a hold",
)
def decide_hold(
    decision: HoldDecisionCreate, key: IdempotencyKey, engine: EngineDep, actor: ActorDep
) -> JSONResponse:
    """Act on an order's open hold (``action``: release, reject, ... as the hold's code
    allows), as the authenticated person, who needs the hold's owner role or one above it
    (403). An order the caller cannot see is a 404, as an unknown one; a decision the order
    cannot take (no such open hold) is dead-lettered: 409."""
    if decision.by is not None and decision.by != actor.id:
        _refuse_field("by", f"the decision is made by the authenticated user ({actor.id}), "
                            f"not {decision.by}: leave 'by' out")
    canonical = HoldDecisionIn(**decision.model_dump(exclude={"by"}), by=actor.id)
    may(actor, canonical.command())
    scope.order(engine.store, actor, decision.order_id)
    return submit(engine, kind="hold_decision", key=key, payload=canonical, created_status=status.HTTP_200_OK,
                  actor=actor)


@router.get("/orders/{order_id}", response_model=OrderPublic, responses=_READ_ANSWERS,
            summary="An order's current state")
def get_order(order_id: ResourceId, engine: EngineDep, actor: ActorDep) -> OrderPublic:
    return order_public(scope.order(engine.store, actor, order_id))


@router.get("/orders/{order_id}/trace", responses=_READ_ANSWERS,
            summary="Everything that happened to an order, with waits")
def get_trace(order_id: ResourceId, engine: EngineDep, actor: ActorDep) -> dict[str, Any]:
    """The order's trace from the event log (steps, time in each status, holds, and
    the inbound messages that caused them)."""
    scope.order(engine.store, actor, order_id)
    trace = order_trace(engine.store, order_id, now=engine.app.clock.now())
    if trace is None:
        raise not_found(f"no order {order_id}")
    return trace.as_dict()
