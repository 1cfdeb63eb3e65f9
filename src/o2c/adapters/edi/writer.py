"""X12 writer and interchange builder.

The writer trusts nothing it can compute: SE01, GE01 and IEA01 are counted, SE02/GE02/IEA02
are copied from their headers and the ISA is padded to its fixed widths.  Unlike the reader it
raises (ValueError) - bad input here is a programming error in our own code, and writing it
anyway would send a partner a document that means something else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from o2c.adapters.edi.isa import ISA_WIDTHS
from o2c.adapters.edi.model import (
    DEFAULT_DELIMITERS,
    Delimiters,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
)

__all__ = ["GroupSpec", "SegmentSpec", "SetSpec", "build_interchange", "write"]

SegmentSpec = Segment | Sequence[str]
"""A segment, or a sequence whose first item is the segment id: ``("BEG", "00", "SA", ...)``."""
SetSpec = TransactionSet | tuple[str, str | int, Sequence[SegmentSpec]]
"""A built set, or ``(set id, control number, content segments)`` - ST/SE are added."""
GroupSpec = tuple[str, str, str | int, Sequence[SetSpec]]
"""``(functional id, GS08 version, group control number, sets)`` - GS/GE are added."""

_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _check_delimiters(d: Delimiters) -> None:
    chars = d.chars()
    if any(len(c) != 1 for c in chars):
        raise ValueError(f"every delimiter must be one character: {d}")
    if len(set(chars)) != len(chars):
        raise ValueError(f"delimiters must be pairwise distinct: {d}")
    if any(c.isalnum() or c == " " for c in chars):
        raise ValueError(f"delimiters must not be letters, digits or blanks: {d}")


def _effective(ic: Interchange, d: Delimiters) -> Delimiters:
    # Before 00402 ISA11 is the standards id 'U': there is no repetition separator to write.
    if d.repetition is not None and ic.version < "00402":
        return replace(d, repetition=None)
    return d


def _fixed(value: str, width: int, name: str, *, numeric: bool = False) -> str:
    if numeric and value.isdigit():
        value = value.zfill(width)
    if len(value) > width:
        raise ValueError(f"{name} {value!r} is longer than its fixed width {width}")
    return value.ljust(width)


def _isa_elements(ic: Interchange, d: Delimiters) -> tuple[str, ...]:
    values = (
        (ic.auth_qualifier, "ISA01", False),
        (ic.auth_info, "ISA02", False),
        (ic.security_qualifier, "ISA03", False),
        (ic.security_info, "ISA04", False),
        (ic.sender_qualifier, "ISA05", False),
        (ic.sender_id, "ISA06", False),
        (ic.receiver_qualifier, "ISA07", False),
        (ic.receiver_id, "ISA08", False),
        (ic.date, "ISA09", True),
        (ic.time, "ISA10", True),
        (d.repetition or "U", "ISA11", False),
        (ic.version, "ISA12", True),
        (ic.control_number, "ISA13", True),
        (ic.ack_requested, "ISA14", True),
        (ic.usage_indicator, "ISA15", False),
        (d.component, "ISA16", False),
    )
    out = tuple(_fixed(v, w, name, numeric=num) for (v, name, num), w in zip(values, ISA_WIDTHS, strict=True))
    for name, v, w in (
        ("ISA09", ic.date, 6),
        ("ISA10", ic.time, 4),
        ("ISA13", ic.control_number, 9),
    ):
        if not (v.isascii() and v.isdigit() and len(v.zfill(w)) == w):
            raise ValueError(f"{name} must be {w} digits, got {v!r}")
    return out


def _gs_elements(g: FunctionalGroup) -> tuple[str, ...]:
    return (
        g.functional_id,
        g.sender,
        g.receiver,
        g.date,
        g.time,
        g.control_number,
        g.agency,
        g.version,
    )


def _st_elements(ts: TransactionSet) -> tuple[str, ...]:
    # ST03 (implementation convention reference, 005010+) survives from the parsed header.
    return (ts.id, ts.control_number, *ts.header.elements[2:])


def write(interchange: Interchange, delimiters: Delimiters | None = None, *, newline: bool = False) -> str:
    """Serialise ``interchange`` as X12 text.

    Invariants of the output: the ISA is exactly 106 characters; SE01 counts ST through SE,
    SE02 = ST02, GE01 counts the sets, GE02 = GS06, IEA01 counts the groups, IEA02 = ISA13;
    element text is written exactly as held (composite and repetition separators are
    translated when ``delimiters`` differ from the interchange's own).  ``newline=True`` adds a
    line break after each terminator (unless the terminator is itself a line break).

    Raises ValueError when the delimiters are unusable, an ISA field does not fit its width, a
    segment id is invalid, or an element holds a character that would be read as a delimiter.
    """
    old = interchange.delimiters
    d = _effective(interchange, delimiters or old)
    _check_delimiters(d)
    el, term = d.element, d.terminator
    end = term + "\n" if newline and term not in "\r\n" else term
    check = _element_checker(old, d)
    isa = _isa_elements(interchange, d)
    for i, value in enumerate(isa[:15], 1):
        if i != 11 and any(c in value for c in d.chars()):
            raise ValueError(f"ISA{i:02d} {value!r} contains a delimiter character")
    out: list[str] = ["ISA" + el + el.join(isa)]
    for seg in interchange.acknowledgments:
        out.append(check(seg.id, seg.elements))
    for g in interchange.groups:
        out.append(check("GS", _gs_elements(g)))
        for ts in g.transaction_sets:
            out.append(check("ST", _st_elements(ts)))
            out.extend(check(s.id, s.elements) for s in ts.segments)
            out.append(el.join(("SE", str(len(ts.segments) + 2), ts.control_number)))
        out.append(el.join(("GE", str(len(g.transaction_sets)), g.control_number)))
    out.append(el.join(("IEA", str(len(interchange.groups)), isa[12])))
    return end.join(out) + end


def _element_checker(old: Delimiters, new: Delimiters) -> Callable[[str, tuple[str, ...]], str]:
    """Return ``check(id, elements) -> segment text`` validating against ``new`` delimiters."""
    el, term = new.element, new.terminator
    table: dict[int, str] = {}
    if old.component != new.component:
        table[ord(old.component)] = new.component
    if old.repetition and new.repetition and old.repetition != new.repetition:
        table[ord(old.repetition)] = new.repetition
    meaningful = {old.component, old.repetition} - {None}
    forbidden = {c for c in new.chars() if c not in meaningful}
    if old.repetition and not new.repetition:
        forbidden.add(old.repetition)  # repeats that the target version cannot express
    same = not table and forbidden == {el, term}

    def check(sid: str, elements: tuple[str, ...]) -> str:
        if not (2 <= len(sid) <= 3 and sid[0].isalpha() and all(c in _ID_CHARS for c in sid)):
            raise ValueError(f"invalid segment id {sid!r}")
        if same:
            text = el.join((sid, *elements))
            if text.count(el) == len(elements) and term not in text:
                return text
        for i, value in enumerate(elements, 1):
            bad = [c for c in forbidden if c in value]
            if bad:
                raise ValueError(f"{sid}{i:02d} {value!r} contains {bad[0]!r}, which is a delimiter here")
        text = el.join((sid, *elements))
        return text.translate(table) if table else text

    return check


def _segment(spec: SegmentSpec) -> Segment:
    if isinstance(spec, Segment):
        return spec
    if isinstance(spec, str) or not spec:
        raise ValueError(f"a segment spec is a sequence (id, element, ...), got {spec!r}")
    items = [str(x) for x in spec]
    while len(items) > 1 and items[-1] == "":
        items.pop()  # X12 forbids trailing empty elements; drop them rather than write '**~'
    return Segment(id=items[0], elements=tuple(items[1:]))


def build_interchange(
    sender: str,
    receiver: str,
    control_number: int | str,
    *,
    at: datetime,
    groups: Sequence[GroupSpec],
    sender_qualifier: str = "ZZ",
    receiver_qualifier: str = "ZZ",
    version: str | None = None,
    usage_indicator: str = "P",
    ack_requested: str = "0",
    delimiters: Delimiters = DEFAULT_DELIMITERS,
    agency: str = "X",
) -> Interchange:
    """Assemble an :class:`Interchange` ready for :func:`write`, envelopes included.

    ``at`` dates the ISA (YYMMDD, HHMM) and the GS (CCYYMMDD, HHMM); the codec never reads the
    clock.  ``version`` is ISA12, by default the first 5 characters of the first group's GS08
    (``004010`` -> ``00401``).  GS02/GS03 repeat the interchange sender and receiver.  Integer
    control numbers are formatted (ISA13 9 digits, ST02 at least 4); positions are numbered as
    they will be in the written text, lines are 0 (not read from a file).
    """
    if isinstance(control_number, int):
        if not 0 <= control_number <= 999_999_999:
            raise ValueError(f"ISA13 must fit in 9 digits, got {control_number}")
        control_number = f"{control_number:09d}"
    isa12 = version or (groups[0][1][:5] if groups else "00501")
    d = delimiters if isa12 >= "00402" else replace(delimiters, repetition=None)
    position = 1
    built_groups: list[FunctionalGroup] = []
    for functional_id, gs08, gctrl, sets in groups:
        position += 1
        gs = Segment(id="GS", position=position, delimiters=d)
        built_sets: list[TransactionSet] = []
        for spec in sets:
            if isinstance(spec, TransactionSet):
                set_id, sctrl, content = spec.id, spec.control_number, list(spec.segments)
                extra = spec.header.elements[2:]
            else:
                set_id, raw_ctrl, specs = spec
                sctrl = f"{raw_ctrl:04d}" if isinstance(raw_ctrl, int) else raw_ctrl
                content, extra = [_segment(s) for s in specs], ()
            position += 1
            st = Segment(id="ST", elements=(set_id, sctrl, *extra), position=position, delimiters=d)
            placed = []
            for seg in content:
                position += 1
                placed.append(Segment(id=seg.id, elements=seg.elements, position=position, delimiters=d))
            position += 1
            se = Segment(id="SE", elements=(str(len(placed) + 2), sctrl), position=position, delimiters=d)
            built_sets.append(
                TransactionSet(id=set_id, control_number=sctrl, segments=tuple(placed), header=st, trailer=se)
            )
        gctrl = str(gctrl)
        gs_elements = (
            functional_id,
            sender,
            receiver,
            at.strftime("%Y%m%d"),
            at.strftime("%H%M"),
            gctrl,
            agency,
            gs08,
        )
        position += 1
        built_groups.append(
            FunctionalGroup(
                functional_id=functional_id,
                sender=sender,
                receiver=receiver,
                date=gs_elements[3],
                time=gs_elements[4],
                control_number=gctrl,
                agency=agency,
                version=gs08,
                transaction_sets=tuple(built_sets),
                header=replace(gs, elements=gs_elements),
                trailer=Segment(
                    id="GE", elements=(str(len(built_sets)), gctrl), position=position, delimiters=d
                ),
            )
        )
    ic = Interchange(
        sender_qualifier=sender_qualifier,
        sender_id=sender,
        receiver_qualifier=receiver_qualifier,
        receiver_id=receiver,
        date=at.strftime("%y%m%d"),
        time=at.strftime("%H%M"),
        control_number=control_number,
        version=isa12,
        ack_requested=ack_requested,
        usage_indicator=usage_indicator,
        delimiters=d,
        groups=tuple(built_groups),
    )
    _check_delimiters(d)
    header = Segment(id="ISA", elements=_isa_elements(ic, d), position=1, delimiters=d)
    trailer = Segment(
        id="IEA",
        elements=(str(len(built_groups)), control_number),
        position=position + 1,
        delimiters=d,
    )
    return replace(ic, header=header, trailer=trailer)
