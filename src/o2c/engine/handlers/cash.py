"""Cash application by reference (remittance lines naming invoices), and the
deductions a payer explains (remittance adjustments) opened as disputes."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.disputes import Claim, plan_deductions
from o2c.domain.holds import HoldCode
from o2c.domain.money import Money
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import decision


def receive_payment(c: cmd.ReceivePayment, ctx: Context) -> list[ev.Event]:
    """Apply each remittance line to the invoice it names.

    A discount is accepted when taken on or before the invoice's discount date
    and not above the terms' discount; what cannot be applied stays on account
    as unapplied cash (``CSH-UNAPPLIED``) with the reason.

    Each deduction the payer explains (an adjustment with a negative amount and a
    reason code) becomes a dispute on its invoice for what the payment leaves
    open there (``DisputeOpened``, a ``CSH-SHORT-PAY`` deduction case), so the
    difference is explained. A deduction of the whole remittance that names an
    invoice (``reference`` qualified ``IV``) takes its amount off that invoice's
    line first, since the payment amount is net of it; one that names none (a
    payer-level adjustment) is a dispute of the account (empty ``invoice_id``)
    for what the account has open and not in dispute.
    """
    customer = ctx.uow.master.customer(c.customer_id)
    if customer is None or not visible(ctx.actor, customer.legal_entity_id):
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
                                              references=c.references, adjustments=c.adjustments)]
    left = total.amount
    today = ctx.today(customer.legal_entity_id)
    problems: list[str] = []
    opened: dict[str, Decimal] = {}
    invoices: dict[str, Invoice] = {}  # the payment's invoices, in remittance order
    for ref, remitted in zip(c.references, _remitted(c), strict=True):
        inv = ctx.uow.invoices.get(ref.invoice_id)
        if inv is None or inv.customer_id != c.customer_id:
            problems.append(f"invoice {ref.invoice_id} is not an invoice of {c.customer_id}")
            continue
        if inv.currency != cur:
            problems.append(f"invoice {inv.invoice_id} is in {inv.currency}, payment in {cur}")
            continue
        invoices.setdefault(inv.invoice_id, inv)
        open_amt = opened.get(inv.invoice_id, inv.open_amount)
        discount = Decimal(0)
        if ref.discount > 0:
            if inv.discount_date is not None and today <= inv.discount_date:
                discount = min(ref.discount, inv.discount, open_amt)
            else:
                problems.append(f"discount {ref.discount} on {inv.invoice_id} taken after "
                                f"the discount date {inv.discount_date}")
        amount = min(remitted, open_amt - discount, left)
        if amount <= 0 and discount <= 0:
            problems.append(f"invoice {inv.invoice_id} has nothing open to apply to")
            continue
        left -= amount
        opened[inv.invoice_id] = open_amt - amount - discount
        inputs: dict[str, object] = {"invoice_id": inv.invoice_id, "remitted": ref.amount,
                                     "discount_claimed": ref.discount, "open_before": open_amt}
        if remitted != ref.amount:
            inputs["remitted_less_deductions"] = remitted
        out.append(ev.PaymentApplied(
            payment_id=c.payment_id, customer_id=c.customer_id, invoice_id=inv.invoice_id,
            order_id=inv.order_id, amount=Money(amount, cur), discount=Money(discount, cur),
            decision=decision(ctx, "cash/by-reference", "applied", inputs,
                              customer.legal_entity_id),
        ))
        if opened[inv.invoice_id] == 0:
            out.append(ev.InvoicePaid(invoice_id=inv.invoice_id, order_id=inv.order_id,
                                      customer_id=inv.customer_id, order_ids=inv.orders))
    if c.adjustments:
        out += _deductions(c, ctx, invoices, opened, problems)
    if left > 0:
        if not problems:
            problems.append("the payment exceeds the invoices it names")
        out.append(ev.CashUnapplied(payment_id=c.payment_id, customer_id=c.customer_id,
                                    amount=Money(left, cur), reason="; ".join(problems)))
    return out


def _named_invoice(a: ev.RemittanceAdjustment) -> str:
    return a.invoice_id or (a.reference if a.reference_qualifier == "IV" else "")


def _remitted(c: cmd.ReceivePayment) -> list[Decimal]:
    """What each remittance line pays: its amount, less the deductions of the whole
    remittance that name its invoice (an adjustment of a line is already net in it)."""
    amounts = [r.amount for r in c.references]
    for a in c.adjustments:
        named = _named_invoice(a)
        if a.invoice_id or not named or a.amount >= 0:
            continue
        take = -a.amount
        for i, r in enumerate(c.references):
            if r.invoice_id == named and take > 0:
                cut = min(take, amounts[i])
                amounts[i] -= cut
                take -= cut
    return amounts


def _deductions(c: cmd.ReceivePayment, ctx: Context, invoices: dict[str, Invoice],
                opened: dict[str, Decimal], problems: list[str]) -> list[ev.Event]:
    """A dispute per deduction, for what the payment leaves open on its invoice and is
    not in dispute already; what finds nothing open is noted in ``problems``."""
    claims: list[Claim] = []
    adjustment_of: dict[int, ev.RemittanceAdjustment] = {}
    for a in c.adjustments:
        if a.amount >= 0 or not a.reason_code.strip():
            continue  # an addition, or no reason given: not a deduction case
        named = _named_invoice(a)
        if named and named not in invoices:
            inv = ctx.uow.invoices.get(named)
            if inv is not None and inv.customer_id == c.customer_id and inv.currency == c.currency:
                invoices[named] = inv
        claim = Claim(invoice_id=named, amount=-a.amount, reason_code=a.reason_code)
        adjustment_of[id(claim)] = a
        claims.append(claim)
    customer = ctx.uow.master.customer(c.customer_id)
    entity_id = customer.legal_entity_id if customer is not None else None
    account = ctx.uow.accounts.get(c.customer_id)
    before = {i: (account.disputed_on(i) if account else Decimal(0)) for i in invoices}
    # The account's own figures, for the deductions that name no invoice (invoice_id "").
    before[""] = account.disputed if account else Decimal(0)
    open_after = {i: opened.get(i, inv.open_amount) for i, inv in invoices.items()}
    open_after[""] = sum((opened.get(i, item.open_amount) for i, item in account.open_items.items()),
                         Decimal(0)) if account else Decimal(0)
    room = {i: open_after[i] - before[i] for i in invoices}
    placed, unplaced = plan_deductions(claims, room, open_after[""] - before[""])
    out: list[ev.Event] = []
    for d in placed:
        a = adjustment_of[id(d.claim)]
        dispute_id = f"DSP-{ctx.uow.sequences.next_id('dispute'):07d}"
        out.append(ev.DisputeOpened(
            dispute_id=dispute_id, invoice_id=d.invoice_id, customer_id=c.customer_id,
            reason_code=d.reason.value, amount=Money(d.amount, c.currency), payment_id=c.payment_id,
            decision=decision(ctx, "cash/deduction", HoldCode.CSH_SHORT_PAY.value, {
                "payment_id": c.payment_id, "invoice_id": d.invoice_id,
                "adjustment_amount": a.amount, "adjustment_reason_code": a.reason_code,
                "adjustment_reference": f"{a.reference_qualifier} {a.reference}".strip(),
                "open_after_payment": open_after[d.invoice_id],
                "already_disputed": before[d.invoice_id], "disputed": d.amount,
            }, entity_id),
        ))
    for u in unplaced:
        where = f"invoice {u.invoice_id}" if u.invoice_id else f"account {c.customer_id}"
        problems.append(f"deduction of {u.amount} (reason {u.reason_code}) on {where} finds nothing "
                        "open and not already in dispute")
    return out
