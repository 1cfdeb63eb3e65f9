"""One big X12 file through ``o2c ingest``: sets per second and the peak memory of the process.

    python benchmarks/big_file.py                       # SQLite (temp file), 80,000 850 sets
    python benchmarks/big_file.py --sets 20000
    python benchmarks/big_file.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-pg

The demo's world (``o2c.sim.world``: entities, warehouses, products, price agreements, opening
stock) is loaded into a new database, and one of its EDI customers sends a single interchange of
``--sets`` purchase orders (850, 1-3 lines each of products it has agreed prices for), as a VAN
batch file delivers them. The file is taken in by the real command in a subprocess
(``o2c ingest FILE --config ... --db ...``), whose peak resident set size the subprocess reports
as it exits (``VmHWM`` of ``/proc/self/status``). Not ``RUSAGE_CHILDREN``: on Linux a child's
``ru_maxrss`` includes the high-water mark of the process it was spawned from (exec records the
old image's), and generating the file takes this script to about 410 MB. Afterwards the
database is checked: the raw document is stored once, every set is in the inbox applied or
dead-lettered, and the 997 is queued.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from lifecycle import bench_database  # noqa: E402  (the same throwaway PostgreSQL databases)

from o2c.adapters.edi import build_interchange, write  # noqa: E402
from o2c.adapters.runtime_parts import SimClock  # noqa: E402
from o2c.bootstrap import bootstrap  # noqa: E402
from o2c.domain.money import money  # noqa: E402
from o2c.engine.ports import InboundMessage  # noqa: E402
from o2c.sim.world import WAREHOUSES, World, generate  # noqa: E402

START = date(2026, 1, 5)
T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)


def buyer_of(world: World) -> int:
    """The index of the EDI customer that sends the file: the first with agreed prices in USD."""
    return next(i for i, sc in enumerate(world.customers)
                if sc.traits.channel == "edi" and sc.customer.legal_entity_id == "US01"
                and not sc.customer.blocked)


def prepare(url: str, world: World, buyer: int) -> None:
    """Master data and opening stock, as the demo sets them up; the buyer's credit is ample so
    its orders go on to allocation instead of all waiting on a credit hold."""
    c = world.customers[buyer].customer
    world.customers[buyer] = replace(world.customers[buyer],
                                     customer=replace(c, credit_limit=money(10**10, "USD")))
    app = bootstrap(url, clock=SimClock(T0))
    try:
        with app.store.unit_of_work() as uow:
            m = uow.master
            for e in world.entities:
                m.add_legal_entity(e)
            for w in world.warehouses:
                m.add_warehouse(w)
            for p in world.products:
                m.add_product(p)
            for sc in world.customers:
                m.add_customer(sc.customer)
            for a in world.agreements:
                m.add_price_agreement(a)
            uow.commit()
        rng = random.Random(7)
        receipts = [InboundMessage(source="erp", source_message_id=f"rcpt-{wh}-{p.product_id}",
                                   kind="stock_receipt", received_at=T0, body=json.dumps({
                                       "warehouse_id": wh, "product_id": p.product_id,
                                       "lot_id": "L1" if p.lot_controlled else "-",
                                       "expiry": "2027-06-30" if p.lot_controlled else None,
                                       "quantity": str(rng.randint(200, 600) * 10),
                                       "reference": f"OPEN-{wh}-{p.product_id}"}))
                    for wh in WAREHOUSES for p in world.products]
        for i in range(0, len(receipts), 1000):
            app.runtime.submit(receipts[i:i + 1000])
    finally:
        app.close()


def partner(world: World, buyer: int) -> dict[str, object]:
    c = world.customers[buyer].customer
    return {"partner_id": c.customer_id, "isa_qualifier": "ZZ", "isa_id": c.edi_id,
            "our_isa_id": "NORTHWINDDIST", "legal_entity_id": c.legal_entity_id, "customer_id": c.customer_id,
            "inbound": ["850", "860", "820"], "outbound": ["855", "856", "810", "997"],
            "product_qualifiers": ["VP"], "currency": "USD"}


def interchange(world: World, buyer: int, sets: int, seed: int) -> bytes:
    """One interchange of ``sets`` 850s from the buyer, every line a product it has a price for."""
    rng = random.Random(seed)
    c = world.customers[buyer].customer
    agreed = [(a.product_id, a.price.amount) for a in world.agreements if a.customer_id == c.customer_id]
    day = START.strftime("%Y%m%d")
    due = (START + timedelta(days=5)).strftime("%Y%m%d")
    orders = []
    for n in range(1, sets + 1):
        segs: list[tuple[str, ...]] = [("BEG", "00", "SA", f"{c.customer_id}-BIG-{n:06d}", "", day),
                                       ("CUR", "BY", "USD"), ("DTM", "002", due),
                                       ("N1", "ST", "Receiving", "92", c.ship_tos[0].ship_to_id)]
        lines = rng.randint(1, 3)
        for i, (pid, price) in enumerate(rng.sample(agreed, k=lines), 1):
            segs.append(("PO1", str(i), str(rng.randint(1, 5)), "EA", f"{price:.2f}", "", "VP", pid))
        segs.append(("CTT", str(lines)))
        orders.append(("850", n, segs))
    ic = build_interchange(c.edi_id or c.customer_id, "NORTHWINDDIST", 1, at=T0.replace(tzinfo=None),
                           groups=[("PO", "004010", 1, orders)])
    return write(ic, newline=True).encode()


def check(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    try:
        with eng.connect() as c:
            def one(sql: str) -> int:
                return int(c.execute(text(sql)).scalar_one())

            return {
                "documents": one("select count(*) from inbox where kind = 'x12'"),
                "applied": one(
                    "select count(*) from inbox where document is not null and status = 'applied'"),
                "dead_lettered": one(
                    "select count(*) from inbox where document is not null and status = 'dead_lettered'"),
                "unfinished": one("select count(*) from inbox where document is not null "
                                  "and status not in ('applied', 'dead_lettered')"),
                "acks_997": one("select count(*) from outbox where kind = 'edi_997'"),
                "orders": one("select count(*) from orders"),
            }
    finally:
        eng.dispose()


# Run in the subprocess: o2c's CLI, then, at exit, the process's own peak RSS on stderr.
INGEST = """
import atexit, sys

def peak():
    try:
        with open("/proc/self/status") as f:
            kb = next(line.split()[1] for line in f if line.startswith("VmHWM"))
    except (OSError, StopIteration):
        return
    sys.stderr.write(f"\\nVmHWM {kb} kB\\n")

atexit.register(peak)
from o2c.cli import app
app()
"""


def run(args: argparse.Namespace, url: str, work: Path) -> None:
    world = generate(args.seed, start=START)
    buyer = buyer_of(world)
    t = time.perf_counter()
    prepare(url, world, buyer)
    data = interchange(world, buyer, args.sets, args.seed)
    (work / "big.edi").write_bytes(data)
    (work / "partners.yaml").write_text(yaml.safe_dump({"partners": [partner(world, buyer)]}))
    print(f"prepared in {time.perf_counter() - t:.1f} s: {args.sets:,} sets, {len(data) / 1e6:.1f} MB")

    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cmd = [sys.executable, "-c", INGEST, "ingest", str(work / "big.edi"),
           "--config", str(work / "partners.yaml"), "--db", url]
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - t
    reported = re.search(rb"VmHWM (\d+) kB", done.stderr)
    # Without /proc (not Linux), the kernel's figure, which may include this script's own.
    kb = int(reported.group(1)) if reported else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = kb / 1024
    if done.returncode not in (0, 1):  # 1: some sets were dead-lettered, which the check counts
        raise SystemExit(f"o2c ingest failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    found = check(url)
    print(f"o2c ingest: {elapsed:.1f} s, {args.sets / elapsed:,.0f} sets/s, peak RSS {peak:,.0f} MB")
    print("   " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
    lost = args.sets - found["applied"] - found["dead_lettered"]
    if found["documents"] != 1 or lost or found["unfinished"] or found["acks_997"] != 1:
        raise SystemExit(f"not everything was taken in: {lost} set(s) missing, {found}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", type=int, default=80_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fresh-pg", action="store_true",
                    help="create a new PostgreSQL database on --db's server")
    args = ap.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.db, args.fresh_pg, Path(tmp)) as url:
        run(args, url, Path(tmp))


if __name__ == "__main__":
    main()
