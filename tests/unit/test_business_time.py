"""Business dates are the legal entity's: instants are UTC, an invoice date or a due
date is the calendar date in the entity's zone, and timestamps come with an offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.analytics.kpis import compute_kpis
from o2c.domain.business_time import business_date, start_of_day
from o2c.engine.runtime import Status
from o2c.policy import PolicyError, PolicyRegistry, parse_policy
from tests.builders import Harness, seed
from tests.unit.test_policy_inventory import shipped

CHICAGO = "America/Chicago"
ZONES = [CHICAGO, "UTC", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "Europe/London",
         "Australia/Lord_Howe", "Pacific/Kiritimati", "Etc/GMT+12", "America/Santiago"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# ---------------------------------------------------------------- the domain function


@given(instant=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1),
                            timezones=st.just(UTC)),
       zone=st.sampled_from(ZONES))
def test_the_business_date_is_the_utc_date_shifted_by_the_zones_offset_at_that_instant(
        instant: datetime, zone: str) -> None:
    offset = ZoneInfo(zone).utcoffset(instant.astimezone(ZoneInfo(zone)))
    assert offset is not None
    assert business_date(instant, zone) == (instant.replace(tzinfo=None) + offset).date()


@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 1, 1)),
       zone=st.sampled_from(ZONES))
def test_a_day_starts_at_its_first_instant_in_the_zone(day: date, zone: str) -> None:
    start = start_of_day(day, zone)
    assert business_date(start, zone) == day
    assert business_date(start - timedelta(microseconds=1), zone) == day - timedelta(days=1)


def test_the_day_clocks_spring_forward_has_23_hours_and_the_day_they_fall_back_25() -> None:
    assert start_of_day(date(2026, 3, 9), CHICAGO) - start_of_day(date(2026, 3, 8), CHICAGO) == \
        timedelta(hours=23)
    assert start_of_day(date(2026, 11, 2), CHICAGO) - start_of_day(date(2026, 11, 1), CHICAGO) == \
        timedelta(hours=25)


def test_a_naive_instant_has_no_business_date() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        business_date(datetime(2026, 3, 2, 3, 30), CHICAGO)


# ---------------------------------------------------------------- the engine


def harness(zone: str, now: datetime) -> Harness:
    h = Harness(start=now)
    seed(h.app, zone=zone)
    h.stock("P1", "1000")
    return h


def invoiced(h: Harness) -> str:
    oid = h.order(po=f"PO-{h.clock.now().isoformat()}").correlation_id
    h.ship_all(oid, shipment_id=f"SH-{h.clock.now().isoformat()}")
    return next(iter(h.get(oid).invoices))


@pytest.mark.parametrize(("zone", "dated"), [
    (CHICAGO, date(2026, 3, 1)),  # 21:30 CST the evening before
    ("UTC", date(2026, 3, 2)),
    ("Asia/Tokyo", date(2026, 3, 2)),  # 12:30 JST
])
def test_an_invoice_is_dated_in_its_entitys_zone_and_its_terms_count_from_there(
        zone: str, dated: date) -> None:
    # given an entity in `zone` and terms 2/10 net 30
    h = harness(zone, at("2026-03-02T03:30:00+00:00"))
    # when a shipment is invoiced at 03:30 UTC
    inv = h.invoice(invoiced(h))
    # then the invoice carries the entity's date, and due and discount dates follow it
    assert (inv.invoice_date, inv.due_date, inv.discount_date) == (
        dated, dated + timedelta(days=30), dated + timedelta(days=10))


@pytest.mark.parametrize(("instant", "dated"), [
    ("2026-03-08T05:30:00+00:00", date(2026, 3, 7)),  # 23:30 CST, before the change
    ("2026-03-09T05:30:00+00:00", date(2026, 3, 9)),  # 00:30 CDT: one hour later on the clock
    ("2026-11-01T05:30:00+00:00", date(2026, 11, 1)),  # 00:30 CDT, the night clocks fall back
    ("2026-11-02T05:30:00+00:00", date(2026, 11, 1)),  # 23:30 CST
])
def test_around_a_dst_change_the_date_follows_the_offset_in_force_at_the_instant(
        instant: str, dated: date) -> None:
    h = harness(CHICAGO, at(instant))
    assert h.invoice(invoiced(h)).invoice_date == dated


@pytest.mark.parametrize(("paid_at", "discount_taken"), [
    ("2026-03-12T04:59:59+00:00", True),  # 23:59:59 CDT on 11 March, the discount date
    ("2026-03-12T05:00:00+00:00", False),  # midnight in Chicago: the 12th
])
def test_the_discount_deadline_ends_at_midnight_in_the_entitys_zone(
        paid_at: str, discount_taken: bool) -> None:
    # given an invoice dated 1 March in Chicago (2/10 net 30: discount until 11 March)
    h = harness(CHICAGO, at("2026-03-02T03:30:00+00:00"))
    inv_id = invoiced(h)
    inv = h.invoice(inv_id)
    assert inv.discount_date == date(2026, 3, 11)
    # when the customer pays less the discount at `paid_at`
    h.clock.set(at(paid_at))
    h.pay("C1", [(inv_id, str(inv.total - inv.discount), str(inv.discount))])
    # then the discount is accepted on the 11th local time, not after
    assert (h.invoice(inv_id).open_amount == 0) is discount_taken


@pytest.mark.parametrize(("checked_at", "days_past_due"), [
    ("2026-04-01T04:59:59+00:00", "0"),  # 23:59:59 CDT on 31 March, the due date
    ("2026-04-01T05:00:00+00:00", "1"),  # 1 April in Chicago
])
def test_days_past_due_count_in_the_entitys_zone(checked_at: str, days_past_due: str) -> None:
    # given an unpaid invoice dated 1 March in Chicago, due 31 March
    h = harness(CHICAGO, at("2026-03-02T03:30:00+00:00"))
    assert h.invoice(invoiced(h)).due_date == date(2026, 3, 31)
    # when the customer orders again at `checked_at`
    h.clock.set(at(checked_at))
    oid = h.order(po="PO-2").correlation_id
    # then credit sees the invoice past due by the days of Chicago's calendar
    credit = next(e for e in h.events(oid) if e.type == "CreditApproved")
    assert credit.payload.decision.inputs["days_past_due"] == days_past_due


@pytest.mark.parametrize(("period_end", "bucket"), [
    ("2026-04-01T05:00:00+00:00", "current"),  # as of 31 March in Chicago, the due date
    ("2026-04-01T05:00:00.000001+00:00", "1-30"),  # its last instant is in 1 April there
])
def test_aging_and_credit_sales_use_the_entitys_calendar(period_end: str, bucket: str) -> None:
    # given an invoice issued at 03:30 UTC on 2 March, dated 1 March in Chicago, due 31 March
    h = harness(CHICAGO, at("2026-03-02T03:30:00+00:00"))
    total = h.invoice(invoiced(h)).total
    with h.app.store.unit_of_work() as uow:
        log = list(uow.events.all())
    # when March in Chicago (from its first midnight) is reported on
    report = compute_kpis(iter(log), period_start=at("2026-03-01T06:00:00+00:00"),
                          period_end=at(period_end), zones={"US": CHICAGO})
    # then the sale is March's, and the invoice is in the bucket of Chicago's date
    usd = report.receivables["USD"]
    assert usd.credit_sales == total
    assert usd.aging[bucket] == total


# ---------------------------------------------------------------- policy versions


def version(number: str, effective_from: object, **extra: object) -> dict[str, object]:
    return {**shipped(), "version": number, "effective_from": effective_from, **extra}


def test_a_version_effective_from_a_date_takes_effect_at_midnight_in_the_entitys_zone() -> None:
    registry = PolicyRegistry([parse_policy(version("1", "2020-01-01")),
                               parse_policy(version("2", date(2026, 4, 1)))])
    in_chicago = [registry.in_force(at(t), CHICAGO).version
                  for t in ("2026-04-01T04:59:59+00:00", "2026-04-01T05:00:00+00:00")]
    assert in_chicago == ["1", "2"]  # CDT, UTC-5
    assert registry.in_force(at("2026-04-01T00:00:00+00:00")).version == "2"  # no entity: UTC


def test_a_document_naming_its_zone_starts_there_where_no_entity_is_asked_for() -> None:
    registry = PolicyRegistry([parse_policy(version("1", "2020-01-01")),
                               parse_policy(version("2", "2026-04-01", timezone="America/Toronto"))])
    assert registry.in_force(at("2026-04-01T03:59:59+00:00")).version == "1"
    assert registry.in_force(at("2026-04-01T04:00:00+00:00")).version == "2"  # EDT
    assert registry.in_force(at("2026-04-01T04:00:00+00:00"), CHICAGO).version == "1"


def test_a_version_effective_from_an_instant_starts_then_everywhere() -> None:
    registry = PolicyRegistry([parse_policy(version("1", "2020-01-01")),
                               parse_policy(version("2", "2026-04-01T12:00:00+02:00"))])
    for zone in (None, CHICAGO, "Asia/Tokyo"):
        assert registry.in_force(at("2026-04-01T09:59:59+00:00"), zone).version == "1"
        assert registry.in_force(at("2026-04-01T10:00:00+00:00"), zone).version == "2"


NO_OFFSET = "policy.effective_from: 2026-04-01T06:00:00 has no UTC offset"


@pytest.mark.parametrize(("raw", "message"), [
    ({"effective_from": datetime(2026, 4, 1, 6)}, NO_OFFSET),
    ({"effective_from": "2026-04-01T06:00"}, NO_OFFSET),
    ({"effective_from": "April 1st"}, "policy.effective_from: expected an ISO date"),
    ({"timezone": "Mars/Olympus"}, "policy.timezone: time zone 'Mars/Olympus' is not an IANA"),
])
def test_an_effective_time_without_an_offset_or_an_unknown_zone_is_refused(
        raw: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy({**version("2", "2026-04-01"), **raw})


def test_decisions_name_the_version_in_force_at_the_entitys_midnight() -> None:
    # given version 2 effective 1 April and an entity in Chicago
    h = harness(CHICAGO, at("2026-04-01T04:30:00+00:00"))
    h.app.bus.policies = PolicyRegistry([parse_policy(version("1", "2020-01-01")),
                                         parse_policy(version("2", "2026-04-01"))])
    # when orders arrive at 23:30 on 31 March and at 00:30 on 1 April, Chicago time
    first = h.order(po="A").correlation_id
    h.later(hours=1)
    second = h.order(po="B").correlation_id
    # then each decision names the version in force on the entity's calendar
    versions = [next(e for e in h.events(o) if e.type == "CreditApproved").payload.decision.version
                for o in (first, second)]
    assert versions == ["1", "2"]


# ---------------------------------------------------------------- timestamps at the edge

NAIVE = "2026-03-02T08:05:00"


def _shipment(**extra: object) -> dict[str, object]:
    return {"shipment_id": "S1", "order_id": "SO-1", "warehouse_id": "W1",
            "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1"}], **extra}


@pytest.mark.parametrize(("kind", "body", "field"), [
    ("delivery", {"shipment_id": "S1", "order_id": "SO-1", "delivered_at": NAIVE}, "delivered_at"),
    ("shipment", _shipment(shipped_at=NAIVE), "shipped_at"),
    ("pick_confirmed", {"order_id": "SO-1", "warehouse_id": "W1", "picked_at": NAIVE,
                        "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1"}]}, "picked_at"),
    ("fulfilment_exception", {"order_id": "SO-1", "warehouse_id": "W1", "reported_at": NAIVE,
                              "code": "SHORT"}, "reported_at"),
    ("shipment_status", {"shipment_id": "S1", "order_id": "SO-1",
                         "statuses": [{"code": "X6", "at": NAIVE}]}, "statuses.0.at"),
])
def test_a_canonical_timestamp_without_an_offset_is_refused_naming_the_field(
        kind: str, body: dict[str, object], field: str) -> None:
    # given a canonical JSON message (as NATS, the API or a splitter hands it to the runtime)
    h = harness("UTC", at("2026-03-02T15:00:00+00:00"))
    # when its timestamp has no offset
    out = h.send(kind, body)
    # then it is parked, the reason naming the field and what to send instead
    assert out.status is Status.DEAD_LETTERED
    assert out.code == "INT-PARSE-ERROR"
    assert f"{field}: timestamp has no UTC offset; send e.g. 2026-03-02T14:05:00-05:00" in (out.reason or "")


def test_the_same_timestamp_with_an_offset_is_taken_as_the_instant_it_names() -> None:
    h = harness("UTC", at("2026-03-02T15:00:00+00:00"))
    oid = h.order().correlation_id
    h.send("shipment", {**_shipment(order_id=oid, shipped_at=f"{NAIVE}-06:00"),
                        "warehouse_id": "W1"})
    (shipment,) = h.get(oid).shipments
    assert shipment.shipped_at == at("2026-03-02T14:05:00+00:00")
