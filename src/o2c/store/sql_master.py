"""SQL master data with a store-wide cache. Used through
:class:`o2c.store.sql.SqlUnitOfWork`.

Master data is read on every message and changes rarely, so reads are cached
across units of work. The cache is checked against a version counter (a row
of ``sequences``) once per transaction, with one tiny query; every master
write bumps that counter in the same transaction, so other units of work and
other processes drop their caches once it commits. A unit of work that wrote
master data reads through a cache of its own: it sees its own uncommitted
writes, and they never leak into the shared cache.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Table

from o2c.domain.master import (
    Customer,
    LegalEntity,
    PriceAgreement,
    Product,
    TaxRate,
    Warehouse,
    agreement_for,
)
from o2c.store.codec import dump, load
from o2c.store.sql_raw import RawSql, in_list
from o2c.store.sql_repos import Tx, next_value
from o2c.store.tables import customers, legal_entities, price_agreements, products, tax_rates, warehouses

#: Row of ``sequences`` bumped whenever master data is written; caches compare it.
MASTER_DATA_VERSION = "_o2c.master_data_version"


class MasterCache:
    """Master data read so far, valid for one value of the version counter.
    Entries are frozen dataclasses, safe to share between units of work."""

    def __init__(self, version: int | None) -> None:
        self.version = version
        self.one: dict[tuple[str, str], Any] = {}  # (kind, id) -> object, or None if absent
        self.warehouses: dict[str, list[Warehouse]] = {}
        self.groups: dict[str, tuple[str, ...]] = {}  # parent -> the group's accounts
        # customer -> product -> agreements (a customer's are loaded together)
        self.agreements: dict[str, dict[str, list[PriceAgreement]]] = {}
        # (customer, product) -> agreements, loaded for a batch of agreements
        self.pairs: dict[tuple[str, str], list[PriceAgreement]] = {}
        self.tax_rates: dict[str, list[TaxRate]] = {}  # country -> its rates

    def copy(self) -> MasterCache:
        """A cache of its own for a unit of work that writes, holding what this one holds."""
        mine = MasterCache(None)
        mine.one = dict(self.one)
        mine.warehouses = dict(self.warehouses)
        mine.groups = dict(self.groups)
        mine.agreements = dict(self.agreements)  # a customer's dict is replaced, never changed
        mine.pairs = dict(self.pairs)
        mine.tax_rates = dict(self.tax_rates)  # a country's list is replaced, never changed
        return mine


class SharedMasterCache:
    """The store-wide holder of the current :class:`MasterCache`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache = MasterCache(None)

    def at(self, version: int) -> MasterCache:
        """The cache for ``version``, emptied first if the version moved on."""
        with self._lock:
            if self._cache.version != version:
                self._cache = MasterCache(version)
            return self._cache

    def clear(self) -> None:
        with self._lock:
            self._cache = MasterCache(None)


_ONE: dict[str, tuple[RawSql, type[Any]]] = {
    "legal_entity": (RawSql("SELECT doc FROM legal_entities WHERE entity_id = :k"), LegalEntity),
    "customer": (RawSql("SELECT doc FROM customers WHERE customer_id = :k"), Customer),
    "product": (RawSql("SELECT doc FROM products WHERE product_id = :k"), Product),
    "warehouse": (RawSql("SELECT doc FROM warehouses WHERE warehouse_id = :k"), Warehouse),
    "agreement": (RawSql("SELECT doc FROM price_agreements WHERE agreement_id = :k"), PriceAgreement),
    "tax_rate": (RawSql("SELECT doc FROM tax_rates WHERE rate_id = :k"), TaxRate),
}
#: kind -> (table, key column, class), for :meth:`SqlMasterData.prefetch`
_TABLES: dict[str, tuple[str, str, type[Any]]] = {
    "customer": ("customers", "customer_id", Customer),
    "product": ("products", "product_id", Product),
    "agreement": ("price_agreements", "agreement_id", PriceAgreement),
}
_IN_CHUNK = 500
_TAX_RATES = RawSql("SELECT doc FROM tax_rates WHERE country = :c ORDER BY rate_id")
_VERSION = RawSql("SELECT value FROM sequences WHERE name = :n")
_WAREHOUSES = RawSql("SELECT doc FROM warehouses WHERE legal_entity_id = :le ORDER BY warehouse_id")
_AGREEMENTS = RawSql(
    "SELECT product_id, doc FROM price_agreements WHERE customer_id = :c ORDER BY agreement_id"
)


def _upsert(table: Table, key: str, columns: list[str]) -> RawSql:
    others = [c for c in columns if c != key]
    return RawSql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)}) ON CONFLICT ({key}) "
        f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in others)}"
    )


_PUT_LEGAL_ENTITY = _upsert(legal_entities, "entity_id", ["entity_id", "doc"])
_PUT_WAREHOUSE = _upsert(warehouses, "warehouse_id", ["warehouse_id", "legal_entity_id", "doc"])
_PUT_CUSTOMER = _upsert(customers, "customer_id", ["customer_id", "parent_id", "doc"])
_GROUP = RawSql("SELECT customer_id FROM customers WHERE parent_id = :p OR customer_id = :p "
                "ORDER BY customer_id")
_PUT_PRODUCT = _upsert(products, "product_id", ["product_id", "doc"])
_PUT_AGREEMENT = _upsert(
    price_agreements, "agreement_id", ["agreement_id", "customer_id", "product_id", "doc"]
)
_PUT_TAX_RATE = _upsert(tax_rates, "rate_id", ["rate_id", "country", "region", "doc"])
#: statement -> the key column of its rows
_KEYS = {_PUT_LEGAL_ENTITY: "entity_id", _PUT_WAREHOUSE: "warehouse_id", _PUT_CUSTOMER: "customer_id",
         _PUT_PRODUCT: "product_id", _PUT_AGREEMENT: "agreement_id", _PUT_TAX_RATE: "rate_id"}


class SqlMasterData:
    """Implements ``o2c.engine.ports.MasterData``; see the module docstring
    for the caching rules."""

    def __init__(self, tx: Tx, shared: SharedMasterCache) -> None:
        self._tx = tx
        self._shared_holder = shared
        self._shared: MasterCache | None = None
        self._local: MasterCache | None = None
        self.dirty = False
        # rows written, by statement and key, sent in one round trip each at commit (or before
        # a read that goes to the database): a file of records writes a few statements, not one
        # per record
        self._pending: dict[RawSql, dict[str, dict[str, Any]]] = {}

    def flush(self) -> None:
        """Send the rows written so far (at commit, and before reading from the tables)."""
        for sql, rows in self._pending.items():
            if rows:
                self._tx.raw_many(sql, list(rows.values()))
        self._pending.clear()

    def _cache(self) -> MasterCache:
        if self._local is not None:
            return self._local
        if self._shared is None:
            row = self._tx.raw(_VERSION, {"n": MASTER_DATA_VERSION}).fetchone()
            self._shared = self._shared_holder.at(int(row[0]) if row else 0)
        return self._shared

    def _one(self, kind: str, key: str) -> Any:
        cache = self._cache()
        k = (kind, key)
        if k in cache.one:
            return cache.one[k]
        sql, cls = _ONE[kind]
        self.flush()
        row = self._tx.raw(sql, {"k": key}).fetchone()
        obj = None if row is None else load(cls, row[0])
        cache.one[k] = obj
        return obj

    def legal_entity(self, entity_id: str) -> LegalEntity | None:
        return self._one("legal_entity", entity_id)  # type: ignore[no-any-return]

    def customer(self, customer_id: str) -> Customer | None:
        return self._one("customer", customer_id)  # type: ignore[no-any-return]

    def product(self, product_id: str) -> Product | None:
        return self._one("product", product_id)  # type: ignore[no-any-return]

    def warehouse(self, warehouse_id: str) -> Warehouse | None:
        return self._one("warehouse", warehouse_id)  # type: ignore[no-any-return]

    def warehouses(self, legal_entity_id: str) -> list[Warehouse]:
        """The legal entity's warehouses, by warehouse id."""
        cache = self._cache()
        found = cache.warehouses.get(legal_entity_id)
        if found is None:
            self.flush()
            rows = self._tx.raw(_WAREHOUSES, {"le": legal_entity_id}).fetchall()
            found = cache.warehouses[legal_entity_id] = [load(Warehouse, r[0]) for r in rows]
        return list(found)

    def group(self, parent_id: str) -> tuple[str, ...]:
        """The accounts of the group ``parent_id`` heads (itself and its children), by id;
        a customer with no children and no parent is a group of one."""
        cache = self._cache()
        found = cache.groups.get(parent_id)
        if found is None:
            self.flush()
            rows = self._tx.raw(_GROUP, {"p": parent_id}).fetchall()
            found = cache.groups[parent_id] = tuple(r[0] for r in rows)
        return found

    def agreements(self, customer_id: str, product_id: str) -> list[PriceAgreement]:
        cache = self._cache()
        pair = cache.pairs.get((customer_id, product_id))
        if pair is not None and customer_id not in cache.agreements:
            return list(pair)
        by_product = cache.agreements.get(customer_id)
        if by_product is None:
            # All of a customer's agreements at once: an order asks for several
            # products, and customers without contracts cost one query, not one per line.
            by_product = {}
            self.flush()
            for product, doc in self._tx.raw(_AGREEMENTS, {"c": customer_id}).fetchall():
                by_product.setdefault(product, []).append(load(PriceAgreement, doc))
            cache.agreements[customer_id] = by_product
        return list(by_product.get(product_id, ()))

    def agreement(self, agreement_id: str) -> PriceAgreement | None:
        return self._one("agreement", agreement_id)  # type: ignore[no-any-return]

    def tax_rates(self, country: str) -> list[TaxRate]:
        """A country's rates, read together (an invoice asks for several ship-tos and classes)."""
        cache = self._cache()
        found = cache.tax_rates.get(country)
        if found is None:
            self.flush()
            rows = self._tx.raw(_TAX_RATES, {"c": country}).fetchall()
            found = cache.tax_rates[country] = [load(TaxRate, r[0]) for r in rows]
        return list(found)

    def tax_rate(self, rate_id: str) -> TaxRate | None:
        return self._one("tax_rate", rate_id)  # type: ignore[no-any-return]

    def price_agreement(self, customer: Customer, product_id: str, day: date) -> PriceAgreement | None:
        group = [a for a in self.agreements(customer.parent_id, product_id) if a.group] \
            if customer.parent_id else []
        return agreement_for(self.agreements(customer.customer_id, product_id), group, day)

    def prefetch(self, *, customers: Iterable[str] = (), products: Iterable[str] = (),
                 agreements: Iterable[str] = (),
                 agreements_for: Iterable[tuple[str, str]] = ()) -> None:
        """Load the named records not cached yet with one ``IN`` query per table (a batch of
        master data messages, or of orders, reads them one by one afterwards)."""
        cache = self._cache()
        self.flush()
        for kind, keys in (("customer", customers), ("product", products), ("agreement", agreements)):
            todo = sorted({k for k in keys if (kind, k) not in cache.one})
            table, key, cls = _TABLES[kind]
            for i in range(0, len(todo), _IN_CHUNK):
                chunk = todo[i:i + _IN_CHUNK]
                sql = RawSql(f"SELECT {key}, doc FROM {table} WHERE {key} IN ({in_list('k', len(chunk))})")
                for k in chunk:
                    cache.one[(kind, k)] = None
                for k, doc in self._tx.raw(sql, {f"k{j}": k for j, k in enumerate(chunk)}).fetchall():
                    cache.one[(kind, k)] = load(cls, doc)
        pairs = sorted({p for p in agreements_for if p not in cache.pairs and p[0] not in cache.agreements})
        for i in range(0, len(pairs), _IN_CHUNK):
            some = pairs[i:i + _IN_CHUNK]
            # by the (customer_id, product_id) index on both lists; the pairs are picked here
            cs, ps = sorted({c for c, _ in some}), sorted({p for _, p in some})
            sql = RawSql("SELECT customer_id, product_id, doc FROM price_agreements "
                         f"WHERE customer_id IN ({in_list('c', len(cs))}) "
                         f"AND product_id IN ({in_list('p', len(ps))}) ORDER BY agreement_id")
            params = {**{f"c{j}": c for j, c in enumerate(cs)}, **{f"p{j}": p for j, p in enumerate(ps)}}
            wanted = set(some)  # both lists also match pairs nobody asked for: not kept
            for pair in wanted:
                cache.pairs[pair] = []
            for c, product, doc in self._tx.raw(sql, params).fetchall():
                if (c, product) in wanted:
                    cache.pairs[(c, product)].append(load(PriceAgreement, doc))

    def _write(self, sql: RawSql, row: dict[str, Any], one: tuple[str, str, Any] | None = None) -> None:
        """Write a row. The first write of a unit of work starts its own cache, from what the
        shared one holds (its entries are frozen; the dicts are copied); a customer, product
        or agreement written (``one``: kind, id, object) is put in it, so a file of them read
        and written one after the other does not read everything again after each."""
        self._pending.setdefault(sql, {})[row[_KEYS[sql]]] = row
        if not self.dirty:
            next_value(self._tx, MASTER_DATA_VERSION)
            self.dirty = True
        if self._local is None:
            self._local = self._cache().copy()
        if one is None:
            self._local.warehouses.clear()  # a warehouse or legal entity: read them again
            self._local.one = {k: v for k, v in self._local.one.items()
                               if k[0] not in ("warehouse", "legal_entity")}
            return
        kind, key, obj = one
        self._local.one[(kind, key)] = obj
        if kind == "customer":
            self._local.groups.clear()  # its parent may have changed
        elif kind == "tax_rate":
            if obj.country in self._local.tax_rates:
                others = [r for r in self._local.tax_rates[obj.country] if r.rate_id != key]
                self._local.tax_rates[obj.country] = sorted([*others, obj], key=lambda r: r.rate_id)
        elif kind == "agreement":
            pair = (obj.customer_id, obj.product_id)
            if pair in self._local.pairs:
                self._local.pairs[pair] = sorted(
                    [*(a for a in self._local.pairs[pair] if a.agreement_id != key), obj],
                    key=lambda a: a.agreement_id)
            by_product = self._local.agreements.get(obj.customer_id)
            if by_product is not None:
                mine = [a for a in by_product.get(obj.product_id, ()) if a.agreement_id != key]
                by_product = {**by_product, obj.product_id: sorted([*mine, obj],
                                                                   key=lambda a: a.agreement_id)}
                self._local.agreements[obj.customer_id] = by_product

    def add_legal_entity(self, e: LegalEntity) -> None:
        self._write(_PUT_LEGAL_ENTITY, {"entity_id": e.entity_id, "doc": dump(e)})

    def add_warehouse(self, w: Warehouse) -> None:
        self._write(
            _PUT_WAREHOUSE,
            {"warehouse_id": w.warehouse_id, "legal_entity_id": w.legal_entity_id, "doc": dump(w)},
        )

    def add_customer(self, c: Customer) -> None:
        self._write(_PUT_CUSTOMER, {"customer_id": c.customer_id, "parent_id": c.parent_id,
                                    "doc": dump(c)}, ("customer", c.customer_id, c))

    def add_product(self, p: Product) -> None:
        self._write(_PUT_PRODUCT, {"product_id": p.product_id, "doc": dump(p)},
                    ("product", p.product_id, p))

    def add_price_agreement(self, a: PriceAgreement) -> None:
        self._write(
            _PUT_AGREEMENT,
            {
                "agreement_id": a.agreement_id,
                "customer_id": a.customer_id,
                "product_id": a.product_id,
                "doc": dump(a),
            },
            ("agreement", a.agreement_id, a),
        )

    def add_tax_rate(self, r: TaxRate) -> None:
        self._write(_PUT_TAX_RATE, {"rate_id": r.rate_id, "country": r.country, "region": r.region,
                                    "doc": dump(r)}, ("tax_rate", r.rate_id, r))
