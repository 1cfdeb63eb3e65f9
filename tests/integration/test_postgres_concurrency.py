"""Two worker processes race to reserve the same scarce stock row on
PostgreSQL; the atomic conditional update lets them take exactly what is on
hand between them, never more.

Each worker is a separate OS process with its own engine and connection
pool, reserving one unit per unit of work and committing each, as engine
workers partitioned by account would.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import o2c

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get("O2C_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ON_HAND = 150
QTY = Decimal("1.5")  # 100 reservations fit
ATTEMPTS = 90  # per worker: 180 attempts in all, so the stock must run out

WORKER = """
import json, sys
from decimal import Decimal
from o2c.store.sql import SqlStore

url, attempts, qty = sys.argv[1], int(sys.argv[2]), Decimal(sys.argv[3])
store = SqlStore(url, migrate=False)
with store.unit_of_work() as uow:          # connect before the start signal
    uow.stock.positions(["P1"])
print("ready", flush=True)
sys.stdin.readline()                       # wait until both workers are ready
won = 0
for _ in range(attempts):
    with store.unit_of_work() as uow:
        if uow.stock.reserve("W1", "P1", "-", qty):
            won += 1
        uow.commit()
store.dispose()
print(json.dumps({"won": won}), flush=True)
"""


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    from sqlalchemy.exc import OperationalError

    from o2c.store.database import create_database, drop_database, upgrade

    try:
        url = create_database(PG_URL, f"o2c_test_{secrets.token_hex(4)}")
    except OperationalError as e:
        reason = f"PostgreSQL is not reachable at {PG_URL}: {str(e.orig).strip()}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    upgrade(url)
    yield url.render_as_string(hide_password=False)
    drop_database(url)


def _spawn(url: str) -> subprocess.Popen[str]:
    src = str(Path(o2c.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, str(ATTEMPTS), str(QTY)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_processes_never_reserve_more_than_is_on_hand(pg_url: str) -> None:
    from o2c.store.sql import SqlStore

    store = SqlStore(pg_url)
    with store.unit_of_work() as uow:
        uow.stock.receive("W1", "P1", "-", None, Decimal(ON_HAND))
        uow.commit()

    workers = [_spawn(pg_url) for _ in range(2)]
    try:
        for w in workers:
            assert w.stdout is not None and w.stdout.readline().strip() == "ready"
        for w in workers:  # start both at once
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        results = []
        for w in workers:
            out, _ = w.communicate(timeout=120)
            assert w.returncode == 0
            results.append(json.loads(out.strip().splitlines()[-1])["won"])
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()

    with store.unit_of_work() as uow:
        (position,) = uow.stock.positions(["P1"])
    store.dispose()
    assert sum(results) * QTY <= ON_HAND
    assert sum(results) * QTY == position.reserved
    assert sum(results) == ON_HAND / QTY  # demand exceeded supply, so all of it went
    assert all(won > 0 for won in results), f"one worker never won a race: {results}"
