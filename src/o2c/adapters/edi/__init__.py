"""EDI adapters: a strict, standard-library-only X12 codec (parse, write, 997).

Parsing never raises: problems come back as :class:`EdiError` values. The
implementation is split by concern - :mod:`.model` (values), :mod:`.errors`
(errors and 997/TA1 code tables), :mod:`.envelope` (ISA and envelope state
machine), :mod:`.reader` (:func:`parse`), :mod:`.writer` (:func:`write`,
:func:`build_interchange`) and :mod:`.ack` (:func:`functional_ack`); this
package re-exports the public API.
"""

from __future__ import annotations

from o2c.adapters.edi.ack import (
    ElementNote,
    GroupVerdict,
    SegmentNote,
    SetVerdict,
    assess_group,
    functional_ack,
)
from o2c.adapters.edi.errors import (
    AK304_SEGMENT_SYNTAX,
    AK403_ELEMENT_SYNTAX,
    AK502_SET_SYNTAX,
    AK905_GROUP_SYNTAX,
    TA105_INTERCHANGE_NOTE,
    EdiError,
    ErrorCode,
    Severity,
)
from o2c.adapters.edi.model import (
    DEFAULT_DELIMITERS,
    Delimiters,
    FunctionalGroup,
    Interchange,
    ParseResult,
    Segment,
    TransactionSet,
)
from o2c.adapters.edi.reader import parse
from o2c.adapters.edi.writer import GroupSpec, SegmentSpec, SetSpec, build_interchange, write

__all__ = [
    "AK304_SEGMENT_SYNTAX",
    "AK403_ELEMENT_SYNTAX",
    "AK502_SET_SYNTAX",
    "AK905_GROUP_SYNTAX",
    "DEFAULT_DELIMITERS",
    "TA105_INTERCHANGE_NOTE",
    "Delimiters",
    "EdiError",
    "ElementNote",
    "ErrorCode",
    "FunctionalGroup",
    "GroupSpec",
    "GroupVerdict",
    "Interchange",
    "ParseResult",
    "Segment",
    "SegmentNote",
    "SegmentSpec",
    "SetSpec",
    "SetVerdict",
    "Severity",
    "TransactionSet",
    "assess_group",
    "build_interchange",
    "functional_ack",
    "parse",
    "write",
]
