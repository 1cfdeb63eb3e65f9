"""Who may do what over HTTP. Every route is enumerated from the app's own OpenAPI document,
so a route added without authentication fails here: anonymous callers get 401, the wrong
role 403, and what belongs to a legal entity the caller does not act for is a 404 exactly
like an unknown id. Tokens expire, revoked keys and disabled users are refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from o2c.api import create_app
from o2c.domain.holds import Role
from o2c.store import identities, policies
from tests.auth import CLERK_ROLES, api_key, bearer, person
from tests.builders import Harness, customer, seed, seed_canada
from tests.policy_docs import document

PUBLIC = {("post", "/auth/token")}  # how one gets a credential
ANY_CALLER = {("delete", "/auth/token")}  # signing out: one's own token, no role needed


@dataclass
class World:
    h: Harness
    client: TestClient
    held: str  # an order of US on a CRD-OVER-LIMIT hold
    letter: str  # a dead letter about that order (US)
    unscoped: str  # a dead letter whose entity cannot be told (a body that is not JSON)
    invoice: str = ""  # an open invoice of C1 (US)
    payment: str = ""  # a payment of C1 waiting for a person
    document: str = ""  # an 810 of US its partner rejected
    dispute: str = ""  # an open dispute case on that invoice (shortage: owned by billing)

    def call(self, method: str, path: str, who: dict[str, str] | None = None, body: Any = None) -> Response:
        headers = {**(who or {}), "Idempotency-Key": uuid.uuid4().hex}
        if isinstance(body, bytes):  # a file (master data): sent as CSV
            return self.client.request(method, path, headers={**headers, "Content-Type": "text/csv"},
                                       content=body)
        return self.client.request(method, path, headers=headers, json=body)

    def as_(self, user: str) -> dict[str, str]:
        return bearer(self.h.app, user)

    def inbox(self) -> int:
        with self.h.app.store.engine.connect() as c:
            return int(c.exec_driver_sql("SELECT count(*) FROM inbox").scalar_one())


@pytest.fixture
def world(sqlite_store: Any) -> Iterator[World]:
    h = Harness(store=sqlite_store)
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    seed_canada(h.app)
    h.stock("P1", "1000")
    held = h.order(customer_id="C2", po="PO-HELD").correlation_id
    shipped = str(h.order(customer_id="C1", po="PO-SHIPPED").correlation_id)
    h.ship_all(shipped)
    [invoice] = list(h.get(shipped).invoices)
    h.send("payment", {"payment_id": "PAY-W", "customer_id": "C1", "amount": "1.00", "currency": "USD"})
    letter = h.send("hold_decision", {"order_id": held, "code": "CRD-PAST-DUE", "by": "x", "reason": "x"})
    unscoped = h.send("order", {})  # a body with nothing in it tells no entity
    h.send("dispute", {"invoice_id": invoice, "category": "shortage", "amount": "1.00"})
    assert held and letter.dead_letter_id and unscoped.dead_letter_id
    person(h.app, "clerk", *CLERK_ROLES)
    person(h.app, "cara", *CLERK_ROLES, entities={"CA"})
    person(h.app, "audra", Role.AUDITOR)
    person(h.app, "wes", Role.WAREHOUSE_OPS)
    person(h.app, "cy", Role.CONTROLLER)
    person(h.app, "pia", Role.PRICING)
    pia = identities.actor_for_user(h.app.store, "pia", h.app.clock.now())
    policies.propose(h.app.store, document("2", "2099-01-01", tolerance="3.0"), by=pia, at=h.app.clock.now())
    rejected = _rejected_810(h, shipped, invoice)
    with TestClient(create_app(h.app)) as client:
        yield World(h=h, client=client, held=held, letter=letter.dead_letter_id,
                    unscoped=unscoped.dead_letter_id, invoice=invoice, payment="PAY-W", document=rejected,
                    dispute="DSP-0000001")


def _rejected_810(h: Harness, order_id: str, invoice_id: str) -> str:
    """A ledger row: an 810 of US its partner rejected (no partner is configured here, so a
    resend is refused: 409)."""
    from o2c.domain.documents import AckStatus, SentDocument

    with h.app.store.unit_of_work() as uow:
        uow.documents.add(SentDocument(
            document_id="DOC-W", partner_id="acme", doc_type="810", interchange_control_number="4",
            group_control_number="4", set_control_number="1", correlation_id=order_id,
            sent_at=h.clock.now(), status=AckStatus.REJECTED, legal_entity_id="US", order_id=order_id,
            invoice_id=invoice_id, x12="ISA*..."))
        uow.commit()
    return "DOC-W"


def _operations() -> set[tuple[str, str]]:
    doc = create_app(Harness().app).openapi()
    return {(m, p) for p, item in doc["paths"].items() for m in item}


def _order_body(entity: str = "US") -> dict[str, Any]:
    return {"legal_entity_id": entity, "customer_id": "C1", "ship_to_id": "C1-ST1", "po_number": "PO-X",
            "channel": "portal", "currency": "USD", "order_date": "2026-03-02",
            "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1", "uom": "EA"}]}


#: Every state-changing route: a request it would take from the right person, given the world.
WRITES: dict[tuple[str, str], Callable[[World], tuple[str, Any]]] = {
    ("post", "/orders"): lambda w: ("/orders", _order_body()),
    ("post", "/hold-decisions"): lambda w: ("/hold-decisions", {"order_id": w.held, "code": "CRD-OVER-LIMIT",
                                                               "reason": "prepaid"}),
    # corrected: a replay with a changed body acts as the caller, who needs integration
    ("post", "/dead-letters/{dead_letter_id}/replay"): lambda w: (
        f"/dead-letters/{w.letter}/replay", {"body": {"order_id": w.held, "code": "CRD-OVER-LIMIT",
                                                      "by": "x", "reason": "corrected"}}),
    ("post", "/queue/{hold_id}/claim"): lambda w: (f"/queue/{w.held}-H1/claim", None),
    ("delete", "/queue/{hold_id}/claim"): lambda w: (f"/queue/{w.held}-H1/claim", None),
    ("post", "/queue/{hold_id}/assign"): lambda w: (f"/queue/{w.held}-H1/assign", {"user": "clerk"}),
    ("post", "/queue/{hold_id}/comments"): lambda w: (f"/queue/{w.held}-H1/comments", {"text": "called"}),
    ("post", "/queue/{hold_id}/decision"): lambda w: (f"/queue/{w.held}-H1/decision",
                                                      {"action": "release", "reason": "prepaid"}),
    ("post", "/policies"): lambda w: ("/policies", {"document": document("3", "2099-01-01")}),
    ("post", "/policies/{policy_id}/versions/{version}/approve"): lambda w: (
        "/policies/o2c.default/versions/2/approve", {"comment": "agreed"}),
    ("post", "/policies/{policy_id}/versions/{version}/reject"): lambda w: (
        "/policies/o2c.default/versions/2/reject", None),
    ("post", "/cash/payments/{payment_id}/apply"): lambda w: (
        f"/cash/payments/{w.payment}/apply", {"invoice_id": w.invoice, "reason": "remittance by mail"}),
    ("post", "/cash/payments/{payment_id}/unapply"): lambda w: (
        f"/cash/payments/{w.payment}/unapply", {"invoice_id": w.invoice, "reason": "misapplied"}),
    ("post", "/invoices/{invoice_id}/credit-memos"): lambda w: (
        f"/invoices/{w.invoice}/credit-memos", {"amount": "1.00", "reason": "goodwill"}),
    ("post", "/collections/promises"): lambda w: (
        "/collections/promises", {"customer_id": "C1", "amount": "1.00", "promised_date": "2026-03-20",
                                  "note": "will pay"}),
    ("post", "/documents/{document_id}/resend"): lambda w: (f"/documents/{w.document}/resend", None),
    # disputes: wes (warehouse_ops) may act on no case of another owner's, audra on none
    ("post", "/disputes"): lambda w: ("/disputes", {"invoice_id": w.invoice, "category": "pricing",
                                                    "amount": "1.00"}),
    ("post", "/disputes/{dispute_id}/evidence"): lambda w: (
        f"/disputes/{w.dispute}/evidence", {"kind": "signed_bol", "reference": "BOL-1"}),
    ("post", "/disputes/{dispute_id}/resolve"): lambda w: (
        f"/disputes/{w.dispute}/resolve", {"resolution": "credit_memo", "reason": "short shipped"}),
}
#: Master data: each kind read and written on its own route, and files of each by POST.
MASTER_RECORDS = {"customers": "C1", "products": "P1", "legal-entities": "US", "warehouses": "W1",
                  "price-agreements": "PA-C1-P1", "tax-rates": "US-OH"}
MASTER_FILES = ("customers", "products", "legal-entities", "warehouses", "price-agreements", "tax-rates",
                "stock")


def _new_record(kind: str) -> dict[str, Any]:
    """A record of ``kind`` o2c does not hold yet (of legal entity US)."""
    return {
        "customers": {"customer_id": "C9", "legal_entity_id": "US", "name": "New", "payment_terms": "net 30",
                      "credit_limit": "100.00", "currency": "USD", "home_warehouse_id": "W1",
                      "ship_tos": [{"ship_to_id": "C9-ST1", "name": "Dock"}]},
        "products": {"product_id": "P9", "description": "New", "base_uom": "EA"},
        "legal-entities": {"entity_id": "MX", "name": "New", "currency": "MXN", "tax_jurisdiction": "MX",
                           "tax_rate": "0.16", "invoice_prefix": "MX"},
        "warehouses": {"warehouse_id": "W9", "legal_entity_id": "US", "name": "New"},
        "price-agreements": {"agreement_id": "PA-9", "customer_id": "C1", "product_id": "P2",
                             "currency": "USD", "price": "3.00", "valid_from": "2026-01-01"},
        "tax-rates": {"rate_id": "US-IL", "country": "US", "region": "IL", "name": "state", "rate": "0.0625",
                      "valid_from": "2020-01-01"},
    }[kind]


_FILES = {"customers": b"customer_id,legal_entity_id,name,payment_terms,credit_limit,currency,"
                       b"home_warehouse_id,ship_to_id\nC8,US,New,net 30,10.00,USD,W1,C8-ST1\n",
          "products": b"product_id,description,base_uom\nP8,New,EA\n",
          "legal-entities": b"entity_id,name,currency,tax_jurisdiction,tax_rate,invoice_prefix\n"
                            b"GB,New,GBP,GB,0.2,GB\n",
          "warehouses": b"warehouse_id,legal_entity_id,name\nW8,US,New\n",
          "price-agreements": b"agreement_id,customer_id,product_id,currency,price,valid_from\n"
                              b"PA-8,C2,P2,USD,3.00,2026-01-01\n",
          "tax-rates": b"rate_id,country,region,name,rate,valid_from\nUS-IN,US,IN,state,0.07,2020-01-01\n",
          "stock": b"warehouse_id,product_id,lot_id,quantity\nW2,P2,L8,5\n"}

WRITES.update({("put", f"/master/{kind}/{{record_id}}"): (
    lambda w, kind=kind: (f"/master/{kind}/{_new_record(kind)[next(iter(_new_record(kind)))]}",
                          _new_record(kind))) for kind in MASTER_RECORDS})
WRITES.update({("post", f"/master/{kind}"): (lambda w, kind=kind: (f"/master/{kind}", _FILES[kind]))
               for kind in MASTER_FILES})

#: Who may make a write, where the clerk may not: policies are a controller's (pia proposed version 2).
RIGHT_PERSON = {route: "cy" for route in WRITES
                if route[1].startswith(("/policies", "/cash", "/invoices", "/collections", "/disputes"))}
#: wes (warehouse_ops) may load opening stock: another role is refused it
WRONG_ROLE = {("post", "/master/stock"): ("audra", "pia")}

#: Every read that names something, with what it names in the world and an id that does not exist.
NAMED_READS: dict[tuple[str, str], Callable[[World], tuple[str, str]]] = {
    ("get", "/orders/{order_id}"): lambda w: (f"/orders/{w.held}", "/orders/SO-NOPE"),
    ("get", "/orders/{order_id}/trace"): lambda w: (f"/orders/{w.held}/trace", "/orders/SO-NOPE/trace"),
    ("get", "/dead-letters/{dead_letter_id}"): lambda w: (f"/dead-letters/{w.letter}",
                                                          "/dead-letters/DL-NOPE"),
    ("get", "/queue/{hold_id}"): lambda w: (f"/queue/{w.held}-H1", "/queue/SO-NOPE-H1"),
    ("get", "/cash/payments/{payment_id}"): lambda w: (f"/cash/payments/{w.payment}", "/cash/payments/NOPE"),
    ("get", "/documents/{document_id}"): lambda w: (f"/documents/{w.document}", "/documents/DOC-NOPE"),
    ("get", "/invoices/{invoice_id}/print"): lambda w: (f"/invoices/{w.invoice}/print",
                                                        "/invoices/US-NOPE/print"),
    ("get", "/disputes/{dispute_id}"): lambda w: (f"/disputes/{w.dispute}", "/disputes/DSP-NOPE"),
    **{("get", f"/master/{kind}/{{record_id}}"): (
        lambda w, kind=kind, known=known: (f"/master/{kind}/{known}", f"/master/{kind}/NOPE"))
       for kind, known in MASTER_RECORDS.items() if kind not in ("products", "tax-rates")},
}
#: Reads of what belongs to no legal entity: every caller sees them.
UNSCOPED_NAMED = {("get", "/master/products/{record_id}"), ("get", "/master/tax-rates/{record_id}")}
#: Reads of what belongs to no legal entity: every caller sees them.
UNSCOPED_READS = {("get", "/policies/{policy_id}/versions/{version}")}


def test_the_tables_name_every_route_of_the_api() -> None:
    everything = _operations()
    reads = {(m, p) for m, p in everything if m == "get"}
    assert everything - reads == set(WRITES) | PUBLIC | ANY_CALLER
    assert set(NAMED_READS) | UNSCOPED_READS | UNSCOPED_NAMED == {(m, p) for m, p in reads if "{" in p}


@pytest.mark.parametrize(("method", "path"), sorted(_operations() - PUBLIC))
def test_every_route_refuses_an_anonymous_caller_with_401_saying_what_to_send(
        world: World, method: str, path: str) -> None:
    operation = world.client.get("/openapi.json").json()["paths"][path][method]
    assert operation["security"] and "401" in operation["responses"]
    concrete = path.replace("{order_id}", world.held).replace("{dead_letter_id}", world.letter).replace(
        "{policy_id}", "o2c.default").replace("{version}", "2").replace("{record_id}", "C1")
    before = world.inbox()
    for credential, code in (({}, "AUTH-REQUIRED"), ({"Authorization": "Bearer o2cs_forged"}, "AUTH-INVALID"),
                             ({"X-API-Key": "o2ck_abc_forged"}, "AUTH-INVALID")):
        r = world.call(method.upper(), concrete, credential, body=_order_body() if method == "post" else None)
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == 'Bearer realm="o2c"'
        assert r.headers["content-type"] == "application/problem+json"
        assert (r.json()["status"], r.json()["code"]) == (401, code)
    assert world.inbox() == before


@pytest.mark.parametrize("route", sorted(WRITES), ids=" ".join)
@pytest.mark.parametrize("nth", [0, 1])
def test_every_state_changing_route_refuses_the_wrong_role_with_403(
        world: World, route: tuple[str, str], nth: int) -> None:
    who = WRONG_ROLE.get(route, ("audra", "wes"))[nth]
    path, body = WRITES[route](world)
    before = world.inbox()
    r = world.call(route[0].upper(), path, world.as_(who), body)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "AUTH-FORBIDDEN" and f"user:{who}" in r.json()["detail"]
    assert world.inbox() in (before, before + 1)  # refused, at most kept as refused
    # the right person is let through
    right = world.as_(RIGHT_PERSON.get(route, "clerk"))
    assert world.call(route[0].upper(), path, right, body).status_code in (200, 201, 204, 409)


def _same_but_for_the_id(seen: Response, unknown: Response, shown: str, hidden: str) -> None:
    assert (seen.status_code, unknown.status_code) == (404, 404)
    assert seen.json() == json.loads(unknown.text.replace(hidden, shown)), (seen.text, unknown.text)


@pytest.mark.parametrize("route", sorted(NAMED_READS), ids=" ".join)
def test_a_read_outside_the_callers_entities_is_404_exactly_like_an_unknown_id(
        world: World, route: tuple[str, str]) -> None:
    path, missing = NAMED_READS[route](world)
    assert world.call("GET", path, world.as_("clerk")).status_code == 200
    cara = world.as_("cara")
    shown, hidden = next((a, b) for a, b in zip(path.split("/"), missing.split("/"), strict=True) if a != b)
    _same_but_for_the_id(world.call("GET", path, cara), world.call("GET", missing, cara), shown, hidden)


def test_a_write_outside_the_callers_entities_is_404_exactly_like_an_unknown_id(world: World) -> None:
    cara, before = world.as_("cara"), world.inbox()
    seen = world.call("POST", "/orders", cara, _order_body("US"))
    _same_but_for_the_id(seen, world.call("POST", "/orders", cara, _order_body("ZZ")), "US", "ZZ")
    decision = {"order_id": world.held, "code": "CRD-OVER-LIMIT", "reason": "x"}
    _same_but_for_the_id(world.call("POST", "/hold-decisions", cara, decision),
                         world.call("POST", "/hold-decisions", cara, {**decision, "order_id": "SO-NOPE"}),
                         world.held, "SO-NOPE")
    _same_but_for_the_id(world.call("POST", f"/dead-letters/{world.letter}/replay", cara),
                         world.call("POST", "/dead-letters/DL-NOPE/replay", cara), world.letter, "DL-NOPE")
    assert world.inbox() == before


def test_the_dead_letter_list_shows_what_the_caller_may_see(world: World) -> None:
    def listed(who: str) -> set[str]:
        return {d["dead_letter_id"] for d in world.call("GET", "/dead-letters", world.as_(who)).json()}

    assert listed("clerk") == {world.letter, world.unscoped}  # integration sees the unreadable too
    assert listed("audra") == {world.letter}
    assert listed("cara") == set()
    assert world.call("GET", f"/dead-letters/{world.unscoped}", world.as_("audra")).status_code == 404


def test_a_hold_decision_is_made_by_the_caller_never_by_the_body(world: World) -> None:
    decision = {"order_id": world.held, "code": "CRD-OVER-LIMIT", "reason": "prepaid"}
    r = world.call("POST", "/hold-decisions", world.as_("clerk"), {**decision, "by": "mallory"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["detail"]] == ["by"]
    assert world.call("POST", "/hold-decisions", world.as_("clerk"), decision).status_code == 200
    [hold] = world.h.get(world.held).holds
    assert (hold.status.value, hold.resolved_by) == ("released", "clerk")


def test_a_token_works_until_it_expires_or_is_revoked(world: World) -> None:
    token = world.as_("clerk")
    world.h.later(minutes=14, seconds=59)
    assert world.call("GET", f"/orders/{world.held}", token).status_code == 200
    world.h.later(seconds=1)
    r = world.call("GET", f"/orders/{world.held}", token)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    fresh = world.as_("clerk")
    assert world.call("DELETE", "/auth/token", fresh).status_code == 204
    assert world.call("GET", f"/orders/{world.held}", fresh).status_code == 401


def test_sign_in_answers_a_bearer_token_and_the_same_refusal_for_any_wrong_credential(world: World) -> None:
    r = world.client.post("/auth/token", json={"user": "clerk", "password": "a long enough passphrase"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer" and r.json()["expires_in"] == 900
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert world.call("GET", f"/orders/{world.held}", token).status_code == 200
    wrong = [world.client.post("/auth/token", json=body) for body in (
        {"user": "clerk", "password": "not the passphrase"}, {"user": "nobody", "password": "whatever"})]
    assert [(w.status_code, w.json()["detail"]) for w in wrong] == [
        (401, "wrong user or password, or the user is disabled")] * 2


def test_guessing_a_password_is_slowed_down_per_user_and_address(world: World) -> None:
    right = {"user": "clerk", "password": "a long enough passphrase"}
    wrong = {"user": "clerk", "password": "a guess"}
    assert [world.client.post("/auth/token", json=wrong).status_code for _ in range(5)] == [401] * 5
    for body in (wrong, right):  # even the right password waits now
        r = world.client.post("/auth/token", json=body)
        assert r.status_code == 429 and r.json()["code"] == "AUTH-THROTTLED"
        assert 0 < int(r.headers["Retry-After"]) <= 901
    # another user is not locked out by the guesses at this one
    other = world.client.post("/auth/token", json={"user": "wes", "password": "a long enough passphrase"})
    assert other.status_code == 200
    world.h.later(minutes=15)  # the window passes on the app's clock
    assert world.client.post("/auth/token", json=right).status_code == 200


def test_a_disabled_user_and_a_revoked_key_are_refused(world: World) -> None:
    app = world.h.app
    token, key = world.as_("clerk"), api_key(app, "portal", Role.CUSTOMER_SERVICE)
    assert world.call("GET", f"/orders/{world.held}", key).status_code == 200
    root = identities.actor_for_user(app.store, "root", app.clock.now())
    identities.disable_user(app.store, "clerk", at=app.clock.now(), by=root)
    identities.revoke_key(app.store, "portal", at=app.clock.now(), by=root)
    for credential in (token, key):
        assert world.call("GET", f"/orders/{world.held}", credential).status_code == 401
    r = world.client.post("/auth/token", json={"user": "clerk", "password": "a long enough passphrase"})
    assert r.status_code == 401
