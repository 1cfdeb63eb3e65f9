"""Cash application: a payment placed on the payer's open invoices by the matching rules
(:mod:`o2c.domain.cash_matching`), the deductions a payer explains (remittance
adjustments) and the short pays it does not opened as disputes, overpayments kept on
account, and what no rule can place queued for a person."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.cash_matching import MatchRule, OpenInvoice, Remitted, ShortPay, match_named_first
from o2c.domain.disputes import Claim, DisputeReason, plan_deductions
from o2c.domain.holds import HoldCode
from o2c.domain.master import Customer
from o2c.domain.money import Money, minor_unit_problem
from o2c.domain.payments import Payment
from o2c.domain.receivables import Account, OpenItem
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import decided_by, decision
from o2c.engine.handlers.disputes import new_dispute_id
from o2c.engine.handlers.disputes import opened as opened_dispute


def receive_payment(c: cmd.ReceivePayment, ctx: Context) -> list[ev.Event]:
    """Apply a payment to the payer's open invoices by the matching rules of the policy.

    The payer is the account the channel names; a bank file that names none is placed by
    the invoices its references name (all of one account), else by the bank account it came
    from when earlier payments from it were all one account's (named by a channel, found by
    their invoices, or named by a person), else the payment waits, unidentified, for a person
    (``CSH-UNAPPLIED``). The matching engine
    (:mod:`o2c.domain.cash_matching`) places the cash: each ``PaymentApplied`` records the rule
    that matched (``cash/<rule>``), its confidence and what it read. What it leaves is
    explained: a short pay opens a deduction dispute; an overpayment stays as credit on
    account; cash it could not place with certainty waits for a person, with the candidates.

    Each deduction the payer explains (an adjustment with a negative amount and a reason
    code) becomes a dispute on its invoice for what the payment leaves open there
    (``DisputeOpened``, a ``CSH-SHORT-PAY`` deduction case), so the difference is explained.
    A deduction of the whole remittance that names an invoice (``reference`` qualified
    ``IV``) takes its amount off that invoice's line first, since the payment amount is net
    of it; one that names none (a payer-level adjustment) is a dispute of the account (empty
    ``invoice_id``) for what the account has open and not in dispute. A short pay the payer
    does not explain is a dispute too, for what the explained ones leave.
    """
    if c.amount <= 0:
        raise Rejected(HoldCode.VAL_MISSING_FIELD, f"payment {c.payment_id} has no positive amount")
    customer, identified = _payer(c, ctx)
    cur = c.currency
    total = Money(c.amount, cur).round()
    if customer is None:
        return _unidentified(c, ctx, total)
    entity = ctx.uow.master.legal_entity(customer.legal_entity_id)
    if entity is not None and c.currency != entity.currency:
        raise Rejected(HoldCode.CSH_UNAPPLIED,
                       f"payment {c.payment_id} is in {c.currency} but account {customer.customer_id} is "
                       f"kept in {entity.currency}; convert it or apply it by hand")
    cid = customer.customer_id
    out: list[ev.Event] = [ev.PaymentReceived(
        payment_id=c.payment_id, customer_id=cid, amount=total, method=c.method, references=c.references,
        adjustments=c.adjustments, payer_name=c.payer_name, payer_account=c.payer_account, text=c.text)]
    today = ctx.today(customer.legal_entity_id)
    account = ctx.uow.accounts.get(cid)
    lines = [Remitted(invoice_id=r.invoice_id, reference=r.reference, qualifier=r.qualifier, amount=amount,
                      discount=r.discount) for r, amount in zip(c.references, _remitted(c), strict=True)]
    lines += [Remitted(reference=ref) for ref in _references_in(c.text)]
    settings = ctx.section(customer.legal_entity_id).cash_matching
    result = match_named_first(total.amount, lines, partial(_open_invoice, account),
                               partial(_open_invoices, account), today, settings, _po_of(ctx, account))
    opened: dict[str, Decimal] = {}
    for a in result.allocations:
        item = account.open_items[a.invoice_id] if account is not None else None
        assert item is not None  # matching places cash only on the payer's open invoices
        open_before = opened.get(a.invoice_id, item.open_amount)
        opened[a.invoice_id] = open_before - a.amount - a.discount
        inputs: dict[str, object] = {"invoice_id": a.invoice_id, "matched_on": a.evidence,
                                     "confidence": a.confidence, "open_before": open_before,
                                     "payment_amount": total.amount}
        if a.line is not None:
            r = c.references[a.line] if a.line < len(c.references) else None
            if r is not None:
                inputs |= {"remitted": "not stated" if r.amount is None else r.amount,
                           "discount_claimed": r.discount}
                if r.amount is not None and lines[a.line].amount != r.amount:
                    inputs["remitted_less_deductions"] = lines[a.line].amount
        if identified:
            inputs["payer_identified_by"] = identified
        order_id, order_ids = _orders_of(account, a.invoice_id)
        out.append(ev.PaymentApplied(
            payment_id=c.payment_id, customer_id=cid, invoice_id=a.invoice_id, order_id=order_id,
            amount=Money(a.amount, cur), discount=Money(a.discount, cur),
            decision=decision(ctx, f"cash/{a.rule.value}", "applied", inputs, customer.legal_entity_id),
        ))
        if opened[a.invoice_id] == 0:
            out.append(ev.InvoicePaid(invoice_id=a.invoice_id, order_id=order_id, customer_id=cid,
                                      order_ids=order_ids))
    problems = list(result.problems)
    disputed: dict[str, Decimal] = {}
    if c.adjustments:
        invoices = {k: inv for k in dict.fromkeys(a.invoice_id for a in result.allocations)
                    if (inv := ctx.uow.invoices.get(k)) is not None}
        out += _deductions(c, ctx, customer, account, invoices, opened, problems, disputed)
    out += _short_pays(c, ctx, cid, customer.legal_entity_id, result.short_pays, opened, account, disputed)
    if result.on_account > 0:
        out.append(ev.CashOnAccount(
            payment_id=c.payment_id, customer_id=cid, amount=Money(result.on_account, cur),
            decision=decision(ctx, "cash/overpayment", "on_account",
                              {"payment_amount": total.amount, "applied": result.applied,
                               "left": result.on_account, "why": "; ".join(result.problems)},
                              customer.legal_entity_id)))
    if result.unplaced > 0:
        if not problems:
            problems.append("the payment exceeds the invoices it names")
        out.append(ev.CashUnapplied(
            payment_id=c.payment_id, customer_id=cid, amount=Money(result.unplaced, cur),
            reason="; ".join(problems), candidates=tuple(result.candidates),
            decision=decision(ctx, "cash/unplaced", HoldCode.CSH_UNAPPLIED.value,
                              {"payment_amount": total.amount, "applied": result.applied,
                               "open_invoices": _open_count(account),
                               "candidates": ", ".join(result.candidates)},
                              customer.legal_entity_id)))
    return out


def _orders_of(account: Account | None, invoice_id: str) -> tuple[str, tuple[str, ...]]:
    """The order an open invoice bills first, and every order it bills (from the account's
    open items)."""
    item = account.open_items.get(invoice_id) if account is not None else None
    if item is None:
        return "", ()
    return item.order_id, item.order_ids or (item.order_id,)


def _payer(c: cmd.ReceivePayment, ctx: Context) -> tuple[Customer | None, str]:
    """The paying account, and how it was found when the payment did not name it."""
    if c.customer_id:
        customer = ctx.uow.master.customer(c.customer_id)
        if customer is None or not visible(ctx.actor, customer.legal_entity_id):
            raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                           f"payment {c.payment_id} is from customer {c.customer_id!r}, "
                           "who is not in master data")
        return customer, ""
    owners: dict[str, str] = {}
    for ref in [r.invoice_id or r.reference for r in c.references] + _references_in(c.text):
        for candidate in _invoice_numbers(ref):
            inv = ctx.uow.invoices.get(candidate)
            if inv is not None and inv.currency == c.currency:
                owners.setdefault(inv.customer_id, candidate)
                break
    if len(owners) > 1:
        return None, ""
    if owners:
        (cid, via), = owners.items()
        how = f"invoice {via}"
    else:  # no invoice named: the one account this bank account paid for before, if one
        paid_for = ctx.uow.payments.paid_from(c.payer_account)
        if len(paid_for) != 1:
            return None, ""
        cid, how = paid_for[0], f"bank account {masked(c.payer_account)}, which paid for {paid_for[0]} before"
    customer = ctx.uow.master.customer(cid)
    if customer is None or not visible(ctx.actor, customer.legal_entity_id):
        return None, ""
    return customer, how


def masked(account: str) -> str:
    """A bank account number as decisions and screens show it: its last four characters."""
    return "…" + account[-4:] if len(account) > 4 else account


def _invoice_numbers(ref: str) -> list[str]:
    """The invoice numbers ``ref`` may be (o2c numbers invoices ``<prefix>-<7 digits>``): as
    written, and with its case, separators and zero padding put right."""
    ref = ref.strip()
    if not ref:
        return []
    out = [ref]
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*?)[\s\-_/.#]*(\d{1,7})", ref)
    if m:
        out.append(f"{m.group(1).upper()}-{int(m.group(2)):07d}")
    return list(dict.fromkeys(out))


#: invoice-like tokens in a bank's free text ("INV US01-0000123", "Rechnung US01 123")
_TOKEN = re.compile(r"\b[A-Za-z]{1,6}\d{0,4}[\s\-_/.#]?\d{3,10}\b")


def _references_in(text: str) -> list[str]:
    return list(dict.fromkeys(m.group().strip() for m in _TOKEN.finditer(text))) if text else []


def _open_invoices(account: Account | None) -> list[OpenInvoice]:
    """The payer's open invoices as matching reads them (their purchase orders are looked up
    only if a reference needs them: :func:`_po_of`)."""
    if account is None:
        return []
    return [_as_open(k, i) for k, i in account.open_items.items() if i.open_amount > 0]


def _open_invoice(account: Account | None, invoice_id: str) -> OpenInvoice | None:
    item = account.open_items.get(invoice_id) if account is not None else None
    return _as_open(invoice_id, item) if item is not None else None


def _as_open(invoice_id: str, i: OpenItem) -> OpenInvoice:
    return OpenInvoice(invoice_id=invoice_id, open_amount=i.open_amount, due_date=i.due_date,
                       discount=i.discount, discount_date=i.discount_date)


def _open_count(account: Account | None) -> int:
    return 0 if account is None else sum(1 for i in account.open_items.values() if i.open_amount > 0)


def _po_of(ctx: Context, account: Account | None) -> Callable[[str], str]:
    """An open invoice's purchase order: its (first) order's. The purchase orders of all the
    account's open invoices are read at once, when a reference first needs one."""
    known: dict[str, str] | None = None

    def po(invoice_id: str) -> str:
        nonlocal known
        item = account.open_items.get(invoice_id) if account is not None else None
        if item is None or not item.order_id:
            return ""
        if known is None:
            assert account is not None
            known = ctx.uow.orders.po_numbers({i.order_id for i in account.open_items.values() if i.order_id})
        return known.get(item.order_id, "")
    return po


def _unidentified(c: cmd.ReceivePayment, ctx: Context, total: Money) -> list[ev.Event]:
    """Cash from a payer o2c cannot place: stored, and queued for a person to identify."""
    said = [f"payer {c.payer_name!r}" if c.payer_name else "", f"account {c.payer_account}" if c.payer_account
            else "", f"references {', '.join(r.invoice_id or r.reference for r in c.references)}"
            if c.references else "", f"text {c.text[:80]!r}" if c.text else ""]
    what = "; ".join(s for s in said if s) or "nothing that identifies the payer"
    return [
        ev.PaymentReceived(payment_id=c.payment_id, customer_id="", amount=total, method=c.method,
                           references=c.references, adjustments=c.adjustments, payer_name=c.payer_name,
                           payer_account=c.payer_account, text=c.text),
        ev.CashUnapplied(
            payment_id=c.payment_id, customer_id="", amount=total,
            reason=f"payer not identified: the payment names no account and no invoice of one "
                   f"account ({what})",
            decision=decision(ctx, "cash/unidentified_payer", HoldCode.CSH_UNAPPLIED.value,
                              {"payer_name": c.payer_name, "payer_account": c.payer_account,
                               "references": len(c.references), "text": c.text[:200]})),
    ]


def _short_pays(c: cmd.ReceivePayment, ctx: Context, customer_id: str, entity_id: str,
                shorts: list[ShortPay], opened: dict[str, Decimal], account: Account | None,
                disputed: dict[str, Decimal]) -> list[ev.Event]:
    """A deduction dispute per short pay, for what the payer's own deductions (already
    disputed) do not explain."""
    out: list[ev.Event] = []
    # What the payer deducted from the payment as a whole explains short pays too.
    pool = disputed.get("", Decimal(0))
    for sp in shorts:
        before = disputed.get(sp.invoice_id, Decimal(0))
        if account is not None:
            before += account.disputed_on(sp.invoice_id)
        left = opened.get(sp.invoice_id, sp.amount)
        amount = min(sp.amount, left) - before
        explained = min(max(amount, Decimal(0)), pool)
        pool -= explained
        amount -= explained
        if amount <= 0:
            continue
        reason = DisputeReason.TERMS if sp.discount_refused else DisputeReason.OTHER
        out.extend(opened_dispute(ctx, ev.DisputeOpened(
            dispute_id=new_dispute_id(ctx), invoice_id=sp.invoice_id,
            customer_id=customer_id, reason_code=reason.value,
            amount=Money(amount, c.currency), payment_id=c.payment_id,
            decision=decision(ctx, "cash/short_pay", HoldCode.CSH_SHORT_PAY.value, {
                "payment_id": c.payment_id, "invoice_id": sp.invoice_id, "matched_by": sp.rule.value,
                "open_after_payment": left, "already_disputed": before,
                "explained_by_account_deductions": explained, "disputed": amount,
                "why": "discount taken after the terms allow it" if sp.discount_refused
                else "paid less than open, no reason given",
            }, entity_id)), entity_id))
    return out


def _named_invoice(a: ev.RemittanceAdjustment) -> str:
    return a.invoice_id or (a.reference if a.reference_qualifier == "IV" else "")


def _remitted(c: cmd.ReceivePayment) -> list[Decimal | None]:
    """What each remittance line pays: its amount, less the deductions of the whole
    remittance that name its invoice (an adjustment of a line is already net in it);
    None where the remittance does not say."""
    amounts = [r.amount for r in c.references]
    for a in c.adjustments:
        named = _named_invoice(a)
        if a.invoice_id or not named or a.amount >= 0:
            continue
        take = -a.amount
        for i, r in enumerate(c.references):
            stated = amounts[i]
            if r.invoice_id == named and take > 0 and stated is not None:
                cut = min(take, stated)
                amounts[i] = stated - cut
                take -= cut
    return amounts


def _deductions(c: cmd.ReceivePayment, ctx: Context, customer: Customer, account: Account | None,
                invoices: dict[str, Invoice], opened: dict[str, Decimal], problems: list[str],
                disputed: dict[str, Decimal]) -> list[ev.Event]:
    """A dispute per deduction, for what the payment leaves open on its invoice and is
    not in dispute already; what finds nothing open is noted in ``problems``, what is
    disputed per invoice added to ``disputed``."""
    cid = customer.customer_id
    claims: list[Claim] = []
    adjustment_of: dict[int, ev.RemittanceAdjustment] = {}
    for a in c.adjustments:
        if a.amount >= 0 or not a.reason_code.strip():
            continue  # an addition, or no reason given: not a deduction case
        named = _named_invoice(a)
        if named and named not in invoices:
            inv = ctx.uow.invoices.get(named)
            if inv is not None and inv.customer_id == cid and inv.currency == c.currency:
                invoices[named] = inv
        claim = Claim(invoice_id=named, amount=-a.amount, reason_code=a.reason_code)
        adjustment_of[id(claim)] = a
        claims.append(claim)
    entity_id = customer.legal_entity_id
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
        dispute_id = new_dispute_id(ctx)
        disputed[d.invoice_id] = disputed.get(d.invoice_id, Decimal(0)) + d.amount
        out.extend(opened_dispute(ctx, ev.DisputeOpened(
            dispute_id=dispute_id, invoice_id=d.invoice_id, customer_id=cid,
            reason_code=d.reason.value, amount=Money(d.amount, c.currency), payment_id=c.payment_id,
            decision=decision(ctx, "cash/deduction", HoldCode.CSH_SHORT_PAY.value, {
                "payment_id": c.payment_id, "invoice_id": d.invoice_id,
                "adjustment_amount": a.amount, "adjustment_reason_code": a.reason_code,
                "adjustment_reference": f"{a.reference_qualifier} {a.reference}".strip(),
                "open_after_payment": open_after[d.invoice_id],
                "already_disputed": before[d.invoice_id], "disputed": d.amount,
            }, entity_id),
        ), entity_id))
    for u in unplaced:
        where = f"invoice {u.invoice_id}" if u.invoice_id else f"account {cid}"
        problems.append(f"deduction of {u.amount} (reason {u.reason_code}) on {where} finds nothing "
                        "open and not already in dispute")
    return out


def _payment_of(ctx: Context, payment_id: str, what: str) -> tuple[Payment, str | None]:
    """The payment a person acts on, and its account's legal entity (None: payer unknown)."""
    p = ctx.uow.payments.get(payment_id)
    entity_id = None
    if p is not None and p.customer_id:
        customer = ctx.uow.master.customer(p.customer_id)
        entity_id = customer.legal_entity_id if customer is not None else None
    if p is None or (entity_id is not None and not visible(ctx.actor, entity_id)):
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"{what}: there is no payment {payment_id}")
    return p, entity_id


def _exact(value: Decimal, currency: str, what: str) -> Decimal:
    problem = minor_unit_problem(value, currency)
    if problem:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: {problem}")
    return value


def apply_cash(c: cmd.ApplyCash, ctx: Context) -> list[ev.Event]:
    """A person places (part of) a payment's unapplied cash: names the payer when o2c could
    not, and applies to an open invoice of that account. The decision records who and why
    (``cash/manual``)."""
    what = f"applying payment {c.payment_id}"
    p, entity_id = _payment_of(ctx, c.payment_id, what)
    out: list[ev.Event] = []
    customer_id = p.customer_id
    if c.customer_id and p.customer_id and c.customer_id != p.customer_id:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: it is from {p.customer_id}, not {c.customer_id}; "
                                               "unapply it there first")
    if p.unapplied <= 0:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: nothing of it is unapplied (applied {p.applied}, "
                                               f"on account {p.on_account})")
    if not customer_id:
        if not c.customer_id:
            raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: o2c does not know who paid it; name the "
                                                   "customer account")
        customer = ctx.uow.master.customer(c.customer_id)
        if customer is None or not visible(ctx.actor, customer.legal_entity_id):
            raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"{what}: there is no customer {c.customer_id}")
        entity = ctx.uow.master.legal_entity(customer.legal_entity_id)
        if entity is not None and entity.currency != p.currency:
            raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: it is in {p.currency}, account {c.customer_id} "
                                                   f"is kept in {entity.currency}")
        customer_id, entity_id = customer.customer_id, customer.legal_entity_id
        out.append(ev.PayerIdentified(payment_id=p.payment_id, customer_id=customer_id,
                                      amount=Money(p.unapplied, p.currency), by=decided_by(ctx),
                                      reason=c.reason))
    if not c.invoice_id:
        return out
    inv = ctx.uow.invoices.get(c.invoice_id)
    if inv is None or inv.customer_id != customer_id:
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"{what}: {c.invoice_id} is not an invoice of {customer_id}")
    amount = _exact(p.unapplied if c.amount is None else c.amount, p.currency, f"{what}: amount")
    discount = _exact(c.discount, p.currency, f"{what}: discount")
    amount = min(amount, inv.open_amount - discount) if c.amount is None else amount
    if amount <= 0 or discount < 0 or amount > p.unapplied:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: {amount} must be positive and at most the "
                                               f"{p.unapplied} unapplied")
    if amount + discount > inv.open_amount:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: {amount} + discount {discount} is more than the "
                                               f"{inv.open_amount} open on {inv.invoice_id}")
    if discount > inv.discount:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: a discount of {discount} is more than the "
                                               f"{inv.discount} its terms allow")
    out.append(ev.PaymentApplied(
        payment_id=p.payment_id, customer_id=customer_id, invoice_id=inv.invoice_id, order_id=inv.order_id,
        amount=Money(amount, p.currency), discount=Money(discount, p.currency), from_unapplied=True,
        decision=decision(ctx, f"cash/{MatchRule.MANUAL.value}", "applied", {
            "invoice_id": inv.invoice_id, "by": decided_by(ctx), "reason": c.reason,
            "open_before": inv.open_amount, "unapplied_before": p.unapplied,
            "candidates": ", ".join(p.candidates)}, entity_id)))
    if inv.open_amount - amount - discount == 0:
        out.append(ev.InvoicePaid(invoice_id=inv.invoice_id, order_id=inv.order_id, customer_id=customer_id,
                                  order_ids=inv.orders))
    return out


def unapply_payment(c: cmd.UnapplyPayment, ctx: Context) -> list[ev.Event]:
    """A person takes back what a payment applied to an invoice (misapplied cash): the
    invoice is open again for it, and the cash waits in the queue to be applied again. The
    discount taken with it comes back only when the whole application is taken back."""
    what = f"unapplying payment {c.payment_id} from {c.invoice_id}"
    p, _ = _payment_of(ctx, c.payment_id, what)
    a = p.applications.get(c.invoice_id)
    if a is None or a.amount <= 0:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: the payment applied nothing there")
    amount = a.amount if c.amount is None else _exact(c.amount, p.currency, f"{what}: amount")
    if amount <= 0 or amount > a.amount:
        raise Rejected(HoldCode.CSH_UNAPPLIED, f"{what}: {amount} must be positive and at most the "
                                               f"{a.amount} applied")
    inv = ctx.uow.invoices.get(c.invoice_id)
    order_id = inv.order_id if inv is not None else ""
    discount = a.discount if amount == a.amount else Decimal(0)
    return [ev.PaymentUnapplied(payment_id=p.payment_id, customer_id=p.customer_id, invoice_id=c.invoice_id,
                                order_id=order_id, amount=Money(amount, p.currency),
                                discount=Money(discount, p.currency), by=decided_by(ctx), reason=c.reason)]
