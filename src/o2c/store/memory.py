"""The in-memory store: every port in plain dicts.

Used by unit tests of the engine and as the reference implementation in the
contract suite. A unit of work stages its changes on copies and publishes
them to the store only at commit, so rollback discards everything, as in SQL.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Generic, TypedDict, TypeVar

from o2c.domain import collections as coll
from o2c.domain.billing import Invoice, InvoiceStatus
from o2c.domain.collections import Aging, OpenInvoice, WorklistEntry
from o2c.domain.disputes import Dispute
from o2c.domain.documents import SentDocument, control, matches
from o2c.domain.events import Envelope
from o2c.domain.inventory import StockPosition
from o2c.domain.master import (
    Customer,
    LegalEntity,
    PriceAgreement,
    Product,
    TaxRate,
    Warehouse,
    agreement_for,
)
from o2c.domain.orders import INVOICED_OR_DONE, Order, item_waits
from o2c.domain.payments import Payment
from o2c.domain.receivables import Account
from o2c.domain.timers import Timer, TimerKey, TimerState
from o2c.engine.ports import ConcurrencyConflict, DeadLetter, InboundMessage, OutboundMessage
from o2c.store.identity_rows import MemoryIdentities
from o2c.store.memory_audit import AuditChain, MemoryAudit
from o2c.store.policy_rows import MemoryPolicies
from o2c.store.work_rows import MemoryWork

_StockKey = tuple[str, str, str]
_A = TypeVar("_A")


class InboxRow(TypedDict):
    """An inbound message as the memory store holds it (the SQL store's ``inbox`` row)."""

    message: InboundMessage
    status: str
    correlation_id: str | None


class OutboxRow(TypedDict):
    kind: str
    destination: str
    correlation_id: str
    payload: dict[str, Any]
    sent_at: datetime | None


@dataclass
class MemoryStore:
    """All state of one in-memory o2c installation."""

    legal_entities: dict[str, LegalEntity] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    agreements: dict[str, PriceAgreement] = field(default_factory=dict)
    tax_rates: dict[str, TaxRate] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    disputes: dict[str, Dispute] = field(default_factory=dict)
    stock: dict[_StockKey, StockPosition] = field(default_factory=dict)
    events: list[Envelope] = field(default_factory=list)
    inbox: dict[tuple[str, str], InboxRow] = field(default_factory=dict)
    dead_letters: dict[str, DeadLetter] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    documents: dict[str, SentDocument] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    audit: AuditChain = field(default_factory=AuditChain)
    #: users, API keys, delegations, sessions (``o2c.store.identities``), beside the ports
    identities: MemoryIdentities = field(default_factory=MemoryIdentities)
    #: claims and comments on holds (``o2c.store.work_items``), beside the ports
    work: MemoryWork = field(default_factory=MemoryWork)
    #: policy versions (``o2c.store.policies``), beside the ports
    policies: MemoryPolicies = field(default_factory=MemoryPolicies)
    timers: dict[str, Timer] = field(default_factory=dict)

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    @property
    def sql_engine(self) -> None:
        return None

    @property
    def supports_concurrent_writers(self) -> bool:
        return False  # plain dicts: a commit is not atomic across threads

    def dispose(self) -> None:
        """Nothing is held open."""


def as_memory_store(store: object) -> MemoryStore:
    """A store without SQL, as the memory store it must be, for reads the ports
    do not offer (see ``o2c.store.port.Store.sql_engine``)."""
    if isinstance(store, MemoryStore):
        return store
    raise TypeError(f"{type(store).__name__} has neither a SQL engine nor in-memory tables")


class _Master:
    def __init__(self, s: MemoryStore) -> None:
        self.s = s

    def legal_entity(self, entity_id: str) -> LegalEntity | None:
        return self.s.legal_entities.get(entity_id)

    def customer(self, customer_id: str) -> Customer | None:
        return self.s.customers.get(customer_id)

    def product(self, product_id: str) -> Product | None:
        return self.s.products.get(product_id)

    def warehouse(self, warehouse_id: str) -> Warehouse | None:
        return self.s.warehouses.get(warehouse_id)

    def warehouses(self, legal_entity_id: str) -> list[Warehouse]:
        return sorted((w for w in self.s.warehouses.values() if w.legal_entity_id == legal_entity_id),
                      key=lambda w: w.warehouse_id)

    def agreements(self, customer_id: str, product_id: str) -> list[PriceAgreement]:
        return sorted((a for a in self.s.agreements.values()
                       if a.customer_id == customer_id and a.product_id == product_id),
                      key=lambda a: a.agreement_id)

    def agreement(self, agreement_id: str) -> PriceAgreement | None:
        return self.s.agreements.get(agreement_id)

    def price_agreement(self, customer: Customer, product_id: str, day: date) -> PriceAgreement | None:
        group = [a for a in self.agreements(customer.parent_id, product_id) if a.group] \
            if customer.parent_id else []
        return agreement_for(self.agreements(customer.customer_id, product_id), group, day)

    def add_legal_entity(self, e: LegalEntity) -> None:
        self.s.legal_entities[e.entity_id] = e

    def add_warehouse(self, w: Warehouse) -> None:
        self.s.warehouses[w.warehouse_id] = w

    def add_customer(self, c: Customer) -> None:
        self.s.customers[c.customer_id] = c

    def group(self, parent_id: str) -> tuple[str, ...]:
        return tuple(sorted(c.customer_id for c in self.s.customers.values()
                            if c.customer_id == parent_id or c.parent_id == parent_id))

    def add_product(self, p: Product) -> None:
        self.s.products[p.product_id] = p

    def add_price_agreement(self, a: PriceAgreement) -> None:
        self.s.agreements[a.agreement_id] = a

    def tax_rates(self, country: str) -> list[TaxRate]:
        return sorted((r for r in self.s.tax_rates.values() if r.country == country),
                      key=lambda r: r.rate_id)

    def tax_rate(self, rate_id: str) -> TaxRate | None:
        return self.s.tax_rates.get(rate_id)

    def add_tax_rate(self, r: TaxRate) -> None:
        self.s.tax_rates[r.rate_id] = r


class _Aggregates(Generic[_A]):
    """Identity map over one dict of the store, copy-on-read, published at commit."""

    def __init__(self, committed: dict[str, _A]) -> None:
        self.committed = committed
        self.live: dict[str, _A] = {}

    def _get(self, key: str) -> _A | None:
        if key in self.live:
            return self.live[key]
        obj = self.committed.get(key)
        if obj is None:
            return None
        obj = copy.deepcopy(obj)
        self.live[key] = obj
        return obj

    def _put(self, key: str, obj: _A) -> None:
        self.live[key] = obj

    def publish(self) -> None:
        self.committed.update(self.live)


class _Orders(_Aggregates[Order]):
    def get(self, order_id: str) -> Order | None:
        return self._get(order_id)

    def add(self, order: Order) -> None:
        self._put(order.order_id, order)

    def _all(self) -> Iterable[Order]:
        merged = dict(self.committed)
        merged.update(self.live)
        return merged.values()

    def find_by_po(self, customer_id: str, po_number: str) -> str | None:
        found = [o for o in self._all() if o.customer_id == customer_id and o.po_number == po_number]
        return min(found, key=lambda o: o.order_id).order_id if found else None

    def po_numbers(self, order_ids: Iterable[str]) -> dict[str, str]:
        merged = {**self.committed, **self.live}
        return {k: o.po_number for k in order_ids if (o := merged.get(k)) is not None}

    def held(self, limit: int = 1000, after: str = "") -> list[str]:
        return sorted(o.order_id for o in self.committed.values() if o.on_hold and o.order_id > after)[:limit]

    def held_for(self, customer_ids: Iterable[str]) -> list[str]:
        ids = set(customer_ids)
        return sorted(o.order_id for o in self._all() if o.customer_id in ids and o.on_hold)

    def waiting_for_item(self, product_id: str) -> list[str]:
        return sorted(o.order_id for o in self._all() if product_id in item_waits(o))

    def not_invoiced_for(self, customer_id: str) -> list[str]:
        return sorted(o.order_id for o in self._all()
                      if o.customer_id == customer_id and o.status.value not in INVOICED_OR_DONE)

    def backordered(self, product_id: str) -> list[str]:
        return sorted(
            o.order_id for o in self._all()
            if not o.terminal and any(ln.backordered > 0 and ln.product_id == product_id for ln in o.lines)
        )


class _Invoices(_Aggregates[Invoice]):
    #: the store's committed accounts (their risk and promises rank the worklist)
    accounts: dict[str, Account] | None = None

    def get(self, invoice_id: str) -> Invoice | None:
        return self._get(invoice_id)

    def add(self, invoice: Invoice) -> None:
        self._put(invoice.invoice_id, invoice)

    # -- collections: the pure definitions of :mod:`o2c.domain.collections` over committed state

    def _open(self, legal_entity_id: str | None) -> list[OpenInvoice]:
        return [OpenInvoice(invoice_id=i.invoice_id, customer_id=i.customer_id,
                            legal_entity_id=i.legal_entity_id, currency=i.currency, due_date=i.due_date,
                            open_amount=i.open_amount, disputed=i.disputed)
                for i in self.committed.values()
                if i.status is InvoiceStatus.OPEN
                and (legal_entity_id is None or i.legal_entity_id == legal_entity_id)]

    def past_due(self, legal_entity_id: str, as_of: date, limit: int = 100_000) -> list[str]:
        found = sorted((i.due_date, i.invoice_id) for i in self._open(legal_entity_id)
                       if i.due_date < as_of and i.open_amount > i.disputed)
        return [k for _, k in found[:limit]]

    def aging(self, as_of: Mapping[str, date], default: date,
              legal_entity_id: str | None = None) -> list[Aging]:
        return coll.age(self._open(legal_entity_id), as_of, default)

    def worklist(self, as_of: Mapping[str, date], default: date, limit: int = 100,
                 legal_entity_id: str | None = None) -> list[WorklistEntry]:
        accounts = self.accounts.values() if self.accounts is not None else ()
        return coll.worklist(self._open(legal_entity_id), as_of, default,
                                    {a.customer_id: a.risk for a in accounts},
                                    {a.customer_id: a.promise for a in accounts})[:limit]


class _Accounts(_Aggregates[Account]):
    def get(self, customer_id: str) -> Account | None:
        return self._get(customer_id)

    def add(self, account: Account) -> None:
        self._put(account.customer_id, account)


class _Payments(_Aggregates[Payment]):
    def get(self, payment_id: str) -> Payment | None:
        return self._get(payment_id)

    def add(self, payment: Payment) -> None:
        self._put(payment.payment_id, payment)

    def waiting(self, limit: int = 500) -> list[str]:
        found = sorted((p.received_at, k) for k, p in self.committed.items() if p.waiting)
        return [k for _, k in found[:limit]]

    def paid_from(self, payer_account: str) -> list[str]:
        merged = {**self.committed, **self.live}
        return sorted({p.customer_id for p in merged.values()
                       if payer_account and p.payer_account == payer_account and p.customer_id})


class _Disputes(_Aggregates[Dispute]):
    def get(self, dispute_id: str) -> Dispute | None:
        return self._get(dispute_id)

    def add(self, dispute: Dispute) -> None:
        self._put(dispute.dispute_id, dispute)

    def open(self, limit: int = 500) -> list[str]:
        found = sorted((d.opened_at, k) for k, d in self.committed.items() if d.is_open)
        return [k for _, k in found[:limit]]


class _Stock:
    def __init__(self, committed: dict[_StockKey, StockPosition]) -> None:
        self.committed = committed
        self.live: dict[_StockKey, StockPosition] = {}

    def _get(self, key: _StockKey) -> StockPosition | None:
        if key not in self.live:
            base = self.committed.get(key)
            if base is None:
                return None
            self.live[key] = copy.copy(base)
        return self.live[key]

    def positions(self, product_ids: Iterable[str]) -> list[StockPosition]:
        wanted = set(product_ids)
        keys = {k for k in self.committed if k[1] in wanted} | {k for k in self.live if k[1] in wanted}
        out = [self._get(k) for k in sorted(keys)]
        return [copy.copy(p) for p in out if p is not None]

    def reserve(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> bool:
        p = self._get((warehouse_id, product_id, lot_id))
        if p is None or p.on_hand - p.reserved < qty:
            return False
        p.reserved += qty
        return True

    def unreserve(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> None:
        p = self._get((warehouse_id, product_id, lot_id))
        if p is None or p.reserved < qty:
            raise ValueError(f"cannot unreserve {qty} of {warehouse_id}/{product_id}/{lot_id}")
        p.reserved -= qty

    def receive(self, warehouse_id: str, product_id: str, lot_id: str,
                expiry: date | None, qty: Decimal) -> None:
        key = (warehouse_id, product_id, lot_id)
        p = self._get(key)
        if p is None:
            self.live[key] = StockPosition(warehouse_id=warehouse_id, product_id=product_id,
                                           lot_id=lot_id, expiry=expiry, on_hand=qty,
                                           reserved=Decimal(0))
        else:
            p.on_hand += qty

    def ship(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> None:
        p = self._get((warehouse_id, product_id, lot_id))
        if p is None or p.reserved < qty or p.on_hand < qty:
            raise ValueError(f"cannot ship {qty} of {warehouse_id}/{product_id}/{lot_id}: not reserved")
        p.on_hand -= qty
        p.reserved -= qty

    def reserve_all(self, lines: Sequence[tuple[str, str, str, Decimal]]) -> bool:
        wanted = _summed(lines)
        found: list[tuple[StockPosition, Decimal]] = []
        for k, q in wanted.items():
            p = self._get(k)
            if p is None or p.on_hand - p.reserved < q:
                return False
            found.append((p, q))
        for p, q in found:
            p.reserved += q
        return True

    def ship_all(self, lines: Sequence[tuple[str, str, str, Decimal]]) -> None:
        wanted = _summed(lines)
        for k, q in wanted.items():
            p = self._get(k)
            if p is None or p.reserved < q or p.on_hand < q:
                raise ValueError(f"cannot ship {q} of {'/'.join(k)}: not reserved")
        for k, q in wanted.items():
            self.ship(*k, q)

    def adjust(self, warehouse_id: str, product_id: str, lot_id: str,
               expiry: date | None, delta: Decimal) -> bool:
        if delta >= 0:
            if delta > 0:
                self.receive(warehouse_id, product_id, lot_id, expiry, delta)
            return True
        p = self._get((warehouse_id, product_id, lot_id))
        if p is None or p.on_hand + delta < p.reserved:
            return False
        p.on_hand += delta
        return True

    def publish(self) -> None:
        self.committed.update(self.live)


def _summed(lines: Iterable[tuple[str, str, str, Decimal]]) -> dict[_StockKey, Decimal]:
    out: dict[_StockKey, Decimal] = {}
    for w, p, lot, q in lines:
        out[(w, p, lot)] = out.get((w, p, lot), Decimal(0)) + q
    return out


class _Events:
    def __init__(self, committed: list[Envelope]) -> None:
        self.committed = committed
        self.pending: list[Envelope] = []

    def append(self, envelopes: Sequence[Envelope]) -> None:
        self.pending.extend(envelopes)

    def for_correlation(self, correlation_id: str) -> list[Envelope]:
        return [e for e in [*self.committed, *self.pending] if e.correlation_id == correlation_id]

    def all(self, batch_size: int = 5000) -> Iterable[Envelope]:
        return iter(list(self.committed))


class _Inbox:
    def __init__(self, committed: dict[tuple[str, str], InboxRow]) -> None:
        self.committed = committed
        self.pending: dict[tuple[str, str], InboxRow] = {}

    def seen(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        return {k for k in keys if k in self.committed or k in self.pending}

    def add(self, message: InboundMessage, correlation_id: str | None) -> None:
        key = (message.source, message.source_message_id)
        if key in self.committed or key in self.pending:
            raise KeyError(f"inbox already holds {key}")
        self.pending[key] = {"message": message, "status": "received", "correlation_id": correlation_id}

    def mark(self, source: str, source_message_id: str, status: str,
             correlation_id: str | None) -> None:
        key = (source, source_message_id)
        row = self.pending.get(key) or copy.copy(self.committed[key])
        row["status"] = status
        if correlation_id is not None:
            row["correlation_id"] = correlation_id
        self.pending[key] = row

    def status(self, source: str, source_message_id: str) -> str | None:
        row = self.pending.get((source, source_message_id)) or self.committed.get((source, source_message_id))
        return None if row is None else row["status"]

    def unfinished(self) -> list[InboundMessage]:
        rows = {**self.committed, **self.pending}.values()
        found = [r["message"] for r in rows if r["status"] == "received" and r["message"].document is None]
        return sorted(found, key=lambda m: m.received_at)


class _DeadLetters:
    def __init__(self, committed: dict[str, DeadLetter]) -> None:
        self.committed = committed
        self.pending: dict[str, DeadLetter] = {}

    def add(self, letter: DeadLetter) -> None:
        self.pending[letter.dead_letter_id] = letter

    def get(self, dead_letter_id: str) -> DeadLetter | None:
        return self.pending.get(dead_letter_id) or self.committed.get(dead_letter_id)

    def open(self) -> list[DeadLetter]:
        merged = {**self.committed, **self.pending}
        return sorted((d for d in merged.values() if d.status == "open"), key=lambda d: d.failed_at)

    def waiting_for(self, keys: Iterable[str]) -> list[DeadLetter]:
        wanted = set(keys)
        return [d for d in self.open() if d.waiting_for in wanted]

    def close(self, dead_letter_id: str, status: str) -> None:
        d = self.get(dead_letter_id)
        if d is None:
            raise KeyError(dead_letter_id)
        self.pending[dead_letter_id] = dataclasses.replace(d, status=status)


class _Outbox:
    def __init__(self, committed: list[OutboxRow]) -> None:
        self.committed = committed
        self.staged: list[OutboxRow] = []
        self.sent: dict[int, datetime] = {}

    def put(self, kind: str, destination: str, correlation_id: str, payload: dict[str, Any]) -> None:
        self.staged.append({"kind": kind, "destination": destination,
                            "correlation_id": correlation_id, "payload": payload, "sent_at": None})

    def pending(self, limit: int = 1000) -> list[OutboundMessage]:
        out = []
        for i, row in enumerate(self.committed, 1):
            if row["sent_at"] is None and i not in self.sent:
                out.append(OutboundMessage(outbox_id=i, kind=row["kind"],
                                           destination=row["destination"],
                                           correlation_id=row["correlation_id"],
                                           payload=row["payload"]))
                if len(out) == limit:
                    break
        return out

    def mark_sent(self, outbox_ids: Sequence[int], at: datetime) -> None:
        for i in outbox_ids:
            self.sent[i] = at

    def publish(self) -> None:
        for i, at in self.sent.items():
            self.committed[i - 1]["sent_at"] = at
        self.committed.extend(self.staged)


class _Documents:
    """The ledger of sent documents (``o2c.engine.ports.SentDocuments``)."""

    def __init__(self, committed: dict[str, SentDocument]) -> None:
        self.committed = committed
        self.pending: dict[str, SentDocument] = {}

    def add(self, doc: SentDocument) -> None:
        self.pending[doc.document_id] = doc

    def get(self, document_id: str) -> SentDocument | None:
        doc = self.pending.get(document_id)
        if doc is None and document_id in self.committed:
            doc = self.pending[document_id] = copy.deepcopy(self.committed[document_id])
        return doc

    def find(self, partner_id: str, group_control_number: str,
             set_control_number: str | None = None) -> list[SentDocument]:
        found = {**self.committed, **self.pending}
        return [self.get(d.document_id) or d for d in sorted(found.values(), key=lambda d: d.document_id)
                if d.partner_id == partner_id and d.group_control_number == control(group_control_number)
                and (set_control_number is None or d.set_control_number == control(set_control_number))]

    def search(self, *, status: str | None = None, partner_id: str | None = None,
               doc_type: str | None = None, reference: str | None = None,
               limit: int = 200) -> list[SentDocument]:
        found = [d for d in self.committed.values()
                 if matches(d, status=status, partner_id=partner_id, doc_type=doc_type, reference=reference)]
        found.sort(key=lambda d: (d.sent_at, d.document_id), reverse=True)
        return [copy.deepcopy(d) for d in found[:limit]]

    def publish(self) -> None:
        self.committed.update(self.pending)


class _Sequences:
    def __init__(self, committed: dict[str, int]) -> None:
        self.committed = committed
        self.pending: dict[str, int] = {}

    def next(self, name: str) -> int:
        value = self.pending.get(name, self.committed.get(name, 0)) + 1
        self.pending[name] = value
        return value

    def next_id(self, name: str) -> int:
        # Taken at once, outside the transaction: a rolled-back id is lost, as it
        # may be on PostgreSQL, so no caller can come to rely on ids without gaps.
        value = self.committed[name] = self.committed.get(name, 0) + 1
        return value


class _Timers:
    """Timers in a dict by id; schedules and cancels staged until commit."""

    def __init__(self, committed: dict[str, Timer]) -> None:
        self.committed = committed
        self.pending: dict[str, Timer | None] = {}  # None: cancel
        self.new: dict[str, Timer] = {}
        self.fired_now: dict[str, Timer] = {}

    def schedule(self, timer: Timer) -> None:
        self.pending[timer.timer_id] = dataclasses.replace(timer, state=TimerState.SCHEDULED, fired_at=None)

    def schedule_new(self, timer: Timer) -> None:
        self.new[timer.timer_id] = dataclasses.replace(timer, state=TimerState.SCHEDULED, fired_at=None)

    def cancel(self, timer_id: str) -> None:
        self.pending[timer_id] = None

    def claim(self, now: datetime, limit: int = 500, after: TimerKey | None = None) -> list[Timer]:
        due = [t for t in self.committed.values()
               if t.state is TimerState.SCHEDULED and t.due_at <= now and t.timer_id not in self.fired_now
               and (after is None or (t.due_at, t.timer_id) > after)]
        return sorted(due, key=lambda t: (t.due_at, t.timer_id))[:limit]

    def fired(self, timer_ids: Sequence[str], at: datetime) -> None:
        for i in timer_ids:
            t = self.committed.get(i)
            if t is None or t.state is not TimerState.SCHEDULED or i in self.fired_now:
                raise ConcurrencyConflict(f"timer {i} is no longer scheduled")
            self.fired_now[i] = dataclasses.replace(t, state=TimerState.FIRED, fired_at=at)

    def next_due(self) -> datetime | None:
        due = (t.due_at for t in self.committed.values() if t.state is TimerState.SCHEDULED)
        return min(due, default=None)

    def get(self, timer_id: str) -> Timer | None:
        return self.committed.get(timer_id)

    def publish(self) -> None:
        self.committed.update(self.fired_now)
        for i, added in self.new.items():
            if i not in self.committed and i not in self.pending:
                self.committed[i] = added
        for i, t in self.pending.items():
            if t is not None:
                self.committed[i] = t
            else:
                old = self.committed.get(i)
                if old is not None and old.state is TimerState.SCHEDULED:
                    self.committed[i] = dataclasses.replace(old, state=TimerState.CANCELLED)


class MemoryUnitOfWork:
    """Implements ``o2c.engine.ports.UnitOfWork`` over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._begin()

    def _begin(self) -> None:
        s = self.store
        self.master = _Master(s)
        self.orders = _Orders(s.orders)
        self.invoices = _Invoices(s.invoices)
        self.invoices.accounts = s.accounts
        self.accounts = _Accounts(s.accounts)
        self.payments = _Payments(s.payments)
        self.disputes = _Disputes(s.disputes)
        self.stock = _Stock(s.stock)
        self.events = _Events(s.events)
        self.inbox = _Inbox(s.inbox)
        self.dead_letters = _DeadLetters(s.dead_letters)
        self.outbox = _Outbox(s.outbox)
        self.sequences = _Sequences(s.sequences)
        self.audit = MemoryAudit(s.audit, lambda: datetime.now(UTC))
        self.timers = _Timers(s.timers)
        self.documents = _Documents(s.documents)

    def prefetch(
        self,
        *,
        orders: Iterable[str] = (),
        invoices: Iterable[str] = (),
        accounts: Iterable[str] = (),
        purchase_orders: Iterable[tuple[str, str]] = (),
        products: Iterable[str] = (),
        holds_of: Iterable[str] = (),
        customers: Iterable[str] = (),
        agreements: Iterable[str] = (),
        agreements_for: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Nothing to load ahead in memory."""

    def __enter__(self) -> MemoryUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        s = self.store
        for repo in (self.orders, self.invoices, self.accounts, self.payments, self.disputes):
            repo.publish()
        self.stock.publish()
        s.events.extend(self.events.pending)
        s.inbox.update(self.inbox.pending)
        s.dead_letters.update(self.dead_letters.pending)
        self.outbox.publish()
        s.sequences.update(self.sequences.pending)
        self.audit.publish()
        self.timers.publish()
        self.documents.publish()
        self._begin()

    def rollback(self) -> None:
        self._begin()
