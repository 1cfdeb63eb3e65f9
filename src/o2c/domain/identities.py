"""Who may act in o2c: people (users), systems with an API key, and delegations.

A user holds roles and acts for a set of legal entities (or all of them); an API key is
a system's credential with the same two things as its scope. A delegation lets one
person hold another's roles for a period (out of office). What any of them may do at a
given instant is an :class:`~o2c.domain.actors.Actor`, resolved here from the records
alone; secrets (password and key hashes) are the store's concern, never these values'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from o2c.domain.actors import Actor, ActorKind
from o2c.domain.holds import Role


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A person. ``entities`` None: every legal entity."""

    user_id: str
    roles: frozenset[Role]
    entities: frozenset[str] | None
    created_at: datetime
    created_by: str
    disabled_at: datetime | None = None

    def enabled_at(self, at: datetime) -> bool:
        return self.disabled_at is None or at < self.disabled_at


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """A system's credential. ``prefix`` is public (it names the key in lists and logs);
    the secret it begins is shown once, when the key is created, and kept only hashed."""

    name: str
    prefix: str
    roles: frozenset[Role]
    entities: frozenset[str] | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    def valid_at(self, at: datetime) -> bool:
        return self.revoked_at is None or at < self.revoked_at


@dataclass(frozen=True, slots=True, kw_only=True)
class Delegation:
    """``from_user``'s roles held by ``to_user`` from ``starts_at`` until ``ends_at``
    (excluded)."""

    delegation_id: str
    from_user: str
    to_user: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    created_by: str

    def active_at(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A person signed in: what a bearer token stands for until it expires or is revoked."""

    user_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def valid_at(self, at: datetime) -> bool:
        return at < self.expires_at and (self.revoked_at is None or at < self.revoked_at)


class IdentityRefused(Exception):
    """An identity that may not act (unknown, disabled, revoked, expired); the message
    says which for the operator. Callers facing the outside world say less."""


def user_actor(user: User, at: datetime, delegators: Iterable[tuple[Delegation, User]] = ()) -> Actor:
    """What ``user`` may do at ``at``: their own roles and entities, plus, for every
    delegation to them active then from a person still enabled, that person's roles and
    entities, named in ``on_behalf_of`` (several: comma-separated, in name order).

    The actor holds one set of roles over one set of entities, so a delegate acting for
    two people, or for one whose entities differ from their own, holds the union of both:
    delegations are meant between colleagues of the same entities."""
    if not user.enabled_at(at):
        raise IdentityRefused(f"user {user.user_id!r} is disabled")
    roles = set(user.roles)
    entities: set[str] | None = None if user.entities is None else set(user.entities)
    behalf: set[str] = set()
    for d, giver in delegators:
        if d.to_user != user.user_id or d.from_user != giver.user_id:
            raise ValueError(f"delegation {d.delegation_id} is not from {giver.user_id} to {user.user_id}")
        if not d.active_at(at) or not giver.enabled_at(at):
            continue
        roles |= giver.roles
        entities = None if entities is None or giver.entities is None else entities | giver.entities
        behalf.add(giver.user_id)
    return Actor(kind=ActorKind.USER, id=user.user_id, roles=frozenset(roles),
                 entities=None if entities is None else frozenset(entities),
                 on_behalf_of=",".join(sorted(behalf)) or None)


def key_actor(key: ApiKey, at: datetime) -> Actor:
    """What the system holding ``key`` may do at ``at``."""
    if not key.valid_at(at):
        raise IdentityRefused(f"API key {key.name!r} ({key.prefix}) was revoked")
    return Actor(kind=ActorKind.API_KEY, id=key.name, roles=key.roles, entities=key.entities)
