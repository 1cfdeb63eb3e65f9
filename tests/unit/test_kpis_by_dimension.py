"""KPIs split by legal entity, warehouse, channel and customer, and the KPIs of
billing to cash (first-pass invoice accuracy, disputes, perfect orders, cash
application), over hand-built event streams whose figures are worked out by hand
in the comments; and through the engine for the ones it already produces."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.analytics.kpis import DIMENSIONS, NO_GROUP, KpiReport, Stat, compute_kpis
from o2c.domain import events as ev
from o2c.domain.money import money
from tests.builders import Harness, customer, seed

START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
D = Decimal
DAY = timedelta(days=1)


def at(day: int, hour: int = 9) -> datetime:
    """A March 2026 instant (day 0 is 28 February, before the period)."""
    return datetime(2026, 3, 1, hour, tzinfo=UTC) + (day - 1) * DAY


def decision(rule: str) -> ev.Decision:
    return ev.Decision(policy_id="default", version="1", rule=rule, outcome="ok")


class Log:
    """Envelopes as the engine would write them, built by hand."""

    def __init__(self) -> None:
        self.envs: list[ev.Envelope] = []
        self._ids = count(1)
        self.order_of: dict[str, tuple[str, str]] = {}  # order -> (entity, customer)

    def add(self, when: datetime, payload: ev.Event, corr: str, source: str = "test") -> None:
        self.envs.append(ev.Envelope(
            event_id=f"E{next(self._ids)}", type=type(payload).__name__, occurred_at=when,
            recorded_at=when, correlation_id=corr, causation_id=None, source=source,
            entity_type=payload.entity_type, entity_id=payload.entity_id, payload=payload))

    def order(self, oid: str, when: datetime, *, entity: str = "US", channel: str = "edi",
              cust: str = "C1", qty: str = "10", requested: date | None = None) -> None:
        self.order_of[oid] = (entity, cust)
        self.add(when, ev.OrderReceived(
            order_id=oid, legal_entity_id=entity, customer_id=cust, ship_to_id=f"{cust}-ST",
            po_number=f"PO-{oid}", channel=channel, currency="USD", order_date=when.date(),
            requested_date=requested, payment_terms=None,
            lines=(ev.OrderLineData(line_no=1, product_id="P1", quantity=D(qty), uom="EA"),)), oid)

    def allocate(self, oid: str, when: datetime, *warehouses: str) -> None:
        self.add(when, ev.StockAllocated(order_id=oid, allocations=tuple(
            ev.AllocationLine(line_no=1, product_id="P1", warehouse_id=w, lot_id="-", quantity=D(5))
            for w in warehouses), decision=decision("allocation/fefo")), oid)
        self.add(when, ev.OrderReleased(order_id=oid, customer_id=self.order_of[oid][1],
                                        warehouses=warehouses, value=money("20", "USD")), oid)

    def ship(self, oid: str, sid: str, when: datetime, *, wh: str = "W1", qty: str = "10") -> None:
        self.add(when, ev.ShipmentConfirmed(
            order_id=oid, shipment_id=sid, warehouse_id=wh, carrier="UPS", tracking_no="1Z",
            lines=(ev.ShippedLine(line_no=1, product_id="P1", warehouse_id=wh, lot_id="-",
                                  quantity=D(qty)),)), oid)

    def pod(self, oid: str, sid: str, when: datetime) -> None:
        self.add(when, ev.ProofOfDeliveryReceived(order_id=oid, shipment_id=sid, delivered_at=when,
                                                  signed_by="J. Doe"), oid)

    def invoice(self, oid: str, inv: str, when: datetime, *shipments: str, total: str = "100",
                due: date | None = None) -> None:
        entity, cust = self.order_of[oid]
        day = when.date()
        self.add(when, ev.InvoiceIssued(
            invoice_id=inv, order_id=oid, customer_id=cust, legal_entity_id=entity,
            shipment_ids=shipments, lines=(), subtotal=money(total, "USD"), tax=money(0, "USD"),
            total=money(total, "USD"), invoice_date=day, due_date=due or day + timedelta(days=30),
            discount_date=None, discount=money(0, "USD"), trigger="on_ship",
            decision=decision("billing/on-ship")), oid)

    def credit_memo(self, oid: str, inv: str, when: datetime, amount: str = "10") -> None:
        self.add(when, ev.CreditMemoIssued(credit_memo_id=f"CM-{inv}", invoice_id=inv, order_id=oid,
                                           customer_id=self.order_of[oid][1], amount=money(amount, "USD"),
                                           reason="price"), oid, source="user:bea")

    def dispute(self, did: str, inv: str, when: datetime, *, reason: str = "pricing", amount: str = "10",
                cust: str = "C1") -> None:
        self.add(when, ev.DisputeOpened(dispute_id=did, invoice_id=inv, customer_id=cust,
                                        reason_code=reason, amount=money(amount, "USD")), f"account:{cust}")

    def resolve(self, did: str, inv: str, when: datetime, cust: str = "C1") -> None:
        self.add(when, ev.DisputeResolved(dispute_id=did, invoice_id=inv, customer_id=cust,
                                          outcome="rejected", credit_memo_id=None), f"account:{cust}")

    def received(self, pid: str, when: datetime, amount: str, *invoices: str, cust: str = "C1",
                 source: str = "test") -> None:
        self.add(when, ev.PaymentReceived(
            payment_id=pid, customer_id=cust, amount=money(amount, "USD"), method="ach",
            references=tuple(ev.RemittanceLine(invoice_id=i, amount=D(0)) for i in invoices)),
            f"account:{cust}", source=source)

    def applied(self, pid: str, oid: str, inv: str, when: datetime, amount: str, *,
                rule: str = "cash/exact_reference", source: str = "edi") -> None:
        self.add(when, ev.PaymentApplied(
            payment_id=pid, customer_id=self.order_of[oid][1], invoice_id=inv, order_id=oid,
            amount=money(amount, "USD"), discount=money(0, "USD"), decision=decision(rule)), oid,
            source=source)

    def unapplied(self, pid: str, when: datetime, amount: str, cust: str = "C1") -> None:
        self.add(when, ev.CashUnapplied(payment_id=pid, customer_id=cust, amount=money(amount, "USD"),
                                        reason="names no open invoice"), f"account:{cust}")

    def kpis(self, by: str | None = None, **kw: Any) -> KpiReport:
        kw.setdefault("period_start", START)
        kw.setdefault("period_end", END)
        return compute_kpis(iter(self.envs), by=by, **kw)


def stat(count: int, med: str | None, p90: str | None) -> Stat:
    return Stat(count=count, median_hours=None if med is None else D(med),
                p90_hours=None if p90 is None else D(p90))


# ---------------------------------------------------------------- first-pass invoice accuracy


def test_first_pass_accuracy_counts_invoices_corrected_by_a_credit_memo_or_an_invoice_dispute() -> None:
    log = Log()
    for i in range(1, 6):
        log.order(f"O{i}", at(0 if i == 5 else 1))
    log.invoice("O5", "I5", at(0))  # issued before the period: not judged here
    for i in range(1, 5):
        log.invoice(f"O{i}", f"I{i}", at(2))
    log.credit_memo("O1", "I1", at(5))            # corrected
    log.dispute("D2", "I2", at(6), reason="pricing")  # a dispute on the price: corrected
    log.dispute("D3", "I3", at(6), reason="damage")   # damaged goods: the invoice was right
    log.credit_memo("O5", "I5", at(6))            # corrects an invoice of an earlier period
    r = log.kpis()
    # 4 issued in March, I1 and I2 corrected: (4 - 2) / 4 = 50.0 %
    assert (r.invoice_accuracy.issued, r.invoice_accuracy.corrected) == (4, 2)
    assert r.invoice_accuracy.first_pass_percent == D("50.0")


def test_a_correction_after_the_period_does_not_count_yet_and_none_issued_gives_no_rate() -> None:
    log = Log()
    log.order("O1", at(1))
    log.invoice("O1", "I1", at(2))
    log.credit_memo("O1", "I1", at(40))  # in April
    assert log.kpis().invoice_accuracy.first_pass_percent == D("100.0")
    assert log.kpis(period_start=at(3), period_end=at(4)).invoice_accuracy.first_pass_percent is None


# ---------------------------------------------------------------- disputes


def test_dispute_aging_buckets_open_disputes_by_age_with_amounts_and_days_to_resolve() -> None:
    log = Log()
    end = datetime(2026, 4, 1, tzinfo=UTC)
    log.dispute("D1", "I1", end - timedelta(days=5), amount="10")     # 5 days old: 0-30
    log.dispute("D2", "I1", end - timedelta(days=30, hours=1), amount="5")  # 30 whole days: 0-30
    log.dispute("D3", "I2", end - timedelta(days=45), amount="20")    # 31-60
    log.dispute("D4", "I3", end - timedelta(days=100), amount="7.50")  # over 90
    log.dispute("D5", "I4", at(1), amount="1")
    log.resolve("D5", "I4", at(3))   # 2 days
    log.dispute("D6", "I4", at(2), amount="1")
    log.resolve("D6", "I4", at(12))  # 10 days
    log.dispute("D7", "I4", at(2), amount="1")
    log.resolve("D7", "I4", at(50))  # resolved in April: open at the end of March (29 days: 0-30)
    d = log.kpis().disputes
    # opened in March: D1, D2, D5, D6, D7 (D3 on 15 February, D4 in December)
    assert (d.opened, d.resolved) == (5, 2)
    assert d.days_to_resolve.count == 2
    assert (d.days_to_resolve.mean_days, d.days_to_resolve.median_days, d.days_to_resolve.p90_days) == (
        D("6.00"), D("6.00"), D("10.00"))
    usd = d.open["USD"]
    assert {b: (x.count, x.amount) for b, x in usd.items()} == {
        "0-30": (3, D("16.00")), "31-60": (1, D("20.00")), "61-90": (0, D("0.00")),
        "over_90": (1, D("7.50"))}


# ---------------------------------------------------------------- perfect order


def test_perfect_order_rate_and_its_parts() -> None:
    log = Log()
    due = date(2026, 3, 10)
    for oid in ("A", "B", "C", "D", "E", "F"):
        log.order(oid, at(1), requested=due)
    log.order("G", at(0), requested=due)
    for oid in ("A", "B", "D", "E", "F", "G"):
        log.ship(oid, f"S{oid}", at(0 if oid == "G" else 2))
    log.ship("C", "SC", at(2), qty="5")  # half of the 10 ordered
    log.add(at(3), ev.FulfilmentExceptionReported(
        order_id="D", warehouse_id="W1", code="damaged", reason="crushed carton", reported_at=at(3),
        lines=(), hold_code=ev.HoldCode.INV_SHORT, hold_id="H-D", decision=decision("wms/exception")), "D")
    for oid in ("A", "C", "D", "E", "G"):
        log.pod(oid, f"S{oid}", at(0 if oid == "G" else 9))
    log.pod("B", "SB", at(11))  # delivered the day after the requested date
    for oid in ("A", "B", "C", "D", "E", "F", "G"):
        log.invoice(oid, f"I{oid}", at(2), f"S{oid}")
    log.credit_memo("E", "IE", at(15))  # invoiced wrong
    po = log.kpis().perfect_order
    # delivered in March: A-E (F has no POD, G was delivered in February)
    assert (po.delivered, po.perfect) == (5, 1)
    assert (po.on_time, po.complete, po.undamaged, po.invoiced_right) == (4, 4, 4, 4)
    assert (po.rate_percent, po.on_time_percent) == (D("20.0"), D("80.0"))


def test_an_order_closed_is_judged_as_it_closed_and_a_damage_dispute_makes_it_damaged() -> None:
    log = Log()
    log.order("A", at(1))  # no requested date: nothing to be late for
    log.order("B", at(1))
    for oid in ("A", "B"):
        log.ship(oid, f"S{oid}", at(2))
        log.pod(oid, f"S{oid}", at(3))
        log.invoice(oid, f"I{oid}", at(3), f"S{oid}")
    log.applied("P1", "A", "IA", at(4), "100")
    log.add(at(4), ev.OrderClosed(order_id="A"), "A")
    log.dispute("DB", "IB", at(5), reason="damage")
    po = log.kpis().perfect_order
    assert (po.delivered, po.perfect, po.undamaged, po.on_time) == (2, 1, 1, 2)


# ---------------------------------------------------------------- cash


def test_cash_auto_match_rate_counts_remittance_lines_applied_without_a_person_and_rules() -> None:
    log = Log()
    for oid in ("O1", "O2", "O3"):
        log.order(oid, at(1))
        log.invoice(oid, f"I{oid}", at(2), total="100")
    log.received("P1", at(5), "200", "IO1", "IO2")          # two lines, both matched by o2c
    log.applied("P1", "O1", "IO1", at(5), "100")
    log.applied("P1", "O2", "IO2", at(5), "100", rule="cash/po_number")
    log.received("P2", at(6), "100", "bad-ref")             # one line a person applied
    log.unapplied("P2", at(6), "100")
    log.applied("P2", "O3", "IO3", at(7), "60", rule="cash/manual", source="user:cara")
    log.received("P3", at(8), "50")                         # no remittance at all: one line
    log.unapplied("P3", at(8), "50")
    c = log.kpis().cash
    # lines 2 + 1 + 1 = 4, applied without a person 2: 50.0 %
    assert (c.remittance_lines, c.auto_matched_lines, c.auto_match_rate_percent) == (4, 2, D("50.0"))
    assert (c.applied, c.applied_by_person) == (3, 1)
    assert c.applied_by_rule == {"cash/exact_reference": 1, "cash/manual": 1, "cash/po_number": 1}
    usd = c.amounts["USD"]
    # received 350, 200 applied by o2c: 57.1 %; unapplied: P2's 100 less the 60 applied, and P3's 50
    assert (usd.received, usd.auto_applied, usd.auto_amount_share_percent) == (
        D("350.00"), D("200.00"), D("57.1"))
    assert (usd.unapplied, usd.unapplied_payments) == (D("90.00"), 2)


def test_cash_by_channel_counts_each_kind_of_bank_file_the_820s_and_the_rest_apart() -> None:
    log = Log()
    for oid in ("O1", "O2", "O3", "O4", "O5"):
        log.order(oid, at(1))
        log.invoice(oid, f"I{oid}", at(2), total="100")
    lockbox = "lockbox:2026-03-02:7071:1/1:1044:021000021/4412"
    log.received(lockbox, at(5), "200", "IO1", "IO2", source="harbor-bank-lockbox")  # a check, two rows
    log.applied(lockbox, "O1", "IO1", at(5), "100")
    log.applied(lockbox, "O2", "IO2", at(5), "100")
    log.received("bai2:HARBORBK:4400012345:2026-03-02:0001:165:10000", at(6), "100", cust="",
                 source="harbor-bank")  # a payer nobody could identify: waits for a person
    log.unapplied("bai2:HARBORBK:4400012345:2026-03-02:0001:165:10000", at(6), "100", cust="")
    log.received("camt:ACC:NTF-1", at(6), "100", "IO3", source="banque-boreale")
    log.applied("camt:ACC:NTF-1", "O3", "IO3", at(6), "100", rule="cash/reference_noise")
    log.received("000017:17:0001", at(7), "100", "IO4", source="edi:C1")
    log.applied("000017:17:0001", "O4", "IO4", at(7), "100")
    log.received("PMT-IO5", at(7), "100", "IO5", source="portal")
    ch = log.kpis().cash.by_channel
    assert {k: (c.payments, c.remittance_lines, c.auto_matched_lines, c.left_for_a_person)
            for k, c in ch.items()} == {"lockbox": (1, 2, 2, 0), "bai2": (1, 1, 0, 1), "camt": (1, 1, 1, 0),
                                        "edi_820": (1, 1, 1, 0), "other": (1, 1, 0, 0)}
    rates = (ch["lockbox"].auto_match_rate_percent, ch["bai2"].auto_match_rate_percent)
    assert rates == (D("100.0"), D("0.0"))


def test_unapplied_cash_fully_applied_later_is_gone() -> None:
    log = Log()
    log.order("O1", at(1))
    log.invoice("O1", "I1", at(2), total="30")
    log.received("P1", at(3), "30", "nope")
    log.unapplied("P1", at(3), "30")
    log.applied("P1", "O1", "I1", at(4), "30", rule="cash/manual", source="user:cara")
    c = log.kpis().cash
    assert c.amounts["USD"].unapplied == D("0.00")
    assert c.amounts["USD"].unapplied_payments == 0


# ---------------------------------------------------------------- shipment to invoice, honestly


def test_the_latency_with_waiting_shipments_counts_the_uninvoiced_at_their_age() -> None:
    log = Log()
    log.order("O1", at(1))
    log.order("O2", at(1))
    log.ship("O1", "S1", at(2))
    log.invoice("O1", "I1", at(2, 11), "S1")  # 2 h
    log.ship("O2", "S2", at(2))             # never invoiced: 48 h at the end below
    r = log.kpis(period_end=at(4))
    assert r.shipment_to_invoice == stat(1, "2.00", "2.00")
    assert r.shipments_not_invoiced == stat(1, "48.00", "48.00")
    # the headline: [2 h, 48 h], median 25 h, p90 the 2nd value
    assert r.shipment_to_invoice_with_waiting == stat(2, "25.00", "48.00")


# ---------------------------------------------------------------- by dimension


def two_entities() -> Log:
    """Order U1 (US, edi, C1) shipped from W1 and W2; order K1 (CA, portal, C9) from W3."""
    log = Log()
    log.order("U1", at(1), entity="US", channel="edi", cust="C1")
    log.order("K1", at(1), entity="CA", channel="portal", cust="C9")
    log.order("R1", at(1), entity="US", channel="csv", cust="C1")  # rejected before allocation
    log.add(at(1, 10), ev.OrderRejected(order_id="R1", customer_id="C1", reason="blocked", by="bea"), "R1",
            source="user:bea")
    log.allocate("U1", at(1, 10), "W2", "W1")
    log.allocate("K1", at(1, 10), "W3")
    log.ship("U1", "SU-W2", at(2), wh="W2", qty="5")
    log.ship("U1", "SU-W1", at(3), wh="W1", qty="5")
    log.ship("K1", "SK", at(2), wh="W3")
    log.invoice("U1", "IU", at(3), "SU-W2", "SU-W1", total="100")
    log.invoice("K1", "IK", at(2, 12), "SK", total="50")
    log.received("P1", at(4), "100", "IU")
    log.applied("P1", "U1", "IU", at(4), "100")
    log.received("P9", at(4), "20", cust="C9")
    log.unapplied("P9", at(4), "20", cust="C9")
    return log


@pytest.mark.parametrize(("by", "u1", "k1", "r1"), [
    ("entity", "US", "CA", "US"),
    ("channel", "edi", "portal", "csv"),
    ("customer", "C1", "C9", "C1"),
    ("warehouse", "W2", "W3", NO_GROUP),  # an order counts in its first warehouse
])
def test_one_orders_figures_land_in_its_group(by: str, u1: str, k1: str, r1: str) -> None:
    r = two_entities().kpis(by=by)
    g = r.groups
    assert g[u1].totals.orders_released >= 1 and g[k1].totals.orders_released == 1
    assert g[r1].totals.orders_rejected == 1
    assert g[k1].invoice_accuracy.issued == 1
    assert g[k1].receivables["USD"].ending_ar == D("50.00")
    assert g[u1].receivables["USD"].credit_sales >= D("100.00")
    assert g[u1].receivables["USD"].ending_ar == D("0.00")
    received = sum(x.totals.orders_received for x in g.values())
    assert received == r.totals.orders_received == 3


def test_by_warehouse_each_shipment_counts_in_its_own_warehouse() -> None:
    g = two_entities().kpis(by="warehouse").groups
    assert {k: x.totals.shipments for k, x in g.items() if x.totals.shipments} == {"W1": 1, "W2": 1, "W3": 1}
    # U1 first allocated from W2: its order figures are W2's, its invoice too (its first shipment)
    assert g["W2"].totals.orders_received == 1 and g["W1"].totals.orders_received == 0
    assert g["W2"].shipment_to_invoice.count == 1 and g["W1"].shipment_to_invoice.count == 1


def test_by_warehouse_what_happened_before_the_allocation_waits_for_the_first_warehouse() -> None:
    log = Log()
    log.order("O1", at(1))
    log.add(at(1), ev.HoldPlaced(order_id="O1", hold_id="H1", code=ev.HoldCode.CRD_OVER_LIMIT,
                                 reason="over", sla_due_at=None, decision=decision("credit/limit")), "O1")
    log.add(at(1, 12), ev.HoldReleased(order_id="O1", hold_id="H1", code=ev.HoldCode.CRD_OVER_LIMIT,
                                       action="release", by="ana", reason="ok"), "O1", source="user:ana")
    log.allocate("O1", at(1, 13), "W2")
    log.order("O2", at(2))  # never allocated
    g = log.kpis(by="warehouse").groups
    assert g["W2"].hold_resolution == {"CRD-OVER-LIMIT": stat(1, "3.00", "3.00")}
    assert g["W2"].totals.orders_received == 1 and g["W2"].order_release == stat(1, "4.00", "4.00")
    assert g[NO_GROUP].totals.orders_received == 1 and g[NO_GROUP].totals.open_orders_at_end == 1


def test_cash_belongs_to_the_payers_entity_and_to_no_channel() -> None:
    log = two_entities()
    by_entity = log.kpis(by="entity").groups
    assert by_entity["CA"].cash.amounts["USD"].unapplied == D("20.00")
    assert by_entity["US"].cash.auto_matched_lines == 1
    by_channel = log.kpis(by="channel").groups
    assert by_channel[NO_GROUP].cash.remittance_lines == 2
    # the application itself is against the invoice, so it is the invoice's channel's
    assert by_channel["edi"].cash.applied == 1


def test_a_customer_known_only_from_master_data_gets_its_entity() -> None:
    log = Log()
    log.received("P1", at(2), "5", cust="C7")
    log.unapplied("P1", at(2), "5", cust="C7")
    assert set(log.kpis(by="entity").groups) == {NO_GROUP}
    assert set(log.kpis(by="entity", customers={"C7": "CA"}).groups) == {"CA"}


def test_the_split_reports_the_same_totals_as_the_unsplit_report() -> None:
    log = two_entities()
    plain = log.kpis()
    for by in DIMENSIONS:
        split = log.kpis(by=by)
        assert replace(split, by=None, groups={}) == plain, by


def test_an_unknown_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot split KPIs by 'region'"):
        Log().kpis(by="region")


def test_the_split_report_as_a_dict_keeps_the_unsplit_keys_and_adds_groups() -> None:
    d = two_entities().kpis(by="entity").as_dict()
    assert d["by"] == "entity"
    assert set(d["groups"]) == {"US", "CA"}
    assert d["totals"]["orders_received"] == 3
    assert d["groups"]["CA"]["totals"]["orders_received"] == 1
    assert "period" not in d["groups"]["CA"] and "integration" not in d["groups"]["CA"]
    assert d["groups"]["CA"]["invoice_accuracy"] == {"issued": 1, "corrected": 0,
                                                     "first_pass_percent": "100.0"}


ORDERS = st.lists(st.tuples(
    st.sampled_from(("US", "CA")), st.sampled_from(("edi", "portal", "csv")),
    st.sampled_from(("C1", "C2", "C3")), st.sampled_from(("W1", "W2")),
    st.integers(min_value=0, max_value=3),  # 0 received, 1 allocated, 2 shipped, 3 invoiced
    st.integers(min_value=-3, max_value=40),  # day received
), max_size=25)


@settings(max_examples=60, deadline=None)
@given(ORDERS)
def test_counts_summed_over_groups_equal_the_unsplit_counts(orders: list[Any]) -> None:
    log = Log()
    for i, (entity, channel, cust, wh, stage, day) in enumerate(orders):
        oid, when = f"O{i}", at(day)
        log.order(oid, when, entity=entity, channel=channel, cust=cust)
        if stage >= 1:
            log.allocate(oid, when + timedelta(hours=1), wh)
        if stage >= 2:
            log.ship(oid, f"S{i}", when + timedelta(hours=2), wh=wh)
        if stage >= 3:
            log.invoice(oid, f"I{i}", when + timedelta(hours=3), f"S{i}")
    plain = log.kpis()
    for by in ("entity", "channel", "customer", "warehouse"):
        groups = log.kpis(by=by).groups.values()
        for name in ("orders_received", "orders_released", "shipments", "invoices_issued"):
            assert sum(getattr(g.totals, name) for g in groups) == getattr(plain.totals, name), (by, name)
        assert sum(g.shipments_not_invoiced.count for g in groups) == plain.shipments_not_invoiced.count
        assert sum(g.invoice_accuracy.issued for g in groups) == plain.invoice_accuracy.issued


# ---------------------------------------------------------------- through the engine


def test_a_payment_applied_by_reference_is_auto_matched_and_a_short_pay_dispute_is_open() -> None:
    h = Harness()
    seed(h.app, customer("C1"))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid, "SA")
    [inv] = h.get(oid).invoices
    total = h.invoice(inv).total
    h.later(days=2)
    h.send("payment", {"payment_id": "PAY1", "customer_id": "C1", "amount": str(total - 5),
                       "currency": "USD", "method": "ach",
                       "references": [{"invoice_id": inv, "amount": str(total - 5)}],
                       "adjustments": [{"invoice_id": inv, "amount": "-5", "reason_code": "01"}]})
    with h.app.store.unit_of_work() as uow:
        log = list(uow.events.all())
    r = compute_kpis(iter(log), period_start=START, period_end=END, by="customer")
    c = r.groups["C1"].cash
    assert (c.remittance_lines, c.auto_matched_lines, c.applied_by_rule) == (
        1, 1, {"cash/exact_reference": 1})
    assert r.disputes.opened == 1
    assert r.disputes.open["USD"]["0-30"].amount == D("5.00")
    # the deduction is a pricing dispute (reason 01): the invoice was not right the first time
    assert r.invoice_accuracy.corrected == 1
