"""The outbound document ledger over HTTP, signed in as real users: the 810 a partner's 997
rejected listed and shown with the 997's codes, billing resending it, and who may not."""

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
from tests.builders import Harness, seed, seed_canada
from tests.unit.test_document_ledger import answer_997, feed, invoiced_by_edi
from tests.unit.test_edi_outbound import INTEGRATIONS


@dataclass
class World:
    h: Harness
    client: TestClient
    invoice: str

    def call(self, method: str, path: str, who: str | None = None) -> Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex, **(bearer(self.h.app, who) if who else {})}
        return self.client.request(method, path, headers=headers)


@pytest.fixture
def world(sqlite_store: Any) -> Iterator[World]:
    h = Harness(store=sqlite_store, integrations=INTEGRATIONS)
    seed(h.app)
    seed_canada(h.app)
    h.stock("P1", "100")
    _, invoice = invoiced_by_edi(h)
    feed(h, answer_997(invoice["payload"]["x12"], reject=True))
    person(h.app, "bea", Role.BILLING)
    person(h.app, "cara", Role.BILLING, entities={"CA"})
    person(h.app, "wes", Role.WAREHOUSE_OPS)
    with TestClient(create_app(h.app)) as client:
        yield World(h=h, client=client, invoice=invoice["payload"]["invoice_id"])


def test_billing_lists_the_rejected_810_and_resends_it(world: World) -> None:
    r = world.call("GET", "/documents?status=rejected&type=810&partner=acme", "bea")
    assert r.status_code == 200, r.text
    [doc] = r.json()
    assert (doc["invoice_id"], doc["ack_code"], doc["group_ack_code"]) == (world.invoice, "R", "R")
    shown = world.call("GET", f"/documents/{doc['document_id']}", "bea").json()
    assert shown == doc
    assert world.call("GET", f"/documents?reference={world.invoice}", "bea").json()[-1]["doc_type"] == "810"
    assert world.call("GET", "/documents?status=lost", "bea").status_code == 422

    refused = world.call("POST", f"/documents/{doc['document_id']}/resend", "wes")
    assert refused.status_code == 403 and "billing" in refused.json()["detail"]
    r = world.call("POST", f"/documents/{doc['document_id']}/resend", "bea")
    assert r.status_code == 200, r.text
    new = r.json()
    assert (new["status"], new["resend_of"], new["doc_type"]) == ("sent", doc["document_id"], "810")
    again = world.call("POST", f"/documents/{doc['document_id']}/resend", "bea")
    assert again.status_code == 409 and "sent again as" in again.json()["detail"]


def test_a_document_of_another_entity_is_not_found(world: World) -> None:
    [doc] = world.call("GET", "/documents?type=810", "bea").json()
    assert world.call("GET", "/documents?type=810", "cara").json() == []
    assert world.call("GET", f"/documents/{doc['document_id']}", "cara").status_code == 404
    assert world.call("POST", f"/documents/{doc['document_id']}/resend", "cara").status_code == 404


def test_the_printable_invoice_is_one_html_page(world: World) -> None:
    r = world.call("GET", f"/invoices/{world.invoice}/print", "bea")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.startswith("<!DOCTYPE html>") and f"Invoice {world.invoice}" in r.text
    assert world.call("GET", f"/invoices/{world.invoice}/print", "cara").status_code == 404
