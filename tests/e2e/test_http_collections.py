"""Collections over HTTP, signed in as real users, on SQLite and PostgreSQL: aging per account
and entity, the worklist, a promise recorded by a collector, and who may not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from o2c.api import create_app
from o2c.domain.holds import Role
from tests.auth import bearer, person
from tests.builders import Harness, customer, seed, seed_canada


@dataclass
class World:
    h: Harness
    client: TestClient
    invoices: list[str]

    def call(self, method: str, path: str, who: str | None = None, body: Any = None) -> Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex, **(bearer(self.h.app, who) if who else {})}
        return self.client.request(method, path, headers=headers, json=body)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    store = request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "clean_pg_store")
    h = Harness(store=store)
    seed(h.app, customer("C1"), customer("C2"))
    seed_canada(h.app)
    h.stock("P1", "1000")
    invoices = []
    for c, po, qty in (("C1", "PO-1", "100"), ("C2", "PO-2", "50")):
        oid = str(h.order(customer_id=c, po=po, lines=[("P1", qty, "EA")]).correlation_id)
        h.ship_all(oid, f"SH-{po}")
        invoices += list(h.get(oid).invoices)
    h.later(days=45)  # both 15 days past due
    person(h.app, "cole", Role.COLLECTIONS, entities={"US"})
    person(h.app, "cal", Role.COLLECTIONS, entities={"CA"})
    person(h.app, "bea", Role.BILLING, entities={"US"})
    with TestClient(create_app(h.app)) as client:
        yield World(h=h, client=client, invoices=invoices)


def test_aging_and_the_worklist_for_a_collector(world: World) -> None:
    r = world.call("GET", "/collections/aging", "cole")
    assert r.status_code == 200, r.text
    assert [(a["customer"], a["buckets"]["1-30"], a["total"]) for a in r.json()] == [
        ("C1", "214.50", "214.50"), ("C2", "107.25", "107.25")]
    [ent] = world.call("GET", "/collections/aging?by=entity", "cole").json()
    assert (ent["legal_entity_id"], ent["currency"], ent["total"], ent["invoices"]) == (
        "US", "USD", "321.75", 2)
    r = world.call("GET", "/collections/worklist?limit=1", "cole")
    assert [(w["customer_id"], w["oldest_days"], w["value_at_risk"]) for w in r.json()] == [
        ("C1", 15, "3217.50")]
    assert world.call("GET", "/collections/aging", "cal").json() == []  # another entity's
    r = world.call("GET", "/collections/worklist", "bea")
    assert (r.status_code, r.json()["code"]) == (403, "AUTH-FORBIDDEN")
    assert world.call("GET", "/collections/aging?by=region", "cole").status_code == 422


def test_a_collector_records_a_promise_and_the_account_moves_down_the_worklist(world: World) -> None:
    on = (world.h.clock.now() + timedelta(days=5)).date().isoformat()
    body = {"customer_id": "C1", "amount": "214.50", "promised_date": on, "invoice_ids": [world.invoices[0]],
            "note": "paying Friday"}
    r = world.call("POST", "/collections/promises", "cole", body)
    assert r.status_code == 201, r.text
    assert (r.json()["promise_id"], r.json()["amount"], r.json()["invoice_ids"]) == (
        "PTP-000001", "214.50", [world.invoices[0]])
    worklist = world.call("GET", "/collections/worklist", "cole").json()
    assert [(w["customer_id"], w["promise"]) for w in worklist] == [("C2", None), ("C1", "standing")]
    assert world.call("POST", "/collections/promises", "cal", body).status_code == 404
    r = world.call("POST", "/collections/promises", "bea", body)
    assert r.status_code == 403 and "collections" in r.json()["detail"]
    r = world.call("POST", "/collections/promises", "cole", {**body, "amount": "9999.00"})
    assert r.status_code == 409 and "more than the 214.50" in r.json()["detail"]
