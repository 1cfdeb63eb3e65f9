"""Cash application and credit memos over HTTP, signed in as real users, on SQLite and
PostgreSQL: the queue, a person naming a payer and applying cash, unapplying it, and who may
not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
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
    seed(h.app, customer("C1"))
    seed_canada(h.app)
    h.stock("P1", "1000")
    invoices = []
    for po in ("PO-1", "PO-2"):
        oid = str(h.order(po=po, lines=[("P1", "10", "EA")]).correlation_id)
        h.ship_all(oid, f"SH-{po}")
        invoices += list(h.get(oid).invoices)
    # the same amount twice, no reference: two answers fit
    amount = str(h.invoice(invoices[0]).total)
    h.send("payment", {"payment_id": "PAY-1", "customer_id": "C1", "amount": amount, "currency": "USD"})
    h.send("payment", {"payment_id": "BANK-9", "amount": "10.00", "currency": "USD",
                       "payer_name": "UNKNOWN CO"})
    person(h.app, "cara", Role.CASH_APP, entities={"US"})
    person(h.app, "cal", Role.CASH_APP, entities={"CA"})
    person(h.app, "bea", Role.BILLING, entities={"US"})
    with TestClient(create_app(h.app)) as client:
        yield World(h=h, client=client, invoices=invoices)


def test_the_queue_shows_what_waits_and_why(world: World) -> None:
    r = world.call("GET", "/cash/queue", "cara")
    assert r.status_code == 200, r.text
    by_id = {p["payment_id"]: p for p in r.json()}
    assert set(by_id) == {"PAY-1", "BANK-9"}
    assert sorted(by_id["PAY-1"]["candidates"]) == sorted(world.invoices)
    assert by_id["BANK-9"]["customer_id"] is None and "payer not identified" in by_id["BANK-9"]["reason"]
    # another entity's cash application sees only the unidentified payment
    assert [p["payment_id"] for p in world.call("GET", "/cash/queue", "cal").json()] == ["BANK-9"]
    assert world.call("GET", "/cash/queue", "bea").status_code == 403


def test_a_person_applies_unapplies_and_applies_again(world: World) -> None:
    first, second = world.invoices
    r = world.call("POST", "/cash/payments/PAY-1/apply", "cara", {"invoice_id": second, "reason": "by mail"})
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == {second: {"amount": "21.45", "discount": "0"}}
    assert r.json()["unapplied"] == "0.00"
    r = world.call("POST", "/cash/payments/PAY-1/unapply", "cara", {"invoice_id": second, "reason": "wrong"})
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == {} and Decimal(r.json()["unapplied"]) == Decimal("21.45")
    r = world.call("POST", "/cash/payments/PAY-1/apply", "cara", {"invoice_id": first, "reason": "right one"})
    assert r.status_code == 200 and list(r.json()["applied"]) == [first]
    assert world.h.invoice(second).open_amount == Decimal("21.45") and world.h.invoice(first).open_amount == 0


def test_refusals_name_their_reason(world: World) -> None:
    first, _ = world.invoices
    r = world.call("POST", "/cash/payments/PAY-1/apply", "bea", {"invoice_id": first, "reason": "x"})
    assert r.status_code == 403 and "cash_app" in r.json()["detail"]
    r = world.call("POST", "/cash/payments/PAY-1/apply", "cara", {"invoice_id": "NOPE", "reason": "x"})
    assert r.status_code == 409 and "not an invoice of C1" in r.json()["detail"]
    r = world.call("POST", "/cash/payments/BANK-9/apply", "cara", {"invoice_id": first, "reason": "x"})
    assert r.status_code == 409 and "name the customer account" in r.json()["detail"]
    assert world.call("GET", "/cash/payments/PAY-1", "cal").status_code == 404


def test_billing_credits_an_invoice(world: World) -> None:
    first, _ = world.invoices
    r = world.call("POST", f"/invoices/{first}/credit-memos", "bea", {"amount": "5.00", "reason": "damaged"})
    assert r.status_code == 200, r.text
    assert (r.json()["credited"], r.json()["open"], r.json()["credit_memos"]) == (
        "5.00", "16.45", ["CM-0000001"])
    r = world.call("POST", f"/invoices/{first}/credit-memos", "cara", {"amount": "5.00", "reason": "x"})
    assert r.status_code == 403
    r = world.call("POST", f"/invoices/{first}/credit-memos", "bea", {"amount": "99.00", "reason": "x"})
    assert r.status_code == 409 and "at most the open amount" in r.json()["detail"]
