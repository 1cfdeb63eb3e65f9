"""WMS "B": batch CSV files with local times and one-letter codes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from o2c.adapters.canonical import ShipmentIn
from o2c.adapters.sources import ConfigError, WmsBConfig, local_to_utc, normalize_wms_b
from o2c.adapters.sources.common import load_default
from tests.unit.sources.support import validated

AT = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
CONFIG = WmsBConfig.default()  # America/Chicago, ';' and ',' decimals, dd.mm.yyyy
HEADER = "STATUS;ORDER_NO;LINE;ITEM;LOT;QTY_SHIPPED;SHIP_DATE;SHIP_TIME;CARRIER;PRO_NO;REASON\n"


def run(*rows: str):
    return normalize_wms_b(
        (HEADER + "\n".join(rows) + "\n").encode(), CONFIG, file_name="b.csv", received_at=AT
    )


def test_shipped_rows_of_one_pro_number_become_one_shipment_in_utc() -> None:
    result = run(
        "S;SO-1;1;P1;L1;10;05.03.2026;14:05;ODFL;PRO-9;", "S;SO-1;2;P2;;2,5;05.03.2026;14:10;ODFL;PRO-9;"
    )
    assert result.errors == []
    (shipment,) = validated(result)
    assert isinstance(shipment, ShipmentIn)
    assert (shipment.shipment_id, shipment.warehouse_id, shipment.tracking_no) == (
        "SO-1-PRO-9",
        "W2",
        "PRO-9",
    )
    assert [(ln.line_no, ln.lot_id, ln.quantity) for ln in shipment.lines] == [
        (1, "L1", Decimal(10)),
        (2, "-", Decimal("2.5")),
    ]
    # 14:10 CST (UTC-6), the latest row of the shipment
    assert result.events[0].occurred_at == datetime(2026, 3, 5, 20, 10, tzinfo=UTC)
    assert result.messages[0].source == "wms-b"


def test_local_times_convert_to_utc_across_the_spring_dst_change() -> None:
    result = run("P;SO-1;1;P1;;1;08.03.2026;01:30;;;", "P;SO-2;1;P1;;1;08.03.2026;03:30;;;")
    before, after = validated(result)
    assert before.picked_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # CST, UTC-6
    assert after.picked_at == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)  # CDT, UTC-5: one hour later, not two


def test_a_local_time_in_the_skipped_hour_is_refused() -> None:
    result = run("S;SO-1;1;P1;;1;08.03.2026;02:30;ODFL;PRO-1;")
    (err,) = result.errors
    assert result.events == []
    assert (err.where, err.field, err.value) == ("b.csv row 2", "SHIP_DATE/SHIP_TIME", "08.03.2026 02:30")
    assert "America/Chicago" in err.expected


def test_an_ambiguous_fall_back_time_is_read_as_the_first_occurrence() -> None:
    tz = ZoneInfo("America/Chicago")
    assert local_to_utc(datetime(2026, 11, 1, 1, 30), tz) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert local_to_utc(datetime(2026, 11, 1, 2, 30), tz) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    assert local_to_utc(datetime(2026, 3, 29, 1, 59), berlin) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert local_to_utc(datetime(2026, 3, 29, 3, 0), berlin) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert local_to_utc(datetime(2026, 3, 29, 2, 30), berlin) is None


def test_an_exception_row_keeps_its_reason() -> None:
    (exc,) = validated(run("E;SO-1;1;P1;L1;3;05.03.2026;09:00;;;damaged pallet"))
    assert (exc.code, exc.reason, exc.lines[0].quantity) == ("E", "damaged pallet", Decimal(3))
    assert exc.reported_at == datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


def test_an_unknown_status_code_is_a_clear_error() -> None:
    (err,) = run("X;SO-1;1;P1;;1;05.03.2026;09:00;;;").errors
    assert str(err) == "wms-b: b.csv row 2, STATUS: expected a status code in ['E', 'P', 'S'], got 'X'"


def test_a_bad_row_holds_back_its_whole_shipment_and_names_each_cell() -> None:
    result = run(
        "S;SO-1;1;P1;;10;05.03.2026;14:05;ODFL;PRO-9;",
        "S;SO-1;;P2;;2.5;05.03.2026;14:10;ODFL;PRO-9;",
        "S;SO-2;1;P1;;1;05.03.2026;14:10;ODFL;;",
    )
    assert result.events == []
    assert [(e.where, e.field) for e in result.errors] == [
        ("b.csv row 3", "LINE"),
        ("b.csv row 3", "QTY_SHIPPED"),
        ("b.csv row 4", "PRO_NO"),
    ]


def test_a_missing_column_and_a_bad_timezone_are_refused() -> None:
    result = normalize_wms_b(b"STATUS;ORDER_NO\nS;SO-1\n", CONFIG, file_name="b.csv", received_at=AT)
    assert {e.field for e in result.errors} == {"LINE", "ITEM", "QTY_SHIPPED", "SHIP_DATE", "SHIP_TIME"}
    with pytest.raises(ConfigError, match="not an IANA time zone"):
        WmsBConfig.from_mapping({**load_default("wms_b"), "timezone": "Central"})


def test_the_same_file_dropped_again_gives_the_same_message_ids() -> None:
    rows = ("S;SO-1;1;P1;;10;05.03.2026;14:05;ODFL;PRO-9;",)
    assert run(*rows).messages[0].source_message_id == run(*rows).messages[0].source_message_id
