"""Raw files through the runtime: a CSV order file, a WMS-A JSON push, a WMS-B
nightly CSV and a carrier feed are each stored whole, split, and applied; a
part that cannot be read is parked on its own (with the header, so it can be
corrected and replayed), while the rest of the file goes through."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.adapters.documents import Integrations, IntegrationsError
from o2c.adapters.raw import CARRIER, CSV_ORDERS, WMS_A, WMS_B, document_bytes, raw_document
from o2c.domain.holds import HoldCode
from o2c.engine.runtime import Status
from tests.builders import T0, Harness, seed

CONFIG: dict[str, Any] = {
    "csv": [{"source": "sales-csv", "legal_entity_id": "US", "currency": "USD", "customer_id": "Account",
             "po_number": "PO", "product_id": "Item", "quantity": "Qty", "uom": "Unit",
             "ship_to_id": "ShipTo", "delimiter": ";", "decimal_separator": ",", "encoding": "cp1252"}],
    "wms_a": [{"source": "wms-a", "paths": {"event_id": "id", "status": "evt", "warehouse": "wh",
                                            "order_id": "ref", "shipment_id": "shp", "time": "ts",
                                            "carrier": "carrier", "tracking_no": "bol", "lines": "items"},
               "line_paths": {"line_no": "ln", "product_id": "sku", "lot_id": "lot", "quantity": "qty"},
               "statuses": {"SHPD": "shipped", "ALOC": "ignore"}, "warehouses": {"COL": "W1"}}],
    "wms_b": [{"source": "wms-b", "warehouse_id": "W1", "timezone": "America/New_York",
               "columns": {"status": "STATUS", "order_id": "ORDER_NO", "line_no": "LINE",
                           "product_id": "ITEM", "lot_id": "LOT", "quantity": "QTY", "date": "DATE",
                           "time": "TIME", "carrier": "CARRIER", "tracking_no": "PRO_NO"},
               "statuses": {"S": "shipped"}, "shipment_id": "{ORDER_NO}-{PRO_NO}",
               "date_format": "%d.%m.%Y"}],
    "carriers": [{"source": "carrier-x", "events": "data.events",
                  "paths": {"event_id": "eventId", "status": "code", "shipment_id": "ref.shipment",
                            "order_id": "ref.order", "delivered_at": "pod.at", "signed_by": "pod.by"},
                  "statuses": {"D1": "delivered"}}],
}
SPLIT = Integrations.from_mapping(CONFIG).splitters()


def submit(h: Harness, data: bytes, *, source: str, kind: str, name: str = "file") -> Any:
    raw = raw_document(data, source=source, kind=kind, received_at=h.clock.now(), name=name)
    return raw, *h.app.runtime.submit_document(raw, SPLIT[kind])


def released_order(h: Harness, po: str = "PO-1") -> str:
    out = h.order(po=po, lines=[("P1", "10", "EA"), ("P1", "5", "EA")])
    assert h.get(out.correlation_id).status.value == "released"
    return str(out.correlation_id)


CSV_FILE = (
    "Account;PO;Item;Qty;Unit;ShipTo\r\n"
    "C1;PO-9;P1;12,5;EA;C1-ST1\r\n"
    "C1;PO-10;P1;zwölf;EA;C1-ST1\r\n"   # a word for a number: the whole of PO-10 waits
    "C1;PO-10;P1;2;CS;C1-ST1\r\n"
    ";PO-11;P1;1;EA;C1-ST1\r\n"          # no account: this row alone is parked
).encode("cp1252")


def test_a_csv_file_applies_its_good_orders_and_parks_each_bad_one_with_its_rows() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "500")
    raw, head, outs = submit(h, CSV_FILE, source="sales-csv", kind=CSV_ORDERS, name="orders.csv")
    assert head.status is Status.APPLIED
    assert sorted(o.status.value for o in outs) == ["applied", "dead_lettered", "dead_lettered"]
    applied = next(o for o in outs if o.status is Status.APPLIED)
    assert h.get(applied.correlation_id).po_number == "PO-9"
    letters = {d.code: d for d in h.dead_letters()}
    assert set(letters) == {HoldCode.INT_PARSE_ERROR.value}
    parked = sorted(h.dead_letters(), key=lambda d: d.body)
    assert [d.kind for d in parked] == [CSV_ORDERS, CSV_ORDERS]
    # Each parked part is a small file of its own: the header, then only its rows.
    bodies = [d.body.splitlines() for d in parked]
    assert ["Account;PO;Item;Qty;Unit;ShipTo", ";PO-11;P1;1;EA;C1-ST1"] in bodies
    assert ["Account;PO;Item;Qty;Unit;ShipTo",
            "C1;PO-10;P1;zwölf;EA;C1-ST1", "C1;PO-10;P1;2;CS;C1-ST1"] in bodies
    po10 = next(d for d in parked if "PO-10" in d.body)
    assert "orders.csv, row 3, column Qty: expected a number with ',' as decimal separator" in po10.reason
    # Every message names the file it came from.
    key = f"sales-csv:{raw.source_message_id}"
    assert h.app.store.inbox[("sales-csv", applied.source_message_id)]["message"].document == key
    # Corrected and replayed through the same splitter, the order goes in.
    fixed = po10.body.replace("zwölf", "12")
    out = h.app.runtime.replay(po10.dead_letter_id, fixed, SPLIT)
    assert out.status is Status.APPLIED and out.reason == "1 message(s), 0 dead-lettered"
    with h.app.store.unit_of_work() as uow:
        assert uow.orders.find_by_po("C1", "PO-10") is not None


def test_the_same_file_again_changes_nothing_and_the_same_bad_part_is_not_parked_twice() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "500")
    submit(h, CSV_FILE, source="sales-csv", kind=CSV_ORDERS)
    _, again, outs = submit(h, CSV_FILE, source="sales-csv", kind=CSV_ORDERS)
    assert again.status is Status.DUPLICATE and outs == []
    # Another file carrying the same broken order: the part is recognised as parked already.
    other = CSV_FILE + "C1;PO-12;P1;3;EA;C1-ST1\r\n".encode("cp1252")
    _, head, outs = submit(h, other, source="sales-csv", kind=CSV_ORDERS)
    assert head.status is Status.APPLIED
    assert sorted(o.status.value for o in outs) == ["applied", "duplicate", "duplicate", "duplicate"]
    assert len(h.dead_letters()) == 2


def test_a_file_nothing_can_be_read_from_is_parked_whole() -> None:
    h = Harness()
    seed(h.app)
    _, head, outs = submit(h, b"Customer,Order\r\nC1,PO-1\r\n", source="sales-csv", kind=CSV_ORDERS)
    assert head.status is Status.DEAD_LETTERED and outs == []
    assert "column Account: expected a 'Account' column in the header" in head.reason


def test_a_document_from_a_source_nobody_configured_is_parked_as_an_unknown_reference() -> None:
    h = Harness()
    _, head, _ = submit(h, CSV_FILE, source="other-team", kind=CSV_ORDERS)
    assert head.status is Status.DEAD_LETTERED
    assert head.code == HoldCode.INT_UNKNOWN_REFERENCE.value
    assert "no csv configuration for source 'other-team' (configured: sales-csv)" in head.reason


def test_a_wms_a_push_ships_and_parks_the_event_it_cannot_read() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    order_id = released_order(h)
    events = [
        {"id": "A-1", "evt": "ALOC", "wh": "COL", "ref": order_id, "ts": "2026-03-02T10:00:00Z"},
        {"id": "A-2", "evt": "SHPD", "wh": "COL", "ref": order_id, "shp": "S-1", "bol": "B1",
         "ts": "2026-03-02T15:00:00Z", "items": [{"ln": 1, "sku": "P1", "qty": "10"},
                                                 {"ln": 2, "sku": "P1", "qty": 5}]},
        {"id": "A-3", "evt": "SHPD", "wh": "XXX", "ref": order_id, "ts": "2026-03-02T15:00:00Z"},
    ]
    _, head, outs = submit(h, json.dumps(events).encode(), source="wms-a", kind=WMS_A)
    assert head.status is Status.APPLIED
    assert [o.status.value for o in outs] == ["dead_lettered", "applied"]
    assert [sh.shipment_id for sh in h.get(order_id).shipments] == ["S-1"]
    [letter] = h.dead_letters()
    assert json.loads(letter.body)[0]["id"] == "A-3"
    assert "event 3 (id A-3), wh: expected a site code in ['COL'], got 'XXX'" in letter.reason


def test_a_wms_b_nightly_file_in_local_time_ships_and_parks_a_bad_row_with_the_header() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    first, second = released_order(h, "PO-1"), released_order(h, "PO-2")
    text = ("STATUS,ORDER_NO,LINE,ITEM,LOT,QTY,DATE,TIME,CARRIER,PRO_NO\n"
            f"S,{first},1,P1,,10,02.03.2026,16:05,ODFL,PRO-1\n"
            f"S,{first},2,P1,,5,02.03.2026,16:05,ODFL,PRO-1\n"
            f"S,{second},1,P1,,10,31.02.2026,16:05,ODFL,PRO-2\n")
    config = {**CONFIG["wms_b"][0], "delimiter": ","}
    split = Integrations.from_mapping({"wms_b": [config]}).splitters()[WMS_B]
    raw = raw_document(text.encode(), source="wms-b", kind=WMS_B, received_at=T0, name="ship0302.csv")
    head, outs = h.app.runtime.submit_document(raw, split)
    assert head.status is Status.APPLIED
    assert sorted(o.status.value for o in outs) == ["applied", "dead_lettered"]
    assert [sh.shipment_id for sh in h.get(first).shipments] == [f"{first}-PRO-1"]
    assert h.get(second).shipments == []
    [letter] = h.dead_letters()
    assert letter.body.splitlines() == ["STATUS,ORDER_NO,LINE,ITEM,LOT,QTY,DATE,TIME,CARRIER,PRO_NO",
                                        f"S,{second},1,P1,,10,31.02.2026,16:05,ODFL,PRO-2"]
    assert "ship0302.csv row 4, DATE/TIME: expected a local date %d.%m.%Y and time %H:%M" in letter.reason


def test_a_carrier_feed_delivers_and_parks_the_event_without_a_time_in_the_feed_shape() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    order_id = released_order(h)
    [shipped] = h.ship_all(order_id, "SH1")
    assert shipped.status is Status.APPLIED
    feed = {"data": {"events": [
        {"eventId": "E1", "code": "D1", "ref": {"shipment": "SH1-W1", "order": order_id},
         "pod": {"at": "2026-03-03T11:00:00-05:00", "by": "R. Roe"}},
        {"eventId": "E2", "code": "D1", "ref": {"shipment": "SH1-W1", "order": order_id}, "pod": {}},
    ]}}
    _, head, outs = submit(h, json.dumps(feed).encode(), source="carrier-x", kind=CARRIER)
    assert head.status is Status.APPLIED
    assert [o.status.value for o in outs] == ["dead_lettered", "applied"]
    assert h.get(order_id).shipments[0].delivered_at.isoformat() == "2026-03-03T16:00:00+00:00"
    [letter] = h.dead_letters()
    assert json.loads(letter.body)["data"]["events"][0]["eventId"] == "E2"


def test_integration_configuration_errors_name_the_entry() -> None:
    with pytest.raises(IntegrationsError, match=r"unknown sections \['wms_c'\]"):
        Integrations.from_mapping({"wms_c": []})
    with pytest.raises(IntegrationsError, match="csv: source 'sales-csv' is configured twice"):
        Integrations.from_mapping({"csv": CONFIG["csv"] * 2})
    with pytest.raises(IntegrationsError, match=r"wms_b\[0\]: .*timezone 'Mars/Olympus'"):
        Integrations.from_mapping({"wms_b": [{**CONFIG["wms_b"][0], "timezone": "Mars/Olympus"}]})


@given(st.binary(max_size=300))
def test_a_stored_document_gives_back_the_bytes_it_was_made_of(data: bytes) -> None:
    raw = raw_document(data, source="s", kind=CSV_ORDERS, received_at=T0, name="a;b.csv")
    assert document_bytes(raw) == data
    assert raw.source_message_id == raw_document(data, source="s", kind=CSV_ORDERS,
                                                 received_at=T0).source_message_id


def test_the_trace_shows_the_rows_and_the_x12_set_each_order_was_sent_in() -> None:
    from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange
    from o2c.analytics.source import order_trace
    from tests.unit.test_edi_intake import PARTNERS, po_850

    h = Harness()
    seed(h.app)
    h.stock("P1", "500")
    _, _, outs = submit(h, CSV_FILE, source="sales-csv", kind=CSV_ORDERS, name="orders.csv")
    csv_order = next(o.correlation_id for o in outs if o.status is Status.APPLIED)
    tr = order_trace(h.app.store, csv_order)
    assert tr is not None
    [msg] = tr.inbound.values()
    assert msg.document_kind == CSV_ORDERS and msg.document.startswith("sales-csv:sha256:")
    assert msg.raw.splitlines() == ["Account;PO;Item;Qty;Unit;ShipTo", "C1;PO-9;P1;12,5;EA;C1-ST1"]
    assert "as sent in csv_orders" in "\n".join(tr.render_lines())

    data = po_850("PO-X1", [("1", "EA", "2.00", "P1")], control=11)
    _, outs = h.app.runtime.submit_document(raw_interchange(data, T0), EdiSplitter(PARTNERS))
    tr = order_trace(h.app.store, outs[0].correlation_id)
    assert tr is not None
    [msg] = tr.inbound.values()
    assert msg.raw.splitlines()[0] == "ST*850*0001~"
    assert msg.raw.splitlines()[-1].startswith("SE*") and "PO1*1*1*EA*2.00**VP*P1~" in msg.raw


def test_raw_part_finds_the_set_of_a_message_among_several_and_gives_up_quietly() -> None:
    from o2c.adapters.edi import build_interchange, write
    from o2c.adapters.raw import raw_part

    sets = [("850", f"000{n}", [("BEG", "00", "SA", f"PO-{n}", "", "20260302"), ("CTT", "0")])
            for n in (1, 2)]
    doc = write(build_interchange("ACME", "O2CDIST", 5, at=T0.replace(tzinfo=None),
                                  groups=[("PO", "004010", 9, sets)]))
    part = raw_part("x12", doc, "000000005:9:0002", "{}")
    assert "BEG*00*SA*PO-2**20260302~" in part and "PO-1" not in part
    assert raw_part("x12", doc, "000000005:9:0003", "{}") == ""
    assert raw_part("x12", "not x12", "a:b:c", "{}") == ""
    assert raw_part(WMS_A, "{broken", "m", '{"order_id": "SO-1"}') == ""
    assert raw_part(CSV_ORDERS, "a,b\n1,2\n", "m", "not json") == ""
