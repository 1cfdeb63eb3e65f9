"""Backends for the contract suite: every port test runs against the memory
store, SQLite (a file in tmp_path) and PostgreSQL (a database created for the
test session and dropped at its end).

PostgreSQL: ``O2C_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) names a database the
session may connect to in order to ``CREATE DATABASE o2c_test_<hex>``. If the
server cannot be reached, the PostgreSQL cases are skipped, or fail when the
``CI`` environment variable is set (CI must not go green without them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.events import Envelope
from o2c.domain.holds import Hold, HoldCode
from o2c.domain.master import (
    BillingTrigger,
    Customer,
    LegalEntity,
    PriceAgreement,
    Product,
    ShipTo,
    Warehouse,
)
from o2c.domain.money import Money
from o2c.domain.orders import Order, OrderLine, OrderStatus
from o2c.domain.receivables import Account, OpenItem
from o2c.engine.ports import DeadLetter, InboundMessage

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

UowFactory = Callable[[], Any]


BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _make_store(request: pytest.FixtureRequest, backend: str) -> Any:
    if backend == "memory":
        try:
            from o2c.store.memory import MemoryStore
        except ImportError as e:  # written in parallel; its absence must not hide SQL results
            pytest.skip(f"o2c.store.memory is not available yet: {e}")
        return MemoryStore()
    if backend == "sqlite":
        return request.getfixturevalue("sqlite_store")
    return request.getfixturevalue("clean_pg_store")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(request: pytest.FixtureRequest, backend: str) -> Any:
    return _make_store(request, backend)


@pytest.fixture
def uow_factory(store: Any) -> UowFactory:
    """Makes a fresh unit of work on this test's (empty) store."""
    return store.unit_of_work  # type: ignore[no-any-return]


@pytest.fixture(params=SQL_BACKENDS)
def sql_store(request: pytest.FixtureRequest) -> Any:
    return _make_store(request, str(request.param))


# ---------------------------------------------------------------- builders


def order(
    order_id: str = "O-1",
    *,
    customer_id: str = "C1",
    po: str = "PO-1",
    backordered: dict[str, str] | None = None,
    status: OrderStatus = OrderStatus.RECEIVED,
    received_at: datetime = T0,
    version: int = 1,
) -> Order:
    """An order with one line per product in ``backordered`` (quantity
    backordered as given, "0" for none), or one plain line."""
    lines = [
        OrderLine(
            line_no=i,
            product_id=p,
            quantity=Decimal("10"),
            uom="EA",
            requested_price=Decimal("2.125"),
            base_quantity=Decimal("10"),
            base_uom="EA",
            unit_price=Decimal("2.125"),
            backordered=Decimal(q),
        )
        for i, (p, q) in enumerate((backordered or {"P1": "0"}).items(), start=1)
    ]
    return Order(
        order_id=order_id,
        legal_entity_id="US",
        customer_id=customer_id,
        ship_to_id="ST1",
        po_number=po,
        channel="edi",
        currency="USD",
        order_date=date(2026, 3, 2),
        requested_date=date(2026, 3, 9),
        payment_terms="2/10 net 30",
        received_at=received_at,
        lines=lines,
        status=status,
        holds=[
            Hold(
                hold_id="H1",
                code=HoldCode.CRD_OVER_LIMIT,
                reason="over",
                placed_at=T0,
                sla_due_at=T0 + timedelta(hours=4),
                conditions=("credit/over-limit",),
            )
        ],
        invoices={"I-1": False, "I-2": True},
        released_value=Decimal("21.25"),
        version=version,
    )


def invoice(invoice_id: str = "I-1", **kw: Any) -> Invoice:
    fields: dict[str, Any] = dict(
        invoice_id=invoice_id,
        order_id="O-1",
        customer_id="C1",
        legal_entity_id="US",
        currency="USD",
        invoice_date=date(2026, 3, 3),
        due_date=date(2026, 4, 2),
        discount_date=date(2026, 3, 13),
        discount=Decimal("0.43"),
        total=Decimal("21.39"),
        applied=Decimal("10.005"),
        version=1,
    )
    fields.update(kw)
    return Invoice(**fields)


def account(customer_id: str = "C1") -> Account:
    return Account(
        customer_id=customer_id,
        currency="USD",
        invoiced=Decimal("1234.567"),
        applied=Decimal("0.001"),
        uninvoiced_released=Decimal("-5.10"),
        open_items={
            "I-1": OpenItem(
                invoice_id="I-1", order_id="O-1", due_date=date(2026, 4, 2), open_amount=Decimal("21.39")
            )
        },
    )


def envelope(event: ev.Event, *, n: int, correlation_id: str = "O-1", occurred_at: datetime = T0) -> Envelope:
    return Envelope(
        event_id=f"E-{n:04d}",
        type=type(event).__name__,
        occurred_at=occurred_at + timedelta(seconds=n),
        recorded_at=T0 + timedelta(seconds=n, microseconds=123),
        correlation_id=correlation_id,
        causation_id=f"E-{n - 1:04d}" if n else None,
        source="test",
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        payload=event,
    )


def decision() -> ev.Decision:
    return ev.Decision(
        policy_id="credit",
        version="2026.1",
        rule="R3",
        outcome="approve",
        inputs={"exposure": "1500.00", "limit": "2000"},
        conditions=(ev.Condition(rule="credit/over-limit", outcome="CRD-OVER-LIMIT",
                                 inputs={"over_limit": "0.10"}),),
    )


def order_received(order_id: str = "O-1") -> ev.OrderReceived:
    return ev.OrderReceived(
        order_id=order_id,
        legal_entity_id="US",
        customer_id="C1",
        ship_to_id="ST1",
        po_number="PO-1",
        channel="edi",
        currency="USD",
        order_date=date(2026, 3, 2),
        requested_date=None,
        payment_terms="net 30",
        lines=(
            ev.OrderLineData(
                line_no=1, product_id="P1", quantity=Decimal("12.500"), uom="EA", unit_price=Decimal("0.0001")
            ),
            ev.OrderLineData(line_no=2, product_id="P2", quantity=Decimal("1"), uom="CS"),
        ),
    )


def credit_approved(order_id: str = "O-1") -> ev.CreditApproved:
    return ev.CreditApproved(
        order_id=order_id,
        exposure=Money(Decimal("1500.10"), "USD"),
        limit=Money(Decimal("2E+3"), "USD"),
        decision=decision(),
    )


def hold_placed(order_id: str = "O-1") -> ev.HoldPlaced:
    return ev.HoldPlaced(
        order_id=order_id,
        hold_id="H1",
        code=HoldCode.PRC_BELOW_FLOOR,
        reason="below floor",
        sla_due_at=datetime(2026, 3, 2, 17, 0, tzinfo=timezone(timedelta(hours=-5))),
        decision=decision(),
    )


def message(mid: str = "m1", source: str = "edi") -> InboundMessage:
    return InboundMessage(
        source=source, source_message_id=mid, kind="850", received_at=T0, body='{"po": "PO-1"}'
    )


def dead_letter(dl_id: str = "DL-1", *, failed_at: datetime = T0) -> DeadLetter:
    return DeadLetter(
        dead_letter_id=dl_id,
        source="edi",
        source_message_id=f"m-{dl_id}",
        kind="850",
        code="INT-PARSE-ERROR",
        reason="segment N1 line 4: no name",
        failed_at=failed_at,
        body="ISA*00*...",
    )


def legal_entity() -> LegalEntity:
    return LegalEntity(
        entity_id="US",
        name="Acme Supply US",
        currency="USD",
        tax_jurisdiction="US-OH",
        tax_rate=Decimal("0.0725"),
        invoice_prefix="US",
    )


def warehouse(wid: str, le: str = "US") -> Warehouse:
    return Warehouse(warehouse_id=wid, legal_entity_id=le, name=f"DC {wid}", region="OH")


def customer(cid: str = "C1") -> Customer:
    return Customer(
        customer_id=cid,
        legal_entity_id="US",
        name=f"Customer {cid}",
        ship_tos=(
            ShipTo(
                ship_to_id="ST1", name="Dock", city="Dayton", region="OH", postal_code="45402", country="US"
            ),
        ),
        payment_terms="2/10 net 30",
        credit_limit=Money(Decimal("100000.00"), "USD"),
        billing_trigger=BillingTrigger.ON_POD,
        accepts_partial=True,
        home_warehouse_id="W1",
        edi_id="ZZ:ACME",
    )


def product(pid: str = "P1") -> Product:
    return Product(
        product_id=pid,
        description="Nitrile gloves",
        base_uom="EA",
        uom_factors={"CS": Decimal(12), "PL": Decimal("1440")},
        lot_controlled=True,
        list_prices={"USD": Decimal("2.50")},
        floor_prices={"USD": Decimal("1.005")},
    )


def agreement(
    aid: str, valid_from: date, valid_to: date | None = None, price: str = "2.00"
) -> PriceAgreement:
    return PriceAgreement(
        agreement_id=aid,
        customer_id="C1",
        product_id="P1",
        price=Money(Decimal(price), "USD"),
        valid_from=valid_from,
        valid_to=valid_to,
    )
