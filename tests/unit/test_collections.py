"""The pure definitions of collections: aging buckets, value at risk and the worklist's
order, dunning steps, and the policy section that configures them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from o2c.domain.business_time import business_date
from o2c.domain.collections import (
    DunningStep,
    OpenInvoice,
    PromiseStanding,
    age,
    bucket,
    by_entity,
    risk_factor,
    step_due,
    worklist,
)
from o2c.policy.document import PolicyError, parse_policy
from o2c.policy.validation import problems

AS_OF = date(2026, 6, 30)


@pytest.mark.parametrize(("days", "expected"), [
    (-5, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"),
    (61, "61-90"), (90, "61-90"), (91, "over_90"), (400, "over_90"),
])
def test_an_open_item_falls_in_one_bucket_by_days_past_due(days: int, expected: str) -> None:
    assert bucket(days) == expected


@pytest.mark.parametrize(("instant", "expected"), [
    # 03:30 UTC on 1 July is still 30 June in Chicago: the item due 30 June is current there
    (datetime(2026, 7, 1, 3, 30, tzinfo=UTC), "current"),
    # 05:30 UTC is 00:30 on 1 July in Chicago: one day past due
    (datetime(2026, 7, 1, 5, 30, tzinfo=UTC), "1-30"),
])
def test_days_past_due_count_in_the_entitys_zone_across_midnight_utc(instant: datetime,
                                                                     expected: str) -> None:
    item = inv("C1", due=date(2026, 6, 30))
    as_of = business_date(instant, "America/Chicago")
    [row] = age([item], {"US": as_of}, instant.date())
    assert row.buckets[expected] == Decimal("100.00")


def inv(customer: str, *, due: date, amount: str = "100.00", disputed: str = "0",
        entity: str = "US", currency: str = "USD", n: int = 1) -> OpenInvoice:
    return OpenInvoice(invoice_id=f"{customer}-{n}", customer_id=customer, legal_entity_id=entity,
                       currency=currency, due_date=due, open_amount=Decimal(amount),
                       disputed=Decimal(disputed))


items = st.lists(st.builds(
    lambda c, d, a, disp, e, n: OpenInvoice(
        invoice_id=f"I{n}", customer_id=c, legal_entity_id=e, currency="USD" if e == "US" else "CAD",
        due_date=AS_OF - timedelta(days=d), open_amount=a, disputed=min(disp, a)),
    st.sampled_from(["C1", "C2", "C3"]), st.integers(-40, 200),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=2),
    st.sampled_from(["US", "CA"]), st.integers(0, 10**6)), max_size=40)


@given(items)
def test_the_aging_buckets_of_an_account_sum_to_its_open_ar(xs: list[OpenInvoice]) -> None:
    rows = age(xs, {"US": AS_OF, "CA": AS_OF - timedelta(days=1)}, AS_OF)
    reached = {b for r in rows for b, v in r.buckets.items() if v}
    for r in rows:
        mine = [i for i in xs if (i.customer_id, i.legal_entity_id) == (r.key, r.legal_entity_id)]
        assert r.total == sum((i.open_amount for i in mine), Decimal(0))
        assert r.invoices == len(mine)
    assert sum((r.total for r in by_entity(rows)), Decimal(0)) == sum((i.open_amount for i in xs), Decimal(0))
    if len(xs) > 30:  # the generator reaches more than one bucket
        assert len(reached) > 1


def test_value_at_risk_weighs_the_undisputed_past_due_by_days_and_risk() -> None:
    xs = [
        inv("BIG", due=AS_OF - timedelta(days=5), amount="10000.00"),  # 50,000
        inv("OLD", due=AS_OF - timedelta(days=100), amount="1000.00"),  # 100,000
        inv("RISKY", due=AS_OF - timedelta(days=40), amount="1000.00"),  # 40,000 x 3 = 120,000
        inv("DISPUTED", due=AS_OF - timedelta(days=300), amount="900.00", disputed="900.00"),
        inv("CURRENT", due=AS_OF, amount="99999.00"),
    ]
    out = worklist(xs, {}, AS_OF, {"RISKY": Decimal(3)}, {})
    assert [(e.customer_id, e.value_at_risk) for e in out] == [
        ("RISKY", Decimal("120000.00")), ("OLD", Decimal("100000.00")), ("BIG", Decimal("50000.00"))]


def test_a_broken_promise_goes_first_and_a_standing_one_last() -> None:
    xs = [inv(c, due=AS_OF - timedelta(days=d), amount=a)
          for c, d, a in (("A", 90, "9000.00"), ("B", 1, "1.00"), ("C", 60, "5000.00"))]
    out = worklist(xs, {}, AS_OF, {}, {"B": PromiseStanding.BROKEN, "A": PromiseStanding.STANDING})
    assert [e.customer_id for e in out] == ["B", "C", "A"]


def test_risk_grows_with_broken_promises_up_to_a_cap() -> None:
    assert [risk_factor(n) for n in (0, 1, 2, 10)] == [Decimal(1), Decimal("1.5"), Decimal(2), Decimal(3)]


STEPS = (DunningStep(name="r", days=1, channel="email", template="x"),
         DunningStep(name="s", days=15, channel="email", template="x"),
         DunningStep(name="f", days=45, channel="letter", template="x"))


@pytest.mark.parametrize(("days", "sent", "expected"), [
    (0, [], None), (1, [], "r"), (14, ["r"], None), (15, ["r"], "s"), (50, [], "f"), (50, ["f"], None),
    (20, ["f"], None),  # never a milder step after a harder one
    (60, ["r", "s"], "f"),
])
def test_an_invoice_gets_the_latest_step_it_reached_once(days: int, sent: list[str],
                                                         expected: str | None) -> None:
    step = step_due(STEPS, days, sent)
    assert (step.name if step else None) == expected


def _policy(collections: dict[str, Any]) -> dict[str, Any]:
    with open("src/o2c/policy/defaults/default.yaml", encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    raw["entities"] = {"CA": {"collections": collections}}
    return raw


def test_an_entity_overrides_the_dunning_steps() -> None:
    p = parse_policy(_policy({"minimum_amount": "100", "dunning_steps": [
        {"name": "only", "days": 10, "channel": "edi", "template": "{invoice} is {days} days late"}]}))
    assert [s.name for s in p.for_entity("CA").collections.steps] == ["only"]
    assert p.for_entity("CA").collections.minimum_amount == Decimal(100)
    assert [s.name for s in p.for_entity("US").collections.steps] == ["reminder", "second", "final"]


@pytest.mark.parametrize(("section", "message"), [
    ({"dunning_steps": [{"name": "x", "days": 1, "channel": "fax", "template": "t"}]}, "channel: 'fax'"),
    ({"dunning_steps": [{"name": "x", "days": 1, "channel": "email", "template": "{amout}"}]}, "{amout}"),
    ({"dunning_steps": [{"name": "x", "days": 0, "channel": "email", "template": "t"}]}, "days"),
    ({"promise_roles": ["billing"]}, "promise_roles: 'billing'"),
    ({"run_at": "25:00"}, "run_at"),
    ({"minimum_amount": 2.5}, "quoted"),
    ({"grace": 1}, "collections.grace: not a collections setting"),
])
def test_a_bad_collections_section_is_refused_naming_its_path(section: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=r"policy\.entities\.CA\.collections"):
        parse_policy(_policy(section))
    assert any(message in p for p in problems(_policy(section)))
