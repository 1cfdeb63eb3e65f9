"""Failures by class. The store names a database error transient (connection
lost, deadlock, serialization, busy) or deterministic (a value it cannot hold);
the runtime retries the first with backoff up to a limit and parks the second
at once. No message is retried forever, a poison message never holds back the
rest of its batch, and when nothing can be stored the caller hears so with
nothing applied."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from o2c.engine.errors import StoreRefused, TransientFailure
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Retry, Status
from o2c.store.failures import classify
from tests.builders import Harness, seed


class FlakyCommits:
    """A unit of work whose commit fails transiently while ``failing`` says so."""

    def __init__(self, uow: Any, failing: Callable[[Any], bool]) -> None:
        self._uow, self._failing = uow, failing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def __enter__(self) -> FlakyCommits:
        self._uow.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._uow.__exit__(*exc)

    def commit(self) -> None:
        if self._failing(self._uow):
            raise TransientFailure("OperationalError: deadlock detected")
        self._uow.commit()


@pytest.fixture
def h(new_harness: Callable[..., Harness]) -> Harness:
    harness = new_harness()
    seed(harness.app)
    harness.stock("P1", "1000")
    waits: list[float] = []
    harness.app.runtime.retry = Retry(attempts=3, sleep=waits.append)
    harness.waits = waits  # type: ignore[attr-defined]
    return harness


def order(h: Harness, po: str) -> InboundMessage:
    return InboundMessage(source="test", source_message_id=po, kind="order", received_at=h.clock.now(),
                          body=json.dumps({
                              "legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1",
                              "po_number": po, "channel": "portal", "currency": "USD",
                              "order_date": h.clock.now().date().isoformat(),
                              "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1", "uom": "EA"}]}))


def flaky(h: Harness, failing: Callable[[Any], bool]) -> None:
    live = h.app.runtime.uow_factory
    h.app.runtime.uow_factory = lambda: FlakyCommits(live(), failing)


def test_a_transient_failure_is_retried_with_backoff_and_applied_once(h: Harness) -> None:
    left = [2]

    def twice(_uow: Any) -> bool:
        left[0] -= 1
        return left[0] >= 0
    flaky(h, twice)
    out = h.app.runtime.submit([order(h, "PO-1"), order(h, "PO-2")])
    assert [o.status for o in out] == [Status.APPLIED, Status.APPLIED]
    assert h.waits == [0.05, 0.1]  # type: ignore[attr-defined]


def test_a_message_failing_again_and_again_is_parked_and_the_rest_of_its_batch_applied(h: Harness) -> None:
    flaky(h, lambda uow: uow.inbox.status("test", "PO-POISON") == "applied")
    out = h.app.runtime.submit([order(h, "PO-1"), order(h, "PO-POISON"), order(h, "PO-3")])
    assert [o.status for o in out] == [Status.APPLIED, Status.DEAD_LETTERED, Status.APPLIED]
    assert out[1].code == "INT-STORE-UNAVAILABLE"
    assert "deadlock detected" in (out[1].reason or "") and "replay" in (out[1].reason or "")
    assert len(h.waits) == 3 + 3, "the batch, then the message alone, each retried up to the limit"  # type: ignore[attr-defined]


def test_when_nothing_can_be_stored_the_caller_hears_it_and_nothing_is_applied(h: Harness) -> None:
    flaky(h, lambda _uow: True)
    with pytest.raises(TransientFailure):
        h.app.runtime.submit([order(h, "PO-1"), order(h, "PO-2")])
    with h.app.store.unit_of_work() as uow:
        assert uow.inbox.seen([("test", "PO-1"), ("test", "PO-2")]) == set()


# ------------------------------------------------------------ the store names the class


def test_sqlite_busy_or_locked_is_transient_and_a_refused_value_is_not() -> None:
    assert isinstance(classify(sqlite3.OperationalError("database is locked")), TransientFailure)
    assert isinstance(classify(sqlite3.IntegrityError("CHECK constraint failed")), StoreRefused)
    assert classify(ValueError("not a database error")) is None


@pytest.mark.postgres
def test_postgresql_refusing_a_value_is_deterministic(clean_pg_store: Any) -> None:
    with pytest.raises(StoreRefused, match=r"DataError|null character"), clean_pg_store.unit_of_work() as uow:
        uow.connection().execute(text("SELECT 'a' || chr(0)"))


@pytest.mark.postgres
def test_a_postgresql_backend_terminated_mid_transaction_is_transient(clean_pg_store: Any) -> None:
    with pytest.raises(TransientFailure), clean_pg_store.unit_of_work() as uow:
        conn = uow.connection()
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with clean_pg_store.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        conn.execute(text("SELECT 1"))
