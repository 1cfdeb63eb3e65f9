"""Persistence: the SQL store (SQLite and PostgreSQL) and the in-memory store.

Names are imported lazily so that ``import o2c.store.memory`` (used by fast
unit tests) does not pull in SQLAlchemy, Alembic and pydantic.

Public API::

    SqlStore(url)            # migrates on construction; .unit_of_work(), .dispose()
    SqlUnitOfWork            # implements o2c.engine.ports.UnitOfWork
    ConcurrencyConflict      # a commit lost an optimistic check; retry the unit of work
    make_engine(url), upgrade(engine_or_url), default_sqlite_url()
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from o2c.store.database import default_sqlite_url, make_engine, upgrade
    from o2c.store.sql import ConcurrencyConflict, SqlStore, SqlUnitOfWork

_EXPORTS = {
    "SqlStore": "o2c.store.sql",
    "SqlUnitOfWork": "o2c.store.sql",
    "ConcurrencyConflict": "o2c.store.sql",
    "make_engine": "o2c.store.database",
    "upgrade": "o2c.store.database",
    "default_sqlite_url": "o2c.store.database",
}

__all__ = [
    "ConcurrencyConflict",
    "SqlStore",
    "SqlUnitOfWork",
    "default_sqlite_url",
    "make_engine",
    "upgrade",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'o2c.store' has no attribute {name!r}")
    return getattr(import_module(module), name)
