"""The outbound document ledger: every X12 transaction set o2c sends, and what became of it.

A :class:`SentDocument` is one transaction set in one interchange to one partner, with our
control numbers (ISA13, GS06, ST02), what it is about (order, invoice, shipment) and its
acknowledgment status. The partner's 997 (or 999) answers it by (partner, GS06, ST02):

==========================  =========================================================
status                      when
==========================  =========================================================
``sent``                    staged in the outbox, no 997 yet
``accepted``                AK5 ``A``
``accepted_with_errors``    AK5 ``E`` (the partner took it and noted errors)
``rejected``                AK5 ``R``, ``M``, ``W`` or ``X`` (or AK9 ``R`` with no AK2)
``unacknowledged``          no 997 within the policy's ``documents.ack_hours``
``not_expected``            a 997 we send: acknowledgments are never acknowledged
==========================  =========================================================

Invariants (:data:`TRANSITIONS`): an acknowledgment moves ``sent`` or ``unacknowledged`` to
one of the three answered statuses; an answered status never changes again (a repeated 997
is recorded as repeated, nothing more); ``not_expected`` never changes. A document sent again
(``resend``) stays as it was, names its successor, and the successor (new control numbers,
same content) starts at ``sent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from o2c.domain import events as ev


class AckStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    REJECTED = "rejected"
    UNACKNOWLEDGED = "unacknowledged"
    NOT_EXPECTED = "not_expected"


_S = AckStatus
ANSWERED = frozenset({_S.ACCEPTED, _S.ACCEPTED_WITH_ERRORS, _S.REJECTED})
#: from -> the statuses a document may move to
TRANSITIONS: dict[AckStatus, frozenset[AckStatus]] = {
    _S.SENT: ANSWERED | {_S.UNACKNOWLEDGED},
    _S.UNACKNOWLEDGED: ANSWERED,
    _S.ACCEPTED: frozenset(),
    _S.ACCEPTED_WITH_ERRORS: frozenset(),
    _S.REJECTED: frozenset(),
    _S.NOT_EXPECTED: frozenset(),
}
#: what a person may send again: what the partner refused or never answered
RESENDABLE = frozenset({_S.REJECTED, _S.UNACKNOWLEDGED})
#: transaction sets that are never acknowledged
ACKNOWLEDGMENT_SETS = frozenset({"997", "999"})


def control(number: str) -> str:
    """A control number as the ledger keeps it: ``000000042`` and ``42`` are one number."""
    n = number.strip()
    return str(int(n)) if n.isdigit() else n


def can_move(current: AckStatus, to: AckStatus) -> bool:
    return to in TRANSITIONS[current]


def status_of(ak5: str) -> AckStatus:
    """The ledger status an AK501 (or IK501 of a 999) code stands for."""
    code = ak5.strip().upper()
    if code == "A":
        return _S.ACCEPTED
    if code == "E":
        return _S.ACCEPTED_WITH_ERRORS
    return _S.REJECTED


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAck:
    """What a 997 says about one transaction set we sent: AK2 (set id, ST02), AK5 code and
    the AK3/AK4 segment errors as text."""

    set_id: str
    set_control_number: str
    code: str
    errors: str = ""


@dataclass(slots=True, kw_only=True)
class SentDocument:
    """One transaction set o2c sent (see the module). ``x12`` is the interchange as sent, so
    the same document can be sent again under new control numbers."""

    document_id: str
    partner_id: str
    doc_type: str
    interchange_control_number: str
    group_control_number: str
    set_control_number: str
    correlation_id: str
    sent_at: datetime
    status: AckStatus
    legal_entity_id: str | None = None
    order_id: str | None = None
    invoice_id: str | None = None
    shipment_id: str | None = None
    x12: str = ""
    #: when the policy expects the 997 by (None: not watched)
    ack_due_at: datetime | None = None
    ack_code: str | None = None
    group_ack_code: str | None = None
    ack_errors: str = ""
    acked_at: datetime | None = None
    #: the 997 that answered it (``source:ISA13:GS06:ST02`` of the inbound message)
    ack_message: str | None = None
    resend_of: str | None = None
    resent_as: str | None = None
    version: int = 1

    @property
    def reference(self) -> str:
        """The business document it carries: the invoice, else the shipment, else the order."""
        return self.invoice_id or self.shipment_id or self.order_id or ""

    @property
    def resendable(self) -> bool:
        return self.status in RESENDABLE and self.resent_as is None


def matches(doc: SentDocument, *, status: str | None = None, partner_id: str | None = None,
            doc_type: str | None = None, reference: str | None = None) -> bool:
    """Whether ``doc`` passes a ledger search's filters (None: any)."""
    return ((status is None or doc.status.value == status)
            and (partner_id is None or doc.partner_id == partner_id)
            and (doc_type is None or doc.doc_type == doc_type)
            and (reference is None or reference in (doc.order_id, doc.invoice_id, doc.shipment_id)))


def apply_document(doc: SentDocument, e: ev.Event, at: datetime) -> None:
    """Fold one document event into the ledger row (``at``: its business time), keeping to
    :data:`TRANSITIONS`: a repeated or late answer changes nothing."""
    match e:
        case ev.DocumentAcknowledged() if not e.repeated and can_move(doc.status, AckStatus(e.status)):
            doc.status = AckStatus(e.status)
            doc.ack_code, doc.group_ack_code, doc.ack_errors = e.set_code, e.group_code, e.errors
            doc.acked_at, doc.ack_message = at, e.ack_message
        case ev.DocumentUnacknowledged() if can_move(doc.status, AckStatus.UNACKNOWLEDGED):
            doc.status = AckStatus.UNACKNOWLEDGED
        case _:  # DocumentResent: the new row names this one when it is staged (o2c.engine.documents)
            pass
