"""Who is calling: every route but ``POST /auth/token`` authenticates.

A person signs in with ``POST /auth/token`` (user and password) and sends the bearer
token it answers (``Authorization: Bearer o2cs_...``, good for 15 minutes, revoked with
``DELETE /auth/token``); a system sends its API key (``X-API-Key: o2ck_...``). Either
resolves to an :class:`~o2c.domain.actors.Actor` as it is now (roles changed or a user
disabled since sign-in count at once). No credential, or one that is not valid: 401 with
``WWW-Authenticate``; what the roles do not allow: 403; what belongs to a legal entity the
caller does not act for: 404, exactly as if it did not exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from o2c.api.deps import EngineDep
from o2c.api.schemas import FORBIDDEN, INVALID, UNAVAILABLE, UNREADABLE, Problem
from o2c.domain.actors import Actor
from o2c.domain.identities import IdentityRefused
from o2c.engine.authority import authorize
from o2c.engine.commands import Command
from o2c.engine.errors import Forbidden
from o2c.store import identities

API_KEY_HEADER = "X-API-Key"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="o2c"'}

_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token (people).")
_api_key = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                        description="An API key from 'o2c keys create' (systems).")


class Refusal(HTTPException):
    """An HTTP refusal with its problem ``code`` (``AUTH-REQUIRED``, ``AUTH-FORBIDDEN``...)."""

    def __init__(self, status_code: int, code: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, detail, headers)
        self.code = code


def unauthenticated(detail: str, code: str = "AUTH-INVALID") -> Refusal:
    return Refusal(status.HTTP_401_UNAUTHORIZED, code, detail, CHALLENGE)


def forbidden(detail: str) -> Refusal:
    return Refusal(status.HTTP_403_FORBIDDEN, "AUTH-FORBIDDEN", detail)


def not_found(detail: str) -> Refusal:
    return Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", detail)


def authenticated(
    request: Request,
    engine: EngineDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Actor:
    """The actor behind the request's credential, with the address it came from."""
    if bearer is None and api_key is None:
        raise unauthenticated("this needs a credential: a bearer token from POST /auth/token "
                              f"(Authorization: Bearer ...) or an API key ({API_KEY_HEADER}: ...)",
                              code="AUTH-REQUIRED")
    if bearer is not None and api_key is not None:
        raise unauthenticated(f"send one credential, a bearer token or an {API_KEY_HEADER}, not both")
    now = engine.app.clock.now()
    try:
        if bearer is not None:
            actor = identities.actor_for_token(engine.store, bearer.credentials, now)
        else:
            assert api_key is not None
            actor = identities.actor_for_key(engine.store, api_key, now)
    except IdentityRefused as e:
        raise unauthenticated(str(e)) from None
    return replace(actor, address=request.client.host if request.client else None)


ActorDep = Annotated[Actor, Depends(authenticated)]


def may(actor: Actor, command: Command) -> None:
    """403 unless ``actor`` may issue ``command``, by the engine's own table of authority
    (:mod:`o2c.engine.authority`), checked before anything is stored; the engine checks it
    again, with what only it knows (a hold's owner role, a warehouse's entity)."""
    try:
        authorize(command, actor)
    except Forbidden as e:
        raise forbidden(e.reason) from None

#: What every authenticated route may answer besides its own answers.
AUTH_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No credential, or one that is not valid (unknown, expired, "
          "revoked, or its user disabled); ``WWW-Authenticate`` says what to send."},
}
WRITE_AUTH_ANSWERS: dict[int | str, dict[str, Any]] = {**AUTH_ANSWERS, **FORBIDDEN}


# ---------------------------------------------------------------- tokens

router = APIRouter(prefix="/auth", tags=["authentication"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=identities.PASSWORD_MAX)


class Token(BaseModel):
    access_token: str = Field(description="Send it as ``Authorization: Bearer <access_token>``.")
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds it is good for.")
    expires_at: str = Field(description="When it stops working (ISO 8601, UTC).")


@router.post("/token", response_model=Token, summary="Sign in: a bearer token for a user",
             responses={401: {"model": Problem, "description": "Wrong user or password, or the user is "
                              "disabled."},
                        429: {"model": Problem, "description": "Too many failed sign-ins for this user "
                              "from this address; ``Retry-After`` says when to try again."},
                        **UNREADABLE, **INVALID, **UNAVAILABLE})
def sign_in(request: TokenRequest, engine: EngineDep, http: Request) -> Token:
    """A short-lived bearer token (15 minutes) for a user and their password. The answer is the
    same for an unknown user and a wrong password. After five failures for a user from one
    address within 15 minutes, that address waits (429) until the first of them is 15
    minutes old."""
    now = engine.app.clock.now()
    address = http.client.host if http.client else "unknown"
    wait = engine.sign_ins.wait(request.user, address, now)
    if wait is not None:
        seconds = max(1, int(wait.total_seconds()) + 1)
        raise Refusal(status.HTTP_429_TOO_MANY_REQUESTS, "AUTH-THROTTLED",
                      f"too many failed sign-ins for {request.user!r} from this address; try again in "
                      f"{seconds} s", {"Retry-After": str(seconds)})
    try:
        token, session = identities.sign_in(engine.store, request.user, request.password, now)
    except IdentityRefused:
        engine.sign_ins.failed(request.user, address, now)
        raise unauthenticated("wrong user or password, or the user is disabled") from None
    engine.sign_ins.succeeded(request.user, address)
    return Token(access_token=token, expires_in=int((session.expires_at - now).total_seconds()),
                 expires_at=session.expires_at.isoformat())


@router.delete("/token", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out: revoke this token",
               responses={**WRITE_AUTH_ANSWERS, **UNAVAILABLE})
def sign_out(engine: EngineDep, actor: ActorDep,
             bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Response:
    """Revoke the bearer token this request carries (an API key is revoked with
    ``o2c keys revoke``)."""
    if bearer is None:
        raise forbidden(f"{actor.label} signs in with an API key; revoke it with o2c keys revoke")
    identities.sign_out(engine.store, bearer.credentials, engine.app.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
