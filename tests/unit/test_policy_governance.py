"""Governed policy as values: a version's states, what it changes, and four eyes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.domain.actors import Actor, ActorKind, user
from o2c.domain.holds import Role
from o2c.policy import governance as gov
from o2c.policy.governance import Change, PolicyRefused, PolicyStatus

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ANA = user("ana", Role.PRICING)
BASE = {"policy_id": "p", "version": "1", "effective_from": "2026-01-01",
        "credit": {"rules": [1]}, "pricing": {"tolerance_percent": "2.0"}, "entities": {}}


def proposed(by: Actor = ANA) -> gov.PolicyVersion:
    return gov.propose(policy_id="p", version="2", document="text", effective_from="2026-03-02", by=by, at=T0)


def test_a_proposal_is_hashed_and_names_its_author() -> None:
    v = proposed()
    assert v.status is PolicyStatus.PROPOSED and v.author == "user:ana" and v.hash_ok()
    assert v.sha256 == gov.document_hash("text")
    assert not replace(v, document="text changed").hash_ok()


def test_only_a_person_with_a_policy_role_proposes() -> None:
    with pytest.raises(PolicyRefused, match="user:bo may not propose a policy: that needs one of"):
        proposed(user("bo", Role.BILLING))
    key = Actor(kind=ActorKind.API_KEY, id="erp", roles=frozenset({Role.CONTROLLER}))
    with pytest.raises(PolicyRefused, match="api_key:erp is not a person"):
        proposed(key)


def test_what_a_version_changes_is_named_by_section_and_entity() -> None:
    pricing = {**BASE, "version": "2", "pricing": {"tolerance_percent": "3.0"}}
    assert gov.changes(BASE, pricing) == {Change("pricing")}
    override = {**BASE, "entities": {"US": {"credit": {"rules": [2]}}}}
    assert gov.changes(BASE, override) == {Change("credit", "US")}
    assert str(Change("credit", "US")) == "entities.US.credit"
    assert gov.changes(BASE, {**BASE, "version": "9", "effective_from": "2027-01-01"}) == frozenset()
    assert {c.section for c in gov.changes(None, BASE)} == {"credit", "pricing", "entities"}


def test_the_author_may_not_approve_their_own_version() -> None:
    v = proposed(user("ana", Role.CONTROLLER))
    with pytest.raises(PolicyRefused, match=r"user:ana proposed policy p version 2 and may not approve it "
                                            r"too: another person must \(four eyes\)"):
        gov.approve(v, by=user("ana", Role.CONTROLLER), at=T0, found=frozenset({Change("pricing")}))


def test_nor_may_a_delegate_approve_on_the_authors_behalf() -> None:
    v = proposed(user("ana", Role.CONTROLLER))
    with pytest.raises(PolicyRefused, match="four eyes"):
        gov.approve(v, by=user("carl", Role.CONTROLLER, on_behalf_of="ana"), at=T0,
                    found=frozenset({Change("pricing")}))


def test_section_roles_approve_their_own_section_only() -> None:
    v = proposed()
    pricing, credit = frozenset({Change("pricing")}), frozenset({Change("credit")})
    assert gov.approve(v, by=user("pia", Role.PRICING), at=T0, found=pricing).status is PolicyStatus.APPROVED
    assert gov.approve(v, by=user("cm", Role.CREDIT_MANAGER), at=T0, found=credit).approver == "user:cm"
    with pytest.raises(PolicyRefused, match=r"user:pia may not approve policy p version 2: it changes "
                                            r"credit, pricing, which needs controller$"):
        gov.approve(v, by=user("pia", Role.PRICING), at=T0, found=pricing | credit)
    with pytest.raises(PolicyRefused, match="it changes credit, which needs controller or credit_manager"):
        gov.approve(v, by=user("pia", Role.PRICING), at=T0, found=credit)
    both = gov.approve(v, by=user("cy", Role.CONTROLLER), at=T0, found=pricing | credit, comment="ok")
    assert (both.approver, both.approved_at, both.comment) == ("user:cy", T0, "ok")


def test_an_approver_acts_for_every_entity_a_change_concerns() -> None:
    v = proposed()
    us_only = user("cy", Role.CONTROLLER, entities=["US"])
    with pytest.raises(PolicyRefused, match="changes what every legal entity does"):
        gov.approve(v, by=us_only, at=T0, found=frozenset({Change("pricing")}))
    with pytest.raises(PolicyRefused, match="changes the overrides of CA, which they do not act for"):
        gov.approve(v, by=us_only, at=T0, found=frozenset({Change("pricing", "CA")}))
    ok = gov.approve(v, by=us_only, at=T0, found=frozenset({Change("pricing", "US")}))
    assert ok.status is PolicyStatus.APPROVED


def test_an_approved_or_rejected_version_is_not_decided_again() -> None:
    found = frozenset({Change("pricing")})
    done = gov.approve(proposed(), by=user("cy", Role.CONTROLLER), at=T0, found=found)
    with pytest.raises(PolicyRefused, match=r"policy p version 2 is approved already \(by user:cy\)"):
        gov.approve(done, by=user("dee", Role.CONTROLLER), at=T0, found=found)
    with pytest.raises(PolicyRefused, match="only a proposal can be rejected"):
        gov.reject(done, by=user("dee", Role.CONTROLLER), at=T0, found=found)
    gone = gov.reject(proposed(), by=ANA, at=T0, found=found)  # the author withdraws it
    assert gone.status is PolicyStatus.REJECTED
    with pytest.raises(PolicyRefused, match="is rejected, not proposed"):
        gov.approve(gone, by=user("cy", Role.CONTROLLER), at=T0, found=found)
    with pytest.raises(PolicyRefused, match="may not reject"):
        gov.reject(proposed(), by=user("bo", Role.BILLING), at=T0, found=found)


SECTIONS = st.sampled_from(["credit", "pricing", "billing", "holds", "allocation"])


@given(author=st.sampled_from(["ana", "bo"]), approver=st.sampled_from(["ana", "bo", "cy"]),
       roles=st.frozensets(st.sampled_from(list(Role)), max_size=4),
       sections=st.frozensets(SECTIONS, min_size=1, max_size=3))
def test_approval_is_four_eyes_and_by_role(author: str, approver: str, roles: frozenset[Role],
                                           sections: frozenset[str]) -> None:
    v = proposed(user(author, Role.CONTROLLER))
    found = frozenset(Change(s) for s in sections)
    by = Actor(kind=ActorKind.USER, id=approver, roles=roles)
    may = approver != author and (Role.CONTROLLER in roles or (
        sections == {"pricing"} and Role.PRICING in roles) or (
        sections == {"credit"} and Role.CREDIT_MANAGER in roles))
    try:
        done = gov.approve(v, by=by, at=T0, found=found)
    except PolicyRefused:
        assert not may
    else:
        assert may and done.status is PolicyStatus.APPROVED and done.approver != done.author
        assert done.document == v.document and done.sha256 == v.sha256


PEOPLE = st.sampled_from(["ana", "bo", "cy"])
ACTIONS = st.lists(st.tuples(st.sampled_from(["approve", "reject"]), PEOPLE,
                             st.frozensets(st.sampled_from(list(Role)), max_size=3)), max_size=8)


@given(steps=ACTIONS)
def test_a_version_is_decided_once_and_never_changes_afterwards(
        steps: list[tuple[str, str, frozenset[Role]]]) -> None:
    v = proposed(user("ana", Role.PRICING))
    found = frozenset({Change("pricing")})
    decided = None
    for verb, who, roles in steps:
        by = Actor(kind=ActorKind.USER, id=who, roles=roles)
        act = gov.approve if verb == "approve" else gov.reject
        try:
            after = act(v, by=by, at=T0, found=found)
        except gov.PolicyConflict:
            assert decided is not None  # only a decided version is out of state
            continue
        except gov.PolicyForbidden:
            continue
        assert decided is None, "decided twice"
        assert after.status in (PolicyStatus.APPROVED, PolicyStatus.REJECTED)
        assert (after.document, after.sha256, after.author) == (v.document, v.sha256, v.author)
        if after.status is PolicyStatus.APPROVED:
            assert after.approver != after.author
        decided = v = after
