"""The codec writes the domain's dataclasses as JSON and reads back equal objects:
Decimals exactly (as strings), datetimes with their offsets, enums as members."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.domain import events as ev
from o2c.domain.billing import Invoice, InvoiceStatus
from o2c.domain.holds import HoldCode, HoldStatus
from o2c.domain.master import BillingTrigger, Customer, ExemptionCertificate, TaxRate
from o2c.domain.money import MINOR_UNITS, Money
from o2c.domain.orders import Order, OrderStatus
from o2c.domain.receivables import Account
from o2c.store import codec
from tests.contract.conftest import (
    account,
    agreement,
    customer,
    hold_placed,
    invoice,
    legal_entity,
    order,
    product,
    warehouse,
)

finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)


def test_a_decimal_keeps_its_digits_and_exponent_through_json() -> None:
    for text in ("1.10", "-0.00", "1E+3", "0.0001", "123456789012345678.1234", "-7"):
        back = codec.load(Money, codec.dump(Money(Decimal(text), "USD"))).amount
        assert back.as_tuple() == Decimal(text).as_tuple()


@given(amount=finite_decimals, currency=st.sampled_from(sorted(MINOR_UNITS)))
def test_money_round_trips_exactly(amount: Decimal, currency: str) -> None:
    back = codec.load(Money, codec.dump(Money(amount, currency)))
    assert back.currency == currency
    assert back.amount.as_tuple() == amount.as_tuple()


@given(values=st.lists(finite_decimals, max_size=5))
def test_decimals_are_written_as_strings_never_numbers(values: list[Decimal]) -> None:
    line = ev.RemittanceLine(invoice_id="I-1", amount=values[0] if values else Decimal(0))
    raw = json.loads(codec.dump(line))
    assert isinstance(raw["amount"], str)
    assert isinstance(raw["discount"], str)


def test_datetimes_keep_their_offset_and_microseconds() -> None:
    zone = timezone(timedelta(hours=5, minutes=30))
    e = ev.ProofOfDeliveryReceived(
        order_id="O-1",
        shipment_id="S-1",
        signed_by="X",
        delivered_at=datetime(2026, 3, 2, 9, 1, 2, 345678, tzinfo=zone),
    )
    text = codec.dump_event(e)
    assert '"2026-03-02T09:01:02.345678+05:30"' in text
    back = codec.load_event("ProofOfDeliveryReceived", text)
    assert back == e
    assert back.delivered_at.utcoffset() == timedelta(hours=5, minutes=30)


def test_dates_are_iso() -> None:
    assert json.loads(codec.dump(invoice()))["due_date"] == "2026-04-02"


def test_an_order_round_trips_with_enums_lists_and_flags() -> None:
    o = order(backordered={"P1": "2.5", "P2": "0"})
    back = codec.load(Order, codec.dump(o))
    assert back == o
    assert type(back.status) is OrderStatus
    assert type(back.holds[0].code) is HoldCode
    assert type(back.holds[0].status) is HoldStatus
    assert isinstance(back.lines, list)
    assert back.invoices == {"I-1": False, "I-2": True}


def test_holds_and_decisions_stored_before_conditions_were_recorded_read_back_with_none() -> None:
    o = order()
    stored = json.loads(codec.dump(o))
    del stored["holds"][0]["conditions"]
    assert codec.load(Order, json.dumps(stored)).holds[0].conditions == ()
    placed = json.loads(codec.dump_event(hold_placed()))
    del placed["decision"]["conditions"]
    assert codec.load_event("HoldPlaced", json.dumps(placed)).decision.conditions == ()


def test_invoices_issued_before_tax_lines_read_back_with_none() -> None:
    issued = _build(ev.InvoiceIssued)
    assert issued.tax_lines  # the sample has some
    stored = json.loads(codec.dump_event(issued))
    del stored["tax_lines"]
    assert codec.load_event("InvoiceIssued", json.dumps(stored)) == dataclasses.replace(issued, tax_lines=())


def test_tax_master_data_round_trips() -> None:
    c = dataclasses.replace(customer(), exemptions=(
        ExemptionCertificate(certificate_id="EX-1", jurisdiction="US-OH", expires=date(2027, 1, 31)),))
    assert codec.load(Customer, codec.dump(c)) == c
    stored = json.loads(codec.dump(customer()))
    del stored["exemptions"]
    for s in stored["ship_tos"]:
        del s["county"]
    assert codec.load(Customer, json.dumps(stored)) == customer()  # stored before tax: none, no county
    r = TaxRate(rate_id="US-IL-COOK", country="US", region="IL", county="Cook", name="county",
                rate=Decimal("0.01750"), valid_from=date(2026, 1, 1), version=2)
    back = codec.load(TaxRate, codec.dump(r))
    assert back == r and str(back.rate) == "0.01750"


def test_invoices_and_accounts_round_trip() -> None:
    i = invoice(status=InvoiceStatus.PAID, credit_memo_ids=["CM-1"])
    assert codec.load(Invoice, codec.dump(i)) == i
    a = account()
    back = codec.load(Account, codec.dump(a))
    assert back == a
    assert back.open_items["I-1"].open_amount == Decimal("21.39")


@pytest.mark.parametrize(
    "obj",
    [
        legal_entity(),
        warehouse("W1"),
        customer(),
        product(),
        agreement("PA-1", date(2026, 1, 1), date(2026, 12, 31)),
    ],
    ids=lambda o: type(o).__name__,
)
def test_master_data_round_trips(obj: Any) -> None:
    back = codec.load(type(obj), codec.dump(obj))
    assert back == obj
    if hasattr(obj, "billing_trigger"):
        assert type(back.billing_trigger) is BillingTrigger
    if hasattr(obj, "ship_tos"):
        assert isinstance(back.ship_tos, tuple)


# ---------------------------------------------------------------- every event type


def _sample(tp: Any, name: str) -> Any:
    """A value of annotated type ``tp`` with non-trivial content."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in typing.get_args(tp) if a is not type(None)), name)
    if origin is tuple:
        return (_sample(typing.get_args(tp)[0], name), _sample(typing.get_args(tp)[0], name))
    if origin is dict:
        return {"k": _sample(typing.get_args(tp)[1], name)}
    if tp is str:
        return f"{name}-x"
    if tp is int:
        return 7
    if tp is bool:
        return True
    if tp is Decimal:
        return Decimal("-12.3450")
    if tp is datetime:
        return datetime(2026, 3, 2, 9, 30, 1, 5, tzinfo=timezone(timedelta(hours=-6)))
    if tp is date:
        return date(2026, 2, 28)
    if tp is Money:
        return Money(Decimal("1234.5"), "JPY")
    if isinstance(tp, type) and issubclass(tp, HoldCode):
        return HoldCode.INV_SHORT
    if tp is BillingTrigger:
        return BillingTrigger.CONSOLIDATED
    if dataclasses.is_dataclass(tp):
        return _build(tp)  # type: ignore[arg-type]
    raise AssertionError(f"no sample for {tp!r}")


def _build(cls: type) -> Any:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _sample(hints[f.name], f.name) for f in dataclasses.fields(cls)})


@pytest.mark.parametrize("name", sorted(ev.EVENT_TYPES))
def test_every_event_type_round_trips(name: str) -> None:
    event = _build(ev.EVENT_TYPES[name])
    back = codec.load_event(name, codec.dump_event(event))
    assert back == event
    assert type(back) is type(event)


def test_an_unknown_event_type_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="NoSuchEvent"):
        codec.load_event("NoSuchEvent", "{}")


def test_aware_datetimes_read_back_equal_to_utc_ones() -> None:
    e = ev.ProofOfDeliveryReceived(
        order_id="O", shipment_id="S", signed_by="X", delivered_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    back = codec.load_event("ProofOfDeliveryReceived", codec.dump_event(e))
    assert back.delivered_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert hash(back) == hash(e)
