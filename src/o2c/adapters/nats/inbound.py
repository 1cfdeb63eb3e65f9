"""The inbound consumer: JetStream pull consumer -> ``Runtime.submit`` -> ack.

The delivery guarantee is stated in the package docstring (``o2c.adapters.nats``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from o2c.adapters.nats.streams import RECEIVED_AT, SOURCE_MESSAGE_ID, ensure_stream, header, inbound_stream
from o2c.engine.errors import InvalidMessage
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Outcome, Runtime, Splitter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Refusal:
    """A message the transport itself cannot turn into an inbox entry as sent."""

    reason: str


class NatsInbound:
    """Pulls ``<subject_root>.<source>.<kind>`` from a durable consumer and
    submits each batch to the runtime; see the package docstring for the
    delivery guarantee.

    The stream uses **work-queue retention**: the inbox in the database is the
    record of what was received (and the place to replay from), so a message
    that is acknowledged has nothing left to do in NATS; work-queue deletes it
    then, which bounds the stream by the backlog instead of by time, and the
    server refuses a second, overlapping consumer that would otherwise
    silently receive (and apply) the same messages. Scale out by running more
    workers on the same durable consumer, or by disjoint per-account subject
    filters.

    ``ack_wait`` bounds how long a crashed worker's messages stay invisible;
    a live worker sends in-progress heartbeats every ``ack_wait / 3`` while
    ``submit`` runs, so a slow batch is not redelivered to someone else.
    """

    def __init__(
        self,
        runtime: Runtime,
        js: JetStreamContext,
        *,
        stream: str = "O2C_IN",
        subject_root: str = "o2c.in",
        durable: str = "o2c-worker",
        batch: int = 500,
        fetch_timeout: float = 1.0,
        ack_wait: float = 30.0,
        retry_delay: float = 5.0,
        on_batch: Callable[[Sequence[Outcome]], None] | None = None,
        splitters: dict[str, Splitter] | None = None,
    ) -> None:
        self.js = js
        self.stream = stream
        self.subject_root = subject_root
        self.durable = durable
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        self.ack_wait = ack_wait
        self.retry_delay = retry_delay
        self.on_batch = on_batch
        # Kinds that are raw documents (an X12 interchange, a WMS file): each is
        # stored whole and split by its splitter (``Runtime.submit_document``).
        self.splitters = dict(splitters or {})
        self._refused: dict[tuple[str, str], _Refusal] = {}
        # Same engine, but the translator first refuses what the transport
        # found wrong, so those messages are dead-lettered through the runtime
        # (inbox row, dead letter with a reason, original body kept for replay).
        self.runtime = Runtime(uow_factory=runtime.uow_factory, bus=runtime.bus,
                               translate=self._translate_or_refuse(runtime.translate),
                               ids=runtime.ids, max_conflict_retries=runtime.max_conflict_retries)
        self._sub: JetStreamContext.PullSubscription | None = None

    def _translate_or_refuse(self, translate: Callable[[InboundMessage], Any]) -> Callable[..., Any]:
        def translate_or_refuse(m: InboundMessage) -> Any:
            refusal = self._refused.get((m.source, m.source_message_id))
            if refusal is not None:
                raise InvalidMessage(refusal.reason)
            return translate(m)

        return translate_or_refuse

    async def setup(self) -> None:
        """Ensure the stream and the durable pull consumer, and subscribe."""
        await ensure_stream(self.js, inbound_stream(self.stream, self.subject_root))
        config = ConsumerConfig(
            durable_name=self.durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait,
            max_deliver=-1, max_ack_pending=max(1000, 4 * self.batch))
        self._sub = await self.js.pull_subscribe(f"{self.subject_root}.>", durable=self.durable,
                                                 stream=self.stream, config=config)

    def to_inbound(self, msg: Msg) -> InboundMessage:
        """The inbox entry for one NATS message. A message the transport cannot
        accept as sent (no source message id, a bad subject or timestamp, a
        body that is not UTF-8) still becomes an entry, keyed by its stream
        sequence (stable across redeliveries), and is refused when translated."""
        stored_at = msg.metadata.timestamp
        tokens = msg.subject.split(".")
        root = len(self.subject_root.split("."))
        source, kind = (tokens[root], tokens[root + 1]) if len(tokens) == root + 2 else ("nats", "unknown")
        problems = []
        if len(tokens) != root + 2:
            problems.append(f"subject {msg.subject!r} is not {self.subject_root}.<source>.<kind>")
        message_id = (header(msg, SOURCE_MESSAGE_ID) or "").strip()
        if not message_id:
            problems.append(f"the {SOURCE_MESSAGE_ID} header (the source system's message id) is missing")
        received_at = stored_at
        raw_time = header(msg, RECEIVED_AT)
        if raw_time:
            try:
                received_at = datetime.fromisoformat(raw_time.strip())
            except ValueError:
                problems.append(f"{RECEIVED_AT} {raw_time!r} is not an ISO 8601 timestamp")
            else:
                if received_at.tzinfo is None:
                    problems.append(f"{RECEIVED_AT} {raw_time!r} has no UTC offset")
                    received_at = stored_at
        content_type = header(msg, "Content-Type") or "application/json"
        try:
            body = msg.data.decode("utf-8")
        except UnicodeDecodeError as e:
            if kind in self.splitters:  # a file: kept as sent, in Latin-1 if not UTF-8 (lossless)
                body, content_type = msg.data.decode("latin-1"), f"{content_type}; charset=latin-1"
            else:
                body = msg.data.decode("utf-8", errors="replace")
                problems.append(f"the body is not UTF-8 (byte {e.start})")
        if problems:
            message_id = f"nats:{msg.metadata.stream}:{msg.metadata.sequence.stream}"
            self._refused[(source, message_id)] = _Refusal(
                f"NATS message {msg.subject} #{msg.metadata.sequence.stream} refused: "
                + "; ".join(problems))
        return InboundMessage(source=source, source_message_id=message_id, kind=kind,
                              received_at=received_at.astimezone(UTC), body=body,
                              content_type=content_type)

    async def run(self, stop: asyncio.Event, *, after_batch: Callable[[], None] | None = None) -> None:
        """Fetch, submit, ack until ``stop`` is set; the batch in hand is
        finished (submitted and acked, or naked) before returning."""
        while not stop.is_set():
            msgs = await self.fetch()
            if not msgs:
                continue
            await self.handle(msgs)
            if after_batch is not None:
                after_batch()
        if self._sub is not None:
            await self._sub.unsubscribe()

    async def fetch(self) -> list[Msg]:
        """Up to ``batch`` messages, waiting at most ``fetch_timeout``; [] if none."""
        if self._sub is None:
            await self.setup()
        assert self._sub is not None
        try:
            return await self._sub.fetch(self.batch, timeout=self.fetch_timeout)
        except TimeoutError:  # nats.errors.TimeoutError too: nothing to do yet
            return []
        except nats.errors.Error as e:  # reconnecting: the client retries by itself
            log.warning("fetch from %s failed: %s", self.stream, e)
            await asyncio.sleep(min(self.retry_delay, 1.0))
            return []

    async def handle(self, msgs: Sequence[Msg]) -> list[Outcome] | None:
        """Submit one fetched batch and settle it: ack after the commit, or
        nak with ``retry_delay`` if ``submit`` raised. None when naked."""
        batch = [self.to_inbound(m) for m in msgs]
        heartbeat = asyncio.create_task(self._keep_in_progress(msgs))
        try:
            # submit blocks on the database; in a thread, the event loop keeps
            # answering server pings and sending the in-progress heartbeats.
            outcomes = await asyncio.to_thread(self._submit, batch)
        except Exception:
            log.exception("submit of %d messages failed; naking them for redelivery in %ss",
                          len(msgs), self.retry_delay)
            for m in msgs:
                await m.nak(delay=self.retry_delay)
            return None
        finally:
            heartbeat.cancel()
            for b in batch:
                self._refused.pop((b.source, b.source_message_id), None)
        # Only now, with the batch committed, may JetStream forget the messages.
        for m in msgs:
            await m.ack()
        if self.on_batch is not None:
            self.on_batch(outcomes)
        return outcomes

    def _submit(self, batch: Sequence[InboundMessage]) -> list[Outcome]:
        """Messages in one transaction; each document (kind with a splitter) in its own."""
        plain = [m for m in batch if m.kind not in self.splitters or (m.source, m.source_message_id)
                 in self._refused]
        outcomes = self.runtime.submit(plain) if plain else []
        for m in batch:
            split = self.splitters.get(m.kind)
            if split is not None and (m.source, m.source_message_id) not in self._refused:
                head, parts = self.runtime.submit_document(m, split)
                outcomes += [head, *parts]
        return outcomes

    async def _keep_in_progress(self, msgs: Sequence[Msg]) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(self.ack_wait / 3)
                for m in msgs:
                    await m.in_progress()
