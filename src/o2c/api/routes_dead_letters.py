"""The dead-letter queue: messages that could not be applied, and their replay."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Request, status
from fastapi.responses import JSONResponse

from o2c.api import queries
from o2c.api.deps import CallerDep, EngineDep, ResourceId
from o2c.api.schemas import (
    INVALID,
    NOT_FOUND,
    TOO_LARGE,
    UNAVAILABLE,
    UNREADABLE,
    DeadLetterDetail,
    DeadLetterPublic,
    ReplayRequest,
    ReplayResult,
    dead_letter_detail,
    dead_letter_public,
)
from o2c.domain.actors import system
from o2c.engine.runtime import Status

router = APIRouter(prefix="/dead-letters", tags=["dead letters"])


@router.get("", response_model=list[DeadLetterPublic], responses=UNAVAILABLE,
            summary="Open dead letters, oldest first")
def list_dead_letters(engine: EngineDep, caller: CallerDep) -> list[DeadLetterPublic]:
    return [dead_letter_public(d) for d in queries.open_dead_letters(engine.store)]


@router.get("/{dead_letter_id}", response_model=DeadLetterDetail,
            responses={**NOT_FOUND, **INVALID, **UNAVAILABLE}, summary="One dead letter, with its body")
def get_dead_letter(dead_letter_id: ResourceId, engine: EngineDep, caller: CallerDep) -> DeadLetterDetail:
    found = queries.dead_letter(engine.store, dead_letter_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dead letter {dead_letter_id}")
    return dead_letter_detail(found)


@router.post(
    "/{dead_letter_id}/replay",
    response_model=ReplayResult,
    responses={
        409: {"model": ReplayResult, "description": "Failed again: parked under a new id."},
        **UNREADABLE,
        404: {**NOT_FOUND[404], "description": "No open dead letter with this id."},
        **INVALID,
        **TOO_LARGE,
        **UNAVAILABLE,
    },
    summary="Apply a dead letter again",
)
def replay_dead_letter(
    dead_letter_id: ResourceId,
    engine: EngineDep,
    caller: CallerDep,
    http: Request,
    request: Annotated[ReplayRequest | None, Body()] = None,
) -> JSONResponse:
    """Apply the message again, as stored or with a corrected ``body``; a parked file is
    split again with the integration configuration the API was started with (``o2c serve
    --config``). The dead letter is closed either way; a new failure parks it under a new
    id (409). The audit names the caller (until callers sign in: the API, and the client's
    address)."""
    caller_at = replace(system("o2c.api"), address=http.client.host if http.client else None)
    given = request.body if request is not None else None
    body = given if isinstance(given, str) or given is None else json.dumps(given)
    try:
        with engine.writing() as app:
            out = app.runtime.replay(dead_letter_id, body, engine.splitters, operator=caller_at)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no open dead letter {dead_letter_id}") from None
    result = ReplayResult(
        status=out.status.value,
        correlation_id=out.correlation_id,
        dead_letter_id=out.dead_letter_id,
        code=out.code,
        reason=out.reason,
    )
    code = status.HTTP_409_CONFLICT if out.status is Status.DEAD_LETTERED else status.HTTP_200_OK
    return JSONResponse(status_code=code, content=result.model_dump(mode="json"))
