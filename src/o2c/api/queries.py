"""Read-only queries the routes need, each in its own short unit of work.

Reads on a SQL store go through :func:`o2c.store.database.reading`, so they never wait
for a writer. The inbox lookup is not on the ``Inbox`` port (the engine never needs it), so
it reads the store directly, the way :mod:`o2c.analytics.source` does, and
works on the in-memory and the SQL store alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from o2c.domain.billing import Invoice
from o2c.domain.disputes import Dispute
from o2c.domain.orders import Order
from o2c.domain.payments import Payment
from o2c.engine.ports import DeadLetter
from o2c.store.memory import as_memory_store
from o2c.store.port import Store


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxRecord:
    """An inbound message as stored: its latest status and the order (or account) it touched."""

    kind: str
    body: str
    status: str
    correlation_id: str | None


def inbox_record(store: Store, source: str, source_message_id: str) -> InboxRecord | None:
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import select

        from o2c.store.database import reading
        from o2c.store.tables import inbox

        with reading(engine) as c:
            row = c.execute(
                select(inbox.c.kind, inbox.c.body, inbox.c.status, inbox.c.correlation_id).where(
                    inbox.c.source == source, inbox.c.source_message_id == source_message_id
                )
            ).first()
        return (
            None
            if row is None
            else InboxRecord(kind=row[0], body=row[1], status=row[2], correlation_id=row[3])
        )
    found = as_memory_store(store).inbox.get((source, source_message_id))
    if found is None:
        return None
    m = found["message"]
    return InboxRecord(
        kind=m.kind, body=m.body, status=found["status"], correlation_id=found["correlation_id"]
    )


def order(store: Store, order_id: str) -> Order | None:
    """The order as last committed. On SQL it is read without a unit of work, which on SQLite
    would wait for the write lock, as long as the writer applies an order of 10,000 lines."""
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import select

        from o2c.store.codec import load
        from o2c.store.database import reading
        from o2c.store.tables import orders

        with reading(engine) as c:
            doc = c.execute(select(orders.c.doc).where(orders.c.order_id == order_id)).scalar_one_or_none()
        return None if doc is None else load(Order, doc)
    with store.unit_of_work() as uow:
        return uow.orders.get(order_id)


def payment(store: Store, payment_id: str) -> Payment | None:
    """The payment as last committed (read like :func:`order`)."""
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import select

        from o2c.store.codec import load
        from o2c.store.database import reading
        from o2c.store.tables import payments

        with reading(engine) as c:
            q = select(payments.c.doc).where(payments.c.payment_id == payment_id)
            doc = c.execute(q).scalar_one_or_none()
        return None if doc is None else load(Payment, doc)
    with store.unit_of_work() as uow:
        return uow.payments.get(payment_id)


def waiting_payments(store: Store, limit: int) -> list[Payment]:
    """The cash application queue: payments with cash waiting for a person, oldest first."""
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import select, true

        from o2c.store.codec import load
        from o2c.store.database import reading
        from o2c.store.tables import payments

        q = (select(payments.c.doc).where(payments.c.waiting == true())
             .order_by(payments.c.received_at, payments.c.payment_id).limit(limit))
        with reading(engine) as c:
            return [load(Payment, doc) for doc in c.execute(q).scalars()]
    with store.unit_of_work() as uow:
        return [p for k in uow.payments.waiting(limit) if (p := uow.payments.get(k)) is not None]


def invoice(store: Store, invoice_id: str) -> Invoice | None:
    with store.unit_of_work() as uow:
        return uow.invoices.get(invoice_id)


def customer_entity(store: Store, customer_id: str) -> str | None:
    """The legal entity of an account (None: unknown)."""
    with store.unit_of_work() as uow:
        c = uow.master.customer(customer_id)
    return c.legal_entity_id if c is not None else None


def dead_letter(store: Store, dead_letter_id: str) -> DeadLetter | None:
    with store.unit_of_work() as uow:
        return uow.dead_letters.get(dead_letter_id)


def open_dead_letters(store: Store) -> list[DeadLetter]:
    with store.unit_of_work() as uow:
        return uow.dead_letters.open()


def latest_dead_letter(store: Store, source: str, source_message_id: str) -> DeadLetter | None:
    """The open dead letter of one inbound message (a replay that failed parks it again,
    under a new id: the newest open one is the one to act on)."""
    mine = [
        d for d in open_dead_letters(store) if (d.source, d.source_message_id) == (source, source_message_id)
    ]
    return mine[-1] if mine else None


# ---------------------------------------------------------------- disputes


def dispute(store: Store, dispute_id: str) -> Dispute | None:
    """A dispute case as last committed (read like :func:`order`)."""
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import select

        from o2c.store.codec import load
        from o2c.store.database import reading
        from o2c.store.tables import disputes as table

        with reading(engine) as c:
            doc = c.execute(select(table.c.doc).where(table.c.dispute_id == dispute_id)).scalar_one_or_none()
        return None if doc is None else load(Dispute, doc)
    with store.unit_of_work() as uow:
        return uow.disputes.get(dispute_id)


def disputes(store: Store, *, status: str | None = None, waits_on: str | None = None,
             customer_id: str | None = None, invoice_id: str | None = None,
             entities: frozenset[str] | None = None, limit: int = 100) -> list[Dispute]:
    """Dispute cases, oldest first: of a status (``open`` also takes the escalated ones), of
    the role they wait on, of an account or an invoice, of the legal entities named (None:
    all)."""
    statuses = ("open", "escalated") if status == "open" else (status,) if status else None
    if (engine := store.sql_engine) is not None:
        from sqlalchemy import select

        from o2c.store.codec import load
        from o2c.store.database import reading
        from o2c.store.tables import disputes as table

        q = select(table.c.doc)
        if statuses is not None:
            q = q.where(table.c.status.in_(statuses))
        if waits_on:
            q = q.where(table.c.owner_role == waits_on)
        if customer_id:
            q = q.where(table.c.customer_id == customer_id)
        if invoice_id:
            q = q.where(table.c.invoice_id == invoice_id)
        if entities is not None:
            q = q.where(table.c.legal_entity_id.in_(sorted(entities)))
        q = q.order_by(table.c.opened_at, table.c.dispute_id).limit(limit)
        with reading(engine) as c:
            return [load(Dispute, doc) for doc in c.execute(q).scalars()]
    found = [d for d in as_memory_store(store).disputes.values()
             if (statuses is None or d.status.value in statuses) and (not waits_on or d.waits_on == waits_on)
             and (not customer_id or d.customer_id == customer_id)
             and (not invoice_id or d.invoice_id == invoice_id)
             and (entities is None or d.legal_entity_id in entities)]
    return sorted(found, key=lambda d: (d.opened_at, d.dispute_id))[:limit]
