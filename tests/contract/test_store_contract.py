"""Contract: every store (memory, SQLite, PostgreSQL) says what it can do as
values (``o2c.store.port.Store``), and its units of work take a prefetch."""

from __future__ import annotations

from typing import Any

from o2c.analytics.source import inbound_counts, inbound_summaries, log_span
from tests.contract.conftest import UowFactory, envelope, message, order, order_received


def test_a_store_offers_sql_exactly_when_a_database_is_behind_it(store: Any, backend: str) -> None:
    if backend == "memory":
        assert store.sql_engine is None
        return
    from sqlalchemy import func, select

    from o2c.store.tables import inbox

    with store.unit_of_work() as uow:
        uow.inbox.add(message("m1"), None)
        uow.commit()
    with store.sql_engine.connect() as c:
        assert c.execute(select(func.count()).select_from(inbox)).scalar_one() == 1


def test_only_a_store_whose_database_isolates_transactions_takes_concurrent_writers(
    store: Any, backend: str
) -> None:
    assert store.supports_concurrent_writers is (backend != "memory")


def test_analytics_reads_the_same_from_every_store(store: Any) -> None:
    """Given two messages, one dead-lettered, and one event, when analytics reads
    the store, then it counts and finds them whichever store it is."""
    with store.unit_of_work() as uow:
        uow.inbox.add(message("m1"), "O-1")
        uow.inbox.add(message("m2"), None)
        uow.inbox.mark("edi", "m2", "dead_lettered", None)
        uow.events.append([envelope(order_received(), n=1)])
        uow.commit()

    assert inbound_counts(store) == ({"edi": 2}, {"edi": 1})
    assert set(inbound_summaries(store, ["edi:m1"])) == {"edi:m1"}
    span = log_span(store)
    assert span is not None and span[0] == span[1]


def test_a_prefetch_changes_no_answer(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    with uow_factory() as uow:
        uow.prefetch(orders=["O-1", "O-2"], invoices=["I-9"], accounts=["C1"],
                     purchase_orders=[("C1", "PO-1"), ("C1", "PO-9")], products=["P1"])
        assert uow.orders.get("O-1") == order("O-1")
        assert uow.orders.get("O-2") is None
        assert uow.orders.find_by_po("C1", "PO-1") == "O-1"
        assert uow.orders.find_by_po("C1", "PO-9") is None
        assert uow.invoices.get("I-9") is None
