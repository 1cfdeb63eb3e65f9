"""Specification: ``read_interchange`` turns X12 files into inbox messages and 997s.

Each public sample is read end to end with the partner directory of ``support.PARTNERS_YAML``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from o2c.adapters.edi import TransactionSet, build_interchange, parse, write
from o2c.adapters.edi.maps import (
    MODELS,
    MapCode,
    MapError,
    Mapped,
    MapResult,
    PartnerDirectory,
    ack_interchange,
    inbound,
    read_interchange,
)

from .support import AT, ack_lines, directory, inbound_text, partner, sample
from .test_map_orders import ACME_PO

# file -> (kind and source_message_id of each message, 997 lines of each group)
SAMPLES: dict[str, tuple[list[tuple[str, str]], list[list[str]]]] = {
    "nodex12__850.edi": (
        [("order", "000003438:1421:000000010")],
        [["AK1*PO*1421", "AK2*850*000000010", "AK5*A", "AK9*A*1*1*1"]],
    ),
    "nodex12__850_2.edi": (
        [("order", "000003438:1421:000000010")],
        [["AK1*PO*1421", "AK2*850*000000010", "AK5*A", "AK9*A*1*1*1"]],
    ),
    # The 810 group is refused set by set as not supported (AK502 1): we send 810s, not read them.
    "staedi__invoice810_po850_dual.edi": (
        [("order", "000000020:165:000191240")],
        [
            ["AK1*IN*1", "AK2*810*000000001", "AK5*R*1", "AK2*810*000000002", "AK5*R*1", "AK9*R*2*2*0"],
            ["AK1*PO*165", "AK2*850*000191240", "AK5*A", "AK9*A*1*1*1"],
        ],
    ),
    "nodex12__856.edi": (
        [("shipment", "000000049:49:0008")],
        [["AK1*SH*49", "AK2*856*0008", "AK5*A", "AK9*A*1*1*1"]],
    ),
    "ediengine__856.Crossdock.OK.edi": (
        [("shipment", "000000091:91:0001/2"), ("shipment", "000000091:91:0001/11")],
        [["AK1*SH*91", "AK2*856*0001", "AK5*A", "AK9*A*1*1*1"]],
    ),
    "indice__x12.820.issue140.edi": (
        [("payment", "820101047:820101047:101053")],
        [["AK1*RA*820101047", "AK2*820*101053", "AK5*A", "AK9*A*1*1*1"]],
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_public_sample_gives_its_messages_and_acknowledgments(name: str) -> None:
    batch = read_interchange(sample(name), directory())
    expected_messages, expected_acks = SAMPLES[name]
    assert [(m.kind, m.source_message_id) for m in batch.messages] == expected_messages
    assert [ack_lines(batch, i) for i in range(len(batch.acks))] == expected_acks
    for m in batch.messages:
        MODELS[m.kind].model_validate(m.payload)  # what the runtime will do with the body
        MODELS[m.kind].model_validate_json(m.body())


def test_an_interchange_sent_twice_gets_the_same_inbox_keys_so_the_inbox_drops_the_copy() -> None:
    first = read_interchange(sample("nodex12__850.edi"), directory())
    again = read_interchange(sample("nodex12__850_2.edi"), directory())  # same ISA13/GS06/ST02
    assert [(m.source, m.source_message_id) for m in first.messages] == [
        (m.source, m.source_message_id) for m in again.messages
    ]
    assert first.messages[0].source == "edi:xyz-retail"


def test_test_interchanges_are_flagged() -> None:
    batch = read_interchange(sample("staedi__invoice810_po850_dual.edi"), directory())
    assert [m.test for m in batch.messages] == [True]  # ISA15 T


def test_an_unknown_sender_gets_no_997_and_a_clear_error() -> None:
    batch = read_interchange(sample("nodex12__855.edi"), directory())
    assert batch.messages == () and batch.acks == ()
    (error,) = batch.errors
    assert error.code == MapCode.UNKNOWN_PARTNER and "ZZ/1556150" in error.message


def test_an_interchange_addressed_to_someone_else_is_rejected_whole() -> None:
    text = inbound_text(
        partner("acme"), "850", ACME_PO, edit=("*ZZ*O2CDIST        *", "*ZZ*NOTUS          *")
    )
    batch = read_interchange(text, directory())
    assert batch.messages == ()
    assert ack_lines(batch) == ["AK1*PO*1", "AK2*850*0001", "AK5*R", "AK9*R*1*1*0"]
    assert [e.code for e in batch.errors] == [MapCode.NOT_ADDRESSED_TO_US]


def test_a_set_with_a_broken_envelope_is_rejected_without_being_mapped() -> None:
    text = inbound_text(partner("acme"), "850", ACME_PO, edit=("SE*15*0001", "SE*16*0001"))
    batch = read_interchange(text, directory())
    assert batch.messages == ()
    assert ack_lines(batch) == ["AK1*PO*1", "AK2*850*0001", "AK5*R*4", "AK9*R*1*1*0"]
    assert [(s.code, s.result) for s in batch.sets] == [("R", None)]


def test_one_faulty_order_among_good_ones_is_a_partial_acceptance() -> None:
    acme = partner("acme")
    bad = [s for s in ACME_PO if s[0] != "BEG"]
    ic = build_interchange(
        acme.isa_id,
        acme.our_isa_id,
        9,
        at=AT,
        groups=[("PO", "004010", 3, [("850", 1, ACME_PO), ("850", 2, bad), ("850", 3, ACME_PO)])],
    )
    batch = read_interchange(write(ic), directory())
    assert [m.source_message_id for m in batch.messages] == ["000000009:3:0001", "000000009:3:0003"]
    assert ack_lines(batch)[-1] == "AK9*P*3*3*2"
    assert [s.code for s in batch.sets] == ["A", "R", "A"]


def test_997_control_numbers_run_across_the_batch() -> None:
    batch = read_interchange(sample("staedi__invoice810_po850_dual.edi"), directory(), ack_control_start=41)
    assert [a.transaction_set.control_number for a in batch.acks] == ["0041", "0042"]


def test_the_997s_go_back_in_the_partners_envelope() -> None:
    batch = read_interchange(sample("nodex12__850.edi"), directory())
    ic = ack_interchange(batch.acks, control_number=5, group_control_number=5, at=AT)
    back = parse(write(ic))
    assert back.ok
    (returned,) = back.interchanges
    # Our ISA id to theirs, qualifiers included; FA group in the partner's version
    assert (
        returned.sender_qualifier,
        returned.sender_id,
        returned.receiver_qualifier,
        returned.receiver_id,
    ) == (
        "01",
        "999999999",
        "12",
        "4405197800",
    )
    (group,) = returned.groups
    assert (group.functional_id, group.version, group.sender, group.receiver) == (
        "FA",
        "004010",
        "999999999",
        "4405197800",
    )
    assert ["*".join((s.id, *s.elements)) for s in group.transaction_sets[0].segments][-1] == "AK9*A*1*1*1"


def test_turning_validation_off_changes_nothing_for_sound_maps() -> None:
    data = sample("indice__x12.820.issue140.edi")
    assert (
        read_interchange(data, directory(), validate=False).messages
        == read_interchange(data, directory()).messages
    )


def _with_map(monkeypatch: pytest.MonkeyPatch, fn: Callable[..., MapResult]) -> None:
    monkeypatch.setattr(inbound, "INBOUND_MAPS", {**inbound.INBOUND_MAPS, "850": fn})


def test_a_map_that_raises_is_a_rejected_set_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ts: TransactionSet, partner: Any, **kw: Any) -> MapResult:
        raise KeyError("oops")

    _with_map(monkeypatch, broken)
    batch = read_interchange(inbound_text(partner("acme"), "850", ACME_PO), directory())
    assert batch.messages == () and ack_lines(batch)[-2:] == ["AK5*R", "AK9*R*1*1*0"]
    assert [e.code for e in batch.errors] == [MapCode.MAPPING_FAILED]


def test_a_payload_its_model_refuses_is_a_rejected_set(monkeypatch: pytest.MonkeyPatch) -> None:
    def sloppy(ts: TransactionSet, partner: Any, **kw: Any) -> MapResult:
        return MapResult(documents=(Mapped(kind="order", payload={"po_number": "X"}),))

    _with_map(monkeypatch, sloppy)
    batch = read_interchange(inbound_text(partner("acme"), "850", ACME_PO), directory())
    assert batch.messages == ()
    (error,) = batch.errors
    assert error.code == MapCode.PAYLOAD_INVALID and "legal_entity_id: Field required" in error.message


def test_a_map_result_never_carries_documents_and_errors_together() -> None:
    err = MapError(code="MANDATORY_ELEMENT_MISSING", rule="x", message="m", segment_id="BEG")
    with pytest.raises(ValueError, match="must not carry documents"):
        MapResult(documents=(Mapped(kind="order", payload={}),), errors=(err,))
    assert MapResult.of([Mapped(kind="order", payload={})], [err]).documents == ()


def test_a_damaged_interchange_envelope_rejects_every_group_it_holds() -> None:
    text = inbound_text(partner("acme"), "850", ACME_PO, edit=("IEA*1*000000001", "IEA*1*000000002"))
    batch = read_interchange(text, directory())
    assert batch.messages == ()
    assert ack_lines(batch)[-1] == "AK9*R*1*1*0"
    assert [e.code for e in batch.errors] == ["CONTROL_NUMBER_MISMATCH", MapCode.INTERCHANGE_INVALID]


def test_a_partner_that_wants_no_997_gets_none_and_the_same_messages() -> None:
    quiet = replace(partner("acme"), send_997=False)
    batch = read_interchange(inbound_text(quiet, "850", ACME_PO), PartnerDirectory([quiet]))
    assert batch.acks == ()
    assert [(m.kind, m.source_message_id) for m in batch.messages] == [("order", "000000001:1:0001")]
    assert [s.code for s in batch.sets] == ["A"]


def _lean_cases() -> list[tuple[str, str]]:
    acme = partner("acme")
    bad = [s for s in ACME_PO if s[0] != "BEG"]
    mixed = build_interchange(acme.isa_id, acme.our_isa_id, 9, at=AT,
                              groups=[("PO", "004010", 3, [("850", 1, ACME_PO), ("850", 2, bad),
                                                           ("850", 3, ACME_PO), ("850", 3, ACME_PO)])])
    return [
        *((name, name) for name in sorted(SAMPLES)),
        ("one faulty order among good ones, a control number twice", write(mixed)),
        ("a broken set envelope", inbound_text(acme, "850", ACME_PO, edit=("SE*15*0001", "SE*16*0001"))),
        ("addressed to someone else",
         inbound_text(acme, "850", ACME_PO, edit=("*ZZ*O2CDIST        *", "*ZZ*NOTUS          *"))),
        ("an IEA that miscounts", inbound_text(acme, "850", ACME_PO, edit=("IEA*1*", "IEA*2*"))),
    ]


@pytest.mark.parametrize(("case", "data"), _lean_cases(), ids=[c for c, _ in _lean_cases()])
def test_a_lean_read_gives_the_same_messages_997s_and_errors_as_a_full_one(case: str, data: str) -> None:
    text = sample(data) if data in SAMPLES else data
    full = read_interchange(text, directory())
    lean = read_interchange(text, directory(), lean=True)
    assert [(m.kind, m.source, m.source_message_id, m.body(), dict(m.payload), dict(m.extras), m.test)
            for m in lean.messages] == [
        (m.kind, m.source, m.source_message_id, m.body(), dict(m.payload), dict(m.extras), m.test)
        for m in full.messages]
    assert [ack_lines(lean, i) for i in range(len(lean.acks))] == [
        ack_lines(full, i) for i in range(len(full.acks))]
    assert lean.errors == full.errors
    assert [s.code for s in lean.sets] == [s.code for s in full.sets]
    # and as the runtime reads it, without extras: the same messages, carrying none
    plain = read_interchange(text, directory(), lean=True, extras=False)
    assert [(m.source_message_id, m.body(), dict(m.extras)) for m in plain.messages] == [
        (m.source_message_id, m.body(), {}) for m in full.messages]
