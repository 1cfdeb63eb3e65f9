"""SQL repositories for the read models (orders, invoices, accounts) and
stock. Used through :class:`o2c.store.sql.SqlUnitOfWork`.

Aggregates live in an identity map for the length of one transaction: the
first ``get`` loads the JSON doc, later ones return the same live object, and
at commit only aggregates whose ``version`` moved are written, in one batched
statement per table. Stock is the exception: every stock change is executed
at once as one atomic conditional statement, because that (not a read in
Python) is what stops two workers from promising the same units.

Per-message statements go through the raw-driver fast path (:mod:`sql_raw`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Connection, Table

from o2c.domain.billing import Invoice, InvoiceStatus
from o2c.domain.collections import Aging, WorklistEntry
from o2c.domain.disputes import Dispute
from o2c.domain.inventory import StockPosition
from o2c.domain.orders import INVOICED_OR_DONE, Order, item_waits
from o2c.domain.payments import Payment
from o2c.domain.receivables import Account
from o2c.engine.ports import ConcurrencyConflict
from o2c.store import sql_collections
from o2c.store.codec import dump, load
from o2c.store.sql_raw import InsertSql, RawSql, in_list, insert_sql, is_unique_violation
from o2c.store.tables import (
    QUANTUM,
    SCALE,
    accounts,
    date_from_db,
    date_to_db,
    disputes,
    exact_from_db,
    exact_to_db,
    invoices,
    order_backorders,
    order_item_waits,
    orders,
    payments,
    utc_to_db,
)


class Tx(Protocol):
    """What the repositories need from their unit of work."""

    @property
    def dialect(self) -> str: ...
    @property
    def sqlite(self) -> bool: ...
    def connection(self) -> Connection: ...
    def raw(self, sql: RawSql, params: Mapping[str, Any]) -> Any: ...
    def raw_many(self, sql: RawSql, rows: Sequence[Mapping[str, Any]]) -> Any: ...
    def raw_copy(self, sql: InsertSql, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def aggregate_cache(self, table: str) -> AggregateCache | None: ...


class AggregateCache:
    """Committed aggregates kept between transactions, so that an order touched
    by four messages is parsed from JSON once, not four times.

    Invariants: an entry is exactly what was last committed by this process
    (key -> (version, object)); objects of a transaction that did not commit
    are evicted, never kept; at most ``capacity`` entries, least recently used
    first out. Safe when one process writes each key (the single-process
    default, and scale-out partitioned by account); a stale entry that is
    written anyway fails the optimistic version check at commit.
    """

    __slots__ = ("capacity", "entries")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: dict[str, tuple[int, Any]] = {}

    def take(self, key: str) -> tuple[int, Any] | None:
        # Removed while a transaction holds it: a crash mid-way cannot leave a
        # half-changed object behind for the next transaction.
        return self.entries.pop(key, None)

    def put(self, key: str, version: int, obj: Any) -> None:
        self.entries[key] = (version, obj)
        if len(self.entries) > self.capacity:
            # Drop the oldest tenth at once, so a full cache does not pay for a
            # scan on every put.
            for old in list(self.entries)[: max(1, self.capacity // 10)]:
                del self.entries[old]


# Below this many rows a pipelined executemany is as quick as COPY's extra round trip.
COPY_MIN_ROWS = 16


def insert_rows(tx: Tx, table: Table, sql: RawSql, rows: Sequence[Mapping[str, Any]]) -> None:
    """Batched insert; a duplicate key becomes :class:`ConcurrencyConflict`."""
    if not rows:
        return
    try:
        if not tx.sqlite and isinstance(sql, InsertSql) and len(rows) >= COPY_MIN_ROWS:
            tx.raw_copy(sql, rows)  # PostgreSQL: one COPY is ~10x faster than row-by-row
        else:
            tx.raw_many(sql, rows)
    except Exception as err:
        if is_unique_violation(err):
            raise ConcurrencyConflict(f"{table.name}: a row with the same key exists ({err})") from err
        raise


_StockKey = tuple[str, str, str]

# ---------------------------------------------------------------- aggregates

# Keys per IN list: well under SQLite's bound-parameter limit.
_IN_CHUNK = 400
_select_many_sql: dict[tuple[str, int], RawSql] = {}


def _select_many(table: str, key: str, n: int) -> RawSql:
    sql = _select_many_sql.get((table, n))
    if sql is None:
        sql = _select_many_sql[(table, n)] = RawSql(
            f"SELECT {key}, version, doc FROM {table} WHERE {key} IN ({in_list('k', n)})"
        )
    return sql


A = TypeVar("A", Order, Invoice, Account, Payment, Dispute)


class _Aggregates(Generic[A]):
    """Identity map plus version tracking for one aggregate table.

    Invariants: one live object per key per transaction; an object loaded at
    version v is written back only if its version is no longer v, with
    ``WHERE version = v`` (optimistic check); a new object is inserted."""

    table: Table
    key: str
    cls: type[A]

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._live: dict[str, A] = {}
        self._loaded: dict[str, int] = {}  # key -> version in the database
        self._missing: set[str] = set()
        self._replaced: set[str] = set()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        t, k = cls.table, cls.key
        cols = [c.name for c in t.columns]
        cls._select = RawSql(f"SELECT version, doc FROM {t.name} WHERE {k} = :k")
        cls._insert = insert_sql(t, cols)
        cls._update = RawSql(
            f"UPDATE {t.name} SET {', '.join(f'{c} = :{c}' for c in cols)} WHERE {k} = :_k AND version = :_v0"
        )

    _select: RawSql
    _insert: RawSql
    _update: RawSql

    def _get(self, key: str) -> A | None:
        obj = self._live.get(key)
        if obj is not None or key in self._missing:
            return obj
        cache = self._tx.aggregate_cache(self.table.name)
        hit = cache.take(key) if cache is not None else None
        if hit is not None:
            version, obj = hit
            self._live[key] = obj
            self._loaded[key] = version
            self._track(key, obj, loaded=True)
            return obj  # type: ignore[no-any-return]
        row = self._tx.raw(self._select, {"k": key}).fetchone()
        if row is None:
            self._missing.add(key)
            return None
        version, doc = row
        obj = load(self.cls, doc)
        self._live[key] = obj
        self._loaded[key] = version
        self._track(key, obj, loaded=True)
        return obj

    def prefetch(self, keys: Iterable[str]) -> None:
        """Load every named aggregate not yet held (nor in the committed cache)
        with one ``IN`` query per chunk; later ``get``s are then free."""
        cache = self._tx.aggregate_cache(self.table.name)
        cached = cache.entries if cache is not None else {}
        todo = sorted({k for k in keys if k not in self._live and k not in self._missing and k not in cached})
        for i in range(0, len(todo), _IN_CHUNK):
            chunk = todo[i : i + _IN_CHUNK]
            sql = _select_many(self.table.name, self.key, len(chunk))
            rows = self._tx.raw(sql, {f"k{j}": k for j, k in enumerate(chunk)}).fetchall()
            for key, version, doc in rows:
                obj = load(self.cls, doc)
                self._live[key] = obj
                self._loaded[key] = version
                self._track(key, obj, loaded=True)
            self._missing.update(k for k in chunk if k not in self._live)

    def peek(self, key: str) -> A | None:
        """The aggregate if this transaction or the committed cache holds it
        (no query; do not change it)."""
        obj = self._live.get(key)
        if obj is None:
            cache = self._tx.aggregate_cache(self.table.name)
            hit = cache.entries.get(key) if cache is not None else None
            obj = hit[1] if hit is not None else None
        return obj

    def _add(self, key: str, obj: A) -> None:
        current = self._live.get(key)
        if current is obj:
            return
        if key in self._loaded:  # replacing a loaded object: write it whatever its version
            self._replaced.add(key)
        self._live[key] = obj
        self._missing.discard(key)
        self._track(key, obj, loaded=False)

    def _track(self, key: str, obj: A, loaded: bool) -> None:
        """Hook for secondary in-memory indexes."""

    def _row(self, obj: A) -> dict[str, Any]:
        """The table row of ``obj``, in stored form."""
        raise NotImplementedError

    def changes(self) -> tuple[list[A], list[tuple[A, int]]]:
        new: list[A] = []
        changed: list[tuple[A, int]] = []
        for key, obj in self._live.items():
            v0 = self._loaded.get(key)
            if v0 is None:
                new.append(obj)
            elif obj.version != v0 or key in self._replaced:
                changed.append((obj, v0))
        return new, changed

    def flush(self) -> None:
        new, changed = self.changes()
        if not new and not changed:
            return
        insert_rows(self._tx, self.table, self._insert, [self._row(o) for o in new])
        if changed:
            rows = [{**self._row(o), "_k": getattr(o, self.key), "_v0": v0} for o, v0 in changed]
            count = self._tx.raw_many(self._update, rows).rowcount
            if count != len(rows):
                raise ConcurrencyConflict(
                    f"{self.table.name}: {len(rows) - count} of {len(rows)} rows were "
                    "changed by another transaction since they were read"
                )
        self._after_flush(new, changed)

    def _after_flush(self, new: list[A], changed: list[tuple[A, int]]) -> None:
        """Hook for derived tables."""

    def committed(self) -> None:
        """After a successful commit: what this transaction holds is now the
        committed state; keep it for the next transactions."""
        cache = self._tx.aggregate_cache(self.table.name)
        if cache is None:
            return
        for key, obj in self._live.items():
            if self._keep(obj):
                cache.put(key, obj.version, obj)

    def _keep(self, obj: A) -> bool:
        return True


def _backorder_products(o: Order) -> frozenset[str]:
    if o.terminal:
        return frozenset()
    # ``backordered`` is never negative (o2c.domain.orders keeps it at zero or more), so its
    # truth is "some is backordered", read without a Decimal comparison per line (the hot path)
    return frozenset([ln.product_id for ln in o.lines if ln.backordered])


_find_pos_sql: dict[tuple[int, int], RawSql] = {}
_held_for_sql: dict[int, RawSql] = {}
_po_numbers_sql: dict[int, RawSql] = {}


class SqlOrders(_Aggregates[Order]):
    """Orders. ``find_by_po`` and ``backordered`` combine the table with this
    transaction's live objects, so they see changes not yet written. The
    ``order_backorders`` rows are derived from each saved order's lines."""

    table, key, cls = orders, "order_id", Order

    def _keep(self, obj: Order) -> bool:
        return not obj.terminal  # a closed or rejected order is rarely touched again

    _find_po = RawSql("SELECT order_id FROM orders WHERE customer_id = :c AND po_number = :p")
    _held = RawSql(
        "SELECT order_id FROM orders WHERE on_hold = TRUE AND order_id > :a ORDER BY order_id LIMIT :n")
    _find_bo = RawSql("SELECT order_id FROM order_backorders WHERE product_id = :p")
    _held_for = RawSql("SELECT order_id FROM orders WHERE customer_id = :c AND on_hold = TRUE")
    _not_invoiced = RawSql(
        "SELECT order_id FROM orders WHERE customer_id = :c AND status NOT IN "
        f"({', '.join(repr(s) for s in INVOICED_OR_DONE)})")
    _insert_bo = insert_sql(order_backorders)
    _delete_bo = RawSql(
        "DELETE FROM order_backorders WHERE order_id = :order_id AND product_id = :product_id"
    )
    _find_waits = RawSql("SELECT order_id FROM order_item_waits WHERE product_id = :p")
    _insert_waits = insert_sql(order_item_waits)
    _delete_waits = RawSql(
        "DELETE FROM order_item_waits WHERE order_id = :order_id AND product_id = :product_id"
    )

    def __init__(self, tx: Tx) -> None:
        super().__init__(tx)
        self._by_po: dict[tuple[str, str], set[str]] = {}
        self._bo_stored: dict[str, frozenset[str]] = {}  # order -> products in order_backorders
        self._waits_stored: dict[str, frozenset[str]] = {}  # order -> products in order_item_waits
        self._po_stored: dict[tuple[str, str], set[str]] = {}  # prefetched stored orders per PO
        self._held_stored: dict[str, set[str]] = {}  # prefetched stored orders on hold per customer
        self._by_customer: dict[str, set[str]] = {}  # this transaction's orders per customer

    def get(self, order_id: str) -> Order | None:
        return self._get(order_id)

    def add(self, order: Order) -> None:
        self._add(order.order_id, order)

    def _track(self, key: str, obj: Order, loaded: bool) -> None:
        # Customer and PO never change after receipt, so this index stays true.
        self._by_po.setdefault((obj.customer_id, obj.po_number), set()).add(key)
        self._by_customer.setdefault(obj.customer_id, set()).add(key)
        if loaded:
            self._bo_stored[key] = _backorder_products(obj)
            self._waits_stored[key] = item_waits(obj)

    def find_by_po(self, customer_id: str, po_number: str) -> str | None:
        """The lowest order id with this customer PO (ids sort in arrival order)."""
        key = (customer_id, po_number)
        stored = self._po_stored.get(key)
        if stored is None:
            rows = self._tx.raw(self._find_po, {"c": customer_id, "p": po_number}).fetchall()
            stored = {r[0] for r in rows}
        found = stored | self._by_po.get(key, set())
        return min(found) if found else None

    def prefetch_po(self, keys: Iterable[tuple[str, str]]) -> None:
        """Look up the stored orders of many (customer, PO) pairs at once, for
        ``find_by_po`` later in this transaction."""
        todo = sorted({k for k in keys if k not in self._po_stored})
        step = _IN_CHUNK // 2
        for i in range(0, len(todo), step):
            chunk = todo[i : i + step]
            customers = sorted({c for c, _ in chunk})
            pos = sorted({p for _, p in chunk})
            sql = _find_pos_sql.get((len(customers), len(pos)))
            if sql is None:
                sql = _find_pos_sql[(len(customers), len(pos))] = RawSql(
                    "SELECT customer_id, po_number, order_id FROM orders "
                    f"WHERE customer_id IN ({in_list('c', len(customers))}) "
                    f"AND po_number IN ({in_list('p', len(pos))})"
                )
            params = {f"c{j}": c for j, c in enumerate(customers)}
            params.update({f"p{j}": p for j, p in enumerate(pos)})
            for k in chunk:
                self._po_stored[k] = set()
            for c, p, order_id in self._tx.raw(sql, params).fetchall():
                if (c, p) in self._po_stored:
                    self._po_stored[(c, p)].add(order_id)

    def prefetch_held(self, customer_ids: Iterable[str]) -> None:
        """Which stored orders of many customers are on hold, at once, for ``held_for``
        later in this transaction."""
        todo = sorted({c for c in customer_ids if c not in self._held_stored})
        for i in range(0, len(todo), _IN_CHUNK):
            chunk = todo[i : i + _IN_CHUNK]
            sql = _held_for_sql.get(len(chunk))
            if sql is None:
                sql = _held_for_sql[len(chunk)] = RawSql(
                    "SELECT customer_id, order_id FROM orders "
                    f"WHERE customer_id IN ({in_list('c', len(chunk))}) AND on_hold = TRUE")
            for c in chunk:
                self._held_stored[c] = set()
            for c, order_id in self._tx.raw(sql, {f"c{j}": c for j, c in enumerate(chunk)}).fetchall():
                self._held_stored[c].add(order_id)

    def po_numbers(self, order_ids: Iterable[str]) -> dict[str, str]:
        """See :meth:`o2c.engine.ports.OrderRepository.po_numbers`: read from the column."""
        ids = set(order_ids)
        found = {k: o.po_number for k in ids if (o := self._live.get(k)) is not None}
        todo = sorted(ids - set(found))
        for i in range(0, len(todo), _IN_CHUNK):
            chunk = todo[i : i + _IN_CHUNK]
            sql = _po_numbers_sql.get(len(chunk))
            if sql is None:
                sql = _po_numbers_sql[len(chunk)] = RawSql(
                    f"SELECT order_id, po_number FROM orders WHERE order_id IN ({in_list('k', len(chunk))})")
            found.update(self._tx.raw(sql, {f"k{j}": k for j, k in enumerate(chunk)}).fetchall())
        return found

    def held(self, limit: int = 1000, after: str = "") -> list[str]:
        """Ids of orders with an open hold (committed state), oldest first, after ``after``."""
        rows = self._tx.raw(self._held, {"n": limit, "a": after}).fetchall()
        return [r[0] for r in rows]

    def held_for(self, customer_ids: Iterable[str]) -> list[str]:
        """Ids of the customers' orders with an open hold (this unit of work's too), sorted."""
        ids = set(customer_ids)
        found: set[str] = set()
        for c in sorted(ids):
            stored = self._held_stored.get(c)
            if stored is None:
                stored = {r[0] for r in self._tx.raw(self._held_for, {"c": c}).fetchall()}
            found.update(o for o in stored if o not in self._live)
        live = self._live
        found.update(k for c in ids for k in self._by_customer.get(c, ()) if live[k].on_hold)
        return sorted(found)

    def not_invoiced_for(self, customer_id: str) -> list[str]:
        """See :meth:`o2c.engine.ports.OrderRepository.not_invoiced_for` (this unit of work's too)."""
        rows = self._tx.raw(self._not_invoiced, {"c": customer_id}).fetchall()
        found = {r[0] for r in rows if r[0] not in self._live}
        found.update(k for k, o in self._live.items()
                     if o.customer_id == customer_id and o.status.value not in INVOICED_OR_DONE)
        return sorted(found)

    def waiting_for_item(self, product_id: str) -> list[str]:
        """Ids of orders held until ``product_id`` is known (or knows a unit), sorted."""
        rows = self._tx.raw(self._find_waits, {"p": product_id}).fetchall()
        found = {r[0] for r in rows if r[0] not in self._live}
        found.update(k for k, o in self._live.items() if product_id in item_waits(o))
        return sorted(found)

    def backordered(self, product_id: str) -> list[str]:
        """Ids of open orders with a backordered line of ``product_id``, sorted."""
        rows = self._tx.raw(self._find_bo, {"p": product_id}).fetchall()
        found = {r[0] for r in rows if r[0] not in self._live}
        found.update(k for k, o in self._live.items() if product_id in _backorder_products(o))
        return sorted(found)

    def _row(self, o: Order) -> dict[str, Any]:
        return {
            "order_id": o.order_id,
            "customer_id": o.customer_id,
            "legal_entity_id": o.legal_entity_id,
            "po_number": o.po_number,
            "status": o.status.value,
            "on_hold": o.on_hold,
            "received_at": utc_to_db(o.received_at, self._tx.sqlite),
            "version": o.version,
            "doc": dump(o),
        }

    def _after_flush(self, new: list[Order], changed: list[tuple[Order, int]]) -> None:
        add: list[dict[str, str]] = []
        remove: list[dict[str, str]] = []
        for o in [*new, *(o for o, _ in changed)]:
            now = _backorder_products(o)
            before = self._bo_stored.get(o.order_id, frozenset())
            add.extend({"order_id": o.order_id, "product_id": p} for p in now - before)
            remove.extend({"order_id": o.order_id, "product_id": p} for p in before - now)
        if remove:
            self._tx.raw_many(self._delete_bo, remove)
        if add:
            self._tx.raw_many(self._insert_bo, add)
        add, remove = [], []
        for o in [*new, *(o for o, _ in changed)]:
            now = item_waits(o)
            before = self._waits_stored.get(o.order_id, frozenset())
            add.extend({"order_id": o.order_id, "product_id": p} for p in now - before)
            remove.extend({"order_id": o.order_id, "product_id": p} for p in before - now)
            self._waits_stored[o.order_id] = now
        if remove:
            self._tx.raw_many(self._delete_waits, remove)
        if add:
            self._tx.raw_many(self._insert_waits, add)


class SqlInvoices(_Aggregates[Invoice]):
    """Invoices, with status, due date and open amount as queryable columns."""

    table, key, cls = invoices, "invoice_id", Invoice

    def _keep(self, obj: Invoice) -> bool:
        return obj.status is InvoiceStatus.OPEN  # a paid or credited invoice is rarely touched again

    def get(self, invoice_id: str) -> Invoice | None:
        return self._get(invoice_id)

    def add(self, invoice: Invoice) -> None:
        self._add(invoice.invoice_id, invoice)

    def _row(self, i: Invoice) -> dict[str, Any]:
        sqlite = self._tx.sqlite
        return {
            "invoice_id": i.invoice_id,
            "order_id": i.order_id,
            "customer_id": i.customer_id,
            "status": i.status.value,
            "due_date": date_to_db(i.due_date, sqlite),
            "open_amount": exact_to_db(i.open_amount, sqlite, strict=False),
            "version": i.version,
            "doc": dump(i),
            "legal_entity_id": i.legal_entity_id,
            "currency": i.currency,
            "disputed": exact_to_db(i.disputed, sqlite, strict=False),
        }

    # -- collections (:mod:`o2c.store.sql_collections`)

    def past_due(self, legal_entity_id: str, as_of: date, limit: int = 100_000) -> list[str]:
        return sql_collections.past_due(self._tx, legal_entity_id, as_of, limit)

    def aging(self, as_of: Mapping[str, date], default: date,
              legal_entity_id: str | None = None) -> list[Aging]:
        return sql_collections.aging(self._tx, as_of, default, legal_entity_id)

    def worklist(self, as_of: Mapping[str, date], default: date, limit: int = 100,
                 legal_entity_id: str | None = None) -> list[WorklistEntry]:
        return sql_collections.worklist(self._tx, as_of, default, limit, legal_entity_id)


class SqlPayments(_Aggregates[Payment]):
    """Payments, with ``waiting`` (cash for a person to place) as an indexed column: the
    cash application queue."""

    table, key, cls = payments, "payment_id", Payment

    _waiting = RawSql("SELECT payment_id FROM payments WHERE waiting = TRUE "
                      "ORDER BY received_at, payment_id LIMIT :n")

    def get(self, payment_id: str) -> Payment | None:
        return self._get(payment_id)

    def add(self, payment: Payment) -> None:
        self._add(payment.payment_id, payment)

    _paid_from = RawSql("SELECT DISTINCT customer_id FROM payments WHERE payer_account = :a "
                        "AND customer_id <> ''")

    def waiting(self, limit: int = 500) -> list[str]:
        """Ids of payments with cash waiting for a person (committed state), oldest first."""
        return [r[0] for r in self._tx.raw(self._waiting, {"n": limit}).fetchall()]

    def paid_from(self, payer_account: str) -> list[str]:
        """See :meth:`o2c.engine.ports.PaymentRepository.paid_from`."""
        if not payer_account:
            return []
        found = {r[0] for r in self._tx.raw(self._paid_from, {"a": payer_account}).fetchall()}
        # and what this unit of work holds (a payment just received, a payer just named)
        found.update(p.customer_id for p in self._live.values()
                     if p.payer_account == payer_account and p.customer_id)
        return sorted(found)

    def _row(self, p: Payment) -> dict[str, Any]:
        return {"payment_id": p.payment_id, "customer_id": p.customer_id, "waiting": p.waiting,
                "received_at": utc_to_db(p.received_at, self._tx.sqlite), "version": p.version,
                "doc": dump(p), "payer_account": p.payer_account}


class SqlDisputes(_Aggregates[Dispute]):
    """Dispute cases, with ``status`` and the role it waits on (``owner_role``) as indexed
    columns: the case lists."""

    table, key, cls = disputes, "dispute_id", Dispute

    _open = RawSql("SELECT dispute_id FROM disputes WHERE status IN ('open', 'escalated') "
                   "ORDER BY opened_at, dispute_id LIMIT :n")

    def get(self, dispute_id: str) -> Dispute | None:
        return self._get(dispute_id)

    def add(self, dispute: Dispute) -> None:
        self._add(dispute.dispute_id, dispute)

    def open(self, limit: int = 500) -> list[str]:
        """Ids of cases still open (committed state), oldest first."""
        return [r[0] for r in self._tx.raw(self._open, {"n": limit}).fetchall()]

    def _row(self, d: Dispute) -> dict[str, Any]:
        sqlite = self._tx.sqlite
        return {"dispute_id": d.dispute_id, "customer_id": d.customer_id, "invoice_id": d.invoice_id,
                "legal_entity_id": d.legal_entity_id, "status": d.status.value, "owner_role": d.waits_on,
                "opened_at": utc_to_db(d.opened_at, sqlite),
                "sla_due": utc_to_db(d.sla_due, sqlite) if d.sla_due is not None else None,
                "version": d.version, "doc": dump(d)}


class SqlAccounts(_Aggregates[Account]):
    """Customer accounts (open AR, exposure)."""

    table, key, cls = accounts, "customer_id", Account

    def get(self, customer_id: str) -> Account | None:
        return self._get(customer_id)

    def add(self, account: Account) -> None:
        self._add(account.customer_id, account)

    def _row(self, a: Account) -> dict[str, Any]:
        return {"customer_id": a.customer_id, "version": a.version, "doc": dump(a),
                "risk": exact_to_db(a.risk, self._tx.sqlite, strict=False), "promise": a.promise.value}


# ---------------------------------------------------------------- stock

_KEY = "warehouse_id = :w AND product_id = :p AND lot_id = :l"
_RESERVE = RawSql(f"UPDATE stock SET reserved = reserved + :q WHERE {_KEY} AND on_hand - reserved >= :q")
_UNRESERVE = RawSql(f"UPDATE stock SET reserved = reserved - :q WHERE {_KEY} AND reserved >= :q")
# reserved <= on_hand always holds, so reserved >= q also guarantees on_hand >= q.
_SHIP = RawSql(
    f"UPDATE stock SET on_hand = on_hand - :q, reserved = reserved - :q WHERE {_KEY} AND reserved >= :q"
)
_UNSHIP = RawSql(f"UPDATE stock SET on_hand = on_hand + :q, reserved = reserved + :q WHERE {_KEY}")
# A count below o2c's on-hand: never takes reserved units (on_hand - q >= reserved).
_COUNT_DOWN = RawSql(f"UPDATE stock SET on_hand = on_hand - :q WHERE {_KEY} AND on_hand - reserved >= :q")
_RECEIVE = RawSql(
    "INSERT INTO stock (warehouse_id, product_id, lot_id, expiry, on_hand, reserved) "
    "VALUES (:w, :p, :l, :e, :q, :zero) "
    "ON CONFLICT (warehouse_id, product_id, lot_id) "
    "DO UPDATE SET on_hand = stock.on_hand + excluded.on_hand"
)
_POSITIONS = (
    "SELECT warehouse_id, product_id, lot_id, expiry, on_hand, reserved FROM stock "
    "WHERE product_id IN ({}) ORDER BY warehouse_id, product_id, lot_id"
)
_positions_sql: dict[int, RawSql] = {}

# PostgreSQL: a whole event's stock lines in one statement (one round trip).
# Each row is still an atomic conditional update; RETURNING names the rows
# that passed, so that a partial success can be given back at once.
_MANY_SET = {
    "reserve": ("reserved = stock.reserved + v.q", "stock.on_hand - stock.reserved >= v.q"),
    "unreserve": ("reserved = stock.reserved - v.q", "stock.reserved >= v.q"),
    "ship": ("on_hand = stock.on_hand - v.q, reserved = stock.reserved - v.q", "stock.reserved >= v.q"),
    "unship": ("on_hand = stock.on_hand + v.q, reserved = stock.reserved + v.q", "TRUE"),
}
_many_sql: dict[tuple[str, int], RawSql] = {}


def _many(kind: str, n: int) -> RawSql:
    sql = _many_sql.get((kind, n))
    if sql is None:
        sets, cond = _MANY_SET[kind]
        values = ", ".join(f"(:w{i}, :p{i}, :l{i}, CAST(:q{i} AS NUMERIC))" for i in range(n))
        sql = _many_sql[(kind, n)] = RawSql(
            f"UPDATE stock SET {sets} FROM (VALUES {values}) AS v(w, p, l, q) "
            "WHERE stock.warehouse_id = v.w AND stock.product_id = v.p AND stock.lot_id = v.l "
            f"AND {cond} RETURNING stock.warehouse_id, stock.product_id, stock.lot_id"
        )
    return sql




def _summed(lines: Iterable[tuple[str, str, str, Decimal]]) -> dict[_StockKey, Decimal]:
    """Quantities per stock key, keys sorted (a fixed lock order across workers)."""
    out: dict[_StockKey, Decimal] = {}
    for w, p, lot, q in lines:
        _check_qty(q)
        out[(w, p, lot)] = out.get((w, p, lot), Decimal(0)) + q
    return dict(sorted(out.items()))


def _check_qty(qty: Decimal) -> None:
    # Checked here, not only by the column type, so the error is raised at the
    # caller's line and not as a wrapped driver error.
    if not isinstance(qty, Decimal | int) or isinstance(qty, bool):
        raise TypeError(f"quantity must be Decimal, got {type(qty).__name__}")
    if qty < 0:
        raise ValueError(f"quantity must not be negative, got {qty}")
    if isinstance(qty, Decimal) and (not qty.is_finite() or qty != qty.quantize(QUANTUM)):
        raise ValueError(f"quantity {qty} has more than {SCALE} decimal places")


class SqlStock:
    """Stock per (warehouse, product, lot). Every change runs immediately as
    one atomic statement; ``reserve`` only succeeds while
    ``on_hand - reserved >= qty`` holds in the database at that instant, so
    concurrent workers never oversell. ``unreserve`` and ``ship`` refuse
    (ValueError) to take more than is reserved. ``positions`` reads a product
    once per transaction and then follows this transaction's own changes; a
    change the database refused makes the next read fresh (so an allocation
    that lost a race plans again on current numbers)."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        # Rows read in this transaction, per product, kept up to date with this
        # transaction's own changes: [lot key, expiry, on_hand, reserved].
        # A change that fails (another worker got there first) or a receipt
        # forgets the product, so the next read is fresh from the database.
        self._known: dict[str, dict[_StockKey, list[Any]]] = {}

    def _exec(self, sql: RawSql, w: str, p: str, lot: str, qty: Decimal) -> int:
        _check_qty(qty)
        q = exact_to_db(qty, self._tx.sqlite)
        n = int(self._tx.raw(sql, {"w": w, "p": p, "l": lot, "q": q}).rowcount)
        if n != 1:
            self._known.pop(p, None)
        return n

    def _moved(self, key: _StockKey, on_hand: Decimal, reserved: Decimal) -> None:
        """This transaction changed ``key`` by these deltas."""
        rows = self._known.get(key[1])
        if rows is None:
            return
        row = rows.get(key)
        if row is None:  # a row that appeared since it was read: read it again
            del self._known[key[1]]
            return
        row[2] += on_hand
        row[3] += reserved

    def _load(self, product_ids: list[str]) -> None:
        for i in range(0, len(product_ids), _IN_CHUNK):
            ids = product_ids[i : i + _IN_CHUNK]
            sql = _positions_sql.get(len(ids))
            if sql is None:
                sql = _positions_sql[len(ids)] = RawSql(_POSITIONS.format(in_list("p", len(ids))))
            rows = self._tx.raw(sql, {f"p{i}": p for i, p in enumerate(ids)}).fetchall()
            for p in ids:
                self._known[p] = {}
            for w, p, lot, e, oh, r in rows:
                self._known[p][(w, p, lot)] = [lot, date_from_db(e), exact_from_db(oh), exact_from_db(r)]

    def prefetch(self, product_ids: Iterable[str]) -> None:
        """Read the positions of many products at once (see ``positions``)."""
        todo = sorted({p for p in product_ids if p not in self._known})
        if todo:
            self._load(todo)

    def positions(self, product_ids: Iterable[str]) -> list[StockPosition]:
        ids = sorted(set(product_ids))
        if not ids:
            return []
        todo = [p for p in ids if p not in self._known]
        if todo:
            self._load(todo)
        found = [(k, row) for p in ids for k, row in self._known[p].items()]
        found.sort(key=lambda kr: kr[0])
        return [
            StockPosition(warehouse_id=w, product_id=p, lot_id=lot, expiry=e, on_hand=oh, reserved=r)
            for (w, p, _), (lot, e, oh, r) in found
        ]

    def reserve(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> bool:
        if self._exec(_RESERVE, warehouse_id, product_id, lot_id, qty) != 1:
            return False
        self._moved((warehouse_id, product_id, lot_id), Decimal(0), qty)
        return True

    def _exec_many(self, kind: str, wanted: Mapping[_StockKey, Decimal]) -> set[_StockKey]:
        """PostgreSQL: one statement over every key; the keys whose row changed."""
        params: dict[str, Any] = {}
        for i, ((w, p, lot), q) in enumerate(wanted.items()):
            params[f"w{i}"], params[f"p{i}"], params[f"l{i}"] = w, p, lot
            params[f"q{i}"] = exact_to_db(q, False)
        rows = self._tx.raw(_many(kind, len(wanted)), params).fetchall()
        return {(w, p, lot) for w, p, lot in rows}

    def reserve_all(self, lines: Sequence[tuple[str, str, str, Decimal]]) -> bool:
        """Reserve every line or none; see the port. One round trip on PostgreSQL."""
        wanted = _summed(lines)
        if not wanted:
            return True
        if self._tx.sqlite:  # in-process: a loop costs no round trips
            done: list[tuple[_StockKey, Decimal]] = []
            for k, q in wanted.items():
                if not self.reserve(*k, q):
                    for d, dq in done:
                        self.unreserve(*d, dq)
                    return False
                done.append((k, q))
            return True
        changed = self._exec_many("reserve", wanted)
        if len(changed) == len(wanted):
            for k, q in wanted.items():
                self._moved(k, Decimal(0), q)
            return True
        if changed:
            self._exec_many("unreserve", {k: q for k, q in wanted.items() if k in changed})
        for k in wanted:
            self._known.pop(k[1], None)
        return False

    def ship_all(self, lines: Sequence[tuple[str, str, str, Decimal]]) -> None:
        """Ship every line or none; see the port. One round trip on PostgreSQL."""
        wanted = _summed(lines)
        if not wanted:
            return
        if self._tx.sqlite:
            done: list[tuple[_StockKey, Decimal]] = []
            for k, q in wanted.items():
                if self._exec(_SHIP, *k, q) != 1:
                    for d, dq in done:
                        self._exec(_UNSHIP, *d, dq)
                        self._moved(d, dq, dq)
                    raise ValueError(f"cannot ship {q} of {'/'.join(k)}: not reserved")
                self._moved(k, -q, -q)
                done.append((k, q))
            return
        changed = self._exec_many("ship", wanted)
        if len(changed) == len(wanted):
            for k, q in wanted.items():
                self._moved(k, -q, -q)
            return
        if changed:
            self._exec_many("unship", {k: q for k, q in wanted.items() if k in changed})
        for k in wanted:
            self._known.pop(k[1], None)
        k, q = next((k, q) for k, q in wanted.items() if k not in changed)
        raise ValueError(f"cannot ship {q} of {'/'.join(k)}: not reserved")

    def unreserve(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> None:
        if self._exec(_UNRESERVE, warehouse_id, product_id, lot_id, qty) != 1:
            raise ValueError(
                f"cannot unreserve {qty} of {warehouse_id}/{product_id}/{lot_id}: not that much reserved"
            )
        self._moved((warehouse_id, product_id, lot_id), Decimal(0), -qty)

    def ship(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> None:
        if self._exec(_SHIP, warehouse_id, product_id, lot_id, qty) != 1:
            raise ValueError(f"cannot ship {qty} of {warehouse_id}/{product_id}/{lot_id}: not reserved")
        self._moved((warehouse_id, product_id, lot_id), -qty, -qty)

    def adjust(
        self, warehouse_id: str, product_id: str, lot_id: str, expiry: date | None, delta: Decimal
    ) -> bool:
        """Correct on-hand to a count; see the port. A positive delta is a receipt
        (the row is created if missing); a negative one is one conditional update
        that refuses (False, nothing changed) to go below reserved."""
        if not isinstance(delta, Decimal | int) or isinstance(delta, bool):
            raise TypeError(f"delta must be Decimal, got {type(delta).__name__}")
        if delta >= 0:
            if delta > 0:
                self.receive(warehouse_id, product_id, lot_id, expiry, delta)
            return True
        if self._exec(_COUNT_DOWN, warehouse_id, product_id, lot_id, -delta) != 1:
            return False
        self._moved((warehouse_id, product_id, lot_id), delta, Decimal(0))
        return True

    def receive(
        self, warehouse_id: str, product_id: str, lot_id: str, expiry: date | None, qty: Decimal
    ) -> None:
        """Add ``qty`` on hand, creating the lot's row on first receipt (a
        lot's expiry is set by its first receipt)."""
        _check_qty(qty)
        sqlite = self._tx.sqlite
        self._known.pop(product_id, None)
        self._tx.raw(
            _RECEIVE,
            {
                "w": warehouse_id,
                "p": product_id,
                "l": lot_id,
                "e": date_to_db(expiry, sqlite),
                "q": exact_to_db(qty, sqlite),
                "zero": exact_to_db(Decimal(0), sqlite),
            },
        )


# ---------------------------------------------------------------- sequences

_NEXT = RawSql(
    "INSERT INTO sequences (name, value) VALUES (:n, 1) ON CONFLICT (name) "
    "DO UPDATE SET value = sequences.value + 1 RETURNING value"
)


def next_value(tx: Tx, name: str) -> int:
    """Take the next number of counter ``name`` (1 on first use). The row stays
    locked until the transaction ends, so numbers are gapless across workers."""
    # fetchall, not fetchone: SQLite finishes a RETURNING statement only when
    # its rows are exhausted, and an unfinished write blocks COMMIT.
    return int(tx.raw(_NEXT, {"n": name}).fetchall()[0][0])
