"""Every command line that changes business state refuses the wrong role and the wrong legal
entity, in one line, and changes nothing: the work queue (claim, assign, unclaim, comment,
decide), policy changes (propose, override, approve, reject) and dead-letter replays.

(``o2c users`` and ``o2c keys`` have their own table in ``test_cli_identity.py``.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from o2c.bootstrap import load_policy_file
from o2c.cli import app
from o2c.domain.holds import Role
from o2c.store.sql import SqlStore
from tests.auth import person
from tests.builders import Harness, customer, seed, seed_canada

runner = CliRunner()


@dataclass(frozen=True)
class World:
    db: Path
    hold: str
    letter: str
    proposal: Path
    body: Path
    override: Path


def run(w: World, *args: str) -> tuple[int, str]:
    out = runner.invoke(app, [*args, "--db", str(w.db)])
    assert "Traceback" not in out.output, out.output
    return out.exit_code, " ".join(out.output.split())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Entities US and CA; an order of C2 (US) held over its limit; a parked decision on it;
    a proposed policy version 2 by pia (pricing). People: ana (credit analyst), pia
    (pricing), wes (warehouse ops: the wrong role for all of it) and cara (controller,
    credit manager, pricing and integration, for CA only: the wrong entity)."""
    tmp = tmp_path_factory.mktemp("refusals")
    path = tmp / "o2c.db"
    h = Harness(db=f"sqlite:///{path}")
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    seed_canada(h.app)
    held = h.order(customer_id="C2", po="PO-HELD").correlation_id
    assert held is not None
    letter = h.send("hold_decision", {"order_id": held, "code": "CRD-PAST-DUE", "by": "x", "reason": "x"})
    assert letter.dead_letter_id is not None
    person(h.app, "ana", Role.CREDIT_ANALYST)
    person(h.app, "pia", Role.PRICING)
    person(h.app, "wes", Role.WAREHOUSE_OPS)
    person(h.app, "cara", Role.CONTROLLER, Role.CREDIT_MANAGER, Role.PRICING, Role.INTEGRATION,
           entities={"CA"})
    hold = h.get(held).open_holds[0].hold_id
    h.app.close()

    def document(version: str, tolerance: str) -> Path:
        raw = yaml.safe_load(yaml.safe_dump(dict(load_policy_file().raw)))
        raw.update(version=version, effective_from="2099-01-01")
        raw["pricing"]["tolerance_percent"] = tolerance
        f = tmp / f"policy-{version}.yaml"
        f.write_text(yaml.safe_dump(raw))
        return f

    w = World(db=path, hold=hold, letter=letter.dead_letter_id, proposal=document("3", "4.0"),
              body=tmp / "fixed.json", override=tmp / "us-override.yaml")
    w.body.write_text(json.dumps({"order_id": held, "code": "CRD-OVER-LIMIT", "by": "x", "reason": "forged"}))
    w.override.write_text(yaml.safe_dump({"pricing": {"tolerance_percent": "5.0"}}))
    code, text = run(w, "policy", "propose", str(document("2", "3.0")), "--as", "pia")
    assert code == 0, text
    return w


Case = Callable[[World], tuple[str, ...]]

#: command -> its arguments (without --as and --db)
COMMANDS: dict[str, Case] = {
    "queue claim": lambda w: ("queue", "claim", w.hold),
    "queue assign": lambda w: ("queue", "assign", w.hold, "ana"),
    "queue unclaim": lambda w: ("queue", "unclaim", w.hold),
    "queue comment": lambda w: ("queue", "comment", w.hold, "called the buyer"),
    "queue decide": lambda w: ("queue", "decide", w.hold, "release", "--reason", "prepaid"),
    "policy propose": lambda w: ("policy", "propose", str(w.proposal)),
    "policy override": lambda w: ("policy", "override", "US", str(w.override), "--version", "4",
                                  "--effective-from", "2099-01-01"),
    "policy approve": lambda w: ("policy", "approve", "o2c.default", "2"),
    "policy reject": lambda w: ("policy", "reject", "o2c.default", "2"),
    "dlq replay --body": lambda w: ("dlq", "replay", w.letter, "--body", str(w.body)),
}

#: what the refusal says, for the wrong role (wes) and the wrong legal entity (cara)
WRONG_ROLE = {
    "queue claim": "needs credit_analyst or above", "queue assign": "needs credit_analyst or above",
    "queue unclaim": "needs credit_analyst or above", "queue comment": "needs credit_analyst or above",
    "queue decide": "needs credit_analyst or above", "policy propose": "may not propose a policy",
    "policy override": "may not propose a policy", "policy approve": "may not approve",
    "policy reject": "may not reject", "dlq replay --body": "needs the integration role",
}
WRONG_ENTITY = {
    "queue claim": "no hold", "queue assign": "no hold", "queue unclaim": "no hold",
    "queue comment": "no hold", "queue decide": "no hold",
    "policy propose": "they do not act for every legal entity",
    "policy override": "the overrides of US, which they do not act for",
    "policy approve": "they do not act for every legal entity",
    "policy reject": "they do not act for every legal entity",
    "dlq replay --body": "no open dead letter",
}


def state(w: World) -> tuple[object, ...]:
    """What any of these commands would change."""
    store = SqlStore(f"sqlite:///{w.db}")
    try:
        with store.engine.connect() as c:
            rows = [c.exec_driver_sql(q).fetchall() for q in (
                "SELECT order_id, on_hold, version FROM orders",
                "SELECT count(*) FROM hold_claims", "SELECT count(*) FROM hold_comments",
                "SELECT policy_id, version, status FROM policy_versions ORDER BY version",
                # a refused message is kept as such (nothing is lost), but changes nothing
                "SELECT dead_letter_id, status FROM dead_letters WHERE status <> 'refused' "
                "ORDER BY dead_letter_id")]
    finally:
        store.dispose()
    return tuple(tuple(r) for r in rows)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("who", "says"), [("wes", WRONG_ROLE), ("cara", WRONG_ENTITY)],
                         ids=["wrong role", "wrong entity"])
def test_the_command_refuses_and_changes_nothing(world: World, command: str, who: str,
                                                 says: dict[str, str]) -> None:
    before = state(world)
    code, text = run(world, *COMMANDS[command](world), "--as", who)
    assert code == 2, text
    assert text.startswith("error:") and says[command] in text, text
    assert state(world) == before


def test_the_right_person_is_not_refused(world: World) -> None:
    """The same table is not refusing everyone: each command as someone it allows."""
    code, text = run(world, "queue", "comment", world.hold, "called the buyer", "--as", "ana")
    assert code == 0, text
    code, text = run(world, "policy", "reject", "o2c.default", "2", "--as", "pia")  # its author withdraws it
    assert code == 0, text
