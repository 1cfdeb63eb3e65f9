"""Cash application over HTTP: ``/cash/queue`` (payments with cash waiting for a person),
one payment, a person's apply and unapply, and a credit memo on an invoice.

Each action goes to the engine as the caller, like every message, under an
``Idempotency-Key``: the engine enforces the roles (403 naming them) and refuses what it
cannot do with its reason (409). A payment of a legal entity the caller does not act for
is a 404 like an unknown one; an unidentified payment is anyone's with the role to place it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from o2c.adapters.canonical import (
    Amount,
    CashApplicationIn,
    CashUnapplicationIn,
    CreditMemoIn,
    Note,
    OptId,
    Text,
)
from o2c.api import queries
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, Refusal, authenticated, forbidden, may
from o2c.api.deps import EngineDep, IdempotencyKey, ResourceId
from o2c.api.intake import submit
from o2c.api.schemas import INVALID, NOT_FOUND, TOO_LARGE, UNAVAILABLE, UNREADABLE, Problem
from o2c.domain.actors import Actor
from o2c.domain.billing import Invoice
from o2c.domain.payments import Payment
from o2c.engine import commands as cmd
from o2c.engine.authority import may_issue
from o2c.store.port import Store

router = APIRouter(tags=["cash application"], dependencies=[Depends(authenticated)])

_READ = {**NOT_FOUND, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS, **WRITE_AUTH_ANSWERS}
_WRITE = {**_READ, **UNREADABLE, **TOO_LARGE,
          409: {"model": Problem, "description": "The engine refused it; ``detail`` says why."}}


class Applied(BaseModel):
    amount: Decimal
    discount: Decimal


class PaymentPublic(BaseModel):
    """A payment and where its cash went."""

    payment_id: str
    customer_id: str | None
    currency: str
    amount: Decimal
    received_at: str
    payer_name: str
    payer_account: str
    text: str
    applied: dict[str, Applied]
    on_account: Decimal
    unapplied: Decimal
    reason: str
    candidates: list[str]


def payment_public(p: Payment) -> PaymentPublic:
    return PaymentPublic(
        payment_id=p.payment_id, customer_id=p.customer_id or None, currency=p.currency, amount=p.amount,
        received_at=p.received_at.isoformat(), payer_name=p.payer_name, payer_account=p.payer_account,
        text=p.text, applied={k: Applied(amount=a.amount, discount=a.discount)
                              for k, a in sorted(p.applications.items())},
        on_account=p.on_account, unapplied=p.unapplied, reason=p.reason, candidates=list(p.candidates))


class InvoicePublic(BaseModel):
    invoice_id: str
    order_id: str
    customer_id: str
    currency: str
    total: Decimal
    applied: Decimal
    discount_taken: Decimal
    credited: Decimal
    open: Decimal
    status: str
    credit_memos: list[str]


def invoice_public(i: Invoice) -> InvoicePublic:
    return InvoicePublic(invoice_id=i.invoice_id, order_id=i.order_id, customer_id=i.customer_id,
                         currency=i.currency, total=i.total, applied=i.applied,
                         discount_taken=i.discount_taken, credited=i.credited, open=i.open_amount,
                         status=i.status.value, credit_memos=list(i.credit_memo_ids))


def _sees(store: Store, actor: Actor, p: Payment) -> bool:
    if not p.customer_id:
        return True
    entity = queries.customer_entity(store, p.customer_id)
    return entity is not None and actor.acts_for(entity)


def _cash_person(actor: Actor) -> None:
    if not may_issue(cmd.ApplyCash, actor):
        raise forbidden(f"the cash application queue needs a person with one of the roles ar_manager, "
                        f"cash_app, controller; {actor.label} is not one")


def _payment(store: Store, actor: Actor, payment_id: str) -> Payment:
    p = queries.payment(store, payment_id)
    if p is None or not _sees(store, actor, p):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no payment {payment_id}")
    return p


@router.get("/cash/queue", response_model=list[PaymentPublic], responses=_READ)
def cash_queue(engine: EngineDep, actor: ActorDep,
               limit: int = Query(100, ge=1, le=1000, description="At most this many.")) -> Any:
    """Payments with cash waiting for a person, oldest first: each with why it waits and the
    candidate invoices that made it ambiguous."""
    _cash_person(actor)
    return [payment_public(p) for p in queries.waiting_payments(engine.store, limit)
            if _sees(engine.store, actor, p)]


@router.get("/cash/payments/{payment_id}", response_model=PaymentPublic, responses=_READ)
def get_payment(payment_id: ResourceId, engine: EngineDep, actor: ActorDep) -> Any:
    """A payment: who paid and where its cash went."""
    return payment_public(_payment(engine.store, actor, payment_id))


class ApplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: OptId = Field("", description="The invoice to apply to; empty: only name the payer.")
    amount: Amount | None = Field(None, description="How much; absent: all that fits.")
    discount: Amount = Decimal(0)
    customer_id: OptId = Field("", description="The payer's account, when o2c did not identify it.")
    reason: Note = Field(min_length=1)


class UnapplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: Text
    amount: Amount | None = Field(None, description="How much to take back; absent: all.")
    reason: Note = Field(min_length=1)


def _answer_payment(engine: Any, payment_id: str, answer: JSONResponse) -> Any:
    if answer.status_code != status.HTTP_200_OK:
        return answer
    after = queries.payment(engine.store, payment_id)
    return JSONResponse(status_code=status.HTTP_200_OK,
                        content=payment_public(after).model_dump(mode="json") if after else {})


def _act(engine: Any, actor: Actor, key: str, kind: str, canonical: CashApplicationIn | CashUnapplicationIn
         ) -> Any:
    """A person's action on a payment, through the engine as the caller: the role first
    (403), then what the caller may see (404). The answer is the payment after it."""
    may(actor, canonical.command())
    _payment(engine.store, actor, canonical.payment_id)
    answer = submit(engine, kind=kind, key=key, payload=canonical, created_status=status.HTTP_200_OK,
                    actor=actor)
    return _answer_payment(engine, canonical.payment_id, answer)


@router.post("/cash/payments/{payment_id}/apply", response_model=PaymentPublic, responses=_WRITE)
def apply_cash(payment_id: ResourceId, request: ApplyRequest, key: IdempotencyKey, engine: EngineDep,
               actor: ActorDep) -> Any:
    """Apply the payment's unapplied cash as the caller (cash_app, ar_manager or controller),
    naming the payer when o2c could not. The answer is the payment after it."""
    return _act(engine, actor, key, "cash_application",
                CashApplicationIn(payment_id=payment_id, **request.model_dump()))


@router.post("/cash/payments/{payment_id}/unapply", response_model=PaymentPublic, responses=_WRITE)
def unapply_cash(payment_id: ResourceId, request: UnapplyRequest, key: IdempotencyKey, engine: EngineDep,
                 actor: ActorDep) -> Any:
    """Take back what the payment applied to an invoice, as the caller: the invoice is open
    again and the cash waits to be applied again."""
    return _act(engine, actor, key, "cash_unapplication",
                CashUnapplicationIn(payment_id=payment_id, **request.model_dump()))


class CreditMemoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    reason: Note = Field(min_length=1)


@router.post("/invoices/{invoice_id}/credit-memos", response_model=InvoicePublic, responses=_WRITE)
def credit_memo(invoice_id: ResourceId, request: CreditMemoRequest, key: IdempotencyKey, engine: EngineDep,
                actor: ActorDep) -> Any:
    """Credit the invoice as the caller (billing, ar_manager or controller): at most what is
    open, numbered in the legal entity's own sequence. The answer is the invoice after it."""
    canonical = CreditMemoIn(invoice_id=invoice_id, amount=request.amount, reason=request.reason, by=actor.id)
    may(actor, canonical.command())  # the role first (403), then what the caller may see (404)
    inv = queries.invoice(engine.store, invoice_id)
    if inv is None or not actor.acts_for(inv.legal_entity_id):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no invoice {invoice_id}")
    answer = submit(engine, kind="credit_memo", key=key, payload=canonical, created_status=status.HTTP_200_OK,
                    actor=actor)
    if answer.status_code != status.HTTP_200_OK:
        return answer
    after = queries.invoice(engine.store, invoice_id)
    return JSONResponse(status_code=status.HTTP_200_OK,
                        content=invoice_public(after or inv).model_dump(mode="json"))
