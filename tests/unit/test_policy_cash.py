"""The policy's ``cash`` section: how cash application matches payments to invoices."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from o2c.domain.cash_matching import MatchSettings
from o2c.policy import PolicyError, parse_policy


def shipped() -> dict[str, Any]:
    text = resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def test_the_shipped_policy_matches_with_one_typo_and_combinations_of_four() -> None:
    s = parse_policy(shipped()).base.cash_matching
    assert s == MatchSettings(max_typo_distance=1, max_combination=4, combination_candidates=24,
                              combination_budget=20000, discount_grace_days=0)


def test_a_document_without_the_section_matches_as_the_shipped_one() -> None:
    raw = shipped()
    del raw["cash"]
    assert parse_policy(raw).base.cash_matching == parse_policy(shipped()).base.cash_matching


def test_a_legal_entity_may_allow_a_discount_grace() -> None:
    raw = shipped()
    raw["entities"] = {"CA": {"cash": {"discount_grace_days": 3, "max_typo_distance": 0}}}
    policy = parse_policy(raw)
    assert policy.for_entity("CA").cash_matching.discount_grace_days == 3
    assert policy.for_entity("CA").cash_matching.max_typo_distance == 0
    assert policy.for_entity("US").cash_matching.discount_grace_days == 0


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("max_typo_distance", 3, "more than 2 typos"),
    ("max_combination", 0, "≥ 1"),
    ("combination_budget", -1, "≥ 0"),
    ("discount_grace_days", "two", "whole number"),
    ("fuzzy", 1, "not a cash matching setting"),
])
def test_a_bad_setting_is_refused_with_its_path(setting: str, value: object, message: str) -> None:
    raw = shipped()
    raw["cash"] = {setting: value}
    with pytest.raises(PolicyError, match=message) as e:
        parse_policy(raw)
    assert f"cash.{setting}" in str(e.value)
