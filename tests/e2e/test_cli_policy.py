"""``o2c policy`` as people run it: a document validated with every error named, proposed by
one person and approved by another, refusals in one line, every step in the audit, and the
other commands refusing to run with a version changed behind o2c's back."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from o2c.cli import app
from o2c.domain.holds import Role
from o2c.store import identities
from o2c.store.sql import SqlStore
from tests.builders import seed
from tests.policy_docs import document

runner = CliRunner()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
#: Effective dates far enough ahead that the wall clock has not reached them.
LATER = "2099-01-01"


def run(db: Path, *args: str) -> tuple[int, str]:
    out = runner.invoke(app, [*args, "--db", str(db)])
    assert "Traceback" not in out.output, out.output
    return out.exit_code, " ".join(out.output.split())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Entity US; ana and pia (pricing), cy (controller), cm (credit manager), bo (billing)."""
    path = tmp_path / "o2c.db"
    store = SqlStore(f"sqlite:///{path}")
    seed(store)
    pw = "a long enough passphrase"
    identities.add_user(store, "root", pw, roles=[Role.ADMIN], entities=None, at=T0, by=None)
    root = identities.actor_for_user(store, "root", T0)
    for name, role in (("ana", Role.PRICING), ("pia", Role.PRICING), ("cy", Role.CONTROLLER),
                       ("cm", Role.CREDIT_MANAGER), ("bo", Role.BILLING)):
        identities.add_user(store, name, pw, roles=[role], entities=None, at=T0, by=root)
    store.dispose()
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_validate_names_the_path_of_every_error(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", document("3", LATER, tolerance="lots", entities=(
        '{US: {credit: {hit: nope}}, CA: {pricing: {po_price_max_ratio: "0.5"}}}')))
    out = runner.invoke(app, ["policy", "validate", str(bad)])
    assert out.exit_code == 1
    for path in ("policy.pricing.tolerance_percent: expected a number, got 'lots'",
                 "policy.entities.US.credit.hit: expected one of ['first', 'collect'], got 'nope'",
                 "policy.entities.CA.pricing.po_price_max_ratio: expected a number greater than 1"):
        assert path in " ".join(out.output.split()), path
    good = write(tmp_path, "good.yaml", document("3", LATER))
    out = runner.invoke(app, ["policy", "validate", str(good)])
    assert out.exit_code == 0 and "valid: policy o2c.default version 3, effective 2099-01-01" in out.output
    notyaml = write(tmp_path, "no.yaml", "policy_id: [unclosed")
    out = runner.invoke(app, ["policy", "validate", str(notyaml)])
    assert out.exit_code == 1 and "is not valid YAML" in out.output


def test_a_version_is_proposed_by_one_person_and_approved_by_another(db: Path, tmp_path: Path) -> None:
    v2 = write(tmp_path, "v2.yaml", document("2", LATER, tolerance="3.0"))
    code, text = run(db, "policy", "propose", str(v2), "--as", "ana", "--reason", "new contracts")
    assert code == 0, text
    assert ("proposed policy o2c.default version 2, effective 2099-01-01" in text
            and "it changes pricing, which controller or pricing approves, someone other than user:ana"
            in text)
    refusals = [
        (("policy", "propose", str(v2), "--as", "pia"),
         "error: policy o2c.default version 2 exists already: give the document a new version"),
        (("policy", "approve", "o2c.default", "2", "--as", "ana"),
         "error: user:ana proposed policy o2c.default version 2 and may not approve it too: another person "
         "must (four eyes)"),
        (("policy", "approve", "o2c.default", "2", "--as", "bo"),
         "error: user:bo may not approve policy o2c.default version 2: it changes pricing, which needs "
         "controller or pricing"),
        (("policy", "approve", "o2c.default", "2"), "error: say who is acting: --as USER"),
        (("policy", "approve", "o2c.default", "7", "--as", "cy"),
         "error: there is no policy o2c.default version 7"),
    ]
    for args, expected in refusals:
        code, text = run(db, *args)
        assert code == 2 and text.startswith(expected), text
    code, text = run(db, "policy", "approve", "o2c.default", "2", "--as", "pia", "--comment", "agreed")
    assert code == 0 and "policy o2c.default version 2 approved by user:pia" in text, text
    code, text = run(db, "policy", "approve", "o2c.default", "2", "--as", "cy")
    assert code == 2 and "is approved already (by user:pia)" in text
    # the audit holds the proposal and the approval, about the policy
    out = runner.invoke(app, ["audit", "show", "--policy", "o2c.default", "--json", "--db", str(db)])
    found = [(e["action"], e["actor"]["id"], e["after"]["version"]) for e in json.loads(out.output)]
    assert found == [("policy.approve", "o2c.seed", "1"), ("policy.propose", "ana", "2"),
                     ("policy.approve", "pia", "2")]
    # every command loads it from the database
    from o2c.bootstrap import bootstrap

    a = bootstrap(str(db))
    assert [p.version for p in a.policies.versions] == ["1", "2"]
    a.close()


def test_list_show_and_diff_explain_every_stored_version(db: Path, tmp_path: Path) -> None:
    v2 = write(tmp_path, "v2.yaml", document("2", LATER, credit_blocked="CRD-PAST-DUE"))
    assert run(db, "policy", "propose", str(v2), "--as", "ana")[0] == 0
    code, text = run(db, "policy", "list")
    assert code == 0 and "approved, in force" in text and "proposed" in text and "system:o2c.seed" in text
    listed = json.loads(runner.invoke(app, ["policy", "list", "--json", "--db", str(db)]).output)
    assert [(v["version"], v["status"], v["author"]) for v in listed] == [
        ("1", "approved", "system:o2c.seed"), ("2", "proposed", "user:ana")]
    code, text = run(db, "policy", "show", "o2c.default", "--version", "1")
    assert code == 0 and text.startswith("policy o2c.default version 1: approved, in force")
    assert "tolerance_percent: \"2.0\"" in text and f"sha256 {listed[0]['sha256']}" in text
    code, text = run(db, "policy", "diff", "1", "2")
    assert code == 0 and text.startswith("changes: credit")
    assert "- then: {outcome: CRD-ACCOUNT-BLOCKED}" in text and "+ then: {outcome: CRD-PAST-DUE}" in text
    v3 = write(tmp_path, "v3.yaml", document("3", LATER, tolerance="4.0"))
    code, text = run(db, "policy", "diff", str(v3))  # a file against the version in force
    assert code == 0 and text.startswith("changes: pricing") and "o2c.default version 1 (in force)" in text
    code, text = run(db, "policy", "show", "o2c.default", "--version", "9")
    assert code == 2
    assert text == "error: there is no policy o2c.default version 9 (o2c policy list shows them)"


def test_an_override_for_one_entity_becomes_a_new_version(db: Path, tmp_path: Path) -> None:
    over = write(tmp_path, "us.yaml", 'pricing: {tolerance_percent: "5.0"}\n')
    code, text = run(db, "policy", "override", "US", str(over), "--version", "2", "--effective-from", LATER,
                     "--as", "ana")
    assert code == 0 and "it changes entities.US.pricing" in text, text
    assert run(db, "policy", "approve", "o2c.default", "2", "--as", "pia")[0] == 0
    code, text = run(db, "policy", "show", "o2c.default", "--version", "2")
    assert "US:" in text and 'tolerance_percent: \'5.0\'' in text


def test_a_version_changed_behind_o2cs_back_stops_the_commands_that_decide(db: Path, tmp_path: Path) -> None:
    v2 = write(tmp_path, "v2.yaml", document("2", LATER, tolerance="3.0"))
    assert run(db, "policy", "propose", str(v2), "--as", "ana")[0] == 0
    assert run(db, "policy", "approve", "o2c.default", "2", "--as", "cy")[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("""UPDATE policy_versions SET document = replace(document, '"3.0"', '"30.0"')
                        WHERE version = '2'""")
    code, text = run(db, "kpis")
    assert code == 2 and text.startswith("error: policy o2c.default version 2 was changed after it was "
                                         "approved: its document no longer hashes to ")
    code, text = run(db, "policy", "list")  # still listed, to be looked into
    assert code == 0 and "CHANGED after approval" in text
