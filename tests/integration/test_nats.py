"""The NATS JetStream transport against a real server: every message that
JetStream stored is applied or dead-lettered exactly once, through crashes,
redeliveries and duplicates; the outbox reaches ``o2c.out.>`` once per row.

Each test uses its own streams, durable consumer and subject roots (deleted at
the end), so it collides with nothing else on the server. Without a server at
``O2C_TEST_NATS_URL`` (default ``nats://127.0.0.1:4222``) the tests are skipped,
or fail when ``CI`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy import func, select

from o2c.adapters.nats import (
    NatsInbound,
    NatsOutbox,
    ensure_stream,
    inbound_stream,
    run_worker,
)
from o2c.store.tables import events, inbox, outbox
from tests.builders import Harness, customer, seed

NATS_URL = os.environ.get("O2C_TEST_NATS_URL", "nats://127.0.0.1:4222")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Names:
    """Streams, consumer and subject roots of one test."""

    in_stream: str
    in_root: str
    durable: str
    out_stream: str
    out_root: str

    def inbound(self, **kw: Any) -> dict[str, Any]:
        return {"stream": self.in_stream, "subject_root": self.in_root, "durable": self.durable, **kw}

    def outbound(self) -> dict[str, Any]:
        return {"stream": self.out_stream, "subject_root": self.out_root}


@pytest.fixture(scope="session")
def nats_url() -> str:
    async def reachable() -> None:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0,
                                allow_reconnect=False)
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    try:
        asyncio.run(reachable())
    except Exception as e:
        reason = (f"NATS with JetStream is not reachable at {NATS_URL} (set O2C_TEST_NATS_URL to "
                  f"point elsewhere): {type(e).__name__}: {e}")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return NATS_URL


@pytest.fixture
def names(nats_url: str) -> Iterator[Names]:
    tag = secrets.token_hex(4)
    given = Names(in_stream=f"O2C_T{tag}_IN", in_root=f"o2ct{tag}.in", durable=f"worker-{tag}",
                  out_stream=f"O2C_T{tag}_OUT", out_root=f"o2ct{tag}.out")
    yield given

    async def delete() -> None:
        nc = await nats.connect(nats_url)
        for stream in (given.in_stream, given.out_stream):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await nc.jetstream().delete_stream(stream)
        await nc.close()

    asyncio.run(delete())


# ---------------------------------------------------------------- builders


@dataclass(frozen=True)
class Published:
    subject: str
    body: str | bytes
    headers: dict[str, str]


def order(i: int, *, source: str = "edi-van", po: str | None = None) -> Published:
    body = {"legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1",
            "po_number": po or f"PO-{i:05d}", "channel": "edi", "currency": "USD",
            "order_date": "2026-03-02",
            "lines": [{"line_no": 1, "product_id": "P1", "quantity": "10", "uom": "EA"}]}
    return Published(f"{source}.order", json.dumps(body),
                     {"O2c-Source-Message-Id": f"{source}-{i}", "Nats-Msg-Id": f"{source}-{i}"})


def stock_receipt(i: int, source: str = "wms-columbus") -> Published:
    body = {"warehouse_id": "W1", "product_id": "P1", "quantity": "100", "reference": f"RCPT-{i}"}
    return Published(f"{source}.stock_receipt", json.dumps(body),
                     {"O2c-Source-Message-Id": f"{source}-{i}", "Nats-Msg-Id": f"{source}-{i}",
                      "O2c-Received-At": "2026-03-02T10:00:00+00:00"})


def exact_copy(p: Published, n: int) -> Published:
    """The same source message sent again; a new Nats-Msg-Id, so JetStream keeps
    it and it is the inbox that must recognise it."""
    return Published(p.subject, p.body, {**p.headers, "Nats-Msg-Id": f"copy-{n}-{p.headers['Nats-Msg-Id']}"})


def publish(url: str, names: Names, messages: list[Published]) -> None:
    """Publish as a source system would, to the stream the worker will read."""

    async def go() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream()
        await ensure_stream(js, inbound_stream(names.in_stream, names.in_root))
        root = names.in_root
        futures = [await js.publish_async(f"{root}.{m.subject}",
                                          m.body if isinstance(m.body, bytes) else m.body.encode(),
                                          headers=dict(m.headers))
                   for m in messages]
        await asyncio.gather(*futures)
        await nc.close()

    asyncio.run(go())


def given_distributor(store: Any) -> Harness:
    """Customer C1 with ample credit and stock, so every order takes the same
    path (received, validated, credit approved, allocated, released) in
    whatever order the messages happen to be applied."""
    h = Harness(store=store)
    seed(h.app, customer("C1", limit="100000000"))
    h.stock("P1", "10000000")
    return h


def one_order_events() -> Counter[str]:
    """The events a single application of one order gives."""
    h = given_distributor(None)
    done = h.order(po="PO-REF")
    return Counter(e.type for e in h.events(done.correlation_id))


def inbox_rows(store: Any) -> list[Any]:
    """What came in over NATS (the harness seeds its stock as source ``test``)."""
    with store.engine.connect() as c:
        return list(c.execute(select(inbox.c.source, inbox.c.source_message_id, inbox.c.status)
                              .where(inbox.c.source != "test")))


def events_per_order(store: Any) -> dict[str, Counter[str]]:
    per: dict[str, Counter[str]] = {}
    with store.engine.connect() as c:
        for corr, type_ in c.execute(select(events.c.correlation_id, events.c.type)
                                     .where(events.c.correlation_id.like("SO-%"))):
            per.setdefault(corr, Counter())[type_] += 1
    return per


def stream_messages(url: str, stream: str) -> int:
    async def go() -> int:
        nc = await nats.connect(url)
        info = await nc.jetstream().stream_info(stream)
        await nc.close()
        return info.state.messages

    return asyncio.run(go())


def eventually(check: Callable[[], bool], timeout: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            waiting_for = what if isinstance(what, str) else what()
            raise AssertionError(f"timed out after {timeout}s waiting for {waiting_for}")
        time.sleep(0.05)


async def run_until(app: Any, names: Names, done: Callable[[], bool], *, batch: int = 500,
                    **inbound: Any) -> None:
    """Run a worker in this process until ``done()``, then stop it gracefully."""
    stop = asyncio.Event()

    async def watch() -> None:
        deadline = time.monotonic() + 30
        while not await asyncio.to_thread(done):
            assert time.monotonic() < deadline, "the worker did not finish in 30 s"
            await asyncio.sleep(0.05)
        stop.set()

    await asyncio.gather(run_worker(app, NATS_URL, stop_event=stop, batch=batch,
                                    inbound=names.inbound(**inbound), outbound=names.outbound()),
                         watch())


# ---------------------------------------------------------------- tests


def test_every_message_lands_in_the_inbox_once_and_the_orders_exist(sqlite_store, names: Names) -> None:
    h = given_distributor(sqlite_store)
    orders = [order(i) for i in range(280)]
    receipts = [stock_receipt(i) for i in range(20)]
    copies = [exact_copy(orders[i], 1) for i in (0, 7, 99)]
    no_id = Published("edi-van.order", orders[1].body, {"Nats-Msg-Id": "no-source-id"})
    publish(NATS_URL, names, [*orders, *receipts, *copies, no_id])

    asyncio.run(run_until(h.app, names, lambda: len(inbox_rows(sqlite_store)) == 301))

    rows = inbox_rows(sqlite_store)
    by_key = {(s, m): st for s, m, st in rows}
    assert len(by_key) == len(rows) == 301
    for p in [*orders, *receipts]:
        source = p.subject.split(".")[0]
        assert by_key[(source, p.headers["O2c-Source-Message-Id"])] == "applied"
    [(key, status)] = [(k, st) for k, st in by_key.items() if k[1].startswith("nats:")]
    assert status == "dead_lettered"
    [letter] = h.dead_letters()
    assert (letter.source, letter.source_message_id) == key
    assert "O2c-Source-Message-Id header" in letter.reason and letter.body == orders[1].body
    per_order = events_per_order(sqlite_store)
    assert len(per_order) == 280
    once = one_order_events()
    assert all(c == once for c in per_order.values())
    assert stream_messages(NATS_URL, names.in_stream) == 0  # work queue: all acknowledged


def test_files_over_nats_are_stored_whole_split_and_their_bad_parts_parked(sqlite_store, names) -> None:
    from o2c.adapters.documents import Integrations
    from tests.unit.test_documents import CONFIG

    h = given_distributor(sqlite_store)
    csv_file = ("Account;PO;Item;Qty;Unit;ShipTo\r\n"
                "C1;PO-N1;P1;12,5;EA;C1-ST1\r\n"
                "C1;PO-N2;P1;zwölf;EA;C1-ST1\r\n").encode("cp1252")  # not UTF-8: kept as sent
    file_msg = Published("sales-csv.csv_orders", csv_file,
                         {"O2c-Source-Message-Id": "upload-1", "Nats-Msg-Id": "upload-1",
                          "Content-Type": "text/csv"})
    publish(NATS_URL, names, [file_msg, exact_copy(file_msg, 1), order(1)])

    asyncio.run(run_until(h.app, names, lambda: len(inbox_rows(sqlite_store)) == 4,
                          splitters=Integrations.from_mapping(CONFIG).splitters()))

    by_key = {(s, m): st for s, m, st in inbox_rows(sqlite_store)}
    assert by_key[("sales-csv", "upload-1")] == "applied"
    assert by_key[("edi-van", "edi-van-1")] == "applied"
    assert sorted(st for (s, m), st in by_key.items() if s == "sales-csv" and m != "upload-1") == [
        "applied", "dead_lettered"]
    [letter] = h.dead_letters()
    assert "got 'zwölf'" in letter.reason and letter.kind == "csv_orders"
    with sqlite_store.unit_of_work() as uow:
        assert uow.orders.find_by_po("C1", "PO-N1") is not None
    assert stream_messages(NATS_URL, names.in_stream) == 0


def test_a_failed_submit_naks_and_the_message_is_applied_on_redelivery(sqlite_store, names: Names) -> None:
    h = given_distributor(sqlite_store)
    publish(NATS_URL, names, [order(1)])
    real = h.app.runtime.uow_factory

    def database_down() -> Any:
        raise ConnectionError("database is down")

    async def go() -> tuple[Any, Any, int]:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        h.app.runtime.uow_factory = database_down
        down = NatsInbound(h.app.runtime, js, **names.inbound(retry_delay=0.3))
        await down.setup()
        first = await down.handle(await down.fetch())
        h.app.runtime.uow_factory = real
        up = NatsInbound(h.app.runtime, js, **names.inbound())
        await up.setup()
        await asyncio.sleep(0.4)  # the nak's delay
        msgs = await up.fetch()
        second = await up.handle(msgs)
        await nc.close()
        return first, second, msgs[0].metadata.num_delivered

    first, second, deliveries = asyncio.run(go())

    assert first is None and deliveries == 2
    assert [o.status.value for o in second] == ["applied"]
    assert stream_messages(NATS_URL, names.in_stream) == 0


def test_a_slow_batch_is_kept_in_progress_and_not_redelivered_to_another_worker(
        sqlite_store, names: Names) -> None:
    h = given_distributor(sqlite_store)
    publish(NATS_URL, names, [order(1)])
    real = h.app.runtime.uow_factory

    def slow_database() -> Any:
        time.sleep(2.5)  # longer than ack_wait: only the in-progress heartbeats keep the message
        return real()

    async def go() -> tuple[Any, list[Any]]:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        h.app.runtime.uow_factory = slow_database
        slow = NatsInbound(h.app.runtime, js, **names.inbound(ack_wait=1.0))
        other = NatsInbound(h.app.runtime, js, **names.inbound(ack_wait=1.0, fetch_timeout=2.0))
        await slow.setup()
        await other.setup()
        handled = asyncio.create_task(slow.handle(await slow.fetch()))
        await asyncio.sleep(0.3)
        stolen = await other.fetch()  # waits 2 s, past the 1 s ack_wait
        outcomes = await handled
        await nc.close()
        return outcomes, stolen

    outcomes, stolen = asyncio.run(go())

    assert [o.status.value for o in outcomes] == ["applied"]
    assert stolen == []
    assert stream_messages(NATS_URL, names.in_stream) == 0


_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def no_orphan_workers() -> Iterator[None]:
    """A failing test must not leave worker processes running into the next ones."""
    yield
    while _STARTED:
        p = _STARTED.pop()
        if p.poll() is None:
            p.kill()
            p.wait()


def start_worker(db: str, names: Names, outcomes: Path, *, batch: int, die_after_commit: int = 0,
                 slow_commit: float = 0.0) -> subprocess.Popen[str]:
    _STARTED.append(p := subprocess.Popen(
        [sys.executable, "-m", "tests.integration.nats_worker", "--db", db, "--nats", NATS_URL,
         "--names", json.dumps(names.__dict__), "--batch", str(batch), "--outcomes", str(outcomes),
         "--die-after-commit", str(die_after_commit), "--slow-commit", str(slow_commit)],
        cwd=ROOT, text=True, stderr=subprocess.PIPE))
    return p


@pytest.mark.slow
def test_killing_workers_mid_stream_loses_nothing_and_applies_nothing_twice(
        sql_store: Any, names: Names, tmp_path: Path) -> None:
    h = given_distributor(sql_store)
    db = sql_store.url.render_as_string(hide_password=False)
    orders = [order(i) for i in range(600)]
    copies = [exact_copy(orders[i], n) for n, i in enumerate((3, 3, 250, 599))]
    receipts = [stock_receipt(i) for i in range(20)]
    published = [*orders[:300], *copies[:2], *receipts, *orders[300:], *copies[2:]]
    publish(NATS_URL, names, published)
    outcomes = tmp_path / "outcomes.jsonl"
    batch = 20
    total = len(orders) + len(receipts)
    applied = lambda: len(inbox_rows(sql_store))  # noqa: E731

    # Given a worker that dies (SIGKILL) right after its third batch commits,
    # before that batch is acknowledged,
    first = start_worker(db, names, outcomes, batch=batch, die_after_commit=3)
    assert first.wait(timeout=60) == -signal.SIGKILL, first.stderr.read()
    assert 0 < applied() < total
    # and a second worker killed from outside while it is busy,
    second = start_worker(db, names, outcomes, batch=batch, slow_commit=0.1)
    eventually(lambda: applied() >= total // 2, 60, "the second worker to apply half the stream")
    second.kill()
    second.wait()
    assert applied() < total, "the second worker finished before it could be killed"

    # when a third worker takes over and is stopped gracefully once the stream is drained,
    third = start_worker(db, names, outcomes, batch=batch)
    eventually(lambda: applied() == total and stream_messages(NATS_URL, names.in_stream) == 0, 90,
               lambda: f"the third worker to finish the stream ({applied()} of {total} in the inbox)")
    third.send_signal(signal.SIGTERM)
    assert third.wait(timeout=10) == 0, third.stderr.read()

    # then every published source message is in the inbox once, applied,
    rows = inbox_rows(sql_store)
    assert len(rows) == len({(s, m) for s, m, _ in rows}) == total
    assert {st for _, _, st in rows} == {"applied"}
    assert {m for _, m, _ in rows} == {p.headers["O2c-Source-Message-Id"] for p in published}
    # nothing was applied twice,
    per_order = events_per_order(sql_store)
    received = sum(c["OrderReceived"] for c in per_order.values())
    assert received == len(per_order) == len(orders)
    once = one_order_events()
    assert all(c == once for c in per_order.values())
    with h.app.store.unit_of_work() as uow:
        [pos] = uow.stock.positions(["P1"])
    assert pos.on_hand == 10_000_000 + 100 * len(receipts)
    assert pos.reserved == 10 * len(orders)
    # and the batch committed but never acknowledged came back as duplicates, with the copies.
    statuses = Counter(s for line in outcomes.read_text().splitlines() for s in json.loads(line))
    assert statuses["duplicate"] >= batch + len(copies)
    assert not h.dead_letters()


def test_the_outbox_reaches_the_stream_once_even_when_relayed_twice(sqlite_store, names: Names) -> None:
    h = given_distributor(sqlite_store)
    for i in range(5):
        h.order(po=f"PO-OUT-{i}")

    class LostMarkSent:
        """A relay that crashes after publishing, before marking sent: its
        ``mark_sent`` is never committed."""

        def __call__(self) -> Any:
            uow = h.app.store.unit_of_work()
            uow.commit = lambda: None  # type: ignore[method-assign]
            return uow

    async def go() -> list[Any]:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        crashing = NatsOutbox(LostMarkSent(), js, now=h.clock.now, **names.outbound())
        await crashing.setup()
        assert await crashing.relay_once() == 10
        relay = NatsOutbox(h.app.store.unit_of_work, js, now=h.clock.now, **names.outbound())
        assert await relay.relay_once() == 10  # published again: JetStream drops the copies
        assert await relay.relay_once() == 0  # marked sent: nothing left
        sub = await js.pull_subscribe(f"{names.out_root}.>", stream=names.out_stream)
        msgs = await sub.fetch(100, timeout=2)
        await nc.close()
        return msgs

    msgs = asyncio.run(go())

    with sqlite_store.engine.connect() as c:
        ids = [r.id for r in c.execute(select(outbox.c.id, outbox.c.sent_at))]
        assert c.execute(select(func.count()).where(outbox.c.sent_at.is_(None))).scalar() == 0
    assert sorted(int(m.headers["O2c-Outbox-Id"]) for m in msgs) == sorted(ids)
    assert all(m.headers["Nats-Msg-Id"] == f"o2c-outbox-{m.headers['O2c-Outbox-Id']}" for m in msgs)
    kinds = Counter(m.subject.split(".")[2] for m in msgs)
    assert kinds == {"order_ack": 5, "warehouse_release": 5}
    body = json.loads(msgs[0].data)
    assert body["outbox_id"] == int(msgs[0].headers["O2c-Outbox-Id"]) and "payload" in body
