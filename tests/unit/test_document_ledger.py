"""The outbound document ledger: every X12 set o2c sends gets a row with its control numbers
and what it carries; the partner's 997 is matched to it by (partner, GS06, ST02) and moves it
to accepted, accepted with errors or rejected; no 997 in time makes it unacknowledged. A
rejected or unanswered 810 holds its order for billing, who resend it or release the hold."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.adapters.edi import build_interchange, functional_ack, parse, write
from o2c.adapters.edi.maps.intake import raw_interchange
from o2c.domain.actors import user
from o2c.domain.documents import (
    ANSWERED,
    TRANSITIONS,
    AckStatus,
    SentDocument,
    apply_document,
    can_move,
    control,
    status_of,
)
from o2c.domain.events import DocumentAcknowledged
from o2c.domain.holds import HoldCode, Role
from o2c.engine.runtime import Status
from tests.builders import T0, Harness, seed
from tests.unit.test_edi_outbound import INTEGRATIONS, X12_SPLITTER, order_by_edi, sent

BEA = user("bea", Role.BILLING)


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness(integrations=INTEGRATIONS)
    seed(h.app)
    h.stock("P1", "100")
    return h


# ------------------------------------------------------------------ helpers


def ledger(h: Harness, **filters: Any) -> list[SentDocument]:
    with h.app.store.unit_of_work() as uow:
        return sorted(uow.documents.search(**filters), key=lambda d: d.document_id)


def document(h: Harness, document_id: str) -> SentDocument:
    with h.app.store.unit_of_work() as uow:
        doc = uow.documents.get(document_id)
    assert doc is not None
    return doc


def answer_997(x12: str, *, reject: bool = False, control_number: int = 500) -> bytes:
    """The partner's 997 to an interchange we sent, as its translator would make it: our
    interchange read back (with a damaged SE01 when ``reject``) and acknowledged by the
    codec's ``functional_ack``, in an FA group from ACME to us."""
    text = re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 5}*", x12) if reject else x12
    result = parse(text)
    ic = result.interchanges[0]
    ack = functional_ack(ic, ic.groups[0], result.errors, control_number=1)
    back = build_interchange("ACME", "O2CDIST", control_number, at=T0.replace(tzinfo=None),
                             groups=[("FA", "004010", control_number, [ack])])
    return write(back).encode()


def feed(h: Harness, data: bytes) -> Any:
    _, outs = h.app.runtime.submit_document(raw_interchange(data, h.clock.now()), X12_SPLITTER)
    return outs


def invoiced_by_edi(h: Harness) -> tuple[str, dict[str, Any]]:
    oid = order_by_edi(h)
    h.later(hours=3)
    h.ship_all(oid)
    [invoice] = sent(h, "edi_810")
    return oid, invoice


def resend(h: Harness, document_id: str, actor: Any = BEA) -> Any:
    import json

    from o2c.engine.ports import InboundMessage

    m = InboundMessage(source="cli", source_message_id=f"resend-{document_id}-{h.clock.now()}",
                       kind="document_resend", received_at=h.clock.now(),
                       body=json.dumps({"document_id": document_id}), actor=actor)
    return h.app.runtime.submit([m])[0]


# ------------------------------------------------------------------ the pure core


def test_an_ak5_code_names_the_ledger_status() -> None:
    assert [status_of(c) for c in ("A", "E", "R", "M", "W", "X", " a ")] == [
        AckStatus.ACCEPTED, AckStatus.ACCEPTED_WITH_ERRORS, AckStatus.REJECTED, AckStatus.REJECTED,
        AckStatus.REJECTED, AckStatus.REJECTED, AckStatus.ACCEPTED]


def test_control_numbers_compare_as_numbers() -> None:
    assert control("000000042") == control("42") == "42" and control("0001") == "1"


def test_an_answered_document_never_changes_again_and_an_overdue_one_can_still_be_answered() -> None:
    for answered in ANSWERED:
        assert TRANSITIONS[answered] == frozenset()
    assert can_move(AckStatus.UNACKNOWLEDGED, AckStatus.REJECTED)
    assert not can_move(AckStatus.ACCEPTED, AckStatus.UNACKNOWLEDGED)
    assert not can_move(AckStatus.NOT_EXPECTED, AckStatus.ACCEPTED)


@given(st.lists(st.sampled_from(["A", "E", "R", "M"]), min_size=1, max_size=6))
def test_whatever_997s_arrive_the_first_answer_is_the_one_kept(codes: list[str]) -> None:
    doc = SentDocument(document_id="DOC-1", partner_id="acme", doc_type="810", interchange_control_number="4",
                       group_control_number="4", set_control_number="1", correlation_id="SO-1",
                       sent_at=T0, status=AckStatus.SENT)
    for i, code in enumerate(codes):
        apply_document(doc, DocumentAcknowledged(
            document_id="DOC-1", partner_id="acme", doc_type="810", order_id="SO-1", invoice_id="I-1",
            status=status_of(code).value, set_code=code, group_code=code, errors="",
            ack_message=f"m{i}", repeated=doc.status is not AckStatus.SENT), T0 + timedelta(hours=i))
    assert doc.status is status_of(codes[0]) and doc.ack_message == "m0" and doc.acked_at == T0


# ------------------------------------------------------------------ through the runtime


def test_every_x12_set_we_send_gets_a_ledger_row_with_its_control_numbers_and_reference(h: Harness) -> None:
    oid, invoice = invoiced_by_edi(h)
    rows = ledger(h)
    assert [(d.partner_id, d.doc_type, d.status.value) for d in rows] == [
        ("acme", "997", "not_expected"), ("acme", "855", "sent"), ("tpl", "940", "sent"),
        ("acme", "856", "sent"), ("acme", "810", "sent")]
    [doc] = [d for d in rows if d.doc_type == "810"]
    number = str(invoice["payload"]["control_number"])
    assert (doc.interchange_control_number, doc.group_control_number, doc.set_control_number) == (
        number, number, "1")
    assert (doc.order_id, doc.invoice_id, doc.correlation_id) == (oid, invoice["payload"]["invoice_id"], oid)
    assert doc.x12 == invoice["payload"]["x12"] and doc.ack_due_at == doc.sent_at + timedelta(hours=24)
    assert [d.doc_type for d in ledger(h, status="sent", partner_id="acme", doc_type="810")] == ["810"]
    assert [d.doc_type for d in ledger(h, reference=doc.invoice_id)] == ["810"]


def test_a_997_accepting_the_810_marks_it_accepted_and_cancels_its_timer(h: Harness) -> None:
    _, invoice = invoiced_by_edi(h)
    [out] = feed(h, answer_997(invoice["payload"]["x12"]))
    assert out.status is Status.APPLIED, out.reason
    [doc] = ledger(h, doc_type="810")
    assert (doc.status, doc.ack_code, doc.group_ack_code) == (AckStatus.ACCEPTED, "A", "A")
    assert doc.acked_at == h.clock.now() and doc.ack_message == "edi:acme:000000500:500:0001"
    with h.app.store.unit_of_work() as uow:
        timer = uow.timers.get(f"ack:{doc.document_id}")
    assert timer is not None and timer.state.value == "cancelled"


def test_a_997_rejecting_the_810_holds_the_order_for_billing_with_the_997s_errors(h: Harness) -> None:
    oid, invoice = invoiced_by_edi(h)
    [out] = feed(h, answer_997(invoice["payload"]["x12"], reject=True))
    assert out.status is Status.APPLIED, out.reason
    [doc] = ledger(h, doc_type="810")
    assert (doc.status, doc.ack_code, doc.group_ack_code) == (AckStatus.REJECTED, "R", "R")
    [hold] = [x for x in h.get(oid).open_holds if x.code is HoldCode.BIL_DOC_REJECTED]
    assert doc.document_id in hold.reason and "AK5 R" in hold.reason and "resend" in hold.reason
    placed = [e.payload for e in h.events(oid) if e.type == "HoldPlaced" and e.payload.code is hold.code]
    assert placed[0].decision.rule == "documents.hold_types" and placed[0].decision.inputs["set_code"] == "R"


def test_resending_numbers_the_same_document_anew_lifts_the_hold_and_a_second_997_accepts_it(
    h: Harness,
) -> None:
    oid, invoice = invoiced_by_edi(h)
    feed(h, answer_997(invoice["payload"]["x12"], reject=True))
    [rejected] = ledger(h, status="rejected")
    h.later(hours=1)
    out = resend(h, rejected.document_id)
    assert out.status is Status.APPLIED, out.reason
    first, again = sent(h, "edi_810")
    assert again["payload"]["control_number"] > first["payload"]["control_number"]
    assert again["payload"]["resend_of"] == rejected.document_id
    big = [ln for ln in again["payload"]["x12"].split("~") if ln.startswith("BIG")]
    assert big == [ln for ln in first["payload"]["x12"].split("~") if ln.startswith("BIG")]
    old, new = document(h, rejected.document_id), ledger(h, status="sent", doc_type="810")[0]
    assert (old.status, old.resent_as) == (AckStatus.REJECTED, new.document_id)
    assert new.resend_of == old.document_id
    assert not [x for x in h.get(oid).open_holds if x.code is HoldCode.BIL_DOC_REJECTED]
    [released] = [e.payload for e in h.events(oid) if e.type == "HoldReleased"]
    assert released.by == "bea"
    feed(h, answer_997(again["payload"]["x12"], control_number=501))
    assert document(h, new.document_id).status is AckStatus.ACCEPTED
    # the rejected one cannot be sent twice, and an accepted one not at all
    assert resend(h, old.document_id).status is not Status.APPLIED
    assert resend(h, new.document_id).status is not Status.APPLIED


def test_only_billing_or_integration_may_resend(h: Harness) -> None:
    _, invoice = invoiced_by_edi(h)
    feed(h, answer_997(invoice["payload"]["x12"], reject=True))
    [rejected] = ledger(h, status="rejected")
    out = resend(h, rejected.document_id, actor=user("ana", Role.CREDIT_ANALYST))
    assert out.status is not Status.APPLIED and "billing" in out.reason
    assert document(h, rejected.document_id).resent_as is None


def test_a_997_that_answers_nothing_we_sent_is_dead_lettered_with_its_reason(h: Harness) -> None:
    ack = [("AK1", "IN", "999"), ("AK2", "810", "0001"), ("AK5", "R", "5"), ("AK9", "R", "1", "1", "0")]
    data = write(build_interchange("ACME", "O2CDIST", 77, at=T0.replace(tzinfo=None),
                                   groups=[("FA", "004010", 77, [("997", "0001", ack)])])).encode()
    [out] = feed(h, data)
    assert out.status is not Status.APPLIED
    [letter] = h.dead_letters()
    assert letter.code == "INT-UNKNOWN-REFERENCE" and letter.kind == "functional_ack"
    assert "answers group 999" in letter.reason and "never sent" in letter.reason


def test_no_997_in_time_makes_the_810_unacknowledged_and_holds_the_order(h: Harness) -> None:
    oid, invoice = invoiced_by_edi(h)
    h.later(hours=25)
    h.app.timer_service().fire_due()
    by_type = {d.doc_type: d.status for d in ledger(h)}
    assert by_type == {"997": AckStatus.NOT_EXPECTED, "940": AckStatus.UNACKNOWLEDGED,
                       "855": AckStatus.UNACKNOWLEDGED, "856": AckStatus.UNACKNOWLEDGED,
                       "810": AckStatus.UNACKNOWLEDGED}
    # only the 810 holds the order (documents.hold_types), once
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.BIL_DOC_UNACKED]
    [e] = [e.payload for e in h.events(oid)
           if e.type == "DocumentUnacknowledged" and e.payload.doc_type == "810"]
    assert (e.decision.rule, e.decision.inputs["hours"]) == ("documents.ack_hours", "24")
    # a late 997 still counts, and lifts the hold
    feed(h, answer_997(invoice["payload"]["x12"]))
    assert ledger(h, doc_type="810")[0].status is AckStatus.ACCEPTED
    assert h.get(oid).open_holds == []


def test_a_repeated_997_is_recorded_as_repeated_and_changes_nothing(h: Harness) -> None:
    _, invoice = invoiced_by_edi(h)
    feed(h, answer_997(invoice["payload"]["x12"]))
    feed(h, answer_997(invoice["payload"]["x12"], reject=True, control_number=502))
    [doc] = ledger(h, doc_type="810")
    assert doc.status is AckStatus.ACCEPTED and doc.ack_message.endswith(":000000500:500:0001")
    acks = [e.payload for e in h.events(doc.order_id or "") if e.type == "DocumentAcknowledged"
            and e.payload.doc_type == "810"]
    assert [a.repeated for a in acks] == [False, True]


def test_the_policy_sets_the_hours_per_set_and_refuses_what_is_not_a_set_we_send() -> None:
    from o2c.policy import PolicyError, parse_policy
    from tests.unit.test_policy_cash import shipped

    raw = shipped()
    assert parse_policy(raw).base.ack_hours_for("810") == 24
    raw["documents"] = {"ack_hours": {"default": 0, 810: 48}}
    section = parse_policy(raw).for_entity("US")
    assert (section.ack_hours_for("810"), section.ack_hours_for("855")) == (48, None)
    raw["documents"] = {"ack_hours": {"850": 4}}
    with pytest.raises(PolicyError, match=r"documents\.ack_hours\.850"):
        parse_policy(raw)
    raw["documents"] = {"hold_types": ["997"]}
    with pytest.raises(PolicyError, match=r"documents\.hold_types"):
        parse_policy(raw)


def test_a_document_is_not_sent_again_where_no_partner_configuration_numbers_it(h: Harness) -> None:
    from o2c.engine.bus import MessageBus

    oid, invoice = invoiced_by_edi(h)
    feed(h, answer_997(invoice["payload"]["x12"], reject=True))
    [rejected] = ledger(h, status="rejected")
    bus: MessageBus = h.app.runtime.bus
    renderers, bus.renderers = bus.renderers, ()
    try:
        out = resend(h, rejected.document_id)
    finally:
        bus.renderers = renderers
    assert out.status is not Status.APPLIED and "no trading partner configuration" in out.reason
    assert document(h, rejected.document_id).resent_as is None and len(sent(h, "edi_810")) == 1
    # nothing of it was kept: the hold is still open for billing
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.BIL_DOC_REJECTED]
