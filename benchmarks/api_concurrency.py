"""Does a big order stall the API? A real ``o2c serve`` (uvicorn, its own
process) takes one order of ``--lines`` lines while this script times
``GET /orders/{id}`` of another order every ``--every`` seconds.

    python benchmarks/api_concurrency.py                 # SQLite (temp file), 10,000 lines
    python benchmarks/api_concurrency.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-pg

It prints the POST's time and the GETs answered while it ran: how many, the
median, p99 and the slowest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from lifecycle import T0, bench_database, order_msgs, seed_master

from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import App, bootstrap
from o2c.domain.holds import Role
from o2c.store import identities


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, lines: int) -> tuple[str, dict, dict[str, str]]:
    """Master data and stock, one small order to read; returns its id, the big order's body
    and the header of an API key to send them with."""
    app = bootstrap(url, clock=SimClock(T0), ids=SeededIds(7))
    seed_master(app, stock_each=10 * lines)
    rng = random.Random(7)
    probe = order_msgs(rng, 0, 1, lines=3)
    order_id = app.runtime.submit(probe)[0].correlation_id
    key = credential(app)
    app.close()
    assert order_id, "the probe order was not applied"
    big = json.loads(order_msgs(rng, 1, 1, lines=lines)[0].body)
    return order_id, big, key


def credential(app: App) -> dict[str, str]:
    """An API key that may place orders, made by a throwaway first admin."""
    if identities.has_users(app.store):
        raise SystemExit("the database has users already: give a fresh one")
    now = app.clock.now()
    identities.add_user(app.store, "bench", secrets.token_urlsafe(24), roles=[Role.ADMIN], entities=None,
                        at=now, by=None)
    admin = identities.actor_for_user(app.store, "bench", now)
    _, secret = identities.create_key(app.store, "bench", roles=[Role.CUSTOMER_SERVICE], entities=None,
                                      at=now, by=admin)
    return {"X-API-Key": secret}


def serve(url: str, port: int, lines: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "O2C_MAX_LINES_PER_ORDER": str(lines)}
    return subprocess.Popen(
        [sys.executable, "-c", "from o2c.cli import main; main()", "serve", "--db", url, "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(base: str, order_id: str, big: dict, every: float,
            key: dict[str, str]) -> tuple[float, int, list[float]]:
    with httpx.Client(base_url=base, timeout=120, headers=key) as reader:
        deadline = time.monotonic() + 60
        while True:
            try:
                if reader.get(f"/orders/{order_id}").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer within 60 s")
            time.sleep(0.1)
        posted: dict[str, float | int] = {}

        def post() -> None:
            t = time.perf_counter()
            with httpx.Client(base_url=base, timeout=600, headers=key) as writer:
                r = writer.post("/orders", json=big, headers={"Idempotency-Key": str(uuid.uuid4())})
            posted.update(status=r.status_code, seconds=time.perf_counter() - t)

        thread = threading.Thread(target=post)
        thread.start()
        latencies = []
        while thread.is_alive():
            t = time.perf_counter()
            r = reader.get(f"/orders/{order_id}")
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
            time.sleep(every)
        thread.join()
    if posted["status"] not in (200, 201):
        raise SystemExit(f"the big order was answered {posted['status']}")
    return float(posted["seconds"]), int(posted["status"]), latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fresh-pg", action="store_true", help="a new PostgreSQL database on --db's server")
    ap.add_argument("--lines", type=int, default=10_000, help="lines of the big order")
    ap.add_argument("--every", type=float, default=0.02, help="seconds between GETs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.db, args.fresh_pg, Path(tmp)) as url:
        order_id, big, key = prepare(url, args.lines)
        port = free_port()
        server = serve(url, port, args.lines)
        try:
            seconds, status, latencies = measure(f"http://127.0.0.1:{port}", order_id, big, args.every, key)
        finally:
            server.terminate()
            server.wait(30)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    backend = url.split(":", 1)[0]
    print(f"{backend}: POST of a {args.lines}-line order answered {status} in {seconds:.2f} s; "
          f"{len(ms)} concurrent GETs: median {ms[len(ms) // 2]:.0f} ms, p99 {p99:.0f} ms, "
          f"max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
