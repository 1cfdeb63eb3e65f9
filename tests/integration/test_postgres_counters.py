"""Two engine worker processes on one PostgreSQL database take order ids,
dead-letter ids and the invoice numbers of two legal entities in opposite
orders in every batch; neither deadlocks, every message is applied, and each
entity's invoice numbers run 1, 2, 3, … without a gap or a repeat.

Each worker is a separate OS process running the real runtime on its own
connection pool, for its own customer accounts and products (workers
partitioned by account), so the counters are all they share.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import o2c
from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import bootstrap
from o2c.domain.master import LegalEntity, Product, TaxRate, Warehouse
from o2c.engine.ports import InboundMessage
from tests.builders import customer

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
ENTITIES = ("US", "CA")
WORKERS = ("a", "b")
BATCHES = 12  # per worker; each ships 2 orders of each entity, takes 2 new orders and parks 1 message
PER_ENTITY = 2 * BATCHES  # released orders per worker and entity, all shipped by the end

WORKER = """
import json, sys
from datetime import UTC, datetime
from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import bootstrap
from o2c.engine.ports import InboundMessage

url, name, plan = sys.argv[1], sys.argv[2], json.loads(sys.stdin.readline())
at = datetime(2026, 3, 3, 10, tzinfo=UTC)
app = bootstrap(url, clock=SimClock(at), ids=SeededIds(ord(name)))
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()                       # start together
statuses = []
for batch in plan:
    msgs = [InboundMessage(source=name, source_message_id=i, kind=k, received_at=at, body=b)
            for i, k, b in batch]
    statuses += [o.status.value for o in app.runtime.submit(msgs)]
print(json.dumps(statuses))
app.close()
"""


def _order(worker: str, entity: str, po: str) -> str:
    c = f"C-{worker}-{entity}"
    return json.dumps({
        "legal_entity_id": entity, "customer_id": c, "ship_to_id": f"{c}-ST1", "po_number": po,
        "channel": "edi", "currency": "USD", "order_date": "2026-03-02",
        "lines": [{"line_no": 1, "product_id": f"P-{worker}", "quantity": "1", "uom": "EA"}]})


def _shipment(worker: str, entity: str, order_id: str) -> str:
    return json.dumps({
        "shipment_id": f"SH-{order_id}", "order_id": order_id, "warehouse_id": f"W-{entity}",
        "carrier": "UPS", "tracking_no": "1Z",
        "lines": [{"line_no": 1, "product_id": f"P-{worker}", "lot_id": "-", "quantity": "1"}]})


def _given_released_orders(store: Any) -> dict[tuple[str, str], list[str]]:
    """Master data for two entities, stock, and PER_ENTITY released orders per worker and entity."""
    app = bootstrap(store=store, clock=SimClock(T0), ids=SeededIds(7))
    with store.unit_of_work() as uow:
        m = uow.master
        for e in ENTITIES:
            m.add_legal_entity(LegalEntity(entity_id=e, name=f"Acme {e}", currency="USD",
                                           tax_jurisdiction=e, tax_rate=Decimal("0.05"), invoice_prefix=e))
            m.add_warehouse(Warehouse(warehouse_id=f"W-{e}", legal_entity_id=e, name=e, region=e))
            for w in WORKERS:
                m.add_customer(dataclasses.replace(customer(f"C-{w}-{e}", limit="10000000", home=f"W-{e}"),
                                                   legal_entity_id=e))
        # every account ships to Ohio (the builders' ship-to): invoices are taxed there
        m.add_tax_rate(TaxRate(rate_id="US-OH", country="US", region="OH", name="state",
                               rate=Decimal("0.05"), valid_from=date(2020, 1, 1)))
        for w in WORKERS:
            m.add_product(Product(product_id=f"P-{w}", description=w, base_uom="EA",
                                  list_prices={"USD": Decimal("2.50")}))
        uow.commit()
    msgs = [InboundMessage(source="setup", source_message_id=f"r-{w}-{e}", kind="stock_receipt",
                           received_at=T0, body=json.dumps({
                               "warehouse_id": f"W-{e}", "product_id": f"P-{w}", "lot_id": "-",
                               "quantity": "10000", "reference": f"R-{w}-{e}"}))
            for w in WORKERS for e in ENTITIES]
    keys = [(w, e) for w in WORKERS for e in ENTITIES for _ in range(PER_ENTITY)]
    msgs += [InboundMessage(source="setup", source_message_id=f"o-{i}", kind="order", received_at=T0,
                            body=_order(w, e, f"PO-{i}")) for i, (w, e) in enumerate(keys)]
    outcomes = app.runtime.submit(msgs)[len(WORKERS) * len(ENTITIES):]
    released: dict[tuple[str, str], list[str]] = {}
    for key, out in zip(keys, outcomes, strict=True):
        assert out.status.value == "applied" and out.correlation_id, out
        released.setdefault(key, []).append(out.correlation_id)
    return released


def _plan(worker: str, released: dict[tuple[str, str], list[str]]) -> list[list[tuple[str, str, str]]]:
    """Batches that take the counters in opposite orders on the two workers:
    a takes an order id, then US and CA invoice numbers, then a dead-letter id;
    b the reverse."""
    entities = ENTITIES if worker == "a" else ENTITIES[::-1]
    plan = []
    for n in range(BATCHES):
        batch = [(f"{worker}-new-{n}-{j}", "order", _order(worker, "US", f"{worker}-NEW-{n}-{j}"))
                 for j in range(2)]
        for e in entities:
            batch += [(f"{worker}-ship-{oid}", "shipment", _shipment(worker, e, oid))
                      for oid in released[(worker, e)][2 * n:2 * n + 2]]
        batch.append((f"{worker}-bad-{n}", "order", "{not json"))
        plan.append(batch if worker == "a" else batch[::-1])
    return plan


def test_workers_taking_counters_in_opposite_orders_never_deadlock_and_invoice_without_gaps(
        clean_pg_store: Any, pg_url: str) -> None:
    released = _given_released_orders(clean_pg_store)

    src = str(Path(o2c.__file__).resolve().parents[1])
    workers = {
        name: subprocess.Popen([sys.executable, "-c", WORKER, pg_url, name], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
        for name in WORKERS
    }
    try:
        for name, w in workers.items():
            assert w.stdin is not None and w.stdout is not None
            w.stdin.write(json.dumps(_plan(name, released)) + "\n")
            w.stdin.flush()
            assert w.stdout.readline().strip() == "ready"
        for w in workers.values():
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        results = {name: w.communicate(timeout=300) for name, w in workers.items()}
    finally:
        for w in workers.values():
            if w.poll() is None:
                w.kill()

    for name, (out, errors) in results.items():
        assert workers[name].returncode == 0, errors[-3000:]
        assert "Deadlock" not in errors and "SerializationFailure" not in errors
        assert Counter(json.loads(out.strip().splitlines()[-1])) == {
            "applied": BATCHES * (2 + 2 * len(ENTITIES)), "dead_lettered": BATCHES}

    with clean_pg_store.engine.connect() as conn:
        invoices = conn.execute(text("SELECT invoice_id FROM invoices")).scalars().all()
        letters = conn.execute(text("SELECT code FROM dead_letters")).scalars().all()
        orders = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
    for e in ENTITIES:
        numbers = sorted(int(i.removeprefix(f"{e}-")) for i in invoices if i.startswith(f"{e}-"))
        assert numbers == list(range(1, len(WORKERS) * PER_ENTITY + 1)), f"{e}: {numbers}"
    assert Counter(letters) == {"INT-PARSE-ERROR": len(WORKERS) * BATCHES}
    assert orders == len(WORKERS) * (len(ENTITIES) * PER_ENTITY + 2 * BATCHES)
