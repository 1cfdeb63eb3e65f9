"""What a transaction-set map returns: canonical documents, or the reasons it could not.

A map never raises on bad input.  Every problem it finds is a :class:`MapError` naming the
segment (id, position in the interchange, file line), the element, the data element reference
number and what was expected; :meth:`MapError.to_edi_error` turns it into the codec's
:class:`~o2c.adapters.edi.EdiError`, from which the 997 takes its AK3/AK4 codes.

Code convention.  ``MapError.code`` is one of the codec's ``ErrorCode`` values, chosen for
the 997 code it yields (AK304 for segment faults, AK403 for element faults).  The 997 code
lists have no entry for "well-formed but not acceptable" (a zero quantity, a control total that
disagrees with the lines): such findings use ``INVALID_CODE_VALUE`` (AK403 7), the nearest
code, and the message says exactly what is wrong.  ``rule`` names the mapping rule that fired
(``"850.CTT01"``) so operators and tests can tell findings apart without parsing messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from o2c.adapters.edi import EdiError, Severity, TransactionSet
from o2c.adapters.edi.model import fast_builder

__all__ = ["MapCode", "MapError", "MapResult", "Mapped"]


class MapCode(StrEnum):
    """Codes of the inbound pipeline's own findings (the codec's ``ErrorCode`` covers the rest).

    None of them has an AK3/AK4 code: ``SET_NOT_SUPPORTED`` is reported as AK502 ``1``; the
    others reject the set (AK5 ``R``) or, for the interchange-level ones, produce no 997.
    """

    UNKNOWN_PARTNER = "UNKNOWN_PARTNER"  # no partner has this ISA sender or GS02 code
    NOT_ADDRESSED_TO_US = "NOT_ADDRESSED_TO_US"  # ISA07/ISA08 is not the partner's our_isa_*
    INTERCHANGE_INVALID = "INTERCHANGE_INVALID"  # ISA/IEA errors: no group of it is processed
    SET_NOT_SUPPORTED = "SET_NOT_SUPPORTED"  # the set id is not enabled inbound for the partner
    MAPPING_FAILED = "MAPPING_FAILED"  # a map raised: a bug, reported as a value
    PAYLOAD_INVALID = "PAYLOAD_INVALID"  # a map's payload failed its canonical model: a bug


_PROBES: dict[str, EdiError] = {}


def _probe(code: str, segment_id: str | None) -> EdiError:
    # The codec owns the code -> AK mapping; ask it rather than copy its tables.
    key = f"{code}/{segment_id}"
    probe = _PROBES.get(key)
    if probe is None:
        probe = _PROBES[key] = EdiError(code=code, message="", segment_id=segment_id)
    return probe


@dataclass(frozen=True, slots=True, kw_only=True)
class MapError:
    """One problem a map found in a transaction set, as a value.

    ``position`` is the segment's index in its interchange (ISA = 1, as the reader numbers
    them) and ``line`` its file line; both are ``None`` when the segment is missing and no
    neighbour could stand in.  ``element`` is 1-based (X12 numbering), ``reference`` the data
    element dictionary number reported in AK402.  ``severity="warning"`` marks a finding that
    does not stop the set from being processed: its 997 says ``E`` (accepted, errors noted).
    """

    code: str
    rule: str
    message: str
    segment_id: str
    position: int | None = None
    line: int | None = None
    element: int | None = None
    reference: str | None = None
    expected: str = ""
    severity: Severity = "error"

    @property
    def ak304(self) -> str | None:
        """AK304 segment syntax error code this finding is reported with, if any."""
        return _probe(self.code, self.segment_id).ak304

    @property
    def ak403(self) -> str | None:
        """AK403 data element syntax error code this finding is reported with, if any."""
        return _probe(self.code, self.segment_id).ak403

    def to_edi_error(
        self, transaction_set: TransactionSet, *, group_control_number: str, interchange_control_number: str
    ) -> EdiError:
        """The codec error :func:`~o2c.adapters.edi.assess_group` attributes to this set."""
        text = f"{self.message} Expected: {self.expected}." if self.expected else self.message
        return EdiError(
            code=self.code,
            message=f"[{self.rule}] {text}",
            segment_id=self.segment_id,
            position=self.position,
            line=self.line,
            element=self.element,
            reference=self.reference,
            set_control_number=transaction_set.control_number,
            group_control_number=group_control_number,
            interchange_control_number=interchange_control_number,
            severity=self.severity,
        )

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        el = f"{self.segment_id}{self.element:02d}" if self.element else self.segment_id
        return f"{where}{el} {self.code} [{self.rule}]: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Mapped:
    """One canonical document produced from a set.

    ``payload`` is JSON-ready (strings for decimals and dates) and validates against the model
    of ``kind`` (:data:`o2c.adapters.canonical.KINDS` or :data:`.canonical_ext.EXT_KINDS`).
    ``extras`` keeps what the partner sent that the canonical model has no field for yet
    (BOL numbers, the payer's details...), so nothing is lost before the engine wants it.
    ``part`` tells apart several documents of one set (an ASN covering two orders); it is
    ``""`` when the set yields one document.
    """

    kind: str
    payload: Mapping[str, Any]
    extras: Mapping[str, Any] = field(default_factory=dict)
    part: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MapResult:
    """What one map made of one set.

    Invariant: when any error-severity finding exists, ``documents`` is empty (a set is mapped
    whole or not at all); otherwise there is at least one document, and warnings may remain.
    """

    documents: tuple[Mapped, ...] = ()
    errors: tuple[MapError, ...] = ()

    def __post_init__(self) -> None:
        if self.documents and self.errors and any(e.severity == "error" for e in self.errors):
            raise ValueError("a MapResult with errors must not carry documents")

    @property
    def ok(self) -> bool:
        """True when the set mapped (warnings allowed)."""
        return bool(self.documents)

    @property
    def kind(self) -> str | None:
        """The kind of the first document (all documents of a set share one kind)."""
        return self.documents[0].kind if self.documents else None

    @property
    def payload(self) -> Mapping[str, Any] | None:
        """The first document's payload, for the common one-document case."""
        return self.documents[0].payload if self.documents else None

    @staticmethod
    def of(documents: list[Mapped], errors: list[MapError]) -> MapResult:
        """Keep documents only when no error-severity finding was made (the invariant)."""
        if errors and any(e.severity == "error" for e in errors):
            return _map_result(errors=tuple(errors))
        return _map_result(documents=tuple(documents), errors=tuple(errors))


_map_result = fast_builder(MapResult)
