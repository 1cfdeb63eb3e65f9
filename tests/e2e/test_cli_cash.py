"""``o2c cash`` end to end: the cash application queue, a person naming an unidentified payer
and applying the cash, taking back a misapplied application and applying it again; the wrong
role is refused in one line and changes nothing."""

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
def db(tmp_path: Path) -> tuple[str, list[str]]:
    """Two invoices of C1 (21.45 and 15.02) and a payment of 21.45 from a payer o2c cannot
    identify (a bank's free text only)."""
    path = tmp_path / "o2c.db"
    h = Harness(db=f"sqlite:///{path}")
    seed(h.app, customer("C1"))
    h.stock("P1", "100")
    invoices = []
    for po, qty in (("PO-1", "10"), ("PO-2", "7")):
        oid = str(h.order(po=po, lines=[("P1", qty, "EA")]).correlation_id)
        h.ship_all(oid, f"SH-{po}")
        invoices += list(h.get(oid).invoices)
    amount = str(h.invoice(invoices[0]).total)
    h.send("payment", {"payment_id": "BANK-1", "amount": amount, "currency": "USD",
                       "payer_name": "ACME STORES LLC", "text": "THANK YOU"})
    person(h.app, "cara.cash", Role.CASH_APP)
    person(h.app, "bea.billing", Role.BILLING)
    h.app.close()
    return str(path), invoices


def test_a_person_works_the_cash_queue(db: tuple[str, list[str]]) -> None:
    path, (first, second) = db
    [waiting] = json.loads(o2c("cash", "queue", "--as", "cara.cash", "--json", "--db", path).stdout)
    assert (waiting["payment_id"], waiting["customer_id"], waiting["payer_name"]) == (
        "BANK-1", None, "ACME STORES LLC")
    assert "payer not identified" in waiting["reason"]
    table = o2c("cash", "queue", "--as", "cara.cash", "--db", path).stdout
    assert "BANK-1" in table and "ACME STORES LLC" in table

    _refused(o2c("cash", "apply", "BANK-1", "--customer", "C1", "--invoice", first, "--reason", "x",
                 "--as", "bea.billing", "--db", path, check=False), 1, "cash_app")
    out = o2c("cash", "apply", "BANK-1", "--customer", "C1", "--invoice", second, "--reason",
              "ACME is C1's bank name", "--as", "cara.cash", "--db", path)
    assert "BANK-1: applied 15.02" in out.stdout, out.stdout
    shown = json.loads(o2c("cash", "show", "BANK-1", "--as", "cara.cash", "--json", "--db", path).stdout)
    assert (shown["customer_id"], shown["applied"], shown["unapplied"]) == (
        "C1", {second: {"amount": "15.02", "discount": "0"}}, "6.43")

    # misapplied: it was for the first invoice
    o2c("cash", "unapply", "BANK-1", second, "--reason", "meant for PO-1", "--as", "cara.cash", "--db", path)
    o2c("cash", "apply", "BANK-1", "--invoice", first, "--reason", "meant for PO-1", "--as", "cara.cash",
        "--db", path)
    shown = json.loads(o2c("cash", "show", "BANK-1", "--as", "cara.cash", "--json", "--db", path).stdout)
    assert (shown["applied"], shown["unapplied"]) == ({first: {"amount": "21.45", "discount": "0"}}, "0.00")
    assert json.loads(o2c("cash", "queue", "--as", "cara.cash", "--json", "--db", path).stdout) == []
    inv = json.loads(o2c("invoices", "show", second, "--as", "bea.billing", "--json", "--db", path).stdout)
    assert (inv["open"], inv["status"]) == ("15.02", "open")
    audit = o2c("audit", "show", "--user", "cara.cash", "--db", path).stdout
    assert "payment.unapply" in audit and "cash.apply" in audit and "PaymentUnapplied" in audit, audit
