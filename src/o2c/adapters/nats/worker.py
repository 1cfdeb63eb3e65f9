"""``run_worker``: the inbound consumer and the outbox relay on one connection."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

import nats
from nats.aio.client import Client

from o2c.adapters.nats.inbound import NatsInbound
from o2c.adapters.nats.outbox import NatsOutbox
from o2c.engine.ports import Clock, UnitOfWork
from o2c.engine.runtime import Runtime


class _Units(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...


class WorkerApp(Protocol):
    """What the worker needs of ``o2c.bootstrap.App``."""

    @property
    def store(self) -> _Units: ...
    @property
    def runtime(self) -> Runtime: ...
    @property
    def clock(self) -> Clock: ...


async def run_worker(
    app: WorkerApp,
    nats_url: str,
    *,
    stop_event: asyncio.Event,
    batch: int = 500,
    inbound: dict[str, Any] | None = None,
    outbound: dict[str, Any] | None = None,
) -> None:
    """Consume inbound messages and relay the outbox until ``stop_event`` is
    set, then finish the batch in hand, relay once more and drain the
    connection (pending acks and publishes are flushed before it closes).

    ``inbound`` and ``outbound`` pass keyword options to :class:`NatsInbound`
    and :class:`NatsOutbox` (stream names, subject roots, durable name, ack_wait).
    """
    nc: Client = await nats.connect(nats_url, name="o2c-worker", max_reconnect_attempts=-1)
    try:
        js = nc.jetstream()
        consumer = NatsInbound(app.runtime, js, batch=batch, **(inbound or {}))
        relay = NatsOutbox(app.store.unit_of_work, js, now=app.clock.now, **(outbound or {}))
        await consumer.setup()
        kick, consumer_done = asyncio.Event(), asyncio.Event()

        async def consume() -> None:
            try:
                await consumer.run(stop_event, after_batch=kick.set)
            finally:
                # The relay stops after the consumer, so the outbox rows of the
                # last batch are published before the worker exits.
                consumer_done.set()

        # A TaskGroup, not gather: if one loop fails the other is cancelled
        # instead of running on alone.
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(consume())
            tasks.create_task(relay.run(consumer_done, kick))
    finally:
        with contextlib.suppress(Exception):  # already closed after a fatal error
            await nc.drain()
