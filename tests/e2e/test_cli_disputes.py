"""``o2c disputes`` end to end: a person opens a case on an invoice, attaches evidence and
resolves it by a credit memo; the case list and the case as o2c holds it; the wrong role is
refused in one line and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from o2c.domain.holds import Role
from tests.auth import person
from tests.builders import Harness, customer, seed
from tests.e2e.test_cli import o2c
from tests.e2e.test_cli_invoices import _refused


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, str]:
    """An invoice of C1 (21.45), and people of billing and of the warehouse."""
    path = tmp_path / "o2c.db"
    h = Harness(db=f"sqlite:///{path}")
    seed(h.app, customer("C1"))
    h.stock("P1", "100")
    oid = str(h.order(po="PO-1", lines=[("P1", "10", "EA")]).correlation_id)
    h.ship_all(oid, "SH-1")
    [invoice] = list(h.get(oid).invoices)
    person(h.app, "bea.billing", Role.BILLING)
    person(h.app, "wes.wh", Role.WAREHOUSE_OPS)
    h.app.close()
    return str(path), str(invoice)


def test_a_person_opens_gives_evidence_and_resolves_a_case(db: tuple[str, str]) -> None:
    path, invoice = db
    out = o2c("disputes", "open", invoice, "--category", "shortage", "--amount", "4.00", "--line", "1",
              "--note", "crushed case", "--as", "bea.billing", "--db", path)
    assert "DSP-0000001 (shortage, 4.00 USD on " in out.stdout and "waits on billing" in out.stdout
    _refused(o2c("disputes", "resolve", "DSP-0000001", "--by", "credit_memo", "--reason", "x",
                 "--as", "wes.wh", "--db", path, check=False), 1, "only ar_manager, billing, controller")
    o2c("disputes", "evidence", "DSP-0000001", "--kind", "note", "--text", "photo from the dock",
        "--as", "bea.billing", "--db", path)
    out = o2c("disputes", "resolve", "DSP-0000001", "--by", "credit_memo", "--reason", "short shipped",
              "--as", "bea.billing", "--db", path)
    assert "resolved credit_memo" in out.stdout, out.stdout
    shown = json.loads(o2c("disputes", "show", "DSP-0000001", "--json", "--as", "bea.billing", "--db",
                           path).stdout)
    assert (shown["status"], shown["settled"], shown["lines"], shown["resolved_by"]) == (
        "resolved", "4.00", [1], "bea.billing")
    assert [(x["kind"], x["by"]) for x in shown["evidence"]] == [("note", "bea.billing")]
    listed = o2c("disputes", "list", "--status", "resolved", "--as", "bea.billing", "--db", path).stdout
    assert "DSP-0000001" in listed and "shortage" in listed
