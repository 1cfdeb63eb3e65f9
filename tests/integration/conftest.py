"""Integration tests run the engine on real databases: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.builders import Harness


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_store")
    else:
        yield request.getfixturevalue("clean_pg_store")


@pytest.fixture
def new_harness(sql_store: Any) -> Callable[[], Harness]:
    """Each scenario builds one harness over a fresh database."""
    return lambda **kw: Harness(store=sql_store, **kw)
