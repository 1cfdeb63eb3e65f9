"""What a caller may see: orders and dead letters of the legal entities they act for (a
dead letter whose entity cannot be told: integration and admin for every entity only).

Something outside them is answered exactly like something that does not exist (404, the
same sentence), so a caller cannot learn that it exists.
"""

from __future__ import annotations

import json

from o2c.api import queries
from o2c.api.auth import not_found
from o2c.domain.actors import Actor
from o2c.domain.holds import Role
from o2c.domain.orders import Order
from o2c.engine.ports import DeadLetter, UnitOfWork
from o2c.store.port import Store

#: Who sees a dead letter whose legal entity cannot be told (a file that could not be read),
#: if they act for every legal entity: it may be any entity's.
UNSCOPED_READERS = (Role.INTEGRATION, Role.ADMIN)


def order(store: Store, actor: Actor, order_id: str) -> Order:
    """The order, if ``actor`` acts for its legal entity; else 404, as for an unknown one."""
    found = queries.order(store, order_id)
    if found is None or not actor.acts_for(found.legal_entity_id):
        raise not_found(f"no order {order_id}")
    return found


def entity_of(uow: UnitOfWork, letter: DeadLetter) -> str | None:
    """The legal entity a dead letter's message is about, when its body tells: the entity it
    names, else that of the order, invoice, customer or warehouse it names; None for a body
    that is not a JSON object (an X12 interchange, CSV rows) or names none of them."""
    try:
        body = json.loads(letter.body)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None

    def text(name: str) -> str | None:
        value = body.get(name)
        return value if isinstance(value, str) and value else None

    if (entity := text("legal_entity_id")) is not None:
        return entity
    order_id = text("order_id")
    if order_id is None and (invoice_id := text("invoice_id")) is not None:
        invoice = uow.invoices.get(invoice_id)
        order_id = invoice.order_id if invoice else None
    if order_id is not None:
        found = uow.orders.get(order_id)
        return found.legal_entity_id if found else None
    if (customer_id := text("customer_id")) is not None:
        customer = uow.master.customer(customer_id)
        return customer.legal_entity_id if customer else None
    if (warehouse_id := text("warehouse_id")) is not None:
        warehouse = uow.master.warehouse(warehouse_id)
        return warehouse.legal_entity_id if warehouse else None
    return None


def _sees(uow: UnitOfWork, actor: Actor, letter: DeadLetter) -> bool:
    entity = entity_of(uow, letter)
    if entity is None:
        return actor.entities is None and actor.has(*UNSCOPED_READERS)
    return actor.acts_for(entity)


def dead_letters(store: Store, actor: Actor, letters: list[DeadLetter]) -> list[DeadLetter]:
    """The letters ``actor`` sees: those of the legal entities they act for; one whose entity
    cannot be told, only if they hold integration or admin for every legal entity."""
    with store.unit_of_work() as uow:
        return [d for d in letters if _sees(uow, actor, d)]


def dead_letter(store: Store, actor: Actor, dead_letter_id: str) -> DeadLetter:
    """The dead letter, if ``actor`` sees it (see :func:`dead_letters`); else 404."""
    found = queries.dead_letter(store, dead_letter_id)
    if found is None or not dead_letters(store, actor, [found]):
        raise not_found(f"no dead letter {dead_letter_id}")
    return found
