"""One canonical message in over HTTP: idempotency key in, an answer out.

Invariants:
- a request is applied at most once per ``Idempotency-Key`` (the key is the
  inbox's ``source_message_id`` under source :data:`SOURCE`, so the runtime's
  inbox, not the API, is what deduplicates, also across restarts);
- a retry with the same key and the same body gets the first request's answer
  as it stands now (the order's current status and open holds), with 200;
- the same key with a different body or kind is refused (409), never applied.
"""

from __future__ import annotations

from typing import Any

from fastapi import status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from o2c.api import queries
from o2c.api.deps import Engine
from o2c.api.schemas import accepted, problem_of, problem_response
from o2c.domain.actors import Actor
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Outcome, Status

#: The inbox source of everything posted to the REST API.
SOURCE = "portal-api"


def problem(http_status: int, code: str, reason: str, dead_letter_id: str | None = None) -> JSONResponse:
    return problem_response(problem_of(http_status, code, reason, dead_letter_id))


def submit(engine: Engine, *, kind: str, key: str, payload: BaseModel, created_status: int,
           actor: Actor) -> JSONResponse:
    """Submit ``payload`` as one inbound message sent by ``actor`` and shape the runtime's
    outcome (what ``actor`` may not do: 403).

    ``created_status`` is the answer when this request applied it (201 for a new
    order, 200 for a decision on an existing one)."""
    # pydantic's JSON is deterministic for equal models, so a retry produces the
    # very body stored in the inbox, which is how a reused key is recognised.
    body = payload.model_dump_json()
    with engine.writing() as app:
        message = InboundMessage(
            source=SOURCE, source_message_id=key, kind=kind, received_at=app.clock.now(), body=body,
            actor=actor,
        )
        outcome = app.runtime.submit([message])[0]
    if outcome.status is Status.DUPLICATE:
        return _replayed(engine, kind=kind, key=key, body=body)
    if outcome.status is Status.DEAD_LETTERED:
        return _dead_lettered(outcome)
    if outcome.status is Status.REFUSED:
        return problem(status.HTTP_403_FORBIDDEN, outcome.code or "AUTH-FORBIDDEN", outcome.reason or "")
    return _order_answer(engine, outcome.correlation_id, created_status)


def _replayed(engine: Engine, *, kind: str, key: str, body: str) -> JSONResponse:
    record = queries.inbox_record(engine.store, SOURCE, key)
    if record is None:  # impossible after a duplicate outcome, unless the inbox was purged
        return problem(
            status.HTTP_409_CONFLICT,
            "IDEMPOTENCY-KEY-UNKNOWN",
            f"Idempotency-Key {key!r} was seen but its message is no longer stored",
        )
    if record.kind != kind or record.body != body:
        return problem(
            status.HTTP_409_CONFLICT,
            "IDEMPOTENCY-KEY-REUSED",
            f"Idempotency-Key {key!r} was already used for a different {record.kind} request; "
            "use a new key for a new request",
        )
    if record.status == Status.APPLIED.value:
        return _order_answer(engine, record.correlation_id, status.HTTP_200_OK)
    if record.status == Status.REFUSED.value:
        dl = queries.latest_dead_letter(engine.store, SOURCE, key)
        return problem(status.HTTP_403_FORBIDDEN, "AUTH-FORBIDDEN",
                       dl.reason if dl else "the first request with this key was refused")
    if record.status == Status.DEAD_LETTERED.value:
        dl = queries.latest_dead_letter(engine.store, SOURCE, key)
        return problem(
            status.HTTP_409_CONFLICT,
            dl.code if dl else "DEAD-LETTERED",
            dl.reason if dl else "the first request with this key was not applied",
            dl.dead_letter_id if dl else None,
        )
    return problem(
        status.HTTP_409_CONFLICT,
        "IN-PROGRESS",
        f"the first request with Idempotency-Key {key!r} is still {record.status}",
    )


def _dead_lettered(outcome: Outcome) -> JSONResponse:
    return problem(
        status.HTTP_409_CONFLICT,
        outcome.code or "DEAD-LETTERED",
        outcome.reason or "",
        outcome.dead_letter_id,
    )


def _order_answer(engine: Engine, order_id: str | None, http_status: int) -> JSONResponse:
    found = queries.order(engine.store, order_id) if order_id else None
    if found is None:  # a message that applied to something other than an order
        content: dict[str, Any] = {"order_id": order_id, "status": "applied", "holds": []}
    else:
        content = accepted(found).model_dump(mode="json")
    return JSONResponse(status_code=http_status, content=content)
