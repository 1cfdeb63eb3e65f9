"""The fault suite: real processes killed at the worst moments, a PostgreSQL
backend terminated mid-transaction, on SQLite and PostgreSQL; each followed by
the real ``o2c ingest`` (to finish) and ``o2c verify`` (read models equal the
log, nothing left half-way), and by the count that matters: every order of the
file taken exactly once.

(A worker killed between commit and ack is in ``test_nats.py``.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, text

from o2c.store.tables import dead_letters, inbox, orders
from tests.builders import Harness, seed
from tests.integration.fault_ingest import CSV_CONFIG

ORDERS = 200
POISON = "PO-7"


def csv_file(tmp_path: Path, n: int = ORDERS) -> Path:
    rows = [f"C1,PO-{i},P1,1,EA,C1-ST1" for i in range(1, n + 1)]
    path = tmp_path / "orders.csv"
    path.write_text("Account,PO,Item,Qty,Unit,ShipTo\n" + "\n".join(rows) + "\n")
    return path


def seeded(store: Any) -> str:
    """A seeded database (master data, stock) named by URL for other processes."""
    h = Harness(store=store)
    seed(h.app)
    h.stock("P1", "100000")
    return str(store.url.render_as_string(hide_password=False))


@pytest.fixture
def db(sql_store: Any) -> str:
    return seeded(sql_store)


@pytest.fixture
def pg_db(clean_pg_store: Any) -> str:
    return seeded(clean_pg_store)


def count(db: str, query: Any) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(db)
    try:
        with engine.connect() as c:
            return int(c.execute(query).scalar_one())
    finally:
        engine.dispose()


def o2c(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "o2c.cli", *args], capture_output=True, text=True,
                          timeout=300)


def driver(db: str, file: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.integration.fault_ingest", "--db", db,
                             "--file", str(file), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_when(proc: subprocess.Popen[str], ready: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"finished before the kill: {proc.stderr.read() if proc.stderr else ''}"
        assert time.monotonic() < deadline, "never reached the point to kill it at"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def finish_and_verify(db: str, file: Path, tmp_path: Path) -> None:
    config = tmp_path / "integrations.yaml"
    config.write_text(yaml.safe_dump(CSV_CONFIG))
    again = o2c("ingest", str(file), "--kind", "csv", "--config", str(config), "--db", db)
    assert "Traceback" not in again.stderr + again.stdout, again.stderr
    verified = o2c("verify", "--db", db)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def orders_by_po(db: str) -> dict[str, int]:
    from sqlalchemy import create_engine

    engine = create_engine(db)
    try:
        with engine.connect() as c:
            rows = c.execute(select(orders.c.po_number, func.count()).group_by(orders.c.po_number)).all()
    finally:
        engine.dispose()
    return {po: n for po, n in rows}


@pytest.mark.slow
def test_ingest_killed_while_applying_a_file_part_by_part_loses_nothing_and_takes_nothing_twice(
        db: str, tmp_path: Path) -> None:
    file = csv_file(tmp_path)
    proc = driver(db, file, "--poison", POISON, "--slow-commit", "0.01")
    kill_when(proc, lambda: count(db, select(func.count()).select_from(orders)) >= ORDERS // 4)
    assert count(db, select(func.count()).select_from(inbox).where(inbox.c.status == "received")) == 1, \
        "the killed file is stored and unfinished"

    finish_and_verify(db, file, tmp_path)
    taken = orders_by_po(db)
    parked = count(db, select(func.count()).select_from(dead_letters))
    assert set(taken.values()) == {1}, "no order taken twice"
    assert len(taken) + parked == ORDERS and parked <= 1, "every row an order, or the poisoned one parked"


@pytest.mark.slow
def test_ingest_killed_mid_transaction_leaves_all_or_nothing_and_a_rerun_takes_the_rest(
        db: str, tmp_path: Path) -> None:
    file = csv_file(tmp_path, 1500)
    proc = driver(db, file)
    time.sleep(1.0)  # inside its one transaction (or done, on a fast machine: then nothing to kill)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finish_and_verify(db, file, tmp_path)
    taken = orders_by_po(db)
    assert len(taken) == 1500 and set(taken.values()) == {1}


@pytest.mark.slow
@pytest.mark.postgres
def test_a_postgresql_backend_terminated_mid_ingest_is_retried_and_nothing_is_lost(
        pg_db: str, tmp_path: Path) -> None:
    db = pg_db
    file = csv_file(tmp_path)
    # Named, so that only the ingest's backends are terminated, not this session's other tests'.
    proc = driver(f"{db}?application_name=o2c-fault-ingest", file, "--poison", POISON,
                  "--slow-commit", "0.01")
    from sqlalchemy import create_engine

    admin = create_engine(db)
    try:
        deadline = time.monotonic() + 60
        while count(db, select(func.count()).select_from(orders)) < ORDERS // 4:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        with admin.connect() as c:  # the ingest's backends, mid-transaction
            killed = c.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'o2c-fault-ingest'")).scalar_one()
        assert killed >= 1
    finally:
        admin.dispose()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    taken = orders_by_po(db)
    assert set(taken.values()) == {1} and len(taken) == ORDERS - 1
    verified = o2c("verify", "--db", db)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.dumps(taken)  # the counts are plain data, for a failing run's report
