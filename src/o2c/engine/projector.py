"""The projector: the one place where events change current state.

The live path and a rebuild from the log both call :func:`project`, so the
read models are a pure fold of the log by construction.
"""

from __future__ import annotations

from datetime import datetime

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.disputes import Dispute
from o2c.domain.documents import apply_document
from o2c.domain.orders import Order
from o2c.domain.payments import Payment
from o2c.domain.receivables import Account
from o2c.engine.ports import InsufficientStock, UnitOfWork


def _order(uow: UnitOfWork, order_id: str) -> Order:
    o = uow.orders.get(order_id)
    if o is None:
        raise LookupError(f"event for unknown order {order_id}")
    return o


def _account(uow: UnitOfWork, customer_id: str, currency: str) -> Account:
    a = uow.accounts.get(customer_id)
    if a is None:
        a = Account(customer_id=customer_id, currency=currency)
        uow.accounts.add(a)
    return a


def _invoice(uow: UnitOfWork, invoice_id: str) -> Invoice:
    i = uow.invoices.get(invoice_id)
    if i is None:
        raise LookupError(f"event for unknown invoice {invoice_id}")
    return i


def _payment(uow: UnitOfWork, payment_id: str) -> Payment:
    p = uow.payments.get(payment_id)
    if p is None:
        raise LookupError(f"event for unknown payment {payment_id}")
    return p


def _dispute(uow: UnitOfWork, dispute_id: str, at: datetime, e: ev.Event) -> None:
    """A case changes; one opened before cases were kept (no row) is left as it was."""
    d = uow.disputes.get(dispute_id)
    if d is not None:
        d.apply(e, at)


def _reserve(uow: UnitOfWork, e: ev.StockAllocated) -> None:
    lines = [(a.warehouse_id, a.product_id, a.lot_id, a.quantity) for a in e.allocations]
    if not uow.stock.reserve_all(lines):
        what = ", ".join(f"{w}/{p}/{lot}: {q}" for w, p, lot, q in lines)
        raise InsufficientStock(f"{what} no longer all available")


def project(env: ev.Envelope, uow: UnitOfWork) -> None:
    """Apply one event to every read model it touches.

    Raises :class:`InsufficientStock` (having changed nothing) when a
    ``StockAllocated`` can no longer be reserved.
    """
    e, at = env.payload, env.occurred_at
    match e:
        case ev.OrderReceived():
            uow.orders.add(Order.start(e, at))
        case ev.StockAllocated():
            _reserve(uow, e)
            _order(uow, e.order_id).apply(e, at)
        case ev.AllocationCancelled():
            for a in e.allocations:
                uow.stock.unreserve(a.warehouse_id, a.product_id, a.lot_id, a.quantity)
            o = _order(uow, e.order_id)
            o.apply(e, at)
            _account(uow, e.customer_id, o.currency).apply(e)
        case ev.OrderReleased():
            o = _order(uow, e.order_id)
            o.apply(e, at)
            _account(uow, e.customer_id, o.currency).apply(e)
        case ev.ShipmentConfirmed():
            uow.stock.ship_all([(s.warehouse_id, s.product_id, s.lot_id, s.quantity) for s in e.lines])
            _order(uow, e.order_id).apply(e, at)
        case ev.InvoiceIssued():
            uow.invoices.add(Invoice.start(e))
            for order_id in e.order_ids:  # a consolidated invoice bills several orders
                _order(uow, order_id).apply(e, at)
            _account(uow, e.customer_id, e.total.currency).apply(e)
        case ev.InvoicePaid():
            _invoice(uow, e.invoice_id).apply(e)
            for order_id in e.order_ids:
                _order(uow, order_id).apply(e, at)
        case ev.CreditMemoIssued():
            _invoice(uow, e.invoice_id).apply(e)
            _account(uow, e.customer_id, e.amount.currency).apply(e)
        case ev.PaymentApplied():
            _invoice(uow, e.invoice_id).apply(e)
            _account(uow, e.customer_id, e.amount.currency).apply(e)
            _payment(uow, e.payment_id).apply(e)
        case ev.PaymentUnapplied():
            inv = _invoice(uow, e.invoice_id)
            inv.apply(e)
            reopened = _account(uow, e.customer_id, e.amount.currency)
            reopened.apply(e)
            reopened.reopen(inv.invoice_id, inv.order_id, inv.due_date, inv.open_amount, inv.discount,
                           inv.discount_date)
            _payment(uow, e.payment_id).apply(e)
            for order_id in inv.orders if e.order_id else ():
                _order(uow, order_id).apply(e, at)
        case ev.PaymentReceived():
            uow.payments.add(Payment.start(e, at))
            if e.customer_id:  # a payer not yet identified has no account: the payment waits in the queue
                _account(uow, e.customer_id, e.amount.currency).apply(e)
        case ev.CashUnapplied() | ev.CashOnAccount() | ev.PayerIdentified():
            _payment(uow, e.payment_id).apply(e)
            if e.customer_id:
                _account(uow, e.customer_id, e.amount.currency).apply(e)
        # ---- disputes: the account's open disputes, and the case read model
        case ev.DisputeOpened():
            _account(uow, e.customer_id, e.amount.currency).apply(e)
            disputed = uow.invoices.get(e.invoice_id) if e.invoice_id else None
            uow.disputes.add(Dispute.start(e, at, disputed.order_id if disputed is not None else ""))
        case ev.DisputeResolved():
            account = uow.accounts.get(e.customer_id)
            if account is not None:
                account.apply(e)
            _dispute(uow, e.dispute_id, at, e)
        case ev.DisputeEscalated() | ev.DisputeEvidenceAttached():
            _dispute(uow, e.dispute_id, at, e)
        case ev.ReceivableWrittenOff():
            _invoice(uow, e.invoice_id).apply(e)
            _account(uow, e.customer_id, e.amount.currency).apply(e)
        case ev.StockReceived():
            uow.stock.receive(e.warehouse_id, e.product_id, e.lot_id, e.expiry, e.quantity)
        case ev.StockAdjusted():
            if not uow.stock.adjust(e.warehouse_id, e.product_id, e.lot_id, e.expiry, e.delta):
                raise InsufficientStock(f"{e.warehouse_id}/{e.product_id}/{e.lot_id}: on-hand can no "
                                        f"longer go down by {-e.delta} without taking reserved units")
        case ev.CustomerChanged():
            uow.master.add_customer(e.customer)
        case ev.ProductChanged():
            uow.master.add_product(e.product)
        case ev.LegalEntityChanged():
            uow.master.add_legal_entity(e.entity)
        case ev.WarehouseChanged():
            uow.master.add_warehouse(e.warehouse)
        case ev.PriceAgreementChanged():
            uow.master.add_price_agreement(e.agreement)
        case ev.TaxRateChanged():
            uow.master.add_tax_rate(e.rate)
        case ev.OrderEvent():
            _order(uow, e.order_id).apply(e, at)  # type: ignore[attr-defined]
        case ev.DocumentEvent():
            # The ledger's rows are written when a document is staged (like the outbox), so a
            # rebuild from the log finds none to change: nothing to do then.
            doc = uow.documents.get(e.document_id)  # type: ignore[attr-defined]
            if doc is not None:
                apply_document(doc, e, at)
                uow.documents.add(doc)
        case _:
            pass
    if isinstance(e, _COLLECTIONS):
        _collections(e, uow)


# ---------------------------------------------------------------- collections

#: events that change collections' state: an invoice's disputed amount and dunning steps,
#: an account's promises to pay
_COLLECTIONS = (ev.DisputeOpened, ev.DisputeResolved, ev.DunningNoticeSent, ev.PromiseToPayRecorded,
                ev.PromiseKept, ev.PromiseBroken)


def _collections(e: ev.Event, uow: UnitOfWork) -> None:
    match e:
        case ev.DisputeOpened() | ev.DisputeResolved() | ev.DunningNoticeSent():
            inv = uow.invoices.get(e.invoice_id)
            if inv is not None:  # a dispute on an invoice o2c did not issue has nothing to age
                inv.apply(e)
        case ev.PromiseToPayRecorded() | ev.PromiseKept() | ev.PromiseBroken():
            account = uow.accounts.get(e.customer_id)
            if account is not None:
                account.apply(e)


def correlation_of(e: ev.Event) -> str:
    """The order for order-related events, the customer account for cash,
    the stock key for inventory."""
    order_id = getattr(e, "order_id", None)
    if order_id:
        return str(order_id)
    customer_id = getattr(e, "customer_id", None)
    if customer_id:
        return f"account:{customer_id}"
    payment_id = getattr(e, "payment_id", None)
    if payment_id:
        return f"payment:{payment_id}"  # cash from a payer not identified yet
    return f"{e.entity_type}:{e.entity_id}"
