"""Decision tables with safe, declarative conditions.

A rule is ``{id, when: {input: condition, ...}, then: {...}}``. A condition is
a literal (equality) or a mapping of operators: ``eq ne gt ge lt le in``.
Numbers are compared as Decimal. A rule without ``when`` always matches; the
last rule is such a default. No code is evaluated, so a policy author cannot
run anything.

The hit policy says which rules decide: ``first`` (the first rule that matches)
or ``collect`` (every rule that matches, in table order; the default only when
no other rule does), for checks that must report every condition that failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from o2c.domain.events import Condition, Decision

OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "in"})
HIT_POLICIES = ("first", "collect")


class TableError(ValueError):
    """A decision table that cannot be evaluated as written."""


def _num(v: object) -> Decimal | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | Decimal):
        return Decimal(v)
    if isinstance(v, str):
        try:
            return Decimal(v)
        except InvalidOperation:
            return None
    return None


def _cmp(op: str, actual: object, expected: object) -> bool:
    if op == "in":
        return any(_cmp("eq", actual, e) for e in expected)  # type: ignore[attr-defined]
    a, e = _num(actual), _num(expected)
    if a is not None and e is not None:
        pair: tuple[Any, Any] = (a, e)
    else:
        pair = (str(actual).lower() if isinstance(actual, bool) else actual,
                str(expected).lower() if isinstance(expected, bool) else expected)
    x, y = pair
    if op == "eq":
        return bool(x == y)
    if op == "ne":
        return bool(x != y)
    if a is None or e is None:
        return False
    return {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    rule_id: str
    when: Mapping[str, object]
    then: Mapping[str, object]

    def matches(self, inputs: Mapping[str, object]) -> bool:
        for name, cond in self.when.items():
            if name not in inputs:
                return False
            actual = inputs[name]
            if isinstance(cond, Mapping):
                if not all(_cmp(op, actual, exp) for op, exp in cond.items()):
                    return False
            elif not _cmp("eq", actual, cond):
                return False
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionTable:
    name: str
    rules: tuple[Rule, ...]
    hit: str = "first"

    @staticmethod
    def parse(name: str, raw: object, hit: str = "first") -> DecisionTable:
        if hit not in HIT_POLICIES:
            raise TableError(f"{name}: hit policy {hit!r} is unknown; allowed: {list(HIT_POLICIES)}")
        if not isinstance(raw, list) or not raw:
            raise TableError(f"{name}: expected a non-empty list of rules")
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, r in enumerate(raw, 1):
            if not isinstance(r, Mapping) or "id" not in r or "then" not in r:
                raise TableError(f"{name}: rule {i} needs 'id' and 'then'")
            rid = str(r["id"])
            if rid in seen:
                raise TableError(f"{name}: rule id {rid!r} is used twice")
            seen.add(rid)
            when = r.get("when") or {}
            then = r["then"]
            if not isinstance(when, Mapping) or not isinstance(then, Mapping):
                raise TableError(f"{name}: rule {rid!r}: 'when' and 'then' must be mappings")
            for cname, cond in when.items():
                if isinstance(cond, Mapping):
                    bad = set(cond) - OPERATORS
                    if bad:
                        raise TableError(f"{name}: rule {rid!r}: condition on {cname!r} uses unknown "
                                         f"operator(s) {sorted(bad)}; allowed: {sorted(OPERATORS)}")
            rules.append(Rule(rule_id=rid, when=dict(when), then=dict(then)))
        if rules[-1].when:
            raise TableError(f"{name}: the last rule must have no 'when' (the default)")
        return DecisionTable(name=name, rules=tuple(rules), hit=hit)

    def evaluate(self, inputs: Mapping[str, object]) -> Rule:
        """The first rule that matches."""
        for r in self.rules:
            if r.matches(inputs):
                return r
        raise TableError(f"{self.name}: no rule matched")  # unreachable: last rule is a default

    def matching(self, inputs: Mapping[str, object]) -> tuple[Rule, ...]:
        """The rules that decide, as the hit policy says: the first match, or every
        match but the default (the default alone when nothing else matches)."""
        if self.hit == "first":
            return (self.evaluate(inputs),)
        found = tuple(r for r in self.rules[:-1] if r.matches(inputs))
        return found or (self.rules[-1],)

    def decide(self, inputs: Mapping[str, object], *, policy_id: str, version: str,
               outcome_key: str) -> tuple[Rule, Decision]:
        """The decision of the first deciding rule; in a ``collect`` table its
        ``conditions`` name every deciding rule with the inputs its conditions read."""
        rules = self.matching(inputs)
        rule = rules[0]
        conditions = () if self.hit == "first" else tuple(
            Condition(rule=f"{self.name}/{r.rule_id}", outcome=str(r.then.get(outcome_key, "")),
                      inputs={k: _fmt(inputs[k]) for k in r.when})
            for r in rules if r is not self.rules[-1])
        decision = Decision(
            policy_id=policy_id, version=version, rule=f"{self.name}/{rule.rule_id}",
            outcome=str(rule.then.get(outcome_key, "")),
            inputs={k: _fmt(v) for k, v in inputs.items()}, conditions=conditions,
        )
        return rule, decision


def _fmt(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
