"""Collections: the daily dunning run and promises to pay (see
:mod:`o2c.domain.collections` for the definitions, the policy's ``collections`` section for
the steps).

- **Dunning** (``dunning_run`` timer per legal entity, daily at ``collections.run_at`` in
  its zone, setting its next run when it fires; or ``RunDunning`` by an operator): each
  open invoice of the entity past due on the entity's business date gets the latest step
  it has reached, each step at most once (``DunningNoticeSent``, rule
  ``collections/dunning/<step>``), for its undisputed rest only; nothing for an invoice
  all in dispute, below ``minimum_amount``, or covered by a standing promise to pay.
  The notice is written to the outbox (``dunning_notice``) with its rendered text.
- **Promise to pay** (``RecordPromiseToPay``, by a person of a role the policy's
  ``promise_roles`` names): ``PromiseToPayRecorded``; a ``promise_due`` timer fires
  ``promise_grace_days`` after the promised date: ``PromiseKept`` if the account has paid
  the promised amount since (cash applied, discounts, credit memos), else
  ``PromiseBroken`` (the account goes to the top of the worklist; dunning resumes).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from o2c.domain import events as ev
from o2c.domain.billing import InvoiceStatus
from o2c.domain.business_time import start_of_day, zone
from o2c.domain.collections import render, step_due, undisputed
from o2c.domain.holds import HoldCode
from o2c.domain.money import Money, minor_unit_problem
from o2c.domain.timers import Timer, TimerKind, dunning_timer_id, promise_timer_id
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Forbidden, Rejected
from o2c.engine.handlers.common import decided_by, decision

# ---------------------------------------------------------------- timers


def next_run(ctx: Context, legal_entity_id: str, after: datetime) -> datetime | None:
    """The entity's first dunning run after ``after`` (None: its policy has no steps)."""
    pol = ctx.section(legal_entity_id).collections
    if not pol.steps:
        return None
    tz = ctx.zone(legal_entity_id)
    day = after.astimezone(zone(tz)).date()
    for d in (day, day + timedelta(days=1)):
        at = datetime.combine(d, pol.run_at, zone(tz))
        if at > after:
            return at.astimezone(UTC)
    return None  # pragma: no cover - the next day's run is always after


def dunning_timer(legal_entity_id: str, due_at: datetime, day: date) -> Timer:
    return Timer(timer_id=dunning_timer_id(legal_entity_id, day.isoformat()), kind=TimerKind.DUNNING_RUN,
                 due_at=due_at, subject=legal_entity_id, correlation_id=f"legal_entity:{legal_entity_id}",
                 payload={"legal_entity_id": legal_entity_id})


def _arm_first_notice(ctx: Context, e: ev.InvoiceIssued) -> None:
    """The entity's dunning run on the first day the invoice may get a notice (its due date
    plus the first step's days), unless that day's run is set already; each run sets the
    next day's, so the runs go on daily from the first invoice that can fall past due."""
    pol = ctx.section(e.legal_entity_id).collections
    if not pol.steps:
        return
    day = e.due_date + timedelta(days=pol.steps[0].days)
    at = datetime.combine(day, pol.run_at, zone(ctx.zone(e.legal_entity_id))).astimezone(UTC)
    ctx.uow.timers.schedule_new(dunning_timer(e.legal_entity_id, at, day))


def promise_timer(e: ev.PromiseToPayRecorded) -> Timer:
    return Timer(timer_id=promise_timer_id(e.promise_id), kind=TimerKind.PROMISE_DUE, due_at=e.due_at,
                 subject=e.promise_id, correlation_id=f"account:{e.customer_id}",
                 payload={"promise_id": e.promise_id, "customer_id": e.customer_id,
                          "legal_entity_id": e.legal_entity_id})


def arm(ctx: Context, env: ev.Envelope) -> None:
    """Collections' timers an event sets: an entity's dunning run on the first day an invoice
    may be dunned, and a promise's due check."""
    e = env.payload
    match e:
        case ev.PromiseToPayRecorded():
            ctx.uow.timers.schedule(promise_timer(e))
        case ev.InvoiceIssued():
            _arm_first_notice(ctx, e)
        case _:
            pass


# ---------------------------------------------------------------- dunning


def dunning_due(ctx: Context, payload: dict[str, str]) -> list[ev.Event]:
    """The ``dunning_run`` timer: run, then set the next run."""
    entity_id = payload["legal_entity_id"]
    out = dun(ctx, entity_id)
    now = ctx.now()
    at = next_run(ctx, entity_id, now)
    if at is not None:
        day = at.astimezone(zone(ctx.zone(entity_id))).date()
        ctx.uow.timers.schedule(dunning_timer(entity_id, at, day))
    return out


def run_dunning(c: cmd.RunDunning, ctx: Context) -> list[ev.Event]:
    """An operator runs one entity's dunning now."""
    if ctx.uow.master.legal_entity(c.legal_entity_id) is None or not visible(ctx.actor, c.legal_entity_id):
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"there is no legal entity {c.legal_entity_id!r}")
    return dun(ctx, c.legal_entity_id)


def dun(ctx: Context, entity_id: str) -> list[ev.Event]:
    """One entity's dunning on its business date now (see the module's docstring)."""
    pol = ctx.section(entity_id).collections
    if not pol.steps:
        return []
    today = ctx.today(entity_id)
    uow = ctx.uow
    ids = uow.invoices.past_due(entity_id, today)
    uow.prefetch(invoices=ids)
    invoices = [i for i in (uow.invoices.get(k) for k in ids)
                if i is not None and i.status is InvoiceStatus.OPEN]
    uow.prefetch(accounts={i.customer_id for i in invoices}, customers={i.customer_id for i in invoices})
    out: list[ev.Event] = []
    for inv in invoices:
        days = (today - inv.due_date).days
        rest = undisputed(inv.open_amount, inv.disputed)
        if days <= 0 or rest <= 0 or rest < pol.minimum_amount:
            continue
        account = uow.accounts.get(inv.customer_id)
        if account is not None and account.promised(inv.invoice_id):
            continue
        step = step_due(pol.steps, days, inv.dunned)
        if step is None:
            continue
        customer = uow.master.customer(inv.customer_id)
        name = customer.name if customer is not None else inv.customer_id
        text = render(step.template, customer=name, invoice=inv.invoice_id, amount=rest,
                      currency=inv.currency, due_date=inv.due_date, days=days)
        d = decision(ctx, f"collections/dunning/{step.name}", step.channel, {
            "invoice_id": inv.invoice_id, "as_of": today.isoformat(), "due_date": inv.due_date.isoformat(),
            "days_past_due": days, "step_days": step.days, "open_amount": inv.open_amount,
            "disputed": inv.disputed, "undisputed": rest, "minimum_amount": pol.minimum_amount,
            "sent_before": ",".join(inv.dunned)}, entity_id)
        out.append(ev.DunningNoticeSent(
            customer_id=inv.customer_id, invoice_id=inv.invoice_id, legal_entity_id=entity_id, step=step.name,
            channel=step.channel, days_past_due=days, due_date=inv.due_date, amount=Money(rest, inv.currency),
            text=text, decision=d))
    return out


# ---------------------------------------------------------------- promises

#: the codes a refused promise names
INVALID, NOTHING_OPEN = "COL-PROMISE-INVALID", "COL-NOTHING-OPEN"


def record_promise(c: cmd.RecordPromiseToPay, ctx: Context) -> list[ev.Event]:
    what = f"a promise to pay from {c.customer_id}"
    uow = ctx.uow
    customer = uow.master.customer(c.customer_id)
    if customer is None or not visible(ctx.actor, customer.legal_entity_id):
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"{what}: there is no customer {c.customer_id}")
    entity_id = customer.legal_entity_id
    pol = ctx.section(entity_id).collections
    if not ctx.actor.roles & pol.promise_roles:
        raise Forbidden(f"recording a promise to pay needs one of the roles "
                        f"{', '.join(sorted(r.value for r in pol.promise_roles))} (policy collections."
                        f"promise_roles); {ctx.actor.label} holds "
                        f"{', '.join(sorted(r.value for r in ctx.actor.roles)) or 'no role'}")
    account = uow.accounts.get(c.customer_id)
    if account is None or account.open_ar <= 0:
        raise Rejected(NOTHING_OPEN, f"{what}: the account has nothing open to promise")
    try:
        promised = date.fromisoformat(c.promised_date)
    except ValueError:
        raise Rejected(INVALID, f"{what}: {c.promised_date!r} is not a date (YYYY-MM-DD)") from None
    today = ctx.today(entity_id)
    if promised < today:
        raise Rejected(INVALID, f"{what}: {promised.isoformat()} is before today ({today})")
    problem = minor_unit_problem(c.amount, account.currency)
    if c.amount <= 0 or problem:
        raise Rejected(INVALID, f"{what}: the amount {c.amount} {problem or 'must be positive'}")
    for invoice_id in c.invoice_ids:
        inv = uow.invoices.get(invoice_id)
        if inv is None or inv.customer_id != c.customer_id:
            raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"{what}: {invoice_id} is not an invoice of "
                                                           f"{c.customer_id}")
        if inv.status is not InvoiceStatus.OPEN:
            raise Rejected(INVALID, f"{what}: invoice {invoice_id} is {inv.status.value}")
    if c.amount > account.open_ar:
        raise Rejected(INVALID, f"{what}: {c.amount} is more than the {account.open_ar} "
                                              f"{account.currency} open")
    promise_id = f"PTP-{uow.sequences.next_id('promise'):06d}"
    due_at = start_of_day(promised + timedelta(days=pol.promise_grace_days + 1), ctx.zone(entity_id))
    return [ev.PromiseToPayRecorded(
        promise_id=promise_id, customer_id=c.customer_id, legal_entity_id=entity_id,
        amount=Money(c.amount, account.currency), promised_date=promised, invoice_ids=tuple(c.invoice_ids),
        note=c.note, by=decided_by(ctx), paid_before=account.paid, due_at=due_at)]


def promise_due(ctx: Context, payload: dict[str, str]) -> list[ev.Event]:
    """The ``promise_due`` timer: kept if the promised amount was paid since, else broken."""
    account = ctx.uow.accounts.get(payload["customer_id"])
    promise = account.promises.get(payload["promise_id"]) if account is not None else None
    if account is None or promise is None:
        return []
    paid = account.paid - promise.paid_before
    kept = paid >= promise.amount
    outcome = "kept" if kept else "broken"
    d = decision(ctx, f"collections/promise/{outcome}", outcome, {
        "promise_id": promise.promise_id, "promised": promise.amount,
        "promised_date": promise.promised_date.isoformat(), "paid_before": promise.paid_before,
        "paid_now": account.paid, "paid_since": paid, "invoices": ",".join(promise.invoice_ids)},
        payload.get("legal_entity_id"))
    money = Money(paid, account.currency)
    if kept:
        return [ev.PromiseKept(promise_id=promise.promise_id, customer_id=account.customer_id, paid=money,
                               decision=d)]
    return [ev.PromiseBroken(promise_id=promise.promise_id, customer_id=account.customer_id, paid=money,
                             decision=d)]
