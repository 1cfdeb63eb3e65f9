"""KPIs computed from real event logs, produced by driving the engine through
the harness; expected values are worked out by hand in the comments."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.analytics.kpis import KpiReport, Stat, compute_kpis, median, nearest_rank
from o2c.domain.master import BillingTrigger, LegalEntity, PriceAgreement, Warehouse
from o2c.domain.money import money
from tests.builders import T0, Harness, customer, seed

MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
D = Decimal


def stat(count: int, med: str | None, p90: str | None) -> Stat:
    return Stat(count=count, median_hours=None if med is None else D(med),
                p90_hours=None if p90 is None else D(p90))


def kpis(h: Harness, start: datetime = MARCH[0], end: datetime = MARCH[1],
         **counts: Mapping[str, int]) -> KpiReport:
    with h.app.store.unit_of_work() as uow:
        log = list(uow.events.all())
    # a one-shot iterator: the computation must read the log in a single pass
    return compute_kpis(iter(log), period_start=start, period_end=end, **counts)


def release(h: Harness, oid: str, code: str, by: str = "ana") -> None:
    h.send("hold_decision", {"order_id": oid, "code": code, "by": by, "reason": "checked"})


def invoice_of(h: Harness, oid: str) -> str:
    return next(iter(h.get(oid).invoices))


def ship(h: Harness, oid: str, shipment_id: str, source: str = "test") -> None:
    h.send("shipment", {"shipment_id": shipment_id, "order_id": oid, "warehouse_id": "W1",
                        "lines": [{"line_no": 1, "product_id": "P1", "quantity": "10"}]},
           source=source)


@pytest.fixture
def h() -> Harness:
    h = Harness()
    seed(h.app, customer("C1"), customer("C2", limit="10"),
         customer("C3", trigger=BillingTrigger.ON_POD))
    return h


# ---------------------------------------------------------------- durations


def test_release_cycle_time_gives_median_and_nearest_rank_p90(h: Harness) -> None:
    # given stock for one order: the first is released at once, the second is
    # backordered until stock arrives 2 h later
    h.stock("P1", "10")
    h.order(po="A")
    h.order(po="B")
    h.later(hours=2)
    h.stock("P1", "10")
    # when
    r = kpis(h)
    # then durations are [0 h, 2 h]: median (0+2)/2 = 1, p90 = rank ceil(1.8) = 2nd
    assert r.order_release == stat(2, "1.00", "2.00")
    assert r.totals.orders_released == 2
    assert r.hold_resolution == {"INV-SHORT": stat(1, "2.00", "2.00")}


def test_a_credit_hold_released_after_three_hours_is_measured_under_its_code(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order(customer_id="C2").correlation_id  # 20.00 over a 10.00 limit
    h.later(hours=3)
    release(h, oid, "CRD-OVER-LIMIT")
    r = kpis(h)
    assert r.hold_resolution == {"CRD-OVER-LIMIT": stat(1, "3.00", "3.00")}
    assert r.open_holds == {}
    assert r.order_release == stat(1, "3.00", "3.00")


def test_holds_unresolved_at_period_end_are_open_with_the_oldest_age(h: Harness) -> None:
    # given credit holds placed at T0 and T0+2h, the first released at T0+6h
    h.stock("P1", "100")
    first = h.order(customer_id="C2", po="A").correlation_id
    h.later(hours=2)
    h.order(customer_id="C2", po="B")
    h.later(hours=4)
    release(h, first, "CRD-OVER-LIMIT")
    # when the period ends at T0+5h, before the release
    r = kpis(h, end=T0 + timedelta(hours=5))
    # then both are open, the oldest 5 h old, and nothing was resolved yet
    assert r.open_holds["CRD-OVER-LIMIT"].count == 2
    assert r.open_holds["CRD-OVER-LIMIT"].oldest_age_hours == D("5.00")
    assert r.hold_resolution == {}
    assert r.totals.open_orders_at_end == 2


def test_shipment_and_trigger_to_invoice_for_on_ship_and_on_pod_customers(h: Harness) -> None:
    # given an on-ship order and an on-POD order, both shipped 4 h after receipt,
    # the POD arriving 24 h after shipping
    h.stock("P1", "100")
    on_ship = h.order(customer_id="C1").correlation_id
    on_pod = h.order(customer_id="C3").correlation_id
    h.later(hours=4)
    h.ship_all(on_ship, "SA")
    h.ship_all(on_pod, "SB")
    h.later(hours=24)
    h.deliver(on_pod, "SB-W1")
    r = kpis(h)
    # then shipment -> invoice is [0 h, 24 h] but the POD fired its invoice at once
    assert r.shipment_to_invoice == stat(2, "12.00", "24.00")
    assert r.trigger_to_invoice == stat(2, "0.00", "0.00")
    # and received -> first invoice is [4 h, 28 h]
    assert r.invoice_cycle == stat(2, "16.00", "28.00")
    assert r.shipments_not_invoiced == stat(0, None, None)


def test_shipments_not_invoiced_are_counted_with_their_age_not_left_out(h: Harness) -> None:
    # given an on-POD order shipped 2026-03-02 09:00 whose POD never comes, and an on-ship one
    h.stock("P1", "100")
    waiting = h.order(customer_id="C3").correlation_id
    billed = h.order(customer_id="C1", po="PO-2").correlation_id
    h.ship_all(waiting, "SA")
    h.ship_all(billed, "SB")
    # when the report ends two days later, the latency counts the invoiced one only
    r = kpis(h, end=datetime(2026, 3, 4, 9, tzinfo=UTC))
    assert r.shipment_to_invoice == stat(1, "0.00", "0.00")
    # and the shipment nobody invoiced is there with its age, 48 h
    assert r.shipments_not_invoiced == stat(1, "48.00", "48.00")
    assert r.as_dict()["shipments_not_invoiced"] == {"count": 1, "median_hours": "48.00",
                                                     "p90_hours": "48.00"}


def test_order_to_cash_runs_from_receipt_to_the_order_closing_when_fully_paid(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order(lines=[("P1", "2", "CS")]).correlation_id
    h.later(hours=5)
    h.ship_all(oid)
    h.later(days=3)
    h.pay("C1", [(invoice_of(h, oid), "50.45", "1.03")])  # 51.48 less the 2 % discount
    r = kpis(h)
    assert r.order_to_cash == stat(1, "77.00", "77.00")  # 5 h + 72 h
    assert (r.totals.payments_applied, r.totals.orders_closed) == (1, 1)
    assert r.totals.open_orders_at_end == 0


def test_only_events_inside_the_period_are_counted(h: Harness) -> None:
    # given an order received and released at T0, invoiced at T0+5h, paid at T0+3d
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.later(hours=5)
    h.ship_all(oid)
    h.later(days=3)
    h.pay("C1", [(invoice_of(h, oid), "21.45", "0")])
    # when the period runs from T0+1h to T0+1d
    r = kpis(h, start=T0 + timedelta(hours=1), end=T0 + timedelta(days=1))
    # then only the invoice falls in it; the order is still open at its end
    assert r.order_release.count == 0 and r.totals.orders_received == 0
    assert r.invoice_cycle == stat(1, "5.00", "5.00")
    assert r.order_to_cash.count == 0 and r.totals.payments_applied == 0
    assert r.totals.open_orders_at_end == 1


# ---------------------------------------------------------------- touchless


def test_touchless_rate_excludes_the_order_that_stopped_on_a_hold(h: Harness) -> None:
    h.stock("P1", "100")
    clean1 = h.order(customer_id="C1", po="A").correlation_id
    clean2 = h.order(customer_id="C1", po="B").correlation_id
    held = h.order(customer_id="C2", po="A").correlation_id
    release(h, held, "CRD-OVER-LIMIT")
    for i, oid in enumerate((clean1, clean2, held)):
        h.ship_all(oid, f"S{i}")
    r = kpis(h)
    # 2 of 3 = 66.666... % -> 66.7
    assert (r.touchless.invoiced_orders, r.touchless.touchless_orders) == (3, 2)
    assert r.touchless.rate_percent == D("66.7")


def test_a_hold_the_engine_released_by_itself_still_makes_the_order_touched(h: Harness) -> None:
    h.order()  # no stock: backordered on INV-SHORT
    h.stock("P1", "10")  # the engine releases the hold
    ship(h, "SO-00000001", "S1")
    assert kpis(h).touchless.rate_percent == D("0.0")


@pytest.mark.parametrize(("source", "touchless"), [("wms", 1), ("ui", 0), ("user:kim", 0)])
def test_an_event_from_a_person_before_the_invoice_makes_the_order_touched(
        h: Harness, source: str, touchless: int) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    ship(h, oid, "S1", source=source)
    r = kpis(h)
    assert (r.touchless.invoiced_orders, r.touchless.touchless_orders) == (1, touchless)


def test_what_a_person_does_after_the_first_invoice_does_not_count(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    ship(h, oid, "S1")
    h.send("payment", {"payment_id": "P9", "customer_id": "C1", "amount": "21.45",
                       "currency": "USD", "references": [
                           {"invoice_id": invoice_of(h, oid), "amount": "21.45"}]}, source="ui")
    assert kpis(h).touchless.rate_percent == D("100.0")


def test_no_invoiced_orders_gives_no_touchless_rate(h: Harness) -> None:
    assert kpis(h).touchless.rate_percent is None


# ---------------------------------------------------------------- receivables


def test_dso_and_cei_with_one_invoice_partly_paid(h: Harness) -> None:
    # given a 21.45 invoice (20.00 + 7.25 % tax) dated 2026-03-02, due 2026-04-01,
    # 10.00 paid on 2026-03-05
    h.stock("P1", "100")
    oid = h.order().correlation_id
    ship(h, oid, "S1")
    h.later(days=3)
    h.pay("C1", [(invoice_of(h, oid), "10.00", "0")])
    usd = kpis(h).receivables["USD"]
    assert (usd.beginning_ar, usd.credit_sales, usd.ending_ar) == (D("0.00"), D("21.45"),
                                                                   D("11.45"))
    # 11.45 / 21.45 x 31 days = 16.5477... ; collected 10.00 of the 10.00 collectible
    assert usd.dso_days == D("16.55")
    assert usd.cei_percent == D("100.0")
    assert usd.aging["current"] == D("11.45") and usd.ending_current_ar == D("11.45")


def test_aging_puts_an_invoice_45_days_past_due_in_31_to_60(h: Harness) -> None:
    # given invoice A (21.45, due 2026-04-01) and, 69 days later on 2026-05-10,
    # invoice B (21.45, due 2026-06-09); 5.00 paid on A on 2026-05-12
    h.stock("P1", "100")
    a = h.order(po="A").correlation_id
    ship(h, a, "S1")
    h.later(days=69)
    b = h.order(po="B").correlation_id
    ship(h, b, "S2")
    h.later(days=2)
    h.pay("C1", [(invoice_of(h, a), "5.00", "0")])
    # when the period is 2026-05-01 .. 2026-05-17 (16 days, as of 2026-05-16)
    usd = kpis(h, datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 17, tzinfo=UTC)
               ).receivables["USD"]
    # then A is 45 days past due with 16.45 open; B is current
    assert usd.aging == {"current": D("21.45"), "1-30": D("0.00"), "31-60": D("16.45"),
                         "61-90": D("0.00"), "over_90": D("0.00")}
    assert (usd.beginning_ar, usd.credit_sales, usd.ending_ar) == (D("21.45"), D("21.45"),
                                                                   D("37.90"))
    # CEI = (21.45 + 21.45 - 37.90) / (21.45 + 21.45 - 21.45) = 5.00 / 21.45 = 23.31 %
    assert usd.cei_percent == D("23.3")
    # DSO = 37.90 / 21.45 x 16 = 28.2703...
    assert usd.dso_days == D("28.27")


def test_a_credit_memo_lowers_ar_and_the_invoice_open_amount(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order().correlation_id
    ship(h, oid, "S1")
    h.send("credit_memo", {"invoice_id": invoice_of(h, oid), "amount": "1.45",
                           "reason": "damaged carton", "by": "kim"})
    usd = kpis(h).receivables["USD"]
    assert usd.ending_ar == D("20.00") and usd.aging["current"] == D("20.00")


def test_ending_ar_agrees_with_the_accounts_read_model_and_the_aging(h: Harness) -> None:
    # given paid, partly paid, credited and untouched invoices of two customers
    h.stock("P1", "100")
    oids = [h.order(po=f"A{i}").correlation_id for i in range(3)]
    oids.append(h.order(customer_id="C3").correlation_id)
    for i, oid in enumerate(oids):
        ship(h, oid, f"S{i}")
    h.deliver(oids[3], "S3")
    h.later(days=40)
    h.pay("C1", [(invoice_of(h, oids[0]), "21.45", "0"), (invoice_of(h, oids[1]), "7.00", "0")])
    h.send("credit_memo", {"invoice_id": invoice_of(h, oids[2]), "amount": "3.00",
                           "reason": "short", "by": "kim"})
    # when the period covers all of it
    usd = kpis(h, end=datetime(2026, 5, 1, tzinfo=UTC)).receivables["USD"]
    # then AR is what the accounts hold open, and the aging splits exactly that
    open_ar = sum(h.account(c).open_ar for c in ("C1", "C3"))
    assert usd.ending_ar == open_ar == D("21.45") * 4 - D("21.45") - D("7.00") - D("3.00")
    assert sum(usd.aging.values()) == usd.ending_ar


def test_a_period_without_sales_has_no_dso(h: Harness) -> None:
    h.stock("P1", "100")
    ship(h, h.order().correlation_id, "S1")  # invoiced in March
    usd = kpis(h, datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
               ).receivables["USD"]
    assert usd.credit_sales == D("0.00") and usd.dso_days is None
    assert usd.beginning_ar == usd.ending_ar == D("21.45")
    assert usd.aging["1-30"] == D("21.45")  # due 2026-04-01, 29 days past due on 2026-04-30


def test_receivables_are_kept_per_currency(h: Harness) -> None:
    with h.app.store.unit_of_work() as uow:  # a second selling entity that keeps its books in EUR
        uow.master.add_legal_entity(LegalEntity(entity_id="EU", name="Acme Supply EU", currency="EUR",
                                                tax_jurisdiction="NL", tax_rate=Decimal("0.0725"),
                                                invoice_prefix="EU"))
        uow.master.add_warehouse(Warehouse(warehouse_id="W-EU", legal_entity_id="EU", name="W-EU",
                                           region="NL"))
        uow.master.add_customer(replace(customer("C9", home="W-EU"), legal_entity_id="EU",
                                        credit_limit=money("100000", "EUR")))
        uow.master.add_price_agreement(PriceAgreement(agreement_id="PA-C9-P1", customer_id="C9",
                                                      product_id="P1", price=money("2.00", "EUR"),
                                                      valid_from=date(2026, 1, 1)))
        uow.commit()
    h.stock("P1", "100")
    h.stock("P1", "100", wh="W-EU")
    ship(h, h.order(po="A").correlation_id, "S1")
    eu = h.order(po="B", customer_id="C9", currency="EUR", legal_entity_id="EU").correlation_id
    h.ship_all(eu, "S2")
    r = kpis(h)
    assert sorted(r.receivables) == ["EUR", "USD"]
    assert r.receivables["EUR"].ending_ar == r.receivables["USD"].ending_ar == D("21.45")


# ---------------------------------------------------------------- integration and report


def test_integration_failure_rate_is_dead_lettered_over_inbound_per_source(h: Harness) -> None:
    r = kpis(h, inbound={"edi": 200, "portal": 50}, dead_lettered={"edi": 3, "wms": 1})
    assert r.integration["edi"].failure_rate_percent == D("1.50")
    assert r.integration["portal"].failure_rate_percent == D("0.00")
    assert r.integration["wms"].failure_rate_percent is None  # nothing counted inbound


def test_the_report_as_a_dict_is_json_ready_with_exact_strings(h: Harness) -> None:
    h.stock("P1", "100")
    ship(h, h.order().correlation_id, "S1")
    d = kpis(h, inbound={"test": 4}).as_dict()
    json.dumps(d)
    assert list(d) == ["period", "order_release", "hold_resolution", "open_holds",
                       "shipment_to_invoice", "trigger_to_invoice", "invoice_cycle",
                       "order_to_cash", "touchless", "receivables", "integration", "totals", "hold_sla",
                       "shipments_not_invoiced", "shipment_to_invoice_with_waiting", "invoice_accuracy",
                       "disputes", "perfect_order", "cash"]
    assert d["period"] == {"start": "2026-03-01T00:00:00+00:00",
                           "end": "2026-04-01T00:00:00+00:00", "days": "31.00"}
    assert d["order_release"] == {"count": 1, "median_hours": "0.00", "p90_hours": "0.00"}
    assert d["order_to_cash"] == {"count": 0, "median_hours": None, "p90_hours": None}
    assert d["receivables"]["USD"]["dso_days"] == "31.00"  # nothing paid: 21.45/21.45 x 31 d
    assert d["integration"]["test"] == {"inbound": 4, "dead_lettered": 0,
                                        "failure_rate_percent": "0.00"}
    assert d["totals"]["invoices_issued"] == 1


@pytest.mark.parametrize(("start", "end"), [
    (datetime(2026, 3, 1), datetime(2026, 4, 1)),
    (MARCH[1], MARCH[0]),
])
def test_a_naive_or_empty_period_is_refused(start: datetime, end: datetime) -> None:
    with pytest.raises(ValueError):
        compute_kpis([], period_start=start, period_end=end)


# ---------------------------------------------------------------- statistics


def brute_median(xs: list[int]) -> Fraction:
    s, n = sorted(xs), len(xs)
    return Fraction(s[n // 2]) if n % 2 else Fraction(s[n // 2 - 1] + s[n // 2], 2)


def brute_p90(xs: list[int]) -> int:
    return sorted(xs)[math.ceil(Fraction(9, 10) * len(xs)) - 1]


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=200))
def test_median_and_p90_equal_a_brute_force_reference(seconds: list[int]) -> None:
    assert median(seconds) == brute_median(seconds)
    assert nearest_rank(seconds, 90) == brute_p90(seconds)
    s = Stat.of(timedelta(seconds=x) for x in seconds)
    assert s.count == len(seconds)
    # hours to 2 decimals, half up: floor(x * 100 + 1/2) / 100 on exact fractions
    assert s.median_hours == D(math.floor(brute_median(seconds) / 36 + Fraction(1, 2))) / 100
    assert s.p90_hours == D(math.floor(Fraction(brute_p90(seconds), 36) + Fraction(1, 2))) / 100


def test_no_durations_give_no_median() -> None:
    assert Stat.of([]) == stat(0, None, None)
    with pytest.raises(ValueError):
        median([])


def test_a_shipment_confirmed_in_a_nightly_batch_counts_from_when_the_truck_left(h: Harness) -> None:
    # given an on-ship order whose warehouse ships at T0+4h but confirms in a batch at T0+14h
    h.stock("P1", "100")
    order = h.order(customer_id="C1").correlation_id
    h.later(hours=14)
    lines = [{"line_no": a.line_no, "product_id": a.product_id, "quantity": str(a.quantity)}
             for a in h.get(order).allocations]
    h.send("shipment", {"shipment_id": "NIGHT-1", "order_id": order, "warehouse_id": "W1",
                        "lines": lines, "shipped_at": (T0 + timedelta(hours=4)).isoformat()})
    # and a warehouse clock running ahead: its time is capped at o2c's own
    h.stock("P1", "100")
    ahead = h.order(customer_id="C1", po="PO-2").correlation_id
    h.send("shipment", {"shipment_id": "AHEAD-1", "order_id": ahead, "warehouse_id": "W1",
                        "lines": lines, "shipped_at": (T0 + timedelta(hours=20)).isoformat()})
    r = kpis(h)
    # then the invoice came 10 h after the truck left (0 h for the capped one), but 0 h
    # after the confirmation that triggered it
    assert r.shipment_to_invoice == stat(2, "5.00", "10.00")
    assert r.trigger_to_invoice == stat(2, "0.00", "0.00")
    assert h.get(order).shipments[0].shipped_at == T0 + timedelta(hours=4)
    assert h.get(ahead).shipments[0].shipped_at == T0 + timedelta(hours=14)
    # a time without a zone is refused: guessing it is how shipment times go wrong
    out = h.send("shipment", {"shipment_id": "NAIVE", "order_id": ahead, "warehouse_id": "W1",
                              "lines": lines, "shipped_at": "2026-03-02T10:00:00"})
    assert out.status.value == "dead_lettered" and "shipped_at" in (out.reason or "")
