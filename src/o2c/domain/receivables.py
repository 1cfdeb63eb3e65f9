"""Customer accounts: open AR, credit exposure, cash on account.

Invariant: open AR = invoiced − credit memos − applied cash − discounts taken − write-offs.
Open disputes (deductions) are part of open AR; ``disputed`` says how much of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from o2c.domain import events as ev
from o2c.domain.collections import Promise, PromiseStanding, risk_factor


@dataclass(slots=True, kw_only=True)
class OpenItem:
    invoice_id: str
    order_id: str
    due_date: date
    open_amount: Decimal
    #: the early-payment discount its terms allow, and until when (cash matching reads them)
    discount: Decimal = Decimal(0)
    discount_date: date | None = None
    #: every order the invoice bills (``order_id`` is the first); empty in items stored before
    order_ids: tuple[str, ...] = ()


@dataclass(slots=True, kw_only=True)
class OpenDispute:
    """Part of an invoice the customer contests (a deduction), until it is resolved."""

    dispute_id: str
    invoice_id: str
    reason: str
    amount: Decimal


@dataclass(slots=True, kw_only=True)
class Account:
    customer_id: str
    currency: str
    invoiced: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    applied: Decimal = Decimal(0)
    discounts: Decimal = Decimal(0)
    #: what disputes' resolutions wrote off (``ReceivableWrittenOff``)
    written_off: Decimal = Decimal(0)
    uninvoiced_released: Decimal = Decimal(0)
    #: cash received that no invoice took and a person must place (CSH-UNAPPLIED)
    unapplied_cash: Decimal = Decimal(0)
    #: overpayments kept as the customer's credit (every invoice they named was paid)
    on_account: Decimal = Decimal(0)
    open_items: dict[str, OpenItem] = field(default_factory=dict)
    disputes: dict[str, OpenDispute] = field(default_factory=dict)
    version: int = 0
    #: collections: promises to pay not yet due, how many were broken, and whether the
    #: last one due was broken (the worklist puts the account first until a new promise)
    promises: dict[str, Promise] = field(default_factory=dict)
    promises_broken: int = 0
    broke_last: bool = False

    @property
    def paid(self) -> Decimal:
        """What the customer has settled: cash applied, discounts taken, credit memos."""
        return self.applied + self.discounts + self.credited

    @property
    def risk(self) -> Decimal:
        return risk_factor(self.promises_broken)

    @property
    def promise(self) -> PromiseStanding:
        if self.promises:
            return PromiseStanding.STANDING
        return PromiseStanding.BROKEN if self.broke_last else PromiseStanding.NONE

    def promised(self, invoice_id: str) -> bool:
        """Whether a standing promise covers ``invoice_id`` (dunning waits for it)."""
        return any(p.covers(invoice_id) for p in self.promises.values())

    @property
    def open_ar(self) -> Decimal:
        return self.invoiced - self.credited - self.applied - self.discounts - self.written_off

    @property
    def disputed(self) -> Decimal:
        """Open AR the customer contests (open disputes)."""
        return sum((d.amount for d in self.disputes.values()), Decimal(0))

    def disputed_on(self, invoice_id: str) -> Decimal:
        return sum((d.amount for d in self.disputes.values() if d.invoice_id == invoice_id), Decimal(0))

    def past_due(self, today: date, grace_days: int) -> tuple[Decimal, int]:
        """Amount past due beyond ``grace_days``, and the oldest item's days past due."""
        amount, oldest = Decimal(0), 0
        for item in self.open_items.values():
            late = (today - item.due_date).days
            if late > grace_days and item.open_amount > 0:
                amount += item.open_amount
                oldest = max(oldest, late)
        return amount, oldest

    def apply(self, e: ev.Event) -> None:
        match e:
            case ev.OrderReleased():
                self.uninvoiced_released += e.value.amount
            case ev.AllocationCancelled():
                self.uninvoiced_released -= e.value.amount
            case ev.InvoiceIssued():
                self.invoiced += e.total.amount
                self.uninvoiced_released -= e.subtotal.amount
                self.open_items[e.invoice_id] = OpenItem(
                    invoice_id=e.invoice_id, order_id=e.order_id, due_date=e.due_date,
                    open_amount=e.total.amount, discount=e.discount.amount, discount_date=e.discount_date,
                    order_ids=e.order_ids)
            case ev.CreditMemoIssued():
                self.credited += e.amount.amount
                self._reduce(e.invoice_id, e.amount.amount)
            case ev.ReceivableWrittenOff():
                self.written_off += e.amount.amount
                self._reduce(e.invoice_id, e.amount.amount)
            case ev.PaymentApplied():
                self.applied += e.amount.amount
                self.discounts += e.discount.amount
                if e.from_unapplied:
                    self.unapplied_cash -= e.amount.amount
                self._reduce(e.invoice_id, e.amount.amount + e.discount.amount)
            case ev.PaymentUnapplied():
                self.applied -= e.amount.amount
                self.discounts -= e.discount.amount
                self.unapplied_cash += e.amount.amount
                # the invoice's item comes back (the projector reopens it from the invoice)
            case ev.PayerIdentified():
                self.unapplied_cash += e.amount.amount
            case ev.CashUnapplied():
                self.unapplied_cash += e.amount.amount
            case ev.CashOnAccount():
                self.on_account += e.amount.amount
            case ev.DisputeOpened():
                self.disputes[e.dispute_id] = OpenDispute(
                    dispute_id=e.dispute_id, invoice_id=e.invoice_id, reason=e.reason_code,
                    amount=e.amount.amount)
            case ev.DisputeResolved():
                self.disputes.pop(e.dispute_id, None)
            case ev.PromiseToPayRecorded():
                self.promises[e.promise_id] = Promise(
                    promise_id=e.promise_id, amount=e.amount.amount, promised_date=e.promised_date,
                    invoice_ids=e.invoice_ids, paid_before=e.paid_before)
                self.broke_last = False
            case ev.PromiseKept():
                self.promises.pop(e.promise_id, None)
            case ev.PromiseBroken():
                self.promises.pop(e.promise_id, None)
                self.promises_broken += 1
                self.broke_last = True
            case _:
                return
        self.version += 1

    def reopen(self, invoice_id: str, order_id: str, due_date: date, open_amount: Decimal,
               discount: Decimal, discount_date: date | None) -> None:
        """An invoice open again (a payment unapplied from it), as it now stands."""
        self.open_items[invoice_id] = OpenItem(invoice_id=invoice_id, order_id=order_id, due_date=due_date,
                                               open_amount=open_amount, discount=discount,
                                               discount_date=discount_date)

    def _reduce(self, invoice_id: str, amount: Decimal) -> None:
        item = self.open_items.get(invoice_id)
        if item is None:
            return
        item.open_amount -= amount
        if item.open_amount <= 0:
            del self.open_items[invoice_id]
