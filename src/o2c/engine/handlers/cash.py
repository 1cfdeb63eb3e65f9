"""Cash application by reference (remittance lines naming invoices)."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.money import Money
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import decision


def receive_payment(c: cmd.ReceivePayment, ctx: Context) -> list[ev.Event]:
    """Apply each remittance line to the invoice it names.

    A discount is accepted when taken on or before the invoice's discount date
    and not above the terms' discount; what cannot be applied stays on account
    as unapplied cash (``CSH-UNAPPLIED``) with the reason.
    """
    customer = ctx.uow.master.customer(c.customer_id)
    if customer is None:
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"payment {c.payment_id} is from customer {c.customer_id!r}, "
                       "who is not in master data")
    entity = ctx.uow.master.legal_entity(customer.legal_entity_id)
    if entity is not None and c.currency != entity.currency:
        raise Rejected(HoldCode.CSH_UNAPPLIED,
                       f"payment {c.payment_id} is in {c.currency} but account {c.customer_id} is kept "
                       f"in {entity.currency}; convert it or apply it by hand")
    if c.amount <= 0:
        raise Rejected(HoldCode.VAL_MISSING_FIELD, f"payment {c.payment_id} has no positive amount")
    cur = c.currency
    total = Money(c.amount, cur).round()
    out: list[ev.Event] = [ev.PaymentReceived(payment_id=c.payment_id, customer_id=c.customer_id,
                                              amount=total, method=c.method,
                                              references=c.references)]
    left = total.amount
    today = ctx.now().date()
    problems: list[str] = []
    opened: dict[str, Decimal] = {}
    for ref in c.references:
        inv = ctx.uow.invoices.get(ref.invoice_id)
        if inv is None or inv.customer_id != c.customer_id:
            problems.append(f"invoice {ref.invoice_id} is not an invoice of {c.customer_id}")
            continue
        if inv.currency != cur:
            problems.append(f"invoice {inv.invoice_id} is in {inv.currency}, payment in {cur}")
            continue
        open_amt = opened.get(inv.invoice_id, inv.open_amount)
        discount = Decimal(0)
        if ref.discount > 0:
            if inv.discount_date is not None and today <= inv.discount_date:
                discount = min(ref.discount, inv.discount, open_amt)
            else:
                problems.append(f"discount {ref.discount} on {inv.invoice_id} taken after "
                                f"the discount date {inv.discount_date}")
        amount = min(ref.amount, open_amt - discount, left)
        if amount <= 0 and discount <= 0:
            problems.append(f"invoice {inv.invoice_id} has nothing open to apply to")
            continue
        left -= amount
        opened[inv.invoice_id] = open_amt - amount - discount
        out.append(ev.PaymentApplied(
            payment_id=c.payment_id, customer_id=c.customer_id, invoice_id=inv.invoice_id,
            order_id=inv.order_id, amount=Money(amount, cur), discount=Money(discount, cur),
            decision=decision(ctx, "cash/by-reference", "applied",
                              {"invoice_id": inv.invoice_id, "remitted": ref.amount,
                               "discount_claimed": ref.discount, "open_before": open_amt}),
        ))
        if opened[inv.invoice_id] == 0:
            out.append(ev.InvoicePaid(invoice_id=inv.invoice_id, order_id=inv.order_id,
                                      customer_id=inv.customer_id))
    if left > 0:
        if not problems:
            problems.append("the payment exceeds the invoices it names")
        out.append(ev.CashUnapplied(payment_id=c.payment_id, customer_id=c.customer_id,
                                    amount=Money(left, cur), reason="; ".join(problems)))
    return out
