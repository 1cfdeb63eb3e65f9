"""Dispute cases: routed when they open, escalated when their SLA passes, and resolved by a
person with the authority to (see :mod:`o2c.domain.disputes`).

- **Opening** (:func:`opened`), from any source (a deduction in cash application, a person,
  a customer's 812): the ``disputes`` policy routes the case by its category, recorded as a
  decision ``disputes/route/<category>`` naming the owner role and the SLA's due time; o2c
  attaches what it knows itself (the proof of delivery of the invoiced shipments, the
  contract price the lines were priced by).
- **Acting** on a case (evidence, resolution) needs a person holding its owner role, its
  escalation role (or the role it escalated to), ``ar_manager`` or ``controller``; a
  write-off only up to the policy's limit for the person's roles. Refusals read like any
  other (``Forbidden``), and every action is audited by the bus.
- **Resolving**: a credit memo on the invoice (``CreditMemoIssued`` naming the dispute and
  its lines), a write-off (``ReceivableWrittenOff``), or a rejection, which needs evidence
  on the case (the amount stays owed). Each ends with ``DisputeResolved``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.disputes import (
    Dispute,
    DisputeReason,
    EvidenceKind,
    Resolution,
    reason_for_category,
)
from o2c.domain.holds import Role
from o2c.domain.money import Money, minor_unit_problem
from o2c.engine import commands as cmd
from o2c.engine.authority import next_up, visible
from o2c.engine.context import Context
from o2c.engine.errors import Forbidden, Rejected
from o2c.engine.handlers.billing import credit_memo
from o2c.engine.handlers.common import decided_by, decision

#: the refusal code of what a dispute command cannot do
DSP_INVALID = "DSP-INVALID"
#: who attaches what o2c knows itself
O2C = "o2c"


def opened(ctx: Context, e: ev.DisputeOpened, legal_entity_id: str) -> list[ev.Event]:
    """The case ``e`` opens, routed by the policy of ``legal_entity_id``, followed by the
    evidence o2c holds for it."""
    category = reason_for_category(e.reason_code)
    route = ctx.section(legal_entity_id).disputes.route(category.value)
    due = route.due(ctx.now(), ctx.zone(legal_entity_id))
    d = decision(
        ctx,
        f"disputes/route/{category.value}",
        route.owner,
        {
            "category": category.value,
            "route": route.category,
            "owner_role": route.owner,
            "escalation_role": route.escalation,
            "sla": route.sla_text,
            "sla_due_at": due.isoformat(),
            "amount": e.amount.amount,
            "currency": e.amount.currency,
            "customer_id": e.customer_id,
            "invoice_id": e.invoice_id,
        },
        legal_entity_id,
    )
    case = dataclasses.replace(
        e,
        legal_entity_id=legal_entity_id,
        owner_role=route.owner,
        escalation_role=route.escalation,
        sla_due_at=due,
        route=d,
    )
    return [case, *_known_evidence(ctx, case)]


def _known_evidence(ctx: Context, e: ev.DisputeOpened) -> list[ev.Event]:
    """What o2c knows about the disputed invoice: the proof of delivery of each shipment it
    bills, and (for a pricing dispute) the contract price each of its order's lines was
    priced by."""
    inv = ctx.uow.invoices.get(e.invoice_id) if e.invoice_id else None
    if inv is None:
        return []
    out: list[ev.Event] = []
    for order_id in inv.orders:
        order = ctx.uow.orders.get(order_id)
        if order is None:
            continue
        for sh in order.shipments:
            if sh.invoice_id == inv.invoice_id and sh.delivered_at is not None:
                out.append(
                    _evidence(
                        e,
                        EvidenceKind.POD,
                        f"ProofOfDeliveryReceived {order_id}/{sh.shipment_id}",
                        f"delivered {sh.delivered_at.isoformat()}",
                    )
                )
        if e.reason_code != DisputeReason.PRICING.value:
            continue
        for ln in order.lines:
            if ln.price_source.startswith("contract:") and (not e.lines or ln.line_no in e.lines):
                out.append(
                    _evidence(
                        e,
                        EvidenceKind.CONTRACT_PRICE,
                        ln.price_source.removeprefix("contract:"),
                        f"{order_id} line {ln.line_no} {ln.product_id} at {ln.unit_price}",
                    )
                )
    return out


def _evidence(
    e: ev.DisputeOpened, kind: EvidenceKind, reference: str, text: str
) -> ev.DisputeEvidenceAttached:
    return ev.DisputeEvidenceAttached(
        dispute_id=e.dispute_id,
        invoice_id=e.invoice_id,
        customer_id=e.customer_id,
        kind=kind.value,
        reference=reference,
        text=text,
        by=O2C,
    )


def new_dispute_id(ctx: Context) -> str:
    return f"DSP-{ctx.uow.sequences.next_id('dispute'):07d}"


# ---------------------------------------------------------------- a person's actions


def open_dispute(c: cmd.OpenDispute, ctx: Context) -> list[ev.Event]:
    """A dispute opened by hand (or by a customer's 812) on an invoice: for the lines it
    names (their amount) or ``amount``, at most what is open on the invoice and not already
    in dispute."""
    what = f"opening a dispute on {c.invoice_id}"
    inv = ctx.uow.invoices.get(c.invoice_id)
    if inv is None or not visible(ctx.actor, inv.legal_entity_id):
        raise Rejected("INT-UNKNOWN-REFERENCE", f"{what}: there is no invoice {c.invoice_id}")
    try:
        category = DisputeReason(c.category)
    except ValueError:
        raise Rejected(
            DSP_INVALID,
            f"{what}: {c.category!r} is not a category ({', '.join(r.value for r in DisputeReason)})",
        ) from None
    account = ctx.uow.accounts.get(inv.customer_id)
    room = inv.open_amount - (account.disputed_on(inv.invoice_id) if account is not None else Decimal(0))
    amount = c.amount
    if c.lines:
        billed = _lines_of(ctx, inv)
        unknown = sorted(set(c.lines) - set(billed))
        if unknown:
            raise Rejected(
                DSP_INVALID,
                f"{what}: it has no line {', '.join(map(str, unknown))} "
                f"(lines {', '.join(map(str, sorted(billed)))})",
            )
        if amount is None:
            amount = sum((billed[n] for n in set(c.lines)), Decimal(0))
    if amount is None:
        amount = room
    _exact(amount, inv.currency, what)
    if amount <= 0 or amount > room:
        raise Rejected(
            DSP_INVALID,
            f"{what}: {amount} must be positive and at most the {room} {inv.currency} "
            f"open and not already in dispute",
        )
    return opened(
        ctx,
        ev.DisputeOpened(
            dispute_id=new_dispute_id(ctx),
            invoice_id=inv.invoice_id,
            customer_id=inv.customer_id,
            reason_code=category.value,
            amount=Money(amount, inv.currency),
            lines=tuple(sorted(set(c.lines))),
            note=c.note,
            opened_by=decided_by(ctx),
        ),
        inv.legal_entity_id,
    )


def _lines_of(ctx: Context, inv: Invoice) -> dict[int, Decimal]:
    """The invoice's lines (line number -> amount), from its ``InvoiceIssued``."""
    for env in ctx.uow.events.for_correlation(inv.order_id):
        p = env.payload
        if isinstance(p, ev.InvoiceIssued) and p.invoice_id == inv.invoice_id:
            out: dict[int, Decimal] = {}
            for ln in p.lines:
                out[ln.line_no] = out.get(ln.line_no, Decimal(0)) + ln.amount
            return out
    return {}


def _exact(value: Decimal, currency: str, what: str) -> None:
    problem = minor_unit_problem(value, currency)
    if problem:
        raise Rejected(DSP_INVALID, f"{what}: {problem}")


def _case(ctx: Context, dispute_id: str, what: str) -> Dispute:
    """The case a person acts on, if they may: refused like an unknown one if it belongs to
    a legal entity they do not act for, ``Forbidden`` if none of their roles may act on it."""
    d = ctx.uow.disputes.get(dispute_id)
    if d is None or (d.legal_entity_id and not visible(ctx.actor, d.legal_entity_id)):
        raise Rejected("INT-UNKNOWN-REFERENCE", f"{what}: there is no dispute {dispute_id}")
    held = {r.value for r in ctx.actor.roles}
    if not held & d.acting_roles:
        raise Forbidden(
            f"{what}: the case waits on {d.waits_on}; only {', '.join(sorted(d.acting_roles))} may "
            f"act on it, and {ctx.actor.label} holds {', '.join(sorted(held)) or 'no role'}"
        )
    if not d.is_open:
        raise Rejected(DSP_INVALID, f"{what}: the case is {d.status.value} already ({d.outcome})")
    return d


def attach_evidence(c: cmd.AttachEvidence, ctx: Context) -> list[ev.Event]:
    what = f"attaching evidence to {c.dispute_id}"
    d = _case(ctx, c.dispute_id, what)
    try:
        kind = EvidenceKind(c.kind)
    except ValueError:
        raise Rejected(
            DSP_INVALID,
            f"{what}: {c.kind!r} is not a kind of evidence ({', '.join(k.value for k in EvidenceKind)})",
        ) from None
    if not (c.reference.strip() or c.text.strip()):
        raise Rejected(DSP_INVALID, f"{what}: give a reference (a document id) or a text")
    return [
        ev.DisputeEvidenceAttached(
            dispute_id=d.dispute_id,
            invoice_id=d.invoice_id,
            customer_id=d.customer_id,
            kind=kind.value,
            reference=c.reference.strip(),
            text=c.text.strip(),
            by=decided_by(ctx),
        )
    ]


def resolve_dispute(c: cmd.ResolveDispute, ctx: Context) -> list[ev.Event]:
    """Close a case by a credit memo, a write-off (within the person's authority) or a
    rejection with evidence; see the module's docstring."""
    what = f"resolving {c.dispute_id}"
    d = _case(ctx, c.dispute_id, what)
    try:
        resolution = Resolution(c.resolution)
    except ValueError:
        raise Rejected(
            DSP_INVALID,
            f"{what}: {c.resolution!r} is not a resolution ({', '.join(r.value for r in Resolution)})",
        ) from None
    if not c.reason.strip():
        raise Rejected(DSP_INVALID, f"{what}: say why")
    by, cur = decided_by(ctx), d.currency
    inputs: dict[str, object] = {
        "dispute_id": d.dispute_id,
        "category": d.category.value,
        "by": by,
        "reason": c.reason,
        "disputed": d.amount,
        "waits_on": d.waits_on,
        "evidence": len(d.evidence),
    }
    resolved = ev.DisputeResolved(
        dispute_id=d.dispute_id,
        invoice_id=d.invoice_id,
        customer_id=d.customer_id,
        outcome=resolution.value,
        credit_memo_id=None,
        amount=Money(d.amount, cur),
        by=by,
        reason=c.reason,
    )
    if resolution is Resolution.REJECT:
        if not d.evidence:
            raise Rejected(
                DSP_INVALID,
                f"{what}: a rejection needs evidence on the case; attach the POD, signed "
                "bill of lading, contract price or a note first",
            )
        return [
            dataclasses.replace(
                resolved,
                decision=decision(ctx, "disputes/resolve/reject", "rejected", inputs, d.legal_entity_id),
            )
        ]
    inv = ctx.uow.invoices.get(d.invoice_id) if d.invoice_id else None
    if inv is None:
        raise Rejected(
            DSP_INVALID, f"{what}: the dispute names no invoice of o2c's; only a rejection closes it"
        )
    amount = d.amount if c.amount is None else c.amount
    _exact(amount, cur, what)
    if amount <= 0 or amount > inv.open_amount:
        raise Rejected(
            DSP_INVALID,
            f"{what}: {amount} must be positive and at most the {inv.open_amount} {cur} "
            f"open on {inv.invoice_id}",
        )
    settled = Money(amount, cur)
    inputs.update(amount=amount, open_before=inv.open_amount)
    if resolution is Resolution.CREDIT_MEMO:
        out = credit_memo(
            ctx, inv, settled, f"dispute {d.dispute_id}: {c.reason}", dispute_id=d.dispute_id, lines=d.lines
        )
        memo = out[0]
        assert isinstance(memo, ev.CreditMemoIssued)
        return [
            *out,
            dataclasses.replace(
                resolved,
                credit_memo_id=memo.credit_memo_id,
                settled=settled,
                decision=decision(ctx, "disputes/resolve/credit_memo", "credited", inputs, d.legal_entity_id),
            ),
        ]
    held = sorted({r.value for r in ctx.actor.roles} & d.acting_roles)
    limit = ctx.section(d.legal_entity_id).disputes.write_off_limit(held, cur)
    if amount > limit:
        raise Forbidden(
            f"{what}: writing off {amount} {cur} is beyond {ctx.actor.label}'s authority "
            f"(at most {limit} {cur} as {', '.join(held)}); ask ar_manager or controller"
        )
    d_off = decision(
        ctx,
        "disputes/write_off_limits",
        "written_off",
        {**inputs, "limit": limit, "roles": ",".join(held)},
        d.legal_entity_id,
    )
    off = ev.ReceivableWrittenOff(
        write_off_id=f"WO-{ctx.uow.sequences.next(f'write_off:{inv.legal_entity_id}'):07d}",
        invoice_id=inv.invoice_id,
        order_id=inv.order_id,
        customer_id=inv.customer_id,
        amount=settled,
        dispute_id=d.dispute_id,
        by=by,
        reason=c.reason,
        decision=d_off,
    )
    out = [off]
    if inv.open_amount - amount == 0:
        out.append(
            ev.InvoicePaid(
                invoice_id=inv.invoice_id,
                order_id=inv.order_id,
                customer_id=inv.customer_id,
                order_ids=inv.orders,
            )
        )
    return [
        *out,
        dataclasses.replace(resolved, settled=settled, write_off_id=off.write_off_id, decision=d_off),
    ]


# ---------------------------------------------------------------- SLA


def escalate_dispute(ctx: Context, dispute_id: str, due: datetime) -> list[ev.Event]:
    """A case still open at its SLA goes to its route's escalation role, and from there up
    that role's ladder, due again by the route's SLA while someone is above."""
    d = ctx.uow.disputes.get(dispute_id)
    if d is None or not d.is_open:
        return []
    to_role = d.escalation_role if not d.escalated_to else _up(d.escalated_to)
    if not to_role or to_role == d.waits_on:
        return []
    route = ctx.section(d.legal_entity_id).disputes.route(d.category.value)
    above = _up(to_role)
    next_due = route.due(ctx.now(), ctx.zone(d.legal_entity_id)) if above else None
    dec = decision(
        ctx,
        f"disputes/escalate/{d.category.value}",
        to_role,
        {
            "dispute_id": d.dispute_id,
            "from_role": d.waits_on,
            "to_role": to_role,
            "sla": route.sla_text,
            "due_at": due.isoformat(),
            "opened_at": d.opened_at.isoformat(),
        },
        d.legal_entity_id,
    )
    return [
        ev.DisputeEscalated(
            dispute_id=d.dispute_id,
            invoice_id=d.invoice_id,
            customer_id=d.customer_id,
            from_role=d.waits_on,
            to_role=to_role,
            sla_due_at=due,
            next_due_at=next_due,
            decision=dec,
        )
    ]


def _up(role: str) -> str:
    try:
        above = next_up(Role(role))
    except ValueError:
        return ""
    return above.value if above is not None else ""
