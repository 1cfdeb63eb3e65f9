"""Rebuild read models from the event log.

Read models are derived: replaying the log through the same projector the
live path uses must give the same current state. ``rebuild`` replays into an
empty store that holds the same master data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from o2c.domain.events import Envelope
from o2c.engine.ports import UnitOfWork
from o2c.engine.projector import project


def rebuild(events: Iterable[Envelope], uow_factory: Callable[[], UnitOfWork], batch_size: int = 5000) -> int:
    """Project every event, in log order, into the (empty) target store.
    Returns the number of events replayed."""
    n = 0
    uow = uow_factory()
    try:
        for env in events:
            project(env, uow)
            n += 1
            if n % batch_size == 0:
                uow.commit()
        uow.commit()
    finally:
        uow.rollback()
    return n
