"""``run_worker``: the inbound consumer and the outbox relay on one connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

import nats
from nats.aio.client import Client

from o2c.adapters.nats.inbound import NatsInbound
from o2c.adapters.nats.outbox import NatsOutbox
from o2c.engine.ports import Clock, UnitOfWork
from o2c.engine.runtime import Runtime

log = logging.getLogger(__name__)


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
    timers: Callable[[], int] | None = None,
    timers_every: float = 5.0,
) -> None:
    """Consume inbound messages and relay the outbox until ``stop_event`` is
    set, then finish the batch in hand, relay once more and drain the
    connection (pending acks and publishes are flushed before it closes).

    ``inbound`` and ``outbound`` pass keyword options to :class:`NatsInbound`
    and :class:`NatsOutbox` (stream names, subject roots, durable name, ack_wait).

    ``timers`` (``TimerService.fire_due``), if given, fires the due durable timers every
    ``timers_every`` seconds beside the consumer (in a thread: it runs transactions), and
    kicks the relay when it fired any, so their notifications go out at once.
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
            if timers is not None:
                tasks.create_task(fire_timers(timers, consumer_done, kick, timers_every))
    finally:
        with contextlib.suppress(Exception):  # already closed after a fatal error
            await nc.drain()


async def fire_timers(fire: Callable[[], int], stop: asyncio.Event, kick: asyncio.Event,
                      every: float) -> None:
    """Call ``fire`` (it fires what is due and says how many) every ``every`` seconds until
    ``stop`` is set; a round that fails is logged and tried again next time."""
    while not stop.is_set():
        try:
            if await asyncio.to_thread(fire):
                kick.set()
        except Exception:
            log.exception("firing due timers failed; trying again in %s s", every)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
