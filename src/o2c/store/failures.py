"""Which database errors pass and which do not.

The unit of work turns a driver's error into one of the engine's two failure
classes (:mod:`o2c.engine.errors`), so the runtime can decide without knowing
the database: :class:`TransientFailure` for what may succeed when tried again
(connection lost or refused, the server shutting down or terminating the
backend, deadlock, serialization failure, lock not available, SQLite busy or
locked) and :class:`StoreRefused` for what never will (a value the column
cannot hold, a limit such as the size of an index entry, a constraint other
than a duplicate key, which is already a ``ConcurrencyConflict``).

PostgreSQL errors are told apart by SQLSTATE class: 08 connection, 40
transaction rollback (40001 serialization, 40P01 deadlock), 53 insufficient
resources, 57 operator intervention (57P01 terminated by an administrator),
55P03 lock not available are transient; everything else (22 data, 23
integrity, 54 program limit...) is deterministic.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

from o2c.engine.errors import ProjectionFailed, StoreRefused, TransientFailure

_TRANSIENT_CLASSES = ("08", "40", "53", "57")
_TRANSIENT_STATES = {"55P03", "55006"}


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".strip()


def classify(exc: BaseException) -> Exception | None:
    """The failure class of ``exc`` (or of the database error behind a
    ``ProjectionFailed``), or None if it is not a database error."""
    err: BaseException | None = exc
    if isinstance(exc, ProjectionFailed):
        err = exc.__cause__
    if err is None:
        return None
    invalidated = False
    if isinstance(err, DBAPIError):
        invalidated = bool(err.connection_invalidated)
        err = err.orig if err.orig is not None else err
    if isinstance(err, sqlite3.Error):
        message = str(err).lower()
        if isinstance(err, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
            return TransientFailure(_first_line(err))
        if isinstance(err, sqlite3.OperationalError) and "disk i/o" in message:
            return TransientFailure(_first_line(err))
        return StoreRefused(_first_line(err))
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if not isinstance(err, psycopg.Error):
        return TransientFailure(_first_line(err)) if invalidated else None
    state = getattr(err, "sqlstate", None) or ""
    if invalidated or state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_STATES:
        return TransientFailure(_first_line(err))
    if not state and isinstance(err, psycopg.OperationalError | psycopg.InterfaceError):
        return TransientFailure(_first_line(err))  # no SQLSTATE: the client lost the server
    return StoreRefused(_first_line(err))
