"""Errors as values, and their mapping onto the X12 acknowledgment code lists.

The codec never raises on bad input: every problem becomes an :class:`EdiError` that says what
was found, what was expected and where.  Each error code maps to at most one code of the X12
lists a 997 (or TA1) needs, so an acknowledgment can be produced from errors alone.

Code lists (ASC X12 data element dictionary, 004010 and later; checked against published
element tables, not recalled):

* AK304 - element 720 Segment Syntax Error Code
* AK403 - element 723 Data Element Syntax Error Code
* AK502 - element 718 Transaction Set Syntax Error Code
* AK905 - element 716 Functional Group Syntax Error Code
* TA105 - element I18 Interchange Note Code
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from o2c.adapters.edi.model import fast_builder

__all__ = [
    "AK304_SEGMENT_SYNTAX",
    "AK403_ELEMENT_SYNTAX",
    "AK502_SET_SYNTAX",
    "AK905_GROUP_SYNTAX",
    "TA105_INTERCHANGE_NOTE",
    "EdiError",
    "ErrorCode",
    "Severity",
]

Severity = Literal["error", "warning"]


class ErrorCode(StrEnum):
    """Machine codes of the problems the codec reports (callers may add their own strings)."""

    # Input as a whole
    EMPTY_INPUT = "EMPTY_INPUT"
    UNDECODABLE_INPUT = "UNDECODABLE_INPUT"
    NOT_X12 = "NOT_X12"
    UNEXPECTED_DATA = "UNEXPECTED_DATA"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # Interchange envelope
    ISA_TOO_SHORT = "ISA_TOO_SHORT"
    ISA_FIELD_WIDTH = "ISA_FIELD_WIDTH"
    BAD_DELIMITERS = "BAD_DELIMITERS"
    MISSING_TERMINATOR = "MISSING_TERMINATOR"
    # Any envelope level; segment_id says which (SE/GE/IEA, or ST/GS for the header side)
    CONTROL_NUMBER_MISMATCH = "CONTROL_NUMBER_MISMATCH"
    CONTROL_NUMBER_INVALID = "CONTROL_NUMBER_INVALID"
    DUPLICATE_CONTROL_NUMBER = "DUPLICATE_CONTROL_NUMBER"
    MISSING_TRAILER = "MISSING_TRAILER"
    GROUP_COUNT_MISMATCH = "GROUP_COUNT_MISMATCH"
    SET_COUNT_MISMATCH = "SET_COUNT_MISMATCH"
    SEGMENT_COUNT_MISMATCH = "SEGMENT_COUNT_MISMATCH"
    SET_ID_INVALID = "SET_ID_INVALID"
    UNEXPECTED_SEGMENT = "UNEXPECTED_SEGMENT"
    EMPTY_SEGMENT = "EMPTY_SEGMENT"
    INVALID_SEGMENT_ID = "INVALID_SEGMENT_ID"
    # Segment-level findings of a later validator (mapper, implementation guide)
    MANDATORY_SEGMENT_MISSING = "MANDATORY_SEGMENT_MISSING"
    LOOP_OVER_MAXIMUM = "LOOP_OVER_MAXIMUM"
    SEGMENT_OVER_MAXIMUM_USE = "SEGMENT_OVER_MAXIMUM_USE"
    SEGMENT_NOT_IN_SET = "SEGMENT_NOT_IN_SET"
    SEGMENT_OUT_OF_SEQUENCE = "SEGMENT_OUT_OF_SEQUENCE"
    # Element-level findings of a later validator
    MANDATORY_ELEMENT_MISSING = "MANDATORY_ELEMENT_MISSING"
    CONDITIONAL_ELEMENT_MISSING = "CONDITIONAL_ELEMENT_MISSING"
    TOO_MANY_ELEMENTS = "TOO_MANY_ELEMENTS"
    ELEMENT_TOO_SHORT = "ELEMENT_TOO_SHORT"
    ELEMENT_TOO_LONG = "ELEMENT_TOO_LONG"
    INVALID_CHARACTER = "INVALID_CHARACTER"
    INVALID_CODE_VALUE = "INVALID_CODE_VALUE"
    INVALID_DATE = "INVALID_DATE"
    INVALID_TIME = "INVALID_TIME"
    EXCLUSION_CONDITION_VIOLATED = "EXCLUSION_CONDITION_VIOLATED"
    TOO_MANY_REPETITIONS = "TOO_MANY_REPETITIONS"
    TOO_MANY_COMPONENTS = "TOO_MANY_COMPONENTS"


# AK304 - 720 Segment Syntax Error Code.
AK304_SEGMENT_SYNTAX: dict[str, str] = {
    "1": "Unrecognized segment ID",
    "2": "Unexpected segment",
    "3": "Mandatory segment missing",
    "4": "Loop Occurs Over Maximum Times",
    "5": "Segment Exceeds Maximum Use",
    "6": "Segment Not in Defined Transaction Set",
    "7": "Segment Not in Proper Sequence",
    "8": "Segment Has Data Element Errors",
}

# AK403 - 723 Data Element Syntax Error Code (11 is not assigned).
AK403_ELEMENT_SYNTAX: dict[str, str] = {
    "1": "Mandatory data element missing",
    "2": "Conditional required data element missing",
    "3": "Too many data elements",
    "4": "Data element too short",
    "5": "Data element too long",
    "6": "Invalid character in data element",
    "7": "Invalid code value",
    "8": "Invalid Date",
    "9": "Invalid Time",
    "10": "Exclusion Condition Violated",
    "12": "Too Many Repetitions",
    "13": "Too Many Components",
}

# AK502..AK506 - 718 Transaction Set Syntax Error Code (security codes 8-27 omitted: unused).
AK502_SET_SYNTAX: dict[str, str] = {
    "1": "Transaction Set Not Supported",
    "2": "Transaction Set Trailer Missing",
    "3": "Transaction Set Control Number in Header and Trailer Do Not Match",
    "4": "Number of Included Segments Does Not Match Actual Count",
    "5": "One or More Segments in Error",
    "6": "Missing or Invalid Transaction Set Identifier",
    "7": "Missing or Invalid Transaction Set Control Number",
    "23": "Transaction Set Control Number Not Unique within the Functional Group",
}

# AK905..AK909 - 716 Functional Group Syntax Error Code (security codes omitted: unused).
# Note: 4 is the control-number disagreement and 5 the set count, not the other way round.
AK905_GROUP_SYNTAX: dict[str, str] = {
    "1": "Functional Group Not Supported",
    "2": "Functional Group Version Not Supported",
    "3": "Functional Group Trailer Missing",
    "4": "Group Control Number in the Functional Group Header and Trailer Do Not Agree",
    "5": "Number of Included Transaction Sets Does Not Match Actual Count",
    "6": "Group Control Number Violates Syntax",
}

# TA105 - I18 Interchange Note Code (only the ones this codec can detect).
TA105_INTERCHANGE_NOTE: dict[str, str] = {
    "001": "The Interchange Control Number in the Header and Trailer Do Not Match",
    "021": "Invalid Number of Included Groups Value",
    "023": "Improper (Premature) End-of-File (Transmission)",
}

_E = ErrorCode

_AK304: dict[str, str] = {
    _E.INVALID_SEGMENT_ID: "1",
    _E.UNEXPECTED_SEGMENT: "2",
    _E.MANDATORY_SEGMENT_MISSING: "3",
    _E.LOOP_OVER_MAXIMUM: "4",
    _E.SEGMENT_OVER_MAXIMUM_USE: "5",
    _E.SEGMENT_NOT_IN_SET: "6",
    _E.SEGMENT_OUT_OF_SEQUENCE: "7",
}

_AK403: dict[str, str] = {
    _E.MANDATORY_ELEMENT_MISSING: "1",
    _E.CONDITIONAL_ELEMENT_MISSING: "2",
    _E.TOO_MANY_ELEMENTS: "3",
    _E.ELEMENT_TOO_SHORT: "4",
    _E.ELEMENT_TOO_LONG: "5",
    _E.INVALID_CHARACTER: "6",
    _E.INVALID_CODE_VALUE: "7",
    _E.INVALID_DATE: "8",
    _E.INVALID_TIME: "9",
    _E.EXCLUSION_CONDITION_VIOLATED: "10",
    _E.TOO_MANY_REPETITIONS: "12",
    _E.TOO_MANY_COMPONENTS: "13",
}

# Keyed by (code, segment the error is about): the same code means different things per level.
_AK502: dict[tuple[str, str | None], str] = {
    (_E.MISSING_TRAILER, "SE"): "2",
    (_E.CONTROL_NUMBER_MISMATCH, "SE"): "3",
    (_E.SEGMENT_COUNT_MISMATCH, "SE"): "4",
    (_E.SET_ID_INVALID, "ST"): "6",
    (_E.CONTROL_NUMBER_INVALID, "ST"): "7",
    (_E.DUPLICATE_CONTROL_NUMBER, "ST"): "23",
}

_AK905: dict[tuple[str, str | None], str] = {
    (_E.MISSING_TRAILER, "GE"): "3",
    (_E.CONTROL_NUMBER_MISMATCH, "GE"): "4",
    (_E.SET_COUNT_MISMATCH, "GE"): "5",
    (_E.CONTROL_NUMBER_INVALID, "GS"): "6",
}

_TA105: dict[tuple[str, str | None], str] = {
    (_E.CONTROL_NUMBER_MISMATCH, "IEA"): "001",
    (_E.GROUP_COUNT_MISMATCH, "IEA"): "021",
    (_E.MISSING_TRAILER, "IEA"): "023",
    (_E.ISA_TOO_SHORT, "ISA"): "023",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EdiError:
    """One problem found in EDI data, as a value.

    ``code`` is a short machine code (:class:`ErrorCode` or a caller's own string) and
    ``message`` a sentence saying what was found and what was expected.  ``segment_id`` is the
    segment the problem is about - for ``MISSING_TRAILER`` the trailer that is missing - and
    ``position``/``line`` where it was noticed (segment index in the interchange, file line).
    ``element`` is the 1-based element number when one element is at fault and ``reference``
    its data element reference number (e.g. ``"66"``), when the finder knows it (AK402).  The control
    numbers locate the interchange, group and set the problem belongs to, when known.
    ``severity`` ``"warning"`` marks a problem that does not make the data unusable: in a 997 it
    turns an acceptance into "accepted, errors noted" instead of a rejection.
    """

    code: str
    message: str
    segment_id: str | None = None
    position: int | None = None
    line: int | None = None
    element: int | None = None
    reference: str | None = None
    set_control_number: str | None = None
    group_control_number: str | None = None
    interchange_control_number: str | None = None
    severity: Severity = "error"

    @property
    def ak304(self) -> str | None:
        """AK304 segment syntax error code, for errors about one segment of a set."""
        if self.code in _AK403:
            return "8"  # Segment Has Data Element Errors: the AK4 carries the detail.
        return _AK304.get(self.code)

    @property
    def ak403(self) -> str | None:
        """AK403 data element syntax error code, for errors about one element."""
        return _AK403.get(self.code)

    @property
    def ak502(self) -> str | None:
        """AK502 transaction set syntax error code, for errors of a set's envelope."""
        return _AK502.get((self.code, self.segment_id))

    @property
    def ak905(self) -> str | None:
        """AK905 functional group syntax error code, for errors of a group's envelope."""
        return _AK905.get((self.code, self.segment_id))

    @property
    def ta105(self) -> str | None:
        """TA105 interchange note code, for errors of the interchange envelope."""
        return _TA105.get((self.code, self.segment_id))

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.code}: {self.message}"


new_error = fast_builder(EdiError)
"""``EdiError(...)`` for the codec's own hot paths (see :func:`~.model.fast_builder`)."""
