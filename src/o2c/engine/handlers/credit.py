"""Credit review: every rule of the credit table (blocked account, past due, exposure against
the limit), one hold per failed code, each naming every failed condition."""

from __future__ import annotations

from dataclasses import replace
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
    past_due, days = account.past_due(ctx.today(order.legal_entity_id), 0) if account else (Decimal(0), 0)
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
    policy = ctx.policy(order.legal_entity_id)
    _, d = ctx.section(order.legal_entity_id).credit_table.decide(
        inputs, policy_id=policy.policy_id, version=policy.version, outcome_key="outcome")
    # A collecting table names every failed condition; a first-match one at most one.
    failed = d.conditions or ((ev.Condition(rule=d.rule, outcome=d.outcome),)
                              if d.outcome != "approve" else ())
    accepted = {f.rule: by for f in failed
                if (by := released_by_person(order, HoldCode(f.outcome), f.rule))}
    new = [f for f in failed if f.rule not in accepted]
    if new:
        texts = {f.rule: _describe(HoldCode(f.outcome), f.rule, inputs, customer.customer_id,
                                   limit, order.currency) for f in failed}
        codes = list(dict.fromkeys(HoldCode(f.outcome) for f in new))
        return [place_hold(ctx, order, code, _reason(code, failed, texts, accepted),
                           replace(d, rule=next(f.rule for f in new if f.outcome == code.value),
                                   outcome=code.value), seq=i)
                for i, code in enumerate(codes)]
    if failed:  # every failed condition was shown to and accepted by a person
        d = replace(d, rule=f"{failed[0].rule}/released-by-person", outcome="approve",
                    inputs={**d.inputs, "released_by": ", ".join(dict.fromkeys(accepted.values()))})
    return [ev.CreditApproved(order_id=order.order_id,
                              exposure=Money(exposure, order.currency).round(), limit=limit,
                              decision=d)]


def _describe(code: HoldCode, rule: str, inputs: dict[str, object], customer_id: str, limit: Money,
              currency: str) -> str:
    match code:
        case HoldCode.CRD_ACCOUNT_BLOCKED:
            return f"account {customer_id} is blocked"
        case HoldCode.CRD_PAST_DUE:
            return f"{inputs['past_due_amount']} {currency} past due, oldest {inputs['days_past_due']} days"
        case HoldCode.CRD_OVER_LIMIT:
            return (f"exposure {inputs['exposure']} exceeds limit {limit.amount} {limit.currency} "
                    f"by {inputs['over_limit']}")
        case _:
            return f"credit policy rule {rule}"


def _reason(code: HoldCode, failed: tuple[ev.Condition, ...], texts: dict[str, str],
            accepted: dict[str, str]) -> str:
    """The hold's own conditions first, then every other condition failing beside it, so
    whoever releases it sees all of them."""
    own = dict.fromkeys(texts[f.rule] for f in failed if f.outcome == code.value)
    others = dict.fromkeys(
        f"{texts[f.rule]} ({f.outcome}" + (f", released by {accepted[f.rule]})" if f.rule in accepted
                                           else ")")
        for f in failed if f.outcome != code.value)
    return "; ".join(own) + ("; also failing: " + "; ".join(others) if others else "")
