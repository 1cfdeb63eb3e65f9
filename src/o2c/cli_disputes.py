"""``o2c disputes``: the dispute cases (by status, the role they wait on, the account), one
case as o2c holds it, and what a person does with one: open it on an invoice, attach
evidence, resolve it by a credit memo, a write-off or a rejection."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.table import Table

from o2c.cli_common import AsOpt, DbOpt, JsonOpt, acting, console, fail, opened, submit_as_person
from o2c.domain.disputes import Dispute

disputes = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="Dispute cases: who owns each until when, their evidence, and resolving them.",
)

DisputeArg = Annotated[str, typer.Argument(help="The dispute id (DSP-...).")]


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        fail(f"--amount: {text!r} is not an amount such as 120.00")


def _view(d: Dispute) -> dict[str, Any]:
    return {
        "dispute_id": d.dispute_id,
        "customer_id": d.customer_id,
        "invoice_id": d.invoice_id or None,
        "order_id": d.order_id or None,
        "legal_entity_id": d.legal_entity_id,
        "category": d.category.value,
        "amount": str(d.amount),
        "currency": d.currency,
        "status": d.status.value,
        "owner_role": d.owner_role,
        "escalation_role": d.escalation_role,
        "waits_on": d.waits_on,
        "opened_at": d.opened_at.isoformat(),
        "sla_due": d.sla_due.isoformat() if d.sla_due else None,
        "resolved_at": d.resolved_at.isoformat() if d.resolved_at else None,
        "outcome": d.outcome or None,
        "settled": str(d.settled),
        "credit_memo_id": d.credit_memo_id or None,
        "resolved_by": d.resolved_by or None,
        "lines": list(d.lines),
        "payment_id": d.payment_id or None,
        "note": d.note,
        "evidence": [
            {"kind": x.kind, "reference": x.reference, "text": x.text, "at": x.at.isoformat(), "by": x.by}
            for x in d.evidence
        ],
    }


def _act(
    db: str | None,
    user: str | None,
    kind: str,
    model: type[Any],
    body: dict[str, Any],
    failed: str,
    dispute_id: str,
) -> Dispute | None:
    """A person's action on a case, sent to the engine as them; the case after it."""
    with opened(db) as a:
        submit_as_person(a, acting(a, user), kind, model, body, failed)
        with a.store.unit_of_work() as uow:
            return uow.disputes.get(dispute_id)


def _said(d: Dispute | None) -> None:
    if d is not None:
        due = f", due {d.sla_due.isoformat()}" if d.sla_due and d.is_open else ""
        console.print(
            f"{d.dispute_id} ({d.category.value}, {d.amount} {d.currency} on {d.invoice_id or '-'}): "
            f"{d.status.value}{' ' + d.outcome if d.outcome else ''}, waits on {d.waits_on}{due}"
        )


@disputes.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="open (with the escalated ones), escalated, resolved or rejected.")
    ] = "open",
    owner: Annotated[str | None, typer.Option(help="Only the cases waiting on this role.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this account's.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    user: AsOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Dispute cases, oldest first (by default the open ones), with the role each waits on
    and its SLA."""
    from o2c.api import queries

    if status not in (None, "open", "escalated", "resolved", "rejected"):
        fail(f"--status: {status!r} is not one of open, escalated, resolved, rejected")
    with opened(db) as a:
        actor = acting(a, user)
        found = queries.disputes(
            a.store, status=status, waits_on=owner, customer_id=customer, entities=actor.entities, limit=limit
        )
    if as_json:
        print(json.dumps([_view(d) for d in found], indent=2))
        return
    t = Table(title=f"disputes: {len(found)} case{'s' if len(found) != 1 else ''}")
    for col in (
        "dispute",
        "opened",
        "customer",
        "invoice",
        "category",
        "amount",
        "status",
        "waits on",
        "due",
    ):
        t.add_column(col, justify="right" if col == "amount" else "left", overflow="fold")
    for d in found:
        t.add_row(
            d.dispute_id,
            d.opened_at.date().isoformat(),
            d.customer_id,
            d.invoice_id or "-",
            d.category.value,
            f"{d.amount} {d.currency}",
            d.status.value,
            d.waits_on,
            d.sla_due.isoformat(timespec="minutes") if d.sla_due else "-",
        )
    console.print(t)


@disputes.command("show")
def show(dispute: DisputeArg, user: AsOpt = None, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """One case: what is contested, its route and SLA, its evidence and how it ended."""
    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            d = uow.disputes.get(dispute)
        if d is None or not actor.acts_for(d.legal_entity_id):
            fail(f"no dispute {dispute}")
    view = _view(d)
    if as_json:
        print(json.dumps(view, indent=2))
        return
    for key, value in view.items():
        if key == "evidence":
            value = (
                "; ".join(
                    f"{x['kind']} {x['reference']} {x['text']} ({x['by']})".replace("  ", " ") for x in value
                )
                or "-"
            )
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        console.print(f"{key:>15}: {value if value not in (None, '') else '-'}")


@disputes.command("open")
def open_(
    invoice: Annotated[str, typer.Argument(help="The invoice contested.")],
    category: Annotated[
        str,
        typer.Option(help="pricing, shortage, damage, missing_pod, duplicate_billing, tax, terms or other."),
    ],
    note: Annotated[str, typer.Option(help="What the customer says.")] = "",
    amount: Annotated[
        str | None,
        typer.Option(help="How much; default: the lines' amount, else what is open and not yet in dispute."),
    ] = None,
    line: Annotated[list[int] | None, typer.Option(help="An invoice line contested (repeat).")] = None,
    user: AsOpt = None,
    db: DbOpt = None,
) -> None:
    """Open a dispute case on INVOICE as you: routed by the policy to the role owning its
    category, with its SLA."""
    from o2c.adapters.canonical import DisputeIn
    from o2c.api import queries

    body = {
        "invoice_id": invoice,
        "category": category,
        "note": note,
        "amount": _amount(amount),
        "lines": line or [],
    }
    with opened(db) as a:
        submit_as_person(a, acting(a, user), "dispute", DisputeIn, body, f"no dispute opened on {invoice}")
        found = queries.disputes(a.store, invoice_id=invoice, limit=100_000)
    _said(found[-1] if found else None)


@disputes.command("evidence")
def evidence(
    dispute: DisputeArg,
    kind: Annotated[str, typer.Option(help="pod, signed_bol, contract_price, note or document.")],
    reference: Annotated[str, typer.Option(help="A document id or reference (not the document).")] = "",
    text: Annotated[str, typer.Option(help="What it shows.")] = "",
    user: AsOpt = None,
    db: DbOpt = None,
) -> None:
    """Attach evidence to DISPUTE as you (its owner role, escalation role, ar_manager or
    controller)."""
    from o2c.adapters.canonical import DisputeEvidenceIn

    if not (reference.strip() or text.strip()):
        fail("give --reference or --text")
    _said(
        _act(
            db,
            user,
            "dispute_evidence",
            DisputeEvidenceIn,
            {"dispute_id": dispute, "kind": kind, "reference": reference, "text": text},
            f"no evidence attached to {dispute}",
            dispute,
        )
    )


@disputes.command("resolve")
def resolve(
    dispute: DisputeArg,
    by: Annotated[str, typer.Option("--by", help="credit_memo, write_off or reject.")],
    reason: Annotated[str, typer.Option(help="Why, for the audit and the customer.")],
    amount: Annotated[
        str | None, typer.Option(help="How much to credit or write off; default: the case's amount.")
    ] = None,
    user: AsOpt = None,
    db: DbOpt = None,
) -> None:
    """Close DISPUTE as you: a credit memo on its invoice, a write-off within your limit, or a
    rejection (the amount stays owed; it needs evidence on the case)."""
    from o2c.adapters.canonical import DisputeResolutionIn

    if not reason.strip():
        fail("--reason: say why")
    _said(
        _act(
            db,
            user,
            "dispute_resolution",
            DisputeResolutionIn,
            {"dispute_id": dispute, "resolution": by, "reason": reason, "amount": _amount(amount)},
            f"{dispute} not resolved",
            dispute,
        )
    )
