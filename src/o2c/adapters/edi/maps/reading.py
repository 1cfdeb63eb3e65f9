"""Reading elements of one transaction set and recording what is wrong with them.

Every map reads through a :class:`Findings`: the helpers return the value when it is usable
and otherwise record a :class:`~.result.MapError` (with the AK4 data element reference) and
return ``None``/``""``, so a map reads on and reports every problem of a set at once rather
than the first.  They are plain functions over ``Segment.elements``: maps run once per
segment of every inbound document, and a method call per element would dominate the cost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from o2c.adapters.edi import ErrorCode, Segment, Severity, TransactionSet
from o2c.adapters.edi.maps.result import MapError
from o2c.domain.money import known_currency

__all__ = [
    "MAX_ID",
    "MAX_PRODUCT",
    "Findings",
    "Party",
    "add_address",
    "date_of",
    "el",
    "fits",
    "number",
    "pick_product",
    "product_pairs",
    "read_party",
    "required",
    "terms_text",
    "time_of",
]

_E = ErrorCode
# X12 "R" (decimal) type: optional minus, digits with an optional point; no exponent, no plus.
_DECIMAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
_MAX_DIGITS = 15  # the longest R element o2c reads (quantities, amounts) holds 15 digits
# Two-digit years (YYMMDD dates of 003xxx versions): 00-49 are 20xx, 50-99 are 19xx.
_PIVOT = 50
MAX_PRODUCT = 48  # data element 234, product/service id, is AN 1/48


class Findings:
    """The problems found in one set so far, each a :class:`MapError`.

    ``anchor`` is where a missing segment is reported: the first segment after ST (the 997
    convention is the position where the segment was expected), or the trailer when the set
    is empty.
    """

    __slots__ = ("_ts", "anchor", "errors")

    def __init__(self, ts: TransactionSet) -> None:
        self.errors: list[MapError] = []
        self._ts = ts
        first = ts.segments[0] if ts.segments else (ts.trailer or ts.header)
        self.anchor: Segment = first

    def after(self, seg: Segment | None) -> Segment | None:
        """The segment following ``seg`` in the set (the trailer after the last one).

        Where a missing segment is reported: at its expected place, not on a neighbour whose
        own findings the 997 would then merge with it (one AK3 per position).
        """
        if seg is None:
            return None
        segments = self._ts.segments
        for i, s in enumerate(segments):
            if s is seg:
                return segments[i + 1] if i + 1 < len(segments) else self._ts.trailer
        return None

    def first(self, *segment_ids: str) -> Segment | None:
        """The first segment with one of these ids, else the trailer (where a header loop that
        should precede them is reported missing)."""
        for s in self._ts.segments:
            if s.id in segment_ids:
                return s
        return self._ts.trailer

    @property
    def failed(self) -> bool:
        """True once an error-severity finding was recorded."""
        errors = self.errors
        return bool(errors) and any(e.severity == "error" for e in errors)

    def add(
        self,
        seg: Segment | None,
        code: str,
        rule: str,
        message: str,
        *,
        segment_id: str | None = None,
        element: int | None = None,
        reference: str | None = None,
        expected: str = "",
        severity: Severity = "error",
    ) -> None:
        """Record one finding about ``seg`` (or, when None, at the anchor)."""
        at = seg if seg is not None else self.anchor
        self.errors.append(
            MapError(
                code=code,
                rule=rule,
                message=message,
                segment_id=segment_id or at.id,
                position=at.position or None,
                line=at.line or None,
                element=element,
                reference=reference,
                expected=expected,
                severity=severity,
            )
        )

    def missing_segment(self, segment_id: str, rule: str, message: str, *, at: Segment | None = None) -> None:
        """A mandatory segment is absent (AK304 3), reported where it was expected."""
        self.add(at, _E.MANDATORY_SEGMENT_MISSING, rule, message, segment_id=segment_id)

    def missing(self, seg: Segment, index: int, reference: str, rule: str, what: str) -> None:
        """A mandatory element is empty or absent (AK403 1)."""
        self.add(
            seg,
            _E.MANDATORY_ELEMENT_MISSING,
            rule,
            f"{seg.id}{index:02d} ({what}) is missing.",
            element=index,
            reference=reference,
            expected=what,
        )

    def bad_value(
        self,
        seg: Segment,
        index: int,
        reference: str,
        rule: str,
        message: str,
        *,
        expected: str = "",
        severity: Severity = "error",
    ) -> None:
        """A well-formed value that cannot be accepted (AK403 7, see :mod:`.result`)."""
        self.add(
            seg,
            _E.INVALID_CODE_VALUE,
            rule,
            message,
            element=index,
            reference=reference,
            expected=expected,
            severity=severity,
        )


def el(seg: Segment, index: int) -> str:
    """Element ``index`` (1-based) without surrounding blanks; ``""`` when absent."""
    elements = seg.elements
    return elements[index - 1].strip() if len(elements) >= index else ""


MAX_ID = 80  # the longest X12 identifier element o2c reads (67, 127 in 005010) holds 80


def fits(
    f: Findings,
    seg: Segment,
    index: int,
    value: str,
    reference: str,
    rule: str,
    what: str,
    max_len: int = MAX_ID,
) -> str:
    """``value`` (element ``index``) when it is at most ``max_len`` long; else "" and AK403 5.

    Identifiers land in canonical fields with length limits: an overlong one is the partner's
    error to hear about, not a payload the model refuses later.
    """
    if len(value) <= max_len:
        return value
    f.add(
        seg,
        _E.ELEMENT_TOO_LONG,
        rule,
        f"{seg.id}{index:02d} ({what}) is {len(value)} characters long; at most {max_len} are allowed.",
        element=index,
        reference=reference,
    )
    return ""


def required(
    f: Findings, seg: Segment, index: int, reference: str, rule: str, what: str, max_len: int = MAX_ID
) -> str:
    """Element ``index``, recording it as missing when empty or too long when over ``max_len``."""
    value = el(seg, index)
    if not value:
        f.missing(seg, index, reference, rule, what)
    return fits(f, seg, index, value, reference, rule, what, max_len)


def number(
    f: Findings,
    seg: Segment,
    index: int,
    reference: str,
    rule: str,
    what: str,
    *,
    required: bool = False,
    positive: bool = False,
    places: int = 6,
) -> Decimal | None:
    """A decimal element; None when empty (recorded if ``required``) or unusable (recorded).

    Invariants of a returned value: finite, at most 15 digits and ``places`` decimals (what the
    canonical models keep: 6 for quantities, 4 for amounts), and > 0 when ``positive``.
    """
    elements = seg.elements
    text = elements[index - 1].strip() if len(elements) >= index else ""
    if not text:
        if required:
            f.missing(seg, index, reference, rule, what)
        return None
    if _DECIMAL.fullmatch(text) is None:
        f.add(
            seg,
            _E.INVALID_CHARACTER,
            rule,
            f"{seg.id}{index:02d} ({what}) is {text!r}, not a decimal number.",
            element=index,
            reference=reference,
            expected="digits with an optional leading minus and decimal point",
        )
        return None
    # The pattern leaves only digits, one optional leading minus and at most one point.
    if len(text) - (text[0] == "-") - ("." in text) > _MAX_DIGITS:
        f.add(
            seg,
            _E.ELEMENT_TOO_LONG,
            rule,
            f"{seg.id}{index:02d} ({what}) {text!r} has more than {_MAX_DIGITS} digits.",
            element=index,
            reference=reference,
        )
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # unreachable after the pattern, kept for the no-raise contract
        f.bad_value(seg, index, reference, rule, f"{seg.id}{index:02d} {text!r} is not a number.")
        return None
    # Decimal keeps every digit after the point (1.50 has exponent -2): count them in the text.
    if "." in text and len(text) - text.index(".") - 1 > places:
        f.bad_value(
            seg,
            index,
            reference,
            rule,
            f"{seg.id}{index:02d} ({what}) {text!r} has more than the {places} decimals o2c keeps; "
            "rounding it would change the document's meaning.",
            expected=f"at most {places} decimals",
        )
        return None
    if positive and value <= 0:
        f.bad_value(
            seg,
            index,
            reference,
            rule,
            f"{seg.id}{index:02d} ({what}) is {text}; it must be greater than zero.",
            expected="a quantity greater than zero",
        )
        return None
    return value


def date_of(
    f: Findings, seg: Segment, index: int, rule: str, what: str, *, required: bool = False
) -> date | None:
    """A date element (373): CCYYMMDD, or YYMMDD as versions before 004010 send it."""
    text = el(seg, index)
    if not text:
        if required:
            f.missing(seg, index, "373", rule, what)
        return None
    if text.isascii() and text.isdigit() and len(text) in (6, 8):
        if len(text) == 8:
            year = int(text[:4])
        else:
            yy = int(text[:2])
            year = (2000 if yy < _PIVOT else 1900) + yy
        try:
            return date(year, int(text[-4:-2]), int(text[-2:]))
        except ValueError:
            pass
    f.add(
        seg,
        _E.INVALID_DATE,
        rule,
        f"{seg.id}{index:02d} ({what}) {text!r} is not a calendar date.",
        element=index,
        reference="373",
        expected="CCYYMMDD (or YYMMDD before version 004010)",
    )
    return None


def time_of(f: Findings, seg: Segment, index: int, rule: str, what: str) -> time | None:
    """A time element (337): HHMM, HHMMSS, HHMMSSD or HHMMSSDD; None when empty or bad."""
    text = el(seg, index)
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) in (4, 6, 7, 8):
        try:
            seconds = int(text[4:6]) if len(text) >= 6 else 0
            micros = int(text[6:].ljust(2, "0")) * 10_000 if len(text) > 6 else 0
            return time(int(text[:2]), int(text[2:4]), seconds, micros)
        except ValueError:
            pass
    f.add(
        seg,
        _E.INVALID_TIME,
        rule,
        f"{seg.id}{index:02d} ({what}) {text!r} is not a time of day.",
        element=index,
        reference="337",
        expected="HHMM, HHMMSS, HHMMSSD or HHMMSSDD",
    )
    return None


def unit_code(f: Findings, seg: Segment, index: int, rule: str) -> str | None:
    """The unit code (code list 355) of element ``index``, the first component of a C001
    composite: ``""`` when empty, None (and an error) when it is not two letters or digits -
    as a unit that ran into the next segment (``FTCTT``) leaves it."""
    code = el(seg, index).split(seg.delimiters.component, 1)[0].strip()
    if not code or (len(code) == 2 and code.isascii() and code.isalnum()):
        return code
    f.bad_value(
        seg,
        index,
        "355",
        rule,
        f"{seg.id}{index:02d} unit {code!r} is not an X12 unit code.",
        expected="a two-character unit code such as EA or CA",
    )
    return None


# X12 time codes (code list 623): fixed offsets, and the zones that keep daylight time.
_FIXED_ZONES: dict[str, float] = {
    "UT": 0, "GM": 0, "ES": -5, "ED": -4, "CS": -6, "CD": -5, "MS": -7, "MD": -6, "PS": -8, "PD": -7,
    "AS": -9, "AD": -8, "HS": -10, "HD": -9, "TS": -4, "TD": -3, "NS": -3.5, "ND": -2.5,
}  # fmt: skip
_VARYING_ZONES = {
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles", "AT": "America/Anchorage", "HT": "Pacific/Honolulu",
    "NT": "America/St_Johns", "TT": "America/Halifax",
}  # fmt: skip


def zone_of(f: Findings, seg: Segment, index: int, rule: str, local: str) -> tzinfo:
    """The zone of the time code in element ``index`` (code list 623): ``UT``/``GM`` UTC, the
    US and Canadian standard/daylight codes as fixed offsets, ``ET``/``CT``/``MT``/``PT``... through
    the IANA database; ``LT`` or no code is ``local`` (the partner's zone).  An unknown code is
    a warning, and ``local`` is used."""
    code = el(seg, index)
    if code in _FIXED_ZONES:
        return timezone(timedelta(hours=_FIXED_ZONES[code]))
    if code in _VARYING_ZONES:
        return ZoneInfo(_VARYING_ZONES[code])
    if code not in ("", "LT"):
        f.bad_value(
            seg,
            index,
            "623",
            rule,
            f"{seg.id}{index:02d} time code {code!r} is not one o2c knows; the time was read in the "
            f"partner's zone {local}.",
            expected="UT, GM, LT or a North American zone code",
            severity="warning",
        )
    return ZoneInfo(local)


def product_pairs(
    seg: Segment, first: int, f: Findings | None = None, rule: str = ""
) -> list[tuple[str, str]]:
    """The (qualifier, id) pairs of a segment from element ``first`` on (PO106/PO107...).

    With ``f``, an id longer than an X12 product id may be (48) is reported and left out.
    """
    elements = seg.elements
    out = []
    for i in range(first - 1, len(elements) - 1, 2):
        qualifier, value = elements[i].strip(), elements[i + 1].strip()
        if qualifier and value:
            if f is not None and len(value) > MAX_PRODUCT:
                fits(f, seg, i + 2, value, "234", rule, "product/service id", MAX_PRODUCT)
                continue
            out.append((qualifier, value))
    return out


def pick_product(pairs: Sequence[tuple[str, str]], preference: Sequence[str]) -> tuple[str, str] | None:
    """The pair whose qualifier comes first in ``preference``; None when none matches."""
    for wanted in preference:
        for qualifier, value in pairs:
            if qualifier == wanted:
                return qualifier, value
    return None


def terms_text(itd: Segment) -> str | None:
    """ITD as o2c terms text: ITD03 % / ITD05 days net ITD07 days, e.g. ``2/10 net 30``.

    Falls back to the free-form ITD12 when the coded elements do not say enough; returns None
    when neither does.  The engine checks the text against the account's terms.
    """
    pct, ddays, net = el(itd, 3), el(itd, 5), el(itd, 7)
    if net.isdigit():
        try:
            percent = Decimal(pct) if pct else Decimal(0)
        except InvalidOperation:
            percent = Decimal(-1)
        if percent == 0:
            return f"net {int(net)}"
        if percent > 0 and ddays.isdigit():
            return f"{percent.normalize():f}/{int(ddays)} net {int(net)}"
    text = el(itd, 12)
    return text or None


Party = dict[str, str]
"""An N1 loop as read: role, name, id_qualifier, id, address, city, region, postal_code, country."""


def read_party(n1: Segment, f: Findings) -> Party:
    """The N1 part of a party (an overlong N104 is reported and dropped); :func:`add_address`
    completes it from N3/N4."""
    e = n1.elements  # el() inlined: every inbound document has a few of these
    n = len(e)
    code = e[3].strip() if n > 3 else ""
    if len(code) > MAX_ID:
        code = fits(f, n1, 4, code, "67", f"{n1.id}04", "identification code")
    return {
        "role": e[0].strip() if n else "",
        "name": e[1].strip() if n > 1 else "",
        "id_qualifier": e[2].strip() if n > 2 else "",
        "id": code,
    }


def add_address(party: Party, seg: Segment) -> None:
    """Fold an N3 or N4 of the loop into ``party``."""
    e = seg.elements  # el() inlined, as in read_party
    n = len(e)
    if seg.id == "N3":
        first = e[0].strip() if n else ""
        second = e[1].strip() if n > 1 else ""
        party["address"] = "; ".join([v for v in (party.get("address", ""), first, second) if v])
    elif seg.id == "N4":
        party.update(
            city=e[0].strip() if n else "",
            region=e[1].strip() if n > 1 else "",
            postal_code=e[2].strip() if n > 2 else "",
            country=e[3].strip() if n > 3 else "",
        )


def currency_of(f: Findings, cur: Segment | None, default: str, rule: str) -> str:
    """CUR02 (``default``, the partner's currency, without a CUR segment): an ISO 4217 code
    o2c keeps amounts in, else a finding naming it, and ``default``."""
    if cur is None:
        return default
    code = el(cur, 2)
    if len(code) == 3 and code.isascii() and code.isalpha() and code.isupper() and known_currency(code):
        return code
    f.bad_value(cur, 2, "100", rule, f"CUR02 currency {code!r} is not an ISO 4217 code o2c keeps "
                "amounts in.", expected="three upper-case letters such as USD")
    return default
