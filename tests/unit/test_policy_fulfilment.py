"""The policy's ``fulfilment`` section: which hold a warehouse exception raises, and which
carrier statuses (X12 214 AT701) are delays."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from o2c.policy import DecisionTable, PolicyError, parse_policy


def shipped() -> dict[str, Any]:
    text = resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def outcome(table: DecisionTable, **inputs: str) -> tuple[str, str]:
    """(rule, outcome) of the rule that decides ``inputs``."""
    key = "hold" if table.name == "fulfilment-exception" else "outcome"
    _, d = table.decide(inputs, policy_id="p", version="1", outcome_key=key)
    return d.rule, d.outcome


@pytest.mark.parametrize(("status", "rule", "result"), [
    ("SD", "carrier-reports-delay", "FUL-LATE-SHIP"),
    ("AP", "carrier-reports-delay", "FUL-LATE-SHIP"),
    ("A7", "carrier-reports-exception", "FUL-LATE-SHIP"),
    ("X6", "milestone", "record"),
    ("AF", "milestone", "record"),
])
def test_the_shipped_policy_calls_delays_and_exceptions_late(status: str, rule: str, result: str) -> None:
    table = parse_policy(shipped()).base.shipment_status_table
    assert outcome(table, status=status, reason="NS") == (f"shipment-status/{rule}", result)


@pytest.mark.parametrize(("code", "hold"), [
    ("LOT_MISSING", "INV-LOT-UNAVAILABLE"), ("NOLOT", "INV-LOT-UNAVAILABLE"),
    ("SHORT", "FUL-QTY-MISMATCH"), ("E", "FUL-QTY-MISMATCH"),
])
def test_the_shipped_policy_maps_lot_codes_to_the_lot_hold(code: str, hold: str) -> None:
    table = parse_policy(shipped()).base.fulfilment_exception_table
    assert outcome(table, code=code)[1] == hold


def test_a_document_without_the_section_holds_every_exception_and_only_sd_is_late() -> None:
    raw = shipped()
    del raw["fulfilment"]
    base = parse_policy(raw).base
    assert outcome(base.fulfilment_exception_table, code="LOT_MISSING")[1] == "FUL-QTY-MISMATCH"
    assert outcome(base.shipment_status_table, status="SD")[1] == "FUL-LATE-SHIP"
    assert outcome(base.shipment_status_table, status="AP")[1] == "record"


@pytest.mark.parametrize(("key", "then", "path"), [
    ("exception_rules", {"hold": "CRD-OVER-LIMIT"}, "policy.fulfilment.exception_rules[x].then.hold"),
    ("shipment_status_rules", {"outcome": "panic"},
     "policy.fulfilment.shipment_status_rules[x].then.outcome"),
])
def test_an_outcome_the_engine_cannot_act_on_is_refused_with_its_path(key: str, then: dict,
                                                                      path: str) -> None:
    raw = shipped()
    raw["fulfilment"][key] = [{"id": "x", "then": then}]
    with pytest.raises(PolicyError, match=path.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(raw)


def test_a_legal_entity_may_name_its_own_delay_codes() -> None:
    raw = shipped()
    raw["entities"] = {"US": {"fulfilment": {"shipment_status_rules": [
        {"id": "appointment-missed", "when": {"status": "X6"}, "then": {"outcome": "FUL-LATE-SHIP"}},
        {"id": "record", "then": {"outcome": "record"}},
    ]}}}
    policy = parse_policy(raw)
    assert outcome(policy.for_entity("US").shipment_status_table, status="X6")[1] == "FUL-LATE-SHIP"
    assert outcome(policy.for_entity("CA").shipment_status_table, status="X6")[1] == "record"
    # the exception table is inherited from the base when an entity overrides only the statuses
    inherited = policy.for_entity("US").fulfilment_exception_table
    assert outcome(inherited, code="NOLOT")[1] == "INV-LOT-UNAVAILABLE"
