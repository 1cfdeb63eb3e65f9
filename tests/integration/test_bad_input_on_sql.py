"""Input a store cannot hold is refused at the edge with an error naming the
field, identically on SQLite and PostgreSQL: NUL characters, half surrogate
pairs, identifiers too long to index, quantities and amounts more precise than
o2c keeps. The message is stored first either way, and parked with the reason;
nothing else in its batch or file is held back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from o2c.adapters.documents import Integrations
from o2c.adapters.raw import CSV_ORDERS, document_bytes, raw_document
from o2c.domain.events import InvoiceIssued
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Status
from tests.builders import Harness, seed


@pytest.fixture
def h(new_harness: Callable[..., Harness]) -> Harness:
    harness = new_harness()
    seed(harness.app)
    harness.stock("P1", "1000")
    return harness


def order_body(h: Harness, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1", "po_number": "PO-1",
        "channel": "portal", "currency": "USD", "order_date": h.clock.now().date().isoformat(),
        "lines": [{"line_no": 1, "product_id": "P1", "quantity": "2", "uom": "EA"}]}
    body.update(changes)
    return body


def raw_message(h: Harness, body: str, msg_id: str = "m-raw", kind: str = "order") -> InboundMessage:
    return InboundMessage(source="test", source_message_id=msg_id, kind=kind, received_at=h.clock.now(),
                          body=body)


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"po_number": "PO\u00001"}, "po_number", "U+0000"),
    ({"po_number": "P" * 1_000_000}, "po_number", "at most 200 characters"),
    ({"customer_id": "C\u00011"}, "customer_id", "control characters"),
    ({"lines": [{"line_no": 1, "product_id": "P1", "quantity": "1.00001", "uom": "EA"}]},
     "lines.0.quantity", "no more than 4 decimal places"),
    ({"lines": [{"line_no": 1, "product_id": "P1", "quantity": "1", "uom": "EA", "unit_price": "1.00001"}]},
     "lines.0.unit_price", "no more than 4 decimal places"),
])
def test_a_field_the_store_cannot_hold_is_refused_naming_the_field(
        h: Harness, changes: dict[str, Any], field: str, words: str) -> None:
    out = h.send("order", order_body(h, **changes))
    assert out.status is Status.DEAD_LETTERED
    assert out.code == "INT-PARSE-ERROR"
    assert f"{field}: " in (out.reason or "") and words in (out.reason or "")
    assert len(out.reason or "") < 2_000, "the reason names the field; it does not echo a megabyte"


def test_a_body_with_a_nul_byte_is_stored_and_parked_with_the_reason(h: Harness) -> None:
    body = json.dumps(order_body(h))[:-1] + "\x00}"
    good = raw_message(h, json.dumps(order_body(h, po_number="PO-2")), msg_id="m-good")
    out = h.app.runtime.submit([raw_message(h, body), good])
    assert [o.status for o in out] == [Status.DEAD_LETTERED, Status.APPLIED]
    assert "NUL character at position" in (out[0].reason or "")
    [letter] = h.dead_letters()
    assert "\x00" not in letter.body and "\u2400" in letter.body
    assert h.app.runtime.submit([raw_message(h, body)])[0].status is Status.DUPLICATE


def test_a_message_id_too_long_to_index_is_kept_by_its_hash_and_still_deduplicated(h: Harness) -> None:
    long_id = "x" * 100_000
    first = h.app.runtime.submit([raw_message(h, json.dumps(order_body(h)), msg_id=long_id)])[0]
    assert first.status is Status.APPLIED
    again = h.app.runtime.submit([raw_message(h, json.dumps(order_body(h)), msg_id=long_id)])[0]
    assert again.status is Status.DUPLICATE


def invoiced(h: Harness) -> InvoiceIssued:
    """An order of 10 P1 shipped, so invoiced on ship: its invoice."""
    order = h.order(lines=[("P1", "10", "EA")])
    h.ship_all(str(order.correlation_id))
    return next(e.payload for e in h.events(str(order.correlation_id))
                if isinstance(e.payload, InvoiceIssued))


def test_a_payment_more_precise_than_its_currency_is_refused_and_the_invoice_stays_in_cents(
        h: Harness) -> None:
    issued = invoiced(h)
    invoice_id = issued.invoice_id
    out = h.pay("C1", [(invoice_id, "10.005", "0")])
    assert out.status is Status.DEAD_LETTERED
    assert "amount: 10.005 has more decimal places than USD has" in (out.reason or "")
    assert h.invoice(invoice_id).open_amount == issued.total.amount


def test_a_credit_memo_more_precise_than_its_invoice_currency_is_refused_not_rounded(
        h: Harness) -> None:
    # given an invoice of 21.45 USD
    issued = invoiced(h)
    # when a credit memo of 1.005 USD comes in
    out = h.send("credit_memo", {"invoice_id": issued.invoice_id, "amount": "1.005",
                                 "reason": "damaged", "by": "bo"})
    # then it is parked naming the amount, and nothing is credited
    assert out.status is Status.DEAD_LETTERED
    assert "amount: 1.005 has more decimal places than USD has" in (out.reason or "")
    assert h.invoice(issued.invoice_id).open_amount == issued.total.amount
    assert h.account("C1").credited == 0


CSV = Integrations.from_mapping({"csv": [{
    "source": "sales-csv", "legal_entity_id": "US", "currency": "USD", "customer_id": "Account",
    "po_number": "PO", "product_id": "Item", "quantity": "Qty", "uom": "Unit", "ship_to_id": "ShipTo"}]})


def test_a_file_with_a_nul_byte_is_stored_whole_and_only_the_row_holding_it_is_parked(h: Harness) -> None:
    data = (b"Account,PO,Item,Qty,Unit,ShipTo\n"
            b"C1,PO-1,P1,2,EA,C1-ST1\n"
            b"C1,PO-\x002,P1,2,EA,C1-ST1\n"
            b"C1,PO-3,P1,1.00001,EA,C1-ST1\n"
            b"C1,PO-4,P1,2,EA,C1-ST1\n")
    raw = raw_document(data, source="sales-csv", kind=CSV_ORDERS, received_at=h.clock.now(), name="o.csv")
    head, outs = h.app.runtime.submit_document(raw, CSV.splitters()[CSV_ORDERS])
    assert head.status is Status.APPLIED
    assert sorted(o.status.value for o in outs) == ["applied", "applied", "dead_lettered", "dead_lettered"]
    reasons = " ".join(o.reason or "" for o in outs)
    assert "NUL character" in reasons and "lines.0.quantity" in reasons
    with h.app.store.unit_of_work() as uow:
        [stored] = [m for m in [raw] if uow.inbox.status(m.source, m.source_message_id) == "applied"]
    assert document_bytes(stored) == data, "the stored file gives back the bytes as sent"
