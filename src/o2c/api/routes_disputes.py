"""Dispute cases over HTTP: ``/disputes`` (the cases, by status, the role they wait on or
the account), one case, and what a person does with it: open one on an invoice, attach
evidence, resolve it (a credit memo, a write-off within their authority, a rejection with
evidence).

Each action goes to the engine as the caller under an ``Idempotency-Key``: the engine
enforces who may act on the case (its owner role, its escalation role, ar_manager or
controller) and the write-off limits (403 naming them), and refuses what it cannot do with
its reason (409). A case of a legal entity the caller does not act for is a 404 like an
unknown one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from o2c.adapters.canonical import (
    Amount,
    DisputedLine,
    DisputeEvidenceIn,
    DisputeIn,
    DisputeResolutionIn,
    Note,
    OptId,
    Text,
)
from o2c.api import queries
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, Refusal, authenticated, may
from o2c.api.deps import EngineDep, IdempotencyKey, ResourceId
from o2c.api.intake import submit
from o2c.api.schemas import INVALID, NOT_FOUND, TOO_LARGE, UNAVAILABLE, UNREADABLE, Problem
from o2c.domain.actors import Actor
from o2c.domain.disputes import Dispute
from o2c.store.port import Store

router = APIRouter(tags=["disputes"], dependencies=[Depends(authenticated)])

_READ = {**NOT_FOUND, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS, **WRITE_AUTH_ANSWERS}
_WRITE = {
    **_READ,
    **UNREADABLE,
    **TOO_LARGE,
    409: {"model": Problem, "description": "The engine refused it; ``detail`` says why."},
}


class EvidencePublic(BaseModel):
    kind: str
    reference: str
    text: str
    at: datetime
    by: str


class DisputePublic(BaseModel):
    """A dispute case: what is contested, who it waits on until when, and how it ended."""

    dispute_id: str
    customer_id: str
    invoice_id: str
    order_id: str
    legal_entity_id: str
    category: str
    amount: Decimal
    currency: str
    status: str
    owner_role: str
    escalation_role: str
    waits_on: str
    opened_at: datetime
    sla_due: datetime | None
    resolved_at: datetime | None
    outcome: str
    settled: Decimal
    credit_memo_id: str
    resolved_by: str
    lines: list[int]
    payment_id: str
    note: str
    evidence: list[EvidencePublic]


def dispute_public(d: Dispute) -> DisputePublic:
    return DisputePublic(
        dispute_id=d.dispute_id,
        customer_id=d.customer_id,
        invoice_id=d.invoice_id,
        order_id=d.order_id,
        legal_entity_id=d.legal_entity_id,
        category=d.category.value,
        amount=d.amount,
        currency=d.currency,
        status=d.status.value,
        owner_role=d.owner_role,
        escalation_role=d.escalation_role,
        waits_on=d.waits_on,
        opened_at=d.opened_at,
        sla_due=d.sla_due,
        resolved_at=d.resolved_at,
        outcome=d.outcome,
        settled=d.settled,
        credit_memo_id=d.credit_memo_id,
        resolved_by=d.resolved_by,
        lines=list(d.lines),
        payment_id=d.payment_id,
        note=d.note,
        evidence=[
            EvidencePublic(kind=x.kind, reference=x.reference, text=x.text, at=x.at, by=x.by)
            for x in d.evidence
        ],
    )


def _dispute(store: Store, actor: Actor, dispute_id: str) -> Dispute:
    d = queries.dispute(store, dispute_id)
    if d is None or not actor.acts_for(d.legal_entity_id):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no dispute {dispute_id}")
    return d


@router.get("/disputes", response_model=list[DisputePublic], responses=_READ)
def list_disputes(
    engine: EngineDep,
    actor: ActorDep,
    status_: str | None = Query(
        None,
        alias="status",
        pattern="^(open|escalated|resolved|rejected)$",
        description="open (with the escalated ones), escalated, resolved or rejected",
    ),
    owner_role: str | None = Query(None, max_length=40, description="The role the cases wait on."),
    customer_id: str | None = Query(None, max_length=100, description="The account."),
    limit: int = Query(100, ge=1, le=1000, description="At most this many."),
) -> Any:
    """Dispute cases of the legal entities the caller acts for, oldest first."""
    return [
        dispute_public(d)
        for d in queries.disputes(
            engine.store,
            status=status_,
            waits_on=owner_role,
            customer_id=customer_id,
            entities=actor.entities,
            limit=limit,
        )
    ]


@router.get("/disputes/{dispute_id}", response_model=DisputePublic, responses=_READ)
def get_dispute(dispute_id: ResourceId, engine: EngineDep, actor: ActorDep) -> Any:
    """A dispute case: its route, SLA, evidence and resolution."""
    return dispute_public(_dispute(engine.store, actor, dispute_id))


class DisputeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: Text
    category: Text = Field(
        description="pricing, shortage, damage, missing_pod, duplicate_billing, tax, terms or other"
    )
    amount: Amount | None = Field(
        None,
        description="How much is contested; absent: the lines' amount, "
        "else what is open and not yet in dispute.",
    )
    lines: list[DisputedLine] = Field(
        default_factory=list, max_length=1000, description="The invoice lines contested."
    )
    note: Note = ""


class EvidenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Text = Field(description="pod, signed_bol, contract_price, note or document")
    reference: OptId = Field("", description="A reference (a document id), never the document itself.")
    text: Note = ""


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Text = Field(description="credit_memo, write_off or reject")
    amount: Amount | None = Field(
        None, description="How much to credit or write off; absent: the case's amount."
    )
    reason: Note = Field(min_length=1)


def _answer(engine: Any, dispute_id: str, answer: JSONResponse, code: int) -> Any:
    if answer.status_code not in (status.HTTP_200_OK, status.HTTP_201_CREATED):
        return answer
    after = queries.dispute(engine.store, dispute_id)
    return JSONResponse(
        status_code=code, content=dispute_public(after).model_dump(mode="json") if after else {}
    )


@router.post("/disputes", response_model=DisputePublic, status_code=status.HTTP_201_CREATED, responses=_WRITE)
def open_dispute(request: DisputeRequest, key: IdempotencyKey, engine: EngineDep, actor: ActorDep) -> Any:
    """Open a dispute case on an invoice as the caller: routed by the policy to the role that
    owns its category, with its SLA. The answer is the case."""
    canonical = DisputeIn(**request.model_dump())
    may(actor, canonical.command())  # the role first (403), then what the caller may see (404)
    inv = queries.invoice(engine.store, request.invoice_id)
    if inv is None or not actor.acts_for(inv.legal_entity_id):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no invoice {request.invoice_id}")
    before = {d.dispute_id for d in queries.disputes(engine.store, invoice_id=inv.invoice_id, limit=10_000)}
    answer = submit(
        engine,
        kind="dispute",
        key=key,
        payload=canonical,
        created_status=status.HTTP_201_CREATED,
        actor=actor,
    )
    if answer.status_code not in (status.HTTP_200_OK, status.HTTP_201_CREATED):
        return answer
    cases = queries.disputes(engine.store, invoice_id=inv.invoice_id, limit=10_000)
    new = [d for d in cases if d.dispute_id not in before] or cases[-1:]
    return JSONResponse(
        status_code=answer.status_code, content=dispute_public(new[-1]).model_dump(mode="json")
    )


def _act(engine: Any, actor: Actor, key: str, kind: str,
         canonical: DisputeEvidenceIn | DisputeResolutionIn) -> Any:
    """A person's action on a case, through the engine as the caller: the role first (403),
    then what the caller may see (404). The answer is the case after it."""
    may(actor, canonical.command())
    _dispute(engine.store, actor, canonical.dispute_id)
    answer = submit(engine, kind=kind, key=key, payload=canonical, created_status=status.HTTP_200_OK,
                    actor=actor)
    return _answer(engine, canonical.dispute_id, answer, status.HTTP_200_OK)


@router.post("/disputes/{dispute_id}/evidence", response_model=DisputePublic, responses=_WRITE)
def attach_evidence(
    dispute_id: ResourceId, request: EvidenceRequest, key: IdempotencyKey, engine: EngineDep, actor: ActorDep
) -> Any:
    """Attach evidence to the case as the caller (a reference or a text). The answer is the
    case after it."""
    return _act(engine, actor, key, "dispute_evidence",
                DisputeEvidenceIn(dispute_id=dispute_id, **request.model_dump()))


@router.post("/disputes/{dispute_id}/resolve", response_model=DisputePublic, responses=_WRITE)
def resolve_dispute(
    dispute_id: ResourceId, request: ResolveRequest, key: IdempotencyKey, engine: EngineDep, actor: ActorDep
) -> Any:
    """Close the case as the caller: a credit memo on its invoice, a write-off within the
    caller's limit, or a rejection (which needs evidence on the case). The answer is the case
    after it."""
    return _act(engine, actor, key, "dispute_resolution",
                DisputeResolutionIn(dispute_id=dispute_id, **request.model_dump()))
