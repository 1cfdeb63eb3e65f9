"""Where identities are kept: the rows behind :mod:`o2c.store.identities`, as a protocol
with an in-memory implementation (the SQL one is :mod:`o2c.store.sql_identities`).

Secrets arrive here already hashed; nothing in this module sees one in clear.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from o2c.domain.identities import ApiKey, Delegation, Session, User


class IdentityRows(Protocol):
    """Users, API keys, delegations and sessions, inside one transaction."""

    def any_user(self) -> bool: ...
    def user(self, user_id: str) -> User | None: ...
    def users(self) -> list[User]: ...
    def password_hash(self, user_id: str) -> str | None: ...
    def add_user(self, user: User, password_hash: str) -> None: ...
    def change_user(self, user: User, *, at: datetime, by: str) -> None:
        """Store ``user``'s roles, entities and disabled time as given."""
        ...
    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    def key(self, name: str) -> ApiKey | None: ...
    def key_by_prefix(self, prefix: str) -> tuple[ApiKey, str] | None:
        """The key with this public prefix and its secret's hash."""
        ...
    def keys(self) -> list[ApiKey]: ...
    def add_key(self, key: ApiKey, secret_hash: str) -> None: ...
    def revoke_key(self, name: str, *, at: datetime, by: str) -> None: ...

    def add_delegation(self, delegation: Delegation) -> None: ...
    def delegations(self, to_user: str | None = None) -> list[Delegation]:
        """Every delegation (to ``to_user`` if given), oldest first."""
        ...

    def add_session(self, token_hash: str, session: Session) -> None: ...
    def session(self, token_hash: str) -> Session | None: ...
    def revoke_session(self, token_hash: str, at: datetime) -> None: ...
    def drop_sessions(self, user_id: str, expired_before: datetime) -> None:
        """Forget ``user_id``'s sessions that expired before the instant given."""
        ...


@dataclass
class MemoryIdentities:
    """The identity rows of a :class:`~o2c.store.memory.MemoryStore`."""

    users: dict[str, tuple[User, str]] = field(default_factory=dict)
    keys: dict[str, tuple[ApiKey, str]] = field(default_factory=dict)
    delegations: list[Delegation] = field(default_factory=list)
    sessions: dict[str, Session] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @contextmanager
    def transaction(self, read: bool = False) -> Iterator[IdentityRows]:
        """One at a time; a failure leaves the rows as they were (the records are immutable,
        so copies of the mappings are enough; ``read``: no copies, nothing is changed)."""
        with self.lock:
            if read:
                yield _MemoryRows(self.users, self.keys, self.delegations, self.sessions)
                return
            work = _MemoryRows(dict(self.users), dict(self.keys),
                               list(self.delegations), dict(self.sessions))
            yield work
            self.users, self.keys, self.delegations, self.sessions = (
                work.u, work.k, work.d, work.s)


class _MemoryRows:
    def __init__(self, users: dict[str, tuple[User, str]], keys: dict[str, tuple[ApiKey, str]],
                 delegations: list[Delegation], sessions: dict[str, Session]) -> None:
        self.u, self.k, self.d, self.s = users, keys, delegations, sessions

    def any_user(self) -> bool:
        return bool(self.u)

    def user(self, user_id: str) -> User | None:
        found = self.u.get(user_id)
        return found[0] if found else None

    def users(self) -> list[User]:
        return [u for u, _ in sorted(self.u.values(), key=lambda r: r[0].user_id)]

    def password_hash(self, user_id: str) -> str | None:
        found = self.u.get(user_id)
        return found[1] if found else None

    def add_user(self, user: User, password_hash: str) -> None:
        if user.user_id in self.u:
            raise KeyError(user.user_id)
        self.u[user.user_id] = (user, password_hash)

    def change_user(self, user: User, *, at: datetime, by: str) -> None:
        self.u[user.user_id] = (user, self.u[user.user_id][1])

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.u[user_id] = (self.u[user_id][0], password_hash)

    def key(self, name: str) -> ApiKey | None:
        found = self.k.get(name)
        return found[0] if found else None

    def key_by_prefix(self, prefix: str) -> tuple[ApiKey, str] | None:
        return next((r for r in self.k.values() if r[0].prefix == prefix), None)

    def keys(self) -> list[ApiKey]:
        return [k for k, _ in sorted(self.k.values(), key=lambda r: r[0].name)]

    def add_key(self, key: ApiKey, secret_hash: str) -> None:
        if key.name in self.k or self.key_by_prefix(key.prefix) is not None:
            raise KeyError(key.name)
        self.k[key.name] = (key, secret_hash)

    def revoke_key(self, name: str, *, at: datetime, by: str) -> None:
        key, digest = self.k[name]
        self.k[name] = (replace(key, revoked_at=at), digest)

    def add_delegation(self, delegation: Delegation) -> None:
        self.d.append(delegation)

    def delegations(self, to_user: str | None = None) -> list[Delegation]:
        return [d for d in self.d if to_user is None or d.to_user == to_user]

    def add_session(self, token_hash: str, session: Session) -> None:
        self.s[token_hash] = session

    def session(self, token_hash: str) -> Session | None:
        return self.s.get(token_hash)

    def revoke_session(self, token_hash: str, at: datetime) -> None:
        if token_hash in self.s:
            self.s[token_hash] = replace(self.s[token_hash], revoked_at=at)

    def drop_sessions(self, user_id: str, expired_before: datetime) -> None:
        for h in [h for h, s in self.s.items() if s.user_id == user_id and s.expires_at < expired_before]:
            del self.s[h]
