"""Specification of the X12 writer and builder: envelopes are computed, text round-trips."""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.adapters.edi import (
    Delimiters,
    Interchange,
    Segment,
    build_interchange,
    parse,
    write,
)

AT = datetime(2024, 3, 1, 9, 30)


def small_order(**kwargs: object) -> Interchange:
    return build_interchange(
        "BUYER",
        "DISTRIBUTOR",
        42,
        at=AT,
        groups=[
            (
                "PO",
                "004010",
                7,
                [("850", 1, [("BEG", "00", "SA", "PO-1", "", "20240301"), ("PO1", "1", "10")])],
            )
        ],
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_built_interchange_is_written_with_fixed_isa_and_computed_trailers() -> None:
    text = write(small_order())
    assert text == (
        "ISA*00*          *00*          *ZZ*BUYER          *ZZ*DISTRIBUTOR    *240301*0930*U*"
        "00401*000000042*0*P*:~"
        "GS*PO*BUYER*DISTRIBUTOR*20240301*0930*7*X*004010~"
        "ST*850*0001~"
        "BEG*00*SA*PO-1**20240301~"
        "PO1*1*10~"
        "SE*4*0001~"
        "GE*1*7~"
        "IEA*1*000000042~"
    )
    assert text.index("GS") == 106  # the ISA and its terminator are always 106 characters


def test_the_builder_numbers_positions_as_they_will_be_read_back() -> None:
    ic = small_order()
    (po,) = ic.transaction_sets()
    assert [po.header.position, *(s.position for s in po.segments)] == [3, 4, 5]
    assert po.trailer is not None and po.trailer.elements == ("4", "0001")
    again = parse(write(ic)).interchanges[0]
    assert [s.position for s in again.transaction_sets()[0].segments] == [4, 5]
    assert again.groups == ic.groups and again.header == ic.header and again.trailer == ic.trailer


def test_005010_interchanges_announce_the_repetition_separator_in_isa11() -> None:
    ic = build_interchange(
        "A", "B", 1, at=AT, groups=[("HC", "005010X222A1", 1, [("837", 1, [("BHT", "0019")])])]
    )
    text = write(ic)
    assert text[82] == "^" and text[84:89] == "00501" and text[104] == ":"
    assert parse(text).interchanges[0].delimiters.repetition == "^"


def test_a_newline_after_each_terminator_puts_one_segment_per_line() -> None:
    text = write(small_order(), newline=True)
    assert text.splitlines()[2:5] == ["ST*850*0001~", "BEG*00*SA*PO-1**20240301~", "PO1*1*10~"]
    assert text.endswith("IEA*1*000000042~\n")
    beg = parse(text).transaction_sets()[0].segments[0]
    assert (beg.line, beg.position) == (4, 4)


def test_a_newline_terminator_is_not_doubled() -> None:
    d = Delimiters(element="*", component=":", repetition=None, terminator="\n")
    text = write(small_order(delimiters=d), newline=True)
    assert "\n\n" not in text and text.count("\n") == 8


def test_the_writer_recounts_trailers_of_a_flawed_set() -> None:
    bad = parse(write(small_order()).replace("SE*4*", "SE*9*"))
    assert [e.code for e in bad.errors] == ["SEGMENT_COUNT_MISMATCH"]
    assert parse(write(bad.interchanges[0])).errors == []


def test_the_builder_drops_trailing_empty_elements_which_x12_forbids() -> None:
    ic = build_interchange(
        "A", "B", 1, at=AT, groups=[("PO", "004010", 1, [("850", 1, [("REF", "DP", "", "")])])]
    )
    assert ic.transaction_sets()[0].segments[0] == Segment(id="REF", elements=("DP",))
    assert "REF*DP~" in write(ic)


def test_rewriting_with_other_delimiters_translates_composites_and_repeats() -> None:
    body = "HI*ABK:J449^ABF:E119~SV1*HC:99213*1~"
    ic = build_interchange(
        "A",
        "B",
        1,
        at=AT,
        groups=[("HC", "005010", 1, [("837", 1, [("HI", "ABK:J449^ABF:E119"), ("SV1", "HC:99213", "1")])])],
    )
    assert body in write(ic)
    other = Delimiters(element="|", component=">", repetition="!", terminator="\n")
    text = write(ic, other)
    assert "HI|ABK>J449!ABF>E119\nSV1|HC>99213|1\n" in text
    hi = parse(text).transaction_sets()[0].segments[0]
    assert hi.repetitions(1) == ("ABK>J449", "ABF>E119")
    assert [Segment(id="X", elements=(r,), delimiters=other).components(1) for r in hi.repetitions(1)] == [
        ("ABK", "J449"),
        ("ABF", "E119"),
    ]


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        (("BEG", "00", "SA", "PO*1"), "BEG03 'PO*1' contains '*'"),
        (("BEG", "00", "SA", "PO~1"), "BEG03 'PO~1' contains '~'"),
        (("beg", "00"), "invalid segment id 'beg'"),
    ],
)
def test_the_writer_refuses_data_that_would_read_back_as_something_else(
    segment: tuple[str, ...], message: str
) -> None:
    ic = build_interchange("A", "B", 1, at=AT, groups=[("PO", "004010", 1, [("850", 1, [segment])])])
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        write(ic)


def test_the_writer_refuses_isa_fields_that_do_not_fit_and_unusable_delimiters() -> None:
    with pytest.raises(ValueError, match="ISA06"):
        write(replace(small_order(), sender_id="A-SENDER-ID-LONGER-THAN-15"))
    with pytest.raises(ValueError, match="distinct"):
        write(small_order(), Delimiters(element="*", component="*", repetition=None, terminator="~"))
    with pytest.raises(ValueError, match="ISA13"):
        build_interchange("A", "B", 10**9, at=AT, groups=[])


# -- property: anything the builder accepts round-trips ---------------------------------------

_POOL = "*|^:>~!\\+`"
_ENVELOPE = {"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"}
segment_ids = st.from_regex(r"\A[A-Z][A-Z0-9]{1,2}\Z").filter(lambda s: s not in _ENVELOPE)


@st.composite
def delimiter_sets(draw: st.DrawFn) -> Delimiters:
    chars = draw(st.permutations(_POOL))
    terminator = draw(st.sampled_from([chars[0], "\n"]))
    repetition = draw(st.sampled_from([chars[3], None]))
    return Delimiters(element=chars[1], component=chars[2], repetition=repetition, terminator=terminator)


@st.composite
def interchanges(draw: st.DrawFn) -> tuple[Interchange, Delimiters]:
    d = draw(delimiter_sets())
    banned = {d.element, d.terminator, "\r", "\n"}
    alphabet = st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="".join(banned)
    ) | st.sampled_from([c for c in (d.component, d.repetition, " ", "\t") if c])
    element = st.text(alphabet, max_size=12)
    seg = st.tuples(segment_ids, st.lists(element, min_size=1, max_size=6)).map(lambda t: (t[0], *t[1]))
    sets = st.lists(st.lists(seg, max_size=8), min_size=1, max_size=3)
    groups = draw(st.lists(sets, min_size=1, max_size=3))
    version = draw(st.sampled_from(["004010", "005010"]))
    spec = [
        ("PO", version, g, [("850", i + 1, segs) for i, segs in enumerate(set_list)])
        for g, set_list in enumerate(groups, 1)
    ]
    sender = draw(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=15))
    ic = build_interchange(
        sender, "RECEIVER", draw(st.integers(0, 999_999_999)), at=AT, groups=spec, delimiters=d
    )
    return ic, ic.delimiters


@settings(max_examples=150, deadline=None)
@given(interchanges(), st.booleans())
def test_any_built_interchange_reads_back_to_the_same_segments(
    case: tuple[Interchange, Delimiters], newline: bool
) -> None:
    ic, d = case
    result = parse(write(ic, newline=newline))
    assert result.errors == []
    (again,) = result.interchanges
    assert again.delimiters == d
    assert again.groups == ic.groups
    assert (again.sender_id, again.control_number) == (ic.sender_id, ic.control_number)
    # positions survive too: the builder numbered them as the reader counts
    assert [s.position for s in again.transaction_sets()[-1].segments] == [
        s.position for s in ic.transaction_sets()[-1].segments
    ]
