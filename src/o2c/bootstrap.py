"""The composition root: validated settings in, a wired runtime out.

Nothing here runs at import time; callers build what they need.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from o2c.adapters.canonical import translate
from o2c.adapters.documents import Integrations
from o2c.adapters.limits import Limits
from o2c.adapters.runtime_parts import SystemClock, UuidIds
from o2c.engine.bus import MessageBus
from o2c.engine.ports import Clock, Ids
from o2c.engine.runtime import DOCUMENT_CHUNK, Runtime
from o2c.policy import Policy, PolicyError, PolicyRegistry, parse_policy
from o2c.store.port import Store

if TYPE_CHECKING:
    from o2c.engine.timers import TimerService

#: Committed aggregates a command that takes files in and exits keeps between transactions
#: (``o2c ingest``, ``o2c finish``): the orders of a file are rarely touched again by the same
#: run, so a long-running process's cache (50,000 orders, about 70 MB) would only cost memory.
#: One document chunk's worth still serves a file whose later parts refer to earlier ones.
ONE_SHOT_CACHE = DOCUMENT_CHUNK

class SettingsError(ValueError):
    """A setting that cannot work; the message says which and why."""


def load_policy_file(path: Path | None = None) -> Policy:
    """Read and validate a policy YAML file (the shipped default if ``path`` is None)."""
    if path is None:
        text = resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8")
        where = "the default policy"
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as e:
            raise SettingsError(f"cannot read policy file {path}: {e.strerror}") from None
        where = str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SettingsError(f"{where} is not valid YAML: {e}") from None
    try:
        return parse_policy(raw)
    except PolicyError as e:
        raise SettingsError(f"{where}: {e}") from None


def stored_policies(store: Store, clock: Clock) -> PolicyRegistry:
    """The registry of the approved policy versions in ``store`` (seeded with the shipped
    document if it holds none), which takes up versions approved later by itself; a
    SettingsError if a stored version was changed after its approval (see
    :mod:`o2c.store.policies`)."""
    from o2c.store.policies import LiveRegistry, StoredPolicyError

    try:
        return LiveRegistry(store, clock.now())
    except (StoredPolicyError, PolicyError) as e:
        raise SettingsError(str(e)) from None


def resolve_db_url(db: str | None) -> str:
    """``--db`` or ``O2C_DB``: a SQLAlchemy URL, a file path, or ``memory``;
    the default is a SQLite file under the user's data directory."""
    db = db or os.environ.get("O2C_DB")
    if not db:
        from o2c.store.database import default_sqlite_url

        return default_sqlite_url()
    if db == "memory" or "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


_LIMITS = {  # field: (option, environment variable)
    "max_body_bytes": ("--max-body-bytes", "O2C_MAX_BODY_BYTES"),
    "max_lines_per_order": ("--max-lines-per-order", "O2C_MAX_LINES_PER_ORDER"),
}


def resolve_limits(*, max_body_bytes: int | None = None, max_lines_per_order: int | None = None,
                   env: Mapping[str, str] | None = None) -> Limits:
    """The limits from the options given, else their ``O2C_*`` environment variables, else the
    defaults (see :mod:`o2c.adapters.limits`); a value that cannot work is a SettingsError naming
    where it came from."""
    env = os.environ if env is None else env
    given: dict[str, int | None] = {"max_body_bytes": max_body_bytes,
                                    "max_lines_per_order": max_lines_per_order}
    values: dict[str, int] = {}
    for name, (option, var) in _LIMITS.items():
        value, where = given[name], option
        if value is None and env.get(var, "").strip():
            text, where = env[var].strip().replace("_", ""), var
            if not text.isdigit():
                raise SettingsError(f"{var} must be a whole number of at least 1, not {env[var]!r}")
            value = int(text)
        if value is None:
            continue
        if value < 1:
            raise SettingsError(f"{where} must be a whole number of at least 1, not {value}")
        values[name] = value
    return Limits(**values)


def open_store(url: str, cache_size: int | None = None) -> Store:
    """The store at ``url``; ``cache_size`` bounds its cache of committed aggregates (the
    store's default, sized for a long-running process, if None)."""
    if url == "memory":
        from o2c.store.memory import MemoryStore

        return MemoryStore()
    from o2c.store.database import masked_url
    from o2c.store.sql import SqlStore

    try:
        return SqlStore(url) if cache_size is None else SqlStore(url, cache_size=cache_size)
    except Exception as e:  # driver and connection errors come in many types
        raise SettingsError(f"cannot open the database {masked_url(url)}: {database_error(e, url)}") from None


def database_error(e: BaseException, url: str | None) -> str:
    """A driver or SQLAlchemy error as one line for people: the driver's own
    message (not SQLAlchemy's wrapper with its statement and links), any
    password of ``url`` masked (drivers may echo the connection string)."""
    from o2c.store.database import mask_secrets

    orig = getattr(e, "orig", None) or e
    text = " ".join(str(orig).split()) or type(orig).__name__
    return mask_secrets(text, url)


@dataclass
class App:
    store: Store
    runtime: Runtime
    bus: MessageBus
    clock: Clock
    ids: Ids
    policies: PolicyRegistry
    url: str  # for people to read: any password masked
    limits: Limits = field(default_factory=Limits)

    def close(self) -> None:
        self.store.dispose()

    def timer_service(self, batch: int | None = None) -> TimerService:
        """Fires this app's due timers through its bus (see ``o2c.engine.timers``)."""
        from o2c.engine.timers import BATCH, TimerService

        return TimerService(self.store.unit_of_work, self.bus, batch=batch or BATCH)


def bootstrap(db: str | None = None, *, clock: Clock | None = None, ids: Ids | None = None,
              policies: Sequence[Policy] | None = None,
              recorded_clock: Callable[[], datetime] | None = None,
              store: Store | None = None, integrations: Integrations | None = None,
              cache_size: int | None = None) -> App:
    """Wire a runtime over ``db``. ``integrations`` (the sources' configuration) renders what
    o2c sends for their channels, in the transaction that decides it: X12 855/940/856/810 for
    the trading partners set up for them, and 997s numbered per partner; without it the
    outbox holds the channel-neutral messages only. Its ``limits`` are the app's (the API's
    body size, lines per order on every channel); without it the defaults hold. ``cache_size``:
    see :func:`open_store` (:data:`ONE_SHOT_CACHE` for a command that takes a batch in and exits).
    The policies are the approved versions stored in the database (an empty one is seeded with
    the shipped document), unless ``policies`` are given: those alone, for this run, unstored."""
    url = resolve_db_url(db) if store is None else "given"
    clock = clock or SystemClock()
    ids = ids or UuidIds()
    given = store
    store = store if store is not None else open_store(url, cache_size)
    try:
        registry = PolicyRegistry(list(policies)) if policies else stored_policies(store, clock)
    except SettingsError:
        if given is None:
            store.dispose()
        raise
    bus = MessageBus(clock=clock, ids=ids, policies=registry,
                     recorded_clock=recorded_clock or SystemClock().now,
                     renderers=integrations.renderers() if integrations is not None else ())
    limits = integrations.limits if integrations is not None else Limits()
    runtime = Runtime(uow_factory=store.unit_of_work, bus=bus, ids=ids,
                      translate=partial(translate, max_lines=limits.max_lines_per_order))
    from o2c.store.database import masked_url

    return App(store=store, runtime=runtime, bus=bus, clock=clock, ids=ids, policies=registry,
               url=masked_url(url), limits=limits)
