"""The invariants of the books and the stock, checked on any store (memory, SQLite,
PostgreSQL) through its ports and against its own event log."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.disputes import Dispute
from o2c.domain.inventory import StockPosition
from o2c.domain.money import quantum
from o2c.domain.orders import Order
from o2c.domain.payments import Payment
from o2c.domain.receivables import Account
from o2c.engine.rebuild import rebuild
from o2c.store.memory import MemoryStore

CENT = quantum("USD")


@dataclass
class State:
    events: list[ev.Envelope]
    orders: dict[str, Order]
    invoices: dict[str, Invoice]
    accounts: dict[str, Account]
    stock: dict[tuple[str, str, str], StockPosition]
    entity_of: dict[str, str]  # customer -> legal entity
    payments: dict[str, Payment] = dataclasses.field(default_factory=dict)
    disputes: dict[str, Dispute] = dataclasses.field(default_factory=dict)


def read(store: Any, products: tuple[str, ...], events: list[ev.Envelope] | None = None) -> State:
    """The state of ``store`` (of what ``events`` name: by default its own log)."""
    with store.unit_of_work() as uow:
        events = list(uow.events.all()) if events is None else events
        payloads = [e.payload for e in events]
        orders = {p.order_id: uow.orders.get(p.order_id) for p in payloads
                  if isinstance(p, ev.OrderReceived)}
        invoices = {p.invoice_id: uow.invoices.get(p.invoice_id) for p in payloads
                    if isinstance(p, ev.InvoiceIssued)}
        customers = sorted({c for p in payloads if (c := getattr(p, "customer_id", None))})
        accounts = {c: a for c in customers if (a := uow.accounts.get(c)) is not None}
        entity_of = {c: cu.legal_entity_id for c in customers
                     if (cu := uow.master.customer(c)) is not None}
        stock = {(p.warehouse_id, p.product_id, p.lot_id): p for p in uow.stock.positions(products)}
        payments = {p.payment_id: uow.payments.get(p.payment_id) for p in payloads
                    if isinstance(p, ev.PaymentReceived)}
        disputes = {p.dispute_id: uow.disputes.get(p.dispute_id) for p in payloads
                    if isinstance(p, ev.DisputeOpened)}
    return State(events=events, orders=orders, invoices=invoices, accounts=accounts, stock=stock,
                 entity_of=entity_of, payments=payments, disputes=disputes)


def snapshot(store: Any, products: tuple[str, ...]) -> tuple[Any, ...]:
    s = read(store, products)
    return (len(s.events), s.orders, s.invoices, s.accounts, s.stock, s.payments, s.disputes)


def sum_of(values: Any) -> Decimal:
    return sum(values, Decimal(0))


def check(store: Any, products: tuple[str, ...], master: Callable[[Any], None] | None = None) -> State:
    """Every invariant of the books and the stock of ``products``; with ``master`` (what seeds
    an empty store with the same master data), also that the read models are a fold of the log."""
    s = read(store, products)
    check_failures(store)
    check_stock(s)
    check_orders(s)
    check_receivables(s)
    if master is not None:
        check_replay(s, products, master)
    return s


#: what the engine's own reactions may leave for a person: a count difference to decide
ENGINE_MAY_PARK = frozenset({"INV-COUNT-MISMATCH"})


def check_failures(store: Any) -> None:
    """No message failed on a bug, and the engine's own reactions failed only by design."""
    with store.unit_of_work() as uow:
        letters = uow.dead_letters.open()
    bugs = [(dl.kind, dl.reason) for dl in letters if dl.code == "INTERNAL-ERROR"]
    assert not bugs, bugs
    engine = [(dl.kind, dl.code, dl.reason) for dl in letters
              if dl.source == "o2c.engine" and dl.code not in ENGINE_MAY_PARK]
    assert not engine, engine


def check_stock(s: State) -> None:
    """On-hand = receipts − shipments ± adjustments, per warehouse/product/lot, never negative;
    reserved = what open allocations hold."""
    moved: Counter[tuple[str, str, str]] = Counter()
    for env in s.events:
        match env.payload:
            case ev.StockReceived(warehouse_id=w, product_id=p, lot_id=lot, quantity=q):
                moved[(w, p, lot)] += q
            case ev.StockAdjusted(warehouse_id=w, product_id=p, lot_id=lot, delta=q):
                moved[(w, p, lot)] += q
            case ev.ShipmentConfirmed(lines=lines):
                for ln in lines:
                    moved[(ln.warehouse_id, ln.product_id, ln.lot_id)] -= ln.quantity
    reserved: Counter[tuple[str, str, str]] = Counter()
    for o in s.orders.values():
        for al in o.allocations:
            reserved[(al.warehouse_id, al.product_id, al.lot_id)] += al.quantity - al.shipped
    for key in set(moved) | set(s.stock) | set(reserved):
        pos = s.stock.get(key)
        on_hand, held = (pos.on_hand, pos.reserved) if pos else (Decimal(0), Decimal(0))
        assert on_hand == moved.get(key, Decimal(0)), f"{key}: on hand {on_hand}, log says {moved[key]}"
        assert Decimal(0) <= held <= on_hand, f"{key}: reserved {held} of {on_hand} on hand"
        assert held == reserved.get(key, Decimal(0)), f"{key}: reserved {held}, allocations {reserved[key]}"


def check_orders(s: State) -> None:
    """Quantities never run ahead of each other; no shipment is invoiced twice, and what
    invoices bill per line is what the line says it invoiced."""
    billed: Counter[tuple[str, int]] = Counter()
    invoiced_shipments: list[tuple[str, str]] = []
    for env in s.events:
        if isinstance(env.payload, ev.InvoiceIssued):
            e = env.payload
            invoiced_shipments += [(e.order_id, sid) for sid in e.shipment_ids]
            for il in e.lines:
                billed[(e.order_id, il.line_no)] += il.quantity
    assert len(invoiced_shipments) == len(set(invoiced_shipments)), "a shipment was invoiced twice"
    for o in s.orders.values():
        for al in o.allocations:
            assert Decimal(0) <= al.shipped <= al.quantity, f"{o.order_id}: {al}"
        for ln in o.lines:
            assert ln.invoiced <= ln.shipped <= ln.allocated, f"{o.order_id} line {ln.line_no}"
            assert ln.shipped + ln.closed_short <= ln.allocated or not ln.allocated
            assert ln.invoiced == billed.get((o.order_id, ln.line_no), Decimal(0))
        for sid in {sid for oid, sid in invoiced_shipments if oid == o.order_id}:
            shipment = o.shipment(sid)
            assert shipment is not None and shipment.invoice_id, f"{o.order_id}: {sid} not invoiced"


def _exact(amount: Decimal, what: str) -> None:
    assert amount == amount.quantize(CENT), f"{what}: {amount} is not in cents"


def check_receivables(s: State) -> None:
    """Per account and per legal entity: invoices − credit memos − applied cash − discounts −
    write-offs = open amounts; every payment is applied, kept as credit on account or queued as unapplied
    cash; amounts in cents."""
    flows: dict[str, Counter[str]] = defaultdict(Counter)
    by_payment: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for env in s.events:
        match env.payload:
            case ev.InvoiceIssued(customer_id=c, total=t):
                flows[c]["invoiced"] += t.amount
            case ev.CreditMemoIssued(customer_id=c, amount=m):
                flows[c]["credited"] += m.amount
            case ev.ReceivableWrittenOff(customer_id=c, amount=m):
                flows[c]["written_off"] += m.amount
            case ev.PaymentApplied(customer_id=c, payment_id=p, amount=m, discount=d):
                flows[c]["applied"] += m.amount
                flows[c]["discounts"] += d.amount
                by_payment[(c, p)] += m.amount
            case ev.CashUnapplied(customer_id=c, payment_id=p, amount=m):
                flows[c]["unapplied"] += m.amount
                by_payment[(c, p)] += m.amount
            case ev.CashOnAccount(customer_id=c, payment_id=p, amount=m):
                flows[c]["on_account"] += m.amount
                by_payment[(c, p)] += m.amount
            case ev.PaymentReceived(customer_id=c, payment_id=p, amount=m):
                by_payment[(c, p)] -= m.amount
    assert all(v == 0 for v in by_payment.values()), f"cash neither applied nor unapplied: {by_payment}"
    for pay in s.payments.values():
        assert pay.applied + pay.on_account + pay.unapplied == pay.amount, pay.payment_id
    for inv in s.invoices.values():
        for what in ("total", "applied", "discount_taken", "credited", "written_off", "open_amount"):
            _exact(getattr(inv, what), f"invoice {inv.invoice_id} {what}")
        assert inv.open_amount >= 0, f"invoice {inv.invoice_id} open {inv.open_amount}"
    per_entity: dict[str, Counter[str]] = defaultdict(Counter)
    for c, acct in s.accounts.items():
        f = flows[c]
        mine = [i for i in s.invoices.values() if i.customer_id == c]
        assert (acct.invoiced, acct.credited, acct.applied, acct.discounts, acct.unapplied_cash,
                acct.on_account, acct.written_off) == (f["invoiced"], f["credited"], f["applied"],
                                                       f["discounts"], f["unapplied"], f["on_account"],
                                                       f["written_off"]), c
        assert acct.open_ar == (f["invoiced"] - f["credited"] - f["applied"] - f["discounts"]
                                - f["written_off"]), c
        assert acct.open_ar == sum_of(i.open_amount for i in mine), c
        assert acct.open_ar == sum_of(item.open_amount for item in acct.open_items.values()), c
        for item in acct.open_items.values():
            _exact(item.open_amount, f"open item {item.invoice_id}")
        per_entity[s.entity_of[c]]["books"] += acct.open_ar
    for inv in s.invoices.values():
        per_entity[inv.legal_entity_id]["invoices"] += inv.open_amount
    for entity, f in per_entity.items():
        assert f["books"] == f["invoices"], f"legal entity {entity}: {f}"


def check_replay(s: State, products: tuple[str, ...], master: Callable[[Any], None]) -> None:
    """Replaying the log into an empty store gives the same orders, invoices, accounts, stock."""
    fresh = MemoryStore()
    master(fresh)
    rebuild(iter(s.events), fresh.unit_of_work)
    again = read(fresh, products, s.events)
    assert again.orders == s.orders
    assert again.invoices == s.invoices
    assert again.accounts == s.accounts
    assert again.payments == s.payments
    assert again.disputes == s.disputes
    assert again.stock == s.stock
