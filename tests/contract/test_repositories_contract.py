"""Contract: orders, invoices, accounts and master data behave the same on
every backend, including what one unit of work sees of its own changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from o2c.domain.billing import InvoiceStatus
from o2c.domain.orders import OrderStatus
from tests.contract.conftest import (
    T0,
    UowFactory,
    account,
    agreement,
    customer,
    invoice,
    legal_entity,
    order,
    product,
    warehouse,
)

# ---------------------------------------------------------------- orders


def test_an_added_order_is_read_back_equal(uow_factory: UowFactory) -> None:
    o = order("O-1", backordered={"P1": "2.5", "P2": "0"})
    with uow_factory() as uow:
        assert uow.orders.get("O-1") is None
        uow.orders.add(o)
        uow.commit()
    with uow_factory() as uow:
        back = uow.orders.get("O-1")
        assert back == o
        assert back.lines[0].backordered == Decimal("2.5")


def test_get_returns_the_same_live_object_within_a_unit_of_work(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    with uow_factory() as uow:
        first = uow.orders.get("O-1")
        assert uow.orders.get("O-1") is first
        added = order("O-2")
        uow.orders.add(added)
        assert uow.orders.get("O-2") is added


def test_changes_to_a_live_order_are_saved_at_commit(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    with uow_factory() as uow:
        o = uow.orders.get("O-1")
        o.status = OrderStatus.VALIDATED
        o.lines[0].unit_price = Decimal("3.3333")
        o.version += 1
        uow.commit()
    with uow_factory() as uow:
        o = uow.orders.get("O-1")
        assert (o.status, o.lines[0].unit_price, o.version) == (OrderStatus.VALIDATED, Decimal("3.3333"), 2)


def test_uncommitted_changes_to_a_live_order_are_discarded(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    with uow_factory() as uow:
        o = uow.orders.get("O-1")
        o.status = OrderStatus.REJECTED
        o.version += 1
    with uow_factory() as uow:
        assert uow.orders.get("O-1").status is OrderStatus.RECEIVED


def test_find_by_po_sees_committed_and_same_unit_of_work_orders(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1", customer_id="C1", po="PO-9"))
        assert uow.orders.find_by_po("C1", "PO-9") == "O-1"
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.find_by_po("C1", "PO-9") == "O-1"
        assert uow.orders.find_by_po("C2", "PO-9") is None
        assert uow.orders.find_by_po("C1", "PO-10") is None
        uow.orders.add(order("O-2", customer_id="C2", po="PO-9"))
        assert uow.orders.find_by_po("C2", "PO-9") == "O-2"


def test_find_by_po_with_a_repeated_po_gives_the_first_order(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1", po="PO-9"))
        uow.commit()
    with uow_factory() as uow:
        uow.orders.add(order("O-2", po="PO-9", received_at=T0 + timedelta(hours=1)))
        assert uow.orders.find_by_po("C1", "PO-9") == "O-1"
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.find_by_po("C1", "PO-9") == "O-1"


def test_backordered_lists_open_orders_waiting_for_a_product(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1", backordered={"P1": "5", "P2": "0"}))
        uow.orders.add(order("O-2", backordered={"P1": "0", "P2": "1"}))
        uow.orders.add(order("O-3", backordered={"P1": "0.001"}))
        uow.orders.add(order("O-4", backordered={"P1": "3"}, status=OrderStatus.REJECTED))
        assert uow.orders.backordered("P1") == ["O-1", "O-3"]
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.backordered("P1") == ["O-1", "O-3"]
        assert uow.orders.backordered("P2") == ["O-2"]
        assert uow.orders.backordered("P3") == []


def test_backordered_follows_changes_made_in_the_same_unit_of_work(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1", backordered={"P1": "5"}))
        uow.orders.add(order("O-2", backordered={"P1": "0", "P2": "0"}))
        uow.commit()
    with uow_factory() as uow:
        filled = uow.orders.get("O-1")
        filled.lines[0].backordered = Decimal(0)
        filled.version += 1
        short = uow.orders.get("O-2")
        short.lines[1].backordered = Decimal(2)
        short.version += 1
        assert uow.orders.backordered("P1") == []
        assert uow.orders.backordered("P2") == ["O-2"]
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.backordered("P1") == []
        assert uow.orders.backordered("P2") == ["O-2"]
        closed = uow.orders.get("O-2")
        closed.status = OrderStatus.CLOSED
        closed.version += 1
        assert uow.orders.backordered("P2") == []
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.backordered("P2") == []


# ---------------------------------------------------------------- invoices and accounts


def test_an_invoice_round_trips_with_exact_amounts(uow_factory: UowFactory) -> None:
    i = invoice("I-1", total=Decimal("1000000.005"), applied=Decimal("0.001"), credit_memo_ids=["CM-1"])
    with uow_factory() as uow:
        uow.invoices.add(i)
        uow.commit()
    with uow_factory() as uow:
        back = uow.invoices.get("I-1")
        assert back == i
        assert back.open_amount == Decimal("1000000.004")
        assert uow.invoices.get("I-1") is back
        assert uow.invoices.get("I-2") is None
        back.status = InvoiceStatus.PAID
        back.applied = back.total - back.discount_taken
        back.version += 1
        uow.commit()
    with uow_factory() as uow:
        back = uow.invoices.get("I-1")
        assert (back.status, back.applied, back.version) == (InvoiceStatus.PAID, Decimal("1000000.005"), 2)


def test_an_account_round_trips_and_saves_when_its_version_moves(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.accounts.add(account("C1"))
        uow.commit()
    with uow_factory() as uow:
        a = uow.accounts.get("C1")
        assert a == account("C1")
        assert a.open_ar == Decimal("1234.566")
        a.unapplied_cash += Decimal("0.10")
        a.version += 1
        uow.commit()
    with uow_factory() as uow:
        assert uow.accounts.get("C1").unapplied_cash == Decimal("0.10")
        assert uow.accounts.get("C2") is None


# ---------------------------------------------------------------- rollback


def test_rollback_discards_everything(uow_factory: UowFactory) -> None:
    from tests.contract.conftest import credit_approved, envelope, message

    with uow_factory() as uow:
        uow.orders.add(order("O-1"))
        uow.commit()
    with uow_factory() as uow:
        uow.orders.add(order("O-2"))
        uow.orders.get("O-1").version += 1
        uow.orders.get("O-1").status = OrderStatus.REJECTED
        uow.invoices.add(invoice("I-1"))
        uow.accounts.add(account("C1"))
        uow.events.append([envelope(credit_approved(), n=1)])
        uow.inbox.add(message("m1"), "O-1")
        uow.outbox.put("855", "edi", "O-1", {})
        assert uow.sequences.next("invoice:US") == 1
        uow.rollback()
        assert uow.orders.get("O-2") is None
        assert uow.orders.get("O-1").status is OrderStatus.RECEIVED
    with uow_factory() as uow:
        assert uow.orders.get("O-2") is None
        assert uow.orders.get("O-1").status is OrderStatus.RECEIVED
        assert uow.invoices.get("I-1") is None
        assert uow.accounts.get("C1") is None
        assert uow.events.for_correlation("O-1") == []
        assert list(uow.events.all()) == []
        assert uow.inbox.seen([("edi", "m1")]) == set()
        assert uow.outbox.pending() == []
        assert uow.sequences.next("invoice:US") == 1


# ---------------------------------------------------------------- master data


def test_master_data_round_trips(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        m = uow.master
        m.add_legal_entity(legal_entity())
        m.add_customer(customer("C1"))
        m.add_product(product("P1"))
        for wid, le in (("W2", "US"), ("W1", "US"), ("W9", "CA")):
            m.add_warehouse(warehouse(wid, le))
        assert m.customer("C1") == customer("C1")  # its own writes, before commit
        uow.commit()
    with uow_factory() as uow:
        m = uow.master
        assert m.legal_entity("US") == legal_entity()
        assert m.customer("C1") == customer("C1")
        assert m.product("P1") == product("P1")
        assert m.product("P1").factor("PL") == Decimal(1440)
        assert [w.warehouse_id for w in m.warehouses("US")] == ["W1", "W2"]
        assert m.warehouses("MX") == []
        assert m.legal_entity("XX") is None
        assert m.customer("C404") is None
        assert m.product("P404") is None


def test_adding_master_data_again_replaces_it(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.master.customer("C1") is None  # a cached miss must not survive the write
        uow.master.add_customer(customer("C1"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.master.customer("C1").blocked is False
        blocked = customer("C1")
        object.__setattr__(blocked, "blocked", True)
        uow.master.add_customer(blocked)
        assert uow.master.customer("C1").blocked is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.master.customer("C1").blocked is True


def test_the_price_agreement_valid_on_the_day_is_chosen(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.master.add_price_agreement(
            agreement("PA-2025", date(2025, 1, 1), date(2025, 12, 31), price="1.90")
        )
        uow.master.add_price_agreement(agreement("PA-2026", date(2026, 1, 1), price="2.05"))
        uow.master.add_price_agreement(
            agreement("PA-PROMO", date(2026, 3, 1), date(2026, 3, 31), price="1.755")
        )
        uow.commit()
    c1, c2 = customer("C1"), customer("C2")
    member = replace(customer("C3"), parent_id="C2")
    with uow_factory() as uow:
        uow.master.add_price_agreement(replace(agreement("PL-C2", date(2026, 1, 1), price="2.10"),
                                               customer_id="C2", group=True))
        uow.commit()
    with uow_factory() as uow:
        pick = uow.master.price_agreement
        assert pick(c1, "P1", date(2024, 6, 1)) is None
        assert pick(c1, "P1", date(2025, 12, 31)).agreement_id == "PA-2025"
        assert pick(c1, "P1", date(2026, 2, 1)).agreement_id == "PA-2026"
        assert pick(c1, "P1", date(2026, 3, 15)).price.amount == Decimal("1.755")
        assert pick(c1, "P1", date(2026, 4, 1)).agreement_id == "PA-2026"
        assert pick(c1, "P2", date(2026, 2, 1)) is None
        assert pick(c2, "P1", date(2026, 2, 1)).agreement_id == "PL-C2"  # the head's own list
        assert pick(member, "P1", date(2026, 2, 1)).agreement_id == "PL-C2"  # its group's
        assert pick(member, "P1", date(2025, 2, 1)) is None
        assert [a.agreement_id for a in uow.master.agreements("C1", "P1")] == [
            "PA-2025", "PA-2026", "PA-PROMO"]
        assert uow.master.agreement("PA-PROMO").valid_to == date(2026, 3, 31)


def test_agreements_prefetched_for_a_batch_read_as_without(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.master.add_price_agreement(agreement("PA-1", date(2026, 1, 1)))
        uow.master.add_price_agreement(replace(agreement("PA-2", date(2026, 1, 1)), product_id="P2"))
        uow.commit()
    with uow_factory() as uow:
        uow.prefetch(customers=["C1", "C9"], agreements=["PA-1", "PA-9"],
                     agreements_for=[("C1", "P1"), ("C1", "P3")])
        assert [a.agreement_id for a in uow.master.agreements("C1", "P1")] == ["PA-1"]
        assert uow.master.agreements("C1", "P3") == []
        assert uow.master.agreement("PA-9") is None and uow.master.customer("C9") is None
        # written in this unit of work, read back before commit
        uow.master.add_price_agreement(replace(agreement("PA-3", date(2027, 1, 1)), product_id="P3"))
        assert [a.agreement_id for a in uow.master.agreements("C1", "P3")] == ["PA-3"]
        assert [a.agreement_id for a in uow.master.agreements("C1", "P2")] == ["PA-2"]


def test_many_aggregates_saved_at_once_read_back_equal(uow_factory: UowFactory) -> None:
    many = [order(f"O-{i:03d}", po=f"PO-{i}", backordered={"P1": str(i % 2)}) for i in range(40)]
    bills = [invoice(f"I-{i:03d}", total=Decimal(i) + Decimal("0.125")) for i in range(40)]
    with uow_factory() as uow:
        for o, i in zip(many, bills, strict=True):
            uow.orders.add(o)
            uow.invoices.add(i)
        uow.commit()
    with uow_factory() as uow:
        assert [uow.orders.get(o.order_id) for o in many] == many
        assert [uow.invoices.get(i.invoice_id) for i in bills] == bills
        assert uow.orders.backordered("P1") == [o.order_id for o in many[1::2]]


def test_held_lists_committed_orders_with_an_open_hold_oldest_first(uow_factory: UowFactory) -> None:
    from o2c.domain.holds import HoldStatus

    released = order("O-2")
    released.holds[0].status = HoldStatus.RELEASED
    assert order("O-1").on_hold and not released.on_hold
    with uow_factory() as uow:
        for o in (order("O-3"), released, order("O-1")):
            uow.orders.add(o)
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.held() == ["O-1", "O-3"]
        assert uow.orders.held(limit=1) == ["O-1"]
        assert uow.orders.held(limit=1, after="O-1") == ["O-3"]
        assert uow.orders.held(after="O-3") == []


def test_po_numbers_are_read_for_committed_and_same_unit_of_work_orders(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(order("O-1", po="PO-1"))
        uow.commit()
    with uow_factory() as uow:
        uow.orders.add(order("O-2", po="PO-2"))
        assert uow.orders.po_numbers(["O-1", "O-2", "O-9"]) == {"O-1": "PO-1", "O-2": "PO-2"}
        assert uow.orders.po_numbers([]) == {}
