"""Two worker processes fire the same due timers on PostgreSQL at once: each timer fires
exactly once between them (``FOR UPDATE SKIP LOCKED`` hands each batch to one of them),
and what each firing decided is recorded once.

Each worker is a separate OS process with its own store (engine, pool, caches off), as
``o2c worker`` processes scaled out on one database would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import o2c
from tests.builders import T0, Harness, customer, seed

pytestmark = pytest.mark.postgres

HOLDS = 120
BATCH = 5

WORKER = """
import json, sys
from datetime import datetime
from o2c.adapters.runtime_parts import SimClock
from o2c.bootstrap import bootstrap
from o2c.store.sql import SqlStore

url, now, batch = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])
store = SqlStore(url, migrate=False, cache_size=0)
app = bootstrap(store=store, clock=SimClock(now))
service = app.timer_service(batch=batch)
service.next_due()                         # connect before the start signal
print("ready", flush=True)
sys.stdin.readline()                       # wait until both workers are ready
fired = service.fire_due()
store.dispose()
print(json.dumps({"fired": fired}), flush=True)
"""


def _spawn(url: str, now: str) -> subprocess.Popen[str]:
    src = str(Path(o2c.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen([sys.executable, "-c", WORKER, url, now, str(BATCH)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def test_two_worker_processes_fire_each_due_timer_exactly_once(pg_url: str, clean_pg_store: Any) -> None:
    # given HOLDS orders, each held CRD-OVER-LIMIT (SLA 8 hours) at T0
    h = Harness(store=clean_pg_store)
    seed(h.app, customer(limit="10"))
    h.stock("P1", "100000")
    for i in range(HOLDS):
        h.order(po=f"PO-{i}")
    with clean_pg_store.unit_of_work() as uow:
        assert len(uow.orders.held(10_000)) == HOLDS

    # when two worker processes fire what is due at T0 + 9 hours, at the same moment
    workers = [_spawn(pg_url, (T0 + timedelta(hours=9)).isoformat()) for _ in range(2)]
    try:
        for w in workers:
            assert w.stdout is not None and w.stdout.readline().strip() == "ready"
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        fired = []
        for w in workers:
            out, _ = w.communicate(timeout=180)
            assert w.returncode == 0
            fired.append(json.loads(out.strip().splitlines()[-1])["fired"])
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()

    # then between them they fired every SLA timer once, and each hold escalated once
    assert sum(fired) == HOLDS, fired
    assert all(n > 0 for n in fired), f"one worker never claimed a batch: {fired}"
    from sqlalchemy import text

    with clean_pg_store.engine.connect() as c:
        rows = c.execute(text("SELECT payload FROM events WHERE type = 'HoldEscalated'")).scalars().all()
        states = dict(c.execute(text("SELECT state, count(*) FROM timers WHERE kind = 'hold_sla' "
                                     "GROUP BY state")).all())
    per_hold = Counter(json.loads(p)["hold_id"] for p in rows)
    assert len(per_hold) == HOLDS and set(per_hold.values()) == {1}
    # escalated once each, re-armed for the next step up the ladder (holds.escalation_hours)
    assert states == {"scheduled": HOLDS}
    with clean_pg_store.unit_of_work() as uow:
        assert uow.dead_letters.open() == []
