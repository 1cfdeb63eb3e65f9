"""``o2c collections`` end to end: AR aging per account and entity, the worklist, a person
recording a promise to pay (the wrong role refused in one line), and an operator's dunning
run sending what the daily run would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from o2c.domain.holds import Role
from tests.auth import person
from tests.builders import Harness, customer, seed
from tests.e2e.test_cli import o2c
from tests.e2e.test_cli_invoices import _refused


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Two invoices of C1 (214.50 and 150.15), issued in March 2026: long past due now."""
    path = tmp_path / "o2c.db"
    h = Harness(db=f"sqlite:///{path}")
    seed(h.app, customer("C1"))
    h.stock("P1", "1000")
    for po, qty in (("PO-1", "100"), ("PO-2", "70")):
        oid = str(h.order(po=po, lines=[("P1", qty, "EA")]).correlation_id)
        h.ship_all(oid, f"SH-{po}")
    person(h.app, "cole.collections", Role.COLLECTIONS)
    person(h.app, "bea.billing", Role.BILLING)
    h.app.close()
    return str(path)


def test_a_collector_reads_aging_and_the_worklist_and_records_a_promise(db: str) -> None:
    [row] = json.loads(o2c("collections", "aging", "--as", "cole.collections", "--json", "--db", db).stdout)
    assert (row["customer"], row["legal_entity_id"], row["currency"], row["invoices"]) == (
        "C1", "US", "USD", 2)
    assert row["buckets"]["over_90"] == row["total"] == "364.65"
    [ent] = json.loads(o2c("collections", "aging", "--by", "entity", "--as", "cole.collections", "--json",
                           "--db", db).stdout)
    assert (ent["legal_entity_id"], ent["total"]) == ("US", "364.65")
    table = o2c("collections", "aging", "--as", "cole.collections", "--db", db).stdout
    assert "over_90" in table and "364.65" in table
    [top] = json.loads(o2c("collections", "worklist", "--as", "cole.collections", "--json",
                           "--db", db).stdout)
    assert (top["customer_id"], top["past_due"], top["risk"], top["promise"]) == ("C1", "364.65", "1", None)

    _refused(o2c("collections", "aging", "--as", "bea.billing", "--db", db, check=False), 1, "collections")
    on = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    _refused(o2c("collections", "promise", "C1", "--amount", "100.00", "--date", on, "--as", "bea.billing",
                 "--db", db, check=False), 1, "collections")
    _refused(o2c("collections", "promise", "C1", "--amount", "lots", "--date", on,
                 "--as", "cole.collections", "--db", db, check=False), 2, "--amount")
    out = o2c("collections", "promise", "C1", "--amount", "100.00", "--date", on, "--note", "on Friday",
              "--as", "cole.collections", "--db", db)
    assert "PTP-000001: C1 promised 100.00 USD" in out.stdout, out.stdout
    [top] = json.loads(o2c("collections", "worklist", "--as", "cole.collections", "--json",
                           "--db", db).stdout)
    assert top["promise"] == "standing"
    out = o2c("collections", "run", "--as", "cole.collections", "--db", db)
    assert "0 notice(s)" in out.stdout, out.stdout  # the promise covers the account
    audit = o2c("audit", "show", "--user", "cole.collections", "--db", db).stdout
    assert "promise_to_pay.record" in audit


def test_an_operator_runs_dunning_now(db: str) -> None:
    out = o2c("collections", "run", "--as", "cole.collections", "--db", db)
    assert "dunning run for US: 2 notice(s)" in out.stdout, out.stdout
    out = o2c("collections", "run", "--as", "cole.collections", "--db", db)
    assert "dunning run for US: 0 notice(s)" in out.stdout, out.stdout  # each step once
    _refused(o2c("collections", "run", "--entity", "XX", "--as", "cole.collections", "--db", db, check=False),
             1, "no legal entity 'XX'")
