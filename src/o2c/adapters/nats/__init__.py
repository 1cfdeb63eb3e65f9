"""NATS JetStream transport: inbound messages in, outbox messages out.

Inbound (:class:`NatsInbound`)
    Source systems publish to ``o2c.in.<source>.<kind>`` (``o2c.in.edi-van.order``,
    ``o2c.in.wms-columbus.shipment``) with the canonical body and the headers
    ``O2c-Source-Message-Id`` (required: the source system's own id, the inbox key
    together with ``<source>``), ``O2c-Received-At`` (optional, ISO 8601 with an
    offset; default: the time JetStream stored the message), ``Content-Type``
    (optional) and, ideally, ``Nats-Msg-Id`` (JetStream drops a republished
    message within the stream's duplicate window).

    Guarantee: **every stored message is applied or dead-lettered exactly once,
    none is lost.** A message is acknowledged only after ``Runtime.submit`` has
    committed it to the inbox (applied, duplicate or dead-lettered); until then
    JetStream keeps it and redelivers it. A crash between the commit and the
    ack redelivers messages that the inbox already holds: ``submit`` reports
    them as duplicates, changes nothing, and they are then acknowledged. A
    ``submit`` that raises (database down) naks the whole batch with a delay;
    whatever part of it did commit is a duplicate on the next delivery.
    Deliveries are unlimited (``max_deliver=-1``): a message that cannot be
    read is dead-lettered by the runtime with a reason, never dropped by the
    transport, so JetStream has no reason to give up on one.

    Order: messages arrive in stream order, except that a redelivered message
    (after a crash or a nak) comes after messages stored later. The engine
    parks what arrives before its prerequisite, so order is not relied upon.

Outbound (:class:`NatsOutbox`)
    The relay publishes every committed, unsent outbox row to
    ``o2c.out.<kind>.<destination>`` with ``Nats-Msg-Id = o2c-outbox-<id>``,
    waits for JetStream's publish ack, and only then marks the row sent in a
    new unit of work. Guarantee: **at least once on the wire, exactly once in
    the stream within its duplicate window** (a crash between the publish ack
    and ``mark_sent`` republishes rows that JetStream then drops). Receivers
    deduplicate on ``O2c-Outbox-Id`` beyond that window.

:func:`run_worker` runs both loops on one connection until a stop event is set.
"""

from o2c.adapters.nats.inbound import NatsInbound
from o2c.adapters.nats.outbox import NatsOutbox
from o2c.adapters.nats.streams import (
    CORRELATION_ID,
    OUTBOX_ID,
    RECEIVED_AT,
    SOURCE_MESSAGE_ID,
    ensure_stream,
    inbound_stream,
    outbound_stream,
)
from o2c.adapters.nats.worker import WorkerApp, run_worker

__all__ = [
    "CORRELATION_ID",
    "OUTBOX_ID",
    "RECEIVED_AT",
    "SOURCE_MESSAGE_ID",
    "NatsInbound",
    "NatsOutbox",
    "WorkerApp",
    "ensure_stream",
    "inbound_stream",
    "outbound_stream",
    "run_worker",
]
