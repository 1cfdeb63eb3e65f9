"""Dependencies shared by the routes, as ``Annotated`` aliases.

The wired :class:`~o2c.bootstrap.App` lives on ``FastAPI.state`` (set by
``create_app``), never in a module global, so two apps (two databases) can run
in one process and tests build their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request, status
from pydantic import AfterValidator

from o2c.adapters.canonical import ID_MAX, identifier
from o2c.bootstrap import App
from o2c.engine.runtime import Splitter
from o2c.store.port import Store


class Engine:
    """The wired app plus a write gate.

    The in-memory store is a plain dict and not safe under uvicorn's thread
    pool, so writes to it are serialized; SQL stores handle concurrent writers
    themselves (transactions, conflicts retried by the runtime), so no gate.
    """

    def __init__(self, app: App, splitters: Mapping[str, Splitter] | None = None) -> None:
        self.app = app
        self.splitters = dict(splitters or {})  # document kind -> splitter, for replaying files
        self._gate = None if app.store.supports_concurrent_writers else threading.Lock()
        self.sign_ins = SignInThrottle()

    @contextmanager
    def writing(self) -> Iterator[App]:
        with self._gate if self._gate is not None else nullcontext():
            yield self.app

    @property
    def store(self) -> Store:
        return self.app.store


class SignInThrottle:
    """Failed sign-ins per user and client address: after ``limit`` failures within
    ``window``, that user is refused from that address until the oldest failure is older
    than the window (guessing passwords becomes slow; a user signing in from elsewhere is
    not locked out). Kept in memory, per server process; time from the app's clock."""

    def __init__(self, limit: int = 5, window: timedelta = timedelta(minutes=15)) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], list[datetime]] = {}
        self._lock = threading.Lock()

    def wait(self, user: str, address: str, now: datetime) -> timedelta | None:
        """How long this user must wait before trying again from ``address`` (None: go on)."""
        with self._lock:
            recent = [t for t in self._failures.get((user.lower(), address), ()) if now - t < self.window]
            self._failures[(user.lower(), address)] = recent
            if len(recent) < self.limit:
                return None
            return recent[-self.limit] + self.window - now

    def failed(self, user: str, address: str, now: datetime) -> None:
        with self._lock:
            self._failures.setdefault((user.lower(), address), []).append(now)

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user.lower(), address), None)


#: An id in a path (an order, a dead letter): what an id can be, so that a NUL or a
#: megabyte in a URL is a 422 naming it, never a database error.
ResourceId = Annotated[str, Path(min_length=1, max_length=ID_MAX,
                                 description="An identifier: at most 200 characters, no control characters."),
                       AfterValidator(identifier)]


def engine(request: Request) -> Engine:
    return request.app.state.o2c  # type: ignore[no-any-return]


IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="Required. A key unique to this request (a UUID); sending the same key "
            "again returns the first answer instead of applying the request twice.",
            max_length=200,
        ),
    ] = None,
) -> str:
    # Declared optional so a missing header is a 400 that says what to do,
    # not a generic 422 mixed in with the body's field errors.
    if key is None or not key.strip():
        raise HTTPException(
            status_code=status.HTTP_400_BAD_REQUEST,
            detail="the Idempotency-Key header is required: send a key unique to this request "
            "(for example a UUID) and the same key when you retry it",
        )
    return key.strip()


EngineDep = Annotated[Engine, Depends(engine)]
IdempotencyKey = Annotated[str, Depends(idempotency_key)]
