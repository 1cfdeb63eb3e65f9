"""Benchmark of policy decisions: credit decisions per second on one core.

Run from the repository root: ``python benchmarks/policy.py [--decisions N] [--rules R]``.

The policy is the shipped one with its credit table grown to ``--rules`` rows (default 50:
bands of exposure, order value, past-due days and amounts per customer segment, each naming a
hold code, collected as the shipped table does) and an override per legal entity (two of
three entities have their own table), in a registry of two versions with effective dates, so
every decision does what the engine does: find the version in force for the entity (in its
zone), take the entity's section, evaluate the table (every rule, ``hit: collect``) and build
the decision with the inputs it read, then find the approval tier of each hold it raises.
Inputs are generated deterministically (seeded) in the form the credit check builds them
(Decimals rounded to cents, whole days, booleans).
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from o2c.bootstrap import load_policy_file
from o2c.domain.holds import HoldCode
from o2c.engine.authority import tier
from o2c.policy import PolicyRegistry, parse_policy

ENTITIES = (("US01", "America/Chicago"), ("CA01", "America/Toronto"), ("MX01", "America/Mexico_City"))
CODES = ("CRD-OVER-LIMIT", "CRD-PAST-DUE", "CRD-ACCOUNT-BLOCKED")


def credit_rules(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """``n`` rules (the last the default): the shipped three, then bands."""
    rules: list[dict[str, Any]] = [
        {"id": "account-blocked", "when": {"account_blocked": True},
         "then": {"outcome": "CRD-ACCOUNT-BLOCKED"}},
        {"id": "past-due", "when": {"days_past_due": {"gt": 30}, "past_due_amount": {"gt": "500"}},
         "then": {"outcome": "CRD-PAST-DUE"}},
        {"id": "over-limit", "when": {"over_limit": {"gt": "0"}}, "then": {"outcome": "CRD-OVER-LIMIT"}},
    ]
    i = 0
    while len(rules) < n - 1:
        i += 1
        kind = i % 4
        lo = rng.randint(1, 400) * 1000
        if kind == 0:
            when: dict[str, Any] = {"exposure": {"gt": str(lo)}, "credit_limit": {"lt": str(lo // 2)}}
        elif kind == 1:
            when = {"order_value": {"ge": str(lo), "lt": str(lo * 2)}, "open_ar": {"gt": str(lo * 3)}}
        elif kind == 2:
            when = {"days_past_due": {"gt": rng.randint(45, 120)}, "past_due_amount": {"gt": str(lo // 10)}}
        else:
            when = {"segment": {"in": rng.sample(["A", "B", "C", "D", "E"], 2)},
                    "uninvoiced_released": {"gt": str(lo)}}
        rules.append({"id": f"band-{i}", "when": when, "then": {"outcome": rng.choice(CODES)}})
    rules.append({"id": "within-limit", "then": {"outcome": "approve"}})
    return rules


def registry(rules: int, seed: int) -> PolicyRegistry:
    rng = random.Random(seed)
    base = copy.deepcopy(dict(load_policy_file().raw))
    base["credit"] = {"hit": "collect", "auto_release": ["CRD-OVER-LIMIT"], "rules": credit_rules(rules, rng)}
    base["entities"] = {
        "CA01": {"credit": {"hit": "collect", "rules": credit_rules(rules, rng)},
                 "approvals": {"rules": [{"id": "all-to-manager", "when": {"code": "CRD-OVER-LIMIT"},
                                          "then": {"role": "credit_manager"}},
                                         {"id": "owner", "then": {"role": "owner"}}]}},
        "MX01": {"credit": {"hit": "collect", "rules": credit_rules(rules, rng)}},
    }
    first = parse_policy({**base, "version": "1", "effective_from": date(2020, 1, 1)})
    second = parse_policy({**base, "version": "2", "effective_from": date(2026, 6, 1)})
    return PolicyRegistry([first, second])


def inputs(n: int, seed: int) -> list[tuple[str, str, datetime, dict[str, object]]]:
    """Accounts as a distributor's are: most orders within the limit (about one in ten over
    it), a few accounts past due, one in a hundred blocked."""
    rng = random.Random(seed)
    start = datetime(2026, 5, 25, tzinfo=UTC)
    out = []
    cent = Decimal("0.01")

    def share(limit: Decimal, hi: float) -> Decimal:
        return (limit * Decimal(rng.randint(0, int(hi * 10_000))) / 10_000).quantize(cent)

    for _ in range(n):
        le, zone = rng.choice(ENTITIES)
        limit = Decimal(rng.randint(5, 500) * 1000)
        open_ar, uninvoiced, value = share(limit, 0.7), share(limit, 0.2), share(limit, 0.25)
        exposure = open_ar + uninvoiced + value
        late = rng.random() < 0.1
        out.append((le, zone, start + timedelta(hours=rng.randint(0, 24 * 20)), {
            "account_blocked": rng.random() < 0.01, "exposure": exposure, "credit_limit": limit,
            "over_limit": exposure - limit, "order_value": value, "open_ar": open_ar,
            "uninvoiced_released": uninvoiced,
            "past_due_amount": share(open_ar, 0.5) if late else Decimal("0.00"),
            "days_past_due": rng.randint(1, 120) if late else 0,
            "segment": rng.choice("ABCDE"), "in_group": False,
        }))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=200_000)
    ap.add_argument("--rules", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    reg = registry(args.rules, args.seed)
    cases = inputs(args.decisions, args.seed)
    held = approved = 0
    gc.collect()
    t0 = time.perf_counter()
    for le, zone, at, inp in cases:
        policy = reg.in_force(at, zone)
        section = policy.for_entity(le)
        _, d = section.credit_table.decide(inp, policy_id=policy.policy_id, version=policy.version,
                                           outcome_key="outcome")
        if d.outcome == "approve":
            approved += 1
            continue
        held += 1
        for code in {c.outcome for c in d.conditions}:
            tier(section, HoldCode(code), inp["over_limit"], le)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    rate = args.decisions / elapsed
    print(f"{args.decisions:,} credit decisions ({args.rules}-row table, hit: collect, 3 entities with "
          f"overrides, 2 versions): {elapsed:.2f} s, {rate:,.0f} decisions/s on one core "
          f"({held:,} held, {approved:,} approved)")
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
