"""The store port: what callers above the engine (analytics, the API, the CLI,
the composition root) may ask of a store, whichever it is.

A capability a store lacks is a value it answers (None, False), never an
attribute missing, so callers branch on it and the type checker follows.
:class:`o2c.store.memory.MemoryStore` and :class:`o2c.store.sql.SqlStore`
implement it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from o2c.engine.ports import UnitOfWork

if TYPE_CHECKING:  # the memory store runs without importing SQLAlchemy
    from sqlalchemy import Engine


class Store(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...

    @property
    def sql_engine(self) -> Engine | None:
        """The database behind the store, for read-only queries the ports do not
        offer (analytics, the API's inbox lookup); None for a store without SQL."""
        ...

    @property
    def supports_concurrent_writers(self) -> bool:
        """True when units of work may run at once on several threads (the
        database isolates them); False when writers must be serialized."""
        ...

    def dispose(self) -> None:
        """Release what the store holds open (pooled connections)."""
        ...
