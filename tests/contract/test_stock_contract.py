"""Contract: stock never oversells. Every backend agrees, operation by
operation, with a pure model of on-hand and reserved quantities."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.conftest import UowFactory

W, P, LOT = "W1", "P1", "L1"


def _position(uow: object, product_id: str = P) -> tuple[Decimal, Decimal] | None:
    found = uow.stock.positions([product_id])  # type: ignore[attr-defined]
    if not found:
        return None
    (p,) = found
    return p.on_hand, p.reserved


def test_received_stock_is_on_hand_and_adds_up(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, P, LOT, date(2027, 1, 31), Decimal("10.5"))
        uow.stock.receive(W, P, LOT, date(2027, 1, 31), Decimal("0.125"))
        uow.commit()
    with uow_factory() as uow:
        (p,) = uow.stock.positions([P])
        assert (p.warehouse_id, p.product_id, p.lot_id, p.expiry) == (W, P, LOT, date(2027, 1, 31))
        assert (p.on_hand, p.reserved, p.atp) == (Decimal("10.625"), 0, Decimal("10.625"))


def test_positions_lists_every_lot_of_the_asked_products_in_key_order(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive("W2", "P1", "-", None, Decimal(1))
        uow.stock.receive("W1", "P1", "L2", date(2026, 9, 1), Decimal(2))
        uow.stock.receive("W1", "P1", "L1", date(2026, 8, 1), Decimal(3))
        uow.stock.receive("W1", "P2", "-", None, Decimal(4))
        uow.stock.receive("W1", "P3", "-", None, Decimal(5))
        keys = [(p.warehouse_id, p.product_id, p.lot_id) for p in uow.stock.positions(["P1", "P2", "P1"])]
        assert keys == [("W1", "P1", "L1"), ("W1", "P1", "L2"), ("W1", "P2", "-"), ("W2", "P1", "-")]
        assert uow.stock.positions([]) == []
        assert uow.stock.positions(["P404"]) == []


def test_a_reservation_succeeds_only_while_stock_is_available(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, P, LOT, None, Decimal(5))
        assert uow.stock.reserve(W, P, LOT, Decimal(3)) is True
        assert uow.stock.reserve(W, P, LOT, Decimal("2.001")) is False
        assert uow.stock.reserve(W, P, LOT, Decimal(2)) is True
        assert uow.stock.reserve(W, P, LOT, Decimal("0.001")) is False
        assert uow.stock.reserve(W, "P404", LOT, Decimal(1)) is False
        assert _position(uow) == (Decimal(5), Decimal(5))
        uow.commit()


def test_shipping_takes_reserved_stock_off_hand(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, P, LOT, None, Decimal(5))
        assert uow.stock.reserve(W, P, LOT, Decimal(4))
        uow.stock.ship(W, P, LOT, Decimal("2.5"))
        uow.stock.unreserve(W, P, LOT, Decimal("0.5"))
        uow.commit()
    with uow_factory() as uow:
        assert _position(uow) == (Decimal("2.5"), Decimal(1))


def test_unreserving_or_shipping_more_than_reserved_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, P, LOT, None, Decimal(5))
        assert uow.stock.reserve(W, P, LOT, Decimal(1))
        with pytest.raises(ValueError):
            uow.stock.unreserve(W, P, LOT, Decimal(2))
        with pytest.raises(ValueError):
            uow.stock.ship(W, P, LOT, Decimal(2))
        with pytest.raises(ValueError):
            uow.stock.ship(W, "P404", LOT, Decimal(1))
        assert _position(uow) == (Decimal(5), Decimal(1))  # and the transaction is still usable
        uow.commit()
    with uow_factory() as uow:
        assert _position(uow) == (Decimal(5), Decimal(1))


def test_stock_changes_roll_back(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, P, LOT, None, Decimal(5))
        uow.commit()
    with uow_factory() as uow:
        assert uow.stock.reserve(W, P, LOT, Decimal(5))
        uow.stock.receive(W, P, LOT, None, Decimal(1))
        uow.stock.receive("W2", P, LOT, None, Decimal(1))
    with uow_factory() as uow:
        assert uow.stock.positions([P])[0].reserved == 0
        assert [(p.warehouse_id, p.on_hand) for p in uow.stock.positions([P])] == [(W, 5)]


# ---------------------------------------------------------------- the model


@dataclass
class Model:
    on_hand: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)


quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(50), places=3)
operations = st.lists(
    st.tuples(st.sampled_from(["receive", "reserve", "unreserve", "ship"]), quantities, st.booleans()),
    min_size=1,
    max_size=25,
)
_products = itertools.count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_stock_never_oversells_and_agrees_with_a_pure_model(
    uow_factory: UowFactory, ops: list[tuple[str, Decimal, bool]]
) -> None:
    # The fixture's store lives across examples: each example gets its own product.
    product = f"HP{next(_products)}"
    model = Model()
    uow = uow_factory()
    for op, q, commit_after in ops:
        if op == "receive":
            uow.stock.receive(W, product, LOT, None, q)
            model.on_hand += q
        elif op == "reserve":
            ok = model.on_hand - model.reserved >= q
            assert uow.stock.reserve(W, product, LOT, q) is ok
            if ok:
                model.reserved += q
        else:
            allowed = model.reserved >= q
            try:
                getattr(uow.stock, op)(W, product, LOT, q)
                done = True
            except ValueError:
                done = False
            assert done is allowed
            if allowed:
                model.reserved -= q
                if op == "ship":
                    model.on_hand -= q
        assert 0 <= model.reserved <= model.on_hand
        if commit_after:
            uow.commit()
    uow.commit()
    with uow_factory() as check:
        expected = (
            None
            if model.on_hand == 0 and not any(o == "receive" for o, *_ in ops)
            else (model.on_hand, model.reserved)
        )
        assert _position(check, product) == expected
