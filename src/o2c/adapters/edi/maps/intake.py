"""X12 into the runtime: split a stored interchange into canonical messages
and its 997 acknowledgments.

The raw interchange is the inbound message the runtime stores first (source
``edi``, id = a hash of its bytes, so the same file sent twice is one
message); :class:`EdiSplitter` then turns it into the canonical messages of
every accepted transaction set (ids ``ISA13:GS06:ST02``, deduplicated too) and
one 997 interchange per partner for the outbox.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from o2c.adapters.edi import write
from o2c.adapters.edi.maps.inbound import CanonicalMessage, FunctionalAck, InboundBatch, read_interchange
from o2c.adapters.edi.maps.outbound import ack_interchange
from o2c.adapters.edi.maps.partners import PartnerDirectory
from o2c.adapters.edi.maps.result import MapCode
from o2c.adapters.raw import X12, document_text, raw_document
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import DocumentSplit

RAW_SOURCE = "edi"


def raw_interchange(data: bytes, received_at: datetime, *, name: str = "") -> InboundMessage:
    """The raw document as the runtime stores it (see :func:`o2c.adapters.raw.raw_document`)."""
    return raw_document(data, source=RAW_SOURCE, kind=X12, received_at=received_at, name=name)


class EdiSplitter:
    """``Runtime.submit_document``'s splitter for X12 interchanges."""

    def __init__(self, directory: PartnerDirectory, *, max_lines: int | None = None) -> None:
        self.directory = directory
        self.max_lines = max_lines  # PO1s an 850 may have (Limits.max_lines_per_order)

    def __call__(self, raw: InboundMessage) -> DocumentSplit:
        batch = read_interchange(document_text(raw), self.directory, lean=True, extras=False,
                                 max_lines=self.max_lines)
        # Kept last first and handed on one by one (see _made), so that the runtime, which
        # takes them a transaction at a time, never holds every message of a large file.
        pending = list(reversed(batch.messages))
        outbound, problem = self._acks(raw, batch)
        del batch  # its sets and 997s, which would otherwise stay until the last message
        return DocumentSplit(messages=_made(pending, raw.received_at), outbound=outbound, problem=problem)

    @staticmethod
    def _acks(raw: InboundMessage, batch: InboundBatch) -> tuple[
            tuple[tuple[str, str, str, dict[str, Any]], ...], tuple[str, str] | None]:
        by_partner: dict[str, list[FunctionalAck]] = defaultdict(list)
        for ack in batch.acks:
            by_partner[ack.partner.partner_id].append(ack)
        outbound: list[tuple[str, str, str, dict[str, Any]]] = []
        for partner_id, acks in by_partner.items():
            # Our 997 interchange back to a partner reuses the number of the
            # interchange it answers: ISA13 is unique per sender/receiver pair,
            # and that pair is the same one reversed.
            answered = acks[0].interchange_control_number
            number = (int(answered) if answered.isdigit()
                      else int(hashlib.sha256(answered.encode()).hexdigest(), 16) % 10**9)
            ic = ack_interchange(acks, control_number=number, group_control_number=number,
                                 at=raw.received_at.replace(tzinfo=None))
            outbound.append(("edi_997", f"edi:{partner_id}", f"{raw.source}:{raw.source_message_id}",
                             {"x12": write(ic), "codes": [a.code for a in acks],
                              "answers": acks[0].interchange_control_number}))
        errors = [e for e in batch.errors if e.severity == "error"]
        problem = None
        if errors and not batch.messages:
            # A sender nobody set up is a reference to fix in configuration, not a broken file.
            unknown = all(e.code == MapCode.UNKNOWN_PARTNER for e in errors)
            problem = ("INT-UNKNOWN-REFERENCE" if unknown else "INT-PARSE-ERROR",
                       "; ".join(e.message for e in errors[:5])
                       + (f"; and {len(errors) - 5} more" if len(errors) > 5 else ""))
        return tuple(outbound), problem


def _made(pending: list[CanonicalMessage], received_at: datetime) -> Iterator[InboundMessage]:
    """The inbound messages of ``pending`` (last first), each let go of once it is made."""
    while pending:
        m = pending.pop()
        yield InboundMessage(source=m.source, source_message_id=m.source_message_id, kind=m.kind,
                             received_at=received_at, body=m.body())
