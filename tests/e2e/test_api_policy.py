"""Policies over HTTP with real credentials: a version proposed by one person, refused to its
author and to the wrong role, approved by another and in force in the running API from its
date, every refusal a problem document, every step in the audit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from o2c.api import create_app
from o2c.domain.holds import Role
from o2c.store.audit_trail import audit_trail
from tests.auth import api_key, bearer, person
from tests.builders import Harness, seed
from tests.policy_docs import document

LATER = "2026-04-01"


class Api:
    def __init__(self, h: Harness, client: TestClient) -> None:
        self.h, self.client = h, client

    def call(self, method: str, path: str, who: str | dict[str, str] | None, body: Any = None) -> Response:
        headers = bearer(self.h.app, who) if isinstance(who, str) else (who or {})
        return self.client.request(method, path, headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                                   json=body)


@pytest.fixture
def api(sqlite_store: Any) -> Iterator[Api]:
    h = Harness(store=sqlite_store)  # 2 March 2026
    seed(h.app)
    for name, role in (("pia", Role.PRICING), ("pete", Role.PRICING), ("cy", Role.CONTROLLER),
                       ("bo", Role.BILLING)):
        person(h.app, name, role)
    person(h.app, "uma", Role.CONTROLLER, entities={"US"})
    with TestClient(create_app(h.app)) as client:
        yield Api(h, client)


def problem(r: Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (r.json()["status"], r.json()["code"]) == (status, code)
    return str(r.json()["detail"])


def test_a_version_proposed_and_approved_over_http_is_in_force_from_its_date(api: Api) -> None:
    r = api.call("POST", "/policies", "pia", {"document": document("2", LATER, tolerance="3.0"),
                                              "reason": "new contracts"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["status"], made["author"], made["changes"], made["approvers"]) == (
        "proposed", "user:pia", ["pricing"], ["controller", "pricing"])
    assert made["effective_from"] == LATER and len(made["sha256"]) == 64
    path = "/policies/o2c.default/versions/2"
    assert "four eyes" in problem(api.call("POST", f"{path}/approve", "pia"), 403, "AUTH-FORBIDDEN")
    assert "needs controller or pricing" in problem(api.call("POST", f"{path}/approve", "bo"), 403,
                                                    "AUTH-FORBIDDEN")
    # a controller for US only may not change what every entity does
    assert "every legal entity" in problem(api.call("POST", f"{path}/approve", "uma"), 403, "AUTH-FORBIDDEN")
    system = api_key(api.h.app, "erp", Role.CONTROLLER)
    assert "is not a person" in problem(api.call("POST", f"{path}/approve", system), 403, "AUTH-FORBIDDEN")
    r = api.call("POST", f"{path}/approve", "pete", {"comment": "agreed"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["approver"], done["comment"]) == ("approved", "user:pete", "agreed")
    assert "approved already" in problem(api.call("POST", f"{path}/approve", "cy"), 409, "POLICY-CONFLICT")
    # the running API decides with it from its date
    registry = api.h.app.bus.policies
    assert registry.in_force(datetime(2026, 3, 31, tzinfo=UTC)).version == "1"
    assert registry.in_force(datetime(2026, 4, 1, tzinfo=UTC)).version == "2"
    # anyone signed in reads every version
    listed = api.call("GET", "/policies", "bo").json()
    assert [(v["version"], v["status"]) for v in listed] == [("1", "approved"), ("2", "approved")]
    shown = api.call("GET", path, "bo").json()
    assert shown["document"] == document("2", LATER, tolerance="3.0") and shown["approver"] == "user:pete"
    assert [r.action for r in audit_trail(api.h.app.store, policy="o2c.default")] == [
        "policy.approve", "policy.propose", "policy.approve"]  # the first, o2c's of what it ships


def test_refusals_are_problems_naming_why(api: Api) -> None:
    bad = document("2", LATER, tolerance="lots", entities="{US: {credit: {hit: nope}}}")
    detail = problem(api.call("POST", "/policies", "pia", {"document": bad}), 400, "POLICY-INVALID")
    assert "policy.pricing.tolerance_percent: expected a number" in detail
    assert "policy.entities.US.credit.hit: expected one of" in detail
    taken = {"document": document("1", LATER)}
    assert "exists already" in problem(api.call("POST", "/policies", "pia", taken), 409, "POLICY-CONFLICT")
    begun = {"document": document("2", "2026-03-01")}
    assert "has begun already" in problem(api.call("POST", "/policies", "pia", begun), 409, "POLICY-CONFLICT")
    by_billing = api.call("POST", "/policies", "bo", {"document": document("2", LATER)})
    assert "may not propose" in problem(by_billing, 403, "AUTH-FORBIDDEN")
    assert problem(api.call("GET", "/policies/o2c.default/versions/9", "bo"), 404, "NOT-FOUND")
    assert problem(api.call("POST", "/policies/o2c.default/versions/9/approve", "cy"), 404, "NOT-FOUND")
    r = api.call("POST", "/policies", "pia", {"document": document("2", LATER), "by": "mallory"})
    assert r.status_code == 422
    assert problem(api.call("GET", "/policies", None), 401, "AUTH-REQUIRED")


def test_a_proposal_rejected_or_withdrawn_is_never_in_force(api: Api) -> None:
    assert api.call("POST", "/policies", "pia", {"document": document("2", LATER)}).status_code == 201
    r = api.call("POST", "/policies/o2c.default/versions/2/reject", "pia", {"comment": "withdrawn"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert [p.version for p in api.h.app.bus.policies.versions] == ["1"]
