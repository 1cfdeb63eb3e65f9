"""Payments: cash received, and where each part of it went.

A payment is placed on invoices (by a matching rule, or by a person), kept as the
customer's credit on account (an overpayment), or left unapplied for a person of cash
application (``CSH-UNAPPLIED``: no rule could place it with certainty, or the payer is not
identified). The cash application queue is the payments with something unapplied.

Invariant (once the events of its arrival are applied): amount = Σ applied + on account +
unapplied. A person may unapply what was applied (it returns to unapplied) and apply it
again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from o2c.domain import events as ev


@dataclass(slots=True, kw_only=True)
class Application:
    """What a payment pays on one invoice, and the discount taken there with it."""

    amount: Decimal
    discount: Decimal


@dataclass(slots=True, kw_only=True)
class Payment:
    payment_id: str
    #: empty while the payer is not identified
    customer_id: str
    currency: str
    amount: Decimal
    received_at: datetime
    method: str = ""
    payer_name: str = ""
    payer_account: str = ""
    text: str = ""
    applications: dict[str, Application] = field(default_factory=dict)
    on_account: Decimal = Decimal(0)
    unapplied: Decimal = Decimal(0)
    #: why the unapplied cash waits, and the open invoices that made it ambiguous
    reason: str = ""
    candidates: tuple[str, ...] = ()
    version: int = 0

    @property
    def applied(self) -> Decimal:
        return sum((a.amount for a in self.applications.values()), Decimal(0))

    @property
    def waiting(self) -> bool:
        """In the cash application queue: something of it waits for a person."""
        return self.unapplied > 0

    @staticmethod
    def start(e: ev.PaymentReceived, at: datetime) -> Payment:
        return Payment(payment_id=e.payment_id, customer_id=e.customer_id, currency=e.amount.currency,
                       amount=e.amount.amount, received_at=at, method=e.method, payer_name=e.payer_name,
                       payer_account=e.payer_account, text=e.text, version=1)

    def apply(self, e: ev.Event) -> None:
        match e:
            case ev.PaymentApplied():
                a = self.applications.setdefault(e.invoice_id, Application(amount=Decimal(0),
                                                                           discount=Decimal(0)))
                a.amount += e.amount.amount
                a.discount += e.discount.amount
                if e.from_unapplied:
                    self.unapplied -= e.amount.amount
            case ev.PaymentUnapplied():
                a = self.applications[e.invoice_id]
                a.amount -= e.amount.amount
                a.discount -= e.discount.amount
                if a.amount == 0 and a.discount == 0:
                    del self.applications[e.invoice_id]
                self.unapplied += e.amount.amount
                self.reason = f"unapplied from {e.invoice_id} by {e.by}: {e.reason}"
            case ev.CashUnapplied():
                self.unapplied += e.amount.amount
                self.reason, self.candidates = e.reason, e.candidates
            case ev.CashOnAccount():
                self.on_account += e.amount.amount
            case ev.PayerIdentified():
                self.customer_id = e.customer_id
            case _:
                return
        if self.unapplied < 0 or self.applied + self.on_account + self.unapplied > self.amount:
            raise ValueError(f"payment {self.payment_id} would place more than it brought: applied "
                             f"{self.applied}, on account {self.on_account}, unapplied {self.unapplied}, "
                             f"of {self.amount}")
        if not self.waiting:
            self.reason, self.candidates = "", ()
        self.version += 1
