"""Master data over HTTP: a record read with its ETag and written back whole with If-Match
(stale: 412, missing: 428), versions counted, a repeated write changing nothing, the engine's
roles and legal entities obeyed, files loaded the way ``o2c master load`` loads them, and the
engine's reasons answered when it parks a record."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from o2c.adapters.documents import Integrations
from o2c.adapters.limits import Limits
from o2c.api import create_app
from o2c.domain.holds import Role
from tests.auth import CLERK_ROLES, bearer, person
from tests.builders import Harness, customer, seed, seed_canada


@dataclass
class World:
    h: Harness
    client: TestClient

    def as_(self, user: str) -> dict[str, str]:
        return bearer(self.h.app, user)

    def get(self, path: str, user: str = "cy") -> Response:
        return self.client.get(path, headers=self.as_(user))

    def put(self, path: str, body: Any, user: str = "cy", **headers: str) -> Response:
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        return self.client.put(path, json=body, headers={**self.as_(user), **named})

    def upload(self, path: str, text: str, user: str = "clerk",
               media: str = "text/csv") -> Response:
        return self.client.post(path, content=text.encode(), headers={**self.as_(user),
                                                                     "Content-Type": media})

    def inbox(self) -> int:
        with self.h.app.store.engine.connect() as c:
            return int(c.exec_driver_sql("SELECT count(*) FROM inbox").scalar_one())


@pytest.fixture
def world(sqlite_store: Any) -> Iterator[World]:
    h = Harness(store=sqlite_store)
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    seed_canada(h.app)
    person(h.app, "clerk", *CLERK_ROLES)
    person(h.app, "cara", *CLERK_ROLES, entities={"CA"})
    person(h.app, "cy", Role.CONTROLLER)
    person(h.app, "cal", Role.CREDIT_ANALYST)
    with TestClient(create_app(h.app)) as client:
        yield World(h=h, client=client)


def new_customer(customer_id: str = "C9", limit: str = "5000.00") -> dict[str, Any]:
    return {"customer_id": customer_id, "legal_entity_id": "US", "name": "Acme Retail",
            "payment_terms": "net 30", "credit_limit": limit, "currency": "USD",
            "home_warehouse_id": "W1",
            "ship_tos": [{"ship_to_id": f"{customer_id}-ST1", "name": "Dock", "city": "Dayton"}]}


def test_a_customer_is_added_read_and_changed_with_if_match(world: World) -> None:
    r = world.put("/master/customers/C9", new_customer(), If_None_Match="*")
    assert r.status_code == 200, r.text
    assert (r.json()["result"], r.json()["version"], r.headers["etag"]) == ("added", 1, '"v1"')

    read = world.get("/master/customers/C9")
    assert read.status_code == 200 and read.headers["etag"] == '"v1"'
    body = read.json()
    assert body["credit_limit"] == "5000.00" and body["ship_tos"][0]["ship_to_id"] == "C9-ST1"

    changed = {**body, "credit_limit": "7500.00", "blocked": True}
    r = world.put("/master/customers/C9", changed, If_Match='"v1"')
    assert r.status_code == 200, r.text
    assert (r.json()["result"], r.json()["changed"]) == ("changed", ["blocked", "credit_limit"])
    assert (r.json()["version"], r.headers["etag"]) == (2, '"v2"')
    with world.h.app.store.unit_of_work() as uow:
        held = uow.master.customer("C9")
    assert held is not None and (held.version, held.credit_limit.amount, held.blocked) == (
        2, Decimal("7500.00"), True)

    # stale: someone changed it since v1
    stale = world.put("/master/customers/C9", {**body, "name": "Other"}, If_Match='"v1"')
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"
    assert '"v2"' in stale.json()["detail"] and stale.headers["etag"] == '"v2"'
    # missing: the record exists
    missing = world.put("/master/customers/C9", {**body, "name": "Other"})
    assert missing.status_code == 428 and missing.json()["code"] == "PRECONDITION-REQUIRED"
    # adding what exists
    again = world.put("/master/customers/C9", {**body, "name": "Other"}, If_None_Match="*")
    assert again.status_code == 412
    assert world.get("/master/customers/C9").json()["name"] == "Acme Retail"


def test_get_then_put_round_trips_and_a_repeated_put_changes_nothing(world: World) -> None:
    for path in ("/master/customers/C1", "/master/products/P1", "/master/legal-entities/US",
                 "/master/warehouses/W1", "/master/price-agreements/PA-C1-P1"):
        read = world.get(path)
        assert read.status_code == 200, (path, read.text)
        etag = read.headers["etag"]
        r = world.put(path, read.json(), If_Match=etag)
        assert r.status_code == 200, (path, r.text)
        assert (r.json()["result"], r.headers["etag"]) == ("unchanged", etag), path
    before = world.inbox()
    # sent again as it is, with or without the ETag: nothing recorded, the version stays
    body = world.get("/master/customers/C1").json()
    for headers in ({"If_Match": '"v1"'}, {"If_Match": '"v0"'}, {}):
        r = world.put("/master/customers/C1", body, **headers)
        assert (r.status_code, r.json()["result"], r.json()["version"]) == (200, "unchanged", 1)
    assert world.inbox() <= before + 1
    with world.h.app.store.unit_of_work() as uow:
        c1 = uow.master.customer("C1")
    assert c1 is not None and c1.version == 1
    assert world.h.events("customer:C1") == []


def test_a_product_etag_is_a_hash_that_ignores_how_numbers_are_written(world: World) -> None:
    read = world.get("/master/products/P1")
    etag, body = read.headers["etag"], read.json()
    assert etag.startswith('"') and len(etag) == 18
    body["units"] = [{"uom": "CS", "factor": "12.000"}]
    r = world.put("/master/products/P1", body, If_Match=etag)
    assert (r.status_code, r.json()["result"], r.headers["etag"]) == (200, "unchanged", etag)
    body["description"] = "Nitrile gloves, blue"
    r = world.put("/master/products/P1", body, If_Match=etag)
    assert r.status_code == 200 and r.json()["changed"] == ["description"]
    assert r.headers["etag"] != etag and world.get("/master/products/P1").headers["etag"] == r.headers["etag"]


def test_the_id_in_the_path_must_be_the_bodys(world: World) -> None:
    r = world.put("/master/customers/C8", new_customer("C9"))
    assert r.status_code == 422
    assert "C8" in r.json()["message"] and "C9" in r.json()["message"]
    assert world.get("/master/customers/C9").status_code == 404


def test_a_role_that_may_not_change_products_is_refused_and_nothing_changes(world: World) -> None:
    read = world.get("/master/products/P1")
    body = {**read.json(), "description": "Changed by the wrong person"}
    before = world.inbox()
    r = world.put("/master/products/P1", body, user="cal", If_Match=read.headers["etag"])
    assert r.status_code == 403 and r.json()["code"] == "AUTH-FORBIDDEN"
    assert "user:cal" in r.json()["detail"] and "pricing" in r.json()["detail"]
    assert world.get("/master/products/P1").json() == read.json()
    assert world.inbox() == before


def test_another_entitys_record_is_404_like_an_unknown_one_for_a_scoped_user(world: World) -> None:
    seen, unknown = world.get("/master/customers/C1", "cara"), world.get("/master/customers/C0", "cara")
    assert (seen.status_code, unknown.status_code) == (404, 404)
    assert seen.json()["detail"].replace("C1", "C0") == unknown.json()["detail"]
    assert world.get("/master/price-agreements/PA-C1-P1", "cara").status_code == 404
    assert world.get("/master/legal-entities/US", "cara").status_code == 404
    assert world.get("/master/legal-entities/CA", "cara").status_code == 200
    assert world.get("/master/products/P1", "cara").status_code == 200  # products belong to no entity
    before = world.inbox()
    body = world.get("/master/customers/C1").json()
    r = world.put("/master/customers/C1", {**body, "name": "Mine now"}, "cara", If_Match='"v1"')
    assert r.status_code == 404
    assert world.put("/master/customers/C7", new_customer("C7"), "cara").status_code == 404
    assert world.inbox() == before


def test_a_record_the_engine_parks_is_answered_with_its_reason(world: World) -> None:
    r = world.put("/master/customers/C7", {**new_customer("C7"), "legal_entity_id": "ZZ"})
    assert r.status_code == 409 and r.json()["code"] == "INT-UNKNOWN-REFERENCE"
    assert "legal entity 'ZZ' is not in master data" in r.json()["detail"]
    assert r.json()["dead_letter_id"].startswith("DL-")


def test_an_overlapping_price_agreement_is_refused_naming_the_one_it_overlaps(world: World) -> None:
    body = {"agreement_id": "PA-NEW", "customer_id": "C1", "product_id": "P1", "currency": "USD",
            "price": "1.90", "valid_from": "2026-06-01"}
    r = world.put("/master/price-agreements/PA-NEW", body)
    assert r.status_code == 409 and r.json()["code"] == "PRC-CONTRACT-MISMATCH"
    assert "overlaps PA-C1-P1 v1" in r.json()["detail"]
    assert world.get("/master/price-agreements/PA-NEW").status_code == 404
    # ended before the new one starts, it goes through, versioned
    old = world.get("/master/price-agreements/PA-C1-P1")
    ended = world.put("/master/price-agreements/PA-C1-P1", {**old.json(), "valid_to": "2026-05-31"},
                      If_Match=old.headers["etag"])
    assert (ended.status_code, ended.json()["changed"], ended.headers["etag"]) == (200, ["valid_to"], '"v2"')
    # sent again, the parked request is applied now (a retry, not a second message)
    again = world.put("/master/price-agreements/PA-NEW", body)
    assert (again.status_code, again.json()["result"], again.headers["etag"]) == (200, "added", '"v1"')
    assert not [d for d in world.h.dead_letters() if d.dead_letter_id == r.json()["dead_letter_id"]]


CUSTOMERS = """\
customer_id,legal_entity_id,name,payment_terms,credit_limit,currency,home_warehouse_id,ship_to_id
K1,US,Kettering Clinic,net 30,25000.00,USD,W1,K1-A
K2,US,Kettering East,net 30,lots,USD,W1,K2-A
K3,US,Dayton Dental,2/10 net 30,800,USD,W2,K3-A
"""


def test_a_csv_file_applies_its_good_rows_and_reports_the_bad_one(world: World) -> None:
    r = world.upload("/master/customers?name=crm-export", CUSTOMERS)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["file"], out["status"], out["records"], out["applied"]) == ("crm-export.csv", "applied", 3, 2)
    [parked] = out["parked"]
    assert (parked["key"], parked["status"], parked["code"]) == ("K2", "dead_lettered", "INT-PARSE-ERROR")
    assert parked["dead_letter_id"].startswith("DL-")
    [bad] = out["row_errors"]
    assert (bad["file"], bad["row"], bad["column"], bad["value"]) == (
        "crm-export.csv", 3, "credit_limit", "lots")
    assert world.get("/master/customers/K1").json()["name"] == "Kettering Clinic"
    assert world.get("/master/customers/K3").status_code == 200
    assert world.get("/master/customers/K2").status_code == 404
    # the same file again changes nothing
    again = world.upload("/master/customers?name=crm-export", CUSTOMERS).json()
    assert (again["status"], again["applied"], again["parked"]) == ("duplicate", 0, [])


def test_a_json_lines_file_is_taken_and_records_are_applied_as_the_caller(world: World) -> None:
    lines = ('{"warehouse_id": "W3", "legal_entity_id": "US", "name": "Columbus"}\n'
             '{"warehouse_id": "W4", "legal_entity_id": "CA", "name": "Toronto"}\n')
    out = world.upload("/master/warehouses", lines, user="cara", media="application/x-ndjson").json()
    assert (out["file"], out["applied"]) == ("warehouses.jsonl", 1)
    [refused] = out["parked"]  # cara acts for CA only
    assert (refused["key"], refused["status"]) == ("W3", "refused")
    assert world.get("/master/warehouses/W4").status_code == 200
    assert world.get("/master/warehouses/W3").status_code == 404


def test_a_file_is_refused_to_a_role_that_may_not_send_its_records_and_of_an_unknown_type(
        world: World) -> None:
    before = world.inbox()
    r = world.upload("/master/customers", CUSTOMERS, user="cal")
    assert r.status_code == 403 and "UpsertCustomer" in r.json()["detail"]
    r = world.upload("/master/customers", CUSTOMERS, media="application/pdf")
    assert r.status_code == 415 and r.json()["code"] == "UNSUPPORTED-MEDIA-TYPE"
    assert world.inbox() == before


def test_a_file_larger_than_the_server_takes_is_refused_413_and_nothing_is_stored(sqlite_store: Any) -> None:
    h = Harness(store=sqlite_store, integrations=Integrations(limits=Limits(max_body_bytes=2000)))
    seed(h.app)
    person(h.app, "clerk", *CLERK_ROLES)
    big = CUSTOMERS + "".join(f"X{n},US,Many,net 30,1.00,USD,W1,X{n}-A\n" for n in range(100))

    def chunks() -> Iterator[bytes]:
        yield from (big[i:i + 500].encode() for i in range(0, len(big), 500))

    with TestClient(create_app(h.app)) as client:
        headers = {**bearer(h.app, "clerk"), "Content-Type": "text/csv"}
        for content in (big.encode(), chunks()):  # declared, then streamed without a length
            r = client.post("/master/customers", content=content, headers=headers)
            assert r.status_code == 413 and r.json()["code"] == "CONTENT-TOO-LARGE"
    with h.app.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM inbox").scalar_one() == 0


def test_a_file_parked_whole_is_replayed_corrected_and_its_records_are_sent_by_the_caller(
        world: World) -> None:
    wrong = "warehouse,legal_entity_id,name\nW5,US,Springfield\n"  # the id column misnamed
    out = world.upload("/master/warehouses?name=sites", wrong).json()
    assert (out["status"], out["records"], out["applied"]) == ("dead_lettered", 0, 0)
    [parked] = out["parked"]
    assert (parked["key"], parked["code"]) == ("sites.csv", "INT-PARSE-ERROR")
    assert {e["column"] for e in out["row_errors"]} == {"warehouse_id", "warehouse"}
    # the server was started without an integration configuration: it still splits master files
    r = world.client.post(f"/dead-letters/{parked['dead_letter_id']}/replay", headers=world.as_("clerk"),
                          json={"body": wrong.replace("warehouse,", "warehouse_id,")})
    assert r.status_code == 200 and r.json()["status"] == "applied", r.text
    assert world.get("/master/warehouses/W5").json()["name"] == "Springfield"
    with world.h.app.store.engine.connect() as c:
        sender = c.exec_driver_sql("SELECT actor FROM inbox WHERE kind = 'warehouse'").scalar_one()
    assert sender is not None and '"clerk"' in sender


def test_records_with_lists_read_back_as_they_were_written(world: World) -> None:
    product = {"product_id": "P7", "description": "Syringe 5ml", "base_uom": "EA", "lot_controlled": True,
               "units": [{"uom": "PL", "factor": "4800"}, {"uom": "BX", "factor": "100"}],
               "prices": [{"currency": "USD", "list_price": "0.40", "floor_price": "0.25"},
                          {"currency": "CAD", "list_price": "0.55"}], "gtin": "00312345678906"}
    assert world.put("/master/products/P7", product).json()["result"] == "added"
    read = world.get("/master/products/P7").json()
    assert [u["uom"] for u in read["units"]] == ["BX", "PL"]  # in a stable order: the ETag depends on it
    assert {p["currency"]: (p["list_price"], p["floor_price"]) for p in read["prices"]} == {
        "USD": ("0.40", "0.25"), "CAD": ("0.55", None)}
    agreement = {"agreement_id": "PA-G", "customer_id": "C2", "group": True, "product_id": "P7",
                 "currency": "USD", "price": "0.35", "valid_from": "2026-01-01", "valid_to": "2026-12-31",
                 "breaks": [{"min_quantity": "1000", "price": "0.30"},
                            {"min_quantity": "100", "price": "0.33"}]}
    written = world.put("/master/price-agreements/PA-G", agreement)
    assert written.status_code == 200, written.text
    read = world.get("/master/price-agreements/PA-G")
    assert read.headers["etag"] == '"v1"' and read.json()["group"] is True
    assert [b["min_quantity"] for b in read.json()["breaks"]] == ["100", "1000"]
    assert world.put("/master/price-agreements/PA-G", read.json(), If_Match='"v1"').json()["result"] == (
        "unchanged")


def test_a_tax_rate_is_added_read_and_versioned(world: World) -> None:
    body = {"rate_id": "US-IL", "country": "US", "region": "IL", "name": "state", "rate": "0.0625",
            "valid_from": "2020-01-01"}
    r = world.put("/master/tax-rates/US-IL", body, If_None_Match="*")
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"v1"'
    read = world.get("/master/tax-rates/US-IL").json()
    assert (read["rate"], read["tax_class"], read["county"]) == ("0.0625", "standard", "")
    r = world.put("/master/tax-rates/US-IL", {**body, "valid_to": "2026-12-31"}, If_Match='"v1"')
    assert r.status_code == 200 and r.headers["etag"] == '"v2"', r.text
