"""The HTTP API keeps the contract it publishes at ``/openapi.json``.

schemathesis reads the schema from the app (over ASGI, no network) and sends
every operation generated requests, valid and invalid, to the app over a
seeded SQLite or PostgreSQL store: no answer may be a server error, and every
answer must be documented (its status code, content type and body schema).
Path ids are drawn partly from the seeded store, so reads find real orders and
dead letters, not only 404s. Every case is sent with a bearer token of a user who
may place orders, decide credit holds and replay dead letters (schemathesis does
not make up credentials of its own: ``with-security-parameters`` is off).

The schema is loaded once at collection (it does not depend on the store) and
each case is sent to the app of its database with ``app=``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from o2c.api import create_app
from tests.auth import clerk
from tests.builders import Harness, customer, seed

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

#: Bounded and deterministic: the same cases on every run.
CONFIG = {
    "seed": 20260302,
    "generation": {"max-examples": 30, "deterministic": True, "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
}

#: The ids the seeded store under test holds, by path parameter name; filled by the fixture
#: before any case is generated (the strategies below read it lazily).
SEEDED: dict[str, list[str]] = {}

schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Harness().app), config=schemathesis.Config.from_dict(CONFIG)
)


@schemathesis.serializer("application/x-ndjson")
def _json_lines(_context: Any, value: Any) -> bytes:
    """A master data file as JSON Lines: the generated text as it is (the API reads it)."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else json.dumps(value).encode()


@schema.hook("flatmap_path_parameters")
def _sometimes_a_real_id(_context: Any, params: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    names = [n for n in params or {} if n in SEEDED]
    if params is None or not names:
        return st.just(params)
    real = st.fixed_dictionaries({n: st.deferred(lambda n=n: st.sampled_from(SEEDED[n])) for n in names})
    return st.one_of(st.just(params), real.map(lambda ids: {**params, **ids}))


def seeded(h: Harness) -> dict[str, list[str]]:
    """Master data, stock, a shipped order, one held on credit, and a dead letter."""
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    h.stock("P1", "1000")
    shipped = h.order(po="PO-SHIPPED").correlation_id
    assert shipped is not None
    h.ship_all(shipped)
    held = h.order(customer_id="C2", po="PO-HELD").correlation_id
    parked = h.send("hold_decision", {"order_id": shipped, "code": "CRD-OVER-LIMIT", "by": "clerk",
                                      "reason": "no such hold"}).dead_letter_id
    assert held is not None and parked is not None
    return {"order_id": [shipped, held], "dead_letter_id": [parked], "hold_id": [f"{held}-H1"]}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The app over a seeded store, and the header that signs its requests in."""
    store = request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "clean_pg_store")
    h = Harness(store=store)
    SEEDED.update(seeded(h))
    yield create_app(h.app), clerk(h.app)
    SEEDED.clear()


@schema.parametrize()
# The store is meant to be shared by an operation's cases (what one POST creates, the next may
# read or collide with), hence the function-scoped fixture under @given.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_answer_is_documented_and_none_is_a_server_error(
        case: schemathesis.Case, api: tuple[FastAPI, dict[str, str]]) -> None:
    app, signed_in = api
    case.call_and_validate(checks=CHECKS, app=app, headers=signed_in)
