"""Master data files through ``o2c master load``: rows per second and the peak memory of the process.

    python benchmarks/master.py                         # SQLite (temp file), 10,000 customers, 100,000 prices
    python benchmarks/master.py --customers 100000 --agreements 1000000 \\
        --db postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-pg

A directory of files in the default layouts is written first (not timed): one legal entity,
two warehouses, ``--products`` products, ``--customers`` customers (one ship-to each, one in
ten a member of a group) and ``--agreements`` price agreement rows (one per agreement, spread
over the customers and products, one in five with a quantity break row of its own). It is then
loaded by the real command in a subprocess (``o2c master load DIR --db ...``), which reports
its peak resident set size as it exits (``VmHWM``; see ``big_file.py`` for why not
``RUSAGE_CHILDREN``). Rows per second count every data row of every file over the command's
wall time. Afterwards the database is checked: every record is in master data, and a second
load of the same directory changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from big_file import INGEST  # noqa: E402  (o2c's CLI, reporting its peak RSS at exit)
from lifecycle import bench_database  # noqa: E402  (the same throwaway PostgreSQL databases)


def write_files(folder: Path, customers: int, agreements: int, products: int, seed: int) -> int:
    """The directory to load; returns how many data rows its files hold."""
    rng = random.Random(seed)
    rows = 0

    def table(name: str, header: list[str], body: object) -> None:
        nonlocal rows
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for r in body:  # type: ignore[attr-defined]
                w.writerow(r)
                rows += 1

    table("legal_entities", ["entity_id", "name", "currency", "tax_jurisdiction", "tax_rate",
                             "invoice_prefix", "timezone"],
          [["US01", "Bench Supply Inc.", "USD", "US-OH", "0.0725", "US01", "America/New_York"]])
    table("warehouses", ["warehouse_id", "legal_entity_id", "name", "region", "timezone"],
          [["COL", "US01", "Columbus", "OH", "America/New_York"],
           ["RNO", "US01", "Reno", "NV", "America/Los_Angeles"]])
    table("products", ["product_id", "description", "base_uom", "units", "currency", "list_price",
                       "floor_price"],
          ([f"P{i:05d}", f"Item {i}", "EA", "CS=12", "USD", f"{rng.randint(100, 9000) / 100:.2f}",
            ""] for i in range(products)))
    heads = max(1, customers // 10)

    def customer_rows() -> object:
        for i in range(customers):
            cid = f"C{i:06d}"
            parent = f"C{i % heads:06d}" if i >= heads and i % 10 == 0 else ""
            yield [cid, "US01", f"Customer {i}", parent, "2/10 net 30" if i % 3 else "net 30",
                   f"{rng.randint(5, 500) * 1000}.00", "USD", "on_ship", "yes" if i % 2 else "no",
                   "COL" if i % 2 else "RNO", f"{cid}-1", "Dayton", "OH", "45402", "US"]

    table("customers", ["customer_id", "legal_entity_id", "name", "parent_id", "payment_terms",
                        "credit_limit", "currency", "billing_trigger", "accepts_partial",
                        "home_warehouse_id", "ship_to_id", "city", "region", "postal_code",
                        "country"], customer_rows())

    def agreement_rows() -> object:
        n = 0
        i = 0
        while n < agreements:
            cid = f"C{i % customers:06d}"
            pid = f"P{(i // customers + i * 7) % products:05d}"
            price = f"{rng.randint(100, 9000) / 100:.2f}"
            yield [f"PA-{i:07d}", cid, pid, "USD", price, "2026-01-01", "", "", ""]
            n += 1
            if i % 5 == 0 and n < agreements:
                yield [f"PA-{i:07d}", "", "", "", "", "", "", "120", price]
                n += 1
            i += 1

    table("price_agreements", ["agreement_id", "customer_id", "product_id", "currency", "price",
                               "valid_from", "valid_to", "min_quantity", "break_price"],
          agreement_rows())
    return rows


def count(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    try:
        with eng.connect() as c:
            return {t: int(c.execute(text(f"select count(*) from {t}")).scalar_one())
                    for t in ("customers", "products", "price_agreements", "inbox", "events",
                              "dead_letters")}
    finally:
        eng.dispose()


def load(folder: Path, url: str) -> tuple[float, float, int, str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cmd = [sys.executable, "-c", INGEST, "master", "load", str(folder), "--db", url]
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - t
    reported = re.search(rb"VmHWM (\d+) kB", done.stderr)
    peak = int(reported.group(1)) / 1024 if reported else float("nan")
    return elapsed, peak, done.returncode, (done.stdout + done.stderr).decode()[-3000:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fresh-pg", action="store_true",
                    help="create a new PostgreSQL database on --db's server")
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--agreements", type=int, default=100_000, help="price agreement rows")
    ap.add_argument("--products", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.db, args.fresh_pg, Path(tmp)) as url:
        folder = Path(tmp) / "master"
        folder.mkdir()
        t = time.perf_counter()
        rows = write_files(folder, args.customers, args.agreements, args.products, args.seed)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"files written in {time.perf_counter() - t:.1f} s: {rows:,} rows, {size:.1f} MB")
        elapsed, peak, rc, out = load(folder, url)
        if rc != 0:
            raise SystemExit(f"o2c master load failed ({rc}):\n{out}")
        print(f"o2c master load: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s, peak RSS {peak:,.0f} MB")
        found = count(url)
        print("   " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
        if (found["customers"], found["products"], found["dead_letters"]) != (
                args.customers, args.products, 0):
            raise SystemExit(f"not everything was loaded: {found}")
        again, peak2, rc, out = load(folder, url)
        if rc != 0 or "already loaded" not in out:
            raise SystemExit(f"the second load was not a no-op ({rc}):\n{out}")
        print(f"again: {again:.1f} s (every file already loaded), peak RSS {peak2:,.0f} MB")


if __name__ == "__main__":
    main()
