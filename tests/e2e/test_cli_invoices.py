"""``o2c invoices`` end to end: a person with the right role credits an invoice from the
command line; the wrong role, another legal entity's invoice and an amount beyond what is
open are refused in one line, and change nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from o2c.domain.holds import Role
from tests.auth import person
from tests.builders import Harness, customer, seed, seed_canada
from tests.e2e.test_cli import o2c


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, str]:
    """A database with one shipped order of C1 invoiced on ship, and its people; the invoice."""
    path = tmp_path / "o2c.db"
    h = Harness(db=f"sqlite:///{path}")
    seed(h.app, customer("C1"))
    seed_canada(h.app)
    h.stock("P1", "100")
    oid = str(h.order(lines=[("P1", "10", "EA")]).correlation_id)
    h.ship_all(oid)
    [invoice] = list(h.get(oid).invoices)
    person(h.app, "bea.billing", Role.BILLING)
    person(h.app, "ana.credit", Role.CREDIT_ANALYST)
    person(h.app, "cal.canada", Role.BILLING, entities={"CA"})
    h.app.close()
    return str(path), invoice


def _refused(out: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert out.returncode == code, out
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    for w in words:
        assert w in out.stderr, out.stderr


def test_billing_credits_an_invoice_and_the_memo_is_on_it(db: tuple[str, str]) -> None:
    path, invoice = db
    before = json.loads(o2c("invoices", "show", invoice, "--as", "bea.billing", "--json",
                            "--db", path).stdout)
    assert before["total"] == "21.45" and before["open"] == "21.45" and before["credit_memos"] == []
    out = o2c("invoices", "credit-memo", invoice, "--amount", "5.00", "--reason", "two boxes damaged",
              "--as", "bea.billing", "--db", path).stdout
    assert f"CM-0000001 credits 5.00 USD on {invoice}; open now 16.45 (open)" in out
    after = json.loads(o2c("invoices", "show", invoice, "--as", "bea.billing", "--json", "--db", path).stdout)
    assert (after["credited"], after["open"], after["credit_memos"]) == ("5.00", "16.45", ["CM-0000001"])
    audit = o2c("audit", "show", "--user", "bea.billing", "--db", path).stdout
    assert "credit_memo.issue" in audit and "CreditMemoIssued" in audit, audit


def test_who_may_not_credit_and_what_cannot_be_credited(db: tuple[str, str]) -> None:
    path, invoice = db
    _refused(o2c("invoices", "credit-memo", invoice, "--amount", "5.00", "--reason", "goodwill",
                 "--as", "ana.credit", "--db", path, check=False), 1, "billing")
    _refused(o2c("invoices", "credit-memo", invoice, "--amount", "5.00", "--reason", "goodwill",
                 "--as", "cal.canada", "--db", path, check=False), 1, f"unknown invoice {invoice}")
    _refused(o2c("invoices", "show", invoice, "--as", "cal.canada", "--db", path, check=False), 2,
             f"no invoice {invoice}")
    _refused(o2c("invoices", "credit-memo", invoice, "--amount", "99.00", "--reason", "too much",
                 "--as", "bea.billing", "--db", path, check=False), 1, "at most the open amount 21.45")
    _refused(o2c("invoices", "credit-memo", invoice, "--amount", "1.234", "--reason", "sub-cent",
                 "--as", "bea.billing", "--db", path, check=False), 1, "more decimal places than USD has")
    _refused(o2c("invoices", "credit-memo", invoice, "--amount", "lots", "--reason", "x",
                 "--as", "bea.billing", "--db", path, check=False), 2, "not an amount")
    shown = json.loads(o2c("invoices", "show", invoice, "--as", "bea.billing", "--json", "--db", path).stdout)
    assert (shown["open"], shown["credit_memos"]) == ("21.45", [])
