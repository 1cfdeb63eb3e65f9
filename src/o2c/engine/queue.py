"""Who may work a hold in the work queue: the one decision of who sees a hold as theirs,
and the rules of claiming one.

:func:`can_act` is the single place that says whether a person may act on an open hold;
the queue lists exactly the holds it allows, and claims, assignments and comments are
refused where it refuses. It asks what the engine asks when the decision comes
(:func:`o2c.engine.authority.may_decide`, :func:`o2c.engine.authority.visible`), so the
queue never offers what the bus would refuse; limits by amount (approval tiers) plug in
here through ``section``, the policy in force for the order's legal entity.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from o2c.domain.actors import Actor
from o2c.domain.holds import Hold, HoldStatus, Role
from o2c.domain.orders import Order
from o2c.engine.authority import LADDERS, may_act, may_decide, refuse_beyond_tier, tier, visible
from o2c.engine.errors import Forbidden
from o2c.policy.document import Section
from o2c.policy.registry import PolicyRegistry

__all__ = ["Sections", "can_act", "claim_refusal", "rank", "sections_at", "why_not"]

#: The policy section in force for a legal entity: what :func:`can_act` reads limits from.
Sections = Callable[[str], Section]


def sections_at(policies: PolicyRegistry, at: datetime) -> Sections:
    """The sections of the policy in force at ``at``, by legal entity (each looked up once)."""
    seen: dict[str, Section] = {}

    def section(legal_entity_id: str) -> Section:
        found = seen.get(legal_entity_id)
        if found is None:
            found = seen[legal_entity_id] = policies.in_force(at).for_entity(legal_entity_id)
        return found

    return section


def can_act(actor: Actor, order: Order, hold: Hold, section: Section | None = None) -> bool:
    """Whether ``actor`` may act on ``hold`` of ``order``: a named person (decisions on
    holds are made by people, never by an API key or a system), acting for the order's
    legal entity, while the hold is open, whom the engine would let decide it.

    With ``section`` (the policy in force for the order's entity), that is the engine's own
    test: the policy's approval tier for the hold's code and amount at stake (its role or
    one above it on the ladder) and four-eyes (not whoever entered or changed the order).
    Without it, the hold's owner role or one above it."""
    if not (actor.is_person and hold.status is HoldStatus.OPEN and visible(actor, order.legal_entity_id)):
        return False
    if section is None:
        return may_decide(actor, hold.kind.owner)
    return may_act(actor, order, tier(section, hold.code, hold.amount, order.legal_entity_id))


def why_not(actor: Actor, order: Order, hold: Hold, section: Section | None = None) -> str:
    """Why :func:`can_act` says no, in the engine's words (the role or tier needed)."""
    held = ", ".join(sorted(r.value for r in actor.roles)) or "no role"
    if not actor.is_person:
        return f"a {hold.code.value} hold is decided by a named person; {actor.label} is not one"
    if hold.status is not HoldStatus.OPEN:
        return f"hold {hold.hold_id} is {hold.status.value}"
    if not visible(actor, order.legal_entity_id):
        return f"{actor.label} does not act for {order.legal_entity_id}"
    if section is not None:
        try:
            refuse_beyond_tier(actor, order, tier(section, hold.code, hold.amount, order.legal_entity_id),
                               order.currency)
        except Forbidden as e:
            return e.reason
    return (f"a {hold.code.value} hold is decided by {hold.kind.owner.value} (or a role above it); "
            f"{actor.label} holds {held}")


def rank(roles: frozenset[Role], owner: Role) -> int:
    """How high ``roles`` reach above ``owner`` on its ladders: 0 for the owner role itself,
    1 for the role above it, …; -1 for roles that do not reach it at all."""
    best = 0 if owner in roles else -1
    for ladder in LADDERS:
        if owner in ladder:
            start = ladder.index(owner)
            for i, role in enumerate(ladder[start:]):
                if role in roles:
                    best = max(best, i)
    return best


def claim_refusal(actor: Actor, holder: str, holder_roles: frozenset[Role] | None, owner: Role) -> str | None:
    """Why ``actor`` may not take over a hold ``holder`` has claimed (None: they may): a
    claim is one person's until they unclaim it, unless the one taking it over ranks higher
    on the hold's ladder than the holder (``holder_roles`` None: the holder is no longer a
    user, so anyone who may act takes it)."""
    if holder == actor.id:
        return None
    if holder_roles is None or rank(actor.roles, owner) > rank(holder_roles, owner):
        return None
    return (f"the hold is claimed by {holder}; ask them to unclaim it, or ask someone ranking above "
            f"them on the {owner.value} ladder to assign it")
