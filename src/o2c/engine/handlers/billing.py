"""Invoicing on the trigger the billing policy chooses, and credit memos."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.billing import Invoice, line_amount
from o2c.domain.consolidation import WEEKDAYS, BillingWindow, window_key, window_of
from o2c.domain.holds import HoldCode
from o2c.domain.master import BillingTrigger, Customer, LegalEntity, PaymentTerms
from o2c.domain.money import Money, minor_unit_problem
from o2c.domain.orders import Order, ShipmentState
from o2c.domain.tax import TaxResult
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import billing_rule, decision, load_order
from o2c.engine.handlers.tax import invoice_tax, tax_unresolved

#: what invoices a shipment billed on ship: its own confirmation, or its account's rule changing
_ON_SHIP_TRIGGERS = frozenset({"shipment_confirmed", cmd.BILLING_RULE_CHANGED})


def invoice_shipment(c: cmd.InvoiceShipment, ctx: Context) -> list[ev.Event]:
    """Invoice one shipment if the customer's billing trigger has fired.

    ``c.trigger`` names what happened (``shipment_confirmed``, ``pod_received``, or
    ``billing_rule_changed``: the account's billing trigger changed while the shipment was not
    invoiced); the billing policy says which of them invoices. A customer billed
    ``consolidated`` is not invoiced here: the shipment waits for the window of the policy's
    rule that it falls in (``ShipmentAwaitingInvoice``, which arms the window's timer), and
    :func:`close_window` invoices it with the others of its window when the window closes.
    """
    order = load_order(ctx, c.order_id, f"invoicing of shipment {c.shipment_id}")
    sh = order.shipment(c.shipment_id)
    if sh is None or sh.invoice_id is not None:
        return []
    customer = ctx.uow.master.customer(order.customer_id)
    entity = ctx.uow.master.legal_entity(order.legal_entity_id)
    if customer is None or entity is None:
        raise LookupError(f"master data for order {order.order_id} vanished")
    policy = ctx.policy(order.legal_entity_id)
    d, window = billing_rule(ctx, order, customer, c.trigger)
    trigger = BillingTrigger(d.outcome)
    if trigger is BillingTrigger.ON_POD and sh.delivered_at is None:
        if c.trigger != "pod_overdue":
            return []
        # No POD by the policy's timeout and its remedy is to invoice anyway: as on ship.
        section = ctx.section(order.legal_entity_id)
        d = ev.Decision(policy_id=policy.policy_id, version=policy.version, rule="billing.pod_overdue_remedy",
                        outcome="invoice_anyway",
                        inputs={**d.inputs, "pod_timeout_days": str(section.pod_timeout_days),
                                "shipped_at": sh.shipped_at.isoformat()},
                        conditions=(ev.Condition(rule=d.rule, outcome=d.outcome, inputs=d.inputs),))
    if trigger is BillingTrigger.ON_SHIP and c.trigger not in _ON_SHIP_TRIGGERS:
        return []  # a POD applied before its shipment's own trigger: that one invoices
    if trigger is BillingTrigger.CONSOLIDATED:
        if sh.awaiting_key is not None or window is None:
            return []  # already waiting for its window
        return [_await_window(ctx, order, sh, entity, window, d)]
    made = build_invoice(ctx, entity=entity, customer=customer, orders=[order], shipments=[(order, sh)],
                         trigger=trigger.value, decision=d)
    if isinstance(made, TaxResult):
        return tax_unresolved(ctx, order, made, sh.shipment_id, c.trigger)
    return [made]


def _await_window(ctx: Context, order: Order, sh: ShipmentState, entity: LegalEntity,
                  spec: BillingWindow, d: ev.Decision) -> ev.ShipmentAwaitingInvoice:
    """The shipment waits for the window its shipping time falls in; one confirmed after that
    window closed (a nightly batch) waits for the window open now, so none is left behind."""
    now = ctx.now()
    w = window_of(sh.shipped_at, spec, entity.timezone)
    late = w.end <= now
    if late:
        w = window_of(now, spec, entity.timezone)
    key = window_key(order.customer_id, order.ship_to_id, spec)
    inputs = {**d.inputs, "window": spec.name, "grouping": spec.grouping.value, "period": spec.period.value,
              "cut_off": spec.cut_off.isoformat("minutes"), "timezone": entity.timezone,
              "shipped_at": sh.shipped_at.isoformat(), "window_start": w.start.isoformat(),
              "window_end": w.end.isoformat(), "key": key}
    if spec.weekday is not None:
        inputs["weekday"] = WEEKDAYS[spec.weekday]
    if late:
        inputs["confirmed_after_its_window_closed"] = now.isoformat()
    return ev.ShipmentAwaitingInvoice(
        order_id=order.order_id, shipment_id=sh.shipment_id, customer_id=order.customer_id,
        legal_entity_id=order.legal_entity_id, key=key, window=spec.name, window_start=w.start,
        window_end=w.end, decision=dataclasses.replace(d, inputs=inputs))


def close_window(ctx: Context, payload: dict[str, str], due: datetime) -> list[ev.Event]:
    """A consolidation window closes (its timer fires): ONE invoice for ``payload["key"]``
    covering every shipment waiting for this window (or, confirmed late, for an earlier one
    of the key) and not invoiced yet, all their lines across orders. A shipment invoiced
    meanwhile (a POD under a policy that changed) is left out; a second firing finds
    nothing left and issues nothing."""
    customer_id, key = payload["customer_id"], payload["key"]
    end = datetime.fromisoformat(payload["window_end"])
    customer = ctx.uow.master.customer(customer_id)
    if customer is None:
        raise LookupError(f"customer {customer_id} of billing window {key} vanished")
    waiting: dict[tuple[str, str], list[tuple[Order, ShipmentState]]] = {}
    orders: dict[str, Order] = {}
    for order_id in ctx.uow.orders.not_invoiced_for(customer_id):
        order = ctx.uow.orders.get(order_id)
        if order is None:
            continue
        for sh in order.shipments:
            if (sh.invoice_id is None and sh.awaiting_key == key and sh.awaiting_until is not None
                    and sh.awaiting_until <= end):
                waiting.setdefault((order.legal_entity_id, order.currency), []).append((order, sh))
                orders[order.order_id] = order
    out: list[ev.Event] = []
    for (entity_id, _), shipments in sorted(waiting.items()):
        entity = ctx.uow.master.legal_entity(entity_id)
        if entity is None:
            raise LookupError(f"legal entity {entity_id} of billing window {key} vanished")
        shipments.sort(key=lambda p: (p[0].order_id, p[1].shipment_id))
        mine = list(dict.fromkeys(o.order_id for o, _ in shipments))
        d = decision(ctx, f"billing.windows.{payload.get('window', '')}", "invoice", {
            "key": key, "window_start": payload.get("window_start", ""), "window_end": end.isoformat(),
            "due_at": due.isoformat(), "orders": ",".join(mine),
            "shipments": ",".join(f"{o.order_id}/{sh.shipment_id}" for o, sh in shipments)}, entity_id)
        made = build_invoice(ctx, entity=entity, customer=customer, orders=[orders[o] for o in mine],
                             shipments=shipments, trigger=BillingTrigger.CONSOLIDATED.value, decision=d)
        if isinstance(made, TaxResult):
            # No rate for a jurisdiction of the window: billing is told on each of its orders,
            # and the shipments keep waiting (the key's next window close takes them).
            for order_id in mine:
                first = next(sh for o, sh in shipments if o.order_id == order_id)
                out.append(tax_unresolved(ctx, orders[order_id], made, first.shipment_id,
                                          "shipment_confirmed")[0])
            continue
        out.append(made)
    return out


def build_invoice(ctx: Context, *, entity: LegalEntity, customer: Customer, orders: Sequence[Order],
                  shipments: Sequence[tuple[Order, ShipmentState]], trigger: str,
                  decision: ev.Decision) -> ev.InvoiceIssued | TaxResult:
    """The one way an invoice is made, per shipment or per window: its lines (each shipment's
    shipped quantity per order line, at the order's price), totals, tax, terms, dates and
    the entity's next gapless number. Several orders' terms are the customer's unless every
    order names the same. A line whose ship-to's jurisdiction has no tax rate makes no
    invoice: the tax result naming what is missing comes back instead, for a hold."""
    first = orders[0]
    cur = first.currency
    lines: list[ev.InvoiceLine] = []
    for order, sh in shipments:
        qty: dict[int, Decimal] = {}
        for s in sh.lines:
            qty[s.line_no] = qty.get(s.line_no, Decimal(0)) + s.quantity
        for line_no, q in sorted(qty.items()):
            ol = order.line(line_no)
            lines.append(ev.InvoiceLine(line_no=line_no, product_id=ol.product_id, quantity=q,
                                        uom=ol.base_uom, unit_price=ol.unit_price,
                                        amount=line_amount(q, ol.unit_price, cur),
                                        order_id=order.order_id, shipment_id=sh.shipment_id))
    subtotal = Money(sum((ln.amount for ln in lines), Decimal(0)), cur)
    ship_to = {o.order_id: o.ship_to_id for o in orders}
    # the one place an invoice's tax is computed: by each line's ship-to
    taxed = invoice_tax(ctx, customer, [(ship_to[ln.order_id], ln) for ln in lines], cur,
                        entity.business_date(ctx.now()))
    if taxed.unresolved:
        return taxed
    tax = taxed.total
    total = subtotal + tax
    named = {o.payment_terms for o in orders}
    text = named.pop() if len(named) == 1 and None not in named else customer.payment_terms
    try:
        terms = PaymentTerms.parse(text or customer.payment_terms)
    except ValueError as e:
        raise Rejected(HoldCode.TRM_NONSTANDARD, f"order {first.order_id}: {e}") from None
    day = entity.business_date(ctx.now())
    number = ctx.uow.sequences.next(f"invoice:{entity.entity_id}")
    return ev.InvoiceIssued(
        invoice_id=f"{entity.invoice_prefix}-{number:07d}", order_id=first.order_id,
        order_ids=tuple(o.order_id for o in orders),
        customer_id=first.customer_id, legal_entity_id=entity.entity_id,
        shipment_ids=tuple(dict.fromkeys(sh.shipment_id for _, sh in shipments)), lines=tuple(lines),
        subtotal=subtotal, tax=tax, total=total, invoice_date=day, due_date=terms.due_date(day),
        discount_date=terms.discount_date(day), discount=terms.discount_on(total),
        trigger=trigger, decision=decision, tax_lines=taxed.lines,
    )


def issue_credit_memo(c: cmd.IssueCreditMemo, ctx: Context) -> list[ev.Event]:
    inv = ctx.uow.invoices.get(c.invoice_id)
    if inv is None or not visible(ctx.actor, inv.legal_entity_id):
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"credit memo for unknown invoice {c.invoice_id}")
    # The currency is the invoice's, so this is the first place the amount can be checked;
    # refused like a payment's, never rounded (half a cent would stay open on the invoice).
    problem = minor_unit_problem(c.amount, inv.currency)
    if problem:
        raise Rejected("BIL-CREDIT-MEMO-INVALID",
                       f"credit memo on invoice {inv.invoice_id}: amount: {problem}")
    return credit_memo(ctx, inv, Money(c.amount, inv.currency).round(), c.reason)


def credit_memo(ctx: Context, inv: Invoice, amount: Money, reason: str, *, dispute_id: str = "",
                lines: tuple[int, ...] = ()) -> list[ev.Event]:
    """A credit memo of ``amount`` (positive, at most what is open) on ``inv`` with the next
    number of its legal entity, and ``InvoicePaid`` when it leaves nothing open; ``dispute_id``
    and ``lines`` name the dispute it resolves and the invoice lines it credits."""
    if amount.amount <= 0 or amount.amount > inv.open_amount:
        raise Rejected("BIL-CREDIT-MEMO-INVALID",
                       f"credit memo of {amount} on invoice {inv.invoice_id} must be positive and at "
                       f"most the open amount {inv.open_amount}")
    memo_id = f"CM-{ctx.uow.sequences.next(f'credit_memo:{inv.legal_entity_id}'):07d}"
    out: list[ev.Event] = [ev.CreditMemoIssued(credit_memo_id=memo_id, invoice_id=inv.invoice_id,
                                               order_id=inv.order_id, customer_id=inv.customer_id,
                                               amount=amount, reason=reason, dispute_id=dispute_id,
                                               lines=lines)]
    if inv.open_amount - amount.amount == 0:
        out.append(ev.InvoicePaid(invoice_id=inv.invoice_id, order_id=inv.order_id,
                                  customer_id=inv.customer_id, order_ids=inv.orders))
    return out
