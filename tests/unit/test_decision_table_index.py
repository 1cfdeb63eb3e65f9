"""A table evaluated through its index decides exactly what trying every rule as written
decides: checked against a plain statement of what each condition means, on random tables
and inputs, short (tried rule by rule) and long (looked up)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.policy.table import INDEX_FROM, DecisionTable, _num


def holds(op: str, actual: object, expected: object) -> bool:
    """What a condition means, written out plainly (the reference)."""
    if op == "in":
        return any(holds("eq", actual, e) for e in expected)  # type: ignore[attr-defined]
    a, e = _num(actual), _num(expected)
    if a is not None and e is not None:
        x, y = a, e
    else:
        x = str(actual).lower() if isinstance(actual, bool) else actual
        y = str(expected).lower() if isinstance(expected, bool) else expected
    if op == "eq":
        return bool(x == y)
    if op == "ne":
        return bool(x != y)
    if a is None or e is None:
        return False
    return {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]


def matches(rule: dict[str, Any], inputs: dict[str, object]) -> bool:
    for name, cond in (rule.get("when") or {}).items():
        if name not in inputs:
            return False
        ops = cond.items() if isinstance(cond, dict) else [("eq", cond)]
        if not all(holds(op, inputs[name], exp) for op, exp in ops):
            return False
    return True


NAMES = ("a", "b", "c", "flag")
values = st.one_of(
    st.integers(-3, 3), st.decimals(-3, 3, places=1, allow_nan=False),
    st.sampled_from(["1", "2.0", "x", "y", "true", "false", "-1.50", ""]), st.booleans(),
)
conditions = st.one_of(
    values,
    st.dictionaries(st.sampled_from(["gt", "ge", "lt", "le", "eq", "ne"]), values, min_size=1, max_size=2),
    st.fixed_dictionaries({"in": st.lists(values, max_size=3)}),
)
rules = st.lists(st.dictionaries(st.sampled_from(NAMES), conditions, min_size=1, max_size=3),
                 min_size=1, max_size=2 * INDEX_FROM + 4)
inputs = st.dictionaries(st.sampled_from(NAMES), values, max_size=4)


@settings(max_examples=400, deadline=None)
@given(whens=rules, given_inputs=inputs, hit=st.sampled_from(["first", "collect"]))
def test_the_index_finds_exactly_the_rules_that_match(whens: list[dict[str, Any]],
                                                     given_inputs: dict[str, object], hit: str) -> None:
    raw = [{"id": f"r{i}", "when": w, "then": {"outcome": f"o{i}"}} for i, w in enumerate(whens)]
    raw.append({"id": "default", "then": {"outcome": "none"}})
    table = DecisionTable.parse("t", raw, hit=hit)
    assert (table.index is not None) == (len(raw) > INDEX_FROM)
    expected = [r["id"] for r in raw[:-1] if matches(r, given_inputs)]
    got = [r.rule_id for r in table.matching(given_inputs)]
    if hit == "first":
        assert got == [(expected or ["default"])[0]]
    else:
        assert got == (expected or ["default"])


def test_a_decimal_input_meets_an_integer_threshold_and_a_text_one() -> None:
    thresholds = [1, "2", Decimal("2.5")] * 4
    raw = [{"id": f"r{i}", "when": {"v": {"gt": t}}, "then": {}} for i, t in enumerate(thresholds)]
    raw.append({"id": "default", "then": {}})
    table = DecisionTable.parse("t", raw, hit="collect")
    assert [r.rule_id for r in table.matching({"v": Decimal("2.1")})] == [
        f"r{i}" for i in range(12) if i % 3 in (0, 1)]
