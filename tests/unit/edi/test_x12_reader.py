"""Specification of the X12 reader on hand-made documents: layouts, delimiters, envelope errors."""

from __future__ import annotations

import pytest

from o2c.adapters.edi import Delimiters, EdiError, ParseResult, Segment, parse

BODY_850 = [
    "GS*PO*SENDER*RECEIVER*20240301*0930*1*X*004010",
    "ST*850*0001",
    "BEG*00*SA*PO-1001**20240301",
    "PO1*1*10*EA*2.50**VN*SKU1",
    "PO1*2*5*CA*12.00**VN*SKU2",
    "CTT*2",
    "SE*6*0001",
    "GE*1*1",
    "IEA*1*000000001",
]


def isa(
    ctrl: str = "000000001",
    *,
    version: str = "00401",
    rep: str = "U",
    comp: str = ">",
    sep: str = "*",
    sender: str = "SENDER",
) -> str:
    """A well-formed 105-character ISA (without its terminator)."""
    fields = ["00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", "RECEIVER".ljust(15)]
    fields += ["240301", "0930", rep, version, ctrl, "0", "P", comp]
    return "ISA" + sep + sep.join(fields)


def doc(body: list[str] = BODY_850, *, term: str = "~", after: str = "", head: str = "") -> str:
    """An interchange: the ISA then ``body``, each segment followed by ``term`` + ``after``."""
    return "".join(s + term + after for s in [head or isa(), *body])


def codes(result: ParseResult) -> list[tuple[str, str | None]]:
    return [(e.code, e.segment_id) for e in result.errors]


def replaced(old: str, new: str) -> list[str]:
    return [new if s == old else s for s in BODY_850]


# -- layouts ----------------------------------------------------------------------------------


def test_an_850_terminated_by_tilde_on_one_line_gives_its_order_and_positions() -> None:
    result = parse(doc())
    assert result.errors == [] and result.ok
    (po,) = result.transaction_sets()
    assert (po.id, po.control_number) == ("850", "0001")
    beg = po.segments[0]
    assert (beg.element(3), beg.element(4), beg.element(5)) == ("PO-1001", "", "20240301")
    # positions count segments in the interchange from ISA = 1; everything is on line 1
    assert [po.header.position, beg.position] == [3, 4]
    assert {s.line for s in po.segments} == {1}


@pytest.mark.parametrize("after", ["\n", "\r\n"])
def test_line_breaks_after_each_terminator_are_layout_not_data(after: str) -> None:
    result = parse(doc(after=after))
    assert result.errors == []
    (po,) = result.transaction_sets()
    assert po.segments[0].elements == ("00", "SA", "PO-1001", "", "20240301")
    assert [po.header.line, *(s.line for s in po.segments)] == [3, 4, 5, 6, 7]
    assert po.trailer is not None and po.trailer.line == 8


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_newline_can_itself_be_the_segment_terminator(newline: str) -> None:
    # Given ISA16 followed straight by a line break (CR LF makes CR the terminator)
    result = parse(doc(term=newline))
    assert result.errors == []
    (ic,) = result.interchanges
    assert ic.delimiters.terminator == newline[0]
    assert result.transaction_sets() == parse(doc()).transaction_sets()
    assert result.transaction_sets()[0].trailer.line == 8  # type: ignore[union-attr]


def test_blank_lines_in_a_newline_terminated_file_are_ignored() -> None:
    text = doc(term="\n").replace("ST*850", "\nST*850")
    result = parse(text)
    assert result.errors == []
    assert result.transaction_sets()[0].header.line == 4


def test_a_mixed_layout_with_wrapped_and_blank_lines_still_counts_lines() -> None:
    # Given some segments on one line, some followed by CR LF, and a blank line
    text = doc().replace("BEG*", "\r\nBEG*").replace("CTT*2~", "CTT*2~\n\n")
    result = parse(text)
    assert result.errors == []
    (po,) = result.transaction_sets()
    assert [s.line for s in po.segments] == [2, 2, 2, 2]
    assert po.trailer is not None and po.trailer.line == 4


def test_005010_repetition_and_component_separators_split_on_request() -> None:
    body = [
        "GS*HC*SENDER*RECEIVER*20240301*0930*7*X*005010X222A1",
        "ST*837*0001*005010X222A1",
        "HI*ABK:J449^ABF:E119",
        "SV1*HC:99213:25*125*UN*1",
        "SE*4*0001",
        "GE*1*7",
        "IEA*1*000000001",
    ]
    result = parse(doc(body, head=isa(version="00501", rep="^", comp=":")))
    assert result.errors == []
    (claim,) = result.transaction_sets()
    assert claim.header.element(3) == "005010X222A1"
    hi, sv1 = claim.segments
    assert hi.repetitions(1) == ("ABK:J449", "ABF:E119")
    assert sv1.components(1) == ("HC", "99213", "25")
    assert (sv1.component(1, 2), sv1.component(1, 9), sv1.component(4, 1)) == ("99213", "", "1")


def test_alphanumeric_isa11_means_no_repetition_separator() -> None:
    (ic,) = parse(doc(head=isa(version="00501", rep="U"))).interchanges
    assert ic.delimiters == Delimiters(element="*", component=">", repetition=None, terminator="~")
    seg = Segment(id="REF", elements=("ZZ", "A^B"), delimiters=ic.delimiters)
    assert seg.repetitions(2) == ("A^B",)


def test_several_groups_and_sets_in_one_interchange_are_all_returned() -> None:
    body = [
        "GS*PO*SENDER*RECEIVER*20240301*0930*1*X*004010",
        "ST*850*0001",
        "BEG*00*SA*PO-1**20240301",
        "SE*3*0001",
        "ST*850*0002",
        "BEG*00*SA*PO-2**20240301",
        "SE*3*0002",
        "GE*2*1",
        "GS*IN*SENDER*RECEIVER*20240301*0930*2*X*004010",
        "ST*810*0001",
        "BIG*20240301*INV-1",
        "SE*3*0001",
        "GE*1*2",
        "IEA*2*000000001",
    ]
    result = parse(doc(body, after="\n"))
    assert result.errors == []
    (ic,) = result.interchanges
    assert [(g.functional_id, len(g.transaction_sets)) for g in ic.groups] == [("PO", 2), ("IN", 1)]
    assert [s.segments[0].element(3) for s in ic.groups[0].transaction_sets] == ["PO-1", "PO-2"]


def test_several_interchanges_with_their_own_delimiters_are_read_one_after_the_other() -> None:
    first = doc(after="\n")
    second = doc(
        [s.replace("*", "|").replace("000000001", "000000002") for s in BODY_850],
        term="\n",
        head=isa("000000002", sep="|", comp="\\"),
    )
    result = parse("\n\n" + first + "\r\n" + second)
    assert result.errors == []
    assert [ic.control_number for ic in result.interchanges] == ["000000001", "000000002"]
    assert [ic.delimiters.element for ic in result.interchanges] == ["*", "|"]
    one, two = (ic.transaction_sets()[0] for ic in result.interchanges)
    assert one == two
    assert two.header.line == 16  # lines keep counting across interchanges


def test_a_byte_order_mark_and_leading_blanks_are_skipped() -> None:
    result = parse(b"\xef\xbb\xbf \r\n\t" + doc().encode())
    assert result.errors == []
    assert len(result.transaction_sets()) == 1
    assert parse("\ufeff" + doc()).errors == []


def test_bytes_that_are_not_utf8_are_reported_and_read_as_latin1() -> None:
    data = doc(after="\n").replace("SKU2", "CAF\xc9").encode("latin-1")
    result = parse(data)
    assert codes(result) == [("UNDECODABLE_INPUT", None)]
    assert result.errors[0].line == 6
    assert "0xC9" in result.errors[0].message
    assert result.transaction_sets()[0].segments[2].element(7) == "CAF\xc9"
    assert parse(data, encoding="latin-1").errors == []


# -- envelope errors --------------------------------------------------------------------------


def test_se02_differing_from_st02_is_a_control_number_mismatch_on_the_set() -> None:
    result = parse(doc(replaced("SE*6*0001", "SE*6*0002"), after="\n"))
    assert codes(result) == [("CONTROL_NUMBER_MISMATCH", "SE")]
    err = result.errors[0]
    assert (err.position, err.line, err.element) == (8, 8, 2)
    assert (err.set_control_number, err.group_control_number) == ("0001", "1")
    assert err.interchange_control_number == "000000001"
    assert "'0002'" in err.message and "'0001'" in err.message
    # the set is still returned, flagged, so that a 997 can reject it
    (po,) = result.transaction_sets()
    assert po.errors == (err,) and not po.ok and not result.ok


def test_a_wrong_se01_is_a_segment_count_mismatch() -> None:
    result = parse(doc(replaced("SE*6*0001", "SE*5*0001")))
    assert codes(result) == [("SEGMENT_COUNT_MISMATCH", "SE")]
    assert result.errors[0].element == 1
    assert "'5'" in result.errors[0].message and "6 were found" in result.errors[0].message
    assert result.transaction_sets()[0].errors == tuple(result.errors)


def test_a_non_numeric_se01_is_a_segment_count_mismatch_too() -> None:
    assert codes(parse(doc(replaced("SE*6*0001", "SE*six*0001")))) == [("SEGMENT_COUNT_MISMATCH", "SE")]


def test_ge02_differing_from_gs06_is_a_control_number_mismatch_on_the_group() -> None:
    result = parse(doc(replaced("GE*1*1", "GE*1*2")))
    assert codes(result) == [("CONTROL_NUMBER_MISMATCH", "GE")]
    (group,) = result.interchanges[0].groups
    assert group.errors == tuple(result.errors)
    assert result.errors[0].set_control_number is None


def test_control_numbers_compare_as_numbers_where_x12_defines_them_numeric() -> None:
    assert parse(doc(replaced("GE*1*1", "GE*1*0001"))).errors == []
    assert parse(doc(replaced("IEA*1*000000001", "IEA*1*1"))).errors == []


def test_a_wrong_ge01_is_a_set_count_mismatch() -> None:
    result = parse(doc(replaced("GE*1*1", "GE*3*1")))
    assert codes(result) == [("SET_COUNT_MISMATCH", "GE")]
    assert "'3'" in result.errors[0].message and "1 were found" in result.errors[0].message


def test_iea_mismatches_are_interchange_errors() -> None:
    result = parse(doc(replaced("IEA*1*000000001", "IEA*2*000000009")))
    assert codes(result) == [("GROUP_COUNT_MISMATCH", "IEA"), ("CONTROL_NUMBER_MISMATCH", "IEA")]
    assert result.interchanges[0].errors == tuple(result.errors)
    assert [e.ta105 for e in result.errors] == ["021", "001"]


def test_a_missing_iea_is_reported_and_the_groups_are_kept() -> None:
    result = parse(doc(BODY_850[:-1], after="\n"))
    assert codes(result) == [("MISSING_TRAILER", "IEA")]
    assert result.errors[0].line == 9  # noticed after the GE, the last segment read
    (ic,) = result.interchanges
    assert ic.trailer is None and len(ic.transaction_sets()) == 1


def test_a_missing_iea_does_not_swallow_the_next_interchange() -> None:
    result = parse(doc(BODY_850[:-1], after="\n") + doc(head=isa("000000002")))
    assert codes(result) == [("MISSING_TRAILER", "IEA"), ("CONTROL_NUMBER_MISMATCH", "IEA")]
    assert [len(ic.transaction_sets()) for ic in result.interchanges] == [1, 1]


def test_a_missing_se_closes_the_set_at_the_next_st_and_both_sets_are_kept() -> None:
    body = [*BODY_850[:6], "ST*850*0002", "BEG*00*SA*PO-2**20240301", "SE*3*0002", "GE*2*1"]
    result = parse(doc(body + BODY_850[-1:], after="\n"))
    assert codes(result) == [("MISSING_TRAILER", "SE")]
    err = result.errors[0]
    assert (err.set_control_number, err.line) == ("0001", 8)
    assert "ST*850" not in err.message and "found ST on line 8" in err.message
    first, second = result.transaction_sets()
    assert first.trailer is None and first.errors == (err,)
    assert second.ok and second.segments[0].element(3) == "PO-2"


def test_a_missing_ge_is_reported_when_the_next_gs_begins() -> None:
    second_group = ["GS*PO*SENDER*RECEIVER*20240301*0930*2*X*004010", *BODY_850[1:7], "GE*1*2"]
    body = BODY_850[:7] + second_group + ["IEA*2*000000001"]
    result = parse(doc(body))
    assert codes(result) == [("MISSING_TRAILER", "GE")]
    assert [g.trailer is None for g in result.interchanges[0].groups] == [True, False]


def test_a_document_cut_inside_a_set_reports_every_missing_trailer() -> None:
    text = doc(after="\n")
    result = parse(text[: text.index("PO1*2")])
    assert codes(result) == [
        ("MISSING_TRAILER", "SE"),
        ("MISSING_TRAILER", "GE"),
        ("MISSING_TRAILER", "IEA"),
    ]
    assert len(result.transaction_sets()[0].segments) == 2


def test_a_truncated_isa_is_isa_too_short_and_yields_nothing() -> None:
    for cut in (3, 4, 60, 104, 105):
        result = parse(doc()[:cut])
        assert codes(result) == [("ISA_TOO_SHORT", "ISA")], cut
        assert result.interchanges == []


def test_garbage_is_not_x12_and_empty_input_is_empty() -> None:
    assert codes(parse(b"hello, world")) == [("NOT_X12", None)]
    assert codes(parse(b"\x00\xff\xfe")) == [("UNDECODABLE_INPUT", None), ("NOT_X12", None)]
    assert codes(parse(b"")) == [("EMPTY_INPUT", None)]
    assert codes(parse(" \r\n\t")) == [("EMPTY_INPUT", None)]


def test_junk_between_interchanges_is_unexpected_data() -> None:
    result = parse(doc() + "\nJUNK JUNK\n" + doc(head=isa("000000002"), body=BODY_850))
    assert codes(result)[0] == ("UNEXPECTED_DATA", None)
    assert len(result.interchanges) == 2


def test_a_letter_as_element_separator_is_bad_delimiters() -> None:
    assert codes(parse(doc(head=isa(sep="X")))) == [("BAD_DELIMITERS", "ISA")]


def test_a_component_separator_equal_to_the_element_separator_is_reported_but_read() -> None:
    result = parse(doc(head=isa(comp="*")))
    assert codes(result) == [("BAD_DELIMITERS", "ISA")]
    assert result.errors[0].element == 16
    assert len(result.transaction_sets()) == 1


def test_an_isa_that_is_not_fixed_width_is_read_with_a_warning() -> None:
    head = isa().replace("SENDER         ", "SENDER")
    result = parse(doc(head=head))
    assert codes(result) == [("ISA_FIELD_WIDTH", "ISA")]
    assert result.errors[0].severity == "warning" and result.ok
    assert "ISA06 is 6 wide, expected 15" in result.errors[0].message
    assert result.interchanges[0].sender_id == "SENDER"


def test_a_segment_outside_any_set_is_unexpected() -> None:
    body = [*BODY_850[:7], "NTE*GEN*stray", *BODY_850[7:]]
    result = parse(doc(body))
    assert codes(result) == [("UNEXPECTED_SEGMENT", "NTE")]
    assert result.interchanges[0].groups[0].errors == tuple(result.errors)


def test_a_set_outside_any_group_is_skipped_and_reported() -> None:
    body = ["ST*850*0009", "BEG*00*SA*X**20240301", "SE*3*0009", *BODY_850]
    body[-1] = "IEA*1*000000001"
    result = parse(doc(body))
    assert codes(result) == [("UNEXPECTED_SEGMENT", "ST")]
    assert [t.control_number for t in result.transaction_sets()] == ["0001"]


def test_an_invalid_segment_id_is_reported_on_its_set() -> None:
    result = parse(doc(replaced("CTT*2", "ct*2")))
    assert codes(result) == [("INVALID_SEGMENT_ID", "ct")]
    assert result.errors[0].ak304 == "1"
    assert result.transaction_sets()[0].errors == tuple(result.errors)


def test_duplicate_and_malformed_set_control_numbers_are_reported() -> None:
    body = [*BODY_850[:7], "ST*850*0001", "SE*2*0001", "ST*850*12", "SE*2*12", "GE*3*1"]
    result = parse(doc(body + BODY_850[-1:]))
    assert codes(result) == [("DUPLICATE_CONTROL_NUMBER", "ST"), ("CONTROL_NUMBER_INVALID", "ST")]
    assert [e.ak502 for e in result.errors] == ["23", "7"]


def test_two_terminators_in_a_row_make_an_empty_segment_warning() -> None:
    result = parse(doc().replace("CTT*2~", "CTT*2~~"))
    assert codes(result) == [("EMPTY_SEGMENT", None)]
    assert result.ok and result.transaction_sets()[0].errors[0].severity == "warning"


def test_a_missing_final_terminator_is_a_warning() -> None:
    result = parse(doc()[:-1])
    assert codes(result) == [("MISSING_TERMINATOR", "IEA")]
    assert result.ok


# -- the model's helpers ----------------------------------------------------------------------


def test_segment_elements_are_numbered_from_one_and_absent_ones_are_empty() -> None:
    seg = Segment(id="BEG", elements=("00", "SA", "PO-1"))
    assert (seg.element(1), seg.element(3), seg.element(4)) == ("00", "PO-1", "")
    assert seg.components(9) == () and seg.repetitions(9) == ()
    with pytest.raises(ValueError):
        seg.element(0)


def test_segments_compare_by_content_not_by_where_they_were_read() -> None:
    a = Segment(id="N1", elements=("ST", "X"), position=3, line=9)
    assert a == Segment(id="N1", elements=("ST", "X")) and hash(a) == hash(
        Segment(id="N1", elements=("ST", "X"))
    )


def test_errors_render_as_one_actionable_line() -> None:
    err = EdiError(code="SEGMENT_COUNT_MISMATCH", message="SE01 says 5, found 6.", line=7)
    assert str(err) == "line 7: SEGMENT_COUNT_MISMATCH: SE01 says 5, found 6."
