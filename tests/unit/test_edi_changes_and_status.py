"""X12 860 (PO change) and 214 (carrier status) through the runtime: the maps'
canonical messages are applied by the engine, no longer dead-lettered as unknown kinds."""

from __future__ import annotations

from decimal import Decimal

import yaml

from o2c.adapters.edi import build_interchange, write
from o2c.adapters.edi.maps import PartnerDirectory
from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange
from o2c.domain.holds import HoldCode
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import T0, Harness, seed

PARTNERS = PartnerDirectory.from_mapping(yaml.safe_load("""
partners:
  - partner_id: acme
    isa_qualifier: ZZ
    isa_id: ACME
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: US
    customer_id: C1
    inbound: ["850", "860"]
    outbound: ["855", "997"]
    product_qualifiers: [VP]
    uom_map: {CA: CS, EA: EA}
    ship_to_map: {"0042": C1-ST1}
  - partner_id: fastfreight
    isa_qualifier: ZZ
    isa_id: FFRT
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: US
    inbound: ["214"]
    timezone: America/New_York
"""))


def interchange(sender: str, set_id: str, functional: str, segs: list[tuple[str, ...]],
                control: int) -> bytes:
    ic = build_interchange(sender, "O2CDIST", control, at=T0.replace(tzinfo=None),
                           groups=[(functional, "004010", control, [(set_id, "0001", segs)])])
    return write(ic).encode()


def submit(h: Harness, data: bytes) -> list:
    head, outs = h.app.runtime.submit_document(raw_interchange(data, h.clock.now()), EdiSplitter(PARTNERS))
    assert head.status is Status.APPLIED
    return outs


def po_850(h: Harness) -> str:
    segs = [("BEG", "00", "SA", "PO-77", "", "20260302"), ("N1", "ST", "Main dock", "92", "0042"),
            ("PO1", "1", "10", "EA", "2.00", "", "VP", "P1"), ("PO1", "2", "5", "EA", "", "", "VP", "P2"),
            ("CTT", "2")]
    (out,) = submit(h, interchange("ACME", "850", "PO", segs, 1))
    return str(out.correlation_id)


def test_an_860_changes_an_order_not_yet_released() -> None:
    h = Harness()
    seed(h.app)
    oid = po_850(h)
    assert h.get(oid).status is OrderStatus.BACKORDERED
    segs = [("BCH", "04", "SA", "PO-77", "", "2", "20260302", "", "", "", "", "20260303"),
            ("POC", "1", "QD", "2", "2", "CA", "", "", "VP", "P1"),
            ("POC", "2", "DI", "", "", "EA"),
            ("POC", "3", "AI", "4", "4", "EA", "", "", "VP", "P2"),
            ("CTT", "3")]
    (out,) = submit(h, interchange("ACME", "860", "PC", segs, 2))
    assert (out.status, out.correlation_id) == (Status.APPLIED, oid)
    order = h.get(oid)
    assert [(ln.line_no, ln.product_id, ln.base_quantity) for ln in order.lines] == [
        (1, "P1", Decimal(24)), (3, "P2", Decimal(4))]
    assert order.status is OrderStatus.BACKORDERED
    acks = [m["payload"] for m in h.app.store.outbox if m["kind"] == "order_ack"]
    assert {"status": "changed", "change_sequence": "2"}.items() <= acks[1].items()


def test_a_214_delay_for_a_shipped_order_raises_a_late_ship_hold() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    h.stock("P2", "100")
    oid = po_850(h)
    h.ship_all(oid)
    segs = [("B10", "PRO-123", "SH1-W1", "FFRT"), ("L11", oid, "OQ"),
            ("LX", "1"), ("AT7", "SD", "AO", "", "", "20260303", "0815", "ET"),
            ("MS1", "TOLEDO", "OH", "US")]
    (out,) = submit(h, interchange("FFRT", "214", "QM", segs, 3))
    assert out.status is Status.APPLIED
    order = h.get(oid)
    (hold,) = order.open_holds
    assert hold.code is HoldCode.FUL_LATE_SHIP and "status SD reason AO" in hold.reason
    assert [s.code for s in order.shipment("SH1-W1").statuses] == ["SD"]
