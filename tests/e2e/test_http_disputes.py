"""Dispute cases over HTTP, signed in as real users, on SQLite and PostgreSQL: open a case on
an invoice, attach evidence, resolve it; the lists by status, role and account; who may
not act, and a write-off beyond the caller's authority."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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
    invoice: str

    def call(self, method: str, path: str, who: str, body: Any = None) -> Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex, **bearer(self.h.app, who)}
        return self.client.request(method, path, headers=headers, json=body)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    store = request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "clean_pg_store")
    h = Harness(store=store)
    seed(h.app, customer("C1"))
    seed_canada(h.app)
    h.stock("P1", "1000")
    oid = str(h.order(po="PO-1", lines=[("P1", "100", "EA")]).correlation_id)  # 214.50
    h.ship_all(oid, "SH-1")
    [invoice] = list(h.get(oid).invoices)
    person(h.app, "bea", Role.BILLING, entities={"US"})
    person(h.app, "cal", Role.BILLING, Role.AR_MANAGER, entities={"CA"})
    person(h.app, "wes", Role.WAREHOUSE_OPS, entities={"US"})
    with TestClient(create_app(h.app)) as client:
        yield World(h=h, client=client, invoice=invoice)


def test_a_case_is_opened_given_evidence_and_resolved_by_a_credit_memo(world: World) -> None:
    r = world.call(
        "POST",
        "/disputes",
        "bea",
        {
            "invoice_id": world.invoice,
            "category": "shortage",
            "lines": [1],
            "amount": "20.00",
            "note": "2 cases short",
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    did = case["dispute_id"]
    assert (case["status"], case["owner_role"], case["waits_on"], case["amount"], case["lines"]) == (
        "open",
        "billing",
        "billing",
        "20.00",
        [1],
    )
    assert case["sla_due"] is not None
    r = world.call(
        "POST",
        f"/disputes/{did}/evidence",
        "bea",
        {"kind": "signed_bol", "reference": "BOL-9", "text": "signed 98 of 100"},
    )
    assert r.status_code == 200, r.text
    assert [(x["kind"], x["reference"], x["by"]) for x in r.json()["evidence"]] == [
        ("signed_bol", "BOL-9", "bea")
    ]
    r = world.call(
        "POST",
        f"/disputes/{did}/resolve",
        "bea",
        {"resolution": "credit_memo", "amount": "5.00", "reason": "2 short, as signed"},
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["outcome"], done["settled"], done["resolved_by"]) == (
        "resolved",
        "credit_memo",
        "5.00",
        "bea",
    )
    assert done["credit_memo_id"].startswith("CM-")
    assert world.call("GET", f"/disputes/{did}", "bea").json()["status"] == "resolved"
    assert world.h.invoice(world.invoice).open_amount == world.h.invoice(world.invoice).total - 5


def test_the_lists_filter_by_status_role_and_account_and_hide_other_entities(world: World) -> None:
    first = world.call(
        "POST", "/disputes", "bea", {"invoice_id": world.invoice, "category": "shortage", "amount": "1.00"}
    ).json()["dispute_id"]
    world.call(
        "POST", "/disputes", "bea", {"invoice_id": world.invoice, "category": "terms", "amount": "2.00"}
    )
    ids = [d["dispute_id"] for d in world.call("GET", "/disputes?status=open", "bea").json()]
    assert len(ids) == 2 and ids[0] == first
    assert [d["category"] for d in world.call("GET", "/disputes?owner_role=collections", "bea").json()] == [
        "terms"
    ]
    assert len(world.call("GET", "/disputes?customer_id=C1", "bea").json()) == 2
    assert world.call("GET", "/disputes?status=resolved", "bea").json() == []
    assert world.call("GET", "/disputes?status=whatever", "bea").status_code == 422
    assert world.call("GET", "/disputes", "cal").json() == []  # another legal entity's
    assert world.call("GET", f"/disputes/{first}", "cal").status_code == 404


def test_the_wrong_role_and_a_write_off_beyond_authority_are_refused(world: World) -> None:
    did = world.call(
        "POST", "/disputes", "bea", {"invoice_id": world.invoice, "category": "shortage", "amount": "150.00"}
    ).json()["dispute_id"]
    r = world.call("POST", f"/disputes/{did}/resolve", "wes", {"resolution": "credit_memo", "reason": "x"})
    assert r.status_code == 403 and "user:wes" in r.json()["detail"], r.text
    r = world.call("POST", f"/disputes/{did}/resolve", "bea", {"resolution": "write_off", "reason": "small"})
    assert r.status_code == 403, r.text
    assert "at most 100 USD as billing" in r.json()["detail"]
    r = world.call("POST", f"/disputes/{did}/resolve", "bea", {"resolution": "reject", "reason": "no proof"})
    assert r.status_code == 409 and "needs evidence" in r.json()["detail"], r.text
    assert world.call("GET", f"/disputes/{did}", "bea").json()["status"] == "open"
