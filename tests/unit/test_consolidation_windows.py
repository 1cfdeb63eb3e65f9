"""Consolidation windows, pure: every instant falls in exactly one window of a key, the
windows of a key follow each other without gaps or overlaps, and the cut-off is the legal
entity's wall-clock time on both sides of a daylight-saving change. Also the policy's
validation of ``billing.windows``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.business_time import zone
from o2c.domain.consolidation import BillingWindow, Grouping, Period, window_key, window_of, window_timer_id
from o2c.policy import PolicyError, parse_policy

ZONES = ("UTC", "America/Chicago", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago")
US = timedelta(microseconds=1)

specs = st.builds(
    lambda period, weekday, h, m, g: BillingWindow(
        name="w", grouping=g, period=period, cut_off=time(h, m),
        weekday=weekday if period is Period.WEEKLY else None),
    st.sampled_from(list(Period)), st.integers(0, 6), st.integers(0, 23), st.sampled_from([0, 15, 30, 59]),
    st.sampled_from(list(Grouping)))
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))


@settings(max_examples=400)
@given(at=instants, spec=specs, zone_name=st.sampled_from(ZONES))
def test_every_instant_is_in_exactly_one_window_and_windows_neither_gap_nor_overlap(
        at: datetime, spec: BillingWindow, zone_name: str) -> None:
    w = window_of(at, spec, zone_name)
    assert w.start <= at < w.end and at in w
    assert window_of(w.start, spec, zone_name) == w  # its start is in it
    assert window_of(w.end - US, spec, zone_name) == w  # so is the instant before its end
    after, before = window_of(w.end, spec, zone_name), window_of(w.start - US, spec, zone_name)
    assert after.start == w.end and before.end == w.start  # the neighbours touch: no gap, no overlap
    length = timedelta(days=1 if spec.period is Period.DAILY else 7)
    assert abs((w.end - w.start) - length) <= timedelta(hours=3)  # a DST change moves it by its shift
    # the window closes at the cut-off on the entity's wall clock (or just after a skipped one)
    local_end = w.end.astimezone(zone(zone_name))
    if (local_end.hour, local_end.minute) != (spec.cut_off.hour, spec.cut_off.minute):
        naive = datetime.combine(local_end.date(), spec.cut_off)
        assert naive.replace(tzinfo=zone(zone_name)).astimezone(UTC) == w.end  # a skipped wall time
    if spec.weekday is not None:
        assert w.end.astimezone(zone(zone_name)).weekday() in (spec.weekday, (spec.weekday + 1) % 7)


@given(at=instants, spec=specs, zone_name=st.sampled_from(ZONES), hours=st.integers(1, 400))
def test_windows_are_ordered_like_their_instants(at: datetime, spec: BillingWindow, zone_name: str,
                                                 hours: int) -> None:
    a, b = window_of(at, spec, zone_name), window_of(at + timedelta(hours=hours), spec, zone_name)
    assert a == b or a.end <= b.start


DAILY_5PM = BillingWindow(name="d", grouping=Grouping.SHIP_TO, period=Period.DAILY, cut_off=time(17))
FRIDAY_5PM = BillingWindow(name="w", grouping=Grouping.CUSTOMER, period=Period.WEEKLY, cut_off=time(17),
                           weekday=4)


def test_the_cut_off_is_the_entitys_wall_clock_across_the_spring_forward() -> None:
    # Chicago moves to daylight time on Sunday 8 March 2026 at 02:00: 17:00 is 23:00 UTC the
    # day before and 22:00 UTC that day, so that day's window is 23 hours long.
    w = window_of(datetime(2026, 3, 8, 18, 0, tzinfo=UTC), DAILY_5PM, "America/Chicago")
    assert w.start == datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    assert w.end == datetime(2026, 3, 8, 22, 0, tzinfo=UTC)
    week = window_of(datetime(2026, 3, 9, 12, 0, tzinfo=UTC), FRIDAY_5PM, "America/Chicago")
    assert week.start == datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # Friday 17:00 CST
    assert week.end == datetime(2026, 3, 13, 22, 0, tzinfo=UTC)  # Friday 17:00 CDT
    # an instant at the cut-off belongs to the next window
    assert window_of(week.end, FRIDAY_5PM, "America/Chicago").start == week.end


def test_a_cut_off_the_clocks_skip_closes_when_the_clock_jumps() -> None:
    spec = BillingWindow(name="d", grouping=Grouping.CUSTOMER, period=Period.DAILY, cut_off=time(2, 30))
    w = window_of(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), spec, "America/Chicago")  # 01:00 CST
    assert w.end == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)  # 02:30 read with the offset before: 03:30 CDT


def test_keys_and_timer_ids() -> None:
    assert window_key("C1", "C1-ST2", FRIDAY_5PM) == "C1"
    assert window_key("C1", "C1-ST2", DAILY_5PM) == "C1/C1-ST2"
    end = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    assert window_timer_id("C1", end) == "bill:C1:20260306T170000Z"
    with pytest.raises(ValueError, match="no UTC offset"):
        window_of(datetime(2026, 3, 6), DAILY_5PM, "UTC")


def raw_policy() -> Any:
    return yaml.safe_load(resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text())


@pytest.mark.parametrize(("window", "message"), [
    ({"group": "route", "period": "daily", "cut_off": "17:00"}, r"windows.w.group: expected one of"),
    ({"group": "customer", "period": "monthly", "cut_off": "17:00"}, r"windows.w.period: expected one of"),
    ({"group": "customer", "period": "weekly", "cut_off": "17:00"}, r"windows.w.weekday: a weekly window"),
    ({"group": "customer", "period": "weekly", "weekday": "fri", "cut_off": "17:00"}, r"windows.w.weekday"),
    ({"group": "customer", "period": "daily", "weekday": "friday", "cut_off": "17:00"},
     r"windows.w.weekday: a daily window"),
    ({"group": "customer", "period": "daily", "cut_off": 1020}, r"windows.w.cut_off: expected a time"),
    ({"group": "customer", "period": "daily", "cut_off": "25:00"}, r"windows.w.cut_off"),
    ({"group": "customer", "period": "daily", "cut_off": "17:00", "zone": "UTC"}, r"unknown field"),
])
def test_a_bad_window_is_refused_with_its_path(window: dict[str, Any], message: str) -> None:
    raw = raw_policy()
    raw["billing"]["windows"] = {"w": window}
    with pytest.raises(PolicyError, match=message):
        parse_policy(raw)


def test_a_consolidated_rule_must_name_a_window_and_only_it_may() -> None:
    raw = raw_policy()
    [rule] = [r for r in raw["billing"]["rules"] if r["id"] == "customer-wants-consolidated"]
    rule["then"] = {"trigger": "consolidated", "window": "fortnightly"}
    with pytest.raises(PolicyError, match=r"customer-wants-consolidated\]\.then\.window: a consolidated"):
        parse_policy(raw)
    raw = raw_policy()
    raw["billing"]["rules"][0]["then"] = {"trigger": "on_pod", "window": "daily-per-ship-to"}
    with pytest.raises(PolicyError, match=r"only a consolidated rule names a window"):
        parse_policy(raw)
    p = parse_policy(raw_policy())
    assert p.base.billing_windows["weekly-per-customer"] == BillingWindow(
        name="weekly-per-customer", grouping=Grouping.CUSTOMER, period=Period.WEEKLY, cut_off=time(17),
        weekday=4)
