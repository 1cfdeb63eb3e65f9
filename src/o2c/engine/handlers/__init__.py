"""Command handlers: plain functions ``(command, ctx) -> list[Event]``.

A handler reads state through ``ctx.uow`` and returns the events that record
its decision; it never changes state itself (the projector does), so a
handler that raises leaves nothing half done.
"""

from o2c.engine.handlers.registry import HANDLERS

__all__ = ["HANDLERS"]
