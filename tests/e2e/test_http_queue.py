"""The work queue over HTTP, signed in as real users: each sees the holds they may act on,
claims conflict, comments are kept, and a hold is decided in one call."""

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
    held: str  # an order of US held over its credit limit
    hold: str  # its hold

    def call(self, method: str, path: str, who: str | None = None, body: Any = None) -> Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex, **(bearer(self.h.app, who) if who else {})}
        return self.client.request(method, path, headers=headers, json=body)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    store = request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "clean_pg_store")
    h = Harness(store=store)
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    seed_canada(h.app)
    h.stock("P1", "1000")
    held = h.order(customer_id="C2", po="PO-HELD").correlation_id
    assert held is not None
    person(h.app, "ana", Role.CREDIT_ANALYST, entities={"US"})
    person(h.app, "carl", Role.CREDIT_ANALYST, entities={"US"})
    person(h.app, "cora", Role.CONTROLLER)
    person(h.app, "wes", Role.WAREHOUSE_OPS)
    person(h.app, "cara", Role.CREDIT_ANALYST, entities={"CA"})
    with TestClient(create_app(h.app)) as client:
        yield World(h=h, client=client, held=held, hold=h.get(held).open_holds[0].hold_id)


def test_an_analyst_sees_the_credit_holds_of_their_entity_with_their_context(world: World) -> None:
    world.h.later(hours=30)  # past the credit SLA
    r = world.call("GET", "/queue", "ana")
    assert r.status_code == 200, r.text
    (item,) = r.json()
    assert (item["hold_id"], item["code"]) == (world.hold, "CRD-OVER-LIMIT")
    assert item["owner_role"] == "credit_analyst"
    assert item["order"]["order_id"] == world.held and item["order"]["customer_id"] == "C2"
    assert item["customer"]["name"] == "Customer C2"
    assert Decimal(item["credit"]["over_by"]) == Decimal(item["credit"]["exposure"]) - Decimal("10")
    assert item["conditions"][0]["rule"] == "credit/over-limit" and item["policy_version"]
    assert item["breached"] and item["time_left_seconds"] < 0
    breached = world.call("GET", "/queue?breached=true&code=CRD-OVER-LIMIT", "ana").json()
    assert [i["hold_id"] for i in breached] == [world.hold]
    assert world.call("GET", "/queue?claimed=me", "ana").json() == []
    assert world.call("GET", "/queue?code=NOPE", "ana").status_code == 422

    assert world.call("GET", "/queue", "wes").json() == []  # warehouse: not theirs
    assert world.call("GET", "/queue", "cara").json() == []  # another entity's analyst
    assert world.call("GET", f"/queue/{world.hold}", "wes").status_code == 403
    seen = world.call("GET", f"/queue/{world.hold}", "cara")
    unknown = world.call("GET", "/queue/SO-X-H1", "cara")
    assert (seen.status_code, unknown.status_code) == (404, 404)
    assert seen.json()["detail"].replace(world.hold, "SO-X-H1") == unknown.json()["detail"]
    assert world.call("GET", "/queue").status_code == 401


def test_claims_conflict_and_comments_are_kept(world: World) -> None:
    path = f"/queue/{world.hold}"
    r = world.call("POST", f"{path}/claim", "ana")
    assert r.status_code == 200 and r.json()["claimed_by"] == "ana"
    r = world.call("POST", f"{path}/claim", "carl")
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert "claimed by ana" in r.json()["detail"]
    assert world.call("POST", f"{path}/claim", "wes").status_code == 403
    assert world.call("POST", f"{path}/assign", "ana", {"user": "wes"}).status_code == 422
    r = world.call("POST", f"{path}/assign", "ana", {"user": "carl"})
    assert (r.status_code, r.json()["claimed_by"], r.json()["assigned_by"]) == (200, "carl", "ana")
    assert world.call("DELETE", f"{path}/claim", "ana").status_code == 409  # carl's now
    assert world.call("POST", f"{path}/claim", "cora").json()["claimed_by"] == "cora"  # outranks carl
    assert world.call("DELETE", f"{path}/claim", "cora").status_code == 204

    r = world.call("POST", f"{path}/comments", "carl", {"text": "buyer pays Friday"})
    assert r.status_code == 201 and r.json()["author"] == "carl"
    assert world.call("POST", f"{path}/comments", "carl", {"text": ""}).status_code == 422
    detail = world.call("GET", path, "ana").json()
    assert detail["comments"] == 1 and [c["text"] for c in detail["comment_list"]] == ["buyer pays Friday"]
    assert detail["claim"] is None


def test_a_hold_is_decided_in_one_call_as_the_caller(world: World) -> None:
    path = f"/queue/{world.hold}/decision"
    r = world.call("POST", path, "ana", {"action": "reject", "reason": "no"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["detail"]] == ["reason_code"]
    r = world.call("POST", path, "wes", {"action": "release", "reason": "prepaid"})
    assert r.status_code == 403 and "credit_analyst" in r.json()["detail"]
    assert world.call("POST", path, "cara", {"action": "release", "reason": "prepaid"}).status_code == 404

    key = {"Idempotency-Key": "decide-once", **bearer(world.h.app, "ana")}
    r = world.client.post(path, headers=key, json={"action": "release", "reason": "prepaid"})
    assert r.status_code == 200, r.text
    again = world.client.post(path, headers=key, json={"action": "release", "reason": "prepaid"})
    assert again.status_code == 200 and again.json() == r.json()  # a retry: the same answer
    order = r.json()
    assert order["order_id"] == world.held and order["status"] != "validated"
    (hold,) = [h for h in order["holds"] if h["code"] == "CRD-OVER-LIMIT"]
    assert hold["status"] == "released"
    assert world.call("GET", "/queue", "ana").json() == []
    assert world.call("POST", path, "ana", {"action": "release", "reason": "again"}).status_code == 409


def test_a_rejection_names_its_reason_code(world: World) -> None:
    r = world.call("POST", f"/queue/{world.hold}/decision", "ana",
                   {"action": "reject", "reason_code": "CREDIT-RISK", "reason": "no guarantee"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected"
    assert world.h.get(world.held).holds[0].resolution == "reject"
    with world.h.app.store.unit_of_work() as uow:
        rejected = [e.payload for e in uow.events.for_correlation(world.held) if e.type == "OrderRejected"]
    assert "CREDIT-RISK: no guarantee" in rejected[0].reason
