"""The audit through the command line: ``o2c audit verify`` and ``o2c audit show``,
on a SQLite database where a person released a hold, and after it was tampered with."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from o2c.domain.actors import Actor, ActorKind
from o2c.domain.holds import Role
from tests.builders import Harness, customer, seed


def o2c(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "o2c.cli", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def released(tmp_path: Path) -> tuple[str, str]:
    """A database where ana released an order's credit hold from 10.0.0.7; (db, order id)."""
    db = str(tmp_path / "o2c.db")
    h = Harness(f"sqlite:///{db}")
    seed(h.app, customer(limit="10"))
    h.stock("P1", "100")
    order_id = h.order().correlation_id or ""
    ana = Actor(kind=ActorKind.USER, id="ana", roles=frozenset({Role.CREDIT_MANAGER}), address="10.0.0.7")
    decision = {"order_id": order_id, "code": "CRD-OVER-LIMIT", "by": "ana",
                "reason": "long-standing customer"}
    assert h.send("hold_decision", decision, actor=ana).status.value == "applied"
    h.app.close()
    return db, order_id


def test_verify_says_an_intact_chain_is_intact_in_one_line(released: tuple[str, str]) -> None:
    db, _ = released
    out = o2c("audit", "verify", "--db", db)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    # o2c's approval of the policy it ships (entry 1), then ana's release (entry 2)
    assert lines[0].startswith("audit chain intact: 2 audit entries; the last, entry 2, hashes to ")


def test_show_lists_an_orders_entries_as_a_table_and_as_json(released: tuple[str, str]) -> None:
    db, order_id = released
    table = o2c("audit", "show", "--order", order_id, "--db", db)
    assert table.returncode == 0, table.stderr
    for expected in (f"order {order_id}: 1 audit entry", "hold.release", "user:ana", "10.0.0.7",
                     "was validated", "HoldReleased"):
        assert expected in table.stdout, expected
    (shown,) = json.loads(o2c("audit", "show", "--order", order_id, "--db", db, "--json").stdout)
    assert (shown["seq"], shown["action"], shown["actor"]["address"]) == (2, "hold.release", "10.0.0.7")
    assert shown["before"]["open_holds"][0]["code"] == "CRD-OVER-LIMIT"
    none = o2c("audit", "show", "--order", "SO-NOPE", "--db", db)
    assert none.returncode == 0 and "no audit entries about order SO-NOPE" in none.stdout


def test_verify_names_the_entry_changed_behind_o2cs_back_and_exits_1(released: tuple[str, str]) -> None:
    db, _ = released
    with sqlite3.connect(db) as conn:
        conn.execute("""UPDATE audit SET "after" = '{"events":[]}' WHERE seq = 2""")
    out = o2c("audit", "verify", "--db", db)
    assert out.returncode == 1
    text = " ".join(out.stderr.split())
    assert "error: the audit chain is broken: audit entry 2 (hold.release on order" in text
    assert "was changed after it was written" in text and "Traceback" not in text


def test_a_replay_from_the_command_line_is_audited_under_the_operating_system_user(
        tmp_path: Path) -> None:
    import getpass

    db = str(tmp_path / "o2c.db")
    h = Harness(f"sqlite:///{db}")
    seed(h.app)
    parked = h.send("order", {"customer_id": "C1"})  # unreadable: parked
    h.app.close()
    assert o2c("dlq", "replay", parked.dead_letter_id or "", "--db", db).returncode == 1  # parked again
    (entry,) = json.loads(o2c("audit", "show", "--user", getpass.getuser(), "--db", db, "--json").stdout)
    assert (entry["action"], entry["subject_id"]) == ("dead_letter.replay", parked.dead_letter_id)
    assert o2c("audit", "verify", "--db", db).returncode == 0


def test_show_asks_for_exactly_one_of_order_user_or_policy(released: tuple[str, str]) -> None:
    out = o2c("audit", "show", "--db", released[0])
    assert out.returncode == 2 and "name one of --order ID, --user ID or --policy ID" in out.stderr
