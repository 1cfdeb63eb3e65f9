"""An order may have at most ``max_lines_per_order`` lines, whatever channel brings it; the
limits are one value, read from the options or the ``O2C_*`` environment variables."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from o2c.adapters.documents import CSV_ORDERS, X12, Integrations
from o2c.adapters.edi.maps.intake import raw_interchange
from o2c.adapters.limits import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_LINES_PER_ORDER, Limits
from o2c.adapters.raw import raw_document
from o2c.bootstrap import SettingsError, resolve_limits
from o2c.engine.runtime import Status
from tests.builders import T0, Harness, seed
from tests.unit.test_documents import CONFIG
from tests.unit.test_edi_intake import PARTNERS, po_850

THREE = Integrations(limits=Limits(max_lines_per_order=3))


def harness(integrations: Integrations = THREE) -> Harness:
    h = Harness(integrations=integrations)
    seed(h.app)
    h.stock("P1", "500")
    return h


def order_body(lines: int) -> dict[str, Any]:
    return {"legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1", "po_number": "PO-1",
            "channel": "portal", "currency": "USD", "order_date": "2026-03-02",
            "lines": [{"line_no": i, "product_id": "P1", "quantity": "1", "uom": "EA"}
                      for i in range(1, lines + 1)]}


@pytest.mark.parametrize(("lines", "status"), [(3, Status.APPLIED), (4, Status.DEAD_LETTERED)])
def test_a_canonical_json_order_over_the_line_limit_is_parked_naming_lines_and_the_limit(
        lines: int, status: Status) -> None:
    h = harness()
    out = h.send("order", order_body(lines))
    assert out.status is status
    if status is Status.DEAD_LETTERED:
        assert out.code == "INT-PARSE-ERROR"
        assert "lines: 4 lines; an order may have at most 3 (O2C_MAX_LINES_PER_ORDER)" in (out.reason or "")


def test_a_csv_order_over_the_line_limit_is_parked_on_its_own_while_the_others_go_in() -> None:
    h = harness()
    integrations = replace(Integrations.from_mapping(CONFIG), limits=THREE.limits)
    rows = ["C1;PO-BIG;P1;1;EA;C1-ST1"] * 4 + ["C1;PO-SMALL;P1;1;EA;C1-ST1"]
    data = ("Account;PO;Item;Qty;Unit;ShipTo\r\n" + "\r\n".join(rows) + "\r\n").encode("cp1252")
    raw = raw_document(data, source="sales-csv", kind=CSV_ORDERS, received_at=h.clock.now(), name="big.csv")
    head, outs = h.app.runtime.submit_document(raw, integrations.splitters()[CSV_ORDERS])
    assert head.status is Status.APPLIED
    assert sorted(o.status.value for o in outs) == ["applied", "dead_lettered"]
    (letter,) = h.dead_letters()
    assert letter.body.count("PO-BIG") == 4 and "PO-SMALL" not in letter.body
    assert ("big.csv, row 2, column (order): expected fewer rows: PO PO-BIG has 4 lines; "
            "an order may have at most 3") in letter.reason


def test_an_850_with_more_po1_lines_than_allowed_is_rejected_in_its_997_and_not_applied() -> None:
    h = harness()
    splitter = replace(Integrations(partners=PARTNERS), limits=THREE.limits).splitters()[X12]
    raw = raw_interchange(po_850("PO-BIG", [("1", "EA", "2.00", "P1")] * 4), T0, name="big.edi")
    head, outs = h.app.runtime.submit_document(raw, splitter)
    assert outs == []
    assert head.status is Status.DEAD_LETTERED
    assert head.reason == ("[850.PO1] The purchase order has 4 lines; an order may have at most 3 "
                           "(O2C_MAX_LINES_PER_ORDER): split it into several orders. "
                           "Expected: at most 3 PO1 lines.")
    (ack,) = [m["payload"]["x12"] for m in h.app.store.outbox if m["kind"] == "edi_997"]
    # AK304 4 (loop over maximum) at the first PO1 over the limit, the 7th segment; the set rejected.
    assert "AK3*PO1*7**4~AK5*R*5~AK9*R*1*1*0~" in ack


def test_limits_default_to_ten_mebibytes_and_five_thousand_lines() -> None:
    assert resolve_limits(env={}) == Limits()
    assert (DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_LINES_PER_ORDER) == (10 * 1024 * 1024, 5_000)


def test_limits_come_from_the_options_first_then_the_environment() -> None:
    env = {"O2C_MAX_BODY_BYTES": "2_000_000", "O2C_MAX_LINES_PER_ORDER": "10000"}
    assert resolve_limits(env=env) == Limits(max_body_bytes=2_000_000, max_lines_per_order=10_000)
    assert resolve_limits(max_lines_per_order=20_000, env=env).max_lines_per_order == 20_000


@pytest.mark.parametrize(("options", "env", "message"), [
    ({}, {"O2C_MAX_LINES_PER_ORDER": "lots"},
     "O2C_MAX_LINES_PER_ORDER must be a whole number of at least 1, not 'lots'"),
    ({}, {"O2C_MAX_BODY_BYTES": "-1"}, "O2C_MAX_BODY_BYTES must be a whole number of at least 1, not '-1'"),
    ({"max_body_bytes": 0}, {}, "--max-body-bytes must be a whole number of at least 1, not 0"),
])
def test_a_limit_that_cannot_work_is_refused_naming_where_it_came_from(
        options: dict[str, int], env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        resolve_limits(**options, env=env)
    assert str(refused.value) == message
