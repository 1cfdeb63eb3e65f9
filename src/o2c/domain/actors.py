"""Who asks: every command carries an actor, and the engine refuses what it may not do.

An actor is a person (``user``), a system acting with an API key (``api_key``), or
o2c or a connected source system itself (``system``). People and keys hold roles and
act for a set of legal entities; the rules of what each role may do live in
``o2c.engine.authority``. An actor is a value: the snapshot of who asked, as they were
when they asked, kept with the message (so a replay and the audit see the same).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from o2c.domain.holds import Role


class ActorKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who asked. ``entities`` None: every legal entity (o2c itself, a source system,
    a person set up for all entities). ``on_behalf_of``: the person whose roles a
    delegate holds for now (out of office). ``address``: where the request came from
    (an IP address, a host), for the audit."""

    kind: ActorKind
    id: str
    roles: frozenset[Role] = frozenset()
    entities: frozenset[str] | None = None
    on_behalf_of: str | None = None
    address: str | None = None

    @property
    def label(self) -> str:
        """``user:ana``, ``api_key:wms-east``, ``system:o2c.engine``: how decisions name the actor."""
        return f"{self.kind.value}:{self.id}"

    @property
    def is_person(self) -> bool:
        return self.kind is ActorKind.USER

    @property
    def is_system(self) -> bool:
        return self.kind is ActorKind.SYSTEM

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    def acts_for(self, legal_entity_id: str) -> bool:
        return self.entities is None or legal_entity_id in self.entities

    def to_json(self) -> str:
        return json.dumps({
            "kind": self.kind.value, "id": self.id, "roles": sorted(r.value for r in self.roles),
            "entities": None if self.entities is None else sorted(self.entities),
            "on_behalf_of": self.on_behalf_of, "address": self.address,
        }, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Actor:
        d = json.loads(text)
        entities = d.get("entities")
        return cls(kind=ActorKind(d["kind"]), id=d["id"], roles=roles_of(d.get("roles", ())),
                   entities=None if entities is None else frozenset(entities),
                   on_behalf_of=d.get("on_behalf_of"), address=d.get("address"))


def roles_of(names: Iterable[str]) -> frozenset[Role]:
    """Roles by name; ValueError naming an unknown one and the known ones."""
    out = set()
    for n in names:
        try:
            out.add(Role(n.strip()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"{n!r} is not a role; the roles are {known}") from None
    return frozenset(out)


#: o2c itself: reactions to events (validate, check credit, allocate, invoice), timers,
#: automatic decisions a policy allows.
ENGINE = Actor(kind=ActorKind.SYSTEM, id="o2c.engine")


def system(source: str) -> Actor:
    """A connected source system (an EDI partner's channel, a WMS, a carrier, a bank)
    sending what it knows: orders, shipments, deliveries, payments, stock."""
    return Actor(kind=ActorKind.SYSTEM, id=source)


def user(user_id: str, *roles: Role, entities: Iterable[str] | None = None,
         on_behalf_of: str | None = None) -> Actor:
    return Actor(kind=ActorKind.USER, id=user_id, roles=frozenset(roles),
                 entities=None if entities is None else frozenset(entities), on_behalf_of=on_behalf_of)
