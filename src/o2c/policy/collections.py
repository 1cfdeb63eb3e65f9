"""The ``collections`` section of a policy: dunning steps, the minimum worth a notice, when
the daily dunning run is, and promises to pay (who may record them, how long after the
promised date o2c waits for the cash).

```yaml
collections:
  run_at: "06:00"              # the daily dunning run, business time in the entity's zone
  minimum_amount: "25.00"      # an undisputed past-due rest below this gets no notice
  promise_roles: [collections, ar_manager, controller]
  promise_grace_days: 2        # a promise is judged this many days after its date
  dunning_steps:               # by days past due; each is sent at most once per invoice
    - {name: reminder, days: 1, channel: email, template: "..."}
```
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from o2c.domain.collections import FIELDS, DunningStep, render
from o2c.domain.holds import Role

CHANNELS = ("email", "letter", "edi")
#: roles that may be named as recording promises (deciding on an account's cash)
PROMISE_ROLE_CHOICES = frozenset({Role.COLLECTIONS, Role.AR_MANAGER, Role.CONTROLLER, Role.CREDIT_MANAGER})

DEFAULTS: Mapping[str, Any] = {
    "run_at": "06:00",
    "minimum_amount": "0",
    "promise_roles": ["collections", "ar_manager", "controller"],
    "promise_grace_days": 2,
    "dunning_steps": [],
}


class CollectionsPolicyError(ValueError):
    """A ``collections`` section that does not follow the schema; names the path."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectionsPolicy:
    steps: tuple[DunningStep, ...] = ()
    minimum_amount: Decimal = Decimal(0)
    promise_roles: frozenset[Role] = field(
        default_factory=lambda: frozenset({Role.COLLECTIONS, Role.AR_MANAGER, Role.CONTROLLER}))
    promise_grace_days: int = 2
    run_at: time = time(6, 0)


def parse_collections(path: str, raw: Mapping[str, Any]) -> CollectionsPolicy:
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise CollectionsPolicyError(f"{path}.{unknown[0]}: not a collections setting "
                                     f"(known: {', '.join(DEFAULTS)})")

    def get(key: str) -> Any:
        return raw.get(key, DEFAULTS[key])

    try:
        run_at = time.fromisoformat(str(get("run_at")))
    except ValueError:
        raise CollectionsPolicyError(f"{path}.run_at: expected a time of day like \"06:00\", "
                                     f"got {get('run_at')!r}") from None
    minimum = get("minimum_amount")
    if isinstance(minimum, bool | float):
        raise CollectionsPolicyError(f"{path}.minimum_amount: write decimals as quoted strings "
                                     f"(got {minimum!r})")
    try:
        minimum_amount = Decimal(str(minimum))
    except InvalidOperation:
        raise CollectionsPolicyError(f"{path}.minimum_amount: expected an amount, got {minimum!r}") from None
    if minimum_amount < 0:
        raise CollectionsPolicyError(f"{path}.minimum_amount: expected an amount ≥ 0, got {minimum!r}")
    grace = get("promise_grace_days")
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise CollectionsPolicyError(f"{path}.promise_grace_days: expected a whole number ≥ 0, got {grace!r}")
    roles_raw = get("promise_roles")
    if not isinstance(roles_raw, list) or not roles_raw:
        raise CollectionsPolicyError(f"{path}.promise_roles: expected a list of roles, got {roles_raw!r}")
    allowed = {r.value for r in PROMISE_ROLE_CHOICES}
    for r in roles_raw:
        if r not in allowed:
            raise CollectionsPolicyError(f"{path}.promise_roles: {r!r} is not one of "
                                         f"{', '.join(sorted(allowed))}")
    return CollectionsPolicy(steps=_steps(f"{path}.dunning_steps", get("dunning_steps")),
                             minimum_amount=minimum_amount,
                             promise_roles=frozenset(Role(r) for r in roles_raw),
                             promise_grace_days=grace, run_at=run_at)


def _steps(path: str, raw: object) -> tuple[DunningStep, ...]:
    if not isinstance(raw, list):
        raise CollectionsPolicyError(f"{path}: expected a list of steps, got {type(raw).__name__}")
    out: list[DunningStep] = []
    for n, s in enumerate(raw):
        p = f"{path}[{n}]"
        if not isinstance(s, Mapping):
            raise CollectionsPolicyError(f"{p}: expected a mapping with name, days, channel, template")
        missing = [k for k in ("name", "days", "channel", "template") if k not in s]
        if missing:
            raise CollectionsPolicyError(f"{p}.{missing[0]}: missing")
        name, days, channel, template = str(s["name"]), s["days"], s["channel"], str(s["template"])
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise CollectionsPolicyError(f"{p}.days: expected days past due ≥ 1, got {days!r}")
        if channel not in CHANNELS:
            raise CollectionsPolicyError(f"{p}.channel: {channel!r} is not one of {', '.join(CHANNELS)}")
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        bad = sorted(fields - set(FIELDS))
        if bad:
            raise CollectionsPolicyError(f"{p}.template: {{{bad[0]}}} is not a field "
                                         f"(known: {', '.join(FIELDS)})")
        try:
            render(template, customer="C", invoice="I", amount=Decimal(1), currency="USD",
                   due_date=date(2020, 1, 1), days=1)
        except (ValueError, IndexError) as e:
            raise CollectionsPolicyError(f"{p}.template: {e}") from None
        if any(o.name == name for o in out):
            raise CollectionsPolicyError(f"{p}.name: {name!r} is named twice")
        if any(o.days == days for o in out):
            raise CollectionsPolicyError(f"{p}.days: two steps at {days} days past due")
        out.append(DunningStep(name=name, days=days, channel=channel, template=template))
    return tuple(sorted(out, key=lambda s: s.days))
