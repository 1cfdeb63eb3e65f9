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
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from o2c.domain import events as ev
from o2c.domain.actors import ENGINE
from o2c.domain.holds import HoldAction, HoldCode
from o2c.domain.master import Customer, PaymentTerms
from o2c.domain.orders import TAX_WAITS_FOR, tax_waits
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Forbidden, Rejected
from o2c.engine.handlers.common import check_warehouse, decision, load_order
from o2c.engine.handlers.intake import issues
from o2c.engine.reactions import customer_key, product_key

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
    today = ctx.today(new.legal_entity_id)
    if old is None:
        return [ev.CustomerChanged(customer=dataclasses.replace(new, version=1, as_of=today),
                                   changed=(), added=True)]
    stated = dataclasses.replace(new, version=old.version, as_of=old.as_of)
    if old == stated:
        return []
    return [ev.CustomerChanged(customer=dataclasses.replace(new, version=old.version + 1, as_of=today),
                               changed=_changed(old, stated))]


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


def upsert_legal_entity(c: cmd.UpsertLegalEntity, ctx: Context) -> list[ev.Event]:
    new = c.entity
    who = f"legal entity {new.entity_id}"
    if not visible(ctx.actor, new.entity_id):
        raise Forbidden(f"{ctx.actor.label} does not act for legal entity {new.entity_id!r}")
    try:
        ZoneInfo(new.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: time zone {new.timezone!r} is not an IANA "
                                            "zone such as America/New_York") from None
    if not Decimal(0) <= new.tax_rate < Decimal(1):
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: tax rate {new.tax_rate} is not a fraction "
                                            "such as 0.0725 (7.25 %)")
    old = ctx.uow.master.legal_entity(new.entity_id)
    if old is not None and old.currency != new.currency:
        raise Rejected(C.VAL_CURRENCY_INVALID,
                       f"{who} keeps its books in {old.currency}; it does not change to "
                       f"{new.currency} (its accounts, limits and invoices are in {old.currency})")
    if old == new:
        return []
    if old is None:
        return [ev.LegalEntityChanged(entity=new, changed=(), added=True)]
    return [ev.LegalEntityChanged(entity=new, changed=_changed(old, new))]


def upsert_warehouse(c: cmd.UpsertWarehouse, ctx: Context) -> list[ev.Event]:
    new = c.warehouse
    who = f"warehouse {new.warehouse_id}"
    master = ctx.uow.master
    if not visible(ctx.actor, new.legal_entity_id):
        raise Forbidden(f"{ctx.actor.label} does not act for legal entity {new.legal_entity_id!r}")
    if master.legal_entity(new.legal_entity_id) is None:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who}: legal entity {new.legal_entity_id!r} is not in master data")
    try:
        ZoneInfo(new.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: time zone {new.timezone!r} is not an IANA "
                                            "zone such as America/Chicago") from None
    old = master.warehouse(new.warehouse_id)
    if old is not None and old.legal_entity_id != new.legal_entity_id:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who} belongs to legal entity {old.legal_entity_id}; a warehouse does not "
                       f"move to {new.legal_entity_id}")
    if old == new:
        return []
    if old is None:
        return [ev.WarehouseChanged(warehouse=new, changed=(), added=True)]
    return [ev.WarehouseChanged(warehouse=new, changed=_changed(old, new))]


def upsert_price_agreement(c: cmd.UpsertPriceAgreement, ctx: Context) -> list[ev.Event]:
    """An agreement is checked against the account (or group) and product it prices, and
    against the other agreements for them: two valid on the same day for the same account and
    product would leave the price to chance, so the second is refused naming the first."""
    new = c.agreement
    master = ctx.uow.master
    who = f"price agreement {new.agreement_id}"
    holder = master.customer(new.customer_id)
    if holder is None:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who}: customer {new.customer_id!r} is not in master data; this record "
                       "waits for it and is applied when it arrives",
                       waiting_for=customer_key(new.customer_id))
    if not visible(ctx.actor, holder.legal_entity_id):
        raise Forbidden(f"{ctx.actor.label} does not act for legal entity {holder.legal_entity_id!r}")
    if new.group and holder.parent_id is not None:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who}: a group price list is filed under the group's head account; "
                       f"{holder.customer_id} is a member of group {holder.parent_id}")
    entity = master.legal_entity(holder.legal_entity_id)
    if entity is not None and new.price.currency != entity.currency:
        raise Rejected(C.VAL_CURRENCY_INVALID,
                       f"{who}: priced in {new.price.currency} but {holder.customer_id} buys from "
                       f"{entity.entity_id} in {entity.currency}")
    if master.product(new.product_id) is None:
        raise Rejected(C.VAL_ITEM_UNKNOWN, f"{who}: item {new.product_id!r} is not in master data; "
                                           "this record waits for it and is applied when it arrives",
                       waiting_for=product_key(new.product_id))
    if new.valid_to is not None and new.valid_to < new.valid_from:
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: valid to {new.valid_to} is before valid from "
                                            f"{new.valid_from}")
    for other in master.agreements(new.customer_id, new.product_id):
        if other.agreement_id != new.agreement_id and other.group == new.group and other.overlaps(new):
            until = "open-ended" if other.valid_to is None else f"to {other.valid_to}"
            raise Rejected(C.PRC_CONTRACT_MISMATCH,
                           f"{who}: its validity ({new.valid_from} to {new.valid_to or 'open-ended'}) "
                           f"overlaps {other.label} for {new.customer_id} and {new.product_id} "
                           f"(from {other.valid_from}, {until}); end one before the other starts")
    old = master.agreement(new.agreement_id)
    if old is None:
        return [ev.PriceAgreementChanged(agreement=dataclasses.replace(new, version=1), changed=(),
                                         added=True)]
    if (old.customer_id, old.product_id) != (new.customer_id, new.product_id):
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{who} prices {old.product_id} for {old.customer_id}; it does not move to "
                       f"{new.product_id} for {new.customer_id} (give the new one its own id)")
    stated = dataclasses.replace(new, version=old.version)
    if old == stated:
        return []
    return [ev.PriceAgreementChanged(agreement=dataclasses.replace(new, version=old.version + 1),
                                     changed=_changed(old, stated))]


def upsert_tax_rate(c: cmd.UpsertTaxRate, ctx: Context) -> list[ev.Event]:
    """A tax rate is checked, and against the other rates of the same tax (jurisdiction, name
    and tax class): two valid on the same day would tax twice, so the second is refused
    naming the first. Rates are shared by every legal entity: an actor restricted to some
    entities may not change them."""
    new = c.rate
    who = f"tax rate {new.rate_id}"
    if ctx.actor.entities is not None:
        raise Forbidden(f"{ctx.actor.label} acts for some legal entities only; tax rates apply to "
                        "every legal entity")
    if not Decimal(0) <= new.rate < Decimal(1):
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: rate {new.rate} is not a fraction such as "
                                            "0.0625 (6.25 %)")
    if not new.region:
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: a rate names its state or province (region)")
    if new.county and new.city:
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: a rate is a county's or a city's, not both "
                                            f"({new.county!r}, {new.city!r}); give each its own")
    if new.valid_to is not None and new.valid_to < new.valid_from:
        raise Rejected(C.VAL_MISSING_FIELD, f"{who}: valid to {new.valid_to} is before valid from "
                                            f"{new.valid_from}")
    master = ctx.uow.master
    for other in master.tax_rates(new.country):
        if other.rate_id != new.rate_id and other.same_tax(new) and other.overlaps(new):
            until = "open-ended" if other.valid_to is None else f"to {other.valid_to}"
            raise Rejected(C.BIL_TAX_UNRESOLVED,
                           f"{who}: its validity ({new.valid_from} to {new.valid_to or 'open-ended'}) "
                           f"overlaps {other.label}, the same {other.name} of {other.jurisdiction} on "
                           f"class {other.tax_class} (from {other.valid_from}, {until}); end one "
                           "before the other starts")
    old = master.tax_rate(new.rate_id)
    if old is None:
        return [ev.TaxRateChanged(rate=dataclasses.replace(new, version=1), changed=(), added=True)]
    stated = dataclasses.replace(new, version=old.version)
    if old == stated:
        return []
    return [ev.TaxRateChanged(rate=dataclasses.replace(new, version=old.version + 1),
                              changed=_changed(old, stated))]


def retry_tax_hold(c: cmd.RetryTaxHold, ctx: Context) -> list[ev.Event]:
    """Lift the order's BIL-TAX-UNRESOLVED holds waiting for a rate of ``c.jurisdiction`` (o2c's
    decision, naming the rate that arrived); the shipment is then invoiced again, and held
    again if its tax still cannot be decided."""
    order = load_order(ctx, c.order_id, "tax re-check")
    if order.terminal or c.jurisdiction not in tax_waits(order):
        return []
    condition = f"{TAX_WAITS_FOR}:{c.jurisdiction}"
    out: list[ev.Event] = []
    for h in order.open_holds:
        if h.code is not C.BIL_TAX_UNRESOLVED or condition not in h.conditions:
            continue
        d = decision(ctx, "billing.tax_rate-arrived", "retry",
                     {"hold": h.code.value, "jurisdiction": c.jurisdiction, "because": c.because},
                     order.legal_entity_id)
        out.append(ev.HoldReleased(
            order_id=order.order_id, hold_id=h.hold_id, code=h.code,
            action=HoldAction.EDIT_AND_RETRY.value, by=ENGINE.id,
            reason=f"released by o2c: {c.because}", decision=d))
    return out


def open_stock(c: cmd.OpenStock, ctx: Context) -> list[ev.Event]:
    """An opening balance is taken once per position: stated again with the same quantity it
    changes nothing; with another, it is refused (the position is o2c's to keep from then on:
    a receipt or a count changes it)."""
    check_warehouse(ctx, c.warehouse_id)
    where = f"opening stock of {c.product_id} lot {c.lot_id} in {c.warehouse_id}"
    if ctx.uow.master.warehouse(c.warehouse_id) is None:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{where}: warehouse {c.warehouse_id!r} is not in master data")
    product = ctx.uow.master.product(c.product_id)
    if product is None:
        raise Rejected(C.VAL_ITEM_UNKNOWN, f"{where}: item {c.product_id!r} is not in master data; "
                                           "this record waits for it and is applied when it arrives",
                       waiting_for=product_key(c.product_id))
    if c.quantity < 0:
        raise Rejected(C.VAL_MISSING_FIELD, f"{where}: quantity {c.quantity} is below zero")
    factor = product.factor(c.uom or product.base_uom)
    if factor is None:
        valid = ", ".join([product.base_uom, *product.uom_factors])
        raise Rejected(C.VAL_UOM_INVALID, f"{where}: unit {c.uom!r} is not valid for "
                                          f"{product.product_id} (valid: {valid})")
    quantity = c.quantity * factor
    held = next((p for p in ctx.uow.stock.positions([c.product_id])
                 if (p.warehouse_id, p.lot_id) == (c.warehouse_id, c.lot_id)), None)
    on_hand = Decimal(0) if held is None else held.on_hand
    if on_hand == quantity:
        return []
    if on_hand != 0:
        raise Rejected(C.INT_UNKNOWN_REFERENCE,
                       f"{where}: o2c already keeps this position ({on_hand.normalize():f} on hand); "
                       "an opening balance is taken once. Change it by a receipt or a count (846)")
    return [ev.StockReceived(warehouse_id=c.warehouse_id, product_id=c.product_id, lot_id=c.lot_id,
                             expiry=c.expiry, quantity=quantity, reference=c.reference)]


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

