"""SQL counters: gapless numbers and ids, both kept in the ``sequences`` table.

Two kinds (the port, :class:`o2c.engine.ports.Sequences`, names which a call
takes; a counter is one kind for its whole life):

``next`` — **gapless** (invoice and credit-memo numbers per legal entity, X12
control numbers per partner). The first number of a name in a transaction
reads the row without locking it; later numbers count on in memory. At
commit, before anything else is written, ``flush`` locks the rows of the
names taken (PostgreSQL: ``FOR UPDATE NOWAIT``, in name order), checks that
each still holds the value read, and stores the new values. A row that is
locked by another transaction, or was moved on since it was read, fails the
commit with :class:`ConcurrencyConflict`; the runtime runs the batch again,
and that unit of work, on the same thread, **claims** the counters it lost
first thing, before it touches anything else (a blocking ``FOR UPDATE`` in
name order), so a busy counter cannot starve one worker. A rolled-back
number is never stored: numbers stay gapless and unique.

How deadlock is avoided: a transaction waits for a counter row only when it
claims it, and it claims before it has locked anything else, in name order;
so while waiting it holds only claimed counters that sort before the one it
waits for. Everywhere else (``flush``) a counter row is locked without
waiting. A wait-for cycle through the counters would need a transaction to
wait for a counter while holding another lock (a stock row, a later counter),
which never happens.

``next_id`` — **ids** (orders, dead letters, disputes): unique, increasing
within one process, gaps allowed. On PostgreSQL they are handed out from
blocks that :class:`IdBlocks` reserves in a short transaction of its own on
another connection (one upsert, committed at once), so no worker holds an id
row while it works and workers never queue behind one another for ids. Ids
of a rolled-back transaction are not given out again. SQLite has one writer
at a time, so there ids are taken in the transaction like gapless numbers
(a second connection would wait for the first's write lock).
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

from o2c.engine.ports import ConcurrencyConflict
from o2c.store.sql_raw import RawSql, in_list
from o2c.store.sql_repos import Tx

_READ = RawSql("SELECT value FROM sequences WHERE name = :n")
# Insert a first value, or move the stored one on only if it is still what was read.
_STORE = RawSql(
    "INSERT INTO sequences (name, value) VALUES (:n, :v) ON CONFLICT (name) "
    "DO UPDATE SET value = excluded.value WHERE sequences.value = :old"
)
_RESERVE = RawSql(
    "INSERT INTO sequences (name, value) VALUES (:n, :k) ON CONFLICT (name) "
    "DO UPDATE SET value = sequences.value + :k RETURNING value"
)

#: Largest block of ids one reservation takes. Blocks start at one id and
#: double while a process keeps asking, so a short-lived process wastes little
#: and a busy one makes one reservation per this many ids.
MAX_ID_BLOCK = 128


class IdBlocks:
    """Blocks of ids per name, reserved from ``sequences`` in short transactions
    of their own; shared by the units of work of one store (thread-safe)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._free: dict[str, tuple[int, int]] = {}  # name -> (next id, last id of the block)
        self._size: dict[str, int] = {}

    def take(self, name: str) -> int:
        with self._lock:
            first, last = self._free.get(name, (1, 0))
            if first > last:
                size = min(2 * self._size.get(name, 0) or 1, MAX_ID_BLOCK)
                self._size[name] = size
                last = self._reserve(name, size)
                first = last - size + 1
            self._free[name] = (first + 1, last)
            return first

    def _reserve(self, name: str, size: int) -> int:
        with self._engine.begin() as conn:
            return int(conn.execute(text(_RESERVE.named), {"n": name, "k": size}).scalar_one())

    def clear(self) -> None:
        """Forget reserved blocks (after the table was changed behind the store's back)."""
        with self._lock:
            self._free.clear()
            self._size.clear()


class Claims(threading.local):
    """Per thread: the counters the last unit of work lost at commit, for the
    next unit of work of that thread to claim first."""

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()


def _lock_sql(n: int, wait: bool) -> RawSql:
    return RawSql(
        f"SELECT name, value FROM sequences WHERE name IN ({in_list('n', n)}) "
        f"ORDER BY name FOR UPDATE{'' if wait else ' NOWAIT'}"
    )


_LOCK_NOT_AVAILABLE = "55P03"


class SqlSequences:
    """Implements ``o2c.engine.ports.Sequences`` (see the module docstring)."""

    def __init__(self, tx: Tx, ids: IdBlocks | None, claims: Claims | None) -> None:
        self._tx = tx
        self._ids = ids  # None: ids are taken in the transaction (SQLite)
        self._claims = claims  # None: one writer at a time, nothing to claim (SQLite)
        self._read: dict[str, int] = {}  # name -> value stored when first read (0: no row)
        self._taken: dict[str, int] = {}  # name -> last number handed out
        self._locked: set[str] = set()

    def claim(self) -> None:
        """Called as the transaction begins: lock, waiting if need be, the
        counters this thread's previous unit of work lost."""
        if self._claims is None or not self._claims.names:
            return
        names, self._claims.names = sorted(self._claims.names), ()
        rows = self._lock(names, wait=True)
        for name in names:
            self._read[name] = rows.get(name, 0)
            self._taken[name] = self._read[name]
        self._locked.update(rows)

    def _lock(self, names: list[str], wait: bool) -> dict[str, int]:
        params = {f"n{i}": n for i, n in enumerate(names)}
        try:
            return {n: int(v) for n, v in self._tx.raw(_lock_sql(len(names), wait), params).fetchall()}
        except Exception as err:
            if getattr(getattr(err, "orig", err), "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                self._lost(names, "another transaction is taking numbers of")
            raise

    def _lost(self, names: list[str], why: str) -> None:
        if self._claims is not None:
            self._claims.names = tuple(names)
        raise ConcurrencyConflict(f"sequences: {why} {', '.join(names)}")

    def next(self, name: str) -> int:
        last = self._taken.get(name)
        if last is None:
            rows = self._tx.raw(_READ, {"n": name}).fetchall()
            last = self._read[name] = int(rows[0][0]) if rows else 0
        self._taken[name] = last + 1
        return last + 1

    def next_id(self, name: str) -> int:
        if self._ids is None:
            return self.next(name)
        return self._ids.take(name)

    def flush(self) -> None:
        taken = sorted(n for n, v in self._taken.items() if v != self._read[n])
        if not taken:
            return
        if self._claims is not None:
            unlocked = [n for n in taken if n not in self._locked]
            if unlocked:
                current = self._lock(unlocked, wait=False)
                moved = [n for n in unlocked if current.get(n, 0) != self._read[n]]
                if moved:
                    self._lost(moved, "another transaction has moved on")
        rows = [{"n": n, "v": self._taken[n], "old": self._read[n]} for n in taken]
        if self._tx.raw_many(_STORE, rows).rowcount != len(rows):
            # A counter first used by two transactions at once: the other inserted its row.
            self._lost(taken, "another transaction has moved on")
