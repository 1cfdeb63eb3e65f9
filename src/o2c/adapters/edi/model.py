"""Immutable data model of an X12 interchange.

Everything here is a frozen, slotted value: a parsed document can be shared between threads and
handed to the domain without defensive copies.  Element text is kept exactly as it was read
(padding and all, except the ISA fields that the envelope classes expose stripped), so nothing
the partner sent is lost before a mapper looks at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from o2c.adapters.edi.errors import EdiError

_T = TypeVar("_T")

__all__ = [
    "DEFAULT_DELIMITERS",
    "Delimiters",
    "FunctionalGroup",
    "Interchange",
    "ParseResult",
    "Segment",
    "TransactionSet",
    "fast_builder",
    "mutable_twin",
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


def mutable_twin(cls: type[Any]) -> type[Any]:
    """A plain class with the slots of the frozen, slotted dataclass ``cls``, in the same order.

    A frozen dataclass forbids ordinary attribute stores: its ``__init__`` sets each field
    through ``object.__setattr__``, a call costing more than the rest of the work on the
    codec's hot paths.  A twin is filled with plain slot stores instead and then given the
    class ``cls`` by assigning ``__class__``, which Python allows between classes of the same
    layout; from then on it is a genuine, frozen ``cls`` instance.  No twin may leave the code
    that fills it.  One twin per class (see :func:`fast_builder`, and the reader's loop).
    """
    twin = _TWINS.get(cls)
    if twin is None:
        slots = cls.__dict__.get("__slots__")
        if slots is None or cls.__bases__ != (object,):
            raise TypeError(f"{cls.__name__} is not a slotted dataclass of its own fields")
        namespace = {"__slots__": slots, "__module__": cls.__module__}
        twin = _TWINS[cls] = type(f"_{cls.__name__}Draft", (), namespace)
    return twin


_TWINS: dict[type[Any], type[Any]] = {}


def fast_builder(cls: type[_T]) -> Callable[..., _T]:
    """A constructor for the frozen, slotted dataclass ``cls``, for hot paths.

    It takes the same keyword arguments with the same defaults as ``cls(...)`` and returns an
    equal, genuine ``cls`` instance (``__post_init__`` included), several times faster (five
    times for a ``Segment``, more for wider classes), by filling the class's
    :func:`mutable_twin`.  Like ``dataclasses``, it generates its code from the field names.
    """
    own = fields(cast(Any, cls))
    if not own:
        raise TypeError(f"{cls.__name__} is not a slotted dataclass of its own fields")
    twin = mutable_twin(cls)
    scope: dict[str, Any] = {"_twin": twin, "_cls": cls, "_MISSING": MISSING}
    signature, body = [], []
    for f in own:
        if not f.init:
            raise TypeError(f"{cls.__name__}.{f.name} is not an __init__ argument")
        if f.default is not MISSING:
            scope[f"_default_{f.name}"] = f.default
            signature.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            signature.append(f"{f.name}=_MISSING")
            body.append(f"    if {f.name} is _MISSING:\n        {f.name} = _factory_{f.name}()\n")
        else:
            signature.append(f.name)
        body.append(f"    o.{f.name} = {f.name}\n")
    post = "    o.__post_init__()\n" if hasattr(cls, "__post_init__") else ""
    source = (
        f"def build(*, {', '.join(signature)}):\n    o = _twin()\n{''.join(body)}"
        f"    o.__class__ = _cls\n{post}    return o\n"
    )
    exec(source, scope)  # generated from the class's own field names, as dataclasses does
    build: Callable[..., _T] = scope["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    build.__doc__ = f"``{cls.__name__}(...)``, built fast (see fast_builder)."
    return build
