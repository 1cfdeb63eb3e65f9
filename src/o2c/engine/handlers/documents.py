"""What o2c decides about the documents it sent (:mod:`o2c.domain.documents`).

- ``RecordFunctionalAck``: a partner's 997 answers a group we sent. Each AK2 set is found in
  the ledger by (partner, GS06, ST02) (a group rejected whole, AK9 ``R`` with no AK2, answers
  every set of the group): ``DocumentAcknowledged``. A rejected document of a type the policy
  holds (``documents.hold_types``: 810) holds the order(s) it bills for billing
  (``BIL-DOC-REJECTED``, the 997's errors as the reason); an accepted one lifts the
  ``BIL-DOC-UNACKED`` hold it had. A 997 that answers nothing we sent is refused
  (``INT-UNKNOWN-REFERENCE``): the runtime parks it in the dead-letter queue with the reason.
- The ``document_ack`` timer (:func:`unacknowledged`): no 997 by ``documents.ack_hours``:
  ``DocumentUnacknowledged``, and ``BIL-DOC-UNACKED`` for a type the policy holds.
- ``ResendDocument`` (a person in billing or integration): the same document under the
  partner's next control numbers (``DocumentResent``; the outbox gets it through
  ``o2c.engine.reactions.outbound``), and the document's holds are resolved.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from o2c.domain import events as ev
from o2c.domain.actors import ENGINE
from o2c.domain.documents import ANSWERED, AckStatus, SentDocument, SetAck, status_of
from o2c.domain.holds import HoldAction, HoldCode
from o2c.domain.orders import Order
from o2c.engine import commands as cmd
from o2c.engine.authority import visible
from o2c.engine.context import Context
from o2c.engine.errors import Rejected
from o2c.engine.handlers.common import decided_by, decision, place_hold

#: the rule a document's hold names per document it is about (``document:DOC-…``)
DOCUMENT_CONDITION = "document"


def record_functional_ack(c: cmd.RecordFunctionalAck, ctx: Context) -> list[ev.Event]:
    answered: list[tuple[SentDocument, SetAck]] = []
    if c.sets:
        for s in c.sets:
            code = "R" if c.group_code == "R" and not s.code else s.code or c.group_code
            found = ctx.uow.documents.find(c.partner_id, c.group_control_number, s.set_control_number)
            answered += [(d, SetAck(set_id=s.set_id, set_control_number=s.set_control_number, code=code,
                                    errors=s.errors))
                         for d in found if not s.set_id or d.doc_type == s.set_id]
    else:
        answered = [(d, SetAck(set_id=d.doc_type, set_control_number=d.set_control_number, code=c.group_code))
                    for d in ctx.uow.documents.find(c.partner_id, c.group_control_number)]
    if not answered:
        sets = ", ".join(f"{s.set_id} {s.set_control_number}" for s in c.sets) or "none named"
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"997 {c.message} from partner {c.partner_id} answers group {c.group_control_number} "
                       f"({c.functional_id}; sets: {sets}), which o2c never sent to {c.partner_id}: "
                       "check the partner's control numbers; nothing was recorded")
    out: list[ev.Event] = []
    for doc, s in answered:
        status = status_of(s.code)
        repeated = doc.status in ANSWERED or doc.status is AckStatus.NOT_EXPECTED
        out.append(ev.DocumentAcknowledged(
            document_id=doc.document_id, partner_id=doc.partner_id, doc_type=doc.doc_type,
            order_id=doc.order_id, invoice_id=doc.invoice_id, status=status.value, set_code=s.code,
            group_code=c.group_code, errors=s.errors, ack_message=c.message, repeated=repeated))
        if repeated:
            continue
        if status is AckStatus.REJECTED:
            out += _hold(ctx, doc, HoldCode.BIL_DOC_REJECTED, "documents.hold_types",
                         {"set_code": s.code, "group_code": c.group_code, "errors": s.errors,
                          "ack_message": c.message},
                         f"partner {doc.partner_id} rejected {doc.doc_type} {doc.reference} "
                         f"({doc.document_id}, GS06 {doc.group_control_number} "
                         f"ST02 {doc.set_control_number}): "
                         f"AK5 {s.code}, AK9 {c.group_code}"
                         + (f"; {s.errors}" if s.errors else "")
                         + f". Correct it and resend (o2c documents resend {doc.document_id}), or release")
        else:
            out += _lift(ctx, doc, f"partner {doc.partner_id} acknowledged it ({status.value}, {c.message})")
    return out


def unacknowledged(ctx: Context, document_id: str, due: datetime) -> list[ev.Event]:
    """The ``document_ack`` timer fired: still no 997 for the document."""
    doc = ctx.uow.documents.get(document_id)
    if doc is None or doc.status is not AckStatus.SENT:
        return []
    hours = doc.ack_due_at - doc.sent_at if doc.ack_due_at else None
    inputs: dict[str, object] = {"document_id": doc.document_id, "partner_id": doc.partner_id,
                                 "doc_type": doc.doc_type, "sent_at": doc.sent_at.isoformat(),
                                 "due_at": due.isoformat(),
                                 "hours": int(hours.total_seconds() // 3600) if hours else ""}
    d = decision(ctx, "documents.ack_hours", AckStatus.UNACKNOWLEDGED.value, inputs, doc.legal_entity_id)
    out: list[ev.Event] = [ev.DocumentUnacknowledged(
        document_id=doc.document_id, partner_id=doc.partner_id, doc_type=doc.doc_type, order_id=doc.order_id,
        invoice_id=doc.invoice_id, sent_at=doc.sent_at, due_at=due, decision=d)]
    out += _hold(ctx, doc, HoldCode.BIL_DOC_UNACKED, "documents.hold_types", inputs,
                 f"no 997 from partner {doc.partner_id} for {doc.doc_type} {doc.reference} "
                 f"({doc.document_id}, "
                 f"sent {doc.sent_at.isoformat()}) by {due.isoformat()}. Ask the partner, resend "
                 f"(o2c documents resend {doc.document_id}), or release")
    return out


def resend_document(c: cmd.ResendDocument, ctx: Context) -> list[ev.Event]:
    doc = ctx.uow.documents.get(c.document_id)
    if doc is None or (doc.legal_entity_id is not None and not visible(ctx.actor, doc.legal_entity_id)):
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE, f"document {c.document_id!r} is not one o2c sent")
    if not doc.resendable:
        why = f"it was sent again as {doc.resent_as}" if doc.resent_as else f"it is {doc.status.value}"
        raise Rejected(HoldCode.INT_UNKNOWN_REFERENCE,
                       f"document {doc.document_id} is not sent again: {why} (only a rejected or "
                       "unacknowledged document is)")
    out: list[ev.Event] = [ev.DocumentResent(
        document_id=doc.document_id, partner_id=doc.partner_id, doc_type=doc.doc_type, order_id=doc.order_id,
        invoice_id=doc.invoice_id, shipment_id=doc.shipment_id, x12=doc.x12, by=decided_by(ctx))]
    return out + _lift(ctx, doc, f"sent again by {decided_by(ctx)}", by=decided_by(ctx))


# ------------------------------------------------------------------ holds of a document


def _orders_of(ctx: Context, doc: SentDocument) -> list[Order]:
    invoice = ctx.uow.invoices.get(doc.invoice_id) if doc.invoice_id else None
    ids = invoice.orders if invoice is not None else (doc.order_id,) if doc.order_id else ()
    return [o for o in (ctx.uow.orders.get(i) for i in ids) if o is not None and not o.terminal]


def _hold(ctx: Context, doc: SentDocument, code: HoldCode, rule: str, inputs: dict[str, object],
          reason: str) -> list[ev.Event]:
    out: list[ev.Event] = []
    for order in _orders_of(ctx, doc):
        section = ctx.section(order.legal_entity_id)
        if doc.doc_type not in section.ack_hold_types:
            continue
        condition = f"{DOCUMENT_CONDITION}:{doc.document_id}"
        if any(condition in h.conditions for h in order.open_holds):
            continue
        d = decision(ctx, rule, code.value,
                     {**inputs, "document_id": doc.document_id, "doc_type": doc.doc_type,
                      "hold_types": ",".join(sorted(section.ack_hold_types))}, order.legal_entity_id)
        d = dataclasses.replace(d, conditions=(ev.Condition(rule=condition, outcome=code.value),))
        out.append(place_hold(ctx, order, code, reason, d))
    return out


def _lift(ctx: Context, doc: SentDocument, because: str, by: str = ENGINE.id) -> list[ev.Event]:
    """Resolve the open holds ``doc`` placed (an answer arrived, or it was sent again)."""
    condition = f"{DOCUMENT_CONDITION}:{doc.document_id}"
    out: list[ev.Event] = []
    for order in _orders_of(ctx, doc):
        for h in order.open_holds:
            if condition not in h.conditions:
                continue
            d = decision(ctx, "documents.ack", "lifted", {"document_id": doc.document_id, "because": because},
                         order.legal_entity_id)
            out.append(ev.HoldReleased(order_id=order.order_id, hold_id=h.hold_id, code=h.code,
                                       action=HoldAction.EDIT_AND_RETRY.value, by=by,
                                       reason=f"document {doc.document_id} {because}", decision=d))
    return out
