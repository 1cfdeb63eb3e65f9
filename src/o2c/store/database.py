"""Engines, migrations and database administration for the SQL store.

Nothing here runs at import time: engines are made by :func:`make_engine`
when a caller asks, and migrations run when :func:`upgrade` is called.

SQLite is tuned for one writer process with many unit-of-work transactions:
WAL (readers never block the writer), ``synchronous=NORMAL`` (durable at
checkpoints, safe against corruption), foreign keys on, a busy timeout, and
``BEGIN IMMEDIATE`` transactions: a unit of work takes the write lock when it
first touches the database, so a read followed by a write can never fail with
"database is locked" half way through (the deferred-BEGIN upgrade problem).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# pg_advisory_xact_lock key ("o2c-mig" in ASCII) so two processes starting at
# once do not both run the same migration.
_PG_MIGRATION_LOCK = 0x6F32632D6D6967

SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_sqlite_url() -> str:
    """The SQLite database in the user's data directory (``.../o2c/o2c.db``)."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('o2c')) / 'o2c.db'}"


def masked_url(url: str | URL) -> str:
    """``url`` as it may be shown to people: any password replaced by ``***``.
    Works for database URLs and other ``scheme://user:password@host`` URLs
    (NATS); anything that is not a URL (``memory``, a path) is returned as is."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not URL-shaped: there is no password to hide
        return str(url)


def mask_secrets(text: str, *urls: str | URL | None) -> str:
    """``text`` with the password of each of ``urls`` replaced by ``***``, in
    the forms a driver may echo it (as written in the URL, and decoded)."""
    for url in urls:
        if url is None:
            continue
        try:
            password = make_url(url).password
        except Exception:  # not URL-shaped: no password in it
            continue
        if not password:
            continue
        forms = {str(password), quote(str(password), safe="")}
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, "***")
    return text


def _normalize(url: str | URL) -> URL:
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it would issue its
    # own deferred BEGIN before DML only); _sqlite_on_begin issues ours.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint the WAL every ~64 MB rather than 4 MB: a batch writes a few MB,
    # and a checkpoint per commit would dominate its cost.
    cur.execute("PRAGMA wal_autocheckpoint=16384")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


#: The execution option of a connection that only reads (see :func:`reading`).
READ_ONLY = "o2c_read_only"


def _sqlite_on_begin(conn: Connection) -> None:
    # A reader needs no write lock: in WAL a deferred transaction reads a snapshot while the
    # writer works, where BEGIN IMMEDIATE would wait for it (as long as a big order takes).
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Connection:
    """A connection for queries that only read: on SQLite it never waits for a writer, so an
    API read answers while a big order is being applied (PostgreSQL readers never wait)."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``sqlite:///path`` (parent directory created) or
    ``postgresql[+psycopg]://...`` (always driven by psycopg 3, in UTC)."""
    u = _normalize(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = u.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        connect_args = dict(kwargs.pop("connect_args", {}))
        # Timestamps come back in UTC whatever the server's default zone.
        connect_args.setdefault("options", "-c timezone=UTC")
        connect_args.setdefault("connect_timeout", 10)
        return create_engine(u, connect_args=connect_args, **kwargs)
    raise ValueError(
        f"unsupported database {masked_url(u)}: "
        "use sqlite:///path or postgresql+psycopg://..."
    )


def alembic_config() -> Config:
    """Alembic configuration built in code: no alembic.ini on disk."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@cache
def head_revision() -> str | None:
    """The newest migration shipped with this version of o2c."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(target: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest). Idempotent,
    and cheap when already there (one query). Safe to call from several
    processes at once: PostgreSQL takes an advisory lock, SQLite the write lock."""
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            if revision == "head" and current_revision(conn) == head_revision():
                return
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        if engine is not target:
            engine.dispose()


# ---------------------------------------------------------------- administration


def create_database(admin_url: str | URL, name: str) -> URL:
    """Create PostgreSQL database ``name`` through ``admin_url`` (any database
    on the same server); returns the URL of the new database."""
    u = _normalize(admin_url)
    engine = make_engine(u, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{_ident(name)}"')
    finally:
        engine.dispose()
    return u.set(database=name)


def drop_database(url: str | URL, admin_database: str = "postgres") -> None:
    """Drop the PostgreSQL database of ``url`` after ending its connections."""
    u = _normalize(url)
    name = u.database or ""
    engine = make_engine(u.set(database=admin_database), isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    try:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_ident(name)}"')
    finally:
        engine.dispose()


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing database name {name!r}: letters, digits and _ only")
    return name


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool
