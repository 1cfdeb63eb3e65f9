"""Benchmark of the X12 codec: parse + envelope validation of generated 850 purchase orders.

Run from the repository root: ``python benchmarks/edi_codec.py [--documents N] [--seed S]``.
Documents are generated deterministically (seeded ``random.Random``, fixed timestamp), each a
complete interchange holding one 850 of 5-50 PO1 lines, then parsed one by one on one core.
A second figure parses the same sets packed into a single interchange (a VAN batch file).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from o2c.adapters.edi import build_interchange, parse, write

_AT = datetime(2024, 3, 1, 9, 30)
_UOMS = ("EA", "CA", "BX", "PK", "DZ")


def _order(rng: random.Random, n: int) -> list[tuple[str, ...]]:
    po = f"PO{n:08d}"
    lines = rng.randint(5, 50)
    segs: list[tuple[str, ...]] = [
        ("BEG", "00", "SA", po, "", "20240301"),
        ("CUR", "BY", "USD"),
        ("REF", "DP", f"{rng.randint(1, 999):03d}"),
        ("DTM", "002", "20240315"),
        ("N1", "ST", f"STORE {rng.randint(1, 500)}", "92", f"{rng.randint(1, 99999):05d}"),
        ("N3", f"{rng.randint(1, 9999)} MAIN STREET"),
        ("N4", "SPRINGFIELD", "IL", f"{rng.randint(60000, 62999)}"),
    ]
    total = 0.0
    for i in range(1, lines + 1):
        qty = rng.randint(1, 500)
        price = rng.randint(50, 99999) / 100
        total += qty * price
        uom = rng.choice(_UOMS)
        segs.append(
            ("PO1", str(i), str(qty), uom, f"{price:.2f}", "PE", "VN", f"SKU{rng.randint(1, 10**6):07d}")
        )
        segs.append(("PID", "F", "", "", "", f"ITEM {rng.randint(1, 10**5)}"))
    segs.append(("CTT", str(lines)))
    segs.append(("AMT", "TT", f"{total:.2f}"))
    return segs


def generate(count: int, seed: int) -> tuple[list[bytes], bytes]:
    """``count`` single-order interchanges, and the same orders batched in one interchange."""
    rng = random.Random(seed)
    orders = [_order(rng, n) for n in range(1, count + 1)]
    docs = []
    for n, segs in enumerate(orders, 1):
        ic = build_interchange(
            "BUYER", "DISTRIBUTOR", n, at=_AT, groups=[("PO", "004010", n, [("850", n, segs)])]
        )
        docs.append(write(ic, newline=True).encode("ascii"))
    batch = build_interchange(
        "BUYER",
        "DISTRIBUTOR",
        1,
        at=_AT,
        groups=[("PO", "004010", 1, [("850", n, segs) for n, segs in enumerate(orders, 1)])],
    )
    return docs, write(batch, newline=True).encode("ascii")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def best_of(repeat: int, fn: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    docs, batch = generate(args.documents, args.seed)
    size = sum(len(d) for d in docs)
    segments = sum(d.count(b"\n") for d in docs)

    def one_by_one() -> None:
        for d in docs:
            r = parse(d)
            if not r.ok:
                raise SystemExit(f"unexpected errors: {r.errors[:3]}")

    def batched() -> None:
        r = parse(batch)
        if not r.ok or len(r.transaction_sets()) != len(docs):
            raise SystemExit(f"unexpected errors: {r.errors[:3]}")

    t_docs = best_of(args.repeat, one_by_one)
    t_batch = best_of(args.repeat, batched)
    mb = size / 1e6
    print(
        f"python {platform.python_version()} on {cpu_model()} ({os.cpu_count()} cores), "
        "measured on one core, best of --repeat runs"
    )
    print(f"{len(docs)} documents (850, 5-50 PO1 lines), {segments} segments, {mb:.2f} MB")
    print(
        f"one interchange per document: {len(docs) / t_docs:10,.0f} sets/s"
        f"  {mb / t_docs:6.1f} MB/s  {segments / t_docs:12,.0f} segments/s"
    )
    print(
        f"all sets in one interchange:  {len(docs) / t_batch:10,.0f} sets/s"
        f"  {len(batch) / 1e6 / t_batch:6.1f} MB/s"
    )


if __name__ == "__main__":
    main()
