"""People and keys for tests that go through authentication (the HTTP API, the CLI)."""

from __future__ import annotations

from typing import Any

from o2c.bootstrap import App
from o2c.domain.holds import Role
from o2c.store import identities

PASSWORD = "a long enough passphrase"
ROOT = "root"

#: Who the API tests act as unless they say otherwise: takes orders, decides credit holds,
#: corrects what integrations park.
CLERK_ROLES = (Role.CUSTOMER_SERVICE, Role.CREDIT_ANALYST, Role.INTEGRATION)


def person(app: App, user_id: str, *roles: Role, entities: set[str] | None = None) -> None:
    """A user of ``roles`` (for ``entities``, None: all), made by the admin ``root``, who is
    created first if the database has no user yet."""
    now = app.clock.now()
    if not identities.has_users(app.store):
        identities.add_user(app.store, ROOT, PASSWORD, roles=[Role.ADMIN], entities=None, at=now, by=None)
    if user_id == ROOT:
        return
    root = identities.actor_for_user(app.store, ROOT, now)
    identities.add_user(app.store, user_id, PASSWORD, roles=roles,
                        entities=None if entities is None else frozenset(entities), at=now, by=root)


def bearer(app: App, user_id: str) -> dict[str, str]:
    """The header of a fresh token of ``user_id``, signed in now (by the app's clock)."""
    token, _ = identities.sign_in(app.store, user_id, PASSWORD, app.clock.now())
    return {"Authorization": f"Bearer {token}"}


def api_key(app: App, name: str, *roles: Role, entities: set[str] | None = None) -> dict[str, str]:
    """The header of a new API key of ``roles``."""
    person(app, ROOT)
    root: Any = identities.actor_for_user(app.store, ROOT, app.clock.now())
    _, secret = identities.create_key(app.store, name, roles=roles,
                                      entities=None if entities is None else frozenset(entities),
                                      at=app.clock.now(), by=root)
    return {"X-API-Key": secret}


def clerk(app: App) -> dict[str, str]:
    """The header of the default test user (:data:`CLERK_ROLES`, every entity), created if needed."""
    with_user = {u.user_id for u in identities.users(app.store)} if identities.has_users(app.store) else set()
    if "clerk" not in with_user:
        person(app, "clerk", *CLERK_ROLES)
    return bearer(app, "clerk")


def second_pair_of_eyes(app: App) -> dict[str, str]:
    """The header of another user with the clerk's roles: who decides what the clerk entered
    where the policy wants four eyes."""
    known = {u.user_id for u in identities.users(app.store)} if identities.has_users(app.store) else set()
    if "checker" not in known:
        person(app, "checker", *CLERK_ROLES)
    return bearer(app, "checker")


def is_seed(record: Any) -> bool:
    """Whether an audit record is o2c's approval of the policy version it seeded (the first
    entry of every database)."""
    return bool(record.action == "policy.approve" and record.actor_label == "system:o2c.seed")
