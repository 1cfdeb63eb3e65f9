"""The SQL store: :class:`SqlStore` and its :class:`SqlUnitOfWork`, one
implementation of every port in :mod:`o2c.engine.ports` on SQLite and
PostgreSQL.

Shape of a unit of work (one database transaction):
- the connection is taken, and the transaction begun, on first use;
- stock changes execute immediately (they must be atomic against other
  workers); gapless numbers are read on first use and stored, checked, at
  commit (see :mod:`o2c.store.sql_sequences`);
- events, inbox rows, outbox messages and dead letters are buffered, and
  aggregates are tracked in an identity map; ``commit`` writes them in that
  order with one batched statement per table, then commits;
- audit entries are sealed into the chain last, under the chain's lock, just
  before the commit (see :mod:`o2c.store.sql_audit`);
- ``rollback`` (or leaving the ``with`` block without ``commit``) discards the
  transaction, the buffers and the identity map. After ``commit`` or
  ``rollback`` the unit of work can be used again for a fresh transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import URL, Connection, Engine

from o2c.engine.ports import Clock, ConcurrencyConflict
from o2c.store.database import default_sqlite_url, make_engine, upgrade
from o2c.store.failures import classify
from o2c.store.sql_audit import SqlAudit
from o2c.store.sql_documents import SqlDocuments
from o2c.store.sql_master import SharedMasterCache, SqlMasterData
from o2c.store.sql_messages import (
    SqlDeadLetters,
    SqlEventLog,
    SqlInbox,
    SqlOutbox,
)
from o2c.store.sql_raw import InsertSql, RawSql
from o2c.store.sql_repos import (
    AggregateCache,
    SqlAccounts,
    SqlDisputes,
    SqlInvoices,
    SqlOrders,
    SqlPayments,
    SqlStock,
)
from o2c.store.sql_sequences import Claims, IdBlocks, SqlSequences
from o2c.store.sql_timers import SqlTimers

__all__ = ["ConcurrencyConflict", "SqlStore", "SqlUnitOfWork"]


class SqlStore:
    """One o2c database (SQLite file or PostgreSQL), migrated to the newest
    schema on construction. Hands out units of work; holds the engine's
    connection pool and the master-data cache shared by its units of work.

    ``url`` may be a URL string, a ``sqlalchemy.URL`` or an ``Engine`` (the
    store then does not own it); None means :func:`default_sqlite_url`.
    ``clock`` stamps outbox rows (wall clock if None).
    """

    def __init__(
        self,
        url: str | URL | Engine | None = None,
        *,
        clock: Clock | None = None,
        migrate: bool = True,
        cache_size: int = 50_000,
        **engine_kwargs: Any,
    ) -> None:
        if isinstance(url, Engine):
            self.engine, self._owns_engine = url, False
        else:
            self.engine = make_engine(url or default_sqlite_url(), **engine_kwargs)
            self._owns_engine = True
        self.clock = clock
        self.master_cache = SharedMasterCache()
        # Committed aggregates kept between transactions (see AggregateCache);
        # 0 turns it off (several writer processes that do not partition by account).
        self.caches: dict[str, AggregateCache] = (
            {t: AggregateCache(cache_size) for t in ("orders", "invoices", "accounts")} if cache_size else {}
        )
        # Ids (orders, dead letters, disputes) come in blocks reserved outside the
        # unit of work on PostgreSQL; SQLite has one writer, so there they stay inside.
        self.id_blocks = IdBlocks(self.engine) if self.dialect != "sqlite" else None
        self.claims = Claims() if self.dialect != "sqlite" else None
        if migrate:
            upgrade(self.engine)

    @property
    def url(self) -> URL:
        return self.engine.url

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self)

    @property
    def sql_engine(self) -> Engine:
        return self.engine

    @property
    def supports_concurrent_writers(self) -> bool:
        return True  # transactions isolate writers; the runtime retries conflicts

    def now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def clear_caches(self, *, keep_ids: bool = False) -> None:
        """Forget cached master data, aggregates and reserved id blocks (after
        changing the database behind the store's back). ``keep_ids`` keeps the
        blocks: they stay valid as long as ``sequences`` was not touched."""
        self.master_cache.clear()
        if self.id_blocks is not None and not keep_ids:
            self.id_blocks.clear()
        for cache in self.caches.values():
            cache.entries.clear()

    def dispose(self) -> None:
        """Close pooled connections (the engine's, if the store made it)."""
        if self._owns_engine:
            self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.url.render_as_string(hide_password=True)!r})"


class SqlUnitOfWork:
    """Implements ``o2c.engine.ports.UnitOfWork``: one atomic transaction over
    every port. Invariants: nothing buffered reaches the database unless
    ``commit`` succeeds; at most one live object per aggregate key; a failed
    commit leaves nothing behind (it rolls back and re-raises, a lost
    optimistic check as :class:`ConcurrencyConflict`)."""

    master: SqlMasterData
    orders: SqlOrders
    invoices: SqlInvoices
    accounts: SqlAccounts
    payments: SqlPayments
    disputes: SqlDisputes
    stock: SqlStock
    events: SqlEventLog
    inbox: SqlInbox
    dead_letters: SqlDeadLetters
    outbox: SqlOutbox
    sequences: SqlSequences
    audit: SqlAudit
    timers: SqlTimers
    documents: SqlDocuments

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self.sqlite = store.dialect == "sqlite"
        self._conn: Connection | None = None
        self._cursor: Any = None
        self._reset()

    def _reset(self) -> None:
        self.master = SqlMasterData(self, self._store.master_cache)
        self.orders = SqlOrders(self)
        self.invoices = SqlInvoices(self)
        self.accounts = SqlAccounts(self)
        self.payments = SqlPayments(self)
        self.disputes = SqlDisputes(self)
        self.stock = SqlStock(self)
        self.events = SqlEventLog(self)
        self.inbox = SqlInbox(self)
        self.dead_letters = SqlDeadLetters(self)
        self.outbox = SqlOutbox(self, self._store.now)
        self.sequences = SqlSequences(self, self._store.id_blocks, self._store.claims)
        self.audit = SqlAudit(self, self._store.now)
        self.timers = SqlTimers(self)
        self.documents = SqlDocuments(self)

    # -------------------------------------------------------- Tx, for the repositories

    @property
    def dialect(self) -> str:
        return self._store.dialect

    def connection(self) -> Connection:
        """This unit of work's connection, in a transaction (begun on first use)."""
        if self._conn is None:
            conn = self._store.engine.connect()
            try:
                conn.begin()
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            self.sequences.claim()  # before any other lock: see o2c.store.sql_sequences
        return self._conn

    def aggregate_cache(self, table: str) -> AggregateCache | None:
        return self._store.caches.get(table)

    def _raw_cursor(self) -> Any:
        if self._cursor is None:
            # The driver's own connection, inside the transaction begun above.
            self._cursor = self.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        return self._cursor

    def raw(self, sql: RawSql, params: Mapping[str, Any]) -> Any:
        """Run a fast-path statement; returns the driver's cursor (read it at once)."""
        cur = self._raw_cursor()
        cur.execute(sql.text(self.sqlite), params)
        return cur

    def raw_many(self, sql: RawSql, rows: Sequence[Mapping[str, Any]]) -> Any:
        cur = self._raw_cursor()
        cur.executemany(sql.text(self.sqlite), rows)
        return cur

    def raw_copy(self, sql: InsertSql, rows: Sequence[Mapping[str, Any]]) -> None:
        """Load rows with PostgreSQL's COPY (text format; psycopg formats each value)."""
        cols = sql.columns
        with self._raw_cursor().copy(f"COPY {sql.table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in cols])

    def prefetch(
        self,
        *,
        orders: Iterable[str] = (),
        invoices: Iterable[str] = (),
        accounts: Iterable[str] = (),
        purchase_orders: Iterable[tuple[str, str]] = (),
        products: Iterable[str] = (),
        holds_of: Iterable[str] = (),
        customers: Iterable[str] = (),
        agreements: Iterable[str] = (),
        agreements_for: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Load what a batch is about to read with one ``IN`` query per table:
        the named aggregates (and the orders of the named invoices), the
        stored orders of (customer, PO) pairs for ``orders.find_by_po``, the
        stock positions of ``products``, and which stored orders of the customers
        ``holds_of`` are on hold (``orders.held_for``: a payment re-evaluates them), and master
        data: the ``customers``, the agreements by id (``agreements``) and of accounts
        (``agreements_for``: (account, product) pairs) a batch of master data messages reads."""
        products = list(products)
        self.stock.prefetch(products)
        self.master.prefetch(customers=customers, products=products, agreements=agreements,
                             agreements_for=agreements_for)
        invoice_ids = list(invoices)
        self.invoices.prefetch(invoice_ids)
        order_ids = list(orders)
        for i in invoice_ids:
            inv = self.invoices.peek(i)
            if inv is not None:
                order_ids.extend(inv.orders)  # a consolidated invoice's payment touches each
        self.orders.prefetch(order_ids)
        self.accounts.prefetch(accounts)
        self.orders.prefetch_po(purchase_orders)
        self.orders.prefetch_held(holds_of)

    # -------------------------------------------------------- UnitOfWork

    def __enter__(self) -> SqlUnitOfWork:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            self.rollback()
        except Exception:
            if exc is None:
                raise  # otherwise the error that ended the transaction is the one to see
        if exc is not None:
            failure = classify(exc)
            if failure is not None:
                # The runtime decides by class: retry what passes, park what never will.
                raise failure from exc

    def commit(self) -> None:
        try:
            # The log and the edges first, then the read models derived from them.
            self.sequences.flush()
            self.events.flush()
            self.inbox.flush()
            self.outbox.flush()
            self.dead_letters.flush()
            self.timers.flush()
            self.documents.flush()
            self.orders.flush()
            self.invoices.flush()
            self.accounts.flush()
            self.payments.flush()
            self.disputes.flush()
            self.master.flush()
            self.audit.flush()  # last: it holds the chain's lock until the commit
            if self._conn is not None:
                self._conn.commit()
            for repo in (self.orders, self.invoices, self.accounts):
                repo.committed()
        except BaseException:
            self._discard(quiet=True)  # the commit's own error is the one worth seeing
            raise
        wrote_master = self.master.dirty
        self._close()
        self._reset()
        if wrote_master:
            self._store.clear_caches(keep_ids=True)

    def rollback(self) -> None:
        self._discard()

    def _discard(self, quiet: bool = False) -> None:
        try:
            if self._conn is not None:
                self._conn.rollback()
        except Exception:
            # A connection that cannot even roll back (its server process is gone, or it was
            # cut off in the middle of a pipeline) is dropped, never handed back to the pool,
            # whose own reset would fail again and log it as an error.
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.invalidate()
            if not quiet:
                raise
        finally:
            self._close()
            self._reset()

    def _close(self) -> None:
        if self._cursor is not None:
            cur, self._cursor = self._cursor, None
            cur.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()
