"""Contract: the event log keeps every envelope exactly, in order, per
correlation and as a whole."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal

from tests.contract.conftest import (
    T0,
    UowFactory,
    credit_approved,
    envelope,
    hold_placed,
    order_received,
)


def test_appended_events_read_back_exactly_per_correlation(uow_factory: UowFactory) -> None:
    log = [
        envelope(order_received("O-1"), n=1),
        envelope(hold_placed("O-1"), n=2),
        envelope(credit_approved("O-2"), n=3, correlation_id="O-2"),
        envelope(credit_approved("O-1"), n=4),
    ]
    with uow_factory() as uow:
        uow.events.append(log[:2])
        uow.events.append(log[2:])
        assert uow.events.for_correlation("O-1") == [log[0], log[1], log[3]]
        uow.commit()
    with uow_factory() as uow:
        back = uow.events.for_correlation("O-1")
        assert back == [log[0], log[1], log[3]]
        assert back[0].payload.lines[0].quantity.as_tuple() == (0, (1, 2, 5, 0, 0), -3)
        assert back[0].payload.lines[0].unit_price.as_tuple() == Decimal("0.0001").as_tuple()
        assert type(back[1].payload.code) is type(log[1].payload.code)
        assert uow.events.for_correlation("O-2") == [log[2]]
        assert uow.events.for_correlation("O-3") == []


def test_envelope_times_survive_as_the_same_instants(uow_factory: UowFactory) -> None:
    zone = timezone(timedelta(hours=-7))
    e = envelope(credit_approved(), n=1, occurred_at=T0.astimezone(zone))
    with uow_factory() as uow:
        uow.events.append([e])
        uow.commit()
    with uow_factory() as uow:
        (back,) = uow.events.for_correlation("O-1")
        assert back.occurred_at == e.occurred_at
        assert back.recorded_at == e.recorded_at
        assert back.recorded_at.microsecond == 123
        assert back.occurred_at.utcoffset() is not None


def test_all_streams_the_committed_log_in_order_in_batches(uow_factory: UowFactory) -> None:
    batches = [
        [envelope(credit_approved(f"O-{k}"), n=k * 10 + i, correlation_id=f"O-{k}") for i in range(7)]
        for k in range(3)
    ]
    for batch in batches:
        with uow_factory() as uow:
            uow.events.append(batch)
            uow.commit()
    expected = [e for b in batches for e in b]
    with uow_factory() as uow:
        uow.events.append([envelope(credit_approved("O-9"), n=999)])  # not committed
        for size in (1, 4, 21, 5000):
            assert list(uow.events.all(batch_size=size)) == expected


def test_the_log_is_empty_to_begin_with(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert list(uow.events.all()) == []


def test_a_large_batch_is_stored_as_exactly_as_a_small_one(uow_factory: UowFactory) -> None:
    log = [envelope(hold_placed(f"O-{i % 3}"), n=i, correlation_id=f"O-{i % 3}") for i in range(1, 61)]
    with uow_factory() as uow:
        uow.events.append(log)
        uow.commit()
    with uow_factory() as uow:
        assert list(uow.events.all(batch_size=25)) == log
        assert uow.events.for_correlation("O-1") == [e for e in log if e.correlation_id == "O-1"]
