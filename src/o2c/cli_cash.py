"""``o2c cash``: the cash application queue (payments with cash waiting for a person), one
payment as o2c holds it, and what a person of cash application does with it: name the
payer, apply unapplied cash to an invoice, take back a misapplied application."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.table import Table

from o2c.cli_common import AsOpt, DbOpt, JsonOpt, acting, console, fail, opened, submit_as_person
from o2c.domain.payments import Payment

cash = typer.Typer(pretty_exceptions_show_locals=False,
                   help="Cash application: the queue of unapplied cash, and applying or unapplying "
                        "it by hand.")

PaymentArg = Annotated[str, typer.Argument(help="The payment id (the trace, check or bank reference).")]
ReasonOpt = Annotated[str, typer.Option(help="Why, for the audit and whoever looks next.")]


def _amount(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        fail(f"{option}: {text!r} is not an amount such as 120.00")


def _view(p: Payment) -> dict[str, Any]:
    return {"payment_id": p.payment_id, "customer_id": p.customer_id or None, "currency": p.currency,
            "amount": str(p.amount), "received_at": p.received_at.isoformat(), "method": p.method,
            "payer_name": p.payer_name, "payer_account": p.payer_account, "text": p.text,
            "applied": {k: {"amount": str(a.amount), "discount": str(a.discount)}
                        for k, a in sorted(p.applications.items())},
            "on_account": str(p.on_account), "unapplied": str(p.unapplied), "reason": p.reason,
            "candidates": list(p.candidates)}


def _visible(a: Any, actor: Any, p: Payment | None) -> bool:
    if p is None:
        return False
    if not p.customer_id:
        return True  # not yet anyone's: every legal entity's cash application may identify it
    with a.store.unit_of_work() as uow:
        customer = uow.master.customer(p.customer_id)
    return customer is not None and actor.acts_for(customer.legal_entity_id)


def _act(db: str | None, user: str | None, kind: str, model: type[Any], body: dict[str, Any],
         failed: str) -> Payment | None:
    """A person's action on a payment, sent to the engine as them; the payment after it."""
    with opened(db) as a:
        submit_as_person(a, acting(a, user), kind, model, body, failed)
        with a.store.unit_of_work() as uow:
            return uow.payments.get(str(body["payment_id"]))


@cash.command("queue")
def queue(user: AsOpt = None, limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
          as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """Payments with cash waiting for a person, oldest first: unidentified payers, amounts
    two answers fit, references that name nothing open. Each with why and its candidates."""
    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            found = [p for k in uow.payments.waiting(limit) if (p := uow.payments.get(k)) is not None]
        items = [p for p in found if _visible(a, actor, p)]
    if as_json:
        print(json.dumps([_view(p) for p in items], indent=2))
        return
    t = Table(title=f"cash application queue: {len(items)} payment{'s' if len(items) != 1 else ''} waiting")
    for col in ("payment", "received", "payer", "unapplied", "why", "candidates"):
        t.add_column(col, justify="right" if col == "unapplied" else "left", overflow="fold")
    for p in items:
        payer = p.customer_id or f"? {p.payer_name}".strip()
        t.add_row(p.payment_id, p.received_at.date().isoformat(), payer, f"{p.unapplied} {p.currency}",
                  p.reason, ", ".join(p.candidates))
    console.print(t)


@cash.command("show")
def show(payment: PaymentArg, user: AsOpt = None, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """One payment: who paid, where its cash went (applied per invoice, on account, unapplied)
    and why what is unapplied waits."""
    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            p = uow.payments.get(payment)
        if p is None or not _visible(a, actor, p):
            fail(f"no payment {payment}")
    view = _view(p)
    if as_json:
        print(json.dumps(view, indent=2))
        return
    for key, value in view.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v['amount']}" + (f" (discount {v['discount']})" if v["discount"] != "0"
                                                       else "") for k, v in value.items()) or "-"
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        console.print(f"{key:>13}: {value if value not in (None, '') else '-'}")


@cash.command("apply")
def apply(payment: PaymentArg, reason: ReasonOpt,
          invoice: Annotated[str | None, typer.Option(help="The invoice to apply to; without it, only "
                                                           "--customer is named as the payer.")] = None,
          amount: Annotated[str | None, typer.Option(help="How much; default: all that fits.")] = None,
          discount: Annotated[str, typer.Option(help="A discount granted with it.")] = "0",
          customer: Annotated[str | None, typer.Option(help="The payer's account, when o2c did not "
                                                             "identify it.")] = None,
          user: AsOpt = None, db: DbOpt = None) -> None:
    """Apply PAYMENT's unapplied cash as you (cash_app, ar_manager or controller): to
    --invoice, naming --customer when the payer was not identified. Audited with your reason."""
    from o2c.adapters.canonical import CashApplicationIn

    if not reason.strip():
        fail("--reason: say why")
    if invoice is None and customer is None:
        fail("say where the cash goes: --invoice, or --customer to name the payer")
    body = {"payment_id": payment, "invoice_id": invoice or "", "amount": _amount(amount, "--amount"),
            "discount": _amount(discount, "--discount"), "customer_id": customer or "", "reason": reason}
    p = _act(db, user, "cash_application", CashApplicationIn, body, f"{payment} not applied")
    if p is not None:
        console.print(f"{payment}: applied {p.applied}, on account {p.on_account}, unapplied {p.unapplied} "
                      f"{p.currency}")


@cash.command("unapply")
def unapply(payment: PaymentArg,
            invoice: Annotated[str, typer.Argument(help="The invoice it was applied to.")], reason: ReasonOpt,
            amount: Annotated[str | None, typer.Option(help="How much to take back; default: all.")] = None,
            user: AsOpt = None, db: DbOpt = None) -> None:
    """Take back what PAYMENT applied to INVOICE, as you: the invoice is open again for it and
    the cash waits in the queue to be applied again."""
    from o2c.adapters.canonical import CashUnapplicationIn

    if not reason.strip():
        fail("--reason: say why")
    body = {"payment_id": payment, "invoice_id": invoice, "amount": _amount(amount, "--amount"),
            "reason": reason}
    p = _act(db, user, "cash_unapplication", CashUnapplicationIn, body,
             f"{payment} not unapplied from {invoice}")
    if p is not None:
        console.print(f"{payment}: unapplied now {p.unapplied} {p.currency}; {invoice} is open again")
