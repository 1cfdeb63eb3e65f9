"""Passwords in database and NATS URLs never reach the screen: not in banners,
not in errors, not when the server refuses, not when it accepts."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import make_url

from tests.e2e.test_cli import o2c


@pytest.fixture
def secret() -> str:
    return f"pw{secrets.token_hex(8)}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _assert_hidden(out: subprocess.CompletedProcess[str], secret: str) -> None:
    assert secret not in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_an_unreachable_database_is_named_with_its_password_masked(secret: str) -> None:
    out = o2c("kpis", "--db", f"postgresql+psycopg://u:{secret}@127.0.0.1:{_free_port()}/x", check=False)
    _assert_hidden(out, secret)
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()  # one sentence, not a traceback
    assert line.startswith("error: cannot open the database postgresql+psycopg://u:***@127.0.0.1:")
    assert "Connection refused" in line


@pytest.mark.postgres
def test_a_database_the_server_refuses_is_named_with_its_password_masked(pg_url: str, secret: str) -> None:
    missing = make_url(_with_password(pg_url, secret)).set(database=f"o2c_missing_{secrets.token_hex(4)}")
    out = o2c("trace", "SO-1", "--db", missing.render_as_string(hide_password=False), check=False)
    _assert_hidden(out, secret)
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()
    assert ":***@" in line and "does not exist" in line


@pytest.fixture
def pg_db(pg_url: str, clean_pg_store: Any) -> str:
    """The session's PostgreSQL database, emptied first: what a test before left in it (a
    policy version changed behind o2c's back, which o2c then refuses to start on) is not
    this test's concern."""
    return pg_url


@pytest.mark.postgres
def test_a_database_that_accepts_the_password_is_named_with_it_masked(pg_db: str, secret: str) -> None:
    # The test server trusts local connections, so any password gets in.
    out = o2c("trace", "SO-NONE", "--db", _with_password(pg_db, secret), check=False)
    _assert_hidden(out, secret)
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("error: no events for order or account 'SO-NONE' in postgresql+psycopg://")
    assert ":***@" in line


@pytest.fixture
def served(pg_db: str, secret: str) -> Iterator[subprocess.Popen[str]]:
    server = subprocess.Popen(
        [sys.executable, "-m", "o2c.cli", "serve", "--db", _with_password(pg_db, secret),
         "--port", str(_free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield server
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.postgres
def test_the_serve_banner_names_the_database_with_its_password_masked(
        served: subprocess.Popen[str], secret: str) -> None:
    assert served.stdout is not None
    deadline, lines = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        line = served.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Uvicorn running" in line or "Application startup complete" in line:
            break
    text = "".join(lines)
    assert "o2c API on http://127.0.0.1:" in text and ":***@" in text, text
    assert secret not in text


def test_the_worker_banner_names_nats_and_the_database_with_their_passwords_masked(
        tmp_path, secret: str) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "o2c.cli", "worker", "--nats", f"nats://u:{secret}@127.0.0.1:{_free_port()}",
         "--db", str(tmp_path / "o2c.db")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert worker.stdout is not None
        banner = worker.stdout.readline()
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert banner.startswith("o2c worker: nats://u:***@127.0.0.1:"), banner
    assert secret not in banner
