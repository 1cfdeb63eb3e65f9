"""Benchmark of the EDI maps: parse + validate + map generated 850 purchase orders, one core.

Run from the repository root: ``python benchmarks/edi.py [--documents N] [--seed S] [--profile]``.
Documents are generated deterministically (seeded ``random.Random``, fixed timestamp): each is
a complete interchange from one trading partner holding one 850 of 5-50 PO1 lines with CUR,
REF, DTM, N1/N3/N4, ITD, PID and CTT.  Figures, best of ``--repeat`` runs taken round-robin:

* ``parse``: the codec alone (envelope validation included), the floor;
* ``parse + map_850``: the codec, then the 850 map on every set;
* ``read_interchange, no model``: the whole inbound path - partner lookup, map, 997 verdict
  and 997 set - without checking payloads against ``OrderIn`` (``validate=False``, for a
  runtime that validates the body anyway when it translates it to a command);
* ``read_interchange``: the same with the pydantic ``OrderIn`` check (the default);
* ``... one interchange``: every order in one interchange, as a VAN batch file delivers them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from edi_codec import best_of, cpu_model  # the same timing helpers, one copy

from o2c.adapters.edi import build_interchange, parse, write
from o2c.adapters.edi.maps import PartnerDirectory, map_850, read_interchange

_AT = datetime(2024, 3, 1, 9, 30)
_UOMS = ("EA", "CA", "BX", "PK", "DZ")
DIRECTORY = PartnerDirectory.from_mapping(
    {
        "partners": [
            {
                "partner_id": "buyer",
                "isa_qualifier": "ZZ",
                "isa_id": "BUYER",
                "our_isa_id": "DISTRIBUTOR",
                "legal_entity_id": "LE-US",
                "customer_id": "C-BUYER",
                "inbound": ["850"],
                "product_qualifiers": ["VN", "VP"],
                "uom_map": {"CA": "CS", "EA": "EA", "BX": "BX", "PK": "PK", "DZ": "DZ"},
            }
        ]
    }
)
BUYER = DIRECTORY.get("buyer")


def _order(rng: random.Random, n: int) -> list[tuple[str, ...]]:
    lines = rng.randint(5, 50)
    segs: list[tuple[str, ...]] = [
        ("BEG", "00", "SA", f"PO{n:08d}", "", "20240301"),
        ("CUR", "BY", "USD"),
        ("REF", "DP", f"{rng.randint(1, 999):03d}"),
        ("DTM", "002", "20240315"),
        ("N1", "ST", f"STORE {rng.randint(1, 500)}", "92", f"{rng.randint(1, 99999):05d}"),
        ("N3", f"{rng.randint(1, 9999)} MAIN STREET"),
        ("N4", "SPRINGFIELD", "IL", f"{rng.randint(60000, 62999)}"),
        ("ITD", "08", "3", "2", "", "10", "", "30"),
    ]
    total = 0
    for i in range(1, lines + 1):
        qty = rng.randint(1, 500)
        total += qty
        price = f"{rng.randint(50, 99999) / 100:.2f}"
        sku = f"SKU{rng.randint(1, 10**6):07d}"
        segs.append(("PO1", str(i), str(qty), rng.choice(_UOMS), price, "PE", "VN", sku, "BP", f"B{i}"))
        segs.append(("PID", "F", "", "", "", f"ITEM {rng.randint(1, 10**5)}"))
    segs.append(("CTT", str(lines), str(total)))
    return segs


def generate(count: int, seed: int) -> tuple[list[bytes], bytes]:
    """``count`` single-order interchanges, and the same orders batched in one interchange."""
    rng = random.Random(seed)
    orders = [_order(rng, n) for n in range(1, count + 1)]
    docs = [
        write(
            build_interchange(
                "BUYER", "DISTRIBUTOR", n, at=_AT, groups=[("PO", "004010", n, [("850", n, segs)])]
            ),
            newline=True,
        ).encode("ascii")
        for n, segs in enumerate(orders, 1)
    ]
    sets = [("850", n, segs) for n, segs in enumerate(orders, 1)]
    batch = build_interchange("BUYER", "DISTRIBUTOR", 1, at=_AT, groups=[("PO", "004010", 1, sets)])
    return docs, write(batch, newline=True).encode("ascii")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--documents", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="print where read_interchange spends its time")
    args = ap.parse_args()
    assert BUYER is not None

    docs, batch = generate(args.documents, args.seed)
    size = sum(len(d) for d in docs)

    def check(messages: int) -> None:
        if messages != len(docs):
            raise SystemExit(f"expected {len(docs)} orders, mapped {messages}")

    def parse_only() -> None:
        check(sum(len(parse(d).transaction_sets()) for d in docs))

    def parse_and_map() -> None:
        check(sum(map_850(ts, BUYER).ok for d in docs for ts in parse(d).transaction_sets()))

    def inbound(validate: bool) -> Callable[[], None]:
        return lambda: check(
            sum(len(read_interchange(d, DIRECTORY, validate=validate).messages) for d in docs)
        )

    def batched() -> None:
        check(len(read_interchange(batch, DIRECTORY).messages))

    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(inbound(True))
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)
        return

    print(
        f"python {platform.python_version()} on {cpu_model()} ({os.cpu_count()} cores), "
        f"one core, best of {args.repeat} runs"
    )
    print(f"{len(docs)} interchanges of one 850 (5-50 PO1 lines), {size / 1e6:.2f} MB")
    cases = (
        ("parse", parse_only, size),
        ("parse + map_850", parse_and_map, size),
        ("read_interchange, no model", inbound(False), size),
        ("read_interchange", inbound(True), size),
        ("read_interchange, one interchange", batched, len(batch)),
    )
    # Round robin: run k of every case before run k+1 of any, so that a slow spell of a shared
    # machine costs each case the same instead of all the runs of whichever case it hits.
    best = [float("inf")] * len(cases)
    for _ in range(args.repeat):
        for i, (_label, fn, _nbytes) in enumerate(cases):
            best[i] = min(best[i], best_of(1, fn))
    for (label, _fn, nbytes), t in zip(cases, best, strict=True):
        print(f"{label:<36} {len(docs) / t:9,.0f} sets/s  {nbytes / 1e6 / t:6.1f} MB/s")


if __name__ == "__main__":
    main()
