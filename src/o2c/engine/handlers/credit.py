"""Credit review: exposure against the account's limit and past-due balance."""

from __future__ import annotations

from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.money import Money
from o2c.domain.orders import OrderStatus
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.handlers.common import load_order, place_hold, released_by_person

CREDIT_CODES = (HoldCode.CRD_ACCOUNT_BLOCKED, HoldCode.CRD_PAST_DUE, HoldCode.CRD_OVER_LIMIT)


def check_credit(c: cmd.CheckCredit, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "credit check")
    if order.status is not OrderStatus.VALIDATED or order.on_hold:
        return []
    customer = ctx.uow.master.customer(order.customer_id)
    if customer is None:  # validated orders have a known customer; master data was removed since
        raise LookupError(f"customer {order.customer_id} vanished from master data")
    account = ctx.uow.accounts.get(order.customer_id)
    open_ar = account.open_ar if account else Decimal(0)
    uninvoiced = account.uninvoiced_released if account else Decimal(0)
    order_value = order.open_value
    exposure = open_ar + uninvoiced + order_value
    limit = customer.credit_limit
    past_due, days = account.past_due(ctx.now().date(), 0) if account else (Decimal(0), 0)
    inputs: dict[str, object] = {
        "account_blocked": customer.blocked,
        "exposure": Money(exposure, order.currency).round().amount,
        "credit_limit": limit.amount,
        "over_limit": Money(exposure - limit.amount, order.currency).round().amount,
        "order_value": Money(order_value, order.currency).round().amount,
        "open_ar": Money(open_ar, order.currency).round().amount,
        "uninvoiced_released": Money(uninvoiced, order.currency).round().amount,
        "past_due_amount": Money(past_due, order.currency).round().amount,
        "days_past_due": days,
    }
    policy = ctx.policy()
    rule, d = ctx.section(order.legal_entity_id).credit_table.decide(
        inputs, policy_id=policy.policy_id, version=policy.version, outcome_key="outcome")
    outcome = d.outcome
    if outcome != "approve":
        code = HoldCode(outcome)
        by = released_by_person(order, code)
        if by is None:
            reason = {
                HoldCode.CRD_ACCOUNT_BLOCKED: f"account {customer.customer_id} is blocked",
                HoldCode.CRD_PAST_DUE: f"{inputs['past_due_amount']} {order.currency} past due, "
                                       f"oldest {days} days",
                HoldCode.CRD_OVER_LIMIT: f"exposure {inputs['exposure']} exceeds limit "
                                         f"{limit.amount} {limit.currency} by {inputs['over_limit']}",
            }.get(code, f"credit policy rule {rule.rule_id}")
            return [place_hold(ctx, order, code, reason, d)]
        d = ev.Decision(policy_id=d.policy_id, version=d.version, rule=f"{d.rule}/released-by-person",
                        outcome="approve", inputs={**d.inputs, "released_by": by})
    return [ev.CreditApproved(order_id=order.order_id,
                              exposure=Money(exposure, order.currency).round(), limit=limit,
                              decision=d)]
