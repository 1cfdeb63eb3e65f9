"""The work queue over thousands of open holds: how long ``build_queue`` takes.

Orders for customers whose credit limit is 1.00 are held over their limit (one
CRD-OVER-LIMIT hold each) through the real runtime; then the queue of a credit analyst
(every hold) and one filtered to a customer are built, a few times each, and the best
time is reported. A tenth of the holds are claimed and commented on first.

    python benchmarks/work_queue.py --holds 5000
    python benchmarks/work_queue.py --holds 5000 \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-pg
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.analytics.queue import QueueFilter, build_queue
from o2c.bootstrap import bootstrap
from o2c.domain.actors import user
from o2c.domain.holds import Role
from o2c.domain.master import BillingTrigger, Customer, LegalEntity, Product, ShipTo, Warehouse
from o2c.domain.money import money
from o2c.engine.ports import InboundMessage
from o2c.store import work_items

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOMERS = 200


def seed(app: object) -> None:
    with app.store.unit_of_work() as uow:  # type: ignore[attr-defined]
        m = uow.master
        m.add_legal_entity(LegalEntity(entity_id="US01", name="Bench", currency="USD",
                                       tax_jurisdiction="US-OH", tax_rate=Decimal("0.07"),
                                       invoice_prefix="US01"))
        m.add_warehouse(Warehouse(warehouse_id="W1", legal_entity_id="US01", name="W1", region="OH"))
        m.add_product(Product(product_id="P1", description="Item", base_uom="EA",
                              list_prices={"USD": Decimal("5.25")}))
        for i in range(CUSTOMERS):
            m.add_customer(Customer(
                customer_id=f"C{i:04d}", legal_entity_id="US01", name=f"Customer {i}",
                ship_tos=(ShipTo(ship_to_id="ST1", name="Dock", city="Dayton", region="OH",
                                 postal_code="45402", country="US"),),
                payment_terms="net 30", credit_limit=money("1.00", "USD"),
                billing_trigger=BillingTrigger.ON_SHIP,
                accepts_partial=True, home_warehouse_id="W1"))
        uow.commit()


def orders(n: int) -> list[InboundMessage]:
    return [InboundMessage(source="portal", source_message_id=f"o-{k}", kind="order", received_at=T0,
                           body=json.dumps({
                               "legal_entity_id": "US01", "customer_id": f"C{k % CUSTOMERS:04d}",
                               "ship_to_id": "ST1", "po_number": f"PO-{k}", "channel": "portal",
                               "currency": "USD", "order_date": T0.date().isoformat(),
                               "lines": [{"line_no": j, "product_id": "P1", "quantity": "3", "uom": "EA"}
                                         for j in (1, 2, 3)]}))
            for k in range(n)]


def best(f: object, times: int = 3) -> tuple[float, int]:
    out, n = float("inf"), 0
    for _ in range(times):
        t = time.perf_counter()
        n = len(f())  # type: ignore[operator]
        out = min(out, time.perf_counter() - t)
    return out, n


@contextmanager
def database(db: str | None, fresh: bool, folder: Path) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    url = db or f"sqlite:///{folder / 'bench.db'}"
    if not (fresh and db):
        yield url
        return
    name = f"o2c_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(db, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield db.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fresh-pg", action="store_true",
                    help="create a new PostgreSQL database on --db's server")
    ap.add_argument("--holds", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.db, args.fresh_pg, Path(tmp)) as url:
        clock = SimClock(T0)
        app = bootstrap(url, clock=clock, ids=SeededIds(1), recorded_clock=lambda: T0)
        seed(app)
        t = time.perf_counter()
        msgs = orders(args.holds)
        for i in range(0, len(msgs), 500):
            app.runtime.submit(msgs[i:i + 500])
        print(f"{args.holds:,} held orders in {time.perf_counter() - t:.1f} s")
        ana = user("ana", Role.CREDIT_ANALYST)
        items = build_queue(app.store, ana, now=clock.now())
        for i in items[::10]:
            work_items.claim(app.store, ana, i.hold_id, at=clock.now())
            work_items.comment(app.store, ana, i.hold_id, "looked at it", at=clock.now())
        whole, n = best(lambda: build_queue(app.store, ana, now=clock.now()))
        print(f"queue of a credit analyst: {n:,} holds in {whole * 1000:.0f} ms")
        first, k = best(lambda: build_queue(app.store, ana, now=clock.now(), limit=100))
        print(f"the first {k} of them in {first * 1000:.0f} ms")
        one, m = best(lambda: build_queue(app.store, ana, now=clock.now(),
                                          where=QueueFilter(customer_id="C0007")))
        print(f"queue of one customer: {m:,} holds in {one * 1000:.0f} ms")
        app.close()


if __name__ == "__main__":
    main()
