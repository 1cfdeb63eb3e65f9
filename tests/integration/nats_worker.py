"""A worker process for the NATS kill test: ``run_worker`` on a SQLite file.

    python -m tests.integration.nats_worker --db URL --nats URL --names JSON
        [--batch N] [--outcomes FILE] [--die-after-commit N] [--slow-commit SECONDS]

SIGTERM stops it gracefully (the batch in hand is finished and the connection
drained). ``--die-after-commit N`` makes it SIGKILL itself right after its
N-th inbound batch commits and before that batch is acknowledged: the exact
window in which a crash leaves JetStream to redeliver messages the inbox
already holds. ``--outcomes`` appends the status of every acknowledged
message, one JSON line per batch, so the test can see the redeliveries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from o2c.adapters.nats import run_worker
from o2c.bootstrap import bootstrap
from o2c.engine.runtime import Outcome


class _DiesAfterCommit:
    """A unit of work that kills its process once the N-th commit returned, or
    (``pause``) that takes a while after each commit, as a slow database would,
    so that a kill from outside lands mid-stream whatever the machine's speed."""

    commits = 0

    def __init__(self, inner: Any, after: int, pause: float = 0.0) -> None:
        self._inner, self._after, self._pause = inner, after, pause

    def __enter__(self) -> Any:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def commit(self) -> None:
        self._inner.commit()
        _DiesAfterCommit.commits += 1
        if _DiesAfterCommit.commits == self._after:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(self._pause)


def _outcome_log(path: str | None) -> Callable[[Sequence[Outcome]], None] | None:
    if path is None:
        return None

    def log(outcomes: Sequence[Outcome]) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps([o.status.value for o in outcomes]) + "\n")

    return log


async def main(args: argparse.Namespace) -> None:
    names = json.loads(args.names)
    app = bootstrap(args.db)
    if args.die_after_commit or args.slow_commit:
        factory = app.runtime.uow_factory
        app.runtime.uow_factory = lambda: _DiesAfterCommit(factory(), args.die_after_commit,
                                                           args.slow_commit)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await run_worker(app, args.nats, stop_event=stop, batch=args.batch,
                         inbound={"stream": names["in_stream"], "subject_root": names["in_root"],
                                  "durable": names["durable"], "ack_wait": 1.0, "retry_delay": 0.5,
                                  "on_batch": _outcome_log(args.outcomes)},
                         outbound={"stream": names["out_stream"], "subject_root": names["out_root"]})
    finally:
        app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--nats", required=True)
    parser.add_argument("--names", required=True,
                        help="JSON: in_stream, in_root, durable, out_stream, out_root")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--outcomes")
    parser.add_argument("--die-after-commit", type=int, default=0)
    parser.add_argument("--slow-commit", type=float, default=0.0)
    asyncio.run(main(parser.parse_args()))
