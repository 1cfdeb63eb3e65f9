"""Contract: the audit chain behaves the same on every backend (memory, SQLite,
PostgreSQL): entries sealed at commit, in order, each linking to the one before,
nothing left by a rollback, and the reads ``o2c audit`` needs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from o2c.domain.actors import Actor, ActorKind, user
from o2c.domain.audit import GENESIS, AuditEntry, Subject, check_chain, digest
from o2c.domain.holds import Role
from o2c.store.audit_trail import audit_trail, verify_audit
from tests.contract.conftest import T0, UowFactory


def entry(n: int, *, who: Actor | None = None, subject: Subject | None = None) -> AuditEntry:
    return AuditEntry(actor=who or user("ana", Role.CREDIT_MANAGER, entities=["US"]),
                      action="hold.release", subject=subject or Subject("order", f"SO-{n}", "US"),
                      occurred_at=T0 + timedelta(minutes=n),
                      before={"status": "validated", "open_holds": [{"code": "CRD-OVER-LIMIT"}]},
                      after={"events": [{"type": "HoldReleased", "amount": Decimal("10.50")}]},
                      cause=f"ui:{n}")


def test_entries_are_sealed_at_commit_in_order_each_linking_to_the_one_before(
        uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.audit.record(entry(1))
        uow.audit.record(entry(2))
        uow.commit()
    with uow_factory() as uow:
        uow.audit.record(entry(3))
        uow.commit()
    with uow_factory() as uow:
        records = uow.audit.entries()
        head = uow.audit.head()
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    assert all(digest(r) == r.hash for r in records)
    assert head is not None and (head.seq, head.hash) == (3, records[-1].hash)
    assert check_chain(records, head).ok


def test_an_entry_keeps_who_what_when_and_before_and_after_exactly(uow_factory: UowFactory) -> None:
    who = Actor(kind=ActorKind.API_KEY, id="portal-east", roles=frozenset({Role.CUSTOMER_SERVICE}),
                on_behalf_of="bo", address="10.1.2.3")
    with uow_factory() as uow:
        uow.audit.record(entry(1, who=who))
        uow.commit()
    with uow_factory() as uow:
        (r,) = uow.audit.entries()
    d = r.as_dict()
    assert (r.actor_label, r.on_behalf_of, r.address) == ("api_key:portal-east", "bo", "10.1.2.3")
    assert d["actor"]["roles"] == ["customer_service"]
    assert (d["action"], d["subject_type"], d["subject_id"], d["legal_entity_id"], d["cause"]) == (
        "hold.release", "order", "SO-1", "US", "ui:1")
    assert d["occurred_at"] == "2026-03-02T09:01:00.000000+00:00"
    assert r.recorded_at.utcoffset() == timedelta(0)
    assert d["before"] == {"status": "validated", "open_holds": [{"code": "CRD-OVER-LIMIT"}]}
    assert d["after"] == {"events": [{"type": "HoldReleased", "amount": "10.50"}]}


def test_a_rollback_leaves_no_entry_and_no_gap(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.audit.record(entry(1))
        uow.rollback()
    with uow_factory() as uow:
        assert uow.audit.entries() == [] and uow.audit.head() is None
        uow.audit.record(entry(2))
        uow.commit()
    with uow_factory() as uow:
        assert [(r.seq, r.cause) for r in uow.audit.entries()] == [(1, "ui:2")]


def test_entries_are_read_a_page_at_a_time_after_a_number(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        for n in range(1, 8):
            uow.audit.record(entry(n))
        uow.commit()
    with uow_factory() as uow:
        assert [r.seq for r in uow.audit.entries(after=2, limit=3)] == [3, 4, 5]
        assert [r.seq for r in uow.audit.entries(after=6)] == [7]


def test_entries_are_found_by_subject_or_by_person(uow_factory: UowFactory) -> None:
    ana, bo = user("ana"), user("bo", on_behalf_of="ana")
    with uow_factory() as uow:
        uow.audit.record(entry(1, who=ana))
        uow.audit.record(entry(2, who=bo, subject=Subject("order", "SO-1", "US")))
        uow.audit.record(entry(3, who=user("root"), subject=Subject("user", "ana")))
        uow.audit.record(entry(4, who=user("cy"), subject=Subject("policy", "credit")))
        uow.commit()
    with uow_factory() as uow:
        assert [r.seq for r in uow.audit.find(subject=("order", "SO-1"))] == [1, 2]
        assert [r.seq for r in uow.audit.find(person="ana")] == [1, 2, 3]
        assert [r.seq for r in uow.audit.find(person="ana", limit=2)] == [2, 3]
        assert [r.seq for r in uow.audit.find(subject=("policy", "credit"))] == [4]
        assert uow.audit.find() == []


def test_the_store_reads_check_an_intact_chain_and_list_an_orders_entries(store: object) -> None:
    from typing import Any

    s: Any = store
    assert verify_audit(s).ok and verify_audit(s).entries == 0
    for n in range(1, 4):
        with s.unit_of_work() as uow:
            uow.audit.record(entry(n, subject=Subject("order", "SO-9" if n != 2 else "SO-2", "US")))
            uow.commit()
    found = verify_audit(s, page=2)  # across pages
    assert found.ok and found.entries == 3 and found.last is not None and found.last.seq == 3
    assert [r.seq for r in audit_trail(s, order="SO-9")] == [1, 3]
