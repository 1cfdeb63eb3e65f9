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


def _positions(uow: object, *products: str) -> dict[tuple[str, str, str], tuple[Decimal, Decimal]]:
    found = uow.stock.positions(products)  # type: ignore[attr-defined]
    return {(p.warehouse_id, p.product_id, p.lot_id): (p.on_hand, p.reserved) for p in found}


def test_reserve_all_takes_every_line_or_none(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, "RA1", LOT, None, Decimal(5))
        uow.stock.receive(W, "RA2", LOT, None, Decimal(3))
        uow.stock.receive("W2", "RA1", LOT, None, Decimal(2))
        before = _positions(uow, "RA1", "RA2")
        # the second line is short: nothing at all is reserved
        assert uow.stock.reserve_all([(W, "RA1", LOT, Decimal(4)), (W, "RA2", LOT, Decimal("3.5"))]) is False
        assert _positions(uow, "RA1", "RA2") == before
        # an unknown row is short too
        assert uow.stock.reserve_all([(W, "RA1", LOT, Decimal(1)), (W, "RA404", LOT, Decimal(1))]) is False
        assert _positions(uow, "RA1", "RA2") == before
        # lines with the same key add up: 3 + 3 > 5
        assert uow.stock.reserve_all([(W, "RA1", LOT, Decimal(3)), (W, "RA1", LOT, Decimal(3))]) is False
        assert _positions(uow, "RA1", "RA2") == before
        assert uow.stock.reserve_all([]) is True
        assert uow.stock.reserve_all([
            (W, "RA1", LOT, Decimal(2)), ("W2", "RA1", LOT, Decimal(2)),
            (W, "RA2", LOT, Decimal(3)), (W, "RA1", LOT, Decimal("2.5")),
        ]) is True
        assert _positions(uow, "RA1", "RA2") == {
            (W, "RA1", LOT): (Decimal(5), Decimal("4.5")),
            (W, "RA2", LOT): (Decimal(3), Decimal(3)),
            ("W2", "RA1", LOT): (Decimal(2), Decimal(2)),
        }
        # never oversells: only 0.5 is left anywhere
        assert uow.stock.reserve_all([(W, "RA1", LOT, Decimal("0.6"))]) is False
        assert uow.stock.reserve_all([(W, "RA1", LOT, Decimal("0.5"))]) is True
        uow.commit()
    with uow_factory() as uow:
        assert _positions(uow, "RA1")[(W, "RA1", LOT)] == (Decimal(5), Decimal(5))


def test_ship_all_ships_every_line_or_none(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, "SA1", LOT, None, Decimal(5))
        uow.stock.receive(W, "SA2", LOT, None, Decimal(5))
        assert uow.stock.reserve_all([(W, "SA1", LOT, Decimal(4)), (W, "SA2", LOT, Decimal(2))])
        before = _positions(uow, "SA1", "SA2")
        with pytest.raises(ValueError):  # the second line is not that much reserved
            uow.stock.ship_all([(W, "SA1", LOT, Decimal(1)), (W, "SA2", LOT, Decimal(3))])
        assert _positions(uow, "SA1", "SA2") == before
        with pytest.raises(ValueError):  # an unknown row
            uow.stock.ship_all([(W, "SA1", LOT, Decimal(1)), (W, "SA404", LOT, Decimal(1))])
        assert _positions(uow, "SA1", "SA2") == before
        with pytest.raises(ValueError):  # lines with the same key add up: 3 + 2 > 4
            uow.stock.ship_all([(W, "SA1", LOT, Decimal(3)), (W, "SA1", LOT, Decimal(2))])
        assert _positions(uow, "SA1", "SA2") == before
        uow.stock.ship_all([])
        uow.stock.ship_all([(W, "SA1", LOT, Decimal(1)), (W, "SA2", LOT, Decimal(2)),
                            (W, "SA1", LOT, Decimal("1.5"))])
        assert _positions(uow, "SA1", "SA2") == {
            (W, "SA1", LOT): (Decimal("2.5"), Decimal("1.5")),
            (W, "SA2", LOT): (Decimal(3), Decimal(0)),
        }
        uow.commit()
    with uow_factory() as uow:
        assert _positions(uow, "SA1", "SA2")[(W, "SA1", LOT)] == (Decimal("2.5"), Decimal("1.5"))


# ---------------------------------------------------------------- the model


@dataclass
class Model:
    on_hand: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)


quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(50), places=3)
operations = st.lists(
    st.tuples(
        st.sampled_from(["receive", "reserve", "unreserve", "ship", "reserve_all", "ship_all"]),
        quantities,
        st.booleans(),
    ),
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
        elif op == "reserve_all":  # the quantity in two lines of the same key
            ok = model.on_hand - model.reserved >= q + q
            assert uow.stock.reserve_all([(W, product, LOT, q), (W, product, LOT, q)]) is ok
            if ok:
                model.reserved += q + q
        else:
            allowed = model.reserved >= q
            try:
                if op == "ship_all":
                    uow.stock.ship_all([(W, product, LOT, q)])
                else:
                    getattr(uow.stock, op)(W, product, LOT, q)
                done = True
            except ValueError:
                done = False
            assert done is allowed
            if allowed:
                model.reserved -= q
                if op in ("ship", "ship_all"):
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


# ---------------------------------------------------------------- counts (adjust)


def test_a_count_above_on_hand_adds_and_creates_a_missing_lot(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, "AD1", LOT, date(2027, 1, 31), Decimal(5))
        assert uow.stock.adjust(W, "AD1", LOT, date(2099, 1, 1), Decimal("2.5")) is True
        assert uow.stock.adjust(W, "AD1", "L9", date(2027, 6, 30), Decimal(3)) is True
        assert uow.stock.adjust(W, "AD1", "L0", None, Decimal(0)) is True  # nothing to book, no row
        uow.commit()
    with uow_factory() as uow:
        found = {p.lot_id: (p.expiry, p.on_hand, p.reserved) for p in uow.stock.positions(["AD1"])}
        assert found == {
            LOT: (date(2027, 1, 31), Decimal("7.5"), 0),  # a lot's expiry is set by its first receipt
            "L9": (date(2027, 6, 30), Decimal(3), 0),
        }


def test_a_count_below_on_hand_never_takes_reserved_units(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, "AD2", LOT, None, Decimal(10))
        assert uow.stock.reserve(W, "AD2", LOT, Decimal(6))
        assert _positions(uow, "AD2") == {(W, "AD2", LOT): (Decimal(10), Decimal(6))}  # read, then change
        assert uow.stock.adjust(W, "AD2", LOT, None, Decimal("-4.001")) is False
        assert _positions(uow, "AD2") == {(W, "AD2", LOT): (Decimal(10), Decimal(6))}
        assert uow.stock.adjust(W, "AD2", LOT, None, Decimal("-3.5")) is True
        assert _positions(uow, "AD2") == {(W, "AD2", LOT): (Decimal("6.5"), Decimal(6))}
        assert uow.stock.adjust(W, "AD2", LOT, None, Decimal("-0.5")) is True  # down to reserved exactly
        assert uow.stock.adjust(W, "AD2", LOT, None, Decimal("-0.001")) is False
        assert uow.stock.adjust(W, "AD404", LOT, None, Decimal(-1)) is False  # no such row
        assert uow.stock.reserve(W, "AD2", LOT, Decimal("0.001")) is False  # and still usable
        uow.commit()
    with uow_factory() as uow:
        assert _positions(uow, "AD2") == {(W, "AD2", LOT): (Decimal(6), Decimal(6))}
        assert uow.stock.positions(["AD404"]) == []


def test_a_count_rolls_back_with_its_transaction(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.receive(W, "AD3", LOT, None, Decimal(10))
        uow.commit()
    with uow_factory() as uow:
        assert uow.stock.adjust(W, "AD3", LOT, None, Decimal(-4))
        assert uow.stock.adjust(W, "AD3", "L2", None, Decimal(4))
    with uow_factory() as uow:
        assert _positions(uow, "AD3") == {(W, "AD3", LOT): (Decimal(10), Decimal(0))}


counts = st.lists(
    st.tuples(st.sampled_from(["adjust", "reserve", "unreserve"]),
              st.decimals(min_value=Decimal(-30), max_value=Decimal(30), places=3), st.booleans()),
    min_size=1, max_size=20,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=counts)
def test_counts_and_reservations_agree_with_a_pure_model(
    uow_factory: UowFactory, ops: list[tuple[str, Decimal, bool]]
) -> None:
    product = f"HA{next(_products)}"
    model = Model()
    uow = uow_factory()
    for op, q, commit_after in ops:
        if op == "adjust":
            ok = model.on_hand + q >= model.reserved  # a count never takes reserved units
            assert uow.stock.adjust(W, product, LOT, None, q) is ok
            if ok:
                model.on_hand += q
        elif q > 0 and op == "reserve":
            ok = model.on_hand - model.reserved >= q
            assert uow.stock.reserve(W, product, LOT, q) is ok
            if ok:
                model.reserved += q
        elif q > 0 and model.reserved >= q:
            uow.stock.unreserve(W, product, LOT, q)
            model.reserved -= q
        assert 0 <= model.reserved <= model.on_hand
        if commit_after:
            uow.commit()
    uow.commit()
    with uow_factory() as check:
        found = _position(check, product)
        assert found is None or found == (model.on_hand, model.reserved)
        assert found is not None or model.on_hand == 0
