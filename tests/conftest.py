"""Databases for every test layer: a fresh PostgreSQL database per session
(created on the server at ``O2C_TEST_PG_URL``, dropped at the end) and a
migrated SQLite template copied per test.

If PostgreSQL cannot be reached, its tests are skipped, or fail when the
``CI`` environment variable is set (CI must not go green without them).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("O2C_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, migrated, dropped at the end."""
    from sqlalchemy.exc import OperationalError

    from o2c.store.database import create_database, drop_database, upgrade

    try:
        url = create_database(PG_URL, f"o2c_test_{secrets.token_hex(4)}")
    except OperationalError as e:
        reason = (
            f"PostgreSQL is not reachable at {PG_URL} (set O2C_TEST_PG_URL to point "
            f"elsewhere): {str(e.orig).strip()}"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    upgrade(url)
    yield url.render_as_string(hide_password=False)
    drop_database(url)


@pytest.fixture(scope="session")
def pg_store(pg_url: str) -> Iterator[Any]:
    from o2c.store.sql import SqlStore

    store = SqlStore(pg_url)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test copies it (much faster than migrating)."""
    from o2c.store.database import make_engine, upgrade

    path = tmp_path_factory.mktemp("template") / "o2c.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


def _truncate(store: Any) -> None:
    from o2c.store.tables import metadata

    # DELETE, not TRUNCATE: on near-empty tables it is ~100x faster (TRUNCATE
    # swaps files and waits on fsync). Children first, for the foreign keys.
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    store.clear_caches()


@pytest.fixture
def sqlite_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Any]:
    from o2c.store.sql import SqlStore

    path = tmp_path / "o2c.db"
    shutil.copy(sqlite_template, path)
    store = SqlStore(f"sqlite:///{path}")
    yield store
    store.dispose()


@pytest.fixture
def clean_pg_store(pg_store: Any) -> Any:
    _truncate(pg_store)
    return pg_store


