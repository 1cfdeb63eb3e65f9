"""The ISA header: fixed-width fields and the delimiters of its interchange."""

from __future__ import annotations

from itertools import accumulate
from operator import itemgetter
from typing import NamedTuple

from o2c.adapters.edi.errors import EdiError, ErrorCode, Severity, new_error
from o2c.adapters.edi.model import Delimiters, Segment, fast_builder

__all__ = ["ISA_SEPARATOR_OFFSETS", "ISA_WIDTHS", "IsaInfo", "as_count", "read_isa", "same_number"]

_E = ErrorCode
# ISA01..ISA16 are fixed width, so an ISA is always 106 characters with its terminator.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_ISA_LENGTH = 3 + sum(w + 1 for w in ISA_WIDTHS)  # 105: 'ISA' + 16 x (separator + field)
# Past this length the 16th separator cannot belong to an ISA any more, even a sloppy one.
_ISA_SEARCH_LIMIT = _ISA_LENGTH + 40
# One Delimiters object per distinct set: every segment of an interchange points to it.
_DELIMITERS: dict[tuple[str, str, str | None, str], Delimiters] = {}
_segment = fast_builder(Segment)
# Offsets (from the "I" of ISA) of the 16 separators of a fixed-width ISA: 3, 6, 17 ... 103.
ISA_SEPARATOR_OFFSETS = tuple(accumulate((3, *(w + 1 for w in ISA_WIDTHS[:-1]))))
_separators = itemgetter(*ISA_SEPARATOR_OFFSETS)
_FIELD_SPANS = tuple(zip((o + 1 for o in ISA_SEPARATOR_OFFSETS), ISA_SEPARATOR_OFFSETS[1:], strict=False))


class IsaInfo(NamedTuple):
    """A decoded ISA: where it is, its delimiters, its fields with padding stripped."""

    start: int
    end: int  # index just after the ISA's terminator
    delimiters: Delimiters
    header: Segment
    fields: tuple[str, ...]  # ISA01..ISA16, stripped
    errors: tuple[EdiError, ...]


def same_number(a: str, b: str) -> bool:
    """Numeric control numbers compare by value ('000005' == '5'); others must match exactly."""
    if a == b:
        return True
    digits = a.isascii() and b.isascii() and a.isdigit() and b.isdigit()
    return digits and a.lstrip("0") == b.lstrip("0")


def as_count(value: str) -> int | None:
    """A count element (SE01, GE01, IEA01) as an int, or None when it is not a count."""
    # Bounded length: int() of a huge digit string is slow and, past 4300 digits, raises.
    if value.isascii() and value.isdigit() and len(value) <= 10:
        return int(value)
    return None


def _bad_delimiter(c: str) -> bool:
    return c.isalnum() or c == " "


def _locate(text: str, start: int, el: str) -> int:
    """Index of the separator before ISA16, or -(number of separators found) when cut short.

    For an ISA whose separators are not all at their fixed offsets (read_isa takes the fixed
    ones without calling this): they are counted one by one.  Sixteen of them within the
    first 105 characters prove nothing then - one may be missing and ISA16 be the separator.
    """
    limit = min(len(text), start + _ISA_SEARCH_LIMIT)
    idx = start + 3
    for count in range(1, 16):
        idx = text.find(el, idx + 1, limit)
        if idx < 0:
            return -count
    return idx


def _fail(errors: list[EdiError], line: int, code: str, message: str) -> None:
    errors.append(new_error(code=code, message=message, segment_id="ISA", position=1, line=line))


def _note(
    found: list[EdiError],
    errors: list[EdiError],
    line: int,
    ctrl: str,
    code: str,
    message: str,
    element: int | None,
    severity: Severity = "error",
) -> None:
    err = new_error(
        code=code,
        message=message,
        segment_id="ISA",
        position=1,
        line=line,
        element=element,
        interchange_control_number=ctrl,
        severity=severity,
    )
    found.append(err)
    errors.append(err)


def read_isa(text: str, start: int, line: int, errors: list[EdiError]) -> IsaInfo | None:
    """Decode the ISA at ``text[start]``; None (with an error appended) when unusable.

    Unusable means the element separator or terminator cannot be determined: then nothing
    after the ISA can be split reliably.  Other faults (field widths, a clashing component or
    repetition separator, a non-numeric ISA13) are reported and the ISA is used anyway.
    """
    el = text[start + 3 : start + 4]
    if not el:
        _fail(
            errors, line, _E.ISA_TOO_SHORT, "The input ends inside the ISA header; an ISA is 106 characters."
        )
        return None
    if el.isalnum() or el in " \r\n\t":
        _fail(
            errors,
            line,
            _E.BAD_DELIMITERS,
            f"The element separator (4th character of ISA) is {el!r}; it must be a "
            "punctuation or control character, not a letter, digit or blank.",
        )
        return None
    # Fast path: a fixed-width ISA has its 16 separators, and only those, at fixed offsets.
    # With the separator at every fixed offset but also elsewhere (in ISA11 or ISA16, where
    # it must not be), the fixed offsets still say where the fields are.
    head = text[start : start + _ISA_LENGTH]
    positional = len(head) == _ISA_LENGTH and _separators(head) == (el,) * 16
    fixed = positional and head.count(el) == 16
    idx = start + _ISA_LENGTH - 2 if positional else _locate(text, start, el)
    if idx < 0:
        _fail(
            errors,
            line,
            _E.ISA_TOO_SHORT,
            f"The ISA header has only {-idx} of its 16 elements before the data ends; "
            f"expected a 106-character ISA with 16 {el!r}-separated fields.",
        )
        return None
    comp = text[idx + 1 : idx + 2]
    term = text[idx + 2 : idx + 3]
    if not term:
        _fail(
            errors,
            line,
            _E.ISA_TOO_SHORT,
            "The ISA header is cut short: ISA16 or the segment terminator after it is missing.",
        )
        return None
    if term.isalnum() or term == " " or term == el:
        _fail(
            errors,
            line,
            _E.BAD_DELIMITERS,
            f"The segment terminator (the character after ISA16) is {term!r}; it must differ "
            f"from the element separator {el!r} and not be a letter, digit or blank. The ISA "
            "is probably truncated or malformed.",
        )
        return None
    if positional and not fixed:
        raw = (*(head[a:b] for a, b in _FIELD_SPANS), comp)
    else:
        # Split only up to the last separator: ISA16 may (wrongly) equal the element separator.
        inner = text[start + 4 : idx]
        if not fixed and ("\n" in inner or "\r" in inner):
            # Line breaks inside the ISA are no data: the file is wrapped (80-column records
            # break a fixed-width ISA in ISA10), which the reader undoes after the ISA too.
            inner = inner.replace("\r", "").replace("\n", "")
        raw = (*inner.split(el), comp)
    fields = tuple(map(str.strip, raw))
    ctrl = fields[12]
    found: list[EdiError] = []
    if not fixed:
        widths = tuple(map(len, raw))
        if widths != ISA_WIDTHS:
            bad = [
                f"ISA{i:02d} is {w} wide, expected {x}"
                for i, (w, x) in enumerate(zip(widths, ISA_WIDTHS, strict=True), 1)
                if w != x
            ]
            _note(
                found,
                errors,
                line,
                ctrl,
                _E.ISA_FIELD_WIDTH,
                "The ISA is not fixed-width: " + "; ".join(bad) + ". It was read anyway.",
                None,
                "warning",
            )
    if positional and not fixed:  # the separator inside a field (ISA11 and ISA16: see below)
        for i, value in enumerate(raw[:15], 1):
            if el in value and i != 11:
                _note(
                    found,
                    errors,
                    line,
                    ctrl,
                    _E.BAD_DELIMITERS,
                    f"ISA{i:02d} {value!r} contains the element separator {el!r}; a delimiter "
                    "cannot be data.",
                    i,
                )
    if _bad_delimiter(comp) or comp in (el, term):
        _note(
            found,
            errors,
            line,
            ctrl,
            _E.BAD_DELIMITERS,
            f"The component separator ISA16 is {comp!r}; it must be distinct from the element "
            f"separator {el!r} and terminator {term!r} and not alphanumeric.",
            16,
        )
    rep: str | None = None
    isa11 = raw[10]
    if len(isa11) == 1 and not _bad_delimiter(isa11):
        if isa11 in (el, term, comp):
            _note(
                found,
                errors,
                line,
                ctrl,
                _E.BAD_DELIMITERS,
                f"The repetition separator ISA11 {isa11!r} is also used as another delimiter; "
                "repetitions cannot be told apart and are not split.",
                11,
            )
        else:
            rep = isa11
    if not (ctrl.isascii() and ctrl.isdigit()):
        _note(
            found,
            errors,
            line,
            ctrl,
            _E.CONTROL_NUMBER_INVALID,
            f"ISA13 interchange control number {ctrl!r} is not a 9-digit number.",
            13,
        )
    key = (el, comp, rep, term)
    delimiters = _DELIMITERS.get(key)
    if delimiters is None:
        delimiters = Delimiters(element=el, component=comp, repetition=rep, terminator=term)
        if len(_DELIMITERS) < 1024:  # bounded: hostile input could vary them endlessly
            _DELIMITERS[key] = delimiters
    header = _segment(id="ISA", elements=raw, position=1, line=line, delimiters=delimiters)
    return IsaInfo(start, idx + 3, delimiters, header, fields, tuple(found))
