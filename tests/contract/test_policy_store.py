"""Governed policy on every store: versions proposed, approved by another person, audited,
loaded into the registry the runtime decides with, and refused once changed behind o2c's back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from o2c.domain.actors import user
from o2c.domain.holds import Role
from o2c.policy import PolicyError
from o2c.policy.governance import SEED_ACTOR, PolicyRefused, PolicyStatus
from o2c.store import policies
from o2c.store.audit_trail import audit_trail, verify_audit
from o2c.store.policies import StoredPolicyError
from tests.builders import Harness, seed
from tests.policy_docs import document

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ANA = user("ana", Role.PRICING)
CY = user("cy", Role.CONTROLLER)
PIA = user("pia", Role.PRICING)
CHICAGO = "America/Chicago"


def test_an_empty_store_is_seeded_once_with_the_shipped_policy(store: Any) -> None:
    first = policies.seed(store, T0)
    assert first is not None and (first.policy_id, first.version) == ("o2c.default", "1")
    assert (first.status, first.author, first.approver) == (PolicyStatus.APPROVED, SEED_ACTOR, SEED_ACTOR)
    assert policies.seed(store, T0) is None
    registry = policies.load_registry(store, T0)
    assert [(p.policy_id, p.version) for p in registry.versions] == [("o2c.default", "1")]


def test_a_version_proposed_by_one_and_approved_by_another_is_in_force_from_its_date(store: Any) -> None:
    policies.seed(store, T0)
    v = policies.propose(store, document("2", "2026-03-10", tolerance="3.5"), by=ANA, at=T0,
                         reason="tighter contracts")
    assert v.status is PolicyStatus.PROPOSED and v.author == "user:ana"
    # proposed only: not in force
    assert [p.version for p in policies.load_registry(store, T0).versions] == ["1"]
    done = policies.approve(store, "o2c.default", "2", by=PIA, at=T0, comment="agreed")
    assert (done.status, done.approver, done.comment) == (PolicyStatus.APPROVED, "user:pia", "agreed")
    registry = policies.load_registry(store, T0)
    assert registry.in_force(datetime(2026, 3, 9, tzinfo=UTC)).version == "1"
    now = registry.in_force(datetime(2026, 3, 10, tzinfo=UTC))
    assert now.version == "2" and str(now.base.price_tolerance_percent) == "3.5"
    # both steps are in the audit, about the policy, by whom, with the document's hash, after
    # o2c's own approval of the version it shipped
    found = audit_trail(store, policy="o2c.default")
    assert [(r.action, r.actor_label) for r in found] == [("policy.approve", "system:o2c.seed"),
                                                           ("policy.propose", "user:ana"),
                                                           ("policy.approve", "user:pia")]
    assert json.loads(found[0].after or "{}")["seeded"] is True
    after = json.loads(found[2].after or "{}")
    assert (after["version"], after["sha256"], after["changes"]) == ("2", v.sha256, ["pricing"])
    assert verify_audit(store).ok


def test_four_eyes_wrong_roles_and_second_approvals_are_refused_and_change_nothing(store: Any) -> None:
    policies.seed(store, T0)
    policies.propose(store, document("2", "2026-03-10", credit_blocked="CRD-PAST-DUE"), by=ANA, at=T0)
    with pytest.raises(PolicyRefused, match=r"user:ana proposed policy o2c.default version 2 and may not "
                                            r"approve it too"):
        policies.approve(store, "o2c.default", "2", by=user("ana", Role.PRICING, Role.CONTROLLER), at=T0)
    with pytest.raises(PolicyRefused, match="it changes credit, which needs controller or credit_manager"):
        policies.approve(store, "o2c.default", "2", by=PIA, at=T0)
    assert policies.version(store, "o2c.default", "2").status is PolicyStatus.PROPOSED  # type: ignore[union-attr]
    actions = [r.action for r in audit_trail(store, policy="o2c.default")]
    assert actions == ["policy.approve", "policy.propose"]  # o2c's approval of its seed, then the proposal
    policies.approve(store, "o2c.default", "2", by=user("cm", Role.CREDIT_MANAGER), at=T0)
    with pytest.raises(PolicyRefused, match="is approved already"):
        policies.approve(store, "o2c.default", "2", by=CY, at=T0)
    with pytest.raises(PolicyRefused, match=r"there is no policy o2c.default version 9"):
        policies.approve(store, "o2c.default", "9", by=CY, at=T0)


def test_a_version_id_that_exists_or_a_date_begun_is_refused(store: Any) -> None:
    policies.seed(store, T0)
    with pytest.raises(PolicyRefused, match=r"policy o2c.default version 1 exists already"):
        policies.propose(store, document("1", "2026-03-10"), by=ANA, at=T0)
    with pytest.raises(PolicyRefused, match="takes effect 2026-03-01, which has begun already"):
        policies.propose(store, document("2", "2026-03-01"), by=ANA, at=T0)
    with pytest.raises(PolicyError, match=r"policy.pricing.tolerance_percent: expected a number"):
        policies.propose(store, document("2", "2026-03-10", tolerance="lots"), by=ANA, at=T0)
    assert [v.version for v in policies.versions(store)] == ["1"]


def test_a_rejected_version_is_never_in_force(store: Any) -> None:
    policies.seed(store, T0)
    policies.propose(store, document("2", "2026-03-10", tolerance="9"), by=ANA, at=T0)
    done = policies.reject(store, "o2c.default", "2", by=CY, at=T0, comment="too loose")
    assert done.status is PolicyStatus.REJECTED
    assert [p.version for p in policies.load_registry(store, T0).versions] == ["1"]
    assert [r.action for r in audit_trail(store, policy="o2c.default")][-1] == "policy.reject"


def test_an_override_for_one_entity_merges_into_a_new_version(store: Any) -> None:
    policies.seed(store, T0)
    v = policies.propose_override(store, "US", {"pricing": {"tolerance_percent": "5.0"}}, version_id="2",
                                  effective_from="2026-03-10", by=ANA, at=T0)
    us_pricing = user("uma", Role.PRICING, entities=["US"])
    policies.approve(store, "o2c.default", v.version, by=us_pricing, at=T0)  # only US's overrides change
    p = policies.load_registry(store, T0).in_force(datetime(2026, 3, 11, tzinfo=UTC))
    assert str(p.for_entity("US").price_tolerance_percent) == "5.0"
    assert str(p.for_entity("CA").price_tolerance_percent) == "2.0"


def test_a_stored_version_takes_effect_at_midnight_in_the_entitys_zone(store: Any) -> None:
    # given version 2, stored and approved, effective 1 April, and an entity in Chicago
    seed(store, zone=CHICAGO)
    policies.seed(store, T0)
    policies.propose(store, document("2", "2026-04-01", tolerance="3.0"), by=ANA, at=T0)
    policies.approve(store, "o2c.default", "2", by=CY, at=T0)
    h = Harness(store=store, start=datetime(2026, 4, 1, 4, 30, tzinfo=UTC))  # 23:30 on 31 March there
    h.stock("P1", "1000")
    # when orders arrive at 23:30 on 31 March and at 00:30 on 1 April, Chicago time (UTC-5)
    first = h.order(po="A").correlation_id
    h.later(hours=1)
    second = h.order(po="B").correlation_id
    # then each decision names the version in force on the entity's calendar, not UTC's
    versions = [next(e for e in h.events(o) if e.type == "CreditApproved").payload.decision.version
                for o in (first, second)]
    assert versions == ["1", "2"]


# ---------------------------------------------------------------- changed behind o2c's back


def _approved_v2(store: Any) -> None:
    policies.seed(store, T0)
    policies.propose(store, document("2", "2026-03-10", tolerance="3.0"), by=ANA, at=T0)
    policies.approve(store, "o2c.default", "2", by=CY, at=T0)


def _sql(store: Any, statement: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(statement))


def test_an_approved_document_changed_with_sql_is_refused_on_load(sql_store: Any) -> None:
    _approved_v2(sql_store)
    _sql(sql_store, "UPDATE policy_versions SET document = replace(document, '\"3.0\"', '\"30.0\"') "
                    "WHERE version = '2'")
    with pytest.raises(StoredPolicyError, match=r"policy o2c.default version 2 was changed after it was "
                                                r"approved: its document no longer hashes to [0-9a-f]{64}"):
        policies.load_registry(sql_store, T0)


def test_a_document_and_hash_both_changed_are_caught_by_the_audit(sql_store: Any) -> None:
    _approved_v2(sql_store)
    changed = document("2", "2026-03-10", tolerance="30.0")
    from o2c.policy.governance import document_hash

    with sql_store.engine.begin() as conn:
        conn.execute(text("UPDATE policy_versions SET document = :d, sha256 = :h WHERE version = '2'"),
                     {"d": changed, "h": document_hash(changed)})
    with pytest.raises(StoredPolicyError, match="is marked approved, but the audit holds no approval of it"):
        policies.load_registry(sql_store, T0)


def test_the_seeded_version_changed_with_its_hash_is_caught_by_o2cs_own_approval(sql_store: Any) -> None:
    policies.seed(sql_store, T0)
    changed = document("1", "2020-01-01", tolerance="30.0")
    from o2c.policy.governance import document_hash

    with sql_store.engine.begin() as conn:
        conn.execute(text("UPDATE policy_versions SET document = :d, sha256 = :h WHERE version = '1'"),
                     {"d": changed, "h": document_hash(changed)})
    with pytest.raises(StoredPolicyError, match=r"policy o2c\.default version 1 is marked approved, but the "
                                                r"audit holds no approval of it"):
        policies.load_registry(sql_store, T0)


def test_a_proposal_marked_approved_with_sql_is_refused_on_load(sql_store: Any) -> None:
    policies.seed(sql_store, T0)
    policies.propose(sql_store, document("2", "2026-03-10"), by=ANA, at=T0)
    _sql(sql_store, "UPDATE policy_versions SET status = 'approved', approver = 'user:x' WHERE version = '2'")
    with pytest.raises(StoredPolicyError, match="audit holds no approval"):
        policies.load_registry(sql_store, T0)


def test_a_proposal_passed_off_as_the_seeded_version_is_refused_on_load(sql_store: Any) -> None:
    policies.seed(sql_store, T0)
    policies.propose(sql_store, document("2", "2026-03-10"), by=ANA, at=T0)
    _sql(sql_store, f"UPDATE policy_versions SET status = 'approved', author = '{SEED_ACTOR}', "
                    f"approver = '{SEED_ACTOR}' WHERE version = '2'")
    with pytest.raises(StoredPolicyError, match=r"only the first version is o2c's own, but o2c.default "
                                                r"version 1, o2c.default version 2 claim to be"):
        policies.load_registry(sql_store, T0)


def test_a_running_registry_takes_up_a_version_approved_elsewhere(store: Any) -> None:
    live = policies.LiveRegistry(store, T0, every=0)  # looks at every decision
    march = datetime(2026, 3, 10, tzinfo=UTC)
    assert live.in_force(march).version == "1"
    policies.propose(store, document("2", "2026-03-10", tolerance="3.0"), by=ANA, at=T0)
    assert live.in_force(march).version == "1"  # proposed only
    policies.approve(store, "o2c.default", "2", by=CY, at=T0)  # by another process, say
    assert live.in_force(march).version == "2"
    assert [p.version for p in live.versions] == ["1", "2"]


def test_a_running_registry_keeps_what_it_had_when_a_new_version_fails_its_check(sql_store: Any) -> None:
    live = policies.LiveRegistry(sql_store, T0, every=0)
    policies.propose(sql_store, document("2", "2026-03-10"), by=ANA, at=T0)
    _sql(sql_store, "UPDATE policy_versions SET status = 'approved', approver = 'user:x' WHERE version = '2'")
    assert live.in_force(datetime(2026, 3, 10, tzinfo=UTC)).version == "1"
    assert not live.refresh()
