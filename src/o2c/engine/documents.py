"""The ledger of what o2c sends (:mod:`o2c.domain.documents`): a row per transaction set,
written by :meth:`~o2c.engine.bus.MessageBus.stage` in the transaction that puts the
document in the outbox.

A rendered message is a document when its payload carries an ``envelope`` (what the X12
renderer adds: ``partner_id``, ``interchange_control_number``, ``group_control_number`` and
``set_control_numbers``) beside ``set`` and ``x12``; the ids it is about (``order_id``,
``invoice_id``, ``shipment_id``) and ``resend_of`` are read from the payload too. A document
partners acknowledge gets a ``document_ack`` timer at sent + ``documents.ack_hours`` of its
type (the order's legal entity's policy); the 997 cancels it (:func:`o2c.engine.timer_rules.arm`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from o2c.domain.documents import ACKNOWLEDGMENT_SETS, AckStatus, SentDocument, control
from o2c.domain.holds import HoldCode
from o2c.domain.timers import Timer, TimerKind, ack_timer_id
from o2c.engine.errors import ProjectionFailed
from o2c.engine.ports import Outgoing, UnitOfWork
from o2c.policy import PolicyRegistry

__all__ = ["ENVELOPE", "NotRendered", "ack_timer", "record_sent"]

#: the payload key naming a rendered document's envelope
ENVELOPE = "envelope"


class NotRendered(ProjectionFailed):
    """A document sent again that no renderer numbered for its partner. Raised after the
    command's events were applied, so the whole unit of work is rolled back (the runtime
    then parks the message alone, with this reason)."""

    code = HoldCode.INT_UNKNOWN_REFERENCE.value

    @property
    def reason(self) -> str:
        return str(self)


def record_sent(uow: UnitOfWork, out: Outgoing, now: datetime,
                policies: PolicyRegistry) -> list[SentDocument]:
    """Ledger rows for ``out`` if it is a document (see the module); none otherwise."""
    envelope: Any = out.payload.get(ENVELOPE)
    if not isinstance(envelope, dict):
        if out.payload.get("resend_of"):
            # Nothing numbered it for the partner: refused whole rather than sent as it was.
            raise NotRendered(f"document {out.payload['resend_of']} was not sent again: no trading "
                              f"partner configuration renders {out.kind} for {out.destination} (run "
                              "with --config, or check that the partner still takes the set)")
        return []
    p = out.payload
    doc_type = str(p.get("set", ""))
    order_id = _opt(p.get("order_id"))
    order = uow.orders.get(order_id) if order_id else None
    entity = order.legal_entity_id if order is not None else None
    hours = None
    if doc_type not in ACKNOWLEDGMENT_SETS and entity is not None:
        hours = policies.in_force(now).for_entity(entity).ack_hours_for(doc_type)
    recorded = []
    for set_control in envelope.get("set_control_numbers", ()):
        doc = SentDocument(
            document_id=f"DOC-{uow.sequences.next_id('document'):08d}",
            partner_id=str(envelope["partner_id"]), doc_type=doc_type,
            interchange_control_number=control(str(envelope["interchange_control_number"])),
            group_control_number=control(str(envelope["group_control_number"])),
            set_control_number=control(str(set_control)), correlation_id=out.correlation_id,
            sent_at=now,
            status=AckStatus.NOT_EXPECTED if doc_type in ACKNOWLEDGMENT_SETS else AckStatus.SENT,
            legal_entity_id=entity, order_id=order_id, invoice_id=_opt(p.get("invoice_id")),
            shipment_id=_opt(p.get("shipment_id")), x12=str(p.get("x12", "")),
            ack_due_at=now + timedelta(hours=hours) if hours else None,
            resend_of=_opt(p.get("resend_of")))
        uow.documents.add(doc)
        previous = uow.documents.get(doc.resend_of) if doc.resend_of else None
        if previous is not None:
            previous.resent_as = doc.document_id
            uow.documents.add(previous)
        if doc.ack_due_at is not None:
            uow.timers.schedule(ack_timer(doc))
        recorded.append(doc)
    return recorded


def ack_timer(doc: SentDocument) -> Timer:
    assert doc.ack_due_at is not None
    return Timer(timer_id=ack_timer_id(doc.document_id), kind=TimerKind.DOCUMENT_ACK, due_at=doc.ack_due_at,
                 subject=doc.document_id, correlation_id=doc.correlation_id,
                 payload={"document_id": doc.document_id, "order_id": doc.order_id or ""})


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
