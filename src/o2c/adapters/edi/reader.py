"""X12 reader: text in, interchanges and errors out, never an exception.

How it stays fast: an interchange's extent is found with ``str.find`` (its IEA, or the next
ISA when the IEA is missing), its body is cut with one ``str.split`` on the segment terminator
and each segment with one ``split`` on the element separator.  Only envelope segments (ISA, GS,
ST, SE, GE, IEA, TA1) leave the hot loop; content segments are appended to the open set.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import Any

from o2c.adapters.edi.envelope import EnvelopeBuilder, SetHook
from o2c.adapters.edi.errors import EdiError, ErrorCode
from o2c.adapters.edi.isa import ISA_SEPARATOR_OFFSETS, IsaInfo, read_isa
from o2c.adapters.edi.model import Delimiters, ParseResult, Segment, mutable_twin

__all__ = ["parse"]

_E = ErrorCode
_ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})
_CONTENT_IDS: set[str] = set()  # valid ids of content segments seen so far (see _valid_id)
_SPACE = " \t\r\n"
_INDENT = " \t"  # blanks that may stand before a segment id on its line
# Between interchanges: blanks, and the NUL and SUB (Ctrl-Z) bytes with which block-oriented
# transfers and DOS tools pad a file; none of them can begin an ISA.
_PADDING = _SPACE + "\x00\x1a\ufeff"  # and the byte-order marks of files joined end to end
_TRAILER_PADDING = ("\x00", "\x1a")


# The hot loop fills a Segment's mutable twin and then makes it a Segment: about twice as fast
# as the frozen dataclass's __init__, and the reader builds ~10^5 segments per second.
_Draft = mutable_twin(Segment)

_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_BINARY = (bytes, bytearray, memoryview)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# In a fixed-width ISA the component separator (ISA16) follows the last element separator and
# the segment terminator comes after it, at this offset from the "I".
_ISA_TERMINATOR = ISA_SEPARATOR_OFFSETS[-1] + 2  # 105
#: characters of an interchange's body split into segments at a time (see _blocks)
BLOCK = 1 << 20


def parse(
    data: bytes | bytearray | memoryview | str, *, encoding: str = "utf-8", on_set: SetHook | None = None
) -> ParseResult:
    """Parse every interchange in ``data`` and validate its envelopes.

    Invariants:

    * never raises, whatever ``data`` holds; every problem is an :class:`EdiError` in
      ``result.errors`` (also attached to the interchange, group or set it belongs to);
    * bytes are decoded with ``encoding`` (UTF-8 by default; UTF-16 when they start with its
      byte-order mark); a delimiter byte the ISA announces (such as a 0x85 terminator) stands
      for itself; other undecodable bytes give an ``UNDECODABLE_INPUT`` error and the text is
      then read as Latin-1, one character per byte, so the structure can still be recovered;
    * delimiters come from each ISA (element = 4th character, component = ISA16, terminator =
      the character after ISA16, repetition = ISA11 when it is not alphanumeric); line breaks
      and blanks after a terminator (indentation included) are ignored, the terminator may
      itself be a line break, and line breaks inside a segment (wrapped, e.g. 80-column,
      records) are not data;
    * NUL and Ctrl-Z padding and byte-order marks between or after interchanges are ignored;
    * a structure with wrong control totals is still returned, flagged with its errors;
    * with ``on_set``, each transaction set is handed to it as soon as its SE is read, and the
      group keeps what it returns (see :data:`~o2c.adapters.edi.envelope.SetHook`).

    The cyclic garbage collector is paused while it runs and its previous state restored:
    parsing builds no reference cycles, yet the collections its many fresh objects trigger
    cost up to two thirds of the time on large files (everything is still freed by reference
    counting).
    """
    errors: list[EdiError] = []
    result = ParseResult(interchanges=[], errors=errors)
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        text = _decode(data, encoding, errors)
        _parse_text(text, result, on_set)
    except Exception as exc:  # the no-raise contract outranks the bug: report it as a value
        errors.append(
            EdiError(
                code=_E.INTERNAL_ERROR,
                message=f"The X12 reader failed unexpectedly ({type(exc).__name__}: {exc}); "
                "this is a bug in the codec, please report it with the input.",
            )
        )
    finally:
        if paused:
            gc.enable()
    return result


def _decode(data: bytes | bytearray | memoryview | str, encoding: str, errors: list[EdiError]) -> str:
    if isinstance(data, str):
        return data
    if not isinstance(data, _BINARY):
        errors.append(
            EdiError(
                code=_E.NOT_X12,
                message=f"Expected bytes or str, got {type(data).__name__}.",
            )
        )
        return ""
    raw = bytes(data)
    if raw[:1] >= b"\xfe" and raw.startswith(_UTF16_BOMS):  # saved as "Unicode" on Windows
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        text = _decode_around_delimiters(raw, encoding)
        if text is not None:
            return text
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.start + 1].hex().upper()
        errors.append(
            EdiError(
                code=_E.UNDECODABLE_INPUT,
                message=f"Byte 0x{bad} at offset {exc.start} is not valid {encoding}; "
                "the input was read as Latin-1 instead, so characters outside ASCII may be "
                "wrong. Ask the partner which encoding they send.",
                line=line,
            )
        )
    except LookupError:
        errors.append(
            EdiError(
                code=_E.UNDECODABLE_INPUT,
                message=f"Unknown text encoding {encoding!r}; the input was read as Latin-1.",
            )
        )
    return raw.decode("latin-1")


def _decode_around_delimiters(raw: bytes, encoding: str) -> str | None:
    """``raw`` decoded when its only undecodable bytes are delimiters its ISAs announce; else None.

    X12 is byte-oriented and any character not used in the data may be a delimiter: a
    terminator of 0x85 (NEL, from EBCDIC translations) or a separator such as 0xA6 is valid
    X12 but never valid UTF-8.  Such a byte stands for itself (its Latin-1 character, as
    :func:`~.isa.read_isa` then finds it) while the data between delimiters is decoded with
    ``encoding``.  Only fixed-width ISAs (once the line breaks of a wrapped file are taken
    out) are trusted to say where their delimiters are.
    """
    high: set[int] = set()
    k = raw.find(b"ISA")
    while k >= 0 and len(high) <= 16:
        head = raw[k : k + _ISA_TERMINATOR + 1]
        if b"\n" in head or b"\r" in head:
            head = raw[k : k + 2 * _ISA_TERMINATOR].replace(b"\r", b"").replace(b"\n", b"")
            head = head[: _ISA_TERMINATOR + 1]
        if len(head) == _ISA_TERMINATOR + 1 and all(head[i] == head[3] for i in ISA_SEPARATOR_OFFSETS):
            high.update(b for b in (head[3], head[82], head[104], head[105]) if b >= 0x80)
        k = raw.find(b"ISA", k + 3)
    if not high:
        return None
    pieces = re.split(b"([" + b"".join(re.escape(bytes((b,))) for b in sorted(high)) + b"])", raw)
    try:
        return "".join(p.decode("latin-1") if i & 1 else p.decode(encoding) for i, p in enumerate(pieces))
    except (UnicodeDecodeError, LookupError):
        return None


def _parse_text(text: str, result: ParseResult, on_set: SetHook | None = None) -> None:
    errors = result.errors
    if text.endswith(_TRAILER_PADDING):  # block padding after the last segment, not data
        text = text.rstrip("\x00\x1a")
    n = len(text)
    pos = 1 if text.startswith("\ufeff") else 0  # a byte-order mark is not data
    line = 1
    found_any = False
    while True:
        start = pos
        while pos < n and text[pos] in _PADDING:
            pos += 1
        line += text.count("\n", start, pos)
        if pos >= n:
            if not found_any and not result.errors:
                result.errors.append(
                    EdiError(
                        code=_E.EMPTY_INPUT,
                        message="The input is empty (or only blank); expected an X12 "
                        "interchange starting with 'ISA'.",
                    )
                )
            break
        if not text.startswith("ISA", pos):
            nxt = _find_isa(text, pos, n, None)
            excerpt = text[pos : pos + 20]
            if nxt < 0 and not found_any:
                case = (
                    " X12 segment ids are upper case; this text is in lower case."
                    if text.startswith("isa", pos)
                    else ""
                )
                errors.append(
                    EdiError(
                        code=_E.NOT_X12,
                        message=f"No ISA interchange header found; the input starts with "
                        f"{excerpt!r}. Expected X12 text beginning with 'ISA'.{case}",
                        line=line,
                    )
                )
                return
            errors.append(
                EdiError(
                    code=_E.UNEXPECTED_DATA,
                    message=f"Found {excerpt!r} where an ISA interchange header was expected; "
                    "the text up to the next ISA (or the end) was skipped.",
                    line=line,
                )
            )
            if nxt < 0:
                return
            line += text.count("\n", pos, nxt)
            pos = nxt
        found_any = True
        isa = read_isa(text, pos, line, errors)
        if isa is None:  # unusable header: resynchronise on the next ISA
            nxt = _find_isa(text, pos + 3, n, None)
            if nxt < 0:
                return
            line += text.count("\n", pos, nxt)
            pos = nxt
            continue
        pos, line = _read_interchange(text, isa, line, result, on_set)


def _at_segment_start(text: str, i: int, term: str, floor: int) -> bool:
    """True when index ``i`` begins a segment: only line breaks since the last terminator.

    Reaching ``floor`` (the start of the body) also counts: the body begins with a segment.
    """
    j = i - 1
    while j >= floor:
        c = text[j]
        if c == term:
            return True
        if c not in _SPACE:
            return False
        j -= 1
    return True


def _find_isa(text: str, start: int, stop: int, term: str | None) -> int:
    """Index of the next plausible ISA header in ``text[start:stop]``, or -1.

    With ``term`` it must begin a segment of the current interchange; without, it must at least
    be followed by a non-alphanumeric separator (so 'VISA' or 'ISAAC' do not count).
    """
    k = start
    while True:
        j = text.find("ISA", k, stop)
        if j < 0:
            return -1
        sep = text[j + 3 : j + 4]
        plausible = sep != "" and not sep.isalnum() and sep not in _SPACE
        if plausible and (term is None or _at_segment_start(text, j, term, start)):
            return j
        k = j + 1


def _read_interchange(
    text: str, isa: IsaInfo, line: int, result: ParseResult, on_set: SetHook | None = None
) -> tuple[int, int]:
    """Read one interchange whose ISA was decoded; return (next index, next line)."""
    d = isa.delimiters
    term = d.terminator
    n = len(text)
    body_start = isa.end
    body_line = line + text.count("\n", isa.start, body_start)

    # The interchange ends at its IEA, or at the next ISA when the IEA is missing.
    token = "IEA" + d.element
    k = body_start
    iea = -1
    while True:
        i = text.find(token, k)
        if i < 0:
            break
        if _at_segment_start(text, i, term, body_start):
            iea = i
            break
        k = i + 1
    next_isa = _find_isa(text, body_start, iea if iea >= 0 else n, term)
    missing_terminator = False
    if next_isa >= 0:
        body_end = next_pos = next_isa
    elif iea >= 0:
        t = text.find(term, iea)
        if t < 0:
            body_end = next_pos = n
            # A line break as terminator: the last line of a text file often has none.
            missing_terminator = term not in "\r\n"
        else:
            body_end, next_pos = t, t + 1
    else:
        body_end = next_pos = n

    builder = EnvelopeBuilder(isa, result.errors, on_set)
    breaks = 0
    position = 1  # the ISA
    for start, stop in _blocks(text, body_start, body_end, term):
        block = text[start:stop]
        newlines = block.count("\n")
        position = _read_segments(block, d, body_line + breaks, builder, newlines, position)
        breaks += newlines
    if missing_terminator:
        builder.warn_missing_terminator()
    result.interchanges.append(builder.finish())
    return next_pos, body_line + breaks + text.count("\n", body_end, next_pos)


def _blocks(text: str, start: int, stop: int, term: str) -> Iterator[tuple[int, int]]:
    """``text[start:stop]`` in pieces of about ``BLOCK`` characters, each ending just after a
    terminator (and the line break that follows it), so that the segments of a large file are
    split and held a block at a time, never all at once. A terminator is never data, so each
    piece is laid out exactly as it would be within the whole body."""
    while stop - start > BLOCK:
        cut = text.find(term, start + BLOCK, stop)
        if cut < 0:
            break
        cut += 1
        if text.startswith("\r\n", cut):
            cut += 2
        elif text.startswith("\n", cut):
            cut += 1
        yield start, cut
        start = cut
    yield start, stop


def _layout(body: str, term: str, line: int, newlines: int) -> tuple[list[str], Iterable[int]]:
    """Split ``body`` into segment texts and the line each one starts on.

    ``newlines`` is ``body.count("\\n")``, which the caller needs as well.

    Fast paths cover the layouts seen in practice - no line breaks, one segment per line after
    the terminator (``~\n``, ``~\r\n``), and the line break as terminator - with one split and
    no per-segment work.  Anything else (blank lines, wrapped text) takes the general path,
    which strips line breaks segment by segment and drops blank lines.
    """
    if body.startswith(("\r\n", "\n")):  # the line break after the ISA's terminator
        line += 1
        newlines -= 1
        body = body[2:] if body[0] == "\r" else body[1:]
    if newlines and term not in "\r\n":
        # The usual layout: every terminator followed by one line break (LF, or CR LF), and
        # no other line break.  The same test as the loop below, in fewer passes over the text.
        crs = 0 if "\r" not in body else body.count("\r")
        joint = term + "\n" if not crs else term + "\r\n" if crs == newlines else ""
        if joint:
            parts = body.split(joint)
            if len(parts) - 1 == newlines == body.count(term):
                numbers = range(line, line + len(parts))
                if not parts[-1].strip(_SPACE):
                    parts.pop()
                return parts, numbers
    lines: Iterable[int]
    if not newlines and "\r" not in body:
        parts = body.split(term)
        lines = repeat(line)
    elif term == "\n" and "\r" not in body and "\n\n" not in body:
        parts = body.split(term)
        lines = range(line, line + len(parts))
    elif term == "\r" and newlines == body.count("\r\n") == body.count("\r"):
        parts = body.split("\r\n")  # CR LF line ends, the CR being the terminator
        lines = range(line, line + len(parts))
    else:
        for brk in ("\n", "\r\n"):
            # Every terminator is followed by exactly one line break, and nothing else breaks.
            joint = term + brk
            crs = newlines if brk == "\r\n" else 0
            if newlines == body.count(joint) == body.count(term) and body.count("\r") == crs:
                parts = body.split(joint)
                lines = range(line, line + len(parts))
                break
        else:
            return _layout_general(body, term, line)
    # A body ending in a terminator leaves one empty (or blank) part: that is no segment.
    if not parts[-1].strip(_SPACE):
        parts.pop()
    return parts, lines


def _layout_general(body: str, term: str, line: int) -> tuple[list[str], Iterable[int]]:
    """Segment by segment: strip leading blanks and line breaks, remove the line breaks of
    wrapped text, count lines, drop blank lines."""
    term_nl = 1 if term == "\n" else 0
    parts: list[str] = []
    lines: list[int] = []
    raw_parts = body.split(term)
    if not raw_parts[-1].strip(_SPACE):
        raw_parts.pop()
    for raw in raw_parts:
        s = raw.lstrip(_SPACE)
        first = line + raw.count("\n", 0, len(raw) - len(s))  # the line the segment starts on
        if "\n" in s or "\r" in s:
            # A line break inside a segment is no data (X12 text has no control characters
            # but its delimiters): the file is wrapped, e.g. in 80-column records.
            s = s.replace("\r", "").replace("\n", "")
        # Blank lines are layout; only two terminators in a row make an empty segment.
        if s or not (raw or term_nl):
            parts.append(s)
            lines.append(first)
        line += raw.count("\n") + term_nl
    return parts, lines


def _read_segments(
    body: str, d: Delimiters, line: int, env: EnvelopeBuilder, breaks: int, position: int
) -> int:
    """The hot loop: feed every segment of the body (or of a block of it) to the envelope
    state machine; return the position of its last segment.

    Content segments are appended straight to the open set's list; only envelope segments
    and invalid ids call into ``env``, which is told the last segment at the end.  ``breaks``
    is the number of line breaks (LF) in ``body``; ``position`` that of the segment before it.
    """
    sep = d.element
    parts, lines = _layout(body, d.terminator, line, breaks)
    known = _CONTENT_IDS
    envelope_ids = _ENVELOPE_IDS
    content = env.content  # list of the open set's segments, or None
    seg: Any = env.last
    draft, segment = _Draft, Segment
    # strict=False: ``lines`` is an endless repeat() when the body has no line breaks.
    for s, seg_line in zip(parts, lines, strict=False):
        if not s:
            env.empty_segment(position, seg_line)
            continue
        fields = s.split(sep)
        sid = fields.pop(0)
        unknown = sid not in known  # known: a content segment whose id was seen before, the usual case
        if unknown and sid[:1] in _INDENT:
            # Blanks before the id are layout (indented, pretty-printed files), as the general
            # layout path treats them; only the fast paths leave them here, never with a line
            # break among them (see _layout), so the segment's line is unchanged.
            s = s.lstrip(_INDENT)
            if not s:
                continue  # a line of blanks
            fields = s.split(sep)
            sid = fields.pop(0)
            unknown = sid not in known
        position += 1
        seg = draft()
        seg.id = sid
        seg.elements = tuple(fields)
        seg.position = position
        seg.line = seg_line
        seg.delimiters = d
        seg.__class__ = segment  # see _Draft
        if unknown:
            if sid in envelope_ids:
                env.envelope(seg)
                content = env.content
                continue
            if not _valid_id(sid):
                env.invalid_segment_id(seg)
        if content is not None:
            content.append(seg)
        else:
            env.outside(seg)
    env.last = seg
    return position


def _valid_id(sid: str) -> bool:
    """True when a content segment id not seen before is X12-shaped; valid ids are remembered
    process-wide (bounded: 2-3 characters from [A-Z0-9] make at most 47,952 of them)."""
    if not (2 <= len(sid) <= 3 and sid[0].isalpha() and all(c in _ID_CHARS for c in sid)):
        return False  # 2-3 upper-case letters or digits, starting with a letter
    _CONTENT_IDS.add(sid)
    return True
