"""Errors a handler returns to the edge: a command that cannot be applied.

``Rejected`` carries a code (from the hold taxonomy where one fits) and a sentence a
person can act on. Anything else raised by a handler is a bug; the runtime
still parks the message in the dead-letter queue and goes on.

Failures of the store come in two classes, which the store's unit of work
names: :class:`StoreRefused` (deterministic: parked at once) and
:class:`TransientFailure` (retried with backoff up to a limit, then parked).
"""

from __future__ import annotations

from o2c.domain.holds import HoldCode


class Rejected(Exception):
    """The command cannot be applied as it stands; the reason says why."""

    def __init__(self, code: HoldCode | str, reason: str, *, waiting_for: str | None = None) -> None:
        super().__init__(reason)
        self.code = str(code)
        self.waiting_for = waiting_for  # parked until this happens, then applied again
        self.reason = reason


class InvalidMessage(Exception):
    """An inbound message that cannot be read: the reason names the field and
    what was expected."""

    def __init__(self, reason: str, code: HoldCode | str = HoldCode.INT_PARSE_ERROR) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = str(code)


class ProjectionFailed(Exception):
    """A bug while applying events: read models may be half updated, so the
    whole unit of work must be rolled back (the runtime then isolates the
    message that caused it)."""


class StoreRefused(Exception):
    """The store refused to keep what a message produced (a value it cannot
    hold, a constraint): deterministic, so retrying cannot help. The unit of
    work was rolled back; the runtime isolates the message and parks it."""

    code = "INT-STORE-REFUSED"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = (f"the database refused what this message produced ({reason}); "
                       "correct the message and replay it")


class TransientFailure(Exception):
    """The store could not finish a transaction for a reason that passes (the
    connection was lost, a deadlock, a serialization failure, a busy lock).
    The unit of work was rolled back; running it again later is safe."""

    code = "INT-STORE-UNAVAILABLE"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = (f"the database failed again and again while applying this message ({reason}); "
                       "replay it once the database is healthy")


class Forbidden(Rejected):
    """The actor may not do this (a role it does not hold, a decision beyond its tier).
    Not parked for replay: the message is kept in the inbox as ``refused``, with the
    reason, and nobody else can make it apply by replaying it."""

    def __init__(self, reason: str) -> None:
        super().__init__("AUTH-FORBIDDEN", reason)
