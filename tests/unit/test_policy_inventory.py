"""The policy's ``inventory`` section: the tolerance for booking a warehouse's count."""

from __future__ import annotations

import copy
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
import yaml

from o2c.policy import PolicyError, parse_policy


def shipped() -> dict[str, Any]:
    text = resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def test_the_shipped_policy_books_counts_within_two_percent_and_refers_the_rest() -> None:
    policy = parse_policy(shipped())
    table = policy.base.inventory_table
    assert [r.rule_id for r in table.rules] == ["within-tolerance", "above-tolerance"]
    _, d = table.decide({"delta_percent": Decimal("2.00")}, policy_id=policy.policy_id,
                        version=policy.version, outcome_key="outcome")
    assert (d.policy_id, d.version, d.rule, d.outcome) == ("o2c.default", "1", "inventory/within-tolerance",
                                                           "adjust")
    _, d = table.decide({"delta_percent": Decimal("2.01")}, policy_id=policy.policy_id,
                        version=policy.version, outcome_key="outcome")
    assert (d.rule, d.outcome) == ("inventory/above-tolerance", "review")
    assert policy.base.sla_hours["INV-COUNT-MISMATCH"] == 24


def test_a_document_without_the_section_refers_every_difference() -> None:
    raw = shipped()
    del raw["inventory"]
    table = parse_policy(raw).base.inventory_table
    assert [(r.rule_id, r.then["outcome"]) for r in table.rules] == [("no-tolerance-set", "review")]


def test_a_legal_entity_may_set_its_own_tolerance() -> None:
    raw = shipped()
    raw["entities"] = {"CA": {"inventory": {"rules": [
        {"id": "cycle-count", "when": {"abs_delta": {"le": "10"}}, "then": {"outcome": "adjust"}},
        {"id": "refer", "then": {"outcome": "review"}},
    ]}}}
    policy = parse_policy(raw)
    assert [r.rule_id for r in policy.for_entity("CA").inventory_table.rules] == ["cycle-count", "refer"]
    assert [r.rule_id for r in policy.for_entity("US").inventory_table.rules] == [
        "within-tolerance", "above-tolerance"]


@pytest.mark.parametrize(("inventory", "message"), [
    ({"rules": [{"id": "x", "then": {"outcome": "overwrite"}}]},
     "policy.inventory.rules[x].then.outcome: expected one of ['adjust', 'review'], got 'overwrite'"),
    ({"rules": [{"id": "x", "when": {"delta_percent": {"le": "1"}}, "then": {"outcome": "adjust"}}]},
     "the last rule must have no 'when'"),
    ({"rules": [{"id": "x", "when": {"delta_percent": {"about": "1"}}, "then": {"outcome": "adjust"}},
                {"id": "y", "then": {"outcome": "review"}}]},
     "unknown operator"),
    ({"rules": []}, "inventory: expected a non-empty list of rules"),
    (["adjust"], "policy.inventory: expected a mapping"),
])
def test_a_bad_inventory_section_is_refused_naming_where(inventory: Any, message: str) -> None:
    raw = copy.deepcopy(shipped())
    raw["inventory"] = inventory
    with pytest.raises(PolicyError) as err:
        parse_policy(raw)
    assert message in str(err.value)
