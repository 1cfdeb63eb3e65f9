"""The fast path: hot statements run straight on the driver's cursor.

Why: SQLAlchemy Core spends ~40 µs of Python per ``execute`` (cache-key
lookup, execution context, result wrapping); SQLite itself answers a primary
key lookup in ~4 µs, and even on PostgreSQL over loopback Core doubles the
cost (180 µs vs 77 µs). A lifecycle makes ~20 such calls, so the store uses
raw SQL for the handful of per-message statements and keeps Core for the
schema, migrations and cold paths. Values are converted with the same
functions the column types use (``tables.exact_to_db`` and friends), so both
paths store identical bytes.

Statements are written once with ``:name`` parameters (sqlite3's named style)
and translated to ``%(name)s`` for psycopg.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from sqlalchemy import Table

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class RawSql:
    """One statement in both parameter styles."""

    __slots__ = ("named", "pyformat")

    def __init__(self, sql: str) -> None:
        self.named = sql
        self.pyformat = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))

    def text(self, sqlite: bool) -> str:
        return self.named if sqlite else self.pyformat

    def __repr__(self) -> str:
        return f"RawSql({self.named!r})"


class InsertSql(RawSql):
    """An ``INSERT`` that knows its table and columns, so that PostgreSQL can
    load a batch with ``COPY`` instead."""

    __slots__ = ("columns", "table")

    def __init__(self, table: str, columns: list[str]) -> None:
        super().__init__(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
        )
        self.table = table
        self.columns = columns


def insert_sql(table: Table, columns: Iterable[str] | None = None) -> InsertSql:
    """``INSERT INTO t (a, b) VALUES (:a, :b)`` for the given (default: all
    non-autoincrement) columns."""
    if columns is None:
        columns = [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]
    return InsertSql(table.name, list(columns))


def is_unique_violation(err: BaseException) -> bool:
    """A duplicate key, from either driver (directly or wrapped by SQLAlchemy)."""
    orig = getattr(err, "orig", None) or err
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)


@cache
def in_list(prefix: str, n: int) -> str:
    """``:p0, :p1, ...`` for an IN list of ``n`` values (cached per size)."""
    return ", ".join(f":{prefix}{i}" for i in range(n))
