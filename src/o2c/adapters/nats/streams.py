"""Stream definitions, header names and subject tokens shared by both directions."""

from __future__ import annotations

import re

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

SOURCE_MESSAGE_ID = "O2c-Source-Message-Id"
RECEIVED_AT = "O2c-Received-At"
OUTBOX_ID = "O2c-Outbox-Id"
CORRELATION_ID = "O2c-Correlation-Id"

#: A subject token may not contain these (``.`` separates tokens, ``*`` and
#: ``>`` are wildcards); outbound kinds and destinations are made safe with it.
_UNSAFE_TOKEN = re.compile(r"[.*>\s]")


def subject_token(value: str) -> str:
    return _UNSAFE_TOKEN.sub("_", value) or "_"


def header(msg: Msg, name: str) -> str | None:
    """A header by name, ignoring case (publishers do not agree on spelling)."""
    headers = msg.headers or {}
    if name in headers:
        return headers[name]
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream if it does not exist. An existing stream is left as
    it is (operators may have tuned its limits), but it must capture our subjects."""
    try:
        info = await js.stream_info(config.name or "")
    except NotFoundError:
        await js.add_stream(config)
        return
    missing = set(config.subjects or ()) - set(info.config.subjects or ())
    if missing:
        raise RuntimeError(f"stream {config.name} exists but does not capture {sorted(missing)}; "
                           "add the subjects or choose another stream name")


def inbound_stream(stream: str = "O2C_IN", subject_root: str = "o2c.in") -> StreamConfig:
    """The inbound stream: file storage, work-queue retention (see :class:`NatsInbound`)."""
    return StreamConfig(name=stream, subjects=[f"{subject_root}.>"], storage=StorageType.FILE,
                        retention=RetentionPolicy.WORK_QUEUE)


def outbound_stream(stream: str = "O2C_OUT", subject_root: str = "o2c.out",
                    duplicate_window: float = 24 * 3600.0) -> StreamConfig:
    """The outbound stream: file storage, limits retention (see :class:`NatsOutbox`)."""
    return StreamConfig(name=stream, subjects=[f"{subject_root}.>"], storage=StorageType.FILE,
                        retention=RetentionPolicy.LIMITS, duplicate_window=duplicate_window)
