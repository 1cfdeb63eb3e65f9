"""The generated histories of tests/histories.py on SQLite: the same invariants after each
history, and the read models checked the way ``o2c verify`` checks them. One database for
the module, emptied before each history (a fresh file per history is slow)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from o2c.store.maintenance import verify_read_models
from o2c.store.sql import SqlStore
from o2c.store.tables import metadata
from tests.histories import check, histories, play, set_up


@pytest.fixture(scope="module")
def store(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    path = tmp_path_factory.mktemp("histories") / "o2c.db"
    shutil.copy(sqlite_template, path)
    s = SqlStore(f"sqlite:///{path}")
    yield s
    s.dispose()


def emptied(store: SqlStore) -> SqlStore:
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):  # children first, for the foreign keys
            conn.execute(table.delete())
    store.clear_caches()
    return store


def test_any_history_on_sqlite_keeps_the_books_and_the_stock_and_verifies(store: SqlStore) -> None:
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(steps=histories)
    def any_history(steps: list[tuple[str, int, int]]) -> None:
        h = set_up(emptied(store))
        play(h, steps)
        check(h.app.store)
        verified = verify_read_models(store)
        assert verified.ok, verified.differences

    any_history()
