"""Complete order lifecycles per second: intake → validation → credit →
allocation → shipment → invoice → cash applied → closed, through the real
runtime and store, in one process.

    python benchmarks/lifecycle.py                      # SQLite (temp file), 20,000 orders
    python benchmarks/lifecycle.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-pg
    python benchmarks/lifecycle.py --orders 100000      # memory must stay flat
    python benchmarks/lifecycle.py --big-order 1000     # one 1,000-line order, intake to invoice

Each lifecycle is four inbound messages (order with 4 lines on average,
shipment, proof of delivery, payment); messages are submitted in batches of
``--batch`` the way a worker drains its queue.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import bootstrap
from o2c.domain.master import BillingTrigger, Customer, LegalEntity, Product, ShipTo, TaxRate, Warehouse
from o2c.domain.money import money
from o2c.engine.ports import InboundMessage

T0 = datetime(2026, 2, 2, 8, tzinfo=UTC)
PRODUCTS = 1000
CUSTOMERS = 200


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_master(app, stock_each: int) -> None:
    with app.store.unit_of_work() as uow:
        m = uow.master
        m.add_legal_entity(LegalEntity(entity_id="US01", name="Bench", currency="USD",
                                       tax_jurisdiction="US-OH", tax_rate=Decimal("0.07"),
                                       invoice_prefix="US01"))
        # every account ships to Dayton, Ohio: invoices are taxed at the Ohio rate
        m.add_tax_rate(TaxRate(rate_id="US-OH", country="US", region="OH", name="state", rate=Decimal("0.07"),
                               valid_from=date(2020, 1, 1)))
        m.add_warehouse(Warehouse(warehouse_id="W1", legal_entity_id="US01", name="W1", region="OH"))
        m.add_warehouse(Warehouse(warehouse_id="W2", legal_entity_id="US01", name="W2", region="TX"))
        for i in range(PRODUCTS):
            m.add_product(Product(product_id=f"P{i:05d}", description=f"Item {i}", base_uom="EA",
                                  uom_factors={"CS": Decimal(12)},
                                  list_prices={"USD": Decimal(5 + i % 40) + Decimal("0.25")}))
        for i in range(CUSTOMERS):
            m.add_customer(Customer(
                customer_id=f"C{i:04d}", legal_entity_id="US01", name=f"Customer {i}",
                ship_tos=(ShipTo(ship_to_id="ST1", name="Dock", city="Dayton", region="OH",
                                 postal_code="45402", country="US"),),
                payment_terms="net 30", credit_limit=money(10**9, "USD"),
                billing_trigger=BillingTrigger.ON_POD if i % 4 == 0 else BillingTrigger.ON_SHIP,
                accepts_partial=True, home_warehouse_id="W1" if i % 2 else "W2"))
        uow.commit()
    msgs = [InboundMessage(source="erp", source_message_id=f"r-{w}-{i}", kind="stock_receipt",
                           received_at=T0, body=json.dumps({
                               "warehouse_id": w, "product_id": f"P{i:05d}", "quantity": str(stock_each),
                               "reference": f"open-{w}-{i}"}))
            for w in ("W1", "W2") for i in range(PRODUCTS)]
    app.runtime.submit(msgs)


def msg(source: str, mid: str, kind: str, body: dict) -> InboundMessage:
    return InboundMessage(source=source, source_message_id=mid, kind=kind, received_at=T0,
                          body=json.dumps(body, default=str))


def order_msgs(rng: random.Random, start: int, n: int, lines: int | None = None) -> list[InboundMessage]:
    out = []
    for k in range(start, start + n):
        c = f"C{rng.randrange(CUSTOMERS):04d}"
        nl = lines or max(1, min(8, round(rng.gauss(4, 1.5))))
        out.append(msg("portal", f"o-{k}", "order", {
            "legal_entity_id": "US01", "customer_id": c, "ship_to_id": "ST1",
            "po_number": f"PO-{k}", "channel": "portal", "currency": "USD",
            "order_date": T0.date().isoformat(),
            "lines": [{"line_no": j + 1, "product_id": f"P{rng.randrange(PRODUCTS):05d}",
                       "quantity": str(rng.randint(1, 5)), "uom": "EA"} for j in range(nl)]}))
    return out


def drain(app, now: datetime) -> list:
    with app.store.unit_of_work() as uow:
        pending = uow.outbox.pending(1_000_000)
        uow.outbox.mark_sent([m.outbox_id for m in pending], now)
        uow.commit()
    return pending


def run_wave(app, clock: SimClock, rng: random.Random, start: int, n: int, batch: int,
             lines: int | None = None) -> int:
    """One wave of n lifecycles; returns the number of messages submitted."""
    def submit(ms: list[InboundMessage]) -> None:
        for i in range(0, len(ms), batch):
            app.runtime.submit(ms[i:i + batch])

    sent = 0
    orders = order_msgs(rng, start, n, lines)
    submit(orders)
    sent += len(orders)
    clock.set(clock.now() + timedelta(hours=6))
    ships, pods = [], []
    for m in drain(app, clock.now()):
        if m.kind != "warehouse_release":
            continue
        sid = f"S-{m.payload['event_id'][-12:]}"
        ships.append(msg(f"wms-{m.destination}", sid, "shipment", {
            "shipment_id": sid, "order_id": m.payload["order_id"], "warehouse_id": m.destination,
            "lines": [{"line_no": int(ln["line_no"]), "product_id": ln["product_id"],
                       "lot_id": ln["lot_id"], "quantity": ln["quantity"]} for ln in m.payload["lines"]]}))
        pods.append(msg("carrier", f"pod-{sid}", "delivery", {
            "shipment_id": sid, "order_id": m.payload["order_id"],
            "delivered_at": (clock.now() + timedelta(days=1)).isoformat(), "signed_by": "X"}))
    submit(ships)
    clock.set(clock.now() + timedelta(days=1))
    submit(pods)
    sent += len(ships) + len(pods)
    clock.set(clock.now() + timedelta(days=1))
    pays = []
    for m in drain(app, clock.now()):
        if m.kind == "invoice":
            pays.append(msg("bank", f"pay-{m.payload['invoice_id']}", "payment", {
                "payment_id": f"pay-{m.payload['invoice_id']}",
                "customer_id": m.destination.removeprefix("customer:"),
                "amount": m.payload["total"], "currency": "USD",
                "references": [{"invoice_id": m.payload["invoice_id"], "amount": m.payload["total"]}]}))
    submit(pays)
    sent += len(pays)
    return sent


def closed_orders(app) -> int:
    store = app.store
    engine = getattr(store, "engine", None)
    if engine is None:
        return sum(1 for o in store.orders.values() if o.status == "closed")
    from sqlalchemy import text

    with engine.connect() as c:
        return c.execute(text("select count(*) from orders where status = 'closed'")).scalar_one()


def fresh_pg(url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"o2c_bench_{uuid.uuid4().hex[:8]}"
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def bench_database(db: str | None, fresh: bool, folder: Path) -> Iterator[str]:
    """The URL to measure on: ``db``, a new database on its PostgreSQL server
    (``fresh``, dropped afterwards), or a SQLite file in ``folder``."""
    url = db or f"sqlite:///{folder / 'bench.db'}"
    if fresh and db:
        url = fresh_pg(db)
    try:
        yield url
    finally:
        if fresh and db:
            drop_pg(db, url)


def drop_pg(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fresh-pg", action="store_true",
                    help="create a new PostgreSQL database on --db's server")
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--wave", type=int, default=2_000, help="lifecycles per wave")
    ap.add_argument("--batch", type=int, default=500, help="messages per transaction")
    ap.add_argument("--big-order", type=int, default=0, help="time one order of this many lines")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.db, args.fresh_pg, Path(tmp)) as url:
        run(args, url)


def run(args: argparse.Namespace, url: str) -> None:
    clock = SimClock(T0)
    app = bootstrap(url, clock=clock, ids=SeededIds(args.seed))
    rng = random.Random(args.seed)
    backend = url.split(":", 1)[0]
    if args.big_order:
        seed_master(app, stock_each=10_000)
        t = time.perf_counter()
        run_wave(app, clock, rng, 0, 1, args.batch, lines=args.big_order)
        dt = time.perf_counter() - t
        print(f"{backend}: one {args.big_order}-line order, intake to cash applied: {dt:.3f} s")
        app.close()
        return
    seed_master(app, stock_each=10**7)
    t = time.perf_counter()
    sent = done = 0
    while done < args.orders:
        n = min(args.wave, args.orders - done)
        sent += run_wave(app, clock, rng, done, n, args.batch)
        done += n
        el = time.perf_counter() - t
        print(f"  {done:>7} lifecycles  {done / el:8.0f}/s  {sent / el:8.0f} msg/s  "
              f"peak RSS {rss_mb():.0f} MB", file=sys.stderr)
    dt = time.perf_counter() - t
    closed = closed_orders(app)
    print(f"{backend}: {args.orders} lifecycles in {dt:.1f} s = {args.orders / dt:.0f} lifecycles/s "
          f"({sent / dt:.0f} messages/s), {closed} orders closed, peak RSS {rss_mb():.0f} MB")
    app.close()


if __name__ == "__main__":
    main()
