"""AR aging and the collections worklist at scale: the store's own queries
(``uow.invoices.aging`` and ``uow.invoices.worklist``, what ``o2c collections`` and
``/collections/*`` run) over a read model of many invoices.

    python benchmarks/ar_worklist.py                       # SQLite (temp file), 1,000,000 invoices
    python benchmarks/ar_worklist.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-pg

The invoices are written straight into the read-model table (COPY on PostgreSQL,
``executemany`` in batches on SQLite), not through the engine: only the queries are
measured. The spread: 20,000 accounts in two legal entities (US in USD, business dates in
Chicago; CA in CAD, in Toronto), a fifth of the invoices paid, due dates over 180 days
around the as-of date, 8 % of the open ones partly or wholly disputed, accounts with
broken or standing promises. Each query runs three times; the figures are wall times.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on the path, and its name would stand in
# for the standard library's ``collections``: take the folder off before importing anything.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import platform
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.lifecycle import bench_database

from o2c.domain.collections import by_entity
from o2c.store.sql import SqlStore

AS_OF = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 15, tzinfo=UTC)
ENTITIES = (("US", "USD"), ("CA", "CAD"))
COLUMNS = ("invoice_id", "order_id", "customer_id", "status", "due_date", "open_amount", "version", "doc",
           "legal_entity_id", "currency", "disputed")


def rows(n: int, customers: int, seed: int) -> list[tuple[object, ...]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        c = rnd.randrange(customers)
        entity, currency = ENTITIES[c % 5 == 0]  # a fifth of the accounts are Canadian
        paid = rnd.random() < 0.2
        amount = Decimal(rnd.randint(2_000, 2_500_000)) / 100
        disputed = Decimal(0)
        if not paid and rnd.random() < 0.08:
            disputed = amount if rnd.random() < 0.5 else (amount / 3).quantize(Decimal("0.01"))
        out.append((f"{entity}-{i:08d}", f"SO-{i:08d}", f"C{c:05d}", "paid" if paid else "open",
                    AS_OF - timedelta(days=rnd.randint(-60, 120)), Decimal(0) if paid else amount, 1, "{}",
                    entity, currency, disputed))
    return out


def load(store: SqlStore, invoices: list[tuple[object, ...]], customers: int) -> None:
    sqlite = store.engine.dialect.name == "sqlite"
    rnd = random.Random(3)
    accounts = [(f"C{c:05d}", 1, "{}", Decimal(rnd.choice(["1", "1", "1", "1", "1.5", "2"])),
                 rnd.choice(["", "", "", "", "", "", "", "", "broken", "standing"]))
                for c in range(customers)]
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            def db(r: tuple[object, ...]) -> tuple[object, ...]:
                due, amount, disputed = r[4], r[5], r[10]
                return (*r[:4], due.isoformat(), int(amount * 10_000), *r[6:10],  # type: ignore[attr-defined, operator]
                        int(disputed * 10_000))  # type: ignore[operator]
            sql = f"INSERT INTO invoices ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            for i in range(0, len(invoices), 20_000):
                cur.executemany(sql, [db(r) for r in invoices[i:i + 20_000]])
            cur.executemany("INSERT INTO accounts (customer_id, version, doc, risk, promise) "
                            "VALUES (?, ?, ?, ?, ?)", [(a[0], a[1], a[2], int(a[3] * 10_000), a[4])
                                                       for a in accounts])
        else:
            with cur.copy(f"COPY invoices ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for r in invoices:
                    copy.write_row(r)
            accounts_copy = "COPY accounts (customer_id, version, doc, risk, promise) FROM STDIN"
            with cur.copy(accounts_copy) as copy:  # type: ignore[attr-defined]
                for a in accounts:
                    copy.write_row(a)
        raw.commit()
        if sqlite:
            cur.execute("ANALYZE")
        else:
            driver = raw.driver_connection
            driver.autocommit = True  # type: ignore[union-attr]
            with driver.cursor() as c:  # type: ignore[union-attr]
                c.execute("VACUUM ANALYZE invoices")
                c.execute("VACUUM ANALYZE accounts")
    finally:
        raw.close()


def timed(label: str, fn: object, runs: int = 3) -> list[float]:
    times = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  {label}: {', '.join(f'{x:.3f}' for x in times)} s ({len(result)} rows; "  # type: ignore[arg-type]
          f"load average {load})")
    return times


def run(url: str, n: int, customers: int, seed: int) -> None:
    store = SqlStore(url)
    t = time.perf_counter()
    invoices = rows(n, customers, seed)
    made = time.perf_counter() - t
    t = time.perf_counter()
    load(store, invoices, customers)
    print(f"{store.engine.dialect.name}: {n:,} invoices ({sum(r[3] == 'open' for r in invoices):,} open), "
          f"{customers:,} accounts; generated in {made:.1f} s, loaded in {time.perf_counter() - t:.1f} s")
    del invoices
    # each entity's business date at 15:00 UTC: Chicago and Toronto are still on 7 December
    as_of = {"US": AS_OF, "CA": AS_OF}

    def aging() -> list[object]:
        with store.unit_of_work() as uow:
            return uow.invoices.aging(as_of, NOW.date())  # type: ignore[return-value]

    def aging_by_entity() -> list[object]:
        with store.unit_of_work() as uow:
            return by_entity(uow.invoices.aging(as_of, NOW.date()))  # type: ignore[return-value]

    def worklist() -> list[object]:
        with store.unit_of_work() as uow:
            return uow.invoices.worklist(as_of, NOW.date(), 100)  # type: ignore[return-value]

    def worklist_us() -> list[object]:
        with store.unit_of_work() as uow:
            return uow.invoices.worklist(as_of, NOW.date(), 100, "US")  # type: ignore[return-value]

    timed("aging per account", aging)
    timed("aging per entity", aging_by_entity)
    timed("worklist, top 100", worklist)
    timed("worklist, top 100 of US", worklist_us)
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fresh-pg", action="store_true",
                    help="create a new PostgreSQL database on --db's server")
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.db, args.fresh_pg, Path(tmp)) as url:
        run(url, args.invoices, args.customers, args.seed)


if __name__ == "__main__":
    main()
