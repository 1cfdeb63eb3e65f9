"""What only the SQL store promises: the migrated schema is the declared one,
storage is exact, concurrent writers are caught, caches follow other
processes, and SQLite runs with the settings the store relies on."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from o2c.domain.orders import OrderStatus
from o2c.store.database import (
    current_revision,
    default_sqlite_url,
    head_revision,
    make_engine,
    upgrade,
)
from o2c.store.sql import ConcurrencyConflict, SqlStore
from o2c.store.tables import invoices, metadata, orders, stock
from tests.contract.conftest import (
    credit_approved,
    customer,
    envelope,
    invoice,
    message,
    order,
)

# ---------------------------------------------------------------- schema and migrations


def test_the_migrated_schema_is_the_declared_one(sql_store: SqlStore) -> None:
    with sql_store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []
        assert current_revision(conn) == head_revision()


def test_upgrade_is_idempotent(sql_store: SqlStore) -> None:
    upgrade(sql_store.engine)
    upgrade(sql_store.url)
    with sql_store.engine.connect() as conn:
        assert current_revision(conn) == head_revision()


def test_migrations_build_an_empty_sqlite_file_and_take_it_down_again(tmp_path: Path) -> None:
    from alembic import command

    from o2c.store.database import alembic_config

    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'o2c.db'}"  # parent directories are created
    upgrade(url)
    engine = make_engine(url)
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("synchronous") == 1  # NORMAL
            assert pragma("busy_timeout") >= 1000
    finally:
        engine.dispose()


def test_the_default_database_is_a_file_in_the_user_data_directory() -> None:
    url = default_sqlite_url()
    assert url.startswith("sqlite:///")
    assert Path(url.removeprefix("sqlite:///")).parts[-2:] == ("o2c", "o2c.db")


def test_a_plain_postgresql_url_is_driven_by_psycopg() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/x")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_importing_the_memory_store_does_not_load_sqlalchemy() -> None:
    code = (
        "import sys, o2c.store.memory; "
        "sys.exit(1 if {'sqlalchemy', 'pydantic', 'alembic'} & set(sys.modules) else 0)"
    )
    src = str(Path(__import__("o2c").__file__).parents[1])
    assert subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": src}).returncode == 0


# ---------------------------------------------------------------- exact storage


def _raw(store: SqlStore, stmt: Any) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(stmt).one()


def test_stock_quantities_are_stored_exactly(sql_store: SqlStore) -> None:
    with sql_store.unit_of_work() as uow:
        uow.stock.receive("W1", "P1", "-", None, Decimal("123456789.123"))
        assert uow.stock.reserve("W1", "P1", "-", Decimal("0.001"))
        uow.commit()
    on_hand, reserved = _raw(sql_store, select(stock.c.on_hand, stock.c.reserved))
    assert (on_hand, reserved) == (Decimal("123456789.123"), Decimal("0.001"))
    assert isinstance(on_hand, Decimal)
    with sql_store.engine.connect() as conn:  # and really as integers on SQLite, not floats
        raw = conn.exec_driver_sql("SELECT on_hand FROM stock").scalar()
    assert raw == (1234567891230 if sql_store.dialect == "sqlite" else Decimal("123456789.1230"))


def test_quantities_finer_than_the_storage_scale_are_refused_not_rounded(sql_store: SqlStore) -> None:
    with sql_store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="decimal places"):
            uow.stock.receive("W1", "P1", "-", None, Decimal("1.00001"))
        with pytest.raises(TypeError):
            uow.stock.receive("W1", "P1", "-", None, 1.5)  # type: ignore[arg-type]


def test_read_model_columns_follow_the_saved_aggregate(sql_store: SqlStore) -> None:
    with sql_store.unit_of_work() as uow:
        uow.orders.add(order("O-1", po="PO-7", status=OrderStatus.BACKORDERED))
        uow.invoices.add(invoice("I-1", total=Decimal("21.395")))
        uow.commit()
    row = _raw(
        sql_store,
        select(orders.c.po_number, orders.c.status, orders.c.on_hold, orders.c.received_at, orders.c.version),
    )
    assert tuple(row) == ("PO-7", "backordered", True, order().received_at, 1)
    assert _raw(sql_store, select(invoices.c.open_amount, invoices.c.status)) == (Decimal("11.3900"), "open")


def test_naive_datetimes_are_refused(sql_store: SqlStore) -> None:
    naive = envelope(credit_approved(), n=1, occurred_at=datetime(2026, 1, 1))
    with sql_store.unit_of_work() as uow, pytest.raises(ValueError, match="offset"):
        uow.events.append([naive])


def test_an_inbox_status_outside_the_vocabulary_is_refused(sql_store: SqlStore) -> None:
    with sql_store.unit_of_work() as uow:
        uow.inbox.add(message("m1"), None)
        with pytest.raises(ValueError, match="applied"):
            uow.inbox.mark("edi", "m1", "done", None)


# ---------------------------------------------------------------- concurrency


@pytest.mark.postgres
def test_a_stale_version_fails_the_whole_commit(clean_pg_store: SqlStore) -> None:
    store = clean_pg_store
    with store.unit_of_work() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    a, b = store.unit_of_work(), store.unit_of_work()
    a.orders.get("O-1").version += 1
    a.inbox.add(message("m-a"), None)
    b.orders.get("O-1").version += 1
    b.commit()
    with pytest.raises(ConcurrencyConflict, match="orders"):
        a.commit()
    with store.unit_of_work() as uow:
        assert uow.inbox.seen([("edi", "m-a")]) == set()  # nothing of a's commit is left
        assert uow.orders.get("O-1").version == 2
    a.rollback()


@pytest.mark.postgres
def test_two_workers_taking_the_same_message_conflict(clean_pg_store: SqlStore) -> None:
    a, b = clean_pg_store.unit_of_work(), clean_pg_store.unit_of_work()
    a.inbox.add(message("m1"), None)
    b.inbox.add(message("m1"), None)
    b.commit()
    with pytest.raises(ConcurrencyConflict, match="inbox"):
        a.commit()
    with a:
        assert a.inbox.seen([("edi", "m1")]) == {("edi", "m1")}  # a retry sees the duplicate


@pytest.mark.postgres
def test_a_duplicate_in_a_bulk_load_conflicts_too(clean_pg_store: SqlStore) -> None:
    a, b = clean_pg_store.unit_of_work(), clean_pg_store.unit_of_work()
    for i in range(40):  # enough rows for COPY rather than INSERT
        a.inbox.add(message(f"m{i}"), None)
    b.inbox.add(message("m39"), None)
    b.commit()
    with pytest.raises(ConcurrencyConflict, match="inbox"):
        a.commit()
    with a:
        assert a.inbox.seen([("edi", "m0"), ("edi", "m39")]) == {("edi", "m39")}


def test_a_unit_of_work_starts_afresh_after_commit(sql_store: SqlStore) -> None:
    uncached = SqlStore(sql_store.engine, cache_size=0)
    uow = uncached.unit_of_work()
    uow.orders.add(order("O-1"))
    uow.commit()
    first = uow.orders.get("O-1")
    assert first is not None
    uow.commit()
    assert uow.orders.get("O-1") is not first


def test_changes_of_a_rolled_back_unit_of_work_never_reach_the_aggregate_cache(sql_store: SqlStore) -> None:
    with sql_store.unit_of_work() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    with sql_store.unit_of_work() as uow:
        o = uow.orders.get("O-1")
        o.po_number = "CHANGED"
        o.version += 1
        uow.rollback()
    with sql_store.unit_of_work() as uow:
        assert uow.orders.get("O-1").po_number == "PO-1"


def test_a_stale_cached_aggregate_fails_its_commit_and_the_retry_sees_fresh_state(
    sql_store: SqlStore,
) -> None:
    other = SqlStore(sql_store.engine)  # another writer process with its own cache
    with sql_store.unit_of_work() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    with sql_store.unit_of_work() as uow:
        uow.orders.get("O-1")  # now cached here at version 1
        uow.commit()
    with other.unit_of_work() as uow:
        o = uow.orders.get("O-1")
        o.po_number, o.version = "BY-OTHER", o.version + 1
        uow.commit()
    uow = sql_store.unit_of_work()
    stale = uow.orders.get("O-1")
    assert stale.po_number == "PO-1"
    stale.version += 1
    with pytest.raises(ConcurrencyConflict, match="orders"):
        uow.commit()
    with sql_store.unit_of_work() as uow:
        assert uow.orders.get("O-1").po_number == "BY-OTHER"


# ---------------------------------------------------------------- master-data cache


def test_master_data_changed_by_another_process_is_seen(sql_store: SqlStore) -> None:
    other = SqlStore(sql_store.engine)  # another store: its own cache, as in another process
    with sql_store.unit_of_work() as uow:
        uow.master.add_customer(customer("C1"))
        uow.commit()
    with other.unit_of_work() as uow:
        assert uow.master.customer("C1").blocked is False  # now cached in `other`
    with sql_store.unit_of_work() as uow:
        blocked = customer("C1")
        object.__setattr__(blocked, "blocked", True)
        uow.master.add_customer(blocked)
        uow.commit()
    with other.unit_of_work() as uow:
        assert uow.master.customer("C1").blocked is True


def test_uncommitted_master_data_never_reaches_the_shared_cache(sql_store: SqlStore) -> None:
    with sql_store.unit_of_work() as uow:
        uow.master.add_customer(customer("C1"))
        assert uow.master.customer("C1") is not None
    with sql_store.unit_of_work() as uow:
        assert uow.master.customer("C1") is None


def test_sequences_live_next_to_master_data_version_without_clashing(sql_store: SqlStore) -> None:
    with sql_store.unit_of_work() as uow:
        uow.master.add_customer(customer("C1"))
        assert uow.sequences.next("invoice:US") == 1
        uow.commit()
    with sql_store.engine.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM sequences")).scalars())
    assert names == {"invoice:US", "_o2c.master_data_version"}


def test_two_units_of_work_cannot_both_commit_the_same_gapless_number(sql_store: SqlStore) -> None:
    from o2c.store.sql import ConcurrencyConflict

    if sql_store.dialect == "sqlite":
        pytest.skip("SQLite has one writer at a time: the second would wait for the first")
    first, second = sql_store.unit_of_work(), sql_store.unit_of_work()
    assert first.sequences.next("invoice:US") == 1
    assert second.sequences.next("invoice:US") == 1
    first.commit()
    with pytest.raises(ConcurrencyConflict):
        second.commit()
    # The loser runs again, claims the counter first and takes the next number.
    with sql_store.unit_of_work() as again:
        assert again.sequences.next("invoice:US") == 2
        again.commit()
