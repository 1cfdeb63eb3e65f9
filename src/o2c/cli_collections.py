"""``o2c collections``: AR aging, the collector's worklist, recording a promise to pay, and
running dunning now (the daily run is a timer; see docs/collections.md)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.table import Table

from o2c.cli_common import AsOpt, DbOpt, JsonOpt, acting, console, fail, opened, submit_as_person
from o2c.domain.actors import Actor
from o2c.domain.collections import AGING_BUCKETS
from o2c.domain.holds import Role

collections = typer.Typer(pretty_exceptions_show_locals=False,
                          help="Collections: AR aging, the worklist, promises to pay, dunning.")

#: who may read aging and the worklist
READERS = frozenset({Role.COLLECTIONS, Role.AR_MANAGER, Role.CONTROLLER, Role.CREDIT_ANALYST,
                     Role.CREDIT_MANAGER, Role.AUDITOR})
EntityOpt = Annotated[str | None, typer.Option("--entity", help="One legal entity only.")]


def _reader(actor: Actor) -> None:
    if not actor.roles & READERS:
        fail(f"collections' figures need one of the roles {', '.join(sorted(r.value for r in READERS))}; "
             f"{actor.label} holds {', '.join(sorted(r.value for r in actor.roles)) or 'no role'}", code=1)


@collections.command("aging")
def aging(by: Annotated[str, typer.Option("--by", help="customer (each account) or entity.")] = "customer",
          entity: EntityOpt = None, user: AsOpt = None, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """Open AR by days past due (current, 1-30, 31-60, 61-90, over 90), in each legal
    entity's business date now, per account or per entity and currency."""
    from o2c.analytics import collections as report

    if by not in report.BY:
        fail(f"--by {by!r}: choose one of {', '.join(report.BY)}")
    with opened(db) as a:
        actor = acting(a, user)
        _reader(actor)
        rows = report.aging(a.store, a.clock.now(), actor, by, entity)
    if as_json:
        print(json.dumps(report.aging_json(rows, by), indent=2))
        return
    t = Table(title=f"AR aging by {by}")
    for col in (by, *(("entity",) if by == "customer" else ()), "currency", *AGING_BUCKETS, "total",
                "disputed"):
        t.add_column(col, justify="left" if col in (by, "entity", "currency") else "right")
    for r in rows:
        t.add_row(r.key, *((r.legal_entity_id,) if by == "customer" else ()), r.currency,
                  *(f"{r.buckets[b]:,.2f}" for b in AGING_BUCKETS), f"{r.total:,.2f}", f"{r.disputed:,.2f}")
    console.print(t)


@collections.command("worklist")
def worklist(limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many accounts.")] = 25,
             entity: EntityOpt = None, user: AsOpt = None, as_json: JsonOpt = False,
             db: DbOpt = None) -> None:
    """Accounts to call, first those that broke a promise, then by value at risk
    (undisputed past-due x days past due x the account's risk); standing promises last."""
    from o2c.analytics import collections as report

    with opened(db) as a:
        actor = acting(a, user)
        _reader(actor)
        rows = report.worklist(a.store, a.clock.now(), actor, limit, entity)
    if as_json:
        print(json.dumps(report.worklist_json(rows), indent=2))
        return
    t = Table(title=f"collections worklist: {len(rows)} account{'s' if len(rows) != 1 else ''}")
    for col in ("customer", "entity", "past due", "invoices", "oldest days", "risk", "value at risk",
                "promise"):
        t.add_column(col, justify="right" if col not in ("customer", "entity", "promise") else "left")
    for e in rows:
        t.add_row(e.customer_id, e.legal_entity_id, f"{e.past_due:,.2f} {e.currency}", str(e.invoices),
                  str(e.oldest_days), str(e.risk), f"{e.value_at_risk:,.0f}", e.promise.value or "-")
    console.print(t)


@collections.command("promise")
def promise(customer: Annotated[str, typer.Argument(help="The customer account.")],
            amount: Annotated[str, typer.Option(help="How much the customer promised, e.g. 1200.00.")],
            on: Annotated[str, typer.Option("--date", help="The date they promised it by (YYYY-MM-DD).")],
            note: Annotated[str, typer.Option(help="What was said, for whoever looks next.")] = "",
            invoice: Annotated[list[str] | None, typer.Option(
                "--invoice", help="An invoice the promise covers (repeat); none: the account.")] = None,
            user: AsOpt = None, db: DbOpt = None) -> None:
    """Record a customer's promise to pay, as you (the roles the policy's
    collections.promise_roles names). Dunning waits for the invoices it covers; o2c judges it
    kept or broken after the date plus the policy's grace."""
    from o2c.adapters.canonical import PromiseToPayIn

    try:
        value = Decimal(amount)
    except InvalidOperation:
        fail(f"--amount: {amount!r} is not an amount such as 1200.00")
    try:
        day = date.fromisoformat(on)
    except ValueError:
        fail(f"--date: {on!r} is not a date such as 2026-12-31")
    body = {"customer_id": customer, "amount": value, "promised_date": day, "invoice_ids": invoice or [],
            "note": note}
    with opened(db) as a:
        submit_as_person(a, acting(a, user), "promise_to_pay", PromiseToPayIn, body,
                         f"promise from {customer} not recorded")
        with a.store.unit_of_work() as uow:
            account = uow.accounts.get(customer)
    standing = sorted(account.promises.values(), key=lambda p: p.promise_id) if account else []
    if standing:
        p = standing[-1]
        console.print(f"{p.promise_id}: {customer} promised {p.amount} {account.currency if account else ''} "
                      f"by {p.promised_date.isoformat()}")


@collections.command("run")
def run(entity: EntityOpt = None, user: AsOpt = None, db: DbOpt = None) -> None:
    """Run dunning now, for the clock's business date (every legal entity with open invoices
    you act for, or --entity): what the daily run would send and has not, as you."""
    from o2c.adapters.canonical import DunningRunIn
    from o2c.analytics import collections as report

    with opened(db) as a:
        actor = acting(a, user)
        entities = [entity] if entity else sorted(report.as_of(a.store, a.clock.now()))
        with a.store.unit_of_work() as uow:
            before = len([m for m in uow.outbox.pending(100_000) if m.kind == "dunning_notice"])
        for e in entities:
            if entity or actor.acts_for(e):
                submit_as_person(a, actor, "dunning_run", DunningRunIn, {"legal_entity_id": e},
                                 f"dunning for {e} not run")
        with a.store.unit_of_work() as uow:
            after = len([m for m in uow.outbox.pending(100_000) if m.kind == "dunning_notice"])
    console.print(f"dunning run for {', '.join(entities) or 'no legal entity'}: {after - before} "
                  "notice(s) written to the outbox")
