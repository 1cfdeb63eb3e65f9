"""Specification: ``parse`` never raises, whatever it is given, and says what it found."""

from __future__ import annotations

from datetime import datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from o2c.adapters.edi import (
    EdiError,
    ParseResult,
    build_interchange,
    functional_ack,
    parse,
    write,
)

VALID = write(
    build_interchange(
        "BUYER",
        "DISTRIBUTOR",
        1,
        at=datetime(2024, 3, 1, 9, 30),
        groups=[
            (
                "PO",
                "005010",
                1,
                [
                    (
                        "850",
                        1,
                        [
                            ("BEG", "00", "SA", "PO-1", "", "20240301"),
                            ("PO1", "1", "10", "EA", "2.5", "", "VN", "A:B^C"),
                        ],
                    ),
                    ("850", 2, [("BEG", "00", "SA", "PO-2")]),
                ],
            ),
            ("IN", "004010", 2, [("810", 1, [("BIG", "20240301", "INV-1")])]),
        ],
    ),
    newline=True,
).encode()


def assert_reported_as_values(result: ParseResult, data: bytes | str) -> None:
    assert isinstance(result, ParseResult)
    lines = (data.count(b"\n") if isinstance(data, bytes) else data.count("\n")) + 1
    for err in result.errors:
        assert isinstance(err, EdiError)
        assert err.code != "INTERNAL_ERROR", err.message
        assert err.message.strip()
        assert err.position is None or err.position >= 1
        assert err.line is None or 1 <= err.line <= lines
    for ic in result.interchanges:
        for ts in ic.transaction_sets():
            assert all(s.position > ts.header.position for s in ts.segments)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
@example(b"")
@example(b"ISA")
@example(b"ISA*" + b"*" * 200)
@example(VALID[:106] + b"IEA*1*1~ISA*")
def test_arbitrary_bytes_never_make_parse_raise(data: bytes) -> None:
    assert_reported_as_values(parse(data), data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_makes_parse_raise(text: str) -> None:
    assert_reported_as_values(parse(text), text)


edits = st.lists(
    st.one_of(
        st.tuples(st.just("flip"), st.integers(0, len(VALID) - 1), st.integers(0, 255)),
        st.tuples(st.just("cut"), st.integers(0, len(VALID)), st.integers(0, 40)),
        st.tuples(
            st.just("insert"),
            st.integers(0, len(VALID)),
            st.sampled_from(
                [b"~", b"*", b"\n", b"ISA*", b"IEA*1*1~", b"ST*850*9~", b"SE*1*9~", b"GE*", b"GS*PO~"]
            ),
        ),
    ),
    min_size=1,
    max_size=6,
)


Edit = tuple[str, int, "int | bytes"]


def mutate(data: bytes, ops: list[Edit]) -> bytes:
    buf = bytearray(data)
    for op, at, arg in ops:
        at = min(at, len(buf))
        if op == "flip" and at < len(buf) and isinstance(arg, int):
            buf[at] = arg
        elif op == "cut" and isinstance(arg, int):
            del buf[at : at + arg]
        elif op == "insert" and isinstance(arg, bytes):
            buf[at:at] = arg
    return bytes(buf)


@settings(max_examples=400, deadline=None)
@given(edits, st.integers(0, len(VALID)))
def test_damaged_copies_of_a_valid_interchange_never_make_parse_raise(
    ops: list[Edit], truncate_at: int
) -> None:
    for data in (mutate(VALID, ops), VALID[:truncate_at]):
        result = parse(data)
        assert_reported_as_values(result, data)
        assert_acknowledgeable(result)


def assert_acknowledgeable(result: ParseResult) -> None:
    """Whatever was recovered can be acknowledged, and the 997 written and read back."""
    for ic in result.interchanges:
        for n, group in enumerate(ic.groups, 1):
            ack = functional_ack(ic, group, result.errors, control_number=n)
            # AK903 counts the AK5s and AK904 those that accept; a rejected group accepts none.
            ak5s = [s.elements[0] for s in ack.segments if s.id == "AK5"]
            ak9 = ack.segments[-1]
            accepted = sum(code in ("A", "E") for code in ak5s)
            assert (ak9.element(3), ak9.element(4)) == (str(len(ak5s)), str(accepted))
            assert ak9.element(1) != "R" or accepted == 0
            reply = build_interchange(
                "US", "THEM", n, at=datetime(2024, 3, 1), groups=[("FA", "004010", n, [ack])]
            )
            back = parse(write(reply))
            assert back.errors == []
            assert back.transaction_sets()[0].segments == ack.segments


def test_the_undamaged_interchange_is_clean() -> None:
    result = parse(VALID)
    assert result.errors == []
    assert [t.id for t in result.transaction_sets()] == ["850", "850", "810"]


envelope_tokens = st.sampled_from(
    [
        "GS*PO*A*B*20240301*0930*1*X*004010",
        "GS*PO*A*B*20240301*0930**X",
        "ST*850*0001",
        "ST*850",
        "ST",
        "SE*3*0001",
        "SE*x*0001",
        "SE",
        "GE*1*1",
        "GE*0",
        "GE",
        "IEA*1*000000001",
        "IEA",
        "TA1*000000001",
        "BEG*00*SA*X",
        "N1*ST",
        "",
        "  ",
        "bad id",
        "ISA",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(envelope_tokens, max_size=25), st.sampled_from(["~", "~\n", "~\r\n"]))
def test_any_sequence_of_envelope_segments_is_reported_not_raised(tokens: list[str], layout: str) -> None:
    text = VALID[:105].decode() + layout + layout.join(tokens)
    result = parse(text)
    assert_reported_as_values(result, text)
    assert len(result.interchanges) >= 1
