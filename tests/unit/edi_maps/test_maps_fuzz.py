"""Specification: whatever a partner sends, mapping reports problems as values and never raises.

Documents are valid ones (our fixtures for every inbound set, and the public samples when
present) mutated the ways real files go wrong: an element replaced by other text, a segment
dropped, duplicated or moved, characters flipped.  Element edits keep the envelope counts, so
most mutants reach the maps; segment edits mostly exercise the envelope rules.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps import MODELS, InboundBatch, MapCode, read_interchange
from o2c.adapters.edi.maps.orders_in import _po1, _po1_fast
from o2c.adapters.edi.maps.reading import Findings

from .support import directory, inbound_text, partner, samples_dir
from .test_map_orders import ACME_PO, CHANGE
from .test_map_payment import REMITTANCE
from .test_map_shipments import ASN, SHIPPING_ADVICE
from .test_map_status_and_stock import ADVICE, DELIVERED

FIXTURES = [
    inbound_text(partner("acme"), "850", ACME_PO),
    inbound_text(partner("acme"), "860", CHANGE, version="005010"),
    inbound_text(partner("acme"), "820", REMITTANCE),
    inbound_text(partner("lakeside-3pl"), "856", ASN),
    inbound_text(partner("lakeside-3pl"), "945", SHIPPING_ADVICE, version="005010"),
    inbound_text(partner("lakeside-3pl"), "846", ADVICE),
    inbound_text(partner("fastfreight"), "214", DELIVERED),
]
SAMPLE_NAMES = [
    "nodex12__850.edi",
    "staedi__invoice810_po850_dual.edi",
    "nodex12__856.edi",
    "ediengine__856.Crossdock.OK.edi",
    "indice__x12.820.issue140.edi",
]
DOCUMENTS = FIXTURES + [
    (samples_dir() / n).read_text("latin-1") for n in SAMPLE_NAMES if (samples_dir() / n).is_file()
]
# What partners' data is made of, plus the delimiters and characters that break naive parsers.
VALUES = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. /:^>~*\n\u00e9", max_size=12)
BUGS = {MapCode.MAPPING_FAILED, MapCode.PAYLOAD_INVALID, "INTERNAL_ERROR"}


def assert_sound(batch: InboundBatch) -> None:
    """The invariants every batch keeps, whatever the input."""
    assert not [e for e in batch.errors if e.code in BUGS], [
        e.message for e in batch.errors if e.code in BUGS
    ]
    for m in batch.messages:
        MODELS[m.kind].model_validate(m.payload)
    accepted = {
        f"{s.interchange_control_number}:{s.group_control_number}:{s.set_control_number}"
        for s in batch.sets
        if s.code in ("A", "E")
    }
    for m in batch.messages:
        assert m.source_message_id in accepted or m.source_message_id.rsplit("/", 1)[0] in accepted
    for s in batch.sets:
        if s.result is not None and s.result.errors and any(e.severity == "error" for e in s.result.errors):
            assert s.result.documents == () and s.code == "R"


def _lines(text: str) -> list[str]:
    return text.replace("~\n", "\n").replace("~", "\n").split("\n")


@st.composite
def element_edits(draw: st.DrawFn) -> str:
    """A document with 1-4 elements of its content segments replaced."""
    text = draw(st.sampled_from(DOCUMENTS))
    lines = _lines(text)
    body = [
        i
        for i, ln in enumerate(lines)
        if ln[:3].rstrip("*") not in ("ISA", "GS", "ST", "SE", "GE", "IEA", "")
    ]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.sampled_from(body))
        parts = lines[i].split("*")
        j = draw(st.integers(1, max(1, len(parts))))
        value = draw(VALUES)
        if j < len(parts):
            parts[j] = value
        else:
            parts.append(value)
        lines[i] = "*".join(parts).replace("\n", "")
    return "~\n".join(lines)


@st.composite
def segment_edits(draw: st.DrawFn) -> str:
    """A document with a segment dropped, duplicated or moved, or a few characters flipped."""
    text = draw(st.sampled_from(DOCUMENTS))
    lines = [ln for ln in _lines(text) if ln]
    i = draw(st.integers(0, len(lines) - 1))
    action = draw(st.sampled_from(["drop", "duplicate", "move", "flip"]))
    if action == "drop":
        del lines[i]
    elif action == "duplicate":
        lines.insert(i, lines[i])
    elif action == "move":
        lines.insert(draw(st.integers(0, len(lines) - 1)), lines.pop(i))
    else:
        joined = "~\n".join(lines)
        for _ in range(draw(st.integers(1, 5))):
            k = draw(st.integers(0, len(joined) - 1))
            joined = joined[:k] + draw(st.sampled_from("*~:^0A \n")) + joined[k + 1 :]
        return joined
    return "~\n".join(lines) + "~\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(element_edits())
@example(FIXTURES[0].replace("PO1*1*10*CA", "PO1*1*1e5*CA"))
@example(FIXTURES[0].replace("PO1*1*10*CA", "PO1*1*NaN*CA"))
@example(FIXTURES[6].replace("20240304*1432*ED", "20240304*2561*ED"))
@example(FIXTURES[2].replace("BPR*C*1500.00", "BPR*C*99999999999999999999.1"))
def test_element_mutants_are_mapped_or_refused_never_crash(text: str) -> None:
    assert_sound(read_interchange(text, directory()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segment_edits())
def test_segment_mutants_are_mapped_or_refused_never_crash(text: str) -> None:
    assert_sound(read_interchange(text, directory()))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_reported_not_raised(data: bytes) -> None:
    assert_sound(read_interchange(data, directory()))


LINE_NOS = st.sampled_from(["1", "12", "999999", "1000000", "007", "0", "-1", " 3", "A1", ""])
QUANTITIES = st.sampled_from(["120", "0120", "1.5", "0", "-3", "1e5", " 5", "999999999999999", "1" * 16, ""])
UNITS = st.sampled_from(["EA", "CA", "ea", "E", "EAC", "", "C1", "É1"])
PRICES = st.sampled_from(
    ["", "9.25", "9.250", "09.25", "-1", "1.23456", ".5", "0", "12345678901234.1234", "7."]
)
QUALIFIERS = st.sampled_from(["VN", "VP", "BP", "UP", "IN", "CB", " VN", "V", "", "ZZ", "vn", "  "])
IDS = st.sampled_from(["SKU1", " SKU2 ", "", "X" * 48, "X" * 49, "B-1", "SKU1", "A\x1fB", "A B", "\u00a0C"])


@settings(max_examples=3000, deadline=None)
@given(
    LINE_NOS,
    QUANTITIES,
    UNITS,
    PRICES,
    st.lists(st.tuples(QUALIFIERS, IDS), max_size=4),
    st.lists(IDS, max_size=1),  # an unpaired last element
)
@example("12", "120", "CA", "9.25", [("VN", "SKU1"), ("BP", "B-1")], [])
@example("1", "5", "EA", "", [("BP", "SKU1"), ("UP", "SKU1"), ("CB", "C-9")], [])
@example("1", "5", "EA", "", [("BP", "B-7"), ("VN", "SKU1")], [])
def test_the_850_fast_path_reads_exactly_what_the_checked_path_reads(
    line: str, qty: str, unit: str, price: str, pairs: list[tuple[str, str]], extra: list[str]
) -> None:
    acme = partner("xyz-retail")
    elements = (line, qty, unit, price, "PE", *(x for pair in pairs for x in pair), *extra)
    fast = _po1_fast(elements, set(), {q: i for i, q in enumerate(acme.product_qualifiers)}, acme.uom_map)
    if fast is None:
        return  # the checked path reads it
    seg = Segment(id="PO1", elements=elements, position=5, line=5)
    findings = Findings(
        TransactionSet(id="850", control_number="0001", segments=(seg,), header=Segment(id="ST"))
    )
    slow, quantity = _po1(findings, seg, 1, set(), acme)
    assert findings.errors == []
    assert slow == fast and quantity == Decimal(fast["quantity"])
