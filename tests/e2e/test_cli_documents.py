"""``o2c documents`` end to end: an 810 sent through the runtime, a partner's 997 rejecting
it ingested as a file, the ledger row rejected and the billing hold in ``o2c queue``; billing
resends it (new control numbers, audited), a second 997 accepts it. The wrong role is
refused in one line and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from o2c.cli import app
from o2c.domain.holds import Role
from tests.auth import person
from tests.builders import Harness, seed
from tests.unit.test_document_ledger import answer_997, invoiced_by_edi
from tests.unit.test_edi_outbound import CONFIG, INTEGRATIONS

runner = CliRunner()


class Ran:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def o2c(*args: str, check: bool = True) -> Ran:
    """The command in this process (fast), answering like ``tests.e2e.test_cli.o2c``."""
    out = runner.invoke(app, list(args))
    ran = Ran(out.exit_code, out.stdout, out.stderr)
    assert "Traceback" not in out.output, out.output
    if check and out.exit_code != 0:
        raise AssertionError(f"o2c {' '.join(args)} exited {out.exit_code}:\n{out.output}")
    return ran


@pytest.fixture
def world(tmp_path: Path) -> dict[str, str]:
    """An order of C1 by EDI, shipped and invoiced by 810; the partner's 997 rejecting the 810
    as a file; the integration configuration as a file."""
    path = tmp_path / "o2c.db"
    h = Harness(db=f"sqlite:///{path}", integrations=INTEGRATIONS)
    seed(h.app)
    h.stock("P1", "100")
    oid, invoice = invoiced_by_edi(h)
    person(h.app, "bea.billing", Role.BILLING)
    person(h.app, "ana.credit", Role.CREDIT_ANALYST)
    as_of = h.clock.now().date().isoformat()
    h.app.close()
    (tmp_path / "reject.edi").write_bytes(answer_997(invoice["payload"]["x12"], reject=True))
    (tmp_path / "partners.yaml").write_text(yaml.safe_dump(CONFIG))
    return {"db": str(path), "order": oid, "invoice": invoice["payload"]["invoice_id"], "as_of": as_of,
            "dir": str(tmp_path)}


def test_billing_sees_a_rejected_810_resends_it_and_the_partner_accepts_it(world: dict[str, str]) -> None:
    db, config, d = world["db"], str(Path(world["dir"]) / "partners.yaml"), Path(world["dir"])
    o2c("ingest", str(d / "reject.edi"), "--config", config, "--db", db)
    listed = json.loads(o2c("documents", "list", "--status", "rejected", "--as", "bea.billing", "--json",
                            "--db", db).stdout)
    [rejected] = listed
    assert (rejected["doc_type"], rejected["invoice_id"]) == ("810", world["invoice"])
    assert rejected["ack_code"] == "R"
    table = o2c("documents", "list", "--type", "810", "--partner", "acme", "--as", "bea.billing", "--db", db)
    assert rejected["document_id"] in table.stdout and "rejected" in table.stdout
    queue = json.loads(o2c("queue", "--user", "bea.billing", "--json", "--as-of", world["as_of"],
                           "--db", db).stdout)
    [held] = [q for q in queue if q["code"] == "BIL-DOC-REJECTED"]
    assert held["order"]["order_id"] == world["order"] and rejected["document_id"] in held["reason"]
    assert (held["owner_role"], held["rule"]) == ("billing", "documents.hold_types")

    refused = o2c("documents", "resend", rejected["document_id"], "--config", config, "--as", "ana.credit",
                  "--db", db, check=False)
    assert refused.returncode == 1 and "billing" in refused.stderr and "Traceback" not in refused.stderr
    out = o2c("documents", "resend", rejected["document_id"], "--config", config, "--as", "bea.billing",
              "--db", db)
    assert "sent again as DOC-" in out.stdout, out.stdout
    shown = json.loads(o2c("documents", "show", rejected["document_id"], "--as", "bea.billing", "--json",
                           "--db", db).stdout)
    new_id = shown["resent_as"]
    new = json.loads(o2c("documents", "show", new_id, "--as", "bea.billing", "--json", "--db", db).stdout)
    assert (new["status"], new["resend_of"]) == ("sent", rejected["document_id"])
    assert int(new["group_control_number"]) > int(rejected["group_control_number"])
    audit = o2c("audit", "show", "--user", "bea.billing", "--db", db).stdout
    assert "document.resend" in audit, audit

    # the partner accepts what was sent again
    h = Harness(db=f"sqlite:///{db}", integrations=INTEGRATIONS)
    with h.app.store.unit_of_work() as uow:
        doc = uow.documents.get(new_id)
    h.app.close()
    assert doc is not None
    (d / "accept.edi").write_bytes(answer_997(doc.x12, control_number=501))
    o2c("ingest", str(d / "accept.edi"), "--config", config, "--db", db)
    accepted = json.loads(o2c("documents", "list", "--status", "accepted", "--as", "bea.billing", "--json",
                              "--db", db).stdout)
    assert [x["document_id"] for x in accepted] == [new_id]
    queue = json.loads(o2c("queue", "--user", "bea.billing", "--json", "--as-of", world["as_of"],
                           "--db", db).stdout)
    assert not [q for q in queue if q["code"] == "BIL-DOC-REJECTED"]


def test_bad_input_is_one_clear_line(world: dict[str, str]) -> None:
    db = world["db"]
    out = o2c("documents", "list", "--status", "lost", "--as", "bea.billing", "--db", db, check=False)
    assert out.returncode == 2 and "--status" in out.stderr and "Traceback" not in out.stderr
    out = o2c("documents", "show", "DOC-NOPE", "--as", "bea.billing", "--db", db, check=False)
    assert out.returncode == 2 and "no document DOC-NOPE" in out.stderr
    out = o2c("documents", "resend", "DOC-00000001", "--as", "bea.billing", "--db", db, check=False)
    assert out.returncode == 2 and "--config" in out.stderr


def test_an_invoice_prints_as_one_html_page(world: dict[str, str]) -> None:
    db, out = world["db"], Path(world["dir"]) / "invoice.html"
    shown = o2c("invoices", "print", world["invoice"], "--as", "bea.billing", "--db", db)
    assert shown.stdout.startswith("<!DOCTYPE html>") and world["invoice"] in shown.stdout
    o2c("invoices", "print", world["invoice"], "--out", str(out), "--as", "bea.billing", "--db", db)
    assert out.read_text("utf-8") == shown.stdout
    missing = o2c("invoices", "print", "US-NOPE", "--as", "bea.billing", "--db", db, check=False)
    assert missing.returncode == 2 and "no invoice US-NOPE" in missing.stderr
