"""What every bank file reader gives back, and how it becomes a split document.

A reader turns one file into :class:`BankRead`: the payments it could read (canonical
``payment`` bodies, :class:`~o2c.adapters.canonical.PaymentIn`, each with its stable id), the
payments it could not (the fields as read, with every problem), warnings that do not stop a
payment (a check whose rows do not add up), and the problems of the file as a whole (a BAI2
trailer whose totals are wrong, XML that is not well formed): a file with such a problem is
parked whole, since nothing in it can be trusted.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from o2c.adapters.canonical import PaymentIn
from o2c.domain.holds import HoldCode
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import DocumentReject, DocumentSplit

_PARSE = HoldCode.INT_PARSE_ERROR.value
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, where: ``file``, ``at`` (``record 12``, ``line 4``, an XML path), the
    ``field`` and what was ``expected``."""

    file: str
    at: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.at}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A payment that cannot be taken: its id, the fields as read, and why."""

    payment_id: str
    body: dict[str, Any]
    problems: tuple[Problem, ...]


@dataclass(slots=True)
class BankRead:
    """What a reader made of one file (see the module)."""

    payments: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Rejected] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: the file as a whole cannot be used (its structure is broken): parked whole
    errors: list[Problem] = field(default_factory=list)
    #: credits seen but deliberately not taken as payments, and debits skipped
    skipped: int = 0
    #: payment id -> where in the file it was first read
    seen: dict[str, str] = field(default_factory=dict)

    def take(self, body: dict[str, Any], problems: list[Problem], file: str, at: str) -> None:
        """Keep ``body`` as a payment, or reject it with ``problems`` and what the canonical
        model says is wrong with it (each field named as the file names it, at ``at``).

        A second payment with an id already read in this file (a bank reference repeated) is
        parked under its own id (``#2``...), never dropped as the first one's duplicate."""
        first = self.seen.get(str(body.get("payment_id")))
        if first is not None:
            n = 2
            while f"{body['payment_id']}#{n}" in self.seen:
                n += 1
            body = {**body, "payment_id": f"{body['payment_id']}#{n}"}
            problems.append(Problem(file, at, "payment id",
                                    f"the same as the payment read at {first}: a bank reference the "
                                    "bank gave twice; check it is not the same credit twice"))
        self.seen.setdefault(str(body.get("payment_id")), at)
        if not problems:
            try:
                PaymentIn.model_validate(body)
            except ValidationError as e:
                for err in e.errors(include_url=False):
                    where = ".".join(str(p) for p in err["loc"])
                    problems.append(Problem(file, at, where, err["msg"]))
        if problems:
            self.rejects.append(Rejected(str(body.get("payment_id") or f"{file}:{at}"), body,
                                         tuple(problems)))
        else:
            self.payments.append(body)


def amount_text(value: Decimal) -> str:
    return format(value, "f")


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def decimal_of(text: str) -> Decimal | None:
    """``text`` as a finite decimal number (a decimal point; commas only between thousands:
    ``1,250.00``, never guessed as a decimal comma), or None."""
    text = text.strip()
    if "," in text:
        if not _THOUSANDS.match(text):
            return None
        text = text.replace(",", "")
    try:
        d = Decimal(text) if text else None
    except InvalidOperation:
        return None
    return d if d is not None and d.is_finite() else None


def split(raw: InboundMessage, read: BankRead) -> DocumentSplit:
    """The split of a stored bank file: one ``payment`` message per payment read, sent by whoever
    sent the file (a bank connection is a system that may send payments; a person uploading it
    acts with their roles); each payment that cannot be read parked on its own as a ``payment``
    message holding the fields as read, so a person can correct it and replay it; a file whose
    structure is broken parked whole. Warnings (a check whose rows do not add up to it) do not stop
    a payment; they are logged, and cash application meets the difference itself."""
    for w in read.warnings:
        _log.warning("%s: %s", raw.source, w)
    if read.errors:
        shown = "; ".join(str(p) for p in read.errors[:10])
        more = f"; and {len(read.errors) - 10} more" if len(read.errors) > 10 else ""
        return DocumentSplit(problem=(_PARSE, shown + more))

    def message(payment_id: str, body: Mapping[str, Any]) -> InboundMessage:
        return InboundMessage(source=raw.source, source_message_id=payment_id, kind="payment",
                              received_at=raw.received_at, body=json.dumps(body), actor=raw.actor)

    return DocumentSplit(
        messages=tuple(message(p["payment_id"], p) for p in read.payments),
        rejects=tuple(DocumentReject(message=message(r.payment_id, r.body), code=_PARSE,
                                     reason="; ".join(str(p) for p in r.problems))
                      for r in read.rejects))
