"""CSV batch intake: files people export from spreadsheets, read into canonical orders."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from o2c.adapters.canonical import OrderIn
from o2c.adapters.csv_intake import CsvMapping, MappingError, read_csv_file, read_csv_orders
from o2c.domain.orders import OrderStatus
from o2c.engine.runtime import Status
from tests.builders import Harness, seed

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

US = CsvMapping.from_mapping(
    {
        "source": "field-sales",
        "legal_entity_id": "US",
        "currency": "USD",
        "customer_id": "Customer",
        "po_number": "PO",
        "ship_to_id": "ShipTo",
        "product_id": "Item",
        "quantity": "Qty",
        "uom": "Unit",
        "unit_price": "Price",
        "requested_date": "Wanted",
        "line_no": "Line",
        "date_format": "%m/%d/%Y",
    }
)

EU = CsvMapping.from_mapping(
    {
        "source": "sales-de",
        "legal_entity_id": "US",
        "currency": "USD",
        "customer_id": "Kunde",
        "po_number": "Bestellung",
        "product_id": "Artikel",
        "quantity": "Menge",
        "uom": "Einheit",
        "unit_price": "Preis",
        "requested_date": "Wunschtermin",
        "date_format": "%d.%m.%Y",
        "decimal_separator": ",",
        "thousands_separator": ".",
        "delimiter": ";",
        "encoding": "cp1252",
    }
)

US_FILE = """Customer,PO,ShipTo,Line,Item,Qty,Unit,Price,Wanted
C1,PO-7,C1-ST1,1,P1,10,EA,2.00,03/09/2026
C1,PO-7,C1-ST1,2,P2,3,EA,,03/09/2026
C1,PO-8,C1-ST1,1,P1,1.5,cs,,
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def bodies(batch) -> list[OrderIn]:
    return [OrderIn.model_validate_json(m.body) for m in batch.messages]


def test_rows_are_grouped_into_one_canonical_order_per_customer_and_po(tmp_path: Path) -> None:
    batch = read_csv_file(write(tmp_path, "orders.csv", US_FILE), US, received_at=AT)
    assert batch.ok and batch.held_back == []
    first, second = bodies(batch)
    assert (first.po_number, [ln.product_id for ln in first.lines]) == ("PO-7", ["P1", "P2"])
    assert first.lines[0].unit_price == Decimal("2.00") and first.lines[1].unit_price is None
    assert first.requested_date == date(2026, 3, 9) and first.order_date == AT.date()
    assert first.ship_to_id == "C1-ST1" and first.channel == "csv"
    assert second.lines[0].quantity == Decimal("1.5") and second.lines[0].uom == "CS"
    assert {m.source for m in batch.messages} == {"field-sales"}
    assert {m.kind for m in batch.messages} == {"order"}


def test_a_european_file_with_semicolons_decimal_commas_and_cp1252_is_read(tmp_path: Path) -> None:
    text = (
        "Kunde;Bestellung;Artikel;Menge;Einheit;Preis;Wunschtermin\n"
        "C1;Bestellung-Ü1;P1;1.200,5;EA;2,10;09.03.2026\n"
        "C1;Bestellung-Ü1;P2;3;EA;;09.03.2026\n"
    )
    batch = read_csv_file(write(tmp_path, "bestellungen.csv", text, "cp1252"), EU, received_at=AT)
    assert batch.ok, [str(e) for e in batch.errors]
    (order,) = bodies(batch)
    assert order.po_number == "Bestellung-Ü1"
    assert order.lines[0].quantity == Decimal("1200.5") and order.lines[0].unit_price == Decimal("2.10")
    assert [ln.line_no for ln in order.lines] == [1, 2]
    assert order.requested_date == date(2026, 3, 9)


def test_a_point_in_a_decimal_comma_file_is_refused_not_misread(tmp_path: Path) -> None:
    no_thousands = replace(EU, thousands_separator="")
    text = "Kunde;Bestellung;Artikel;Menge;Einheit;Preis;Wunschtermin\nC1;B1;P1;1.5;EA;;\n"
    batch = read_csv_orders(text.encode("cp1252"), no_thousands, file_name="b.csv", received_at=AT)
    (err,) = batch.errors
    assert (err.row, err.column, err.value) == (2, "Menge", "1.5")
    assert "',' as decimal separator" in err.expected


def test_every_bad_cell_is_reported_with_file_row_column_and_expectation_and_its_order_held(
    tmp_path: Path,
) -> None:
    text = US_FILE + "C1,PO-9,C1-ST1,1,P1,ten,EA,,13/45/2026\nC1,PO-9,C1-ST2,2,,1,EA,,\n"
    batch = read_csv_file(write(tmp_path, "orders.csv", text), US, received_at=AT)
    assert [b.po_number for b in bodies(batch)] == ["PO-7", "PO-8"]
    assert batch.held_back == [("C1", "PO-9")]
    assert [(e.row, e.column) for e in batch.errors] == [
        (5, "Qty"),
        (5, "Wanted"),
        (6, "Item"),
        (6, "ShipTo"),
    ]
    assert (
        str(batch.errors[0]) == "orders.csv, row 5, column Qty: expected a number with '.' as decimal "
        "separator (like 1234.50), got 'ten'"
    )
    assert "the same value as row 5 of PO PO-9" in batch.errors[3].expected


def test_a_row_without_customer_or_po_is_reported_on_its_own(tmp_path: Path) -> None:
    batch = read_csv_file(write(tmp_path, "o.csv", US_FILE + ",PO-10,,1,P1,1,EA,,\n"), US, received_at=AT)
    assert len(batch.messages) == 2 and batch.held_back == []
    (err,) = batch.errors
    assert (err.file, err.row, err.column) == ("o.csv", 5, "Customer")


def test_a_non_numeric_line_number_is_an_error_and_one_used_twice_is_read_as_sent(tmp_path: Path) -> None:
    text = (
        "Customer,PO,ShipTo,Line,Item,Qty,Unit,Price,Wanted\nC1,P,,1,P1,1,EA,,\nC1,P,,1,P1,1,EA,,\n"
        "C1,Q,,x,P1,1,EA,,\n"
    )
    batch = read_csv_file(write(tmp_path, "o.csv", text), US, received_at=AT)
    assert [(e.row, e.column) for e in batch.errors] == [(4, "Line")]
    # the engine holds the order for customer service (VAL-DUPLICATE-LINE)
    assert [[ln.line_no for ln in o.lines] for o in bodies(batch)] == [[1, 1]]


def test_a_missing_column_is_one_error_for_the_file(tmp_path: Path) -> None:
    batch = read_csv_file(write(tmp_path, "o.csv", "Customer,PO,Item\nC1,P,P1\n"), US, received_at=AT)
    assert {e.column for e in batch.errors} == {"ShipTo", "Line", "Qty", "Unit", "Price", "Wanted"}
    assert all(e.row == 1 for e in batch.errors) and batch.messages == []


def test_a_file_in_the_wrong_encoding_is_refused_with_its_line(tmp_path: Path) -> None:
    utf8 = replace(US, encoding="utf-8")
    data = (US_FILE + "C1,PO-Ü,,1,P1,1,EA,,\n").encode("cp1252")
    (err,) = read_csv_orders(data, utf8, file_name="o.csv", received_at=AT).errors
    assert (err.row, err.column) == (5, "(file)") and "utf-8" in err.expected


def test_the_same_orders_sent_again_under_another_name_get_the_same_message_ids(tmp_path: Path) -> None:
    one = read_csv_file(write(tmp_path, "a.csv", US_FILE), US, received_at=AT)
    two = read_csv_file(write(tmp_path, "b.csv", US_FILE), US, received_at=datetime(2026, 3, 3, tzinfo=UTC))
    assert [m.source_message_id for m in one.messages] == [m.source_message_id for m in two.messages]
    changed = read_csv_file(write(tmp_path, "c.csv", US_FILE.replace("2.00", "2.05")), US, received_at=AT)
    assert changed.messages[0].source_message_id != one.messages[0].source_message_id
    assert one.messages[0].source_message_id.startswith("C1/PO-7/")


def test_a_batch_runs_through_the_runtime_once_even_when_sent_twice() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    h.stock("P2", "100", lot="L1")
    batch = read_csv_orders(US_FILE.encode(), US, file_name="o.csv", received_at=AT)
    first = h.app.runtime.submit(batch.messages)
    again = h.app.runtime.submit(batch.messages)
    assert [o.status for o in first] == [Status.APPLIED, Status.APPLIED]
    assert [o.status for o in again] == [Status.DUPLICATE, Status.DUPLICATE]
    assert h.get(first[0].correlation_id).status is OrderStatus.RELEASED
    assert json.loads(batch.messages[0].body)["lines"][0]["unit_price"] == "2.00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decimal_separator": ";"}, "decimal_separator"),
        ({"delimiter": ";;"}, "delimiter"),
        ({"encoding": "klingon"}, "unknown encoding"),
        ({"colour": "red"}, "unknown keys ['colour']"),
        ({"uom": None}, "default_uom"),
        ({"thousands_separator": "."}, "must differ"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused_naming_the_key(change: dict, message: str) -> None:
    base = {"source": "s", "legal_entity_id": "US", "currency": "USD"}
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        CsvMapping.from_mapping({**base, **change})
