"""The dead-letter queue: messages that could not be applied, and their replay."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Body, Depends, status
from fastapi.responses import JSONResponse

from o2c.api import queries, scope
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, authenticated, forbidden, not_found
from o2c.api.deps import EngineDep, ResourceId
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
from o2c.engine.errors import Forbidden
from o2c.engine.runtime import Status

router = APIRouter(prefix="/dead-letters", tags=["dead letters"], dependencies=[Depends(authenticated)])


@router.get("", response_model=list[DeadLetterPublic], responses={**UNAVAILABLE, **AUTH_ANSWERS},
            summary="Open dead letters, oldest first")
def list_dead_letters(engine: EngineDep, actor: ActorDep) -> list[DeadLetterPublic]:
    """Those of the legal entities the caller acts for; one whose entity cannot be told (a
    file that could not be read) only to integration and admin."""
    letters = scope.dead_letters(engine.store, actor, queries.open_dead_letters(engine.store))
    return [dead_letter_public(d) for d in letters]


@router.get("/{dead_letter_id}", response_model=DeadLetterDetail,
            responses={**NOT_FOUND, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS},
            summary="One dead letter, with its body")
def get_dead_letter(dead_letter_id: ResourceId, engine: EngineDep, actor: ActorDep) -> DeadLetterDetail:
    return dead_letter_detail(scope.dead_letter(engine.store, actor, dead_letter_id))


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
        **WRITE_AUTH_ANSWERS,
    },
    summary="Apply a dead letter again",
)
def replay_dead_letter(
    dead_letter_id: ResourceId,
    engine: EngineDep,
    actor: ActorDep,
    request: Annotated[ReplayRequest | None, Body()] = None,
) -> JSONResponse:
    """Apply the message again, as stored or with a corrected ``body``; a parked file is
    split again with the integration configuration the API was started with (``o2c serve
    --config``). The dead letter is closed either way; a new failure parks it under a new
    id (409). As stored, the message acts as its sender; with a changed body it acts as the
    caller, who needs the integration role (or, for a decision o2c referred to a person, the
    role that makes it): 403 otherwise, and the letter stays open."""
    letter = queries.dead_letter(engine.store, dead_letter_id)
    if letter is None or letter.status != "open" or not scope.dead_letters(engine.store, actor, [letter]):
        raise not_found(f"no open dead letter {dead_letter_id}")
    given = request.body if request is not None else None
    body = given if isinstance(given, str) or given is None else json.dumps(given)
    try:
        with engine.writing() as app:
            out = app.runtime.replay(dead_letter_id, body, engine.splitters, actor=actor)
    except KeyError:
        raise not_found(f"no open dead letter {dead_letter_id}") from None
    except Forbidden as e:
        raise forbidden(e.reason) from None
    if out.status is Status.REFUSED:
        raise forbidden(out.reason or f"{actor.label} may not apply this message")
    result = ReplayResult(
        status=out.status.value,
        correlation_id=out.correlation_id,
        dead_letter_id=out.dead_letter_id,
        code=out.code,
        reason=out.reason,
    )
    code = status.HTTP_409_CONFLICT if out.status is Status.DEAD_LETTERED else status.HTTP_200_OK
    return JSONResponse(status_code=code, content=result.model_dump(mode="json"))
