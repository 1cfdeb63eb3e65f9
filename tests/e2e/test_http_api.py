"""End to end over HTTP: a real uvicorn server on a loopback port, a file
SQLite store, and httpx as the client, the way a portal would call o2c."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from o2c.adapters.documents import Integrations
from o2c.adapters.edi.maps import PartnerDirectory
from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange
from o2c.api import create_app
from o2c.store.tables import inbox
from tests.auth import clerk, is_seed, second_pair_of_eyes
from tests.builders import T0, Harness, customer, seed
from tests.unit.test_edi_intake import po_850
from tests.unit.test_edi_outbound import CONFIG, X12_SPLITTER


@dataclass
class Server:
    client: httpx.Client
    h: Harness


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(sqlite_store: Any) -> Iterator[Server]:
    yield from _serve(sqlite_store)


@pytest.fixture
def edi_server(sqlite_store: Any) -> Iterator[Server]:
    """The API started with an integration configuration (``o2c serve --config``)."""
    yield from _serve(sqlite_store, Integrations.from_mapping(CONFIG))


def _serve(sqlite_store: Any, integrations: Integrations | None = None) -> Iterator[Server]:
    h = Harness(store=sqlite_store, integrations=integrations)
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    h.stock("P1", "1000")
    port = _free_port()
    api = create_app(h.app, integrations.splitters() if integrations else None)
    srv = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start within 10 s"
        time.sleep(0.02)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=clerk(h.app)) as client:
        yield Server(client=client, h=h)
    srv.should_exit = True
    thread.join(10)


def order_body(customer_id: str = "C1", po: str = "PO-1", qty: str = "10") -> dict[str, Any]:
    return {
        "legal_entity_id": "US",
        "customer_id": customer_id,
        "ship_to_id": f"{customer_id}-ST1",
        "po_number": po,
        "channel": "portal",
        "currency": "USD",
        "order_date": "2026-03-02",
        "lines": [{"line_no": 1, "product_id": "P1", "quantity": qty, "uom": "EA"}],
    }


def post(s: Server, path: str, body: Any, key: str | None = None,
         as_: dict[str, str] | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex, **(as_ or {})}
    return s.client.post(path, json=body, headers=headers)


def orders_in_store(s: Server) -> int:
    query = select(func.count()).select_from(inbox).where(inbox.c.kind == "order")
    with s.h.app.store.engine.connect() as c:
        return int(c.execute(query).scalar_one())


def test_a_clean_order_is_created_and_released(server: Server) -> None:
    r = post(server, "/orders", order_body())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "released" and body["holds"] == []
    assert body["order_id"].startswith("SO-")


def test_the_same_idempotency_key_returns_the_first_order_without_a_second_one(server: Server) -> None:
    first = post(server, "/orders", order_body(), key="k-1")
    again = post(server, "/orders", order_body(), key="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_id"] == first.json()["order_id"]
    assert orders_in_store(server) == 1


def test_a_reused_key_with_another_body_is_refused(server: Server) -> None:
    post(server, "/orders", order_body(po="PO-A"), key="k-2")
    r = post(server, "/orders", order_body(po="PO-B"), key="k-2")
    assert r.status_code == 409
    assert r.json()["code"] == "IDEMPOTENCY-KEY-REUSED"


def test_an_invalid_body_is_refused_naming_every_bad_field(server: Server) -> None:
    body = order_body()
    body["currency"] = "usd"
    body["lines"][0]["quantity"] = "-1"
    del body["customer_id"]
    r = post(server, "/orders", body)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["detail"]}
    assert fields == {"currency", "lines.0.quantity", "customer_id"}
    assert "lines.0.quantity" in r.json()["message"]


def test_a_missing_idempotency_key_is_a_bad_request_saying_so(server: Server) -> None:
    r = server.client.post("/orders", json=order_body())
    assert r.status_code == 400
    assert "Idempotency-Key" in r.json()["detail"]
    assert orders_in_store(server) == 0


def test_an_order_for_an_unknown_customer_is_created_on_hold(server: Server) -> None:
    r = post(server, "/orders", order_body(customer_id="NOPE"))
    assert r.status_code == 201
    assert [h["code"] for h in r.json()["holds"]] == ["VAL-CUSTOMER-UNKNOWN"]
    assert r.json()["status"] == "received"


def test_an_order_with_a_line_number_used_twice_is_created_on_hold_naming_it(server: Server) -> None:
    body = order_body()
    body["lines"].append({**body["lines"][0], "quantity": "3"})
    r = post(server, "/orders", body)
    assert r.status_code == 201, r.text
    [hold] = r.json()["holds"]
    assert hold["code"] == "VAL-DUPLICATE-LINE" and "line 1 is used more than once" in hold["reason"]
    assert r.json()["status"] == "received"


def test_a_negative_po_price_is_created_on_a_pricing_hold_naming_it(server: Server) -> None:
    body = order_body()
    body["lines"][0]["unit_price"] = "-2.00"
    r = post(server, "/orders", body)
    assert r.status_code == 201, r.text
    [hold] = r.json()["holds"]
    assert hold["code"] == "PRC-PO-PRICE-INVALID" and "PO price -2.00 per EA" in hold["reason"]


def test_a_credit_hold_is_released_by_a_hold_decision(server: Server) -> None:
    held = post(server, "/orders", order_body(customer_id="C2")).json()
    assert [h["code"] for h in held["holds"]] == ["CRD-OVER-LIMIT"]
    decision = {"order_id": held["order_id"], "code": "CRD-OVER-LIMIT", "reason": "prepaid"}
    # four-eyes: the clerk entered the order, so the clerk may not approve its credit
    r = post(server, "/hold-decisions", decision, key="d-0")
    assert r.status_code == 403 and "four-eyes: clerk entered order" in r.json()["detail"]
    other = second_pair_of_eyes(server.h.app)
    r = post(server, "/hold-decisions", decision, key="d-1", as_=other)
    assert r.status_code == 200, r.text
    assert r.json() == {"order_id": held["order_id"], "status": "released", "holds": []}
    assert post(server, "/hold-decisions", decision, key="d-1", as_=other).status_code == 200

    got = server.client.get(f"/orders/{held['order_id']}").json()
    assert got["status"] == "released"
    assert [(h["code"], h["status"]) for h in got["holds"]] == [("CRD-OVER-LIMIT", "released")]
    assert got["lines"][0]["allocated"] == "10"
    assert [a["warehouse_id"] for a in got["allocations"]] == ["W1"]
    assert got["shipments"] == [] and got["invoices"] == []


def test_the_trace_tells_the_orders_story(server: Server) -> None:
    oid = post(server, "/orders", order_body()).json()["order_id"]
    trace = server.client.get(f"/orders/{oid}/trace").json()
    assert trace["order_id"] == oid
    assert [s["type"] for s in trace["steps"]][:2] == ["OrderReceived", "OrderValidated"]
    assert server.client.get("/orders/SO-NOPE/trace").status_code == 404
    assert server.client.get("/orders/SO-NOPE").status_code == 404


def test_a_decision_the_order_cannot_take_is_dead_lettered_listed_and_replayable(server: Server) -> None:
    oid = post(server, "/orders", order_body()).json()["order_id"]
    decision = {"order_id": oid, "code": "CRD-OVER-LIMIT", "reason": "x"}
    r = post(server, "/hold-decisions", decision, key="d-2")
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "CMD-INVALID" and "no open CRD-OVER-LIMIT hold" in problem["reason"]
    dl_id = problem["dead_letter_id"]
    # a retry with the same key names the same dead letter
    assert post(server, "/hold-decisions", decision, key="d-2").json()["dead_letter_id"] == dl_id

    listed = server.client.get("/dead-letters").json()
    assert [d["dead_letter_id"] for d in listed] == [dl_id]
    detail = server.client.get(f"/dead-letters/{dl_id}").json()
    assert detail["source"] == "portal-api" and oid in detail["body"]

    again = server.client.post(f"/dead-letters/{dl_id}/replay")
    assert again.status_code == 409 and again.json()["dead_letter_id"] != dl_id
    assert server.client.post(f"/dead-letters/{dl_id}/replay").status_code == 404


def test_a_replay_over_http_is_audited_naming_the_signed_in_caller_and_their_address(server: Server) -> None:
    dl_id = server.h.send("order", {"customer_id": "C1"}).dead_letter_id
    assert server.client.post(f"/dead-letters/{dl_id}/replay").status_code == 409
    with server.h.app.store.unit_of_work() as uow:  # after the users set up for the test
        (r,) = [e for e in uow.audit.entries() if not e.action.startswith("user.") and not is_seed(e)]
    assert (r.action, r.subject_id, r.actor_label, r.address) == (
        "dead_letter.replay", dl_id, "user:clerk", "127.0.0.1")


def test_a_parked_delivery_applies_by_itself_once_its_shipment_arrives(server: Server) -> None:
    oid = post(server, "/orders", order_body()).json()["order_id"]
    early = server.h.deliver(oid, "SH1-W1")
    assert early.dead_letter_id
    parked = server.client.get("/dead-letters").json()
    assert [d["code"] for d in parked] == ["INT-OUT-OF-ORDER"]
    server.h.ship_all(oid)
    got = server.client.get(f"/orders/{oid}").json()
    assert got["shipments"][0]["delivered_at"] is not None
    assert server.client.get("/dead-letters").json() == []
    r = server.client.post(f"/dead-letters/{early.dead_letter_id}/replay")
    assert r.status_code == 404, r.text  # nothing left to replay by hand


def test_a_delivery_time_without_an_offset_is_refused_naming_the_field_and_applies_with_one(
    server: Server,
) -> None:
    # given a shipped order, and a proof of delivery whose time has no UTC offset
    oid = post(server, "/orders", order_body()).json()["order_id"]
    server.h.ship_all(oid)
    naive = {"shipment_id": "SH1-W1", "order_id": oid, "delivered_at": "2026-03-02T14:05:00"}
    dl_id = server.h.send("delivery", naive).dead_letter_id
    # when it is replayed over HTTP, corrected but still without an offset
    r = server.client.post(f"/dead-letters/{dl_id}/replay", json={"body": naive})
    # then it is refused with the field and what to send
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "INT-PARSE-ERROR"
    expected = "delivered_at: timestamp has no UTC offset; send e.g. 2026-03-02T14:05:00-05:00"
    assert expected in r.json()["reason"]
    # and with the offset it applies, as the instant it names
    again = r.json()["dead_letter_id"]
    fixed = {**naive, "delivered_at": "2026-03-02T14:05:00-05:00"}
    assert server.client.post(f"/dead-letters/{again}/replay", json={"body": fixed}).status_code == 200
    shipment = server.client.get(f"/orders/{oid}").json()["shipments"][0]
    assert datetime.fromisoformat(shipment["delivered_at"]) == datetime(2026, 3, 2, 19, 5, tzinfo=UTC)


def test_a_file_parked_before_its_partner_was_set_up_is_split_again_on_replay(edi_server: Server) -> None:
    raw = raw_interchange(po_850("PO-LATE", [("3", "EA", "2.00", "P1")]), T0, name="late.edi")
    head, _ = edi_server.h.app.runtime.submit_document(raw, EdiSplitter(PartnerDirectory(())))
    assert head.code == "INT-UNKNOWN-REFERENCE"
    r = edi_server.client.post(f"/dead-letters/{head.dead_letter_id}/replay")
    assert r.status_code == 200, r.text
    with edi_server.h.app.store.unit_of_work() as uow:
        oid = uow.orders.find_by_po("C1", "PO-LATE")
        kinds = [m.kind for m in uow.outbox.pending()]
    assert oid is not None and edi_server.client.get(f"/orders/{oid}").json()["status"] == "released"
    assert {"edi_997", "edi_855", "edi_940"} <= set(kinds)  # answered as it is applied


def test_a_corrected_file_can_be_replayed_as_text(edi_server: Server) -> None:
    good = po_850("PO-FIX", [("3", "EA", "2.00", "P1")], control=9).decode()
    cut_short = raw_interchange(good[: len(good) // 3].encode(), T0)
    head, _ = edi_server.h.app.runtime.submit_document(cut_short, X12_SPLITTER)
    assert head.code == "INT-PARSE-ERROR"
    r = edi_server.client.post(f"/dead-letters/{head.dead_letter_id}/replay", json={"body": good})
    assert r.status_code == 200, r.text
    with edi_server.h.app.store.unit_of_work() as uow:
        assert uow.orders.find_by_po("C1", "PO-FIX") is not None


def test_the_openapi_document_lists_every_route(server: Server) -> None:
    doc = server.client.get("/openapi.json").json()
    assert set(doc["paths"]) == {
        "/auth/token",
        "/orders",
        "/orders/{order_id}",
        "/orders/{order_id}/trace",
        "/hold-decisions",
        "/dead-letters",
        "/dead-letters/{dead_letter_id}",
        "/dead-letters/{dead_letter_id}/replay",
        "/queue",
        "/queue/{hold_id}",
        "/queue/{hold_id}/claim",
        "/queue/{hold_id}/assign",
        "/queue/{hold_id}/comments",
        "/queue/{hold_id}/decision",
        "/policies",
        "/policies/{policy_id}/versions/{version}",
        "/policies/{policy_id}/versions/{version}/approve",
        "/policies/{policy_id}/versions/{version}/reject",
        "/cash/queue",
        "/cash/payments/{payment_id}",
        "/cash/payments/{payment_id}/apply",
        "/cash/payments/{payment_id}/unapply",
        "/invoices/{invoice_id}/credit-memos",
        "/collections/aging",
        "/collections/worklist",
        "/collections/promises",
        "/documents",
        "/documents/{document_id}",
        "/documents/{document_id}/resend",
        "/invoices/{invoice_id}/print",
        "/disputes",
        "/disputes/{dispute_id}",
        "/disputes/{dispute_id}/evidence",
        "/disputes/{dispute_id}/resolve",
        *(f"/master/{kind}/{{record_id}}" for kind in ("customers", "products", "legal-entities",
                                                       "warehouses", "price-agreements", "tax-rates")),
        *(f"/master/{kind}" for kind in ("customers", "products", "legal-entities", "warehouses",
                                         "price-agreements", "tax-rates", "stock")),
    }
    put_customer = doc["paths"]["/master/customers/{record_id}"]["put"]["requestBody"]["content"]
    assert put_customer["application/json"]["schema"]["$ref"].startswith("#/components/schemas/CustomerIn")
    assert set(doc["paths"]["/master/stock"]["post"]["requestBody"]["content"]) == {
        "text/csv", "application/x-ndjson"}
    post_orders = doc["paths"]["/orders"]["post"]
    assert post_orders["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/OrderIn")
    key = next(p for p in post_orders["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["required"] is True
    assert set(post_orders["responses"]["409"]["content"]) == {"application/problem+json"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/orders", {}, 400, "BAD-REQUEST"),  # no Idempotency-Key
        ("GET", "/orders/SO-NOPE", None, 404, "NOT-FOUND"),
        ("POST", "/dead-letters/DL-NOPE/replay", None, 404, "NOT-FOUND"),
        ("DELETE", "/orders/SO-NOPE", None, 405, "METHOD-NOT-ALLOWED"),
        ("POST", "/hold-decisions", {"order_id": "SO-NOPE", "code": "CRD-OVER-LIMIT", "reason": "x"},
         404, "NOT-FOUND"),
    ],
)
def test_every_refusal_is_a_problem_naming_its_status_and_code(
    server: Server, method: str, path: str, body: Any, status: int, code: str
) -> None:
    headers = {"Idempotency-Key": "p-1"} if path == "/hold-decisions" else {}
    r = server.client.request(method, path, json=body, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert (problem["type"], problem["status"], problem["code"]) == ("about:blank", status, code)
    assert problem["title"] and problem["detail"] and problem["reason"] == problem["detail"]
