"""Errors a handler returns to the edge: a command that cannot be applied.

``Rejected`` carries a code (from the hold taxonomy where one fits) and a sentence a
person can act on. Anything else raised by a handler is a bug; the runtime
still parks the message in the dead-letter queue and goes on.
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
