"""The pure core and the engine run on the in-memory store here."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.builders import Harness


@pytest.fixture
def new_harness() -> Callable[[], Harness]:
    return Harness
