"""The simulated distributor's people: named users, each with the role they work in.

The simulator's decisions are made as these people (``InboundMessage.actor``), so
the engine checks them like anyone's; ``o2c demo`` creates them as users.
"""

from __future__ import annotations

from o2c.domain.actors import Actor, user
from o2c.domain.holds import Role

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
