"""997 functional acknowledgments from errors.

:func:`assess_group` decides, set by set, what a 997 must say about one inbound functional
group (and so which sets the engine may process); :func:`functional_ack` renders that verdict
as a 997 transaction set.  Codes come from :mod:`o2c.adapters.edi.errors`, whose tables follow
the X12 code lists (AK304/720, AK403/723, AK502/718, AK905/716).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from o2c.adapters.edi.errors import EdiError
from o2c.adapters.edi.isa import same_number
from o2c.adapters.edi.model import FunctionalGroup, Interchange, Segment, TransactionSet, fast_builder

__all__ = [
    "ElementNote",
    "GroupVerdict",
    "SegmentNote",
    "SetVerdict",
    "assess_group",
    "functional_ack",
]

_MAX_CODES = 5  # AK502..AK506 and AK905..AK909
# What a 997 may echo from the partner's data: delimiters are never letters, digits or blanks,
# so these can be written under any delimiters (other characters are dropped, see _echo).
_SAFE_COPY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ")
_all_safe = re.compile("[A-Za-z0-9 ]*").fullmatch


@dataclass(frozen=True, slots=True, kw_only=True)
class ElementNote:
    """One AK4: element position in its segment, AK403 code, a copy of the bad value."""

    position: int
    code: str
    reference: str = ""
    bad_value: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentNote:
    """One AK3: segment id, position in the set (ST = 1), AK304 code and its AK4s."""

    segment_id: str
    position: int
    code: str
    elements: tuple[ElementNote, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SetVerdict:
    """What AK2..AK5 say about one set: AK501 ``A``/``E``/``R`` and the AK502.. codes."""

    transaction_set: TransactionSet
    code: str
    syntax_codes: tuple[str, ...]
    segments: tuple[SegmentNote, ...]
    errors: tuple[EdiError, ...]

    @property
    def accepted(self) -> bool:
        """True for ``A`` and ``E``: the set may be processed."""
        return self.code in ("A", "E")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupVerdict:
    """What AK9 says about the group: AK901 ``A``/``E``/``P``/``R``, counts and codes."""

    group: FunctionalGroup
    code: str
    included: int
    received: int
    accepted: int
    syntax_codes: tuple[str, ...]
    sets: tuple[SetVerdict, ...]
    errors: tuple[EdiError, ...]


# One 997 per inbound group, with a verdict per set: built without the frozen dataclasses'
# per-field object.__setattr__ (see fast_builder).
_segment = fast_builder(Segment)
_transaction_set = fast_builder(TransactionSet)
_element_note = fast_builder(ElementNote)
_segment_note = fast_builder(SegmentNote)
_set_verdict = fast_builder(SetVerdict)
_group_verdict = fast_builder(GroupVerdict)


def _belongs(err: EdiError, ic: Interchange, group: FunctionalGroup) -> bool:
    if err.group_control_number is None or not same_number(err.group_control_number, group.control_number):
        return False
    icn = err.interchange_control_number
    return icn is None or same_number(icn, ic.control_number)


def _span(ts: TransactionSet) -> tuple[int, int]:
    last = ts.trailer or (ts.segments[-1] if ts.segments else ts.header)
    return ts.header.position, last.position


def _owner(err: EdiError, sets: tuple[TransactionSet, ...], by_control: dict[str, list[int]]) -> int | None:
    """Index of the set an error is about: by control number, then by position if duplicated.

    ``by_control`` maps each control number to the indexes of the sets that carry it (see
    :func:`_by_control`): one lookup per error rather than a scan of the group's sets.
    """
    if err.set_control_number is None:
        return None
    matches = by_control.get(err.set_control_number, ())
    if len(matches) > 1 and err.position:
        for i in matches:
            lo, hi = _span(sets[i])
            if lo <= err.position <= hi:
                return i
    return matches[0] if matches else None


def _by_control(sets: tuple[TransactionSet, ...]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, ts in enumerate(sets):
        out.setdefault(ts.control_number, []).append(i)
    return out


def _dedupe(errors: Iterable[EdiError]) -> tuple[EdiError, ...]:
    return tuple(dict.fromkeys(errors)) if errors else ()


def _codes(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(c for c in dict.fromkeys(values) if c is not None)[:_MAX_CODES]


def _segment_notes(ts: TransactionSet, errors: tuple[EdiError, ...]) -> tuple[SegmentNote, ...]:
    if not errors:
        return ()
    by_position = {s.position: s for s in ts.segments}
    by_position[ts.header.position] = ts.header
    notes: dict[int, tuple[str, str, list[ElementNote]]] = {}
    base = ts.header.position
    for err in errors:
        seg_code = err.ak304
        if seg_code is None or not err.position or not base or err.position < base:
            continue
        pos = err.position - base + 1
        seg = by_position.get(err.position)
        sid = _echo(err.segment_id or (seg.id if seg else ""))[:3]
        if not sid:
            continue
        entry = notes.setdefault(pos, (sid, seg_code, []))
        if entry[1] == "8" and seg_code != "8":  # a segment-level fault outranks element notes
            entry = notes[pos] = (sid, seg_code, entry[2])
        elem_code = err.ak403
        if elem_code is not None and err.element:
            value = seg.element(err.element) if seg and err.element >= 1 else ""
            copy = value[:99] if value and _echo(value) == value else ""
            entry[2].append(
                _element_note(
                    position=err.element,
                    code=elem_code,
                    reference=err.reference or "",
                    bad_value=copy,
                )
            )
    return tuple(
        _segment_note(segment_id=sid, position=pos, code=code, elements=tuple(elems))
        for pos, (sid, code, elems) in sorted(notes.items())
    )


def _assess_set(ts: TransactionSet, errors: tuple[EdiError, ...]) -> SetVerdict:
    if not errors:  # the usual case, and what the general path below concludes for it
        return _set_verdict(transaction_set=ts, code="A", syntax_codes=(), segments=(), errors=())
    notes = _segment_notes(ts, errors)
    codes = [e.ak502 for e in errors]
    if notes or any(e.ak304 for e in errors):
        codes.append("5")  # One or More Segments in Error
    if any(e.severity == "error" for e in errors):
        code = "R"
    elif errors:
        code = "E"
    else:
        code = "A"
    return _set_verdict(
        transaction_set=ts, code=code, syntax_codes=_codes(codes), segments=notes, errors=errors
    )


def _rejected_with_group(verdict: SetVerdict) -> SetVerdict:
    """``verdict`` as part of a group rejected for its envelope: no set of it is processed.

    The AK5 must say so (AK904 counts the AK5s that accept).  The 718 list has no code for
    "rejected with its group", so a set that was sound gets ``R`` with no AK502 (optional) and
    AK905 says why; a set with its own findings keeps their codes and notes.
    """
    if not verdict.accepted:
        return verdict
    return _set_verdict(
        transaction_set=verdict.transaction_set,
        code="R",
        syntax_codes=verdict.syntax_codes,
        segments=verdict.segments,
        errors=verdict.errors,
    )


def assess_group(
    interchange: Interchange, group: FunctionalGroup, errors: Iterable[EdiError] = ()
) -> GroupVerdict:
    """Decide the 997 verdict for ``group`` of ``interchange``.

    Considers the errors attached to the group and its sets by the reader, plus those of
    ``errors`` (e.g. a mapper's findings, or simply ``ParseResult.errors``) whose group - and
    interchange, when given - match; duplicates are counted once.  Invariants: a set with any
    error-severity problem is ``R``, with only warnings ``E``, otherwise ``A``; the group is
    ``R`` when its own envelope has an error (then no set counts as accepted, since none will be
    processed), else ``A``/``E`` when every set is accepted, ``P`` when some are, ``R`` when
    none are.
    """
    sets = group.transaction_sets
    per_set: list[list[EdiError]] = [list(ts.errors) for ts in sets]
    group_errors: list[EdiError] = list(group.errors)
    by_control: dict[str, list[int]] | None = None  # built for the first error that needs it
    for err in errors:
        if not _belongs(err, interchange, group):
            continue
        if by_control is None and err.set_control_number is not None:
            by_control = _by_control(sets)
        owner = None if by_control is None else _owner(err, sets, by_control)
        (group_errors if owner is None else per_set[owner]).append(err)
    verdicts = tuple(_assess_set(ts, _dedupe(errs)) for ts, errs in zip(sets, per_set, strict=True))
    g_errors = _dedupe(group_errors)
    received = len(sets)
    declared = group.trailer.element(1) if group.trailer else ""
    included = int(declared) if declared.isascii() and declared.isdigit() and len(declared) < 10 else received
    group_rejected = any(e.severity == "error" for e in g_errors)
    if group_rejected:
        verdicts = tuple(map(_rejected_with_group, verdicts))
    accepted = sum(v.accepted for v in verdicts)
    if group_rejected:
        code = "R"
    elif accepted == received:
        code = "E" if g_errors or any(v.code == "E" for v in verdicts) else "A"
    else:
        code = "P" if accepted else "R"
    return _group_verdict(
        group=group,
        code=code,
        included=included,
        received=received,
        accepted=accepted,
        syntax_codes=_codes(e.ak905 for e in g_errors),
        sets=verdicts,
        errors=g_errors,
    )


def functional_ack(
    interchange: Interchange,
    group: FunctionalGroup,
    errors: Iterable[EdiError] = (),
    *,
    control_number: int | str,
) -> TransactionSet:
    """Build the 997 transaction set acknowledging ``group`` (see :func:`assess_group`).

    ``control_number`` is the 997's ST02 (an int is zero-padded to 4 digits).  The result holds
    AK1, then for every received set AK2 [AK3 [AK4...]...] AK5, then AK9; wrap it in an
    interchange with :func:`build_interchange` (functional id ``FA``) to send it.  Positions
    are 0: the builder numbers them when it places the set.
    """
    verdict = assess_group(interchange, group, errors)
    ctrl = f"{control_number:04d}" if isinstance(control_number, int) else control_number
    segs: list[Segment] = [
        _segment(id="AK1", elements=(_echo(group.functional_id), _echo(group.control_number)))
    ]
    for sv in verdict.sets:
        ts = sv.transaction_set
        # AK203 echoes ST03 (implementation convention reference) when the set had one.
        ak2 = tuple(map(_echo, (ts.id, ts.control_number, *ts.header.elements[2:3])))
        segs.append(_segment(id="AK2", elements=ak2))
        for note in sv.segments:
            segs.append(_segment(id="AK3", elements=(note.segment_id, str(note.position), "", note.code)))
            for el in note.elements:
                ak4 = (str(el.position), el.reference, el.code, el.bad_value)
                segs.append(_segment(id="AK4", elements=_trim(ak4)))
        segs.append(_segment(id="AK5", elements=(sv.code, *sv.syntax_codes)))
    ak9 = (
        verdict.code,
        str(verdict.included),
        str(verdict.received),
        str(verdict.accepted),
        *verdict.syntax_codes,
    )
    segs.append(_segment(id="AK9", elements=ak9))
    return _transaction_set(
        id="997",
        control_number=ctrl,
        segments=tuple(segs),
        header=_segment(id="ST", elements=("997", ctrl)),
        trailer=_segment(id="SE", elements=(str(len(segs) + 2), ctrl)),
    )


def _echo(value: str) -> str:
    """``value`` restricted to letters, digits and blanks, which no delimiter can be.

    Everything a 997 echoes comes from the partner's data, written under the partner's
    delimiters; so restricted, the 997 can be written under any others (AK404, optional, is
    left out instead when its copy would be altered).
    """
    return value if _all_safe(value) else "".join(c for c in value if c in _SAFE_COPY)


def _trim(elements: tuple[str, ...]) -> tuple[str, ...]:
    end = len(elements)
    while end > 1 and elements[end - 1] == "":
        end -= 1
    return elements[:end]
