"""Reading the audit chain of any store: the entries about an order, a user or a
policy (``o2c audit show``), and the whole chain checked (``o2c audit verify``).

A check reads the head and every entry from one snapshot (SQLite: a deferred read
transaction, which never holds back writers; PostgreSQL: ``REPEATABLE READ``), so
entries appended meanwhile are neither half seen nor taken for forgeries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from o2c.domain.audit import AuditHead, AuditRecord, ChainCheck, check_chain
from o2c.store.port import Store

if TYPE_CHECKING:  # the memory store runs without SQLAlchemy
    from sqlalchemy import Connection

#: Entries read per query while checking.
PAGE = 5000


def _pages(read: Callable[[int, int], list[AuditRecord]], page: int) -> Iterator[AuditRecord]:
    after = 0
    while True:
        batch = read(after, page)
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1].seq


def _snapshot(engine: Any) -> Connection:
    from o2c.store.database import reading

    conn = reading(engine)
    if engine.dialect.name != "sqlite":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def verify_audit(store: Store, page: int = PAGE) -> ChainCheck:
    """Walk the whole chain and compare its end with the recorded head (see
    :func:`o2c.domain.audit.check_chain`)."""
    if (engine := store.sql_engine) is not None:
        from o2c.store.sql_audit import read_entries, read_head

        with _snapshot(engine) as conn, conn.begin():
            head = read_head(conn)
            return check_chain(_pages(lambda after, n: read_entries(conn, after, n), page), head)
    with store.unit_of_work() as uow:
        return check_chain(_pages(uow.audit.entries, page), uow.audit.head())


def audit_head(store: Store) -> AuditHead | None:
    if (engine := store.sql_engine) is not None:
        from o2c.store.sql_audit import read_head

        with _snapshot(engine) as conn:
            return read_head(conn)
    with store.unit_of_work() as uow:
        return uow.audit.head()


def audit_trail(store: Store, *, order: str | None = None, user: str | None = None,
                policy: str | None = None, limit: int = 1000) -> list[AuditRecord]:
    """The latest ``limit`` entries about ``order``, ``policy`` or by, on behalf of or
    about ``user`` (one of them), in chain order."""
    given = [(k, v) for k, v in (("order", order), ("user", user), ("policy", policy)) if v is not None]
    if len(given) != 1:
        raise ValueError("name one of order, user or policy")
    kind, key = given[0]
    subject = None if kind == "user" else (kind, key)
    person = key if kind == "user" else None
    if (engine := store.sql_engine) is not None:
        from o2c.store.sql_audit import read_found

        with _snapshot(engine) as conn:
            return read_found(conn, subject=subject, person=person, limit=limit)
    with store.unit_of_work() as uow:
        return uow.audit.find(subject=subject, person=person, limit=limit)
