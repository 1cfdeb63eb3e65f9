"""Durable timers: schedule many due timers, then fire them all through the real claim
and fire path (claim a batch with FOR UPDATE SKIP LOCKED, mark it fired, dispatch a
FireTimer command per timer through the message bus as o2c itself, commit).

    python benchmarks/timers.py                         # PostgreSQL (a fresh database), 100,000 timers
    python benchmarks/timers.py --batch 2000 --timers 100000
    python benchmarks/timers.py --db sqlite             # a temporary SQLite file

The timers are of the ``noop`` kind: firing one decides nothing, so what is measured is
the timer machinery itself (the claim, the conditional update, the bus, the commit),
not what an escalation records.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from lifecycle import bench_database  # noqa: E402  (the same throwaway PostgreSQL databases)

from o2c.adapters.runtime_parts import SimClock  # noqa: E402
from o2c.bootstrap import bootstrap  # noqa: E402
from o2c.domain.timers import Timer, TimerKind  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 2, 2, 8, tzinfo=UTC)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=PG, help=f"a PostgreSQL server URL (a fresh database is made on it; "
                                             f"default {PG}), or 'sqlite' for a temporary SQLite file")
    ap.add_argument("--timers", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000, help="timers fired per transaction")
    ap.add_argument("--schedule-chunk", type=int, default=10_000, help="timers scheduled per transaction")
    args = ap.parse_args()
    sqlite = args.db == "sqlite"
    with tempfile.TemporaryDirectory() as tmp, \
            bench_database(None if sqlite else args.db, not sqlite, Path(tmp)) as url:
        clock = SimClock(T0)
        app = bootstrap(url, clock=clock)
        n = args.timers
        started = time.perf_counter()
        for first in range(0, n, args.schedule_chunk):
            with app.store.unit_of_work() as uow:
                for i in range(first, min(n, first + args.schedule_chunk)):
                    uow.timers.schedule(Timer(timer_id=f"bench:{i:07d}", kind=TimerKind.NOOP,
                                              due_at=T0 + timedelta(milliseconds=i), subject=f"S{i}",
                                              correlation_id=f"O{i % 5000}", payload={"n": str(i)}))
                uow.commit()
        scheduled = time.perf_counter() - started
        clock.set(T0 + timedelta(days=1))  # every one of them is due
        service = app.timer_service(batch=args.batch)
        started = time.perf_counter()
        fired = service.fire_due()
        firing = time.perf_counter() - started
        left = service.next_due()
        app.close()
    where = "SQLite" if sqlite else "PostgreSQL"
    print(f"{where}: scheduled {n:,} timers in {scheduled:.2f} s ({n / scheduled:,.0f}/s, "
          f"{args.schedule_chunk:,} per transaction)")
    print(f"{where}: fired {fired:,} due timers in {firing:.2f} s ({fired / firing:,.0f}/s, "
          f"batches of {args.batch:,}); left scheduled: {'none' if left is None else left}")
    print(f"{where}: schedule + fire {scheduled + firing:.2f} s (target: under 10 s for 100,000)")
    if fired != n or left is not None:
        sys.exit(f"expected every one of {n:,} timers fired once, fired {fired:,}")


if __name__ == "__main__":
    main()
