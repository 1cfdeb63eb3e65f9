"""What a caller may see: orders and dead letters of the legal entities they act for (a
dead letter whose entity cannot be told: integration and admin for every entity only).

Something outside them is answered exactly like something that does not exist (404, the
same sentence), so a caller cannot learn that it exists. The dead letters' rules are the
engine's (:mod:`o2c.engine.scope`), so a replay from the command line obeys them too.
"""

from __future__ import annotations

from o2c.api import queries
from o2c.api.auth import not_found
from o2c.domain.actors import Actor
from o2c.domain.orders import Order
from o2c.engine.ports import DeadLetter
from o2c.engine.scope import sees_letter
from o2c.store.port import Store


def order(store: Store, actor: Actor, order_id: str) -> Order:
    """The order, if ``actor`` acts for its legal entity; else 404, as for an unknown one."""
    found = queries.order(store, order_id)
    if found is None or not actor.acts_for(found.legal_entity_id):
        raise not_found(f"no order {order_id}")
    return found


def dead_letters(store: Store, actor: Actor, letters: list[DeadLetter]) -> list[DeadLetter]:
    """The letters ``actor`` sees: those of the legal entities they act for; one whose entity
    cannot be told, only if they hold integration or admin for every legal entity."""
    with store.unit_of_work() as uow:
        return [d for d in letters if sees_letter(uow, actor, d)]


def dead_letter(store: Store, actor: Actor, dead_letter_id: str) -> DeadLetter:
    """The dead letter, if ``actor`` sees it (see :func:`dead_letters`); else 404."""
    found = queries.dead_letter(store, dead_letter_id)
    if found is None or not dead_letters(store, actor, [found]):
        raise not_found(f"no dead letter {dead_letter_id}")
    return found
