"""The audit chain as values: entries sealed in order, each hashing the one before,
and the check that names the first entry changed, removed, inserted or cut off."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from o2c.domain.actors import ENGINE, user
from o2c.domain.audit import (
    GENESIS,
    AuditEntry,
    AuditHead,
    AuditRecord,
    Subject,
    canonical,
    check_chain,
    digest,
    extend,
    plain,
)
from o2c.domain.holds import HoldCode, Role

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RECORDED = datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC)


def entry(n: int) -> AuditEntry:
    return AuditEntry(actor=user("ana", Role.CREDIT_MANAGER), action="hold.release",
                      subject=Subject("order", f"SO-{n}", "US"), occurred_at=T0 + timedelta(minutes=n),
                      before={"status": "validated"}, after={"events": [{"type": "HoldReleased"}]},
                      cause=f"ui:{n}")


def chain(n: int) -> tuple[list[AuditRecord], AuditHead]:
    records, head = extend(None, [entry(i) for i in range(1, n + 1)], RECORDED)
    assert head is not None
    return records, head


def test_each_entry_holds_its_number_and_the_hash_of_the_one_before() -> None:
    records, head = chain(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r.prev_hash for r in records] == [GENESIS, records[0].hash, records[1].hash]
    assert head == AuditHead(3, records[2].hash)
    more, head2 = extend(head, [entry(4)], RECORDED)
    assert more[0].seq == 4 and more[0].prev_hash == records[2].hash and head2 == AuditHead(4, more[0].hash)


def test_the_hash_is_sha256_over_the_canonical_json_of_every_field_so_anyone_can_recompute_it() -> None:
    import hashlib
    import json

    (r,), _ = extend(None, [entry(1)], RECORDED)
    document = {
        "seq": 1, "prev_hash": GENESIS, "occurred_at": "2026-03-02T09:01:00.000000+00:00",
        "recorded_at": "2026-03-02T09:00:01.000000+00:00",
        "actor": {"kind": "user", "id": "ana", "roles": ["credit_manager"], "entities": None,
                  "on_behalf_of": None, "address": None},
        "actor_label": "user:ana", "on_behalf_of": None, "action": "hold.release",
        "subject_type": "order", "subject_id": "SO-1", "legal_entity_id": "US", "cause": "ui:1",
        "before": {"status": "validated"}, "after": {"events": [{"type": "HoldReleased"}]},
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert r.hash == hashlib.sha256(text.encode()).hexdigest() == digest(r)


def test_an_intact_chain_passes_and_ends_at_the_recorded_head() -> None:
    records, head = chain(5)
    found = check_chain(records, head)
    assert found.ok and found.entries == 5 and found.last == head
    assert check_chain([], None).ok


def test_an_entry_changed_after_it_was_written_is_named() -> None:
    records, head = chain(4)
    records[2] = dataclasses.replace(records[2], after='{"events":[]}')
    found = check_chain(records, head)
    assert not found.ok and found.bad_seq == 3 and found.entries == 2
    assert found.problem is not None and found.problem.startswith(
        "audit entry 3 (hold.release on order SO-3 by user:ana) was changed after it was written")


def test_an_entry_whose_stored_json_no_longer_parses_counts_as_changed() -> None:
    records, head = chain(2)
    records[0] = dataclasses.replace(records[0], before="{not json")
    found = check_chain(records, head)
    assert found.bad_seq == 1 and "was changed after it was written" in (found.problem or "")


def test_a_deleted_entry_leaves_a_gap_that_names_it() -> None:
    records, head = chain(5)
    del records[1]
    found = check_chain(records, head)
    assert found.bad_seq == 2 and found.problem is not None
    assert found.problem.startswith("audit entry 2 is missing: the chain goes from entry 1 to entry 3")


def test_an_entry_inserted_in_the_middle_breaks_the_link_of_the_next() -> None:
    records, _ = chain(3)
    forged, _ = extend(AuditHead(1, records[0].hash), [entry(9)], RECORDED)  # hashed correctly
    renumbered = [dataclasses.replace(r, seq=r.seq + 1) for r in records[1:]]
    found = check_chain([records[0], forged[0], *renumbered], AuditHead(4, renumbered[-1].hash))
    assert found.bad_seq == 3 and "does not follow entry 2" in (found.problem or "")


def test_a_tail_cut_off_is_found_from_the_recorded_head() -> None:
    records, head = chain(5)
    found = check_chain(records[:3], head)
    assert found.bad_seq == 4 and found.entries == 3
    assert "ends at entry 3, but o2c recorded 5 entries" in (found.problem or "")
    assert "entries 4 to 5 were deleted" in (found.problem or "")


def test_entries_added_after_the_head_are_not_o2cs() -> None:
    records, head = chain(3)
    forged, _ = extend(head, [entry(4)], RECORDED)
    found = check_chain([*records, *forged], head)
    assert found.bad_seq == 4 and "were added outside o2c" in (found.problem or "")


def test_a_replaced_last_entry_differs_from_the_head() -> None:
    records, head = chain(3)
    other, _ = extend(AuditHead(2, records[1].hash), [entry(7)], RECORDED)
    found = check_chain([*records[:2], other[0]], head)
    assert found.bad_seq == 3 and "the end of the chain was replaced" in (found.problem or "")


def test_a_missing_head_record_is_reported_when_there_are_entries() -> None:
    records, _ = chain(2)
    assert "head is missing" in (check_chain(records, None).problem or "")


def test_plain_values_are_exact_and_floats_are_refused() -> None:
    assert plain({"q": Decimal("1.50"), "at": T0, "code": HoldCode.CRD_OVER_LIMIT, "s": frozenset("ba"),
                  "t": (1, None)}) == {"q": "1.50", "at": "2026-03-02T09:00:00.000000+00:00",
                                       "code": "CRD-OVER-LIMIT", "s": ["a", "b"],
                                       "t": [1, None]}
    with pytest.raises(TypeError, match="float"):
        plain({"amount": 1.5})
    assert canonical({"b": 1, "a": "é"}) == '{"a":"\\u00e9","b":1}'


def test_an_entry_needs_an_action_like_noun_dot_verb_and_an_aware_time() -> None:
    with pytest.raises(ValueError, match=r"is not like 'hold\.release'"):
        AuditEntry(actor=ENGINE, action="Release Hold", subject=Subject("order", "SO-1"), occurred_at=T0)
    with pytest.raises(ValueError, match="offset"):
        AuditEntry(actor=ENGINE, action="hold.escalate", subject=Subject("order", "SO-1"),
                   occurred_at=T0.replace(tzinfo=None))
