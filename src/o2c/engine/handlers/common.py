"""Helpers shared by the handlers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.consolidation import BillingWindow
from o2c.domain.holds import TAXONOMY, HoldAction, HoldCode
from o2c.domain.master import Customer
from o2c.domain.orders import Order
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Forbidden, Rejected


def load_order(ctx: Context, order_id: str, what: str) -> Order:
    """The order, if the actor may see it: one of another legal entity than the actor acts
    for is refused exactly like an unknown one (nothing tells that it exists)."""
    order = ctx.uow.orders.get(order_id)
    if order is None or not visible(ctx.actor, order.legal_entity_id):
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"{what} refers to order {order_id!r}, which o2c does not know")
    return order


def check_warehouse(ctx: Context, warehouse_id: str) -> None:
    """Refuse a stock command of an actor restricted to other legal entities than the
    warehouse's (an unrestricted actor costs nothing)."""
    if ctx.actor.entities is None:
        return
    w = ctx.uow.master.warehouse(warehouse_id)
    if w is None or not visible(ctx.actor, w.legal_entity_id):
        raise Forbidden(f"{ctx.actor.label} does not act for the legal entity of warehouse {warehouse_id!r}")


def decided_by(ctx: Context) -> str:
    """How a decision names who made it: the person's id (``ana``), else the actor's label."""
    a = ctx.actor
    return a.id if a.is_person else a.label


def person(ctx: Context) -> str | None:
    """The person who asked (a user's id), None for a system or an API key: what an order
    records as who entered or changed it, for four-eyes."""
    return ctx.actor.id if ctx.actor.is_person else None


def decision(ctx: Context, rule: str, outcome: str, inputs: dict[str, object],
             legal_entity_id: str | None = None) -> ev.Decision:
    """A decision naming the policy version in force (for ``legal_entity_id``, in its zone)."""
    p = ctx.policy(legal_entity_id)
    return ev.Decision(policy_id=p.policy_id, version=p.version, rule=rule, outcome=outcome,
                       inputs={k: str(v) for k, v in inputs.items()})


def billing_decision(ctx: Context, order: Order, customer: Customer, event: str) -> ev.Decision:
    """The billing policy's decision for ``order`` when ``event`` happens (``shipment_confirmed``,
    ``pod_received``…): its outcome is the trigger that invoices (``on_ship``, ``on_pod``…)."""
    return billing_rule(ctx, order, customer, event)[0]


def billing_rule(ctx: Context, order: Order, customer: Customer,
                 event: str) -> tuple[ev.Decision, BillingWindow | None]:
    """:func:`billing_decision`, and for a ``consolidated`` outcome the window its rule names
    (``billing.windows``; the policy's validation makes sure it exists)."""
    policy = ctx.policy(order.legal_entity_id)
    section = ctx.section(order.legal_entity_id)
    inputs: dict[str, object] = {"billing_preference": customer.billing_trigger.value,
                                 "customer_id": customer.customer_id, "event": event,
                                 "ship_tos": len(customer.ship_tos)}
    rule, d = section.billing_table.decide(
        inputs, policy_id=policy.policy_id, version=policy.version, outcome_key="trigger")
    named = rule.then.get("window")
    return d, section.billing_windows.get(str(named)) if named is not None else None


def place_hold(ctx: Context, order: Order, code: HoldCode, reason: str, d: ev.Decision,
               seq: int = 0, amount: Decimal | None = None) -> ev.HoldPlaced:
    """A hold on ``order``; ``amount`` is what is at stake (default: the order's open value),
    which the policy's approval tiers read."""
    sla = ctx.section(order.legal_entity_id).sla_for(code)
    return ev.HoldPlaced(
        order_id=order.order_id, hold_id=f"{order.order_id}-H{len(order.holds) + seq + 1}",
        code=code, reason=reason, sla_due_at=ctx.now() + timedelta(hours=sla), decision=d,
        amount=order.money(order.open_value).amount if amount is None else amount,
    )


#: Checks that read the order's lines or value: a person's acceptance covered the order as it
#: was, so after a buyer's change (``Order.holds_at_change``) they are decided again.
DECIDED_AGAIN_AFTER_CHANGE = frozenset({
    HoldCode.PRC_CONTRACT_MISMATCH, HoldCode.PRC_BELOW_FLOOR, HoldCode.CRD_OVER_LIMIT,
    HoldCode.CRD_PAST_DUE, HoldCode.CRD_ACCOUNT_BLOCKED,
})


def released_by_person(order: Order, code: HoldCode, condition: str | None = None) -> str | None:
    """Who released (or overrode) an earlier hold with this code, if anyone did:
    the order must not be stopped again for what a person already accepted. With a
    ``condition`` (a policy rule), only a hold that showed it accepted it."""
    if not {HoldAction.RELEASE, HoldAction.OVERRIDE} & set(TAXONOMY[code].actions):
        return None  # e.g. an unknown item: a release cannot make it known; check again
    since = order.holds_at_change if code in DECIDED_AGAIN_AFTER_CHANGE else 0
    for h in order.holds[since:]:
        if h.code is not code or h.resolution not in ("release", "override") or not h.resolved_by:
            continue
        if condition is None or not h.conditions or condition in h.conditions:
            return h.resolved_by
    return None
