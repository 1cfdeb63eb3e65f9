"""Master data as messages: customers and products stated whole by a system of record (an
ERP) or a person, checked against what o2c holds, and recorded as events when they change.

A record equal to the one o2c holds changes nothing and records nothing, so a file loaded
twice is harmless. One that refers to what o2c does not know (a legal entity, a parent
account, a warehouse) is refused with the reason; one whose parent account has not arrived
yet waits for it (parked, applied again when the parent arrives).

Orders react (``o2c.engine.reactions``): orders held because this data was missing are
validated again (:func:`revalidate_order`), and a changed credit limit re-evaluates the
group's credit holds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from o2c.domain import events as ev
from o2c.domain.actors import ENGINE
from o2c.domain.holds import HoldAction, HoldCode
from o2c.domain.master import Customer, PaymentTerms
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Forbidden, Rejected
from o2c.engine.handlers.common import decision, load_order
from o2c.engine.handlers.intake import issues
from o2c.engine.reactions import customer_key

C = HoldCode

#: Holds placed because master data was missing or incomplete: lifted by o2c when it arrives.
MASTER_DATA_CODES = frozenset({C.VAL_CUSTOMER_UNKNOWN, C.VAL_SHIPTO_UNKNOWN, C.VAL_ITEM_UNKNOWN,
                               C.VAL_UOM_INVALID})


def _changed(before: Any, after: Any) -> tuple[str, ...]:
    return tuple(sorted(f.name for f in dataclasses.fields(after)
                        if getattr(before, f.name) != getattr(after, f.name)))


def upsert_customer(c: cmd.UpsertCustomer, ctx: Context) -> list[ev.Event]:
    new = c.customer
    master = ctx.uow.master
    if not visible(ctx.actor, new.legal_entity_id):
        raise Forbidden(f"{ctx.actor.label} does not act for legal entity {new.legal_entity_id!r}")
    who = f"customer {new.customer_id}"
    entity = master.legal_entity(new.legal_entity_id)
    if entity is None:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who}: legal entity {new.legal_entity_id!r} is not in master data")
    if new.credit_limit.currency != entity.currency:
        raise Rejected(C.VAL_CURRENCY_INVALID,
                       f"{who}: the credit limit is in {new.credit_limit.currency} but "
                       f"{entity.entity_id} keeps accounts in {entity.currency}")
    try:
        PaymentTerms.parse(new.payment_terms)
    except ValueError as e:
        raise Rejected(C.TRM_NONSTANDARD, f"{who}: {e}") from None
    home = master.warehouse(new.home_warehouse_id)
    if home is None or home.legal_entity_id != new.legal_entity_id:
        known = ", ".join(w.warehouse_id for w in master.warehouses(new.legal_entity_id)) or "none"
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who}: home warehouse {new.home_warehouse_id!r} is not a warehouse of "
                       f"{new.legal_entity_id} (known: {known})")
    if new.parent_id is not None:
        if new.parent_id == new.customer_id:
            raise Rejected(C.INT_UNKNOWN_REFERENCE, f"{who} names itself as its parent")
        parent = master.customer(new.parent_id)
        if parent is None:
            raise Rejected(C.INT_UNKNOWN_REFERENCE,
                           f"{who}: parent account {new.parent_id!r} is not in master data; this "
                           "record waits for it and is applied when it arrives",
                           waiting_for=customer_key(new.parent_id))
        if parent.legal_entity_id != new.legal_entity_id:
            raise Rejected(C.INT_UNKNOWN_REFERENCE,
                           f"{who}: parent account {parent.customer_id} belongs to legal entity "
                           f"{parent.legal_entity_id}, not {new.legal_entity_id}")
        if parent.parent_id is not None:
            raise Rejected(C.INT_UNKNOWN_REFERENCE,
                           f"{who}: parent account {parent.customer_id} is itself a member of group "
                           f"{parent.parent_id}; a group has one level (name {parent.parent_id} "
                           "as the parent)")
    old = master.customer(new.customer_id)
    if old is not None and old.legal_entity_id != new.legal_entity_id:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who} belongs to legal entity {old.legal_entity_id}; an account does not "
                       f"move to {new.legal_entity_id} (open a new one)")
    if old == new:
        return []
    if old is None:
        return [ev.CustomerChanged(customer=new, changed=(), added=True)]
    return [ev.CustomerChanged(customer=new, changed=_changed(old, new))]


def upsert_product(c: cmd.UpsertProduct, ctx: Context) -> list[ev.Event]:
    new = c.product
    who = f"product {new.product_id}"
    if new.base_uom in new.uom_factors:
        raise Rejected(C.VAL_UOM_INVALID, f"{who}: unit {new.base_uom} is the base unit; "
                                          "it needs no conversion factor")
    for uom, factor in new.uom_factors.items():
        if factor <= 0:
            raise Rejected(C.VAL_UOM_INVALID, f"{who}: unit {uom} converts by {factor}; a "
                                              f"factor is how many {new.base_uom} one {uom} holds, "
                                              "above zero")
    for cur, floor in new.floor_prices.items():
        listed = new.list_prices.get(cur)
        if listed is not None and floor > listed:
            raise Rejected(C.PRC_BELOW_FLOOR, f"{who}: floor price {floor} {cur} is above the "
                                              f"list price {listed} {cur}")
    old = ctx.uow.master.product(new.product_id)
    if old == new:
        return []
    if old is None:
        return [ev.ProductChanged(product=new, changed=(), added=True)]
    return [ev.ProductChanged(product=new, changed=_changed(old, new))]


def revalidate_order(c: cmd.RevalidateOrder, ctx: Context) -> list[ev.Event]:
    """Lift the order's master-data holds whose problem is gone (o2c's decision, naming what
    arrived); once no hold is left the order is validated again from the start."""
    order = load_order(ctx, c.order_id, "re-validation")
    held = [h for h in order.open_holds if h.code in MASTER_DATA_CODES]
    if not held or order.terminal:
        return []
    customer: Customer | None = ctx.uow.master.customer(order.customer_id)
    still = issues(order, customer, ctx).texts
    out: list[ev.Event] = []
    for h in held:
        if h.code in still:
            continue
        d = decision(ctx, "validation/master-data-arrived", "retry",
                     {"hold": h.code.value, "because": c.because}, order.legal_entity_id)
        out.append(ev.HoldReleased(
            order_id=order.order_id, hold_id=h.hold_id, code=h.code,
            action=HoldAction.EDIT_AND_RETRY.value, by=ENGINE.id,
            reason=f"released by o2c: {c.because}", decision=d))
    return out

