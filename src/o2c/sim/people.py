"""The simulated distributor's people: named users, each with the role they work in.

The simulator's decisions are made as these people (``InboundMessage.actor``), so
the engine checks them like anyone's; ``o2c demo`` creates them as users.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from o2c.domain.actors import Actor, user
from o2c.domain.holds import Role
from o2c.store import identities
from o2c.store.port import Store

#: One person per role, by the role they work in.
DEMO_USERS: dict[Role, str] = {
    Role.CUSTOMER_SERVICE: "chris.service",
    Role.SALES_OPS: "sam.sales",
    Role.PRICING: "pia.pricing",
    Role.CREDIT_ANALYST: "ana.credit",
    Role.CREDIT_MANAGER: "carl.credit",
    Role.WAREHOUSE_OPS: "wes.warehouse",
    Role.BILLING: "bea.billing",
    Role.CASH_APP: "cam.cash",
    Role.COLLECTIONS: "col.collections",
    Role.AR_MANAGER: "arlo.ar",
    Role.CONTROLLER: "cora.controller",
    Role.INTEGRATION: "ian.integration",
    Role.AUDITOR: "aud.auditor",
    Role.ADMIN: "ada.admin",
}


def demo_actor(role: Role) -> Actor:
    """The demo person working in ``role``, acting for every legal entity."""
    return user(DEMO_USERS[role], role)


def demo_password(seed: int, user_id: str) -> str:
    """A demo user's password: made from the demo's seed, printed nowhere. A demo database is
    for looking at; its people sign in over HTTP only if someone sets a password they know."""
    return hashlib.sha256(f"o2c demo {seed} {user_id}".encode()).hexdigest()[:24]


def add_demo_users(store: Store, seed: int, at: datetime) -> None:
    """Every demo person as a user of the database, acting for every legal entity: the admin
    first (the database's first user), then the others, made by the admin."""
    admin = DEMO_USERS[Role.ADMIN]
    identities.add_user(store, admin, demo_password(seed, admin), roles=[Role.ADMIN], entities=None, at=at,
                        by=None)
    by = identities.actor_for_user(store, admin, at)
    for role, user_id in DEMO_USERS.items():
        if role is not Role.ADMIN:
            identities.add_user(store, user_id, demo_password(seed, user_id), roles=[role], entities=None,
                                at=at, by=by)
