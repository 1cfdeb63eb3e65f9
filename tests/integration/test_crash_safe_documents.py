"""A document is finished or resumable: a run that stops half-way through a
file (the process killed between two of its transactions) leaves the document
``received``, and submitting the same file again applies exactly the parts that
were not applied or parked yet. Nothing is lost, nothing is applied twice.

The crash is a ``BaseException`` raised as the next transaction begins, which
is what a killed process looks like to the database: every committed
transaction stands, the open one never happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from o2c.adapters.documents import Integrations
from o2c.adapters.raw import CSV_ORDERS, KINDS, raw_document
from o2c.engine import commands as cmd
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Status
from tests.builders import Harness, seed

CONFIG: dict[str, Any] = {
    "csv": [{"source": "sales-csv", "legal_entity_id": "US", "currency": "USD", "customer_id": "Account",
             "po_number": "PO", "product_id": "Item", "quantity": "Qty", "uom": "Unit",
             "ship_to_id": "ShipTo"}],
}
SPLIT = Integrations.from_mapping(CONFIG).splitters()[CSV_ORDERS]
ORDERS = 30
POISON = "PO-7"  # its projection fails, which sends the file down the part-by-part path


def csv_file() -> bytes:
    rows = [f"C1,PO-{i},P1,2,EA,C1-ST1" for i in range(1, ORDERS + 1)]
    return ("Account,PO,Item,Qty,Unit,ShipTo\n" + "\n".join(rows) + "\n").encode()


class Crash(BaseException):
    """The process died: not an error any code of ours may catch."""


def crashing(factory: Callable[[], Any], *, after: int) -> Callable[[], Any]:
    """A unit-of-work factory that dies as its ``after + 1``-th transaction begins."""
    begun = 0

    def make() -> Any:
        nonlocal begun
        begun += 1
        if begun > after:
            raise Crash(f"killed before transaction {begun}")
        return factory()
    return make


def poisoned(translate: Callable[[InboundMessage], cmd.Command]) -> Callable[[InboundMessage], cmd.Command]:
    """The engine's translator, except that one PO's quantity has more places than
    the store holds: its projection fails (a stand-in for any projection bug)."""
    def run(m: InboundMessage) -> cmd.Command:
        c = translate(m)
        if isinstance(c, cmd.ReceiveOrder) and c.po_number == POISON:
            c = replace(c, lines=tuple(replace(ln, quantity=Decimal("0.00001")) for ln in c.lines))
        return c
    return run


def killed_part_way(h: Harness, *, after: int) -> InboundMessage:
    """Submit the file in a process killed as its ``after + 1``-th transaction
    begins; returns the file, with the process started again."""
    raw = raw_document(csv_file(), source="sales-csv", kind=CSV_ORDERS, received_at=h.clock.now())
    runtime = h.app.runtime
    live = runtime.uow_factory
    runtime.uow_factory = crashing(live, after=after)
    with pytest.raises(Crash):
        runtime.submit_document(raw, SPLIT)
    runtime.uow_factory = live
    return raw


@pytest.fixture
def harness(new_harness: Callable[..., Harness]) -> Iterator[Harness]:
    h = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    h.app.runtime.translate = poisoned(h.app.runtime.translate)
    yield h


def orders_by_po(h: Harness) -> dict[str, int]:
    counts: dict[str, int] = {}
    with h.app.store.unit_of_work() as uow:
        for i in range(1, ORDERS + 1):
            if uow.orders.find_by_po("C1", f"PO-{i}") is not None:
                counts[f"PO-{i}"] = counts.get(f"PO-{i}", 0) + 1
    return counts


def test_a_file_whose_part_breaks_its_projection_is_applied_part_by_part(harness: Harness) -> None:
    h = harness
    raw = raw_document(csv_file(), source="sales-csv", kind=CSV_ORDERS, received_at=h.clock.now())
    head, outs = h.app.runtime.submit_document(raw, SPLIT)
    assert head.status is Status.APPLIED
    assert sorted(o.status.value for o in outs).count("applied") == ORDERS - 1
    assert set(orders_by_po(h)) == {f"PO-{i}" for i in range(1, ORDERS + 1)} - {POISON}
    [letter] = h.dead_letters()
    assert POISON in letter.body
    with h.app.store.unit_of_work() as uow:
        assert uow.inbox.status(raw.source, raw.source_message_id) == "applied"
        assert uow.inbox.unfinished() == []


@pytest.mark.parametrize("after", [1, 2, 3, 9, ORDERS + 1, ORDERS + 2])
def test_a_run_killed_part_way_through_a_file_is_finished_by_sending_the_file_again(
        harness: Harness, after: int) -> None:
    h = harness
    raw = killed_part_way(h, after=after)
    runtime = h.app.runtime

    with h.app.store.unit_of_work() as uow:
        stored = uow.inbox.status(raw.source, raw.source_message_id)
    assert stored in (None, "received"), "a half-done file must not look finished"

    head, _ = runtime.submit_document(raw, SPLIT)
    assert head.status is Status.APPLIED
    counts = orders_by_po(h)
    assert set(counts) == {f"PO-{i}" for i in range(1, ORDERS + 1)} - {POISON}
    assert set(counts.values()) == {1}, "no order may be taken twice"
    assert len(h.dead_letters()) == 1
    again, _ = runtime.submit_document(raw, SPLIT)
    assert again.status is Status.DUPLICATE


def test_finish_completes_every_interrupted_document_from_its_stored_copy(harness: Harness) -> None:
    h = harness
    raw = killed_part_way(h, after=5)
    runtime = h.app.runtime

    assert [m.source_message_id for m in runtime.unfinished()] == [raw.source_message_id]
    [(head, _outs)] = runtime.finish({CSV_ORDERS: SPLIT})
    assert head.status is Status.APPLIED and head.reason and "interrupted" in head.reason
    assert len(orders_by_po(h)) == ORDERS - 1
    assert runtime.unfinished() == []


def test_verify_names_a_document_left_half_way_until_it_is_finished(harness: Harness) -> None:
    from o2c.store.maintenance import incomplete

    h = harness
    raw = killed_part_way(h, after=4)
    runtime = h.app.runtime

    [problem] = incomplete(h.app.store, document_kinds=KINDS)
    assert raw.source_message_id in problem and "not finished" in problem and "o2c finish" in problem
    runtime.finish({CSV_ORDERS: SPLIT})
    assert incomplete(h.app.store, document_kinds=KINDS) == []


def test_verify_names_a_message_marked_applied_whose_events_are_gone(harness: Harness) -> None:
    from sqlalchemy import delete

    from o2c.store.maintenance import incomplete
    from o2c.store.tables import events

    h = harness
    out = h.order(po="PO-LOST")
    assert incomplete(h.app.store, document_kinds=KINDS) == []
    with h.app.store.engine.begin() as c:  # a hand edit, or a bug that lost the effects
        c.execute(delete(events).where(events.c.correlation_id == out.correlation_id))
    [problem] = incomplete(h.app.store, document_kinds=KINDS)
    assert out.source_message_id in problem and "no event" in problem
