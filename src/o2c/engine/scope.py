"""Which dead letters an actor may see and replay: those of the legal entities they act
for. One whose entity cannot be told (a file that could not be read) may be any entity's,
so only integration and admin acting for every legal entity see it. What they may not see
is answered exactly like what does not exist, whatever the channel (HTTP, the command
line), so nobody learns that it exists.
"""

from __future__ import annotations

import json

from o2c.domain.actors import Actor
from o2c.domain.holds import Role
from o2c.engine.ports import DeadLetter, UnitOfWork

__all__ = ["UNSCOPED_READERS", "entity_of", "sees_letter"]

#: Who sees a dead letter whose legal entity cannot be told (a file that could not be read),
#: if they act for every legal entity: it may be any entity's.
UNSCOPED_READERS = (Role.INTEGRATION, Role.ADMIN)


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


def sees_letter(uow: UnitOfWork, actor: Actor, letter: DeadLetter) -> bool:
    """Whether ``actor`` may see (and replay) ``letter``: one of the legal entities they act
    for; one whose entity cannot be told only with integration or admin for every entity."""
    entity = entity_of(uow, letter)
    if entity is None:
        return actor.entities is None and actor.has(*UNSCOPED_READERS)
    return actor.acts_for(entity)
