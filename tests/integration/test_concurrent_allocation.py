"""Two engine worker processes allocate orders for the same scarce item on
PostgreSQL at the same time; between them they never promise more than is
on hand, and the books agree with the stock afterwards.

Each worker is a separate OS process running the real runtime (inbox, bus,
handlers, projector) on its own connection pool, for its own customer
accounts, as workers partitioned by account would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

import o2c
from tests.builders import Harness, customer, seed

pytestmark = pytest.mark.postgres

ON_HAND = 100
ORDERS = 40  # per worker, 7 each: 560 wanted, 100 on hand

WORKER = """
import json, sys
from datetime import UTC, datetime
from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import bootstrap
from o2c.engine.ports import InboundMessage

url, name, orders = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = bootstrap(url, clock=SimClock(datetime(2026, 3, 2, 10, tzinfo=UTC)),
                ids=SeededIds(hash(name) % 10_000))
msgs = [InboundMessage(source=name, source_message_id=f"{name}-{i}", kind="order",
                       received_at=datetime(2026, 3, 2, 10, tzinfo=UTC), body=json.dumps({
    "legal_entity_id": "US", "customer_id": f"C-{name}", "ship_to_id": f"C-{name}-ST1",
    "po_number": f"{name}-PO-{i}", "channel": "edi", "currency": "USD", "order_date": "2026-03-02",
    "lines": [{"line_no": 1, "product_id": "P1", "quantity": "7", "uom": "EA"}]}))
        for i in range(orders)]
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()                       # start together
outcomes = [app.runtime.submit([m])[0] for m in msgs]   # one transaction per order
print(json.dumps(sorted({o.status.value for o in outcomes})))
app.close()
"""


def test_two_workers_never_promise_more_than_is_on_hand(clean_pg_store, pg_url: str) -> None:
    given = Harness(store=clean_pg_store)
    seed(given.app, customer("C-a", limit="1000000"), customer("C-b", limit="1000000"))
    given.stock("P1", str(ON_HAND), wh="W1")

    env_path = str(Path(o2c.__file__).resolve().parents[1])
    root = str(Path(__file__).resolve().parents[2])
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, pg_url, name, str(ORDERS)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env={"PYTHONPATH": f"{env_path}:{root}", "PATH": "/usr/bin:/bin"})
        for name in ("a", "b")
    ]
    for w in workers:
        assert w.stdout.readline().strip() == "ready"
    for w in workers:
        w.stdin.write("go\n")
        w.stdin.flush()
    results = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], results
    assert all(json.loads(out.strip().splitlines()[-1]) == ["applied"] for out, _ in results)

    with clean_pg_store.unit_of_work() as uow:
        [pos] = uow.stock.positions(["P1"])
        # Order ids are unique but need not be consecutive across workers: read them all.
        order_ids = uow.connection().execute(text("SELECT order_id FROM orders")).scalars().all()
        allocated = {}
        for oid in order_ids:
            o = uow.orders.get(oid)
            allocated[o.customer_id[2:]] = allocated.get(o.customer_id[2:], Decimal(0)) + o.lines[0].allocated
    assert pos.on_hand == ON_HAND
    assert pos.reserved == sum(allocated.values()) <= ON_HAND
    assert pos.reserved == 98  # 14 orders of 7 fit into 100; nobody oversold
    assert allocated["a"] > 0 and allocated["b"] > 0
