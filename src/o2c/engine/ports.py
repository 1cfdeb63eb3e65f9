"""Ports: what the engine needs from the outside world, as Protocols.

Every adapter (memory, SQLite, PostgreSQL) passes the same contract suite in
``tests/contract``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from o2c.domain.actors import Actor
from o2c.domain.audit import AuditEntry, AuditHead, AuditRecord
from o2c.domain.billing import Invoice
from o2c.domain.collections import Aging, WorklistEntry
from o2c.domain.disputes import Dispute
from o2c.domain.documents import SentDocument
from o2c.domain.events import Envelope
from o2c.domain.inventory import StockPosition
from o2c.domain.master import Customer, LegalEntity, PriceAgreement, Product, TaxRate, Warehouse
from o2c.domain.orders import Order
from o2c.domain.payments import Payment
from o2c.domain.receivables import Account
from o2c.domain.timers import Timer, TimerKey


class Clock(Protocol):
    """Business time. The core never reads the wall clock itself."""

    def now(self) -> datetime: ...


class Ids(Protocol):
    """Unique identifiers (event ids, hold ids). Deterministic in simulations."""

    def new(self, prefix: str) -> str: ...


class MasterData(Protocol):
    """Read access to master data. Writers are the store's own."""

    def legal_entity(self, entity_id: str) -> LegalEntity | None: ...
    def customer(self, customer_id: str) -> Customer | None: ...
    def product(self, product_id: str) -> Product | None: ...
    def warehouse(self, warehouse_id: str) -> Warehouse | None: ...
    def warehouses(self, legal_entity_id: str) -> list[Warehouse]: ...
    def price_agreement(self, customer: Customer, product_id: str, day: date) -> PriceAgreement | None:
        """The agreement that prices ``product_id`` for ``customer`` on ``day``: its own, else
        its group's (:func:`o2c.domain.master.agreement_for`)."""
        ...

    def agreements(self, customer_id: str, product_id: str) -> list[PriceAgreement]:
        """Every agreement filed under the account ``customer_id`` for ``product_id`` (its own
        and the group price lists it heads), by id."""
        ...

    def agreement(self, agreement_id: str) -> PriceAgreement | None: ...
    def group(self, parent_id: str) -> tuple[str, ...]:
        """The accounts of the group ``parent_id`` heads: itself and its children, by id."""
        ...

    def add_legal_entity(self, e: LegalEntity) -> None: ...
    def add_warehouse(self, w: Warehouse) -> None: ...
    def add_customer(self, c: Customer) -> None: ...
    def add_product(self, p: Product) -> None: ...
    def add_price_agreement(self, a: PriceAgreement) -> None: ...
    def tax_rates(self, country: str) -> list[TaxRate]:
        """Every tax rate of ``country`` (any region, class and validity), by id."""
        ...

    def tax_rate(self, rate_id: str) -> TaxRate | None: ...
    def add_tax_rate(self, r: TaxRate) -> None: ...


class OrderRepository(Protocol):
    """Current state of orders (a read model folded from the event log).

    ``get`` returns the live object of this unit of work; changes to it are
    saved at commit. ``find_by_po`` and ``backordered`` see orders added or
    changed earlier in the same unit of work.
    """

    def get(self, order_id: str) -> Order | None: ...
    def add(self, order: Order) -> None: ...
    def find_by_po(self, customer_id: str, po_number: str) -> str | None: ...
    def backordered(self, product_id: str) -> list[str]: ...
    def held_for(self, customer_ids: Iterable[str]) -> list[str]:
        """Ids of these customers' orders with an open hold, sorted."""
        ...
    def po_numbers(self, order_ids: Iterable[str]) -> dict[str, str]:
        """The purchase order number of each of these orders that exists (this unit of work's
        too), without loading the orders."""
        ...
    def held(self, limit: int = 1000, after: str = "") -> list[str]:
        """Ids of orders with an open hold (committed state), oldest first: at most ``limit``,
        those after ``after`` (the last id of the page before)."""
        ...
    def waiting_for_item(self, product_id: str) -> list[str]:
        """Ids of orders with an open VAL-ITEM-UNKNOWN or VAL-UOM-INVALID hold and a line of
        ``product_id`` (what a new or changed product may unblock), sorted."""
        ...
    def not_invoiced_for(self, customer_id: str) -> list[str]:
        """Ids of the customer's orders that may have a shipment not invoiced yet (neither
        invoiced, paid, closed nor rejected), sorted: where a consolidated window's close
        finds the shipments waiting for it."""
        ...


class InvoiceRepository(Protocol):
    def get(self, invoice_id: str) -> Invoice | None: ...
    def add(self, invoice: Invoice) -> None: ...

    # -- collections (committed state; :mod:`o2c.domain.collections` defines the figures)

    def past_due(self, legal_entity_id: str, as_of: date, limit: int = 100_000) -> list[str]:
        """Ids of the entity's open invoices due before ``as_of``, oldest due first."""
        ...
    def aging(self, as_of: Mapping[str, date], default: date,
              legal_entity_id: str | None = None) -> list[Aging]:
        """Open AR per account (customer, entity, currency) by aging bucket, ``as_of`` the
        business date of each entity (``default`` for one not named); sorted by key."""
        ...
    def worklist(self, as_of: Mapping[str, date], default: date, limit: int = 100,
                 legal_entity_id: str | None = None) -> list[WorklistEntry]:
        """The first ``limit`` accounts of the collector's worklist (its order and figures:
        :func:`o2c.domain.collections.worklist`)."""
        ...


class PaymentRepository(Protocol):
    def get(self, payment_id: str) -> Payment | None: ...
    def add(self, payment: Payment) -> None: ...
    def waiting(self, limit: int = 500) -> list[str]:
        """Ids of payments with cash waiting for a person (committed state), oldest first."""
        ...
    def paid_from(self, payer_account: str) -> list[str]:
        """The accounts (customer ids, sorted) that earlier payments from the bank account
        ``payer_account`` were known to come from (this unit of work's too)."""
        ...


class DisputeRepository(Protocol):
    """Dispute cases (the ``disputes`` read model)."""

    def get(self, dispute_id: str) -> Dispute | None: ...
    def add(self, dispute: Dispute) -> None: ...
    def open(self, limit: int = 500) -> list[str]:
        """Ids of cases still open (open or escalated; committed state), oldest first."""
        ...


class AccountRepository(Protocol):
    def get(self, customer_id: str) -> Account | None: ...
    def add(self, account: Account) -> None: ...


class ConcurrencyConflict(RuntimeError):
    """Another transaction changed or created the same row first (stale
    version, duplicate key). The whole unit of work was rolled back; retrying
    it with fresh state is safe."""


class InsufficientStock(Exception):
    """A conditional reservation lost: another order took the stock first."""


#: One stock change: (warehouse_id, product_id, lot_id, quantity).
StockLine = tuple[str, str, str, Decimal]


class StockRepository(Protocol):
    """Stock per (warehouse, product, lot). ``reserve`` is an atomic
    conditional update (never read-then-write), so concurrent workers cannot
    oversell; it returns False and changes nothing when ATP is short."""

    def positions(self, product_ids: Iterable[str]) -> list[StockPosition]: ...
    def reserve(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> bool: ...
    def unreserve(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> None: ...
    def receive(self, warehouse_id: str, product_id: str, lot_id: str,
                expiry: date | None, qty: Decimal) -> None: ...
    def ship(self, warehouse_id: str, product_id: str, lot_id: str, qty: Decimal) -> None: ...

    def reserve_all(self, lines: Sequence[StockLine]) -> bool:
        """Reserve every line or none (all-or-nothing, atomic per row like
        ``reserve``; lines with the same key add up). False, with nothing
        changed, when any line's ATP is short."""
        ...

    def ship_all(self, lines: Sequence[StockLine]) -> None:
        """Ship every line or none (like ``ship``; lines with the same key add
        up); ValueError, with nothing changed, if any line is not reserved."""
        ...

    def adjust(self, warehouse_id: str, product_id: str, lot_id: str,
               expiry: date | None, delta: Decimal) -> bool:
        """Correct on-hand by ``delta`` (a count differed), as one atomic
        conditional update: a positive delta adds (creating the lot's row, with
        ``expiry``, if there is none); a negative one takes off only while
        ``on_hand + delta >= reserved`` holds at that instant. False, with nothing
        changed, when it would take on-hand below reserved (or the row is missing)."""
        ...


class EventLog(Protocol):
    """The append-only log: the audit trail, the trace and the replay source."""

    def append(self, envelopes: Sequence[Envelope]) -> None: ...
    def for_correlation(self, correlation_id: str) -> list[Envelope]: ...
    def all(self, batch_size: int = 5000) -> Iterable[Envelope]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """A message from a channel or source system, as received (before parsing)."""

    source: str
    source_message_id: str
    kind: str
    received_at: datetime
    body: str
    content_type: str = "application/json"
    #: ``source:source_message_id`` of the raw document (an X12 interchange, a CSV
    #: file) this message was split out of; None for a message received on its own.
    document: str | None = None
    #: who sent it (a person, an API key); None: the source system itself
    actor: Actor | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    dead_letter_id: str
    source: str
    source_message_id: str
    kind: str
    code: str
    reason: str
    failed_at: datetime
    body: str
    status: str = "open"
    #: set while the message waits for something to arrive first (a POD before
    #: its shipment): the runtime applies it again as soon as that happens
    waiting_for: str | None = None
    #: who sent the message (None: the source system itself); replayed as stored, it acts as them
    actor: Actor | None = None


class Inbox(Protocol):
    """Every inbound message is stored here before it is processed;
    ``(source, source_message_id)`` is unique."""

    def seen(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]: ...
    def add(self, message: InboundMessage, correlation_id: str | None) -> None: ...
    def mark(self, source: str, source_message_id: str, status: str,
             correlation_id: str | None) -> None: ...
    def status(self, source: str, source_message_id: str) -> str | None:
        """The stored status (``received`` until its outcome is marked), or None
        if the inbox does not hold the message. A raw document still ``received``
        after a commit was stored but not finished: an interrupted run."""
        ...
    def unfinished(self) -> list[InboundMessage]:
        """Raw documents stored but not finished, oldest first."""
        ...


class DeadLetters(Protocol):
    """Messages that could not be applied, whole, with a reason a person can act on."""

    def add(self, letter: DeadLetter) -> None: ...
    def get(self, dead_letter_id: str) -> DeadLetter | None: ...
    def open(self) -> list[DeadLetter]: ...
    def close(self, dead_letter_id: str, status: str) -> None: ...
    def waiting_for(self, keys: Iterable[str]) -> list[DeadLetter]:
        """Open letters parked until one of ``keys`` happened, oldest first."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    outbox_id: int
    kind: str
    destination: str
    correlation_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """An outbound message about to be staged in the outbox."""

    kind: str
    destination: str
    correlation_id: str
    payload: dict[str, Any]


class OutboundRenderer(Protocol):
    """Renders what o2c sends in the form a channel needs, in the transaction that stages it:
    an order acknowledgment as an X12 855 for a buyer on EDI, an invoice as an 810.

    Returns the messages to stage instead of ``out``: ``[out]`` leaves it as it is, more
    messages add renderings beside it, a changed copy replaces it (an interchange numbered in
    the partner's sequence). ``cause`` is the event ``out`` answers; None for what a document
    calls for (its 997s). Renderers read state through ``uow`` and never raise for data they
    cannot render: they leave the message as it is.
    """

    def __call__(self, uow: UnitOfWork, out: Outgoing, cause: Envelope | None) -> Sequence[Outgoing]: ...


class Outbox(Protocol):
    """Outbound messages, written in the same transaction as the state change
    and sent after commit by a relay that reads ``pending`` and marks them sent
    (at least once: receivers deduplicate by ``outbox_id``)."""

    def put(self, kind: str, destination: str, correlation_id: str, payload: dict[str, Any]) -> None: ...
    def pending(self, limit: int = 1000) -> list[OutboundMessage]: ...
    def mark_sent(self, outbox_ids: Sequence[int], at: datetime) -> None: ...


class Sequences(Protocol):
    """Counters of two kinds; the caller says which by the method it calls, and
    a name is one kind for its whole life.

    ``next``: **gapless** numbers (invoice and credit-memo numbers per legal
    entity, X12 control numbers per partner), a legal or protocol requirement.
    Committed numbers of a name are 1, 2, 3, … with no gap and no repeat; a
    number taken by a transaction that rolls back is given out again. Two
    writers taking numbers of one name at once cannot both commit: one commit
    fails with :class:`ConcurrencyConflict` and is run again.

    ``next_id``: **ids** (orders, dead letters, disputes): unique and
    increasing within one writer, starting at 1, but gaps are allowed (an id
    of a rolled-back transaction may be lost) and writers never wait for one
    another to take one.
    """

    def next(self, name: str) -> int: ...
    def next_id(self, name: str) -> int: ...


class AuditLog(Protocol):
    """The append-only audit of changes made by people, API keys and o2c's own
    decisions, as a hash chain (:mod:`o2c.domain.audit`).

    ``record`` adds an entry to this transaction; at commit the store seals the
    transaction's entries after the chain's head, in the order recorded, and stores
    them with the new head. Sealing takes the chain's one lock as late as it can (just
    before the commit), so concurrent writers append one after the other: the chain has
    one order. A transaction that rolls back leaves no entry and no gap. The reads see
    committed entries only.
    """

    def record(self, entry: AuditEntry) -> None: ...
    def head(self) -> AuditHead | None:
        """The last entry as o2c recorded it (None: nothing was ever audited)."""
        ...
    def entries(self, after: int = 0, limit: int = 1000) -> list[AuditRecord]:
        """Up to ``limit`` entries numbered above ``after``, in chain order."""
        ...
    def find(self, *, subject: tuple[str, str] | None = None, person: str | None = None,
             limit: int = 1000) -> list[AuditRecord]:
        """Entries about ``subject`` (kind, id), or by, on behalf of or about the user
        ``person``: the latest ``limit`` of them, in chain order."""
        ...


class Timers(Protocol):
    """Durable timers (:mod:`o2c.domain.timers`): what o2c must look at again at a
    business time. Written in the transaction of the event that sets them.

    ``schedule`` adds a timer, or re-arms the one with the same id (new due time and
    payload, scheduled again); ``cancel`` drops a scheduled one (nothing if there is
    none). Both take effect at commit. ``claim`` returns committed timers still
    scheduled and due at or before ``now``, earliest first, at most ``limit``, and
    keeps them for this unit of work: on PostgreSQL the rows are locked and other
    workers skip them (``FOR UPDATE SKIP LOCKED``). ``fired`` marks claimed timers
    fired; if one is no longer scheduled (another writer fired or cancelled it
    first) it raises :class:`ConcurrencyConflict` and the unit of work is rolled
    back, so each timer fires exactly once.
    """

    def schedule(self, timer: Timer) -> None: ...
    def schedule_new(self, timer: Timer) -> None:
        """Add ``timer`` at commit unless a timer with its id exists then, in any state (and
        unless this unit of work schedules or cancels that id): what sets up the timers of
        work that existed before timers did, without ever re-arming one."""
        ...
    def cancel(self, timer_id: str) -> None: ...
    def claim(self, now: datetime, limit: int = 500, after: TimerKey | None = None) -> list[Timer]:
        """... (see the class); with ``after``, only timers ordered after that (due_at, timer_id):
        a caller claiming batch after batch passes the last one it claimed, so a batch does not
        read again past the index entries of timers fired before it."""
        ...
    def fired(self, timer_ids: Sequence[str], at: datetime) -> None: ...
    def next_due(self) -> datetime | None:
        """When the earliest committed, scheduled timer is due (None: there is none)."""
        ...
    def get(self, timer_id: str) -> Timer | None:
        """A committed timer, in any state."""
        ...


class SentDocuments(Protocol):
    """The ledger of documents o2c sent (:mod:`o2c.domain.documents`), written in the
    transaction that stages them in the outbox. ``add`` takes a new or changed document (the
    store writes it at commit); reads see this transaction's documents, then committed ones."""

    def add(self, doc: SentDocument) -> None: ...
    def get(self, document_id: str) -> SentDocument | None: ...
    def find(self, partner_id: str, group_control_number: str,
             set_control_number: str | None = None) -> list[SentDocument]:
        """The documents sent to ``partner_id`` in group GS06 ``group_control_number`` (and
        with ST02 ``set_control_number`` when given); control numbers compare as numbers."""
        ...
    def search(self, *, status: str | None = None, partner_id: str | None = None,
               doc_type: str | None = None, reference: str | None = None,
               limit: int = 200) -> list[SentDocument]:
        """Committed documents, newest first, filtered by status, partner, set id and the
        order, invoice or shipment they carry."""
        ...


class UnitOfWork(Protocol):
    """One atomic transaction over every port. The ports are read-only members
    so that a store may hand out its own richer types for them."""

    @property
    def master(self) -> MasterData: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def invoices(self) -> InvoiceRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...
    @property
    def disputes(self) -> DisputeRepository: ...
    @property
    def stock(self) -> StockRepository: ...
    @property
    def events(self) -> EventLog: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def dead_letters(self) -> DeadLetters: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def sequences(self) -> Sequences: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def timers(self) -> Timers: ...
    @property
    def documents(self) -> SentDocuments: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object, /) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...

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
        """Load what a batch is about to read in a few queries instead of one
        per message. Purely an optimisation (a store may do nothing): reads
        answer the same with or without it."""
        ...
