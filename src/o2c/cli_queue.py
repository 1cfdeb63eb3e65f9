"""``o2c queue``: a person's work (the open holds they may act on) and what they do with it:
claim, assign, unclaim, comment, decide. Everything acts as ``--as`` (or ``$O2C_USER``) and
answers a refusal with one sentence."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from o2c.cli_common import AsOfOpt, AsOpt, DbOpt, JsonOpt, acting, console, fail, opened, when

if TYPE_CHECKING:
    from o2c.analytics.queue import QueueItem
    from o2c.bootstrap import App
    from o2c.domain.actors import Actor
    from o2c.engine.queue import Sections

queue = typer.Typer(pretty_exceptions_show_locals=False,
                    help="Work queue: the open holds you may act on, and claiming, assigning, "
                         "commenting on and deciding them.")

UserOpt = Annotated[
    str | None,
    typer.Option("--user", "--as", envvar="O2C_USER", show_envvar=False,
                 help="Whose work: a user as set up with 'o2c users add' (default: $O2C_USER)."),
]
HoldArg = Annotated[str, typer.Argument(help="The hold, as the queue lists it (SO-000123-H1).")]


def _sections(a: App) -> Sections:
    """The policy in force now, by legal entity: what decides who may act (limits by amount)."""
    from o2c.engine.queue import sections_at

    return sections_at(a.policies, a.clock.now())


def time_left(left: timedelta | None) -> str:
    """``3h 05m``, ``-2d 04h`` (breached): to the minute, days beyond a day."""
    if left is None:
        return "-"
    sign, rest = ("-", -left) if left < timedelta(0) else ("", left)
    minutes = int(rest.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{days}d {hours:02d}h" if days else f"{sign}{hours}h {minutes:02d}m"


def _json(items: list[QueueItem]) -> str:
    from o2c.api.routes_queue import QueueItemPublic, item_public

    return json.dumps([QueueItemPublic.model_validate(item_public(i)).model_dump(mode="json") for i in items],
                      indent=2)


def _table(items: list[QueueItem], who: str) -> None:
    from rich.table import Table

    if not items:
        console.print(f"nothing in {who}'s queue")
        return
    t = Table(title=f"work queue of {who}: {len(items)} open hold{'s' if len(items) != 1 else ''}")
    for name, justify in (("hold", "left"), ("code", "left"), ("order", "left"), ("customer", "left"),
                          ("amount", "right"), ("condition", "left"), ("SLA left", "right"),
                          ("claimed by", "left")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for i in items:
        customer = i.customer.name if i.customer else i.order.customer_id
        left = time_left(i.time_left)
        t.add_row(i.hold_id, i.code, i.order.order_id, customer, f"{i.order.value:,} {i.order.currency}",
                  ", ".join(c.rule for c in i.conditions) or i.reason,
                  f"[red]{left}[/]" if i.breached else left, i.claimed_by or "")
    console.print(t)


@queue.callback(invoke_without_command=True)
def listing(
    ctx: typer.Context,
    user: UserOpt = None,
    db: DbOpt = None,
    code: Annotated[str | None, typer.Option(help="Only holds of this code (CRD-OVER-LIMIT).")] = None,
    stage: Annotated[str | None, typer.Option(help="Only holds of this stage (credit).")] = None,
    entity: Annotated[str | None, typer.Option("--entity", help="Only this legal entity.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer.")] = None,
    breached: Annotated[bool, typer.Option("--breached", help="Only holds past their SLA.")] = False,
    mine: Annotated[bool, typer.Option("--mine", help="Only holds claimed by you.")] = False,
    unclaimed: Annotated[bool, typer.Option("--unclaimed", help="Only holds nobody claimed.")] = False,
    as_json: JsonOpt = False,
    as_of: AsOfOpt = None,
) -> None:
    """The open holds USER may act on, soonest SLA first (time left to now, or --as-of;
    negative: breached)."""
    if ctx.invoked_subcommand is not None:
        return
    from o2c.analytics.queue import Claimed, QueueFilter, build_queue
    from o2c.domain.holds import HoldCode, Stage
    from o2c.engine.queue import sections_at

    if mine and unclaimed:
        fail("--mine or --unclaimed, not both")
    try:
        where = QueueFilter(code=HoldCode(code) if code else None, stage=Stage(stage) if stage else None,
                            legal_entity_id=entity, customer_id=customer, breached=breached,
                            claimed=Claimed.ME if mine else Claimed.UNCLAIMED if unclaimed else None)
    except ValueError as e:
        fail(f"{e}: see docs/queue.md for the hold codes and stages")
    with opened(db) as a:
        now = when(as_of, a.clock.now())
        actor = acting(a, user)
        items = build_queue(a.store, actor, now=now, where=where, sections=sections_at(a.policies, now))
    if as_json:
        print(_json(items))
    else:
        _table(items, actor.id)


@queue.command("show")
def show_cmd(hold: HoldArg, user: AsOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One hold with everything that decides it, and its comments.

    The order, customer, credit position, every failed condition with its inputs, the rule
    and policy version that placed it, its SLA and who has claimed it."""
    from o2c.analytics.queue import queue_item
    from o2c.api.routes_queue import CommentPublic, QueueItemDetail, item_public
    from o2c.store import work_items

    with opened(db) as a:
        actor = acting(a, user)
        try:
            item = queue_item(a.store, actor, hold, now=a.clock.now(), sections=_sections(a))
            notes = work_items.comments(a.store, actor, hold)
        except work_items.WorkError as e:
            fail(str(e))
    if as_json:
        detail = QueueItemDetail.model_validate({**item_public(item), "comment_list": notes})
        print(detail.model_dump_json(indent=2))
        return
    o, c, k = item.order, item.customer, item.credit
    console.print(f"[bold]{item.hold_id}[/] {item.code}: {item.title} ({item.stage}, {item.owner_role}; "
                  f"may {', '.join(item.actions)})")
    console.print(f"  {item.reason}")
    console.print(f"  order {o.order_id} ({o.status}, {o.legal_entity_id}), PO {o.po_number}, "
                  f"{o.value:,} {o.currency}")
    if c is not None:
        parent = f", parent {c.parent_id}" if c.parent_id else ""
        blocked = " [red]blocked[/]" if c.blocked else ""
        console.print(f"  customer {c.customer_id} {c.name}{parent}, credit limit {c.credit_limit:,} "
                      f"{c.currency}{blocked}")
    if k is not None:
        console.print(f"  credit ({k.source}): exposure {k.exposure:,}, limit {k.credit_limit:,}, "
                      f"over by {k.over_by:,}, open AR {k.open_ar:,}, past due {k.past_due:,} "
                      f"({k.days_past_due} days)")
    for cond in item.conditions:
        inputs = ", ".join(f"{n}={v}" for n, v in sorted(cond.inputs.items()))
        console.print(f"  failed: {cond.rule}" + (f" ({inputs})" if inputs else ""))
    due = item.sla_due_at.isoformat() if item.sla_due_at else "-"
    console.print(f"  placed {item.placed_at.isoformat()} by rule {item.rule} of {item.policy_id} "
                  f"{item.policy_version}; SLA due {due}, left {time_left(item.time_left)}")
    if item.claim is not None:
        by = f", assigned by {item.claim.assigned_by}" if item.claim.assigned_by else ""
        console.print(f"  claimed by {item.claim.claimed_by} since {item.claim.claimed_at.isoformat()}{by}")
    for n in (CommentPublic.model_validate(x) for x in notes):
        console.print(f"  [dim]{n.written_at.isoformat()} {n.author}:[/] {n.text}")


_T = TypeVar("_T")


def _work(db: str | None, user: str | None, change: Callable[[App, Actor], _T]) -> _T:
    """A change to the work on a hold, as ``user``: one line and exit 2 if it is refused."""
    from o2c.store import work_items

    with opened(db) as a:
        try:
            return change(a, acting(a, user))
        except work_items.WorkError as e:
            fail(str(e))


@queue.command("claim")
def claim_cmd(hold: HoldArg, user: AsOpt = None, db: DbOpt = None) -> None:
    """Claim HOLD: you work on it (refused, naming who, if someone else has it)."""
    from o2c.store import work_items

    c = _work(db, user, lambda a, me: work_items.claim(a.store, me, hold, at=a.clock.now(),
                                                        sections=_sections(a)))
    console.print(f"{hold} claimed by {c.claimed_by}")


@queue.command("assign")
def assign_cmd(hold: HoldArg, to: Annotated[str, typer.Argument(help="The user to give it to.")],
               user: AsOpt = None, db: DbOpt = None) -> None:
    """Give HOLD to TO, who must be able to act on it."""
    from o2c.store import work_items

    c = _work(db, user, lambda a, me: work_items.assign(a.store, me, hold, to, at=a.clock.now(),
                                                         sections=_sections(a)))
    console.print(f"{hold} assigned to {c.claimed_by}")


@queue.command("unclaim")
def unclaim_cmd(hold: HoldArg, user: AsOpt = None, db: DbOpt = None) -> None:
    """Let HOLD go: nobody's again."""
    from o2c.store import work_items

    _work(db, user, lambda a, me: work_items.unclaim(a.store, me, hold, at=a.clock.now(),
                                                     sections=_sections(a)))
    console.print(f"{hold} is unclaimed")


@queue.command("comment")
def comment_cmd(hold: HoldArg, text: Annotated[str, typer.Argument(help="The comment.")],
                user: AsOpt = None, db: DbOpt = None) -> None:
    """Comment on HOLD."""
    from o2c.store import work_items

    c = _work(db, user, lambda a, me: work_items.comment(a.store, me, hold, text, at=a.clock.now(),
                                                          sections=_sections(a)))
    console.print(f"comment {c.comment_id} on {hold} by {c.author}")


@queue.command("decide")
def decide_cmd(
    hold: HoldArg,
    action: Annotated[str, typer.Argument(help="release, override, reject or edit_and_retry.")],
    reason: Annotated[str, typer.Option(help="Why (needed but for reject).")] = "",
    reason_code: Annotated[str | None, typer.Option(
        help="Why the order is rejected (reject only): CUSTOMER-REQUEST, CREDIT-RISK, PRICE-NOT-AGREED, "
             "DUPLICATE, DATA-NOT-FIXABLE, OTHER.")] = None,
    user: AsOpt = None,
    db: DbOpt = None,
) -> None:
    """Decide HOLD as you: the engine checks your role, as for any decision."""
    from o2c.analytics.queue import DecisionInvalid, decidable, decision_message
    from o2c.domain.holds import HoldAction
    from o2c.domain.work import RejectReason
    from o2c.engine.ports import InboundMessage
    from o2c.engine.runtime import Status
    from o2c.store import work_items

    try:
        act = HoldAction(action)
        code = RejectReason(reason_code) if reason_code else None
    except ValueError as e:
        fail(f"{e}; actions: {', '.join(x.value for x in HoldAction)}; reason codes: "
             f"{', '.join(r.value for r in RejectReason)}")
    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            try:
                order, found = work_items.find_hold(uow, actor, hold)
            except work_items.WorkError as e:
                fail(str(e))
        if (why := decidable(order, found)) is not None:
            fail(why)
        try:
            message = decision_message(actor, order, found, act, reason, code)
        except DecisionInvalid as e:
            fail(f"--{e.field.replace('_', '-')}: {e}")
        outcome = a.runtime.submit([InboundMessage(
            source="cli", source_message_id=f"queue-{uuid.uuid4().hex}", kind="hold_decision",
            received_at=a.clock.now(), body=message.model_dump_json(), actor=actor)])[0]
        if outcome.status is not Status.APPLIED:
            fail(f"{hold} not decided ({outcome.code}): {outcome.reason}")
        with a.store.unit_of_work() as uow:
            after = uow.orders.get(order.order_id)
    status = after.status.value if after else "?"
    still = ", ".join(h.code.value for h in after.open_holds) if after else ""
    console.print(f"{hold}: {act.value} applied; order {order.order_id} is {status}"
                  + (f", still waiting on {still}" if still else ""))
