"""``o2c invoices``: an invoice as o2c holds it, and the credit memos a person issues on it."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from o2c.cli_common import AsOpt, DbOpt, JsonOpt, acting, console, fail, opened, submit_as_person

invoices = typer.Typer(pretty_exceptions_show_locals=False,
                       help="Invoices: look one up, and credit it (a credit memo).")

InvoiceArg = Annotated[str, typer.Argument(help="The invoice number, such as US01-0000042.")]


@invoices.command("show")
def show(invoice: InvoiceArg, user: AsOpt = None, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """The invoice as o2c holds it: total, what was applied, discounted and credited, what is
    open, and its credit memos. Another legal entity's invoice is not found."""
    import json

    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            inv = uow.invoices.get(invoice)
    if inv is None or not actor.acts_for(inv.legal_entity_id):
        fail(f"no invoice {invoice}")
    view = {"invoice_id": inv.invoice_id, "order_id": inv.order_id, "orders": list(inv.orders),
            "customer_id": inv.customer_id,
            "legal_entity_id": inv.legal_entity_id, "currency": inv.currency,
            "invoice_date": inv.invoice_date.isoformat(), "due_date": inv.due_date.isoformat(),
            "total": str(inv.total), "applied": str(inv.applied),
            "discount_taken": str(inv.discount_taken), "credited": str(inv.credited),
            "open": str(inv.open_amount), "status": inv.status.value,
            "credit_memos": list(inv.credit_memo_ids)}
    if as_json:
        print(json.dumps(view, indent=2))
        return
    for key, value in view.items():
        console.print(f"{key:>15}: {', '.join(value) if isinstance(value, list) else value}")


@invoices.command("credit-memo")
def credit_memo(invoice: InvoiceArg,
                amount: Annotated[str, typer.Option(help="How much to credit, in the invoice's "
                                                         "currency, such as 120.00.")],
                reason: Annotated[str, typer.Option(help="Why, as the customer will read it.")],
                user: AsOpt = None, db: DbOpt = None) -> None:
    """Credit INVOICE as you: a credit memo of --amount (at most what is open), sent to the
    engine like any message, which checks your role (billing, ar_manager or controller) and
    legal entity, numbers the memo in the legal entity's own sequence and audits it."""
    from o2c.adapters.canonical import CreditMemoIn

    try:
        value = Decimal(amount)
    except InvalidOperation:
        fail(f"--amount: {amount!r} is not an amount such as 120.00")
    if not reason.strip():
        fail("--reason: say why the invoice is credited")
    with opened(db) as a:
        actor = acting(a, user)
        submit_as_person(a, actor, "credit_memo", CreditMemoIn,
                         {"invoice_id": invoice, "amount": value, "reason": reason, "by": actor.id},
                         f"{invoice} not credited")
        with a.store.unit_of_work() as uow:
            inv = uow.invoices.get(invoice)
    memo = inv.credit_memo_ids[-1] if inv and inv.credit_memo_ids else "?"
    console.print(f"{memo} credits {value} {inv.currency if inv else ''} on {invoice}; open now "
                  f"{inv.open_amount if inv else '?'} ({inv.status.value if inv else '?'})")


@invoices.command("print")
def print_(invoice: InvoiceArg,
           out: Annotated[Path | None, typer.Option("--out", help="Write the page to this file "
                                                                 "(default: print it).")] = None,
           user: AsOpt = None, db: DbOpt = None) -> None:
    """The invoice as one self-contained HTML page with every legal field: the legal entity's
    name, address and tax registrations, bill-to and ship-to, dates, terms, PO numbers, lines,
    taxes by jurisdiction, totals and where to pay (docs/billing.md)."""
    from o2c.adapters.invoice_print import printable, render_html

    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            page = printable(uow, invoice)
    if page is None or not actor.acts_for(page.invoice.legal_entity_id):
        fail(f"no invoice {invoice}")
    text = render_html(page)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, "utf-8")
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror}")
    console.print(f"{invoice} written to {out}")
