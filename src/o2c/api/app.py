"""The FastAPI application factory.

``create_app`` takes an already wired :class:`~o2c.bootstrap.App` (the caller
owns its lifetime and closes it): nothing is opened at import time, and there
is no module-level app, so ``uvicorn --factory`` or a test builds one per
database.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from o2c.api import (
    auth,
    master,
    routes_cash,
    routes_collections,
    routes_dead_letters,
    routes_disputes,
    routes_documents,
    routes_master,
    routes_orders,
    routes_policy,
    routes_queue,
)
from o2c.api.body_limit import BodyLimit
from o2c.api.deps import IDEMPOTENCY_HEADER, Engine
from o2c.api.schemas import PROBLEM_MEDIA_TYPE, problem_of, problem_response
from o2c.bootstrap import App
from o2c.engine.errors import TransientFailure
from o2c.engine.runtime import Splitter


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """One entry per bad field: a dotted path a person can find (``lines.0.quantity``,
    without FastAPI's ``body`` prefix), what was wrong, and the machine-readable type."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
        out.append(
            {
                "field": ".".join(where) or "(body)",
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
                "loc": err.get("loc", ()),
            }
        )
    return out


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc)
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(
        status_code=422,  # Unprocessable Content (its constant name changed across Starlette versions)
        content={"detail": errors, "message": f"the request is invalid: {summary}"},
    )


async def _store_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TransientFailure)
    detail = (f"the database is unavailable ({exc.args[0]}); nothing was applied: send the same request "
              "again (same Idempotency-Key) in a few seconds")
    return problem_response(problem_of(503, exc.code, detail), headers={"Retry-After": "5"})


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    # Not found, a missing Idempotency-Key, a method a path does not have: problems too,
    # named by their status (``NOT-FOUND``) unless they name their own code (``AUTH-REQUIRED``),
    # the sentence kept in ``detail`` as before.
    assert isinstance(exc, StarletteHTTPException)
    code = getattr(exc, "code", None) or HTTPStatus(exc.status_code).phrase.upper().replace(" ", "-")
    return problem_response(problem_of(exc.status_code, code, str(exc.detail)), headers=exc.headers)


def _publish(api: FastAPI) -> None:
    """What FastAPI cannot say from the code alone: the Idempotency-Key header is required
    (declared optional so that its absence is a 400 saying what to send, not a generic 422),
    and problems are ``application/problem+json``."""
    build = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is not None:
            return api.openapi_schema
        doc = build()
        problem_ref = "#/components/schemas/Problem"
        for operation in (op for item in doc["paths"].values() for op in item.values()):
            for parameter in operation.get("parameters", []):
                if (parameter["in"], parameter["name"]) == ("header", IDEMPOTENCY_HEADER):
                    parameter["required"] = True
            for answer in operation.get("responses", {}).values():
                content = answer.get("content", {})
                if content.get("application/json", {}).get("schema", {}).get("$ref") == problem_ref:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        return doc

    api.openapi = openapi  # type: ignore[method-assign]


def create_app(app_state: App, splitters: Mapping[str, Splitter] | None = None) -> FastAPI:
    """An HTTP API over ``app_state`` (its store, runtime and clock); ``splitters`` (from the
    integration configuration) split parked files again when they are replayed. Its limits
    (``app_state.limits``) bound every request's body and every order's lines."""
    api = FastAPI(
        title="o2c",
        summary="Order-to-cash intake and queries",
        version="0.1.0",
    )
    api.state.o2c = Engine(app_state, master.with_master_files(splitters))
    api.add_middleware(BodyLimit, max_bytes=app_state.limits.max_body_bytes)
    api.add_exception_handler(RequestValidationError, _invalid_request)
    api.add_exception_handler(TransientFailure, _store_unavailable)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.include_router(auth.router)
    api.include_router(routes_orders.router)
    api.include_router(routes_dead_letters.router)
    api.include_router(routes_queue.router)
    api.include_router(routes_policy.router)
    api.include_router(routes_master.router)
    api.include_router(routes_cash.router)
    api.include_router(routes_collections.router)
    api.include_router(routes_documents.router)
    api.include_router(routes_disputes.router)
    _publish(api)
    return api
