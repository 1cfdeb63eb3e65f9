"""What a handler may use: the unit of work, time, ids and the policy in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from o2c.engine.ports import Clock, Ids, UnitOfWork
from o2c.policy import Policy, PolicyRegistry
from o2c.policy.document import Section


@dataclass(slots=True)
class Context:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    policies: PolicyRegistry

    def now(self) -> datetime:
        return self.clock.now()

    def policy(self) -> Policy:
        return self.policies.in_force(self.clock.now())

    def section(self, legal_entity_id: str) -> Section:
        return self.policy().for_entity(legal_entity_id)
