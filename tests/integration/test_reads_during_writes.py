"""Reads answer while a writer holds the database: the API's order and inbox lookups
never wait for the write lock SQLite gives one unit of work at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from o2c.api import queries
from tests.builders import Harness, seed

ORDER = {"legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1", "po_number": "PO-1",
         "channel": "portal", "currency": "USD", "order_date": "2026-03-02",
         "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1", "uom": "EA"}]}


def test_an_order_and_its_inbox_row_are_read_while_another_transaction_holds_the_write_lock(
        sqlite_store: Any) -> None:
    # Given an order stored and not cached (another process wrote it, or this one restarted)
    h = Harness(store=sqlite_store)
    seed(h.app)
    order_id = h.send("order", ORDER, source="portal-api", msg_id="k1").correlation_id
    assert order_id
    sqlite_store.clear_caches()
    # When a writer holds SQLite's write lock (a big order being applied)
    writer = sqlite_store.unit_of_work()
    writer.connection()
    try:
        with ThreadPoolExecutor(1) as pool:
            found = pool.submit(queries.order, sqlite_store, order_id)
            record = pool.submit(queries.inbox_record, sqlite_store, "portal-api", "k1")
            # Then both answer at once with what was committed, rather than after the writer
            assert found.result(timeout=2) is not None
            assert found.result().order_id == order_id
            assert record.result(timeout=2) is not None
    finally:
        writer.rollback()
