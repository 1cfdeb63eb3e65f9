"""Disputes by X12 812: a customer's credit/debit adjustment opens a routed case per
adjustment, and the case's resolution is answered by an 812 that reads back with the X12
reader."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import yaml

from o2c.engine.runtime import Status
from tests.builders import T0, Harness, seed
from tests.unit.test_disputes import (
    BILLING,
    account_events,
    case,
    evidence,
    invoiced,
    open_case,
    opened_id,
    resolve,
)


@pytest.fixture
def h(new_harness: Any) -> Harness:
    h: Harness = new_harness()
    seed(h.app)
    h.stock("P1", "1000")
    return h

# ---------------------------------------------------------------- X12 812 in

PARTNERS_812 = """
partners:
  - partner_id: acme
    isa_qualifier: ZZ
    isa_id: ACME
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: US
    customer_id: C1
    inbound: ["812"]
    outbound: ["997", "812"]
"""


def adjustment_812(invoice: str, details: list[tuple[str, ...]], control: int = 41) -> bytes:
    from o2c.adapters.edi import build_interchange, write

    segs = [("BCD", "20260302", f"ADJ-{control}", "I", "6.00", "C", invoice), *details]
    ic = build_interchange(
        "ACME",
        "O2CDIST",
        control,
        at=T0.replace(tzinfo=None),
        groups=[("CD", "004010", control, [("812", "0001", segs)])],
    )
    return write(ic).encode()


def test_a_customers_812_opens_a_routed_case_per_adjustment(h: Harness) -> None:
    from o2c.adapters.edi.maps import PartnerDirectory
    from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange

    inv = invoiced(h)
    data = adjustment_812(inv, [("CDD", "06", "C", "1", "4.00"), ("CDD", "01", "C", "", "2.00")])
    head, outs = h.app.runtime.submit_document(
        raw_interchange(data, T0, name="acme.812"),
        EdiSplitter(PartnerDirectory.from_mapping(yaml.safe_load(PARTNERS_812))),
    )
    assert head.status is Status.APPLIED
    assert [o.status for o in outs] == [Status.APPLIED, Status.APPLIED]
    opened = account_events(h, "DisputeOpened")
    assert [
        (e.invoice_id, e.reason_code, e.amount.amount, e.lines, e.owner_role, e.note) for e in opened
    ] == [
        (inv, "shortage", Decimal("4.00"), (1,), "billing", "812 ADJ-41 (C)"),
        (inv, "pricing", Decimal("2.00"), (), "pricing", "812 ADJ-41 (C)"),
    ]
    assert all(e.opened_by.startswith("system:edi") for e in opened), [e.opened_by for e in opened]
    with h.app.store.unit_of_work() as uow:
        acks = [m for m in uow.outbox.pending() if m.kind == "edi_997"]
    assert len(acks) == 1 and "AK9*A*1*1*1" in acks[0].payload["x12"]


def test_an_812_without_the_invoice_number_is_refused_naming_the_element() -> None:
    from o2c.adapters.edi import parse
    from o2c.adapters.edi.maps import PartnerDirectory, map_812

    partner = PartnerDirectory.from_mapping(yaml.safe_load(PARTNERS_812)).get("acme")
    [ic] = parse(adjustment_812("", [("CDD", "06", "C", "1", "4.00")])).interchanges
    assert partner is not None
    result = map_812(ic.groups[0].transaction_sets[0], partner)
    assert not result.documents
    assert any("812.BCD06" in str(e) for e in result.errors), result.errors


def test_an_812_in_is_answered_by_an_812_out_when_the_case_resolves(new_harness: Any) -> None:
    """The round trip: the customer's 812 opens a case, billing credits it, and the 812 that
    tells the customer reads back, with the X12 reader, as the credit on its invoice quoting
    the customer's own adjustment number."""
    from o2c.adapters.documents import Integrations
    from o2c.adapters.edi import parse

    integrations = Integrations.from_mapping(yaml.safe_load(PARTNERS_812))
    h: Harness = new_harness(integrations=integrations)
    seed(h.app)
    h.stock("P1", "100")
    inv = invoiced(h)
    data = adjustment_812(inv, [("CDD", "06", "C", "1", "4.00")], control=42)
    from o2c.adapters.edi.maps.intake import raw_interchange

    h.app.runtime.submit_document(raw_interchange(data, T0, name="acme.812"), integrations.splitters()["x12"])
    did = opened_id(h)
    assert resolve(h, did, "credit_memo", BILLING).status is Status.APPLIED
    with h.app.store.unit_of_work() as uow:
        rows = uow.outbox.pending(1000)
    [answer] = [m.payload for m in rows if m.kind == "dispute_answer"]
    assert (answer["outcome"], answer["settled"], answer["invoice_id"]) == ("credit_memo", "4.00", inv)
    [x12] = [m for m in rows if m.kind == "edi_812"]
    assert (x12.destination, x12.payload["dispute_id"], x12.payload["invoice_id"]) == ("edi:acme", did, inv)
    parsed = parse(x12.payload["x12"])
    assert not parsed.errors
    [ic] = parsed.interchanges
    [group] = ic.groups
    assert group.functional_id == "CD"
    [ts] = group.transaction_sets
    segs = {seg.id: seg for seg in ts.segments}
    memo = case(h, did).credit_memo_id
    assert [segs["BCD"].elements[i] for i in (1, 3, 4, 5)] == [memo, "4", "C", inv]
    refs = [seg.elements[0:2] for seg in ts.segments if seg.id == "REF"]
    assert [list(r) for r in refs] == [["CR", "ADJ-42"], ["ZZ", did]]
    assert list(segs["CDD"].elements[0:4]) == ["06", "C", "1", "4"]


def test_a_rejection_tells_the_customer_nothing_was_credited(new_harness: Any) -> None:
    from o2c.adapters.documents import Integrations
    from o2c.adapters.edi import parse

    h: Harness = new_harness(integrations=Integrations.from_mapping(yaml.safe_load(PARTNERS_812)))
    seed(h.app)
    h.stock("P1", "100")
    inv = invoiced(h)
    open_case(h, inv, "shortage", amount="3.00")
    did = opened_id(h)
    evidence(h, did, BILLING)
    resolve(h, did, "reject", BILLING)
    with h.app.store.unit_of_work() as uow:
        [x12] = [m for m in uow.outbox.pending(1000) if m.kind == "edi_812"]
    [ic] = parse(x12.payload["x12"]).interchanges
    bcd = next(s for s in ic.groups[0].transaction_sets[0].segments if s.id == "BCD")
    assert (bcd.elements[1], bcd.elements[3]) == (did, "0")
