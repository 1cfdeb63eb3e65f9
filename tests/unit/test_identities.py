"""What a person may do at an instant, from their record and the delegations to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from o2c.domain.holds import Role
from o2c.domain.identities import Delegation, IdentityRefused, User, user_actor

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def person(user_id: str, role: Role, entities: set[str] | None, disabled_at: datetime | None = None) -> User:
    return User(user_id=user_id, roles=frozenset({role}),
                entities=None if entities is None else frozenset(entities),
                created_at=T0, created_by="user:root", disabled_at=disabled_at)


def away(giver: User, taker: User, days: int = 5) -> tuple[Delegation, User]:
    d = Delegation(delegation_id=f"DG-{giver.user_id}", from_user=giver.user_id, to_user=taker.user_id,
                   starts_at=T0, ends_at=T0 + timedelta(days=days), created_at=T0, created_by="user:root")
    return d, giver


def test_a_delegate_holds_every_delegators_roles_and_entities_and_names_them() -> None:
    ana = person("ana", Role.CREDIT_ANALYST, {"US"})
    mia, tom = person("mia", Role.CREDIT_MANAGER, {"US"}), person("tom", Role.PRICING, {"CA"})
    actor = user_actor(ana, T0 + timedelta(days=1), [away(mia, ana), away(tom, ana)])
    assert actor.roles == {Role.CREDIT_ANALYST, Role.CREDIT_MANAGER, Role.PRICING}
    assert actor.entities == {"US", "CA"} and actor.on_behalf_of == "mia,tom"
    everywhere = person("eve", Role.CONTROLLER, None)
    assert user_actor(ana, T0, [away(everywhere, ana)]).entities is None


def test_a_delegation_counts_only_in_its_period_and_from_someone_still_enabled() -> None:
    ana, mia = person("ana", Role.CREDIT_ANALYST, {"US"}), person("mia", Role.CREDIT_MANAGER, {"US"})
    own = user_actor(ana, T0)
    assert user_actor(ana, T0 - timedelta(seconds=1), [away(mia, ana)]) == own
    assert user_actor(ana, T0 + timedelta(days=5), [away(mia, ana)]) == own
    gone = person("mia", Role.CREDIT_MANAGER, {"US"}, disabled_at=T0 + timedelta(days=1))
    assert user_actor(ana, T0 + timedelta(days=2), [away(gone, ana)]) == own
    with pytest.raises(ValueError, match="is not from"):
        user_actor(mia, T0, [away(mia, ana)])


def test_a_disabled_user_is_refused_from_the_instant_they_were_disabled() -> None:
    ana = person("ana", Role.BILLING, None, disabled_at=T0)
    assert user_actor(ana, T0 - timedelta(microseconds=1)).id == "ana"
    with pytest.raises(IdentityRefused, match="user 'ana' is disabled"):
        user_actor(ana, T0)
