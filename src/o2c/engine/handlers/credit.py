"""Credit review: every rule of the credit table (blocked account, past due, exposure against
the limit), one hold per failed code, each naming every failed condition."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.actors import ENGINE
from o2c.domain.holds import HoldCode
from o2c.domain.master import Customer
from o2c.domain.money import Money
from o2c.domain.orders import Order, OrderStatus
from o2c.engine import commands as cmd
from o2c.engine.context import Context
from o2c.engine.handlers.common import load_order, place_hold, released_by_person

CREDIT_CODES = (HoldCode.CRD_ACCOUNT_BLOCKED, HoldCode.CRD_PAST_DUE, HoldCode.CRD_OVER_LIMIT)


def _evaluate(order: Order, ctx: Context) -> tuple[dict[str, object], ev.Decision, Customer]:
    """The credit table's decision on ``order`` as things stand: the account's exposure and,
    for an account in a group (a parent and its children), the group's against the parent's
    limit."""
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
    cur = order.currency
    inputs: dict[str, object] = {
        "account_blocked": customer.blocked,
        "exposure": Money(exposure, cur).round().amount,
        "credit_limit": limit.amount,
        # which version of the account's record the limit was read from, and since when
        "credit_limit_as_of": f"v{customer.version}" + (f" {customer.as_of}" if customer.as_of else ""),
        "over_limit": Money(exposure - limit.amount, cur).round().amount,
        "order_value": Money(order_value, cur).round().amount,
        "open_ar": Money(open_ar, cur).round().amount,
        "uninvoiced_released": Money(uninvoiced, cur).round().amount,
        "past_due_amount": Money(past_due, cur).round().amount,
        "days_past_due": days,
    }
    root = customer.parent_id or customer.customer_id
    members = ctx.uow.master.group(root)
    inputs["in_group"] = len(members) > 1
    if len(members) > 1:
        group_exposure = order_value
        for m in members:
            acc = account if m == order.customer_id else ctx.uow.accounts.get(m)
            if acc is not None:
                group_exposure += acc.open_ar + acc.uninvoiced_released
        parent = customer if root == customer.customer_id else ctx.uow.master.customer(root)
        group_limit = (parent or customer).credit_limit.amount
        inputs.update({
            "group_id": root,
            "group_exposure": Money(group_exposure, cur).round().amount,
            "group_limit": group_limit,
            "group_over_limit": Money(group_exposure - group_limit, cur).round().amount,
        })
    policy = ctx.policy(order.legal_entity_id)
    _, d = ctx.section(order.legal_entity_id).credit_table.decide(
        inputs, policy_id=policy.policy_id, version=policy.version, outcome_key="outcome")
    return inputs, d, customer


def _failed(d: ev.Decision) -> tuple[ev.Condition, ...]:
    """Every failed condition (a collecting table names them all; a first-match one at most one)."""
    return d.conditions or ((ev.Condition(rule=d.rule, outcome=d.outcome),)
                            if d.outcome != "approve" else ())


def _at_stake(code: HoldCode, inputs: dict[str, object], failed: tuple[ev.Condition, ...]) -> Decimal | None:
    """What the approval tiers read: the amount over the limit (the account's, or the group's
    when that is what failed), the past-due amount; else the order's value."""
    def dec(key: str) -> Decimal:
        v = inputs.get(key, 0)
        return v if isinstance(v, Decimal) else Decimal(str(v))
    if code is HoldCode.CRD_OVER_LIMIT:
        own = [f for f in failed if f.outcome == code.value]
        over = dec("over_limit") if any(not _on_group(f) for f in own) else Decimal(0)
        if any(_on_group(f) for f in own):
            over = max(over, dec("group_over_limit"))
        return over
    if code is HoldCode.CRD_PAST_DUE:
        return dec("past_due_amount")
    return None


def _on_group(f: ev.Condition) -> bool:
    """Whether a failed condition is the group's (its rule reads the group's exposure)."""
    return any(k.startswith("group_") for k in f.inputs)


def check_credit(c: cmd.CheckCredit, ctx: Context) -> list[ev.Event]:
    order = load_order(ctx, c.order_id, "credit check")
    if order.status is not OrderStatus.VALIDATED or order.on_hold:
        return []
    inputs, d, customer = _evaluate(order, ctx)
    failed = _failed(d)
    accepted = {f.rule: by for f in failed
                if (by := released_by_person(order, HoldCode(f.outcome), f.rule))}
    new = [f for f in failed if f.rule not in accepted]
    limit = customer.credit_limit
    if new:
        texts = {f.rule: _describe(HoldCode(f.outcome), f.rule, inputs, customer.customer_id,
                                   limit, order.currency, _on_group(f)) for f in failed}
        codes = list(dict.fromkeys(HoldCode(f.outcome) for f in new))
        return [place_hold(ctx, order, code, _reason(code, failed, texts, accepted),
                           replace(d, rule=next(f.rule for f in new if f.outcome == code.value),
                                   outcome=code.value), seq=i,
                           amount=_at_stake(code, inputs, failed))
                for i, code in enumerate(codes)]
    if failed:  # every failed condition was shown to and accepted by a person
        d = replace(d, rule=f"{failed[0].rule}/released-by-person", outcome="approve",
                    inputs={**d.inputs, "released_by": ", ".join(dict.fromkeys(accepted.values()))})
    return [ev.CreditApproved(order_id=order.order_id,
                              exposure=Money(Decimal(str(inputs["exposure"])), order.currency), limit=limit,
                              decision=d)]


def reevaluate_credit(c: cmd.ReevaluateCredit, ctx: Context) -> list[ev.Event]:
    """Exposure fell: release each open credit hold whose conditions are gone, if the policy
    lets o2c release its code itself (``credit.auto_release``). The release is o2c's decision,
    naming the rule and what it read; the order then goes through the credit check again."""
    order = load_order(ctx, c.order_id, "credit re-evaluation")
    held = [h for h in order.open_holds if h.code in CREDIT_CODES]
    if not held or order.terminal:
        return []
    auto = ctx.section(order.legal_entity_id).credit_auto_release
    if not auto.intersection(h.code for h in held):
        return []
    inputs, d, _ = _evaluate(order, ctx)
    failing = {f.outcome for f in _failed(d)}
    out: list[ev.Event] = []
    for h in held:
        if h.code not in auto or h.code.value in failing:
            continue
        why = replace(d, rule="credit/auto_release", outcome="release",
                      inputs={**d.inputs, "hold": h.code.value, "because": c.because,
                              "still_failing": ", ".join(sorted(failing)) or "none"},
                      conditions=())
        out.append(ev.HoldReleased(
            order_id=order.order_id, hold_id=h.hold_id, code=h.code, action="release", by=ENGINE.id,
            reason=f"released by o2c: {c.because}; {_cleared(h.code, inputs)}", decision=why))
    return out


def _cleared(code: HoldCode, inputs: dict[str, object]) -> str:
    match code:
        case HoldCode.CRD_OVER_LIMIT:
            text = f"exposure {inputs['exposure']} is within the limit {inputs['credit_limit']}"
            if inputs.get("in_group"):
                text += (f", group {inputs['group_id']} {inputs['group_exposure']} within "
                         f"{inputs['group_limit']}")
            return text
        case HoldCode.CRD_PAST_DUE:
            return f"past due now {inputs['past_due_amount']}"
        case _:
            return "the account is no longer blocked"


def _describe(code: HoldCode, rule: str, inputs: dict[str, object], customer_id: str, limit: Money,
              currency: str, group: bool = False) -> str:
    match code:
        case HoldCode.CRD_ACCOUNT_BLOCKED:
            return f"account {customer_id} is blocked"
        case HoldCode.CRD_PAST_DUE:
            return f"{inputs['past_due_amount']} {currency} past due, oldest {inputs['days_past_due']} days"
        case HoldCode.CRD_OVER_LIMIT if group:
            return (f"group {inputs['group_id']} exposure {inputs['group_exposure']} exceeds its limit "
                    f"{inputs['group_limit']} {currency} by {inputs['group_over_limit']}")
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
