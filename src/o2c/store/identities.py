"""Users, API keys, delegations and sessions: who may act, and as whom.

The one entry point for everything that must know who is acting (the API, the command
line) is the resolution of an identity to an :class:`~o2c.domain.actors.Actor` at an
instant: :func:`actor_for_user`, :func:`actor_for_key`, :func:`actor_for_token`. Each
raises :class:`~o2c.domain.identities.IdentityRefused` for an identity that may not act.

Secrets are never stored in clear:

- a password is kept as its argon2id hash (``argon2.PasswordHasher``'s defaults): people
  choose guessable passwords, so the hash must be slow and memory-hard to make guessing
  from a stolen database expensive;
- an API key and a session token are 256-bit random secrets kept as their SHA-256. A
  secret that random cannot be guessed, however fast the hash, so a slow hash would
  buy nothing and cost its time on every request.

Administrative changes take the acting :class:`Actor` (``by``), who must hold ``admin``
and act for every legal entity they grant; the only exception is the first user of an
empty database, who must be made an admin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from o2c.domain.actors import Actor, system
from o2c.domain.audit import Subject
from o2c.domain.holds import Role
from o2c.domain.identities import (
    ApiKey,
    Delegation,
    IdentityRefused,
    Session,
    User,
    key_actor,
    user_actor,
)
from o2c.engine import audit
from o2c.store.identity_rows import IdentityRows
from o2c.store.memory import as_memory_store
from o2c.store.port import Store

#: How long a bearer token from :func:`sign_in` is good for.
TOKEN_TTL = timedelta(minutes=15)
PASSWORD_MIN = 12
PASSWORD_MAX = 1024
KEY_MARK, TOKEN_MARK = "o2ck_", "o2cs_"  # so a leaked secret is recognisable (secret scanners)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")

__all__ = ["TOKEN_TTL", "IdentityError", "IdentityRefused", "NotAllowed", "actor_for_key",
           "actor_for_token", "actor_for_user", "add_user", "change_roles", "create_key", "delegate",
           "disable_user", "has_users", "keys", "revoke_key", "sign_in", "sign_out", "users"]


class IdentityError(ValueError):
    """A change that cannot be made as asked; the message says why and what to do."""


class NotAllowed(IdentityError):
    """The acting person may not make this change."""


@contextmanager
def _rows(store: Store, read: bool = False) -> Iterator[IdentityRows]:
    """The identity rows in one transaction; ``read``: one that changes nothing, and on SQLite
    does not wait for a writer."""
    if (engine := store.sql_engine) is not None:
        from o2c.store.sql_identities import transaction

        with transaction(engine, read) as rows:
            yield rows
    else:
        with as_memory_store(store).identities.transaction(read) as rows:
            yield rows


@contextmanager
def _changing(store: Store, by: Actor | None, action: str, subject: Subject,
              at: datetime) -> Iterator[tuple[IdentityRows, _Audit]]:
    """The identity rows in one transaction with the audit: the change and its entry in
    the hash-chained audit commit together (``o2c audit show --user``)."""
    record = _Audit()
    with store.unit_of_work() as uow:
        if store.sql_engine is not None:
            from o2c.store.sql_identities import SqlIdentities

            rows: IdentityRows = SqlIdentities(uow.connection())  # type: ignore[attr-defined]
            yield rows, record
        else:
            with as_memory_store(store).identities.transaction() as rows:
                yield rows, record
        if record.after is not None or record.before is not None:
            actor = record.actor or by or system("o2c.bootstrap")
            audit.entry(uow, actor, action, record.subject or subject, at=at, before=record.before,
                        after=record.after)
        uow.commit()


class _Audit:
    """What a change was and became, and who made it (the admin found inside the
    transaction), filled in by the change."""

    def __init__(self) -> None:
        self.before: object = None
        self.after: object = None
        self.actor: Actor | None = None
        self.subject: Subject | None = None

    def __call__(self, actor: Actor | None, before: object, after: object,
                 subject: Subject | None = None) -> None:
        self.actor, self.before, self.after, self.subject = actor, before, after, subject


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy() -> str:
    """A hash to check an unknown user's password against, so that a wrong user name takes
    as long to refuse as a wrong password (the time would tell which users exist)."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ---------------------------------------------------------------- who is acting


def actor_for_user(store: Store, user_id: str, at: datetime) -> Actor:
    """The actor ``user_id`` is at ``at``: their roles and entities, and those of anyone who
    delegated to them for that instant (named in ``on_behalf_of``). IdentityRefused for an
    unknown or disabled user."""
    with _rows(store, read=True) as rows:
        return _actor(rows, user_id, at)


def _actor(rows: IdentityRows, user_id: str, at: datetime) -> Actor:
    found = rows.user(user_id)
    if found is None:
        raise IdentityRefused(f"there is no user {user_id!r}")
    givers = []
    for d in rows.delegations(to_user=user_id):
        giver = rows.user(d.from_user) if d.active_at(at) else None
        if giver is not None:
            givers.append((d, giver))
    return user_actor(found, at, givers)


def actor_for_key(store: Store, secret: str, at: datetime) -> Actor:
    """The actor an API key's secret stands for at ``at``. IdentityRefused for a secret that
    is not a key's, or a revoked key."""
    prefix = _key_prefix(secret)
    with _rows(store, read=True) as rows:
        found = rows.key_by_prefix(prefix) if prefix else None
    if found is None or not hmac.compare_digest(found[1], _digest(secret)):
        raise IdentityRefused("not a valid API key")
    return key_actor(found[0], at)


def _key_prefix(secret: str) -> str | None:
    parts = secret.split("_", 2)
    ok = secret.startswith(KEY_MARK) and len(parts) == 3 and parts[1] and parts[2]
    return parts[1] if ok else None


def sign_in(store: Store, user_id: str, password: str, at: datetime,
            ttl: timedelta = TOKEN_TTL) -> tuple[str, Session]:
    """A bearer token for ``user_id`` if ``password`` is theirs and they may act, good until
    ``at + ttl``; only its hash is stored. IdentityRefused otherwise (the message is the
    same for a wrong user or password)."""
    with _rows(store, read=True) as rows:
        stored = rows.password_hash(user_id)
    if not _password_matches(store, user_id, stored, password):
        raise IdentityRefused("wrong user or password")
    with _rows(store) as rows:
        _actor(rows, user_id, at)  # a disabled user gets no token
        token = TOKEN_MARK + secrets.token_urlsafe(32)
        session = Session(user_id=user_id, created_at=at, expires_at=at + ttl)
        rows.drop_sessions(user_id, expired_before=at)
        rows.add_session(_digest(token), session)
    return token, session


def _password_matches(store: Store, user_id: str, stored: str | None, password: str) -> bool:
    decoy = _decoy()  # made on the first sign-in whoever it is for, so that too takes alike
    try:
        _hasher().verify(stored or decoy, password)
    except (VerificationError, InvalidHashError):
        return False
    if stored is None:
        return False
    if _hasher().check_needs_rehash(stored):  # the parameters were raised since it was set
        with _rows(store) as rows:
            rows.set_password_hash(user_id, _hasher().hash(password))
    return True


def actor_for_token(store: Store, token: str, at: datetime) -> Actor:
    """The actor a bearer token from :func:`sign_in` stands for at ``at`` (roles as they are
    now, not as they were at sign-in). IdentityRefused for an unknown, expired or revoked
    token, or a user disabled since."""
    with _rows(store, read=True) as rows:
        session = rows.session(_digest(token)) if token.startswith(TOKEN_MARK) else None
        if session is None or not session.valid_at(at):
            raise IdentityRefused("the token is unknown, expired or revoked: sign in again")
        return _actor(rows, session.user_id, at)


def sign_out(store: Store, token: str, at: datetime) -> None:
    """Revoke a bearer token (nothing happens for an unknown one)."""
    with _rows(store) as rows:
        rows.revoke_session(_digest(token), at)


# ---------------------------------------------------------------- administration


def has_users(store: Store) -> bool:
    with _rows(store, read=True) as rows:
        return rows.any_user()


def users(store: Store) -> list[User]:
    with _rows(store, read=True) as rows:
        return rows.users()


def keys(store: Store) -> list[ApiKey]:
    with _rows(store, read=True) as rows:
        return rows.keys()


def delegations(store: Store) -> list[Delegation]:
    with _rows(store, read=True) as rows:
        return rows.delegations()


def _admin(by: Actor | None, entities: frozenset[str] | None = frozenset()) -> Actor:
    if by is None:
        raise NotAllowed("say who is making this change (a user holding admin)")
    if not by.has(Role.ADMIN):
        raise NotAllowed(f"{by.label} does not hold the admin role; ask an admin")
    if by.entities is not None and (entities is None or not entities <= by.entities):
        granted = "every legal entity" if entities is None else ", ".join(sorted(entities - by.entities))
        raise NotAllowed(f"{by.label} does not act for {granted}, so may not grant it")
    return by


def _name(kind: str, name: str) -> str:
    if not _NAME.fullmatch(name):
        raise IdentityError(f"{kind} {name!r} is not a valid name: up to 100 letters, digits and . _ @ -, "
                            "starting with a letter or digit")
    return name


def _scope(roles: Iterable[Role], entities: frozenset[str] | None, what: str) -> frozenset[Role]:
    out = frozenset(roles)
    if not out:
        raise IdentityError(f"give {what} at least one role (--role)")
    if entities is not None and not entities:
        raise IdentityError(f"say which legal entities {what} acts for: --entity ID (repeat it) "
                            "or --entity all")
    return out


def _known(store: Store, entities: frozenset[str] | None) -> None:
    """Refuse a legal entity master data does not hold (a typo would grant nothing, silently)."""
    if not entities:
        return
    with store.unit_of_work() as uow:
        unknown = sorted(e for e in entities if uow.master.legal_entity(e) is None)
    if unknown:
        raise IdentityError(f"no legal entity {', '.join(unknown)} in master data: load it first, "
                            "or give --entity all")


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise IdentityError(f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters; "
                            f"this one has {len(password)}")


def add_user(store: Store, user_id: str, password: str, *, roles: Iterable[Role],
             entities: frozenset[str] | None, at: datetime, by: Actor | None) -> User:
    """Create a user. ``entities`` None: every legal entity. The first user of an empty
    database needs no ``by`` and must hold admin."""
    _name("user", user_id)
    role_set = _scope(roles, entities, f"user {user_id}")
    _known(store, entities)
    check_password(password)
    password_hash = _hasher().hash(password)  # slow: before the transaction, not inside it
    with _changing(store, by, "user.add", Subject("user", user_id), at) as (rows, audited):
        who = by
        if rows.any_user():
            who = _admin(by, entities)
            creator = who.label
        elif Role.ADMIN not in role_set:
            raise IdentityError("the first user must be an admin: add --role admin")
        else:
            creator = by.label if by is not None else "bootstrap"
        if rows.user(user_id) is not None:
            raise IdentityError(f"user {user_id!r} exists already")
        user = User(user_id=user_id, roles=role_set, entities=entities, created_at=at, created_by=creator)
        rows.add_user(user, password_hash)
        audited(who, None, user)
    return user


def _existing(rows: IdentityRows, user_id: str) -> User:
    found = rows.user(user_id)
    if found is None:
        raise IdentityError(f"there is no user {user_id!r} (o2c users list shows them)")
    return found


def _keep_an_admin(rows: IdentityRows, changed: User, at: datetime) -> None:
    others = [u for u in rows.users() if u.user_id != changed.user_id]
    if not any(Role.ADMIN in u.roles and u.enabled_at(at) for u in [*others, changed]):
        raise IdentityError(f"{changed.user_id} is the last enabled admin; make another admin first")


def disable_user(store: Store, user_id: str, *, at: datetime, by: Actor | None) -> User:
    """Disable a user: from ``at`` they cannot sign in, and their tokens stop working."""
    with _changing(store, by, "user.disable", Subject("user", user_id), at) as (rows, audited):
        user = _existing(rows, user_id)
        who = _admin(by, user.entities)
        if user.disabled_at is not None:
            return user
        changed = replace(user, disabled_at=at)
        _keep_an_admin(rows, changed, at)
        rows.change_user(changed, at=at, by=who.label)
        audited(who, user, changed)
    return changed


def change_roles(store: Store, user_id: str, *, add: Iterable[Role] = (), remove: Iterable[Role] = (),
                 at: datetime, by: Actor | None) -> User:
    with _changing(store, by, "user.roles", Subject("user", user_id), at) as (rows, audited):
        user = _existing(rows, user_id)
        who = _admin(by, user.entities)
        roles = (user.roles | frozenset(add)) - frozenset(remove)
        changed = replace(user, roles=_scope(roles, user.entities, f"user {user_id}"))
        _keep_an_admin(rows, changed, at)
        rows.change_user(changed, at=at, by=who.label)
        audited(who, user, changed)
    return changed


def delegate(store: Store, from_user: str, to_user: str, *, starts_at: datetime, ends_at: datetime,
             at: datetime, by: Actor | None) -> Delegation:
    """``from_user``'s roles held by ``to_user`` from ``starts_at`` until ``ends_at``."""
    if from_user == to_user:
        raise IdentityError("a user cannot delegate to themselves")
    if ends_at <= starts_at:
        raise IdentityError(f"the delegation ends ({ends_at.isoformat()}) before it starts "
                            f"({starts_at.isoformat()})")
    with _changing(store, by, "user.delegate", Subject("user", from_user), at) as (rows, audited):
        giver, taker = _existing(rows, from_user), _existing(rows, to_user)
        who = _admin(by, giver.entities)
        for u in (giver, taker):
            if not u.enabled_at(at):
                raise IdentityError(f"user {u.user_id} is disabled")
        d = Delegation(delegation_id=f"DG-{secrets.token_hex(6)}", from_user=from_user, to_user=to_user,
                       starts_at=starts_at, ends_at=ends_at, created_at=at, created_by=who.label)
        rows.add_delegation(d)
        audited(who, None, d)
    return d


def create_key(store: Store, name: str, *, roles: Iterable[Role], entities: frozenset[str] | None,
               at: datetime, by: Actor | None) -> tuple[ApiKey, str]:
    """A new API key and its secret: the only time the secret exists outside its holder."""
    _name("API key", name)
    role_set = _scope(roles, entities, f"key {name}")
    _known(store, entities)
    with _changing(store, by, "key.create", Subject("key", name), at) as (rows, audited):
        who = _admin(by, entities)
        if rows.key(name) is not None:
            raise IdentityError(f"an API key named {name!r} exists already")
        prefix = secrets.token_hex(6)
        while rows.key_by_prefix(prefix) is not None:
            prefix = secrets.token_hex(6)
        secret = f"{KEY_MARK}{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey(name=name, prefix=prefix, roles=role_set, entities=entities, created_at=at,
                     created_by=who.label)
        rows.add_key(key, _digest(secret))
        audited(who, None, key)  # the key's record: its secret is nowhere but with its holder
    return key, secret


def revoke_key(store: Store, name_or_prefix: str, *, at: datetime, by: Actor | None) -> ApiKey:
    """Revoke a key, named by its name or its public prefix; it is refused from ``at``."""
    with _changing(store, by, "key.revoke", Subject("key", name_or_prefix), at) as (rows, audited):
        key = rows.key(name_or_prefix)
        if key is None:
            found = rows.key_by_prefix(name_or_prefix)
            key = found[0] if found else None
        if key is None:
            raise IdentityError(f"there is no API key named {name_or_prefix!r} (o2c keys list shows them)")
        who = _admin(by, key.entities)
        if key.revoked_at is not None:
            return key
        rows.revoke_key(key.name, at=at, by=who.label)
        audited(who, key, replace(key, revoked_at=at), Subject("key", key.name))
    return replace(key, revoked_at=at)
