"""Invoicing on the trigger the billing policy chooses, and credit memos."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.billing import line_amount
from o2c.domain.holds import HoldCode
from o2c.domain.master import BillingTrigger, PaymentTerms
from o2c.domain.money import Money, minor_unit_problem
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import billing_decision, load_order
from o2c.engine.handlers.tax import invoice_tax, tax_unresolved


def invoice_shipment(c: cmd.InvoiceShipment, ctx: Context) -> list[ev.Event]:
    """Invoice one shipment if the customer's billing trigger has fired.

    ``c.trigger`` names what happened (``shipment_confirmed`` or
    ``pod_received``); the billing policy says which of them invoices.
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
    d = billing_decision(ctx, order, customer, c.trigger)
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
    if trigger is BillingTrigger.ON_SHIP and c.trigger != "shipment_confirmed":
        return []  # a POD applied before its shipment's own trigger: that one invoices
    if trigger is BillingTrigger.CONSOLIDATED:
        return []  # consolidated billing runs on its own schedule (not in this release)
    cur = order.currency
    qty: dict[int, Decimal] = {}
    for s in sh.lines:
        qty[s.line_no] = qty.get(s.line_no, Decimal(0)) + s.quantity
    lines = []
    for line_no, q in sorted(qty.items()):
        ol = order.line(line_no)
        lines.append(ev.InvoiceLine(line_no=line_no, product_id=ol.product_id, quantity=q,
                                    uom=ol.base_uom, unit_price=ol.unit_price,
                                    amount=line_amount(q, ol.unit_price, cur)))
    subtotal = Money(sum((ln.amount for ln in lines), Decimal(0)), cur)
    taxed = invoice_tax(ctx, customer, [(order.ship_to_id, ln) for ln in lines], cur,
                        entity.business_date(ctx.now()))
    if taxed.unresolved:
        return tax_unresolved(ctx, order, taxed, sh.shipment_id, c.trigger)
    tax = taxed.total
    total = subtotal + tax
    try:
        terms = PaymentTerms.parse(order.payment_terms or customer.payment_terms)
    except ValueError as e:
        raise Rejected(HoldCode.TRM_NONSTANDARD, f"order {order.order_id}: {e}") from None
    day = entity.business_date(ctx.now())
    number = ctx.uow.sequences.next(f"invoice:{entity.entity_id}")
    return [ev.InvoiceIssued(
        invoice_id=f"{entity.invoice_prefix}-{number:07d}", order_id=order.order_id,
        customer_id=order.customer_id, legal_entity_id=entity.entity_id,
        shipment_ids=(sh.shipment_id,), lines=tuple(lines), subtotal=subtotal, tax=tax,
        total=total, invoice_date=day, due_date=terms.due_date(day),
        discount_date=terms.discount_date(day), discount=terms.discount_on(total),
        trigger=trigger.value, decision=d, tax_lines=taxed.lines,
    )]


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
    amount = Money(c.amount, inv.currency).round()
    if amount.amount <= 0 or amount.amount > inv.open_amount:
        raise Rejected("BIL-CREDIT-MEMO-INVALID",
                       f"credit memo of {amount} on invoice {inv.invoice_id} must be positive and at "
                       f"most the open amount {inv.open_amount}")
    memo_id = f"CM-{ctx.uow.sequences.next(f'credit_memo:{inv.legal_entity_id}'):07d}"
    out: list[ev.Event] = [ev.CreditMemoIssued(credit_memo_id=memo_id, invoice_id=inv.invoice_id,
                                               order_id=inv.order_id, customer_id=inv.customer_id,
                                               amount=amount, reason=c.reason)]
    if inv.open_amount - amount.amount == 0:
        out.append(ev.InvoicePaid(invoice_id=inv.invoice_id, order_id=inv.order_id,
                                  customer_id=inv.customer_id))
    return out
