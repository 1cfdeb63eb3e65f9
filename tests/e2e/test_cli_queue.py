"""``o2c queue`` end to end, as a user runs it: the work of a credit analyst, claims,
comments and a decision, each refusal one line and never a traceback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from o2c.domain.holds import Role
from tests.auth import person
from tests.builders import Harness, customer, seed
from tests.e2e.test_cli import o2c


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, str]:
    """A database with an order of C2 held over its credit limit, and its people; the hold's id."""
    path = tmp_path / "o2c.db"
    h = Harness(db=f"sqlite:///{path}")
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    h.stock("P1", "100")
    held = h.order(customer_id="C2", po="PO-HELD").correlation_id
    assert held is not None
    person(h.app, "ana.credit", Role.CREDIT_ANALYST)
    person(h.app, "carl.credit", Role.CREDIT_ANALYST)
    person(h.app, "wes.warehouse", Role.WAREHOUSE_OPS)
    hold = h.get(held).open_holds[0].hold_id
    h.app.close()
    return str(path), hold


def _one_line_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    assert out.returncode == 2
    err = out.stderr
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err


def test_an_analyst_lists_the_credit_holds_and_works_one(db: tuple[str, str]) -> None:
    path, hold = db
    shown = o2c("queue", "--user", "ana.credit", "--db", path).stdout
    assert "work queue of ana.credit: 1 open hold" in shown
    for text in (hold, "CRD-OVER-LIMIT", "Customer C2", "20.00 USD", "credit/over-limit"):
        assert text in shown
    (item,) = json.loads(o2c("queue", "--user", "ana.credit", "--db", path, "--code", "CRD-OVER-LIMIT",
                             "--json").stdout)
    assert item["hold_id"] == hold and item["credit"]["source"] == "decision"
    assert "nothing in wes.warehouse's queue" in o2c("queue", "--user", "wes.warehouse", "--db", path).stdout

    assert "claimed by ana.credit" in o2c("queue", "claim", hold, "--as", "ana.credit", "--db", path).stdout
    _one_line_error(o2c("queue", "claim", hold, "--as", "carl.credit", "--db", path, check=False),
                    "claimed by ana.credit")
    _one_line_error(o2c("queue", "claim", hold, "--as", "wes.warehouse", "--db", path, check=False),
                    "credit_analyst")
    assert "assigned to carl.credit" in o2c("queue", "assign", hold, "carl.credit", "--as", "ana.credit",
                                            "--db", path).stdout
    o2c("queue", "comment", hold, "buyer pays Friday", "--as", "carl.credit", "--db", path)
    shown = " ".join(o2c("queue", "show", hold, "--as", "ana.credit", "--db", path).stdout.split())
    for text in ("CRD-OVER-LIMIT", "credit (decision): exposure 20.00, limit 10.00, over by 10.00",
                 "failed: credit/over-limit", "claimed by carl.credit", "assigned by ana.credit",
                 "carl.credit: buyer pays Friday"):
        assert text in shown, shown
    detail = json.loads(o2c("queue", "show", hold, "--as", "ana.credit", "--db", path, "--json").stdout)
    assert [n["text"] for n in detail["comment_list"]] == ["buyer pays Friday"]
    _one_line_error(o2c("queue", "show", hold, "--as", "wes.warehouse", "--db", path, check=False),
                    "credit_analyst")
    mine = json.loads(o2c("queue", "--user", "carl.credit", "--db", path, "--mine", "--json").stdout)
    assert [(i["hold_id"], i["comments"], i["claim"]["claimed_by"]) for i in mine] == [
        (hold, 1, "carl.credit")]

    _one_line_error(o2c("queue", "decide", hold, "reject", "--as", "carl.credit", "--db", path, check=False),
                    "reason code")
    _one_line_error(o2c("queue", "decide", hold, "release", "--reason", "ok", "--as", "wes.warehouse",
                        "--db", path, check=False), "credit_analyst")
    done = o2c("queue", "decide", hold, "release", "--reason", "prepaid", "--as", "carl.credit", "--db", path)
    assert f"{hold}: release applied" in done.stdout
    assert "nothing in" in o2c("queue", "--user", "ana.credit", "--db", path).stdout


def test_nobody_named_or_a_bad_filter_is_one_line(db: tuple[str, str]) -> None:
    path, _ = db
    _one_line_error(o2c("queue", "--user", "nobody", "--db", path, check=False), "nobody")
    _one_line_error(o2c("queue", "--user", "ana.credit", "--code", "NOPE", "--db", path, check=False), "NOPE")


def test_time_left_is_measured_to_the_day_asked_for(db: tuple[str, str]) -> None:
    """The hold was placed 2026-03-02 09:00 UTC with an SLA of 8 hours."""
    path, _ = db
    before = json.loads(o2c("queue", "--user", "ana.credit", "--db", path, "--json", "--as-of",
                            "2026-03-02").stdout)
    after = json.loads(o2c("queue", "--user", "ana.credit", "--db", path, "--json", "--as-of",
                           "2026-03-03").stdout)
    assert [i["breached"] for i in before + after] == [False, True]
    _one_line_error(o2c("queue", "--user", "ana.credit", "--db", path, "--as-of", "tomorrow", check=False),
                    "'tomorrow' is not a date")
