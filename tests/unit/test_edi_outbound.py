"""What o2c sends its EDI partners: the 855, 940, 856 and 810 rendered in the transaction
that decides them, beside the channel-neutral outbox messages, each interchange numbered in
its partner's own sequence (997s included), every one a valid X12 document."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D
from typing import Any

import pytest
import yaml

from o2c.adapters.documents import Integrations
from o2c.adapters.edi import parse
from o2c.adapters.edi.maps.intake import raw_interchange
from o2c.adapters.edi.maps.invoice_out import check_810
from o2c.domain.master import ShipTo
from tests.builders import T0, Harness, customer, seed
from tests.unit.test_edi_intake import po_850

CONFIG = yaml.safe_load("""
partners:
  - partner_id: acme
    isa_qualifier: ZZ
    isa_id: ACME
    our_isa_id: O2CDIST
    legal_entity_id: US
    customer_id: C1
    inbound: ["850", "860"]
    outbound: ["855", "856", "810", "997"]
    product_qualifiers: [VP]
    ship_to_map: {"0042": C1-ST1}
  - partner_id: tpl
    isa_qualifier: ZZ
    isa_id: RIVERSIDE3PL
    our_isa_id: O2CDIST
    legal_entity_id: US
    warehouse_id: W1
    outbound: ["940", "997"]
""")


INTEGRATIONS = Integrations.from_mapping(CONFIG)
X12_SPLITTER = INTEGRATIONS.splitters()["x12"]


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness(integrations=INTEGRATIONS)
    seed(h.app)
    h.stock("P1", "100")
    return h


def outbox(h: Harness) -> list[dict[str, Any]]:
    """Every outbox row in order, as kind, destination, correlation id and payload."""
    with h.app.store.unit_of_work() as uow:
        return [{"kind": m.kind, "destination": m.destination, "correlation_id": m.correlation_id,
                 "payload": m.payload} for m in uow.outbox.pending(100_000)]


def sent(h: Harness, kind: str) -> list[dict[str, Any]]:
    return [m for m in outbox(h) if m["kind"] == kind]


def segments(x12: str, sid: str) -> list[tuple[str, ...]]:
    result = parse(x12)
    assert result.errors == [], result.errors  # what we send reads back without a finding
    return [(s.id, *s.elements) for ts in result.transaction_sets() for s in ts.segments if s.id == sid]


def isa13(x12: str) -> str:
    return parse(x12).interchanges[0].control_number


def order_by_edi(h: Harness, po: str = "PO-77", control: int = 7) -> str:
    raw = raw_interchange(po_850(po, [("2", "CS", "24.00", "P1"), ("5", "EA", "2.00", "P1")], control), T0)
    _, outs = h.app.runtime.submit_document(raw, X12_SPLITTER)
    return str(outs[0].correlation_id)


def test_an_edi_order_is_answered_with_a_997_and_an_855_and_released_to_the_3pl_with_a_940(
    h: Harness,
) -> None:
    oid = order_by_edi(h)
    [ack997] = sent(h, "edi_997")
    [ack855] = sent(h, "edi_855")
    assert (ack855["destination"], ack855["correlation_id"]) == ("edi:acme", oid)
    x12 = ack855["payload"]["x12"]
    assert segments(x12, "BAK") == [("BAK", "00", "AD", "PO-77", "20260302", "", "", "", oid, "20260302")]
    assert segments(x12, "ACK") == [("ACK", "IA", "2", "CS"), ("ACK", "IA", "5", "EA")]
    assert [s[:8] for s in segments(x12, "PO1")] == [("PO1", "1", "2", "CS", "24", "", "VP", "P1"),
                                                    ("PO1", "2", "5", "EA", "2", "", "VP", "P1")]
    [release] = sent(h, "edi_940")
    assert release["destination"] == "edi:tpl"
    assert segments(release["payload"]["x12"], "W05") == [("W05", "N", oid, "PO-77")]
    assert segments(release["payload"]["x12"], "W01") == [("W01", "24", "EA", "", "VN", "P1"),
                                                          ("W01", "5", "EA", "", "VN", "P1")]
    # the channel-neutral messages stay for the other readers of the outbox
    assert [m["kind"] for m in outbox(h) if not m["kind"].startswith("edi_")] == [
        "order_ack", "warehouse_release"]
    # each partner numbers its own interchanges: the 997 first, then the 855
    assert [isa13(m["payload"]["x12"]) for m in (ack997, ack855)] == ["000000001", "000000002"]
    assert isa13(release["payload"]["x12"]) == "000000001"
    assert "AK1*PO*7" in ack997["payload"]["x12"] and ack997["payload"]["control_number"] == 1


def test_the_shipment_goes_to_the_buyer_as_an_856_and_the_invoice_as_an_810(h: Harness) -> None:
    oid = order_by_edi(h)
    h.later(hours=3)
    h.ship_all(oid)
    [asn] = sent(h, "edi_856")
    x12 = asn["payload"]["x12"]
    assert asn["payload"]["shipment_id"] == "SH1-W1" and segments(x12, "BSN")[0][2] == "SH1-W1"
    assert segments(x12, "PRF") == [("PRF", "PO-77")]
    assert [s[:4] for s in segments(x12, "SN1")] == [("SN1", "1", "24", "EA"), ("SN1", "2", "5", "EA")]
    [invoice] = sent(h, "edi_810")
    inv = h.invoice(invoice["payload"]["invoice_id"])
    x12 = invoice["payload"]["x12"]
    assert segments(x12, "BIG")[0][2] == inv.invoice_id and segments(x12, "BIG")[0][4] == "PO-77"
    assert segments(x12, "TDS") == [("TDS", str(int(inv.total * 100)))]  # cents, implied decimals
    numbers = [m["payload"]["control_number"] for m in outbox(h) if m["destination"] == "edi:acme"]
    assert numbers == [1, 2, 3, 4]  # 997, 855, 856, 810: no gap, no repeat


def test_the_810_of_a_chicago_ship_to_has_a_txi_per_tax_and_passes_check_810(new_harness) -> None:
    h = new_harness(integrations=INTEGRATIONS)
    chicago = ShipTo(ship_to_id="C1-ST1", name="Loop", city="Chicago", region="IL", postal_code="60601",
                     country="US", county="Cook")
    seed(h.app, dataclasses.replace(customer(), ship_tos=(chicago,)))
    for rid, county, city, name, rate in (("IL", "", "", "state", "0.0625"),
                                          ("COOK", "Cook", "", "county", "0.0175"),
                                          ("CHI", "", "Chicago", "city", "0.0125")):
        h.send("tax_rate", {"rate_id": rid, "country": "US", "region": "IL", "county": county, "city": city,
                            "name": name, "rate": rate, "valid_from": "2020-01-01"})
    h.stock("P1", "100")
    oid = order_by_edi(h)
    h.ship_all(oid)
    [invoice] = sent(h, "edi_810")
    x12 = invoice["payload"]["x12"]
    assert segments(x12, "TXI") == [("TXI", "ST", "3.63", "6.25"), ("TXI", "CS", "0.73", "1.25"),
                                    ("TXI", "CP", "1.02", "1.75")]  # on 58.00: 24 × 2.00 + 5 × 2.00
    [ts] = parse(x12).transaction_sets()
    check = check_810(ts)
    assert check.ok and check.tax == D("5.38") and check.declared_total == h.invoice(
        invoice["payload"]["invoice_id"]).total


def test_a_portal_order_of_an_edi_customer_is_invoiced_by_810_but_not_acknowledged_by_855(h: Harness) -> None:
    oid = h.order(po="PO-WEB").correlation_id
    assert sent(h, "edi_855") == [] and len(sent(h, "edi_940")) == 1
    h.ship_all(oid)
    assert sent(h, "edi_856") == [] and len(sent(h, "edi_810")) == 1


def test_a_rejected_order_is_answered_with_every_line_rejected(h: Harness) -> None:
    h.send("order_change", {"legal_entity_id": "US", "customer_id": "C1", "po_number": "PO-77",
                            "purpose": "cancel", "change_sequence": "1", "lines": []})
    order_by_edi(h)  # the cancellation overtook it: rejected on arrival
    [rd] = [m for m in sent(h, "edi_855") if "*RD*" in m["payload"]["x12"]]
    assert [s[1] for s in segments(rd["payload"]["x12"], "ACK")] == ["IR", "IR"]


def test_a_partner_buying_for_several_accounts_is_sent_the_documents_of_each(new_harness) -> None:
    chain = {**CONFIG["partners"][0], "customer_id": None, "customer_map": {"STORE-1": "C1"}}
    h = new_harness(integrations=Integrations.from_mapping({"partners": [chain]}))
    seed(h.app)
    h.stock("P1", "100")
    oid = h.order(po="PO-CHAIN").correlation_id
    h.ship_all(oid)
    assert [m["destination"] for m in sent(h, "edi_810")] == ["edi:acme"]


def test_a_3pl_running_several_warehouses_is_sent_the_940s_of_each(new_harness) -> None:
    tpl = {**CONFIG["partners"][1], "warehouse_id": None, "warehouse_map": {"RIV-1": "W1", "RIV-2": "W2"}}
    h = new_harness(integrations=Integrations.from_mapping({"partners": [tpl]}))
    seed(h.app)
    h.stock("P1", "100")
    h.order(po="PO-3PL")
    assert [m["destination"] for m in sent(h, "edi_940")] == ["edi:tpl"]


def test_without_an_integration_configuration_only_the_channel_neutral_messages_are_sent(new_harness) -> None:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "100")
    h.order()
    assert [m["kind"] for m in outbox(h)] == ["order_ack", "warehouse_release"]
