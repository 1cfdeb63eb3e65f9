"""Specification of the codec's fast paths: they build exactly what the plain code builds.

``fast_builder`` constructs the frozen values without their ``__init__``; the reader builds its
segments the same way and takes a shortcut for the usual "terminator + line break" layout.
These tests hold them to the ordinary constructors and to lines counted by hand.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field, fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.edi.test_x12_reader import BODY_850

from o2c.adapters.edi import (
    EdiError,
    FunctionalGroup,
    Interchange,
    ParseResult,
    Segment,
    TransactionSet,
    parse,
    reader,
)
from o2c.adapters.edi.ack import ElementNote, GroupVerdict, SegmentNote, SetVerdict
from o2c.adapters.edi.model import DEFAULT_DELIMITERS, fast_builder


def isa() -> str:
    """A well-formed 105-character ISA (without its terminator)."""
    fields = ["00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "RECEIVER".ljust(15)]
    return "ISA*" + "*".join([*fields, "240301", "0930", "U", "00401", "000000001", "0", "P", ">"])


ST = Segment(id="ST", elements=("850", "0001"), position=3, line=3)
SE = Segment(id="SE", elements=("3", "0001"), position=5, line=5)
TS = TransactionSet(id="850", control_number="0001", segments=(ST,), header=ST, trailer=SE)
GROUP = FunctionalGroup(
    functional_id="PO",
    sender="S",
    receiver="R",
    date="20240301",
    time="0930",
    control_number="1",
    agency="X",
    version="004010",
    transaction_sets=(TS,),
    header=ST,
)
WARNING = EdiError(code="X", message="m", segment_id="SE", position=5, severity="warning")
ISA_FIELDS: dict[str, Any] = {
    "sender_qualifier": "ZZ",
    "sender_id": "S",
    "receiver_qualifier": "ZZ",
    "receiver_id": "R",
    "date": "240301",
    "time": "0930",
    "control_number": "000000001",
    "version": "00401",
    "ack_requested": "0",
    "usage_indicator": "P",
    "delimiters": DEFAULT_DELIMITERS,
    "groups": (GROUP,),
}
SAMPLES: list[tuple[type, dict[str, Any]]] = [
    (Segment, {"id": "PO1", "elements": ("1", "2"), "position": 4, "line": 4}),
    (Segment, {"id": "N1"}),
    (TransactionSet, {"id": "850", "control_number": "0001", "segments": (ST,), "header": ST}),
    (
        TransactionSet,
        {"id": "850", "control_number": "1", "segments": (), "header": ST, "errors": (WARNING,)},
    ),
    (GROUP.__class__, {f.name: getattr(GROUP, f.name) for f in fields(GROUP)}),
    (Interchange, ISA_FIELDS),
    (Interchange, {**ISA_FIELDS, "auth_info": "SECRET", "acknowledgments": (ST,), "errors": (WARNING,)}),
    (EdiError, {"code": "X", "message": "m"}),
    (EdiError, {"code": "X", "message": "m", "segment_id": "SE", "element": 1, "severity": "warning"}),
    (ElementNote, {"position": 2, "code": "7"}),
    (SegmentNote, {"segment_id": "PO1", "position": 3, "code": "8"}),
    (SetVerdict, {"transaction_set": TS, "code": "A", "syntax_codes": (), "segments": (), "errors": ()}),
    (
        GroupVerdict,
        {
            "group": GROUP,
            "code": "A",
            "included": 1,
            "received": 1,
            "accepted": 1,
            "syntax_codes": (),
            "sets": (),
            "errors": (),
        },
    ),
    (ParseResult, {}),
]


@pytest.mark.parametrize(("cls", "kwargs"), SAMPLES, ids=lambda v: getattr(v, "__name__", ""))
def test_a_fast_builder_builds_what_the_class_builds(cls: type, kwargs: dict[str, Any]) -> None:
    built = fast_builder(cls)(**kwargs)
    expected = cls(**kwargs)
    assert type(built) is cls
    assert built == expected and repr(built) == repr(expected)
    for f in fields(cls):
        assert getattr(built, f.name) == getattr(expected, f.name)
    if cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        with pytest.raises(FrozenInstanceError):
            setattr(built, fields(cls)[0].name, None)
        assert hash(built) == hash(expected)


def test_a_fast_builder_asks_for_the_same_arguments() -> None:
    build = fast_builder(Segment)
    with pytest.raises(TypeError):
        build(elements=("1",))  # id is required
    with pytest.raises(TypeError):
        build("PO1")  # keyword-only, like the class
    with pytest.raises(TypeError):
        build(id="PO1", colour="red")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Checked:
    items: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.items) > 2:
            raise ValueError("too many items")


@dataclass(frozen=True, kw_only=True)
class _Unslotted:
    value: int = 0


def test_a_fast_builder_calls_default_factories_and_post_init() -> None:
    build = fast_builder(_Checked)
    a, b = build(), build()
    assert a == _Checked() and a.items is not b.items
    with pytest.raises(ValueError, match="too many"):
        build(items=[1, 2, 3])


def test_only_slotted_dataclasses_get_a_fast_builder() -> None:
    with pytest.raises(TypeError):
        fast_builder(_Unslotted)


def test_segments_read_from_text_are_genuine_frozen_segments() -> None:
    result = parse("~".join([isa(), *BODY_850]) + "~")
    (ts,) = result.transaction_sets()
    seg = ts.segments[1]
    assert type(seg) is Segment
    assert seg == Segment(id="PO1", elements=("1", "10", "EA", "2.50", "", "VN", "SKU1"))
    assert hash(seg) == hash(Segment(id="PO1", elements=seg.elements))
    with pytest.raises(FrozenInstanceError):
        seg.id = "PO2"  # type: ignore[misc]
    assert (seg.position, seg.line, seg.delimiters.element) == (5, 1, "*")


# -- layouts: the line each segment starts on, counted by hand ---------------------------------
# What may follow a segment: its terminator, then line breaks, blank lines, trailing blanks or
# the indentation of the next segment (pretty-printed files).
JOINTS = st.sampled_from(
    ["~\n", "~\n", "~\n", "~\r\n", "~", "~\n\n", "~\r\n\r\n", "~ \n", "~\t\n", "~\n  ", "~\r\n\t", "~ "]
)


def _by_text(result: ParseResult) -> dict[str, Segment]:
    out = {}
    for ic in result.interchanges:
        envelope = [ic.header, ic.trailer]
        for g in ic.groups:
            envelope += [g.header, g.trailer]
            for ts in g.transaction_sets:
                envelope += [ts.header, ts.trailer, *ts.segments]
        for seg in envelope:
            if seg is not None:
                out["*".join((seg.id, *seg.elements))] = seg
    return out


@settings(max_examples=500, deadline=None)
@given(st.lists(JOINTS, min_size=len(BODY_850) + 1, max_size=len(BODY_850) + 1))
def test_segments_start_on_the_lines_their_text_puts_them(joints: list[str]) -> None:
    texts = [isa(), *BODY_850]
    result = parse("".join(s + j for s, j in zip(texts, joints, strict=True)))
    assert [e for e in result.errors if e.severity == "error"] == []
    read = _by_text(result)
    line = 1
    for text, joint in zip(texts, joints, strict=True):
        seg = read[text]
        assert seg.line == line, (text, joints)
        line += joint.count("\n")
    (ts,) = result.transaction_sets()
    assert [s.position for s in ts.segments] == [4, 5, 6, 7]


def _parsed_in_blocks(text: str, block: int) -> ParseResult:
    saved = reader.BLOCK
    reader.BLOCK = block
    try:
        return parse(text)
    finally:
        reader.BLOCK = saved


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*JOINTS.elements, "~~\n", "\n"]), min_size=2 * len(BODY_850),
             max_size=2 * len(BODY_850)),
    st.integers(min_value=1, max_value=60),
)
def test_a_body_read_block_by_block_is_read_as_if_whole(joints: list[str], block: int) -> None:
    # Given an interchange of two groups in any layout (empty segments and wrapped lines too)
    texts = [isa(), *BODY_850[:-1], *(s.replace("*1*X", "*2*X").replace("GE*1*1", "GE*1*2")
                                      for s in BODY_850)]
    text = "".join(s + j for s, j in zip(texts, joints, strict=True)).replace("IEA*1", "IEA*2")
    # When its body is split into segments a few characters at a time
    # Then every segment, line, position and error is what reading it whole gives
    assert _parsed_in_blocks(text, block) == _parsed_in_blocks(text, 1 << 30)


# -- 997: errors are attributed to their set by a lookup, not a scan per error ----------------
def test_errors_go_to_their_set_by_control_number_then_by_position_in_a_large_group() -> None:
    from datetime import datetime

    from o2c.adapters.edi import assess_group, build_interchange, write

    order = [("BEG", "00", "SA", "PO-1", "", "20240301"), ("PO1", "1", "10", "EA", "2.50")]
    sets = [("850", n, order) for n in range(1, 401)] + [("850", 7, order)]  # 0007 twice
    ic = build_interchange("B", "D", 5, at=datetime(2024, 3, 1), groups=[("PO", "004010", 17, sets)])
    result = parse(write(ic))
    (parsed,) = result.interchanges
    (group,) = parsed.groups
    second_7 = group.transaction_sets[-1]
    errors = [
        EdiError(
            code="INVALID_CODE_VALUE",
            message=f"bad {ts.control_number}",
            segment_id="PO1",
            position=ts.segments[1].position,
            element=2,
            set_control_number=ts.control_number,
            group_control_number="17",
            interchange_control_number=parsed.control_number,
            severity="warning" if i % 2 else "error",
        )
        for i, ts in enumerate(group.transaction_sets)
    ]
    verdict = assess_group(parsed, group, errors)
    # Each error to its own set; the second 0007 found by position (its own duplicate error first).
    assert [v.errors[-1] for v in verdict.sets] == errors
    assert [len(v.errors) for v in verdict.sets].count(1) == 400
    assert verdict.sets[-1].transaction_set is second_7
    assert [e.code for e in verdict.sets[-1].errors] == ["DUPLICATE_CONTROL_NUMBER", "INVALID_CODE_VALUE"]
    assert [v.code for v in verdict.sets[:4]] == ["R", "E", "R", "E"] and verdict.code == "P"
