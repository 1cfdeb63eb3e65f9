"""Invoices and credit memos.

Invariants: an invoice's total = Σ line amounts + tax, each rounded to the
currency (the tax is the sum of its tax lines by jurisdiction, :mod:`o2c.domain.tax`);
open amount = total − applied cash − discounts taken − credit memos − write-offs, and never
below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from o2c.domain import events as ev
from o2c.domain.money import quantum


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    CREDITED = "credited"


@dataclass(slots=True, kw_only=True)
class Invoice:
    invoice_id: str
    order_id: str
    customer_id: str
    legal_entity_id: str
    currency: str
    invoice_date: date
    due_date: date
    discount_date: date | None
    discount: Decimal
    total: Decimal
    applied: Decimal = Decimal(0)
    discount_taken: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)
    #: written off by a dispute's resolution (``ReceivableWrittenOff``)
    written_off: Decimal = Decimal(0)
    status: InvoiceStatus = InvoiceStatus.OPEN
    credit_memo_ids: list[str] = field(default_factory=list)
    version: int = 0
    #: every order the invoice bills (one, or several for a consolidated invoice);
    #: ``order_id`` is the first. Empty in invoices stored before: ``(order_id,)``.
    order_ids: tuple[str, ...] = ()
    #: open disputes on the invoice: dispute id -> amount (collections suppresses them)
    disputes: dict[str, Decimal] = field(default_factory=dict)
    #: the dunning steps sent for it, in order
    dunned: list[str] = field(default_factory=list)

    @property
    def disputed(self) -> Decimal:
        """The part of the open amount the customer contests (its open disputes)."""
        return sum(self.disputes.values(), Decimal(0))

    @property
    def orders(self) -> tuple[str, ...]:
        return self.order_ids or (self.order_id,)

    @property
    def open_amount(self) -> Decimal:
        return self.total - self.applied - self.discount_taken - self.credited - self.written_off

    @staticmethod
    def start(e: ev.InvoiceIssued) -> Invoice:
        return Invoice(
            invoice_id=e.invoice_id, order_id=e.order_id, customer_id=e.customer_id,
            legal_entity_id=e.legal_entity_id, currency=e.total.currency,
            invoice_date=e.invoice_date, due_date=e.due_date, discount_date=e.discount_date,
            discount=e.discount.amount, total=e.total.amount, version=1, order_ids=e.order_ids,
        )

    def apply(self, e: ev.Event) -> None:
        match e:
            case ev.PaymentApplied():
                self.applied += e.amount.amount
                self.discount_taken += e.discount.amount
            case ev.PaymentUnapplied():
                self.applied -= e.amount.amount
                self.discount_taken -= e.discount.amount
                if self.open_amount > 0:
                    self.status = InvoiceStatus.OPEN
            case ev.CreditMemoIssued():
                self.credited += e.amount.amount
                self.credit_memo_ids.append(e.credit_memo_id)
                if self.open_amount <= 0 and self.applied == 0:
                    self.status = InvoiceStatus.CREDITED
            case ev.ReceivableWrittenOff():
                self.written_off += e.amount.amount
            case ev.InvoicePaid():
                self.status = InvoiceStatus.PAID
            case ev.DisputeOpened():
                self.disputes[e.dispute_id] = e.amount.amount
            case ev.DisputeResolved():
                if self.disputes.pop(e.dispute_id, None) is None:
                    return
            case ev.DunningNoticeSent():
                self.dunned.append(e.step)
            case _:
                return
        if self.open_amount < 0:
            raise ValueError(f"invoice {self.invoice_id} would be over-applied by {-self.open_amount}")
        self.version += 1


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    return (quantity * unit_price).quantize(quantum(currency), ROUND_HALF_UP)

