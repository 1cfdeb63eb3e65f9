"""Specification of 997 functional acknowledgments built from envelope and mapper errors."""

from __future__ import annotations

from datetime import datetime

import pytest

from o2c.adapters.edi import (
    AK304_SEGMENT_SYNTAX,
    AK403_ELEMENT_SYNTAX,
    AK502_SET_SYNTAX,
    AK905_GROUP_SYNTAX,
    EdiError,
    ErrorCode,
    Interchange,
    ParseResult,
    TransactionSet,
    assess_group,
    build_interchange,
    functional_ack,
    parse,
    write,
)

AT = datetime(2024, 3, 1, 9, 30)
ORDER = [("BEG", "00", "SA", "PO-1", "", "20240301"), ("PO1", "1", "10", "EA", "2.50")]


def inbound(*, sets: int = 1, edit: tuple[str, str] | None = None) -> tuple[ParseResult, Interchange]:
    """Parse a written PO group with ``sets`` orders, after an optional text replacement."""
    ic = build_interchange(
        "BUYER",
        "DISTRIBUTOR",
        5,
        at=AT,
        groups=[("PO", "004010", 17, [("850", n, ORDER) for n in range(1, sets + 1)])],
    )
    text = write(ic)
    if edit:
        assert edit[0] in text
        text = text.replace(*edit)
    result = parse(text)
    return result, result.interchanges[0]


def ack_lines(ack: TransactionSet) -> list[str]:
    return ["*".join((s.id, *s.elements)) for s in ack.segments]


def test_a_clean_group_is_accepted_set_by_set_and_as_a_whole() -> None:
    result, ic = inbound()
    ack = functional_ack(ic, ic.groups[0], result.errors, control_number=1)
    assert (ack.id, ack.control_number) == ("997", "0001")
    assert ack_lines(ack) == ["AK1*PO*17", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"]
    assert ack.trailer is not None and ack.trailer.elements == ("6", "0001")


def test_a_set_whose_se01_is_wrong_is_rejected_with_ak5_code_4() -> None:
    result, ic = inbound(edit=("SE*4*0001", "SE*5*0001"))
    assert [e.code for e in result.errors] == ["SEGMENT_COUNT_MISMATCH"]
    ack = functional_ack(ic, ic.groups[0], result.errors, control_number=1)
    assert ack_lines(ack) == ["AK1*PO*17", "AK2*850*0001", "AK5*R*4", "AK9*R*1*1*0"]


def test_one_bad_set_among_good_ones_makes_the_group_partially_accepted() -> None:
    result, ic = inbound(sets=3, edit=("SE*4*0002", "SE*40*0002"))
    verdict = assess_group(ic, ic.groups[0], result.errors)
    assert [v.code for v in verdict.sets] == ["A", "R", "A"]
    assert [v.accepted for v in verdict.sets] == [True, False, True]
    ack = functional_ack(ic, ic.groups[0], control_number="0099")
    assert ack_lines(ack)[-4:] == ["AK5*R*4", "AK2*850*0003", "AK5*A", "AK9*P*3*3*2"]


def test_header_and_trailer_control_numbers_that_differ_give_ak5_code_3() -> None:
    result, ic = inbound(edit=("SE*4*0001", "SE*4*0009"))
    ack = functional_ack(ic, ic.groups[0], result.errors, control_number=1)
    assert "AK5*R*3" in ack_lines(ack)


def test_a_missing_se_gives_ak5_code_2() -> None:
    result, ic = inbound(edit=("SE*4*0001~", ""))
    assert [(e.code, e.segment_id) for e in result.errors] == [("MISSING_TRAILER", "SE")]
    ack = functional_ack(ic, ic.groups[0], result.errors, control_number=1)
    assert ack_lines(ack)[-2:] == ["AK5*R*2", "AK9*R*1*1*0"]


def test_a_wrong_ge01_rejects_the_group_with_ak905_code_5() -> None:
    # AK905 5 is "Number of Included Transaction Sets Does Not Match Actual Count" (716);
    # 4 is the control number disagreement.
    result, ic = inbound(edit=("GE*1*17", "GE*3*17"))
    ack = functional_ack(ic, ic.groups[0], result.errors, control_number=1)
    assert ack_lines(ack)[-2:] == ["AK5*R", "AK9*R*3*1*0*5"]


def test_a_ge02_that_disagrees_with_gs06_gives_ak905_code_4() -> None:
    _result, ic = inbound(edit=("GE*1*17", "GE*1*18"))
    assert ack_lines(functional_ack(ic, ic.groups[0], control_number=1))[-1] == "AK9*R*1*1*0*4"


def group_level(code: str, severity: str = "error") -> EdiError:
    """A finding about group 17 as a whole (no set), as a map or the reader of ISA adds it."""
    return EdiError(
        code=code,
        message="m",
        segment_id="ISA",
        group_control_number="17",
        severity="error" if severity == "error" else "warning",
    )


# Every way this codec (or a map, about the whole group) faults a group of two sound sets:
# (text edits, group-level findings of a map) and the AK5s and AK9 the 997 must then hold.
SOUND = ["AK5*R", "AK5*R"]
ENVELOPE_FAULTS = {
    "GE01 counts three sets": ([("GE*2*17", "GE*3*17")], [], SOUND, "AK9*R*3*2*0*5"),
    "GE02 disagrees with GS06": ([("GE*2*17", "GE*2*18")], [], SOUND, "AK9*R*2*2*0*4"),
    "GE is missing": ([("GE*2*17~", "")], [], SOUND, "AK9*R*2*2*0*3"),
    "GS06 is not a number": (
        [("*17*X*004010~", "*1A*X*004010~"), ("GE*2*17", "GE*2*1A")],
        [],
        SOUND,
        "AK9*R*2*2*0*6",
    ),
    "GS08 is empty": ([("*17*X*004010~", "*17*X*~")], [], SOUND, "AK9*R*2*2*0"),
    "GS has an element too many": ([("*17*X*004010~", "*17*X*004010*9~")], [], SOUND, "AK9*R*2*2*0"),
    "a map refuses the group": ([], [group_level("NOT_ADDRESSED_TO_US")], SOUND, "AK9*R*2*2*0"),
    "GE01 and one SE01 wrong": (
        [("GE*2*17", "GE*3*17"), ("SE*4*0002", "SE*9*0002")],
        [],
        ["AK5*R", "AK5*R*4"],
        "AK9*R*3*2*0*5",
    ),
}


def ack_of(edits: list[tuple[str, str]], extra: list[EdiError]) -> list[str]:
    """The 997 lines for a group of two orders after ``edits``, with ``extra`` findings."""
    sets = [("850", n, ORDER) for n in (1, 2)]
    text = write(build_interchange("BUYER", "DISTRIBUTOR", 5, at=AT, groups=[("PO", "004010", 17, sets)]))
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    result = parse(text)
    (parsed,) = result.interchanges
    (group,) = parsed.groups
    return ack_lines(functional_ack(parsed, group, [*result.errors, *extra], control_number=1))


def assert_ak5s_agree_with_ak9(lines: list[str]) -> None:
    """AK903 counts the AK2s, AK904 the AK5s that accept (A or E); AK901 follows from them."""
    ak5s = [line.split("*")[1] for line in lines if line.startswith("AK5*")]
    ak9 = lines[-1].split("*")
    assert ak9[0] == "AK9"
    received, accepted = int(ak9[3]), int(ak9[4])
    assert received == sum(line.startswith("AK2*") for line in lines) == len(ak5s)
    assert accepted == sum(code in ("A", "E") for code in ak5s)
    if ak9[1] in ("A", "E"):
        assert accepted == received
    elif ak9[1] == "P":
        assert 0 < accepted < received
    else:
        assert ak9[1] == "R" and accepted == 0


@pytest.mark.parametrize("fault", ENVELOPE_FAULTS)
def test_in_a_group_rejected_for_its_envelope_no_set_is_reported_accepted(fault: str) -> None:
    edits, extra, ak5s, ak9 = ENVELOPE_FAULTS[fault]
    lines = ack_of(edits, extra)
    # X12 718 has no code for "rejected with its group": a sound set is R without AK502.
    assert [line for line in lines if line.startswith("AK5*")] == ak5s
    assert lines[-1] == ak9
    assert_ak5s_agree_with_ak9(lines)


def test_a_group_warning_alone_leaves_its_sets_accepted() -> None:
    lines = ack_of([], [group_level("DUPLICATE_CONTROL_NUMBER", "warning")])
    assert lines == ["AK1*PO*17", "AK2*850*0001", "AK5*A", "AK2*850*0002", "AK5*A", "AK9*E*2*2*2"]
    assert_ak5s_agree_with_ak9(lines)


def test_a_mapper_warning_is_noted_but_the_set_is_accepted() -> None:
    result, ic = inbound()
    beg = ic.transaction_sets()[0].segments[0]
    late = EdiError(
        code=ErrorCode.INVALID_DATE,
        message="BEG05 20240301 is before the contract start.",
        segment_id="BEG",
        position=beg.position,
        element=5,
        reference="373",
        set_control_number="0001",
        group_control_number="17",
        severity="warning",
    )
    ack = functional_ack(ic, ic.groups[0], [*result.errors, late], control_number=1)
    assert ack_lines(ack) == [
        "AK1*PO*17",
        "AK2*850*0001",
        "AK3*BEG*2**8",
        "AK4*5*373*8*20240301",
        "AK5*E*5",
        "AK9*E*1*1*1",
    ]


def test_errors_of_other_interchanges_or_groups_are_ignored_and_duplicates_counted_once() -> None:
    result, ic = inbound(edit=("SE*4*0001", "SE*5*0001"))
    stranger = EdiError(
        code=ErrorCode.INVALID_CODE_VALUE,
        message="x",
        segment_id="BEG",
        position=4,
        element=1,
        set_control_number="0001",
        group_control_number="17",
        interchange_control_number="000000999",
    )
    once = functional_ack(ic, ic.groups[0], control_number=1)
    assert functional_ack(ic, ic.groups[0], result.errors * 2, control_number=1) == once
    assert functional_ack(ic, ic.groups[0], [stranger], control_number=1) == once


def test_the_real_997_sample_is_reproduced_from_an_element_error() -> None:
    # Given an 837 whose 8th segment NM1 carries NM108 'MI', which a mapper rejects as an
    # invalid code value of data element 66 (Identification Code Qualifier) ...
    claim = [
        ("BHT", "0019", "00", "0123", "20050812", "1953", "CH"),
        ("NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", "TGJ23"),
        ("PER", "IC", "JERRY", "TE", "3055552222"),
        ("NM1", "40", "2", "RECEIVER", "", "", "", "", "46", "66783JJT"),
        ("HL", "1", "", "20", "1"),
        ("PRV", "BI", "PXC", "203BF0100Y"),
        ("NM1", "85", "2", "CLINIC", "", "", "", "", "MI", "1234567890"),
        ("N3", "1 MAIN ST"),
    ]
    text = write(
        build_interchange(
            "Sender",
            "ReceiverID",
            508121900,
            at=AT,
            groups=[("HC", "005010X222A1", "000001", [("837", "0021", claim)])],
        )
    )
    result = parse(text)
    assert result.errors == []
    (ic,) = result.interchanges
    (group,) = ic.groups
    nm1 = group.transaction_sets[0].segments[6]
    assert nm1.position - group.transaction_sets[0].header.position + 1 == 8
    bad_code = EdiError(
        code=ErrorCode.INVALID_CODE_VALUE,
        message="NM108 'MI' is not a valid identification code qualifier for a billing provider.",
        segment_id="NM1",
        position=nm1.position,
        element=8,
        reference="66",
        set_control_number="0021",
        group_control_number="000001",
        interchange_control_number=ic.control_number,
    )
    # ... the 997 says exactly what the published sample (staedi__simple997.edi) says
    ack = functional_ack(ic, group, [bad_code], control_number=1)
    assert ack_lines(ack) == [
        "AK1*HC*000001",
        "AK2*837*0021",
        "AK3*NM1*8**8",
        "AK4*8*66*7*MI",
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]
    # And, wrapped in its own interchange, it is written and read back cleanly
    reply = build_interchange(
        "ReceiverID",
        "Sender",
        508121953,
        at=datetime(2005, 8, 12, 19, 53),
        groups=[("FA", "005010X230", 5, [ack])],
    )
    written = write(reply, newline=True)
    assert "ST*997*0001~\nAK1*HC*000001~\n" in written and "SE*8*0001~\n" in written
    back = parse(written)
    assert back.errors == []
    (again,) = back.transaction_sets()
    assert again.segments == ack.segments


def test_the_code_tables_follow_the_x12_lists() -> None:
    assert AK502_SET_SYNTAX["3"].startswith("Transaction Set Control Number in Header and Trailer")
    assert AK502_SET_SYNTAX["4"] == "Number of Included Segments Does Not Match Actual Count"
    assert AK905_GROUP_SYNTAX["4"].startswith("Group Control Number in the Functional Group")
    assert AK905_GROUP_SYNTAX["5"] == "Number of Included Transaction Sets Does Not Match Actual Count"
    assert AK304_SEGMENT_SYNTAX["8"] == "Segment Has Data Element Errors"
    assert AK403_ELEMENT_SYNTAX["7"] == "Invalid code value"
    assert "11" not in AK403_ELEMENT_SYNTAX
    count = EdiError(code=ErrorCode.SET_COUNT_MISMATCH, message="m", segment_id="GE")
    ctrl = EdiError(code=ErrorCode.CONTROL_NUMBER_MISMATCH, message="m", segment_id="GE")
    assert (count.ak905, ctrl.ak905, ctrl.ak502) == ("5", "4", None)
    element = EdiError(code=ErrorCode.TOO_MANY_COMPONENTS, message="m")
    assert (element.ak304, element.ak403) == ("8", "13")
