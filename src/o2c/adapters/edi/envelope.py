"""The ISA/GS/ST/SE/GE/IEA state machine of one interchange.

The reader feeds every envelope segment to :class:`EnvelopeBuilder`, which checks control
numbers and counts as trailers arrive and closes whatever a missing trailer left open, so one
broken set never hides the sets after it.
"""

from __future__ import annotations

from collections.abc import Callable

from o2c.adapters.edi.errors import EdiError, ErrorCode, Severity, new_error
from o2c.adapters.edi.isa import IsaInfo, as_count, same_number
from o2c.adapters.edi.model import FunctionalGroup, Interchange, Segment, TransactionSet, fast_builder

__all__ = ["EnvelopeBuilder", "SetHook"]

SetHook = Callable[[IsaInfo, Segment, TransactionSet], TransactionSet]
"""Called with each transaction set as it closes (its interchange's ISA, its group's GS); what
it returns is kept in the group instead. A reader of a large file maps each set there and keeps
a light copy, so the whole file's segments are never held at once."""

_E = ErrorCode
# Every parsed set, group and interchange is built without the frozen dataclasses' per-field
# object.__setattr__ (see fast_builder).
_segment = fast_builder(Segment)
_transaction_set = fast_builder(TransactionSet)
_functional_group = fast_builder(FunctionalGroup)
_interchange = fast_builder(Interchange)
_BLANKS = ("",) * 8
_GS_ELEMENTS = (
    "functional identifier code",
    "application sender's code",
    "application receiver's code",
    "date",
    "time",
    "group control number",
    "responsible agency code",
    "version / release / industry identifier code",
)


def _head(seg: Segment, count: int) -> tuple[str, ...]:
    """Elements 1..``count`` (at most 8) of ``seg``, ``""`` for those it lacks: one call where
    several :func:`_el` would do."""
    elements = seg.elements
    return elements[:count] if len(elements) >= count else (*elements, *_BLANKS[: count - len(elements)])


def _el(seg: Segment, index: int) -> str:
    # Segment.element without the method call: this runs for every envelope segment.
    elements = seg.elements
    return elements[index - 1] if len(elements) >= index else ""


class EnvelopeBuilder:
    """State machine over the envelope segments of one interchange.

    ``content`` is the open transaction set's segment list (the reader appends to it directly)
    or None between sets.  Errors go both to the shared ``errors`` list and to the interchange,
    group or set they concern.
    """

    __slots__ = (
        "_all",
        "_g_ctrls",
        "_g_errors",
        "_g_sets",
        "_groups",
        "_gs",
        "_ic_errors",
        "_iea",
        "_isa",
        "_orphan",
        "_s_errors",
        "_set_ctrls",
        "_st",
        "_ta1",
        "content",
        "last",
        "on_set",
    )

    def __init__(self, isa: IsaInfo, errors: list[EdiError], on_set: SetHook | None = None) -> None:
        self._isa = isa
        self.on_set = on_set
        self._all = errors
        self._ic_errors: list[EdiError] = list(isa.errors)
        self._groups: list[FunctionalGroup] = []
        self._ta1: list[Segment] = []
        self._g_ctrls: set[str] = set()
        self._iea: Segment | None = None
        self._gs: Segment | None = None
        self._g_sets: list[TransactionSet] = []
        self._g_errors: list[EdiError] = []
        self._set_ctrls: set[str] = set()
        self._st: Segment | None = None
        self._s_errors: list[EdiError] = []
        self._orphan = False
        self.content: list[Segment] | None = None
        self.last: Segment | None = None  # the last segment read, set by the reader at the end

    # -- error plumbing -------------------------------------------------------------------
    def _error(
        self,
        code: str,
        message: str,
        at: Segment,
        *,
        segment_id: str | None = None,
        element: int | None = None,
        severity: Severity = "error",
    ) -> None:
        in_set = self.content is not None and not self._orphan and self._st is not None
        in_group = self._gs is not None
        err = new_error(
            code=code,
            message=message,
            segment_id=segment_id or at.id or None,
            position=at.position,
            line=at.line,
            element=element,
            set_control_number=_el(self._st, 2) if in_set and self._st else None,
            group_control_number=_el(self._gs, 6) if in_group and self._gs else None,
            interchange_control_number=self._isa.fields[12],
            severity=severity,
        )
        self._all.append(err)
        if in_set:
            self._s_errors.append(err)
        elif in_group:
            self._g_errors.append(err)
        else:
            self._ic_errors.append(err)

    def _last_segment(self) -> Segment:
        return self.last or self._isa.header

    # -- called by the reader ---------------------------------------------------------------
    def invalid_segment_id(self, seg: Segment) -> None:
        """Report a segment whose id is not X12-shaped (the segment is still kept)."""
        self._error(
            _E.INVALID_SEGMENT_ID,
            f"{seg.id!r} is not a valid segment id; expected 2-3 upper-case letters or digits "
            "starting with a letter.",
            seg,
        )

    def empty_segment(self, position: int, line: int) -> None:
        """Report two terminators in a row; ``position`` is that of the segment before."""
        at = _segment(id="", position=position, line=line)
        self._error(
            _E.EMPTY_SEGMENT,
            "Two segment terminators in a row: an empty segment was skipped.",
            at,
            severity="warning",
        )

    def outside(self, seg: Segment) -> None:
        """Report a data segment that is not inside any ST..SE."""
        where = (
            f"between the transaction sets of group {_el(self._gs, 6)!r}"
            if self._gs is not None
            else "outside any functional group"
        )
        self._error(
            _E.UNEXPECTED_SEGMENT,
            f"Segment {seg.id} found {where}; every data segment must be between ST and SE.",
            seg,
        )

    def envelope(self, seg: Segment) -> None:
        """Advance the state machine on an ISA/IEA/GS/GE/ST/SE/TA1 segment."""
        sid = seg.id
        if sid == "ST":
            self._start_set(seg)
        elif sid == "SE":
            self._end_set(seg)
        elif sid == "GS":
            self._start_group(seg)
        elif sid == "GE":
            self._end_group(seg)
        elif sid == "IEA":
            self._end_interchange(seg)
        elif self.content is not None:
            self.content.append(seg)  # a TA1 (or stray ISA) inside a set is only data there
        elif sid == "TA1" and self._gs is None:
            self._ta1.append(seg)
        else:
            self.outside(seg)

    def warn_missing_terminator(self) -> None:
        """Note that the data ended without a terminator after the last segment."""
        self._error(
            _E.MISSING_TERMINATOR,
            "The last segment is not followed by the segment terminator "
            f"{self._isa.delimiters.terminator!r}; it was read anyway.",
            self._iea or self._last_segment(),
            severity="warning",
        )

    # -- transaction sets ---------------------------------------------------------------------
    def _start_set(self, st: Segment) -> None:
        if self.content is not None:
            self._missing_set_trailer(st)
        self._st = st
        self.content = []
        self._s_errors = []
        if self._gs is None:
            self._orphan = True
            self._error(
                _E.UNEXPECTED_SEGMENT,
                f"Transaction set {_el(st, 1)} {_el(st, 2)!r} starts outside a "
                "functional group; expected GS before ST. The set was skipped.",
                st,
            )
            return
        self._orphan = False
        set_id, ctrl = _head(st, 2)
        if not (len(set_id) == 3 and set_id.isascii() and set_id.isdigit()):
            self._error(
                _E.SET_ID_INVALID,
                f"ST01 transaction set id {set_id!r} is not a 3-digit X12 set id.",
                st,
                element=1,
            )
        if not 4 <= len(ctrl) <= 9:
            self._error(
                _E.CONTROL_NUMBER_INVALID,
                f"ST02 control number {ctrl!r} must be 4 to 9 characters long.",
                st,
                element=2,
            )
        elif ctrl in self._set_ctrls:
            self._error(
                _E.DUPLICATE_CONTROL_NUMBER,
                f"ST02 control number {ctrl!r} is used twice in functional group "
                f"{_el(self._gs, 6)!r}; each set needs its own.",
                st,
                element=2,
            )
        self._set_ctrls.add(ctrl)

    def _end_set(self, se: Segment) -> None:
        content, st = self.content, self._st
        if content is None or st is None:
            self._error(
                _E.UNEXPECTED_SEGMENT,
                f"SE found with no open transaction set (SE02 {_el(se, 2)!r}); expected ST before it.",
                se,
            )
            return
        if self._orphan:
            self._reset_set()
            return
        actual = len(content) + 2
        declared, se_ctrl = _head(se, 2)
        if as_count(declared) != actual:
            self._error(
                _E.SEGMENT_COUNT_MISMATCH,
                f"SE01 says transaction set {_el(st, 2)!r} has {declared!r} segments, but "
                f"{actual} were found from ST through SE inclusive.",
                se,
                element=1,
            )
        if se_ctrl != _el(st, 2):
            self._error(
                _E.CONTROL_NUMBER_MISMATCH,
                f"SE02 control number {_el(se, 2)!r} does not match ST02 "
                f"{_el(st, 2)!r} of the set that starts on line {st.line}.",
                se,
                element=2,
            )
        self._close_set(se)

    def _missing_set_trailer(self, noticed: Segment | None) -> None:
        st = self._st
        if self._orphan or st is None:
            self._reset_set()
            return
        at = noticed or self._last_segment()
        found = f"found {noticed.id} on line {noticed.line}" if noticed else "the data ended"
        self._error(
            _E.MISSING_TRAILER,
            f"Transaction set {_el(st, 1)} {_el(st, 2)!r} (ST on line {st.line}) has no "
            f"SE trailer: {found} first.",
            at,
            segment_id="SE",
        )
        self._close_set(None)

    def _close_set(self, trailer: Segment | None) -> None:
        st = self._st
        if st is not None and self.content is not None:
            set_id, ctrl = _head(st, 2)
            ts = _transaction_set(
                id=set_id,
                control_number=ctrl,
                segments=tuple(self.content),
                header=st,
                trailer=trailer,
                errors=tuple(self._s_errors),
            )
            if self.on_set is not None and self._gs is not None:
                ts = self.on_set(self._isa, self._gs, ts)
            self._g_sets.append(ts)
        self._reset_set()

    def _reset_set(self) -> None:
        self._st = None
        self.content = None
        self._s_errors = []
        self._orphan = False

    # -- functional groups --------------------------------------------------------------------
    def _start_group(self, gs: Segment) -> None:
        if self.content is not None:
            self._missing_set_trailer(gs)
        if self._gs is not None:
            self._missing_group_trailer(gs)
        self._gs = gs
        self._g_sets = []
        self._g_errors = []
        self._set_ctrls = set()
        ctrl = _el(gs, 6)
        if not (1 <= len(ctrl) <= 9 and ctrl.isascii() and ctrl.isdigit()):
            self._error(
                _E.CONTROL_NUMBER_INVALID,
                f"GS06 group control number {ctrl!r} must be a number of 1 to 9 digits.",
                gs,
                element=6,
            )
        elif ctrl in self._g_ctrls:
            self._error(
                _E.DUPLICATE_CONTROL_NUMBER,
                f"GS06 group control number {ctrl!r} is used twice in interchange {self._isa.fields[12]!r}.",
                gs,
                element=6,
                severity="warning",
            )
        self._g_ctrls.add(ctrl)
        elements = gs.elements
        if len(elements) != 8 or "" in elements:
            self._check_gs_elements(gs)

    def _check_gs_elements(self, gs: Segment) -> None:
        """GS01..GS08 are all mandatory and GS08 is the last (GS06 is checked on its own)."""
        elements = gs.elements
        for i, name in enumerate(_GS_ELEMENTS, 1):
            if i != 6 and not (elements[i - 1] if len(elements) >= i else ""):
                self._error(
                    _E.MANDATORY_ELEMENT_MISSING,
                    f"GS{i:02d} ({name}) is missing; every element of GS is mandatory.",
                    gs,
                    element=i,
                )
        if len(elements) > 8:
            self._error(
                _E.TOO_MANY_ELEMENTS,
                f"GS has {len(elements)} elements, but GS08 (version) is its last; an element "
                "separator too many shifts every element after it.",
                gs,
                element=9,
            )

    def _end_group(self, ge: Segment) -> None:
        if self.content is not None:
            self._missing_set_trailer(ge)
        gs = self._gs
        if gs is None:
            self._error(
                _E.UNEXPECTED_SEGMENT,
                f"GE found with no open functional group (GE02 {_el(ge, 2)!r}); expected GS before it.",
                ge,
            )
            return
        actual = len(self._g_sets)
        declared = _el(ge, 1)
        if as_count(declared) != actual:
            self._error(
                _E.SET_COUNT_MISMATCH,
                f"GE01 says functional group {_el(gs, 6)!r} has {declared!r} transaction "
                f"sets, but {actual} were found.",
                ge,
                element=1,
            )
        if not same_number(_el(ge, 2), _el(gs, 6)):
            self._error(
                _E.CONTROL_NUMBER_MISMATCH,
                f"GE02 control number {_el(ge, 2)!r} does not match GS06 "
                f"{_el(gs, 6)!r} of the group that starts on line {gs.line}.",
                ge,
                element=2,
            )
        self._close_group(ge)

    def _missing_group_trailer(self, noticed: Segment | None) -> None:
        gs = self._gs
        if gs is None:
            return
        at = noticed or self._last_segment()
        found = f"found {noticed.id} on line {noticed.line}" if noticed else "the data ended"
        self._error(
            _E.MISSING_TRAILER,
            f"Functional group {_el(gs, 1)} {_el(gs, 6)!r} (GS on line {gs.line}) has "
            f"no GE trailer: {found} first.",
            at,
            segment_id="GE",
        )
        self._close_group(None)

    def _close_group(self, trailer: Segment | None) -> None:
        gs = self._gs
        if gs is None:
            return
        functional_id, sender, receiver, date, time, control_number, agency, version = _head(gs, 8)
        self._groups.append(
            _functional_group(
                functional_id=functional_id,
                sender=sender,
                receiver=receiver,
                date=date,
                time=time,
                control_number=control_number,
                agency=agency,
                version=version,
                transaction_sets=tuple(self._g_sets),
                header=gs,
                trailer=trailer,
                errors=tuple(self._g_errors),
            )
        )
        self._gs = None
        self._g_sets = []
        self._g_errors = []
        self._set_ctrls = set()

    # -- interchange ------------------------------------------------------------------------
    def _close_open(self, noticed: Segment | None) -> None:
        if self.content is not None:
            self._missing_set_trailer(noticed)
        if self._gs is not None:
            self._missing_group_trailer(noticed)

    def _end_interchange(self, iea: Segment) -> None:
        self._close_open(iea)
        self._iea = iea
        ctrl = self._isa.fields[12]
        actual = len(self._groups)
        declared = _el(iea, 1)
        if as_count(declared) != actual:
            self._error(
                _E.GROUP_COUNT_MISMATCH,
                f"IEA01 says interchange {ctrl!r} has {declared!r} functional groups, but "
                f"{actual} were found.",
                iea,
                element=1,
            )
        if not same_number(_el(iea, 2), ctrl):
            self._error(
                _E.CONTROL_NUMBER_MISMATCH,
                f"IEA02 control number {_el(iea, 2)!r} does not match ISA13 {ctrl!r}.",
                iea,
                element=2,
            )

    def finish(self) -> Interchange:
        """Close whatever is still open and return the interchange."""
        if self._iea is None:
            self._close_open(None)
            at = self._last_segment()
            self._error(
                _E.MISSING_TRAILER,
                f"Interchange {self._isa.fields[12]!r} has no IEA trailer; expected IEA after "
                f"line {at.line}, before the data ends or the next ISA begins.",
                at,
                segment_id="IEA",
            )
        f = self._isa.fields
        return _interchange(
            auth_qualifier=f[0],
            auth_info=f[1],
            security_qualifier=f[2],
            security_info=f[3],
            sender_qualifier=f[4],
            sender_id=f[5],
            receiver_qualifier=f[6],
            receiver_id=f[7],
            date=f[8],
            time=f[9],
            version=f[11],
            control_number=f[12],
            ack_requested=f[13],
            usage_indicator=f[14],
            delimiters=self._isa.delimiters,
            groups=tuple(self._groups),
            header=self._isa.header,
            trailer=self._iea,
            acknowledgments=tuple(self._ta1),
            errors=tuple(self._ic_errors),
        )
