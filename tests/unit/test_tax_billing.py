"""Invoices taxed by the ship-to's jurisdiction through the engine: stacked US and Canadian
rates, exempt products, exemption certificates on their dates, and an unknown jurisdiction
held for billing (BIL-TAX-UNRESOLVED) until its rate is loaded or billing releases the hold.

Runs on the in-memory store here; ``tests/integration/test_tax_billing_on_sql.py`` runs the
same scenarios on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from o2c.domain import events as ev
from o2c.domain.actors import user
from o2c.domain.holds import HoldCode, Role
from o2c.domain.master import ExemptionCertificate, ShipTo
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, seed, seed_canada

D = Decimal

CHICAGO = ShipTo(ship_to_id="C1-ST1", name="Loop", city="Chicago", region="IL", postal_code="60601",
                 country="US", county="Cook")
RENO = ShipTo(ship_to_id="C1-ST1", name="Reno dock", city="Reno", region="NV", postal_code="89501",
              country="US", county="Washoe")

IL_RATES = [("US-IL", "", "", "state", "0.0625"), ("US-IL-COOK", "Cook", "", "county", "0.0175"),
            ("US-IL-CHICAGO", "", "Chicago", "city", "0.0125")]


def rate_body(rate_id: str, region: str, name: str, rate: str, *, country: str = "US", county: str = "",
              city: str = "", tax_class: str = "standard", valid_from: str = "2020-01-01",
              valid_to: str | None = None) -> dict[str, Any]:
    return {"rate_id": rate_id, "country": country, "region": region, "county": county, "city": city,
            "tax_class": tax_class, "name": name, "rate": rate, "valid_from": valid_from,
            "valid_to": valid_to}


def load_illinois(h: Harness) -> None:
    for rid, county, city, name, rate in IL_RATES:
        assert h.send("tax_rate", rate_body(rid, "IL", name, rate, county=county, city=city)).status \
            is Status.APPLIED


def invoiced(h: Harness, oid: str) -> ev.InvoiceIssued:
    [inv] = [e.payload for e in h.events(oid) if e.type == "InvoiceIssued"]
    return inv


def tax_lines(inv: ev.InvoiceIssued) -> list[tuple[str, str, str, str, str | None]]:
    return [(t.jurisdiction, t.name, str(t.taxable.amount), str(t.amount.amount), t.certificate_id)
            for t in inv.tax_lines]


def shipped(h: Harness, cust: Any, *, lines: list[tuple[str, str, str]] | None = None,
            canada: bool = False) -> str:
    seed(h.app, cust)
    if canada:
        seed_canada(h.app)
    h.stock("P1", "100")
    h.stock("P2", "100", lot="L1")
    oid = h.order(lines=lines).correlation_id
    h.ship_all(oid)
    return oid


@pytest.fixture
def h(new_harness: Any) -> Harness:
    return new_harness()  # type: ignore[no-any-return]


def test_a_chicago_ship_to_is_taxed_by_illinois_cook_county_and_chicago(h: Harness) -> None:
    seed(h.app, dataclasses.replace(customer(), ship_tos=(CHICAGO,)))
    load_illinois(h)
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid)
    inv = invoiced(h, oid)
    assert tax_lines(inv) == [("US-IL", "state", "20.00", "1.25", None),
                              ("US-IL/city=Chicago", "city", "20.00", "0.25", None),
                              ("US-IL/county=Cook", "county", "20.00", "0.35", None)]
    assert inv.tax.amount == D("1.85") and inv.total.amount == D("21.85")  # not Ohio's 7.25 %
    assert h.get(oid).status is OrderStatus.INVOICED


def test_an_ontario_ship_to_pays_hst(h: Harness) -> None:
    toronto = ShipTo(ship_to_id="C1-ST1", name="King St", city="Toronto", region="ON",
                     postal_code="M5H 2N2", country="CA")
    oid = shipped(h, dataclasses.replace(customer(), ship_tos=(toronto,)), canada=True)
    assert tax_lines(invoiced(h, oid)) == [("CA-ON", "HST", "20.00", "2.60", None)]


def test_a_british_columbia_ship_to_pays_gst_and_pst(h: Harness) -> None:
    vancouver = ShipTo(ship_to_id="C1-ST1", name="Granville", city="Vancouver", region="BC",
                       postal_code="V6C 1T2", country="CA")
    seed(h.app, dataclasses.replace(customer(), ship_tos=(vancouver,)))
    for body in (rate_body("CA-BC-GST", "BC", "GST", "0.05", country="CA"),
                 rate_body("CA-BC-PST", "BC", "PST", "0.07", country="CA")):
        assert h.send("tax_rate", body).status is Status.APPLIED
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.ship_all(oid)
    inv = invoiced(h, oid)
    assert tax_lines(inv) == [("CA-BC", "GST", "20.00", "1.00", None),
                              ("CA-BC", "PST", "20.00", "1.40", None)]
    assert inv.tax.amount == D("2.40")


def test_an_exempt_product_is_not_taxed(h: Harness) -> None:
    seed(h.app)
    h.send("product", {"product_id": "P2", "description": "Saline 500ml", "base_uom": "EA",
                       "lot_controlled": True, "prices": [{"currency": "USD", "list_price": "4.00"}],
                       "tax_class": "exempt"})
    h.stock("P1", "100")
    h.stock("P2", "100", lot="L1")
    oid = h.order(lines=[("P1", "10", "EA"), ("P2", "5", "EA")]).correlation_id
    h.ship_all(oid)
    inv = invoiced(h, oid)
    assert inv.subtotal.amount == D("40.00")
    assert tax_lines(inv) == [("US-OH", "state", "20.00", "1.45", None)]  # P2's 20.00 untaxed


def test_a_valid_certificate_exempts_and_an_expired_one_does_not(h: Harness) -> None:
    valid = dataclasses.replace(customer("C1"), exemptions=(
        ExemptionCertificate(certificate_id="EX-OH-77", jurisdiction="US-OH", expires=date(2026, 12, 31)),))
    expired = dataclasses.replace(customer("C2"), exemptions=(
        ExemptionCertificate(certificate_id="EX-OH-12", jurisdiction="US-OH", expires=date(2026, 3, 1)),))
    seed(h.app, valid, expired)
    h.stock("P1", "100")
    o1 = h.order(customer_id="C1").correlation_id
    o2 = h.order(customer_id="C2", po="PO-2").correlation_id
    h.ship_all(o1)
    h.ship_all(o2, "SH2")
    exempt = invoiced(h, o1)
    assert tax_lines(exempt) == [("US-OH", "state", "20.00", "0.00", "EX-OH-77")]
    assert exempt.tax.amount == D("0.00") and exempt.total.amount == D("20.00")
    # the invoice date is 2026-03-02: the day after C2's certificate expired
    assert tax_lines(invoiced(h, o2)) == [("US-OH", "state", "20.00", "1.45", None)]


def hold_of(h: Harness, oid: str) -> Any:
    [hold] = [x for x in h.get(oid).open_holds if x.code is HoldCode.BIL_TAX_UNRESOLVED]
    return hold


def test_an_unknown_jurisdiction_is_held_for_billing_and_invoiced_when_its_rate_arrives(h: Harness) -> None:
    oid = shipped(h, dataclasses.replace(customer(), ship_tos=(RENO,)))
    assert not [e for e in h.events(oid) if e.type == "InvoiceIssued"]
    hold = hold_of(h, oid)
    assert hold.kind.owner is Role.BILLING
    assert "no tax rate for tax class 'standard' in US-NV" in hold.reason
    assert "ship-to C1-ST1 (US-NV)" in hold.reason and "shipment SH1-W1" in hold.reason
    assert h.get(oid).status is OrderStatus.SHIPPED
    # a rate of another state lifts nothing
    assert h.send("tax_rate", rate_body("US-AZ", "AZ", "state", "0.056")).status is Status.APPLIED
    assert hold_of(h, oid).hold_id == hold.hold_id
    # Nevada's county rate alone does not make the state known: still held, nothing guessed
    h.send("tax_rate", rate_body("US-NV-WASHOE", "NV", "county", "0.0151", county="Washoe"))
    assert not [e for e in h.events(oid) if e.type == "InvoiceIssued"]
    assert h.send("tax_rate", rate_body("US-NV", "NV", "state", "0.0685")).status is Status.APPLIED
    order = h.get(oid)
    assert not order.on_hold and order.status is OrderStatus.INVOICED
    released = [e.payload for e in h.events(oid) if e.type == "HoldReleased"]
    assert released[-1].hold_id == hold.hold_id and released[-1].by == "o2c.engine"
    assert "tax rate US-NV v1 (state of US-NV) added" in released[-1].reason
    assert tax_lines(invoiced(h, oid)) == [("US-NV", "state", "20.00", "1.37", None),
                                           ("US-NV/county=Washoe", "county", "20.00", "0.30", None)]


def test_a_rate_arriving_retries_every_order_waiting_for_it_page_after_page(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from o2c.engine import reactions

    monkeypatch.setattr(reactions, "_PAGE", 2)  # held orders read two at a time
    first = shipped(h, dataclasses.replace(customer(), ship_tos=(RENO,)))
    others = []
    for n in range(2, 6):
        oid = h.order(po=f"PO-{n}").correlation_id
        h.ship_all(oid, f"SH{n}")
        others.append(oid)
    waiting = [first, *others]
    assert all(hold_of(h, oid).code is HoldCode.BIL_TAX_UNRESOLVED for oid in waiting)
    assert h.send("tax_rate", rate_body("US-NV", "NV", "state", "0.0685")).status is Status.APPLIED
    assert [h.get(oid).status for oid in waiting] == [OrderStatus.INVOICED] * 5


def test_billing_releasing_the_hold_invoices_again_and_holds_again_while_unknown(h: Harness) -> None:
    oid = shipped(h, dataclasses.replace(customer(), ship_tos=(RENO,)))
    first = hold_of(h, oid)
    billing = user("bea", Role.BILLING)
    out = h.send("hold_decision", {"order_id": oid, "code": "BIL-TAX-UNRESOLVED", "by": "bea",
                                   "reason": "try again"}, actor=billing)
    assert out.status is Status.APPLIED, out
    again = hold_of(h, oid)  # retried, still no rate: held again, not invoiced at a guess
    assert again.hold_id != first.hold_id
    assert not [e for e in h.events(oid) if e.type == "InvoiceIssued"]
    h.send("tax_rate", rate_body("US-NV", "NV", "state", "0.0685"))
    assert h.get(oid).status is OrderStatus.INVOICED
    assert invoiced(h, oid).tax.amount == D("1.37")


def test_tax_rates_are_checked(h: Harness) -> None:
    seed(h.app)
    out = h.send("tax_rate", rate_body("US-IL", "IL", "state", "0.0625"))
    assert out.status is Status.APPLIED
    overlapping = h.send("tax_rate", rate_body("US-IL-2", "IL", "State", "0.07", valid_from="2026-01-01"))
    assert overlapping.status is Status.DEAD_LETTERED
    assert "overlaps US-IL v1, the same state of US-IL on class standard" in (overlapping.reason or "")
    # the same tax later, once the first ends, is a new rate
    assert h.send("tax_rate", rate_body("US-IL", "IL", "state", "0.0625", valid_to="2026-06-30")).status \
        is Status.APPLIED
    assert h.send("tax_rate", rate_body("US-IL-2", "IL", "state", "0.07", valid_from="2026-07-01")).status \
        is Status.APPLIED
    [changed] = [e.payload for e in h.events("tax_rate:US-IL") if e.type == "TaxRateChanged"][1:]
    assert changed.rate.version == 2 and changed.changed == ("valid_to",)
    # a file's record sent twice changes nothing
    assert h.send("tax_rate", rate_body("US-IL-2", "IL", "state", "0.07", valid_from="2026-07-01"),
                  msg_id="again").status is Status.APPLIED
    assert len([e for e in h.events("tax_rate:US-IL-2") if e.type == "TaxRateChanged"]) == 1
    bad = h.send("tax_rate", rate_body("X", "IL", "state", "6.25"))
    assert bad.status is Status.DEAD_LETTERED and "rate" in (bad.reason or "")
    both = h.send("tax_rate", rate_body("Y", "IL", "local", "0.01", county="Cook", city="Chicago"))
    assert both.status is Status.DEAD_LETTERED and "county's or a city's" in (both.reason or "")


def test_who_may_set_tax_rates(h: Harness) -> None:
    seed(h.app)
    body = rate_body("US-IL", "IL", "state", "0.0625")
    refused = h.send("tax_rate", body, actor=user("pat", Role.PRICING))
    assert refused.status is not Status.APPLIED
    restricted = dataclasses.replace(user("cora", Role.CONTROLLER), entities=frozenset({"US"}))
    assert h.send("tax_rate", body, actor=restricted).status is not Status.APPLIED
    assert h.send("tax_rate", body, actor=user("bea", Role.BILLING)).status is Status.APPLIED
