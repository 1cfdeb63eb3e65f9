"""Order capture and validation against master data and contract prices."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.master import Customer, PaymentTerms
from o2c.domain.orders import Order, OrderStatus
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Forbidden
from o2c.engine.handlers.common import decision, load_order, person, place_hold, released_by_person
from o2c.engine.handlers.pricing import Reference, price_line

C = HoldCode


def receive_order(c: cmd.ReceiveOrder, ctx: Context) -> list[ev.Event]:
    if not visible(ctx.actor, c.legal_entity_id):
        raise Forbidden(f"{ctx.actor.label} does not act for legal entity {c.legal_entity_id!r}")
    order_id = f"SO-{ctx.uow.sequences.next_id('order'):08d}"
    return [ev.OrderReceived(
        order_id=order_id, legal_entity_id=c.legal_entity_id, customer_id=c.customer_id,
        ship_to_id=c.ship_to_id, po_number=c.po_number, channel=c.channel, currency=c.currency,
        order_date=c.order_date, requested_date=c.requested_date, payment_terms=c.payment_terms,
        lines=c.lines, entered_by=person(ctx),
    )]


@dataclass(slots=True)
class _Found:
    """What validation found: the problems by hold code, in words a person can act on, what
    each decision read beyond the order's summary, and the priced lines."""

    texts: dict[HoldCode, list[str]] = field(default_factory=dict)
    inputs: dict[HoldCode, dict[str, object]] = field(default_factory=dict)
    read: dict[str, object] = field(default_factory=dict)  # for the decision that passes the order
    priced: list[ev.PricedLine] = field(default_factory=list)

    def add(self, code: HoldCode, text: str, inputs: dict[str, object] | None = None) -> None:
        self.texts.setdefault(code, []).append(text)
        self.inputs.setdefault(code, {}).update(inputs or {})


def _numbers(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


def issues(order: Order, customer: Customer | None, ctx: Context) -> _Found:
    """Everything wrong with the order, by hold code."""
    found = _Found()
    add = found.add
    master = ctx.uow.master
    if not order.po_number.strip():
        add(C.VAL_MISSING_FIELD, "the purchase order number is missing")
    if not order.lines:
        add(C.VAL_MISSING_FIELD, "the order has no lines")
    counts = Counter(ln.line_no for ln in order.lines)
    twice = sorted(n for n, k in counts.items() if k > 1)
    if twice:
        # Lines are told apart by number from here on (allocation, shipments, invoices,
        # changes): two under one number would be priced, shipped and billed as one.
        said = (f"lines {_numbers(twice)} are each" if len(twice) > 1 else f"line {twice[0]} is")
        add(C.VAL_DUPLICATE_LINE, f"{said} used more than once on the order; every line needs a "
                                  "number of its own: ask the buyer to restate the order (a change "
                                  "replacing its lines) or reject it",
            {"duplicate_line_numbers": ",".join(map(str, twice))})
    if customer is None:
        add(C.VAL_CUSTOMER_UNKNOWN, f"customer {order.customer_id!r} is not in master data; "
                                    "create the account or correct the customer id")
        return found
    if customer.legal_entity_id != order.legal_entity_id:
        add(C.VAL_CUSTOMER_UNKNOWN, f"customer {customer.customer_id} belongs to legal entity "
                                    f"{customer.legal_entity_id}, not {order.legal_entity_id}")
    entity = master.legal_entity(order.legal_entity_id)
    currency_ok = entity is None or order.currency == entity.currency
    if entity is not None and not currency_ok:
        add(C.VAL_CURRENCY_INVALID, f"the order is in {order.currency} but {entity.entity_id} sells "
                                    f"and keeps accounts in {entity.currency}")
    if customer.ship_to(order.ship_to_id) is None:
        known = ", ".join(s.ship_to_id for s in customer.ship_tos)
        add(C.VAL_SHIPTO_UNKNOWN, f"ship-to {order.ship_to_id!r} is not on account "
                                  f"{customer.customer_id} (known: {known})")
    dup = ctx.uow.orders.find_by_po(order.customer_id, order.po_number)
    if dup is not None and dup != order.order_id:
        add(C.VAL_DUPLICATE_PO, f"PO {order.po_number} from {customer.customer_id} was already "
                                f"received as order {dup}")
    section = ctx.section(order.legal_entity_id)
    if order.payment_terms:
        try:
            terms = PaymentTerms.parse(order.payment_terms).code
        except ValueError as e:
            terms = None
            add(C.TRM_NONSTANDARD, str(e))
        account_terms = PaymentTerms.parse(customer.payment_terms).code
        if terms is not None and terms != account_terms:
            add(C.TRM_NONSTANDARD, f"the PO asks for '{terms}' but the account's terms are "
                                   f"'{account_terms}'")
    accepted = released_by_person(order, C.PRC_CONTRACT_MISMATCH) is not None
    for ln in order.lines:
        product = master.product(ln.product_id)
        if product is None:
            add(C.VAL_ITEM_UNKNOWN, f"line {ln.line_no}: item {ln.product_id!r} is not in master data")
            continue
        factor = product.factor(ln.uom)
        if factor is None:
            valid = ", ".join([product.base_uom, *product.uom_factors])
            add(C.VAL_UOM_INVALID, f"line {ln.line_no}: unit {ln.uom!r} is not valid for "
                                   f"{product.product_id} (valid: {valid})")
            continue
        if ln.quantity <= 0:
            add(C.VAL_MISSING_FIELD, f"line {ln.line_no}: quantity must be positive")
            continue
        base_qty = ln.quantity * factor
        if not currency_ok:
            continue  # prices in a currency the entity does not sell in mean nothing
        agreement = master.price_agreement(customer, product.product_id, order.order_date)
        if agreement is not None and agreement.price.currency != order.currency:
            agreement = None  # a contract in another currency does not price this order
        list_price = product.list_prices.get(order.currency)
        if agreement is not None:
            contract, step = agreement.price_for(base_qty)
            ref = Reference(price=contract, source=f"contract:{agreement.agreement_id}@v{agreement.version}",
                            name=f"contract {agreement.label} price" + (
                                "" if step is None else f" from {step.min_quantity.normalize():f}"))
        elif list_price is not None:
            ref = Reference(price=list_price, source="list", name="list price", note="(no contract)")
        else:
            add(C.VAL_ITEM_UNKNOWN, f"line {ln.line_no}: {product.product_id} has no price in "
                                    f"{order.currency} (no contract, no list price)")
            continue
        priced = price_line(ln, factor, ref, section, mismatch_accepted=accepted)
        found.read.update(priced.inputs)
        if priced.issue is not None:
            add(*priced.issue, priced.inputs)
        if priced.price is None:
            continue
        price, source = priced.price, priced.source
        floor = product.floor_prices.get(order.currency)
        if section.enforce_floor and floor is not None and price < floor:
            add(C.PRC_BELOW_FLOOR, f"line {ln.line_no}: price {price} per {product.base_uom} is "
                                   f"below the floor {floor}")
        found.priced.append(ev.PricedLine(line_no=ln.line_no, base_quantity=base_qty,
                                          base_uom=product.base_uom, unit_price=price,
                                          price_source=source))
    return found


def validate_order(c: cmd.ValidateOrder, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "validation")
    if order.status is not OrderStatus.RECEIVED or order.on_hold:
        return []
    customer = ctx.uow.master.customer(order.customer_id)
    found = issues(order, customer, ctx)
    problems = {code: texts for code, texts in found.texts.items()
                if not released_by_person(order, code)}
    inputs: dict[str, object] = {"customer_id": order.customer_id, "lines": len(order.lines),
                                 "tolerance_percent": ctx.section(order.legal_entity_id)
                                 .price_tolerance_percent}
    if problems:
        return [
            place_hold(ctx, order, code, "; ".join(texts),
                       decision(ctx, f"validation/{code.value}", code.value,
                                {**inputs, **found.inputs[code]}, order.legal_entity_id), seq=i)
            for i, (code, texts) in enumerate(problems.items())
        ]
    return [ev.OrderValidated(order_id=order.order_id, lines=tuple(found.priced),
                              decision=decision(ctx, "validation/all-checks-passed", "valid",
                                                {**inputs, **found.read}, order.legal_entity_id))]
