"""What a handler may use: the unit of work, time, ids, the policy in force and who asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from o2c.domain.actors import ENGINE, Actor
from o2c.domain.business_time import business_date
from o2c.engine.ports import Clock, Ids, UnitOfWork
from o2c.policy import Policy, PolicyRegistry
from o2c.policy.document import Section


@dataclass(slots=True)
class Context:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    policies: PolicyRegistry
    #: who issued the command being handled (o2c itself for what a reaction or timer issues)
    actor: Actor = ENGINE

    def now(self) -> datetime:
        return self.clock.now()

    def zone(self, legal_entity_id: str) -> str:
        """The entity's IANA zone (UTC for an entity master data does not know)."""
        entity = self.uow.master.legal_entity(legal_entity_id)
        return entity.timezone if entity is not None else "UTC"

    def today(self, legal_entity_id: str) -> date:
        """The entity's business date now: what its invoices and due dates count from."""
        return business_date(self.clock.now(), self.zone(legal_entity_id))

    def policy(self, legal_entity_id: str | None = None) -> Policy:
        """The version in force now; for an entity, a version effective from a date
        takes effect at the start of that day in the entity's zone."""
        if legal_entity_id is None:
            return self.policies.in_force(self.clock.now())
        return self.policies.in_force(self.clock.now(), lambda: self.zone(legal_entity_id))

    def section(self, legal_entity_id: str) -> Section:
        return self.policy(legal_entity_id).for_entity(legal_entity_id)
