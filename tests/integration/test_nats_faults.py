"""NATS faults: the server itself killed (SIGKILL) and started again mid-stream
under a running worker, and a poison message, on SQLite and PostgreSQL. Every
message JetStream stored is applied or parked exactly once.

The restart test runs a NATS server of its own (``nats-server`` from the
machine's packages) on a free port with its own JetStream directory, so killing
it touches nothing else."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest

from o2c.adapters.nats import run_worker
from tests.integration.test_nats import (
    Names,
    Published,
    events_per_order,
    eventually,
    given_distributor,
    inbox_rows,
    one_order_events,
    order,
    publish,
    start_worker,
    stream_messages,
)

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateNats:
    """A nats-server with JetStream on a loopback port of its own."""

    def __init__(self, store_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.store_dir = store_dir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js",
                                      "-sd", str(self.store_dir)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                assert time.monotonic() < deadline, "nats-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    if not Path(NATS_SERVER).exists():
        pytest.skip(f"no nats-server at {NATS_SERVER}")
    server = PrivateNats(tmp_path / "jetstream")
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.kill()


def names() -> Names:
    tag = secrets.token_hex(4)
    return Names(in_stream=f"O2C_F{tag}_IN", in_root=f"o2cf{tag}.in", durable=f"worker-{tag}",
                 out_stream=f"O2C_F{tag}_OUT", out_root=f"o2cf{tag}.out")


def backlog(url: str, n: Names) -> int:
    """Messages the worker's consumer has yet to deliver or to see acknowledged."""
    async def go() -> int:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().consumer_info(n.in_stream, n.durable)
        finally:
            await nc.close()
        return int(info.num_pending + info.num_ack_pending)
    return asyncio.run(go())


@pytest.mark.slow
def test_the_nats_server_killed_and_restarted_mid_stream_loses_nothing_and_applies_nothing_twice(
        sql_store: Any, private_nats: PrivateNats, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.integration.test_nats as transport

    monkeypatch.setattr(transport, "NATS_URL", private_nats.url)  # the worker and helpers use it
    given_distributor(sql_store)
    db = sql_store.url.render_as_string(hide_password=False)
    n = names()
    first, second = [order(i) for i in range(200)], [order(i) for i in range(200, 400)]
    publish(private_nats.url, n, first)
    worker = start_worker(db, n, tmp_path / "outcomes.jsonl", batch=20, slow_commit=0.05)
    applied = lambda: len(inbox_rows(sql_store))  # noqa: E731
    eventually(lambda: applied() >= 50, 60, "the worker to apply a quarter of the stream")

    # When the server dies under the worker and comes back on the same port and store,
    private_nats.kill()
    time.sleep(1.0)
    private_nats.start()
    publish(private_nats.url, n, second)

    # then the worker reconnects and every message stored in JetStream is applied once.
    # (A killed server may forget that acknowledged messages were deleted, so the
    # stream's count is no measure here; the consumer's backlog is.)
    eventually(lambda: applied() == 400 and backlog(private_nats.url, n) == 0, 120,
               lambda: f"the worker to finish after the restart ({applied()} of 400)")
    worker.send_signal(signal.SIGTERM)
    try:
        code = worker.wait(timeout=90)  # a drain after a reconnect may take the client's 30 s
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        code = None
    assert code == 0, worker.stderr.read() if worker.stderr else ""
    rows = inbox_rows(sql_store)
    assert {st for _, _, st in rows} == {"applied"} and len(rows) == 400
    per_order = events_per_order(sql_store)
    assert len(per_order) == 400 and all(c == one_order_events() for c in per_order.values())


def test_a_poison_message_over_nats_is_parked_at_once_and_holds_back_nothing(
        sql_store: Any, private_nats: PrivateNats) -> None:
    h = given_distributor(sql_store)
    n = names()
    good = order(1)
    poison = Published("edi-van.order", json.dumps(json.loads(good.body) | {"po_number": "PO-X"})[:-1]
                       + "\x00}", {"O2c-Source-Message-Id": "edi-van-nul", "Nats-Msg-Id": "edi-van-nul"})
    publish(private_nats.url, n, [poison, good])

    async def drain() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(
            h.app, private_nats.url, stop_event=stop, batch=10,
            inbound={**n.inbound(), "ack_wait": 1.0, "retry_delay": 0.5}, outbound=n.outbound()))
        deadline = time.monotonic() + 30
        while len(inbox_rows(sql_store)) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 30)

    asyncio.run(drain())
    statuses = {m: st for _, m, st in inbox_rows(sql_store)}
    assert statuses == {"edi-van-nul": "dead_lettered", "edi-van-1": "applied"}
    [letter] = h.dead_letters()
    assert "NUL character at position" in letter.reason
    assert stream_messages(private_nats.url, n.in_stream) == 0, "acknowledged, not redelivered forever"
