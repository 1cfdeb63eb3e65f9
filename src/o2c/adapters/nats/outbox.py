"""The outbox relay: committed outbox rows -> JetStream (publish ack) -> ``mark_sent``.

The delivery guarantee is stated in the package docstring (``o2c.adapters.nats``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from nats.js import JetStreamContext

from o2c.adapters.nats.streams import CORRELATION_ID, OUTBOX_ID, ensure_stream, outbound_stream, subject_token
from o2c.engine.ports import UnitOfWork

log = logging.getLogger(__name__)


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class NatsOutbox:
    """Relays committed outbox rows to ``<subject_root>.<kind>.<destination>``;
    see the package docstring for the guarantee.

    The stream keeps **limits retention**: outbound messages fan out to
    several independent readers (EDI sender, webhooks, a data tap), each with
    its own consumer, so the stream must not delete a message when one reader
    acknowledges it. ``duplicate_window`` is how long a republish after a
    crash is recognised by JetStream; it should exceed the longest outage of
    the relay you expect.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        js: JetStreamContext,
        *,
        now: Callable[[], datetime],
        stream: str = "O2C_OUT",
        subject_root: str = "o2c.out",
        duplicate_window: float = 24 * 3600.0,
        limit: int = 500,
    ) -> None:
        self.uow_factory = uow_factory
        self.js = js
        self.now = now
        self.stream = stream
        self.subject_root = subject_root
        self.duplicate_window = duplicate_window
        self.limit = limit

    async def setup(self) -> None:
        await ensure_stream(self.js, outbound_stream(self.stream, self.subject_root, self.duplicate_window))

    def _pending(self) -> list[Any]:
        with self.uow_factory() as uow:
            return uow.outbox.pending(self.limit)

    def _mark_sent(self, ids: Sequence[int]) -> None:
        with self.uow_factory() as uow:
            uow.outbox.mark_sent(ids, self.now())
            uow.commit()

    async def relay_once(self) -> int:
        """Publish one round of pending rows; returns how many were marked sent.
        A row whose publish failed stays pending for the next round."""
        pending = await asyncio.to_thread(self._pending)
        if not pending:
            return 0
        futures = []
        for m in pending:
            subject = f"{self.subject_root}.{subject_token(m.kind)}.{subject_token(m.destination)}"
            body = json.dumps({"outbox_id": m.outbox_id, "kind": m.kind, "destination": m.destination,
                               "correlation_id": m.correlation_id, "payload": m.payload},
                              default=str).encode()
            headers = {"Nats-Msg-Id": f"o2c-outbox-{m.outbox_id}", OUTBOX_ID: str(m.outbox_id),
                       CORRELATION_ID: m.correlation_id, "Content-Type": "application/json"}
            futures.append(await self.js.publish_async(subject, body, stream=self.stream, headers=headers))
        acks = await asyncio.gather(*futures, return_exceptions=True)
        sent = []
        for m, ack in zip(pending, acks, strict=True):
            if isinstance(ack, BaseException):
                log.warning("publishing outbox message %s failed: %s", m.outbox_id, ack)
            else:  # ack.duplicate: an earlier round stored it already; sent all the same
                sent.append(m.outbox_id)
        if sent:
            await asyncio.to_thread(self._mark_sent, sent)
        return len(sent)

    async def run(self, stop: asyncio.Event, kick: asyncio.Event, *, idle: float = 1.0) -> None:
        """Relay until ``stop``; wakes on ``kick`` (a batch was committed) or
        every ``idle`` seconds (rows written by other processes)."""
        await self.setup()
        while True:
            try:
                while await self.relay_once() == self.limit:
                    pass  # a full page: there may be more
            except Exception:  # database or NATS down: try again next round
                log.exception("outbox relay round failed")
            if stop.is_set():
                return
            kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, kick), timeout=idle)


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
