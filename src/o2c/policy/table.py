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

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

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


#: a compiled condition: (the input as given, the input as a number or None) -> holds
Test = Callable[[object, Decimal | None], bool]


def _norm(v: object) -> object:
    return str(v).lower() if isinstance(v, bool) else v


def _compile(op: str, expected: object) -> Test:
    """One condition as a function, its expected value read once. ``in``: equal to one of the
    values. Two numbers (ints, Decimals, numeric texts; never booleans) compare as Decimals;
    otherwise ``eq``/``ne`` compare as given (booleans as ``true``/``false``) and an ordering
    of something that is not a number does not hold."""
    if op == "in":
        tests = tuple(_compile("eq", e) for e in expected)  # type: ignore[attr-defined]
        return lambda a, an: any(t(a, an) for t in tests)
    en, ex = _num(expected), _norm(expected)
    if op in ("eq", "ne"):
        want = op == "eq"
        if en is None:
            return lambda a, an: (_norm(a) == ex) is want
        return lambda a, an: ((an == en) if an is not None else (_norm(a) == ex)) is want
    if en is None:
        return lambda a, an: False
    match op:
        case "gt":
            return lambda a, an: an is not None and an > en
        case "ge":
            return lambda a, an: an is not None and an >= en
        case "lt":
            return lambda a, an: an is not None and an < en
        case _:
            return lambda a, an: an is not None and an <= en


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    rule_id: str
    when: Mapping[str, object]
    then: Mapping[str, object]
    #: ``when`` compiled: (input name, test) in order
    tests: tuple[tuple[str, Test], ...] = field(default=(), compare=False, repr=False)

    @staticmethod
    def build(rule_id: str, when: Mapping[str, object], then: Mapping[str, object]) -> Rule:
        tests: list[tuple[str, Test]] = []
        for name, cond in when.items():
            if isinstance(cond, Mapping):
                tests.extend((name, _compile(op, exp)) for op, exp in cond.items())
            else:
                tests.append((name, _compile("eq", cond)))
        return Rule(rule_id=rule_id, when=when, then=then, tests=tuple(tests))

    def matches(self, inputs: Mapping[str, object]) -> bool:
        return self._holds(_prepared(inputs))

    def _holds(self, prepared: Mapping[str, tuple[object, Decimal | None]]) -> bool:
        for name, test in self.tests:
            v = prepared.get(name)
            if v is None or not test(*v):
                return False
        return True


def _prepared(inputs: Mapping[str, object]) -> dict[str, tuple[object, Decimal | None]]:
    """Each input with its value as a number (once per evaluation, not once per condition)."""
    return {k: (v, v if type(v) is Decimal else _num(v)) for k, v in inputs.items()}


_RANGE_OPS = ("gt", "ge", "lt", "le")
#: tables of more rules than this are evaluated through an index
INDEX_FROM = 8


class _Index:
    """Which rules match, found without trying each in turn. Every condition a policy can
    write as a threshold (``gt ge lt le`` on a number) or as values to equal (``eq``, ``in``)
    is filed: thresholds sorted per input and operator, values in a dictionary. Evaluating a
    table bisects and looks up each input once and counts, per rule, the conditions that
    hold; a rule whose every condition is filed matches when all of them hold. Rules with a
    condition that cannot be filed (``ne``, a value that is not a number and cannot be
    hashed) are tried as written."""

    __slots__ = ("always", "need", "num_eq", "ranges", "raw_eq")

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        ranges: dict[tuple[str, str], list[tuple[Decimal, int]]] = {}
        num_eq: dict[str, dict[Decimal, list[int]]] = {}
        raw_eq: dict[str, dict[object, list[int]]] = {}
        always: list[int] = []
        need: dict[int, int] = {}
        for i, r in enumerate(rules):
            filed = self._filed(r)
            if not filed:  # a condition that cannot be filed, or none (the default)
                always.append(i)
                continue
            need[i] = len(filed)
            for kind, name, key in (entry for condition in filed for entry in condition):
                if kind == "num":
                    num_eq.setdefault(name, {}).setdefault(key, []).append(i)  # type: ignore[arg-type]
                elif kind == "raw":
                    raw_eq.setdefault(name, {}).setdefault(key, []).append(i)
                else:
                    ranges.setdefault((name, kind), []).append((key, i))  # type: ignore[arg-type]
        self.always = tuple(always)
        self.need = need
        self.ranges = [(name, _RANGE_OPS.index(op), [t for t, _ in sorted(v)], [i for _, i in sorted(v)])
                       for (name, op), v in ranges.items()]
        self.num_eq = {k: {e: tuple(v) for e, v in d.items()} for k, d in num_eq.items()}
        self.raw_eq = {k: {e: tuple(v) for e, v in d.items()} for k, d in raw_eq.items()}

    @staticmethod
    def _filed(r: Rule) -> list[list[tuple[str, str, object]]] | None:
        """The rule's conditions, each as the (kind, input, key) entries it is filed under
        (an ``in`` condition under each of its values); None if one cannot be filed. An input
        is one value, so it meets at most one entry of a condition: its values must be all
        numbers or all texts (a number never equals a text)."""
        out: list[list[tuple[str, str, object]]] = []
        for name, cond in r.when.items():
            ops = cond.items() if isinstance(cond, Mapping) else (("eq", cond),)
            for op, exp in ops:
                if op in _RANGE_OPS:
                    e = _num(exp)
                    if e is None or not e.is_finite():
                        return None
                    out.append([(op, name, e)])
                elif op in ("eq", "in"):
                    values = list(exp) if op == "in" and isinstance(exp, list | tuple) else [exp]
                    nums: set[Decimal] = set()
                    texts: set[str] = set()
                    for v in values:
                        e = _num(v)
                        if e is not None:
                            if not e.is_finite():
                                return None
                            nums.add(e)
                        elif isinstance(k := _norm(v), str):
                            texts.add(k)
                        else:
                            return None
                    if not values or (nums and texts):
                        return None
                    out.append([("num", name, k) for k in nums] + [("raw", name, k) for k in texts])
                else:
                    return None
        return out

    def matching(self, prepared: Mapping[str, tuple[object, Decimal | None]]) -> set[int]:
        """The positions of the filed rules whose every condition holds."""
        hits: list[int] = []
        extend = hits.extend
        for name, op, thresholds, idx in self.ranges:
            v = prepared.get(name)
            if v is None or (an := v[1]) is None:
                continue
            if op == 0:  # gt
                extend(idx[:bisect_left(thresholds, an)])
            elif op == 1:  # ge
                extend(idx[:bisect_right(thresholds, an)])
            elif op == 2:  # lt
                extend(idx[bisect_right(thresholds, an):])
            else:  # le
                extend(idx[bisect_left(thresholds, an):])
        for name, by_num in self.num_eq.items():
            v = prepared.get(name)
            if v is not None and v[1] is not None:
                hits.extend(by_num.get(v[1], ()))
        for name, by_raw in self.raw_eq.items():
            v = prepared.get(name)
            if v is not None:
                with suppress(TypeError):  # an unhashable input equals no value a policy writes
                    hits.extend(by_raw.get(_norm(v[0]), ()))
        need = self.need
        return {i for i, n in Counter(hits).items() if n == need[i]}


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionTable:
    name: str
    rules: tuple[Rule, ...]
    hit: str = "first"
    index: _Index | None = None

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
            rules.append(Rule.build(rid, dict(when), dict(then)))
        if rules[-1].when:
            raise TableError(f"{name}: the last rule must have no 'when' (the default)")
        # A short table is quicker to try rule by rule than to look up.
        index = _Index(tuple(rules)) if len(rules) > INDEX_FROM else None
        return DecisionTable(name=name, rules=tuple(rules), hit=hit, index=index)

    def _matches(self, prepared: Mapping[str, tuple[object, Decimal | None]]) -> list[Rule]:
        """Every rule that matches, in table order."""
        if self.index is None:
            return [r for r in self.rules if r._holds(prepared)]
        found = self.index.matching(prepared)
        found.update(i for i in self.index.always if self.rules[i]._holds(prepared))
        return [self.rules[i] for i in sorted(found)]

    def evaluate(self, inputs: Mapping[str, object]) -> Rule:
        """The first rule that matches."""
        prepared = _prepared(inputs)
        for r in self._matches(prepared):
            return r
        raise TableError(f"{self.name}: no rule matched")  # unreachable: last rule is a default

    def matching(self, inputs: Mapping[str, object]) -> tuple[Rule, ...]:
        """The rules that decide, as the hit policy says: the first match, or every
        match but the default (the default alone when nothing else matches)."""
        if self.hit == "first":
            return (self.evaluate(inputs),)
        default = self.rules[-1]
        found = tuple(r for r in self._matches(_prepared(inputs)) if r is not default)
        return found or (default,)

    def decide(self, inputs: Mapping[str, object], *, policy_id: str, version: str,
               outcome_key: str) -> tuple[Rule, Decision]:
        """The decision of the first deciding rule; in a ``collect`` table its
        ``conditions`` name every deciding rule with the inputs its conditions read."""
        rules = self.matching(inputs)
        rule = rules[0]
        shown = {k: _fmt(v) for k, v in inputs.items()}
        conditions = () if self.hit == "first" else tuple(
            Condition(rule=f"{self.name}/{r.rule_id}", outcome=str(r.then.get(outcome_key, "")),
                      inputs={k: shown[k] for k in r.when})
            for r in rules if r is not self.rules[-1])
        decision = Decision(
            policy_id=policy_id, version=version, rule=f"{self.name}/{rule.rule_id}",
            outcome=str(rule.then.get(outcome_key, "")), inputs=shown, conditions=conditions,
        )
        return rule, decision


def _fmt(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
