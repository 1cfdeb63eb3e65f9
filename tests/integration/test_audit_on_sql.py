"""The audit chain on real databases (SQLite and PostgreSQL): changed, deleted,
inserted and cut-off entries, made with plain SQL behind o2c's back, are found and
the first bad entry is named; writers on PostgreSQL append one after the other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from o2c.domain.actors import Actor, ActorKind, user
from o2c.domain.audit import AuditHead, Subject, extend
from o2c.domain.holds import Role
from o2c.engine.audit import entry
from o2c.store.audit_trail import verify_audit
from o2c.store.sql_audit import read_entries

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def audited(store: Any, n: int = 5) -> None:
    """``n`` entries, one per transaction, as admin changes are made."""
    ana = Actor(kind=ActorKind.USER, id="ana", roles=frozenset({Role.ADMIN}), address="10.0.0.7")
    for i in range(1, n + 1):
        with store.unit_of_work() as uow:
            entry(uow, ana, "user.add", Subject("user", f"u{i}"), at=T0 + timedelta(minutes=i),
                  after={"user": f"u{i}", "roles": ["billing"]})
            uow.commit()


def sql(store: Any, *statements: str) -> None:
    with store.engine.begin() as conn:
        for s in statements:
            conn.execute(text(s))


def problem(store: Any) -> tuple[int | None, str]:
    found = verify_audit(store)
    assert not found.ok
    return found.bad_seq, found.problem or ""


def test_an_intact_chain_verifies(sql_store: Any) -> None:
    audited(sql_store)
    found = verify_audit(sql_store)
    assert found.ok and found.entries == 5 and found.last is not None and found.last.seq == 5


def test_an_after_changed_with_plain_sql_is_named(sql_store: Any) -> None:
    audited(sql_store)
    sql(sql_store, """UPDATE audit SET "after" = '{"user":"u3","roles":["admin"]}' WHERE seq = 3""")
    bad, why = problem(sql_store)
    assert bad == 3
    assert why.startswith("audit entry 3 (user.add on user u3 by user:ana) was changed after it was written")


def test_a_deleted_entry_is_named(sql_store: Any) -> None:
    audited(sql_store)
    sql(sql_store, "DELETE FROM audit WHERE seq = 2")
    bad, why = problem(sql_store)
    assert bad == 2 and why.startswith("audit entry 2 is missing")


def test_a_tail_cut_off_is_found(sql_store: Any) -> None:
    audited(sql_store)
    sql(sql_store, "DELETE FROM audit WHERE seq >= 4")
    bad, why = problem(sql_store)
    assert bad == 4 and "ends at entry 3, but o2c recorded 5 entries" in why


def _insert(store: Any, record: Any) -> None:
    with store.engine.begin() as conn:
        from o2c.store.tables import audit

        conn.execute(audit.insert().values(**{c.name: getattr(record, c.name) for c in audit.columns}))


def _forged(after: AuditHead) -> Any:
    """An entry hashed and linked as o2c would: a forger who knows the algorithm."""
    from o2c.domain.audit import AuditEntry

    mallory = user("mallory", Role.ADMIN)
    (r,), _ = extend(after, [AuditEntry(actor=mallory, action="user.add", subject=Subject("user", "mallory"),
                                        occurred_at=T0)], T0)
    return r


def test_a_forged_entry_appended_is_found_though_it_is_hashed_correctly(sql_store: Any) -> None:
    audited(sql_store, 3)
    with sql_store.engine.connect() as conn:
        last = read_entries(conn)[-1]
    _insert(sql_store, _forged(AuditHead(last.seq, last.hash)))
    bad, why = problem(sql_store)
    assert bad == 4 and "were added outside o2c" in why


def test_a_forged_entry_inserted_in_the_middle_is_found(sql_store: Any) -> None:
    audited(sql_store, 4)
    with sql_store.engine.connect() as conn:
        second = read_entries(conn)[1]
    # Make room at 3 (in two steps: a key may not collide half way) and put the forgery there.
    sql(sql_store, "UPDATE audit SET seq = seq + 100 WHERE seq >= 3",
        "UPDATE audit SET seq = seq - 99 WHERE seq > 100")
    _insert(sql_store, _forged(AuditHead(2, second.hash)))
    bad, why = problem(sql_store)
    assert bad == 4
    assert why.startswith("audit entry 4 (user.add on user u3 by user:ana) does not follow entry 3")


def test_appending_goes_on_after_the_head_row_was_deleted_and_verify_says_it_was(sql_store: Any) -> None:
    audited(sql_store, 2)
    sql(sql_store, "DELETE FROM audit_head")
    assert "head is missing" in problem(sql_store)[1]
    audited(sql_store, 1)  # writing goes on from the last entry there is
    with sql_store.engine.connect() as conn:
        assert [r.seq for r in read_entries(conn)] == [1, 2, 3]


@pytest.mark.postgres
def test_concurrent_writers_on_postgresql_append_one_after_the_other(clean_pg_store: Any) -> None:
    store, threads, per_thread = clean_pg_store, 4, 15
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(k: int) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait()
                for i in range(per_thread):
                    with store.unit_of_work() as uow:
                        for part in ("a", "b"):  # two entries per transaction stay side by side
                            entry(uow, user(f"w{k}"), "key.create", Subject("key", f"k{k}-{i}{part}"), at=T0)
                        uow.commit()
            except BaseException as e:  # reported by the test, not lost in the thread
                failures.append(e)
        return run

    workers = [threading.Thread(target=work(k)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert failures == []
    found = verify_audit(store)
    assert found.ok and found.entries == threads * per_thread * 2
    with store.engine.connect() as conn:
        records = read_entries(conn, limit=10_000)
    assert [r.seq for r in records] == list(range(1, threads * per_thread * 2 + 1))
    for a, b in zip(records[::2], records[1::2], strict=True):
        assert a.subject_id.removesuffix("a") == b.subject_id.removesuffix("b")
