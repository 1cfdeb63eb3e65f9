"""The identity rows on SQL (SQLite and PostgreSQL): tables ``users``, ``api_keys``,
``delegations`` and ``sessions`` of :mod:`o2c.store.tables`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, exists, insert, select, update

from o2c.domain.actors import roles_of
from o2c.domain.holds import Role
from o2c.domain.identities import ApiKey, Delegation, Session, User
from o2c.store.database import reading
from o2c.store.identity_rows import IdentityRows
from o2c.store.tables import api_keys, delegations, sessions, users


@contextmanager
def transaction(engine: Engine, read: bool = False) -> Iterator[IdentityRows]:
    """The rows in one transaction; ``read``: one that only reads, which on SQLite never waits
    for a writer (every API request authenticates, while a big order may be being applied)."""
    if read:
        with reading(engine) as conn, conn.begin():
            yield SqlIdentities(conn)
    else:
        with engine.begin() as conn:
            yield SqlIdentities(conn)


def _roles(roles: frozenset[Role]) -> str:
    return json.dumps(sorted(r.value for r in roles))


def _entities(entities: frozenset[str] | None) -> str | None:
    return None if entities is None else json.dumps(sorted(entities))


def _read_entities(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(json.loads(text))


def _user(r: Row[Any]) -> User:
    return User(user_id=r.user_id, roles=roles_of(json.loads(r.roles)), entities=_read_entities(r.entities),
                created_at=r.created_at, created_by=r.created_by, disabled_at=r.disabled_at)


def _key(r: Row[Any]) -> ApiKey:
    return ApiKey(name=r.name, prefix=r.prefix, roles=roles_of(json.loads(r.roles)),
                  entities=_read_entities(r.entities), created_at=r.created_at, created_by=r.created_by,
                  revoked_at=r.revoked_at)


def _delegation(r: Row[Any]) -> Delegation:
    return Delegation(delegation_id=r.delegation_id, from_user=r.from_user, to_user=r.to_user,
                      starts_at=r.starts_at, ends_at=r.ends_at, created_at=r.created_at,
                      created_by=r.created_by)


class SqlIdentities:
    def __init__(self, conn: Connection) -> None:
        self.c = conn

    def any_user(self) -> bool:
        return bool(self.c.execute(select(exists().select_from(users))).scalar())

    def user(self, user_id: str) -> User | None:
        r = self.c.execute(select(users).where(users.c.user_id == user_id)).first()
        return None if r is None else _user(r)

    def users(self) -> list[User]:
        return [_user(r) for r in self.c.execute(select(users).order_by(users.c.user_id))]

    def password_hash(self, user_id: str) -> str | None:
        return self.c.execute(
            select(users.c.password_hash).where(users.c.user_id == user_id)).scalar_one_or_none()

    def add_user(self, user: User, password_hash: str) -> None:
        self.c.execute(insert(users).values(
            user_id=user.user_id, password_hash=password_hash, roles=_roles(user.roles),
            entities=_entities(user.entities), created_at=user.created_at, created_by=user.created_by,
            disabled_at=user.disabled_at))

    def change_user(self, user: User, *, at: datetime, by: str) -> None:
        self.c.execute(update(users).where(users.c.user_id == user.user_id).values(
            roles=_roles(user.roles), entities=_entities(user.entities), disabled_at=user.disabled_at,
            changed_at=at, changed_by=by))

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.c.execute(update(users).where(users.c.user_id == user_id).values(password_hash=password_hash))

    def key(self, name: str) -> ApiKey | None:
        r = self.c.execute(select(api_keys).where(api_keys.c.name == name)).first()
        return None if r is None else _key(r)

    def key_by_prefix(self, prefix: str) -> tuple[ApiKey, str] | None:
        r = self.c.execute(select(api_keys).where(api_keys.c.prefix == prefix)).first()
        return None if r is None else (_key(r), r.secret_hash)

    def keys(self) -> list[ApiKey]:
        return [_key(r) for r in self.c.execute(select(api_keys).order_by(api_keys.c.name))]

    def add_key(self, key: ApiKey, secret_hash: str) -> None:
        self.c.execute(insert(api_keys).values(
            name=key.name, prefix=key.prefix, secret_hash=secret_hash, roles=_roles(key.roles),
            entities=_entities(key.entities), created_at=key.created_at, created_by=key.created_by,
            revoked_at=key.revoked_at))

    def revoke_key(self, name: str, *, at: datetime, by: str) -> None:
        self.c.execute(update(api_keys).where(api_keys.c.name == name).values(revoked_at=at, revoked_by=by))

    def add_delegation(self, delegation: Delegation) -> None:
        d = delegation
        self.c.execute(insert(delegations).values(
            delegation_id=d.delegation_id, from_user=d.from_user, to_user=d.to_user, starts_at=d.starts_at,
            ends_at=d.ends_at, created_at=d.created_at, created_by=d.created_by))

    def delegations(self, to_user: str | None = None) -> list[Delegation]:
        q = select(delegations).order_by(delegations.c.created_at, delegations.c.delegation_id)
        if to_user is not None:
            q = q.where(delegations.c.to_user == to_user)
        return [_delegation(r) for r in self.c.execute(q)]

    def add_session(self, token_hash: str, session: Session) -> None:
        self.c.execute(insert(sessions).values(
            token_hash=token_hash, user_id=session.user_id, created_at=session.created_at,
            expires_at=session.expires_at, revoked_at=session.revoked_at))

    def session(self, token_hash: str) -> Session | None:
        r = self.c.execute(select(sessions).where(sessions.c.token_hash == token_hash)).first()
        return None if r is None else Session(user_id=r.user_id, created_at=r.created_at,
                                              expires_at=r.expires_at, revoked_at=r.revoked_at)

    def revoke_session(self, token_hash: str, at: datetime) -> None:
        self.c.execute(update(sessions).where(sessions.c.token_hash == token_hash,
                                              sessions.c.revoked_at.is_(None)).values(revoked_at=at))

    def drop_sessions(self, user_id: str, expired_before: datetime) -> None:
        self.c.execute(delete(sessions).where(sessions.c.user_id == user_id,
                                              sessions.c.expires_at < expired_before))
