"""Immutable data model of an X12 interchange.

Everything here is a frozen, slotted value: a parsed document can be shared between threads and
handed to the domain without defensive copies.  Element text is kept exactly as it was read
(padding and all, except the ISA fields that the envelope classes expose stripped), so nothing
the partner sent is lost before a mapper looks at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from o2c.adapters.edi.errors import EdiError

__all__ = [
    "DEFAULT_DELIMITERS",
    "Delimiters",
    "FunctionalGroup",
    "Interchange",
    "ParseResult",
    "Segment",
    "TransactionSet",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Delimiters:
    """The four separators of one interchange, as announced by its ISA segment.

    Invariant (checked by the reader and the writer, not here, so that a caller can describe a
    bad set of delimiters in an error): the characters are pairwise distinct and none of them is
    a letter, a digit or a space.  ``repetition`` is ``None`` when the interchange has none
    (versions before 00402, or an alphanumeric ISA11 such as ``U``).
    """

    element: str = "*"
    component: str = ":"
    repetition: str | None = "^"
    terminator: str = "~"

    def chars(self) -> tuple[str, ...]:
        """All delimiter characters in use, repetition included only when present."""
        base = (self.element, self.component, self.terminator)
        return base if self.repetition is None else (*base, self.repetition)


DEFAULT_DELIMITERS = Delimiters()


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """One segment: its id and its elements, numbered the X12 way.

    ``elements[0]`` is the first element after the id, so ``seg.element(1)`` is e.g. BEG01.
    ``position`` is the 1-based index of the segment within its interchange (ISA is 1) and
    ``line`` the 1-based line of the file it started on; both are 0 for segments that were not
    read from text.  Equality and hashing look only at ``id`` and ``elements``: two segments with
    the same content are the same segment wherever they stand, which is what round-trip
    comparisons need.
    """

    id: str
    elements: tuple[str, ...] = ()
    position: int = field(default=0, compare=False)
    line: int = field(default=0, compare=False)
    delimiters: Delimiters = field(default=DEFAULT_DELIMITERS, compare=False, repr=False)

    def element(self, index: int) -> str:
        """Element ``index`` (1-based, X12 numbering); ``''`` when the segment is shorter.

        Raises ValueError for ``index < 1``: that is a programming error, not a data error.
        """
        if index < 1:
            raise ValueError(f"X12 element numbers start at 1, got {index}")
        elements = self.elements
        return elements[index - 1] if index <= len(elements) else ""

    def components(self, index: int) -> tuple[str, ...]:
        """Components of composite element ``index``; ``()`` when the element is empty."""
        value = self.element(index)
        return tuple(value.split(self.delimiters.component)) if value else ()

    def component(self, index: int, sub: int) -> str:
        """Component ``sub`` (1-based) of element ``index``; ``''`` when absent."""
        if sub < 1:
            raise ValueError(f"X12 component numbers start at 1, got {sub}")
        parts = self.components(index)
        return parts[sub - 1] if sub <= len(parts) else ""

    def repetitions(self, index: int) -> tuple[str, ...]:
        """Repeats of element ``index`` split on the repetition separator.

        Without a repetition separator the element is its only repeat.  ``()`` when empty.
        """
        value = self.element(index)
        if not value:
            return ()
        rep = self.delimiters.repetition
        return (value,) if rep is None else tuple(value.split(rep))


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionSet:
    """One ST..SE transaction set.

    ``segments`` holds the segments strictly between ST and SE.  ``trailer`` is ``None`` when
    the SE was missing.  ``errors`` are the envelope problems found in this set (bad counts,
    mismatched control numbers, bad segment ids...): a flawed set is still returned so that a
    997 can name and reject it.
    """

    id: str
    control_number: str
    segments: tuple[Segment, ...]
    header: Segment
    trailer: Segment | None = None
    errors: tuple[EdiError, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing at error severity was found in this set's envelope."""
        return not any(e.severity == "error" for e in self.errors)

    def find(self, segment_id: str) -> tuple[Segment, ...]:
        """All segments of this set with the given id, in document order."""
        return tuple(s for s in self.segments if s.id == segment_id)

    def first(self, segment_id: str) -> Segment | None:
        """The first segment with the given id, or None."""
        for s in self.segments:
            if s.id == segment_id:
                return s
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionalGroup:
    """One GS..GE functional group and its transaction sets (GS fields unstripped)."""

    functional_id: str
    sender: str
    receiver: str
    date: str
    time: str
    control_number: str
    agency: str
    version: str
    transaction_sets: tuple[TransactionSet, ...]
    header: Segment
    trailer: Segment | None = None
    errors: tuple[EdiError, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Interchange:
    """One ISA..IEA interchange.

    ISA fields are exposed with their fixed-width padding stripped; ``header`` keeps the raw
    segment.  ``errors`` are the interchange-level problems (IEA counts, control number...).
    ``acknowledgments`` keeps TA1 segments found between ISA and the first GS.
    """

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    control_number: str
    version: str
    ack_requested: str
    usage_indicator: str
    delimiters: Delimiters
    groups: tuple[FunctionalGroup, ...]
    auth_qualifier: str = "00"
    auth_info: str = ""
    security_qualifier: str = "00"
    security_info: str = ""
    header: Segment | None = None
    trailer: Segment | None = None
    acknowledgments: tuple[Segment, ...] = ()
    errors: tuple[EdiError, ...] = ()

    def transaction_sets(self) -> tuple[TransactionSet, ...]:
        """Every transaction set of every group, in document order."""
        return tuple(ts for g in self.groups for ts in g.transaction_sets)


@dataclass(slots=True, kw_only=True)
class ParseResult:
    """What :func:`parse` recovered, and every problem it found, in document order.

    ``errors`` holds all problems, including those also attached to an interchange, group or
    set, plus the ones that belong to no structure (garbage, undecodable bytes...).
    """

    interchanges: list[Interchange] = field(default_factory=list)
    errors: list[EdiError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem of error severity was found (warnings allowed)."""
        return not any(e.severity == "error" for e in self.errors)

    def transaction_sets(self) -> list[TransactionSet]:
        """Every transaction set of every interchange, in document order."""
        return [ts for ic in self.interchanges for ts in ic.transaction_sets()]
