"""Specification: the reader copes with the layouts real partners' files come in.

Each case reconstructs, by hand and in miniature, a layout met in public X12 fixtures during a
robustness sweep (pretty-printed files, 0x85 terminators, block padding, 80-column records,
UTF-16 exports...).  None of the third-party files is copied here.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.adapters.edi import ParseResult, parse

BODY = [
    "GS*PO*SENDER*RECEIVER*20240301*0930*1*X*004010",
    "ST*850*0001",
    "BEG*00*SA*PO-1001**20240301",
    "N1*ST*CAFE DU PARC*92*0042",
    "PO1*1*10*EA*2.50**VN*SKU1",
    "CTT*1",
    "SE*6*0001",
    "GE*1*1",
    "IEA*1*000000001",
]


def isa(ctrl: str = "000000001", *, sep: str = "*", rep: str = "U", comp: str = ">") -> str:
    """A well-formed 105-character ISA (without its terminator)."""
    fields = ["00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "RECEIVER".ljust(15)]
    fields += ["240301", "0930", rep, "00401", ctrl, "0", "P", comp]
    return "ISA" + sep + sep.join(fields)


def doc(*, term: str = "~", after: str = "", body: list[str] = BODY, head: str = "") -> str:
    return "".join(s + term + after for s in [head or isa(), *body])


def plain() -> ParseResult:
    return parse(doc())


def test_indented_segments_read_as_the_same_clean_interchange_in_every_layout() -> None:
    # Given pretty-printed files: segments indented after their line break, with the terminator
    # before the break, CR LF as terminator (CR is the terminator), or the line break alone.
    for term, after in [("~", "\n    "), ("~", "\r\n  "), ("\r", "\n\t"), ("\n", "  "), ("}", "\r\n   ")]:
        text = doc(term=term, after=after)
        result = parse(text)
        # Then the indentation is layout: no error, the same segments, each on its own line
        assert result.errors == [], (term, after)
        assert result.transaction_sets() == plain().transaction_sets(), (term, after)
        (po,) = result.transaction_sets()
        assert [s.line for s in po.segments] == [4, 5, 6, 7], (term, after)


def test_blanks_after_a_terminator_on_the_same_line_are_layout_too() -> None:
    result = parse(doc(after="  "))
    assert result.errors == []
    assert result.transaction_sets() == plain().transaction_sets()


def test_a_0x85_terminator_is_a_delimiter_not_an_encoding_error() -> None:
    # Given a file from an EBCDIC translation: NEL (0x85) ends each segment, the data is UTF-8
    data = doc(term="\x85", after="\r\n").replace("CAFE DU PARC", "CAFÉ DU PARC").encode("utf-8")
    data = data.replace("\x85".encode(), b"\x85")  # the terminator as the single byte it is
    result = parse(data)
    # Then it reads cleanly, its delimiter is U+0085 and the UTF-8 name survives
    assert result.errors == []
    (ic,) = result.interchanges
    assert ic.delimiters.terminator == "\x85"
    n1 = result.transaction_sets()[0].segments[1]
    assert n1.element(2) == "CAFÉ DU PARC"


def test_a_byte_that_is_no_delimiter_and_not_utf8_is_still_undecodable() -> None:
    data = doc().encode().replace(b"CAFE", b"CAF\xc9")  # Latin-1 data in a UTF-8 read
    result = parse(data)
    assert [e.code for e in result.errors] == ["UNDECODABLE_INPUT"]
    assert result.transaction_sets()[0].segments[1].element(2) == "CAF\u00c9 DU PARC"


@pytest.mark.parametrize("padding", ["\x00" * 64, "\x1a", "\r\n\x1a", "\n\x00\x00"])
def test_block_padding_after_the_last_interchange_is_not_data(padding: str) -> None:
    result = parse(doc(after="\n") + padding)
    assert result.errors == []
    assert result.interchanges[0].trailer is not None


def test_padding_after_an_iea_without_terminator_still_leaves_a_clean_trailer() -> None:
    result = parse(doc()[:-1] + "\x00\x00\x1a")
    assert [e.code for e in result.errors] == ["MISSING_TERMINATOR"]
    assert result.interchanges[0].trailer.elements == ("1", "000000001")  # type: ignore[union-attr]


def test_files_joined_end_to_end_with_their_byte_order_marks_give_every_interchange() -> None:
    second = doc(head=isa("000000002"), body=[*BODY[:-1], "IEA*1*000000002"])
    result = parse(("\ufeff" + doc(after="\r\n") + "\ufeff" + second).encode("utf-8"))
    assert result.errors == []
    assert [ic.control_number for ic in result.interchanges] == ["000000001", "000000002"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_export_with_its_byte_order_mark_reads_as_the_same_text(codec: str) -> None:
    text = doc(after="\r\n")
    data = text.encode(codec) if codec == "utf-16" else "\ufeff".encode(codec) + text.encode(codec)
    result = parse(data)
    assert result.errors == []
    assert result.transaction_sets() == plain().transaction_sets()


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_newline_terminated_file_whose_last_line_has_no_line_break_reads_cleanly(newline: str) -> None:
    text = doc(term=newline)
    result = parse(text[: -len(newline)])
    assert result.errors == []
    assert result.interchanges[0].trailer is not None


def test_a_tilde_terminated_file_missing_its_last_terminator_is_still_a_warning() -> None:
    assert [e.code for e in parse(doc()[:-1]).errors] == ["MISSING_TERMINATOR"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_file_wrapped_in_80_column_records_reads_as_if_unwrapped(newline: str) -> None:
    # Given the one-line interchange cut every 80 characters, as some VANs deliver it: the
    # breaks fall inside the ISA (in ISA10) and in the middle of segments and elements
    flat = doc()
    wrapped = newline.join(flat[i : i + 80] for i in range(0, len(flat), 80)) + newline
    result = parse(wrapped)
    assert result.errors == []
    (ic,) = result.interchanges
    assert ic.time == "0930"
    assert result.transaction_sets() == plain().transaction_sets()
    assert ic.trailer is not None and ic.trailer.elements == ("1", "000000001")


def test_a_missing_terminator_between_lines_is_a_segment_count_error_not_a_silent_merge() -> None:
    # Given a file with one segment per line whose N1 lost its terminator
    text = doc(after="\r\n").replace("N1*ST*CAFE DU PARC*92*0042~", "N1*ST*CAFE DU PARC*92*0042")
    result = parse(text)
    (err,) = result.errors
    assert (err.code, err.segment_id, err.element) == ("SEGMENT_COUNT_MISMATCH", "SE", 1)
    assert "'6' segments, but 5 were found" in err.message


def test_an_isa11_equal_to_the_element_separator_is_reported_as_such() -> None:
    # Given a fixed-width ISA whose repetition separator ISA11 is the element separator itself
    result = parse(doc(head=isa(sep="^", rep="^"), body=[s.replace("*", "^") for s in BODY]))
    # Then the fixed offsets still locate the fields, and the clash is named on ISA11
    (err,) = result.errors
    assert (err.code, err.segment_id, err.element) == ("BAD_DELIMITERS", "ISA", 11)
    (ic,) = result.interchanges
    assert ic.delimiters.repetition is None and ic.version == "00401"
    assert len(result.transaction_sets()) == 1


def test_a_lower_case_file_is_not_x12_and_the_error_says_why() -> None:
    (err,) = parse(doc().lower()).errors
    assert err.code == "NOT_X12" and "upper case" in err.message


# -- every combination of those layouts reads the same, and damage to them never raises --------
SEPARATORS = st.sampled_from([("*", ">"), ("|", "\\"), ("\x1d", "\x1f"), ("^", ">"), ("~", "`")])
ENDINGS = st.sampled_from(
    [
        ("~", ""),
        ("~", "\n"),
        ("~", "\r\n    "),
        ("\n", ""),
        ("\n", "\t"),
        ("\r", "\n"),
        ("\x85", "\r\n"),
        ("'", "\n  "),
        ("}", " "),
    ]
)


@st.composite
def layouts(draw: st.DrawFn) -> bytes:
    """The interchange under drawn delimiters, line layout, wrapping, padding and encoding."""
    sep, comp = draw(SEPARATORS)
    term, after = draw(ENDINGS)
    if term == sep:
        term = "!"
    body = [s.replace("*", sep) for s in BODY]
    text = doc(term=term, after=after, body=body, head=isa(sep=sep, comp=comp))
    if term not in "\r\n" and draw(st.booleans()):
        # wrapped records, but not right before or after ISA16, where a break would be read
        # as the delimiter itself
        width = draw(st.integers(20, 130).filter(lambda w: 104 % w and 105 % w))
        brk = draw(st.sampled_from(["\n", "\r\n"]))
        text = brk.join(text[i : i + width] for i in range(0, len(text), width))
    text += draw(st.sampled_from(["", "\n", "\x00" * 7, "\r\n\x1a"]))
    if term == "\x85":
        return text.encode("latin-1")
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return text.encode(codec)


@settings(max_examples=300, deadline=None)
@given(layouts())
def test_any_mix_of_real_world_layouts_reads_as_the_plain_interchange(data: bytes) -> None:
    result = parse(data)
    assert result.errors == []
    assert result.transaction_sets() == plain().transaction_sets()
    (ic,) = result.interchanges
    assert ic.trailer is not None and ic.trailer.elements == ("1", "000000001")


@settings(max_examples=300, deadline=None)
@given(layouts(), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(b"*~\n\r \x00\x85\xffA1"))))
def test_damage_to_any_layout_is_reported_as_values(data: bytes, damage: list[tuple[int, int]]) -> None:
    mutated = bytearray(data)
    for at, byte in damage:
        if mutated:
            mutated[at % len(mutated)] = byte
    result = parse(bytes(mutated))
    assert all(e.code != "INTERNAL_ERROR" for e in result.errors)


def test_an_element_separator_inside_a_fixed_width_isa_field_is_named_on_that_field() -> None:
    head = isa().replace("SENDER         ", "SEND*ER        ")
    result = parse(doc(head=head))
    (err,) = result.errors
    assert (err.code, err.segment_id, err.element) == ("BAD_DELIMITERS", "ISA", 6)
    assert result.interchanges[0].receiver_id == "RECEIVER"  # the other fields are where they were


def test_a_gs_with_an_element_separator_too_many_names_the_root_cause() -> None:
    # Given a GS whose sender code was followed by a stray separator (GS03 empty, all shifted)
    body = ["GS*PO*SENDER**RECEIVER*20240301*0930*1*X*004010", *BODY[1:]]
    result = parse(doc(body=body))
    found = [(e.code, e.segment_id, e.element) for e in result.errors]
    assert found[:2] == [("MANDATORY_ELEMENT_MISSING", "GS", 3), ("TOO_MANY_ELEMENTS", "GS", 9)]
    assert all(e in result.interchanges[0].groups[0].errors for e in result.errors[:2])


def test_a_gs_without_its_version_is_an_error_on_gs08() -> None:
    body = ["GS*PO*SENDER*RECEIVER*20240301*0930*1*X", *BODY[1:]]
    result = parse(doc(body=body))
    assert [(e.code, e.segment_id, e.element) for e in result.errors] == [
        ("MANDATORY_ELEMENT_MISSING", "GS", 8)
    ]
    assert not result.ok


def test_an_isa_missing_a_separator_whose_isa16_is_the_separator_is_an_error_not_a_crash() -> None:
    # Given (found by fuzzing the corpus) an ISA whose ISA02/ISA03 separator was damaged and
    # whose ISA16 is '*': still 16 '*' in its first 105 characters, but not at their offsets
    head = isa(comp="*")
    head = head[:17] + "~" + head[18:]
    result = parse(doc(head=head))
    assert [(e.code, e.segment_id) for e in result.errors] == [("BAD_DELIMITERS", "ISA")]
    assert result.interchanges == []
