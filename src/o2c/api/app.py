"""The FastAPI application factory.

``create_app`` takes an already wired :class:`~o2c.bootstrap.App` (the caller
owns its lifetime and closes it): nothing is opened at import time, and there
is no module-level app, so ``uvicorn --factory`` or a test builds one per
database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from o2c.api import routes_dead_letters, routes_orders
from o2c.api.deps import Engine
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
    return JSONResponse(
        status_code=503, headers={"Retry-After": "5"}, media_type="application/problem+json",
        content={"type": "about:blank", "title": "Service Unavailable", "status": 503,
                 "code": exc.code, "detail": f"the database is unavailable ({exc.args[0]}); nothing was "
                 "applied: send the same request again (same Idempotency-Key) in a few seconds"})


def create_app(app_state: App, splitters: Mapping[str, Splitter] | None = None) -> FastAPI:
    """An HTTP API over ``app_state`` (its store, runtime and clock); ``splitters`` (from the
    integration configuration) split parked files again when they are replayed."""
    api = FastAPI(
        title="o2c",
        summary="Order-to-cash intake and queries",
        version="0.1.0",
    )
    api.state.o2c = Engine(app_state, splitters)
    api.add_exception_handler(RequestValidationError, _invalid_request)
    api.add_exception_handler(TransientFailure, _store_unavailable)
    api.include_router(routes_orders.router)
    api.include_router(routes_dead_letters.router)
    return api
