"""The API's limits over HTTP: a body larger than the server takes is a 413 before it is
read, an order of more lines than it takes a 422 naming ``lines``; both are settings of
``o2c serve`` (options, or ``O2C_*`` environment variables)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from o2c.adapters.documents import Integrations
from o2c.adapters.limits import Limits
from o2c.store.tables import inbox
from tests.e2e.test_http_api import Server, _serve, order_body

KEY = {"Idempotency-Key": "k-1", "Content-Type": "application/json"}


@pytest.fixture
def small(sqlite_store: Any) -> Iterator[Server]:
    """A server that takes bodies of at most 2,000 bytes and orders of at most 3 lines."""
    yield from _serve(sqlite_store, Integrations(limits=Limits(max_body_bytes=2000, max_lines_per_order=3)))


def stored(s: Server) -> int:
    """Orders the inbox holds (a refused request leaves nothing behind)."""
    with s.h.app.store.engine.connect() as c:
        query = select(func.count()).select_from(inbox).where(inbox.c.kind == "order")
        return int(c.execute(query).scalar_one())


def test_a_body_declared_larger_than_the_limit_is_refused_413_naming_the_limit_and_its_size(
        small: Server) -> None:
    r = small.client.post("/orders", content=b" " * 3000, headers=KEY)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "CONTENT-TOO-LARGE" and problem["status"] == 413
    assert problem["detail"].startswith("the request body is too large: 3,000 bytes (its Content-Length), "
                                        "and this server takes at most 2,000 bytes")
    assert stored(small) == 0


def test_a_chunked_body_is_counted_as_it_streams_and_refused_413_once_it_passes_the_limit(
        small: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield from [b" " * 900] * 5  # no Content-Length: sent chunked

    r = small.client.post("/orders", content=chunks(), headers=KEY)
    assert r.status_code == 413
    # How many bytes arrive per read is the transport's business; the count is at least the limit.
    assert re.match(r"the request body is too large: more than 2,000 bytes \([\d,]+ read so far\), "
                    r"and this server takes at most 2,000 bytes", r.json()["detail"])
    assert stored(small) == 0
    # The server goes on taking what fits.
    fits = small.client.post("/orders", json=order_body(), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert fits.status_code == 201, fits.text


@pytest.mark.parametrize(("lines", "status"), [(3, 201), (4, 422)])
def test_an_order_of_more_lines_than_the_server_takes_is_a_422_naming_lines_and_the_limit(
        small: Server, lines: int, status: int) -> None:
    body = order_body()
    body["lines"] = [{**body["lines"][0], "line_no": n} for n in range(1, lines + 1)]
    r = small.client.post("/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == status, r.text
    if status == 422:
        assert [e["field"] for e in r.json()["detail"]] == ["lines"]
        assert r.json()["message"] == ("the request is invalid: lines: 4 lines; an order may have at most 3 "
                                       "(O2C_MAX_LINES_PER_ORDER): split it into several orders")
        assert stored(small) == 0


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--max-lines-per-order", "0"], {}, "--max-lines-per-order must be a whole number of at least 1, not 0"),
    ([], {"O2C_MAX_BODY_BYTES": "10MB"},
     "O2C_MAX_BODY_BYTES must be a whole number of at least 1, not '10MB'"),
])
def test_o2c_serve_refuses_a_limit_that_cannot_work_before_it_starts(
        args: list[str], env: dict[str, str], message: str) -> None:
    out = subprocess.run([sys.executable, "-m", "o2c.cli", "serve", "--db", "memory", *args],
                         capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert out.returncode == 2
    assert message in " ".join(out.stderr.split())
