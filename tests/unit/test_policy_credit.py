"""The policy's ``credit`` section and the ``collect`` hit policy of decision tables: every
rule whose conditions hold is reported, not only the first."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from o2c.policy import DecisionTable, PolicyError, parse_policy


def shipped() -> dict[str, Any]:
    text = resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


CREDIT = parse_policy(shipped()).base.credit_table


def credit_inputs(*, blocked: bool = False, days: int = 0, past_due: str = "0",
                  over: str = "-1") -> dict[str, object]:
    return {"account_blocked": blocked, "days_past_due": days, "past_due_amount": Decimal(past_due),
            "over_limit": Decimal(over), "exposure": Decimal("5237.57"),
            "credit_limit": Decimal("5000.00")}


def test_a_collected_decision_names_every_failed_condition_with_the_inputs_it_read() -> None:
    inputs = credit_inputs(days=45, past_due="812.40", over="237.57")
    _, d = CREDIT.decide(inputs, policy_id="p", version="1", outcome_key="outcome")
    assert (d.rule, d.outcome) == ("credit/past-due", "CRD-PAST-DUE")  # the first, as before
    assert [(c.rule, c.outcome, c.inputs) for c in d.conditions] == [
        ("credit/past-due", "CRD-PAST-DUE", {"days_past_due": "45", "past_due_amount": "812.40"}),
        ("credit/over-limit", "CRD-OVER-LIMIT", {"over_limit": "237.57"}),
    ]
    assert d.inputs["exposure"] == "5237.57"  # every input, as for any decision


def test_nothing_failing_is_decided_by_the_default_and_names_no_condition() -> None:
    _, d = CREDIT.decide(credit_inputs(), policy_id="p", version="1", outcome_key="outcome")
    assert (d.rule, d.outcome, d.conditions) == ("credit/within-limit", "approve", ())


@given(blocked=st.booleans(), days=st.integers(0, 120),
       past_due=st.decimals(0, 5000, places=2), over=st.decimals(-5000, 5000, places=2))
def test_the_shipped_credit_table_reports_exactly_the_conditions_that_hold(
        blocked: bool, days: int, past_due: Decimal, over: Decimal) -> None:
    # the credit policy as a credit analyst would state it
    expected = [code for code, failing in (
        ("CRD-ACCOUNT-BLOCKED", blocked),
        ("CRD-PAST-DUE", days > 30 and past_due > 500),
        ("CRD-OVER-LIMIT", over > 0),
    ) if failing]
    rules = CREDIT.matching(credit_inputs(blocked=blocked, days=days, past_due=str(past_due),
                                          over=str(over)))
    assert [r.then["outcome"] for r in rules] == (expected or ["approve"])


thresholds = st.lists(st.tuples(st.sampled_from("abc"), st.integers(-5, 5)), min_size=1, max_size=6)


@given(rules=thresholds, values=st.fixed_dictionaries({k: st.integers(-6, 6) for k in "abc"}))
def test_collect_reports_every_matching_rule_in_order_and_first_is_its_head(
        rules: list[tuple[str, int]], values: dict[str, int]) -> None:
    raw = [{"id": f"r{i}", "when": {name: {"gt": limit}}, "then": {"outcome": f"r{i}"}}
           for i, (name, limit) in enumerate(rules)] + [{"id": "default", "then": {"outcome": "ok"}}]
    collect = DecisionTable.parse("t", raw, hit="collect")
    first = DecisionTable.parse("t", raw)
    holding = [f"r{i}" for i, (name, limit) in enumerate(rules) if values[name] > limit]
    assert [r.rule_id for r in collect.matching(values)] == (holding or ["default"])
    assert first.matching(values) == collect.matching(values)[:1]


def test_a_document_without_a_hit_policy_keeps_first_match() -> None:
    raw = shipped()
    del raw["credit"]["hit"]
    table = parse_policy(raw).base.credit_table
    inputs = credit_inputs(days=45, past_due="812.40", over="237.57")
    assert [r.rule_id for r in table.matching(inputs)] == ["past-due"]
    _, d = table.decide(inputs, policy_id="p", version="1", outcome_key="outcome")
    assert d.conditions == ()


def test_an_entity_override_of_the_rules_keeps_the_hit_policy() -> None:
    raw = shipped()
    raw["entities"] = {"CA": {"credit": {"rules": [
        {"id": "over-limit", "when": {"over_limit": {"gt": "100"}}, "then": {"outcome": "CRD-OVER-LIMIT"}},
        {"id": "within-limit", "then": {"outcome": "approve"}}]}}}
    assert parse_policy(raw).for_entity("CA").credit_table.hit == "collect"


@pytest.mark.parametrize(("credit", "path"), [
    ({"hit": "all"}, "policy.credit.hit: expected one of ['first', 'collect'], got 'all'"),
    ({"rules": [{"id": "vip", "when": {"credit_limit": {"gt": "100000"}}, "then": {"outcome": "approve"}},
                {"id": "within-limit", "then": {"outcome": "approve"}}]},
     "policy.credit.rules[vip].then.outcome: with hit: collect only the default (last) rule approves"),
])
def test_a_credit_section_that_cannot_collect_is_refused_naming_the_field(
        credit: dict[str, Any], path: str) -> None:
    raw = shipped()
    raw["credit"] = {**raw["credit"], **credit}
    with pytest.raises(PolicyError) as e:
        parse_policy(raw)
    assert path in str(e.value)


def test_an_approving_rule_before_the_default_is_allowed_with_first_match() -> None:
    raw = shipped()
    raw["credit"] = {"rules": [
        {"id": "vip", "when": {"credit_limit": {"gt": "100000"}}, "then": {"outcome": "approve"}},
        *raw["credit"]["rules"]]}
    assert parse_policy(raw).base.credit_table.hit == "first"
