"""Specification of the maps' fast paths: they read exactly what the checked paths read.

The 850 map reads ordinary PO1s all at once (:func:`_lines_fast`) and then one by one
(:func:`_po1_fast`) before the checked, finding-recording path (:func:`_po1`); decimals are
checked on their text; partner lookups are remembered; ``read_interchange`` pauses the garbage
collector.  Each shortcut is held here to the slow path it stands for.
"""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps import PartnerDirectory, map_850, read_interchange
from o2c.adapters.edi.maps.orders_in import _lines_fast, _po1, _po1_fast
from o2c.adapters.edi.maps.reading import Findings, number

from .support import directory, inbound_set, inbound_text, partner
from .test_map_orders import ACME_PO

HEADER = ACME_PO[:9]  # BEG .. ITD
# What partners send, then the values the checked path refuses or reads differently.
GOOD = {
    "line": ["1", "2", "12", "999999"],
    "quantity": ["120", "7", "999999999999999"],
    "unit": ["EA", "CA", "BX", "C1"],
    "price": ["", "9.25", "0.5", "100", "12.3456", "0"],
    "qualifier": ["VP", "BP", "UP", "IN", "CB", "VN"],
    "id": ["SKU1", "B-1", "X" * 48, "A B", "SKU1"],
}
BAD = {
    "line": ["1000000", "007", "0", " 3", "", "A1"],
    "quantity": ["0120", "1.5", "0", "1e5", " 5", "1" * 16, "-3"],
    "unit": ["ea", "E", "EAC", "", "É1"],
    "price": ["9.250", "09.25", ".5", "7.", "-1", "1.23456", "12345678901234.1234"],
    "qualifier": ["", " VN", "vn", "V", "ZZ"],
    "id": ["X" * 49, " SKU2 ", "", "A\x1fB", "\u00a0C", "B\x1e"],
}


@st.composite
def po1_elements(draw: st.DrawFn) -> list[tuple[str, ...]]:
    """The PO1s of one set: often alike and ordinary (then read at once), else spoiled a bit."""
    count = draw(st.integers(1, 6))
    mode = draw(st.sampled_from(["ordinary", "ordinary", "one odd value", "odd values"]))

    def value(kind: str) -> str:
        bad = mode == "odd values" and not draw(st.integers(0, 3))
        return draw(st.sampled_from(BAD[kind] if bad else GOOD[kind]))

    layout = [value("qualifier") for _ in range(draw(st.integers(1, 3)))]
    sequential = draw(st.booleans())
    lines = []
    for n in range(1, count + 1):
        qualifiers = layout if draw(st.integers(0, 9)) else [value("qualifier") for _ in range(2)]
        pairs = [x for q in qualifiers for x in (q, "" if not q else value("id"))]
        line = str(n) if sequential else value("line")
        elements = [line, value("quantity"), value("unit"), value("price"), "PE", *pairs]
        if not draw(st.integers(0, 19)):
            elements.pop()  # an unpaired last element
        lines.append(elements)
    if mode == "one odd value":
        line = draw(st.sampled_from(lines))
        i = draw(st.integers(0, len(line) - 1))
        kind = (
            ["line", "quantity", "unit", "price", "price"][i] if i < 5 else ["qualifier", "id"][(i - 5) % 2]
        )
        line[i] = draw(st.sampled_from(BAD[kind]))
    return [tuple(line) for line in lines]


def _checked(elements: list[tuple[str, ...]]) -> tuple[list[object], Decimal, Findings]:
    acme = partner("acme")
    segments = tuple(Segment(id="PO1", elements=e, position=i, line=i) for i, e in enumerate(elements, 5))
    f = Findings(TransactionSet(id="850", control_number="0001", segments=segments, header=Segment(id="ST")))
    seen: set[int] = set()
    lines, total = [], Decimal(0)
    for sequence, seg in enumerate(segments, 1):
        line, qty = _po1(f, seg, sequence, seen, acme)
        lines.append(line)
        total += qty if qty is not None else 0
    return lines, total, f


def _rank() -> dict[str, int]:
    return {q: i for i, q in enumerate(partner("acme").product_qualifiers)}


@settings(max_examples=3000, deadline=None)
@given(po1_elements())
@example(
    [
        ("1", "10", "CA", "24.5", "PE", "VP", "SKU-1", "BP", "A-100"),
        ("2", "3", "EA", "", "", "VP", "X", "BP", "X"),
    ]
)
@example(
    [("1", "10", "CA", "24.5", "PE", "", "", "VP", "SKU-1"), ("2", "3", "EA", "", "", "", "", "VP", "S")]
)
@example(
    [("1", "10", "CA", "", "PE\x1fVP", "SKU", "VP", "SKU-1"), ("2", "3", "EA", "", "", "VP", "S", "VP", "T")]
)
def test_the_850_lines_read_at_once_are_what_the_checked_path_reads(elements: list[tuple[str, ...]]) -> None:
    fast = _lines_fast(elements, _rank(), dict(partner("acme").uom_map))
    event("read at once" if fast is not None else "read line by line")
    if fast is None:
        return
    lines, total, numbers = fast
    slow, slow_total, findings = _checked(elements)
    assert findings.errors == []
    assert lines == slow and total == slow_total
    assert numbers == [str(line["line_no"]) for line in lines]


@settings(max_examples=1000, deadline=None)
@given(po1_elements())
def test_a_shared_plan_cache_changes_nothing_line_by_line(elements: list[tuple[str, ...]]) -> None:
    acme = partner("acme")
    plans: dict[tuple[str, ...], object] = {}
    shared, fresh = set[int](), set[int]()
    for e in elements:
        cached = _po1_fast(e, shared, _rank(), acme.uom_map, plans)  # type: ignore[arg-type]
        assert cached == _po1_fast(e, fresh, _rank(), acme.uom_map)


def test_an_order_of_ordinary_lines_is_read_at_once_and_the_same_as_line_by_line() -> None:
    lines = [
        ("PO1", str(n), str(n * 3), "CA", "1.25", "PE", "VP", f"SKU{n}", "BP", f"B{n}") for n in range(1, 31)
    ]
    segments = [*HEADER, *[x for ln in lines for x in (ln, ("PID", "F", "", "", "", f"ITEM {ln[1]}"))]]
    segments.append(("CTT", "30", str(sum(n * 3 for n in range(1, 31)))))
    ts = inbound_set(partner("acme"), "850", segments)
    result = map_850(ts, partner("acme"))
    assert result.errors == ()
    assert _lines_fast([s.elements for s in ts.segments if s.id == "PO1"], _rank(), {"CA": "CS"}) is not None
    payload = result.payload
    assert payload is not None and len(payload["lines"]) == 30
    assert payload["lines"][29] == {
        "line_no": 30,
        "product_id": "SKU30",
        "quantity": "90",
        "uom": "CS",
        "unit_price": "1.25",
        "customer_item": "B30",
    }
    assert result.documents[0].extras["line_descriptions"]["30"] == "ITEM 30"
    # One line out of the ordinary sends the whole set line by line, to the same result.
    odd = [s if s[:2] != ("PO1", "7") else (*s[:4], "01.25", *s[5:]) for s in segments]
    slow = map_850(inbound_set(partner("acme"), "850", odd), partner("acme"))
    assert slow.payload is not None and slow.payload["lines"][6]["unit_price"] == "1.25"
    assert slow.payload["lines"][:6] == payload["lines"][:6]


DECIMALS = st.from_regex(r"-?(?:[0-9]{1,7}\.?[0-9]{0,7}|\.[0-9]{1,7})", fullmatch=True)  # <= 15 digits


@settings(max_examples=2000, deadline=None)
@given(DECIMALS, st.integers(0, 6))
def test_decimal_places_are_counted_as_the_decimal_itself_counts_them(text: str, places: int) -> None:
    seg = Segment(id="CTT", elements=("1", text))
    f = Findings(TransactionSet(id="850", control_number="1", segments=(seg,), header=Segment(id="ST")))
    value = number(f, seg, 2, "347", "r", "total", places=places)
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int)
    too_precise = -exponent > places
    assert (value is None) == too_precise, f.errors
    if too_precise:
        assert "decimals" in f.errors[0].message


def test_partner_lookups_are_remembered_and_stay_right() -> None:
    d = PartnerDirectory(list(directory()))
    acme = partner("acme")
    for _ in range(3):
        assert d.by_isa("ZZ", "ACME           ") is acme
        assert d.by_isa("zz", " acme") is acme
        assert d.by_isa("ZZ", "NOBODY") is None
    for n in range(5000):  # more unknown senders than are remembered
        assert d.by_isa("ZZ", f"X{n}") is None
    assert d.by_isa("ZZ", "ACME") is acme


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_an_interchange_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        batch = read_interchange(inbound_text(partner("acme"), "850", ACME_PO), directory())
        assert len(batch.messages) == 1
        assert gc.isenabled() is enabled
        read_interchange(b"\xff not x12", directory())
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
