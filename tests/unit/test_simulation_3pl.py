"""Specification: the simulated distributor's third-party warehouse and its X12 carrier.

Reno is run by a 3PL reached only by X12: o2c sends it a 940 for every release to Reno, the 3PL
ships what the 940 says and answers with a 945, and every night it sends its own count of the
warehouse in an 846, which o2c reconciles with its stock (booking small differences, referring
larger ones to warehouse_ops). One carrier, Estes, reports by X12 214 instead of the tracking
feed: a departure, then the delivery with its proof, which bills the customers invoiced on POD.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c.adapters.edi import parse
from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import App, bootstrap
from o2c.domain.master import BillingTrigger
from o2c.domain.money import money
from o2c.sim.partners import CARRIER_PARTNER, THIRD_PARTY, read_940
from o2c.sim.run import Simulation
from o2c.sim.world import SimCustomer, generate

START = date(2026, 1, 5)  # a Monday
DAYS = 6
RENO = THIRD_PARTY["warehouse_id"]
TPL = f"edi:{THIRD_PARTY['partner_id']}"
ESTES = f"edi:{CARRIER_PARTNER['partner_id']}"


@dataclass(frozen=True)
class Run:
    app: App
    sim: Simulation
    end: datetime
    on_pod: frozenset[str]  # customers invoiced on proof of delivery

    def events(self, kind: str, source: str | None = None) -> list[Any]:
        return [e for e in self.app.store.events if e.type == kind and source in (None, e.source)]

    def inbox(self, source: str, kind: str) -> list[Any]:
        return [r for r in self.app.store.inbox.values()
                if (r["message"].source, r["message"].kind) == (source, kind)]

    def outbox(self, kind: str, destination: str) -> list[dict[str, Any]]:
        return [o for o in self.app.store.outbox if (o["kind"], o["destination"]) == (kind, destination)]


def _ships_from_reno(sc: SimCustomer, i: int) -> SimCustomer:
    """A customer of Reno's (the US ones) who orders often, without mistakes or credit trouble;
    every other one is invoiced on proof of delivery."""
    c = sc.customer
    customer = replace(
        c,
        home_warehouse_id=RENO if c.legal_entity_id == "US01" else c.home_warehouse_id,
        blocked=False,
        credit_limit=money(Decimal(10**7), c.credit_limit.currency),
        billing_trigger=BillingTrigger.ON_POD if i % 2 else BillingTrigger.ON_SHIP,
    )
    traits = replace(sc.traits, orders_per_week=10.0, data_quality=0.0, price_drift=0.0)
    return SimCustomer(customer=customer, traits=traits)


@pytest.fixture(scope="module")
def run() -> Run:
    """Given a dozen customers, most of them shipped from Reno, and a 3PL that finds count
    differences far more often than the demo's does, when six days are simulated through the
    real pipeline with the simulator's integration configuration."""
    world = generate(8, customers=12, products=40, start=START)
    world.customers = [_ships_from_reno(sc, i) for i, sc in enumerate(world.customers)]
    begin = datetime.combine(START, time(0), tzinfo=UTC)
    clock = SimClock(begin - timedelta(days=1))
    app = bootstrap("memory", clock=clock, ids=SeededIds(8), integrations=Simulation.configuration(world))
    sim = Simulation(app, clock, world, seed=8, start=START)
    sim.count_errors = (0.15, 0.05)
    sim.setup()
    sim.run(DAYS)
    pod = {sc.customer.customer_id for sc in world.customers
           if sc.customer.billing_trigger is BillingTrigger.ON_POD}
    return Run(app=app, sim=sim, end=begin + timedelta(days=DAYS), on_pod=frozenset(pod))


def _dated(x12: str) -> datetime:
    ic = parse(x12).interchanges[0]
    return datetime.strptime(ic.date + ic.time, "%y%m%d%H%M").replace(tzinfo=UTC)


def _shipped(lines: Any) -> dict[tuple[int, str, str], Decimal]:
    out: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
    for ln in lines:
        out[(ln.line_no, ln.product_id, ln.lot_id)] += ln.quantity
    return dict(out)


def test_releases_to_the_3pl_go_out_as_940s_and_come_back_as_945s_that_ship_the_orders(run: Run) -> None:
    # given the 940s o2c sent the 3PL, one per release to Reno
    sent = run.outbox("edi_940", TPL)
    assert len(sent) == len(run.outbox("warehouse_release", RENO)) > 20
    # then every shipment from Reno is a 945 from the 3PL, none from a WMS
    shipments = [e.payload for e in run.events("ShipmentConfirmed") if e.payload.warehouse_id == RENO]
    assert shipments and {e.source for e in run.events("ShipmentConfirmed")
                          if e.payload.warehouse_id == RENO} == {TPL}
    assert len(run.inbox(TPL, "shipment")) == len(shipments)
    assert all(s.shipped_at is not None for s in shipments)  # the 945's G62: when the truck left
    by_order: dict[str, list[Any]] = defaultdict(list)
    for s in shipments:
        by_order[s.order_id].append(s)
    # and each 940 sent two days before the end was shipped as it asked: lines, lots, quantities
    checked = 0
    for row in sent:
        order = read_940(row["payload"]["x12"])
        assert order is not None and order.order_id == row["payload"]["order_id"]
        if _dated(row["payload"]["x12"]) > run.end - timedelta(hours=48):
            continue
        asked: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
        for n, pid, lot, qty, _ in order.lines:
            asked[(n, pid, lot)] += qty
        (shipment,) = [s for s in by_order[order.order_id] if _shipped(s.lines) == dict(asked)]
        assert shipment.shipment_id.startswith("SRL") and shipment.tracking_no
        checked += 1
    assert checked > 10 and run.sim.stats.short_shipped == 0 and run.sim.stats.unreadable == 0
    # and o2c accepted every 945 and 846 with a 997, and dead-lettered none of them
    acks = [o["payload"]["x12"] for o in run.outbox("edi_997", TPL)]
    assert len(acks) == len(run.inbox(TPL, "shipment")) + len(run.inbox(TPL, "inventory_advice"))
    assert all("AK5*A~" in a and "AK9*A*" in a for a in acks)
    assert [d for d in run.app.store.dead_letters.values()
            if d.source == TPL or THIRD_PARTY["isa_id"] in d.body] == []


def test_the_3pls_nightly_846_keeps_o2cs_stock_in_step_booked_or_referred(run: Run) -> None:
    # given one 846 a night, with the 3PL's own count
    advices = run.inbox(TPL, "inventory_advice")
    assert len(advices) == DAYS
    # then small differences were booked under the tolerance rule
    booked = run.events("StockAdjusted", TPL)
    assert booked and {e.payload.decision.rule for e in booked} == {"inventory/within-tolerance"}
    assert all(e.payload.warehouse_id == RENO and e.payload.delta for e in booked)
    # and larger ones were referred to warehouse_ops, who had the 3PL recount and kept o2c's figures
    referred = run.events("StockDifferenceReferred", TPL)
    assert referred and {e.payload.decision.rule for e in referred} == {"inventory/above-tolerance"}
    kept = [e.payload for e in run.events("StockAdjusted", "o2c.engine")]
    assert kept and all(k.delta == 0 and k.decision.rule == "inventory/above-tolerance/kept-by-person"
                        for k in kept)
    assert {(k.product_id, k.lot_id, k.advice_id) for k in kept} <= {
        (r.payload.product_id, r.payload.lot_id, r.payload.advice_id) for r in referred}
    open_referrals = [d for d in run.app.store.dead_letters.values()
                      if d.code == "INV-COUNT-MISMATCH" and d.status == "open"]
    assert len(kept) + len(open_referrals) == len(referred)
    # and at the end o2c's on-hand at Reno is the 3PL's own count, for every product and lot
    with run.app.store.unit_of_work() as uow:
        ours = {(p.product_id, p.lot_id): p.on_hand for p in uow.stock.positions(run.sim.product_ids)
                if p.warehouse_id == RENO}
    theirs = run.sim.tpl.on_hand
    assert {k: v for k, v in ours.items() if v} == {k: v for k, v in theirs.items() if v}


def test_the_x12_carriers_pods_arrive_by_214_and_bill_the_customers_invoiced_on_pod(run: Run) -> None:
    # given the shipments Estes carried, whichever warehouse's system reported them
    carried = {e.payload.shipment_id: e.payload for e in run.events("ShipmentConfirmed")
               if e.payload.carrier in ("Estes", "EXLA")}
    assert {s.warehouse_id for s in carried.values()} >= {RENO, "WH-TORONTO"}  # by 945 and by WMS "B"
    # then Estes said by 214 when each left, and its proofs of delivery came by 214 only
    departed = {e.payload.shipment_id for e in run.events("ShipmentStatusReported", ESTES)
                if [s.code for s in e.payload.statuses] == ["AF"]}
    assert departed and departed <= set(carried)
    pods = run.events("ProofOfDeliveryReceived", ESTES)
    assert pods and {e.payload.shipment_id for e in pods} <= departed
    assert all(e.payload.signed_by for e in pods)
    feed = {e.payload.shipment_id for e in run.events("ProofOfDeliveryReceived", "carrier-feed")}
    assert not feed & set(carried)
    # and a customer invoiced on POD is invoiced for a shipment once its 214 has delivered it
    delivered = {e.payload.shipment_id: e for e in pods}
    on_pod = [e for e in run.events("InvoiceIssued") if e.payload.customer_id in run.on_pod
              and set(e.payload.shipment_ids) & set(delivered)]
    assert on_pod
    for invoice in on_pod:
        pod = next(delivered[s] for s in invoice.payload.shipment_ids if s in delivered)
        assert invoice.payload.trigger == "on_pod" and invoice.occurred_at >= pod.occurred_at
    # and nothing Estes sent was dead-lettered; each interchange was accepted by a 997
    assert [d for d in run.app.store.dead_letters.values()
            if d.source == ESTES or f"*{CARRIER_PARTNER['isa_id']}" in d.body] == []
    acks = [o["payload"]["x12"] for o in run.outbox("edi_997", ESTES)]
    assert acks and all("AK5*R" not in a and "AK9*A*" in a for a in acks)
