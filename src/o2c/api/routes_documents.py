"""The outbound document ledger over HTTP (and the printable invoice,
``GET /invoices/{id}/print``): ``/documents`` (what o2c sent its trading partners
and what their 997s said), one document, and a person's resend of one a partner rejected or
never acknowledged.

A document of a legal entity the caller does not act for is a 404 like an unknown id (a 997
we sent belongs to no entity: everyone reading the ledger sees it). Resending goes to the
engine as the caller under an ``Idempotency-Key``: billing, integration, ar_manager or
controller (403 otherwise), audited; what the engine refuses is a 409 with its reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from o2c.adapters.canonical import DocumentResendIn
from o2c.adapters.invoice_print import printable, render_html
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, Refusal, authenticated, may
from o2c.api.deps import EngineDep, IdempotencyKey, ResourceId
from o2c.api.intake import submit
from o2c.api.schemas import INVALID, NOT_FOUND, TOO_LARGE, UNAVAILABLE, UNREADABLE, Problem
from o2c.domain.actors import Actor
from o2c.domain.documents import AckStatus, SentDocument
from o2c.store.port import Store

router = APIRouter(tags=["documents"], dependencies=[Depends(authenticated)])

_READ = {**NOT_FOUND, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS, **WRITE_AUTH_ANSWERS}
_WRITE = {**_READ, **UNREADABLE, **TOO_LARGE,
          409: {"model": Problem, "description": "The engine refused it; ``detail`` says why."}}


class DocumentPublic(BaseModel):
    """One X12 transaction set o2c sent, and the partner's answer."""

    document_id: str
    partner_id: str
    doc_type: str
    interchange_control_number: str
    group_control_number: str
    set_control_number: str
    legal_entity_id: str | None
    order_id: str | None
    invoice_id: str | None
    shipment_id: str | None
    correlation_id: str
    sent_at: str
    status: str
    ack_due_at: str | None
    ack_code: str | None
    group_ack_code: str | None
    ack_errors: str
    acked_at: str | None
    ack_message: str | None
    resend_of: str | None
    resent_as: str | None


def document_public(d: SentDocument) -> DocumentPublic:
    def at(t: Any) -> str | None:
        return None if t is None else str(t.isoformat())

    return DocumentPublic(
        document_id=d.document_id, partner_id=d.partner_id, doc_type=d.doc_type,
        interchange_control_number=d.interchange_control_number, group_control_number=d.group_control_number,
        set_control_number=d.set_control_number, legal_entity_id=d.legal_entity_id, order_id=d.order_id,
        invoice_id=d.invoice_id, shipment_id=d.shipment_id, correlation_id=d.correlation_id,
        sent_at=d.sent_at.isoformat(), status=d.status.value, ack_due_at=at(d.ack_due_at),
        ack_code=d.ack_code, group_ack_code=d.group_ack_code, ack_errors=d.ack_errors,
        acked_at=at(d.acked_at), ack_message=d.ack_message, resend_of=d.resend_of, resent_as=d.resent_as)


def _sees(actor: Actor, d: SentDocument) -> bool:
    return d.legal_entity_id is None or actor.acts_for(d.legal_entity_id)


def _document(store: Store, actor: Actor, document_id: str) -> SentDocument:
    with store.unit_of_work() as uow:
        d = uow.documents.get(document_id)
    if d is None or not _sees(actor, d):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no document {document_id}")
    return d


@router.get("/documents", response_model=list[DocumentPublic], responses=_READ)
def list_documents(
    engine: EngineDep, actor: ActorDep,
    status_: Annotated[AckStatus | None, Query(alias="status", description="Only this status.")] = None,
    partner: Annotated[str | None, Query(max_length=200, description="Only this partner's.")] = None,
    type_: Annotated[str | None, Query(alias="type", max_length=3, description="Only this X12 set.")] = None,
    reference: Annotated[str | None, Query(max_length=200, description="Only those carrying this order, "
                                                                       "invoice or shipment.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 200,
) -> Any:
    """What o2c sent its trading partners, newest first, with each 997's verdict."""
    with engine.store.unit_of_work() as uow:
        found = uow.documents.search(status=status_.value if status_ else None, partner_id=partner,
                                     doc_type=type_, reference=reference, limit=limit)
    return [document_public(d) for d in found if _sees(actor, d)]


@router.get("/documents/{document_id}", response_model=DocumentPublic, responses=_READ)
def get_document(document_id: ResourceId, engine: EngineDep, actor: ActorDep) -> Any:
    """One document: its control numbers, what it carries, and the 997's codes and errors."""
    return document_public(_document(engine.store, actor, document_id))


@router.post("/documents/{document_id}/resend", response_model=DocumentPublic, responses=_WRITE)
def resend_document(document_id: ResourceId, key: IdempotencyKey, engine: EngineDep, actor: ActorDep) -> Any:
    """Send a rejected or unacknowledged document again, as the caller: the same content under
    the partner's next control numbers. The answer is the new document."""
    canonical = DocumentResendIn(document_id=document_id)
    may(actor, canonical.command())  # the role first (403), then what the caller may see (404)
    _document(engine.store, actor, document_id)
    answer = submit(engine, kind="document_resend", key=key, payload=canonical,
                    created_status=status.HTTP_200_OK, actor=actor)
    if answer.status_code != status.HTTP_200_OK:
        return answer
    after = _document(engine.store, actor, document_id)
    new = _document(engine.store, actor, after.resent_as) if after.resent_as else after
    return JSONResponse(status_code=status.HTTP_200_OK, content=document_public(new).model_dump(mode="json"))


@router.get("/invoices/{invoice_id}/print", response_model=None,
            responses={**_READ, 200: {"content": {"text/html": {"schema": {"type": "string"}}},
                                      "description": "The invoice as one self-contained HTML page."}})
def print_invoice(invoice_id: ResourceId, engine: EngineDep, actor: ActorDep) -> HTMLResponse:
    """The printable invoice: every legal field on one HTML page (see docs/billing.md)."""
    with engine.store.unit_of_work() as uow:
        page = printable(uow, invoice_id)
    if page is None or not actor.acts_for(page.invoice.legal_entity_id):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no invoice {invoice_id}")
    return HTMLResponse(render_html(page))
