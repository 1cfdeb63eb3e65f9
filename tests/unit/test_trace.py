"""The trace of one order, built from the real event log the engine wrote."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from o2c.analytics.trace import InboundSummary, Trace, build_trace
from o2c.domain.orders import OrderStatus
from tests.builders import T0, Harness, customer, seed

S = OrderStatus


@pytest.fixture
def h() -> Harness:
    h = Harness()
    seed(h.app, customer("C1"), customer("C2", limit="10"))
    h.stock("P1", "100")
    return h


def inbound(h: Harness) -> dict[str, InboundSummary]:
    out = {}
    for row in h.app.store.inbox.values():
        m = row["message"]
        s = InboundSummary.of(source=m.source, source_message_id=m.source_message_id,
                              kind=m.kind, received_at=m.received_at, body=m.body)
        out[s.key] = s
    return out


def trace(h: Harness, oid: str, as_of: datetime | None = None) -> Trace:
    return build_trace(h.events(oid), inbound(h), as_of=as_of)


def held_order(h: Harness) -> str:
    """Received at T0 over its credit limit, released by ana at T0+3h, shipped
    and invoiced at T0+8h."""
    oid = h.order(customer_id="C2").correlation_id
    h.later(hours=3)
    h.send("hold_decision", {"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana",
                             "reason": "customer prepaid"})
    h.later(hours=5)
    h.ship_all(oid)
    return oid


def test_a_held_order_shows_the_hold_its_owner_and_how_long_it_waited(h: Harness) -> None:
    oid = held_order(h)
    t = trace(h, oid, as_of=T0 + timedelta(hours=9))
    [hold] = t.holds
    assert (hold.code, hold.owner, hold.stage) == ("CRD-OVER-LIMIT", "credit_analyst", "credit")
    assert (hold.placed_at, hold.resolved_at) == (T0, T0 + timedelta(hours=3))
    assert hold.duration == timedelta(hours=3)
    assert (hold.resolution, hold.resolved_by, hold.sla_breached) == ("release", "ana", False)


def test_status_waits_add_up_to_the_elapsed_time(h: Harness) -> None:
    oid = held_order(h)
    t = trace(h, oid, as_of=T0 + timedelta(hours=9))
    assert t.elapsed == timedelta(hours=9)
    assert sum((w.duration for w in t.status_waits), timedelta(0)) == t.elapsed
    waited = {s: d for s, d in t.time_in_status().items() if d}
    assert waited == {S.VALIDATED: timedelta(hours=3), S.RELEASED: timedelta(hours=5),
                      S.INVOICED: timedelta(hours=1)}
    # the current status is open-ended up to as_of
    assert t.status_waits[-1].status is S.INVOICED and t.status_waits[-1].left_at is None


def test_each_event_carries_the_status_the_domain_fold_gives_after_it(h: Harness) -> None:
    oid = held_order(h)
    t = trace(h, oid)
    assert [(s.type, s.status) for s in t.steps] == [
        ("OrderReceived", S.RECEIVED), ("OrderValidated", S.VALIDATED),
        ("HoldPlaced", S.VALIDATED), ("HoldReleased", S.VALIDATED),
        ("CreditApproved", S.CREDIT_APPROVED), ("StockAllocated", S.RELEASED),
        ("OrderReleased", S.RELEASED), ("ShipmentConfirmed", S.SHIPPED),
        ("InvoiceIssued", S.INVOICED),
    ]
    assert t.status is h.get(oid).status
    assert [s.since_previous for s in t.steps][:4] == [
        None, timedelta(0), timedelta(0), timedelta(hours=3)]


def test_hold_events_read_as_sentences_with_owner_sla_and_policy(h: Harness) -> None:
    oid = held_order(h)
    by_type = {s.type: s.summary for s in trace(h, oid).steps}
    assert by_type["HoldPlaced"] == (
        "Hold CRD-OVER-LIMIT placed: exposure 20.00 exceeds limit 10.00 USD by 10.00 "
        "(credit_analyst, SLA 8h) — policy o2c.default v1 rule credit/over-limit")
    assert by_type["HoldReleased"] == (
        "Hold CRD-OVER-LIMIT released by ana: customer prepaid (held 3h)")


def test_events_point_to_the_inbound_message_that_started_them(h: Harness) -> None:
    oid = held_order(h)
    t = trace(h, oid)
    origin = {s.type: s.origin for s in t.steps}
    order_msg, decision_msg = origin["OrderReceived"], origin["HoldReleased"]
    assert t.inbound[order_msg].kind == "order"
    assert t.inbound[decision_msg].kind == "hold_decision"
    # the engine's reactions inherit the origin of the event that caused them
    assert origin["HoldPlaced"] == order_msg
    assert origin["CreditApproved"] == origin["OrderReleased"] == decision_msg
    assert any(line.strip().startswith(f"from hold_decision {decision_msg}")
               for line in t.render_lines())


def test_a_closed_order_ends_its_timeline_at_the_close(h: Harness) -> None:
    oid = h.order().correlation_id
    h.later(hours=5)
    h.ship_all(oid)
    h.later(days=3)
    h.pay("C1", [(next(iter(h.get(oid).invoices)), "21.45", "0")])
    t = trace(h, oid, as_of=T0 + timedelta(days=30))
    assert t.status is S.CLOSED
    assert t.ended_at == T0 + timedelta(days=3, hours=5)
    assert t.elapsed == timedelta(days=3, hours=5)
    assert sum((w.duration for w in t.status_waits), timedelta(0)) == t.elapsed
    assert S.CLOSED not in t.time_in_status()


def test_an_open_hold_runs_to_as_of_and_is_flagged_past_its_sla(h: Harness) -> None:
    oid = h.order(customer_id="C2").correlation_id
    t = trace(h, oid, as_of=T0 + timedelta(hours=10))
    [hold] = t.holds
    assert hold.resolved_at is None and hold.duration == timedelta(hours=10)
    assert hold.sla_breached  # SLA 8 h
    assert t.time_in_status()[S.VALIDATED] == timedelta(hours=10)
    assert any("CRD-OVER-LIMIT (credit_analyst)" in line and "SLA breached" in line
               for line in t.render_lines())


def test_a_rejected_order_ends_at_the_rejection(h: Harness) -> None:
    oid = h.order(customer_id="C2").correlation_id
    h.later(hours=2)
    h.send("hold_decision", {"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana",
                             "reason": "no", "action": "reject"})
    t = trace(h, oid, as_of=T0 + timedelta(days=1))
    assert t.status is S.REJECTED and t.ended_at == T0 + timedelta(hours=2)
    assert t.holds[0].resolution == "reject"
    assert sum((w.duration for w in t.status_waits), timedelta(0)) == timedelta(hours=2)


def test_the_trace_as_a_dict_is_json_ready(h: Harness) -> None:
    oid = held_order(h)
    d = trace(h, oid, as_of=T0 + timedelta(hours=9)).as_dict()
    json.dumps(d)
    assert list(d) == ["order_id", "customer_id", "po_number", "status", "started_at",
                       "ended_at", "as_of", "elapsed_hours", "waiting", "steps", "status_waits",
                       "time_in_status", "holds", "inbound"]
    assert d["elapsed_hours"] == "9.00" and d["status"] == "invoiced"
    assert d["time_in_status"]["validated"] == "3.00"
    assert d["holds"][0]["hours"] == "3.00" and d["holds"][0]["owner"] == "credit_analyst"
    assert d["steps"][3]["since_previous_hours"] == "3.00"
    assert {s["origin"] for s in d["steps"]} == set(d["inbound"])


def test_an_as_of_before_the_last_event_or_mixed_orders_are_refused(h: Harness) -> None:
    oid = held_order(h)
    with pytest.raises(ValueError, match="before the last event"):
        trace(h, oid, as_of=T0)
    other = h.order(po="X").correlation_id
    with pytest.raises(ValueError, match="one correlation id"):
        build_trace([*h.events(oid), *h.events(other)])
    with pytest.raises(ValueError):
        build_trace([])


def test_an_inbound_summary_keeps_a_one_line_excerpt_of_the_body() -> None:
    s = InboundSummary.of(source="edi", source_message_id="ISA-1", kind="order",
                          received_at=T0, body="ISA*00*\n  GS*PO " + "x" * 300, limit=20)
    assert s.key == "edi:ISA-1"
    assert s.body == "ISA*00* GS*PO xxxxx…" and len(s.body) == 20


def test_an_order_that_waits_is_measured_to_now_not_to_its_last_event(h: Harness) -> None:
    oid = h.order(customer_id="C2").correlation_id  # over its limit at T0, nobody decides
    now = T0 + timedelta(days=15, hours=2)
    stale = build_trace(h.events(oid), inbound(h))
    assert stale.elapsed == timedelta(0)  # as of its last event it looks fresh
    t = build_trace(h.events(oid), inbound(h), now=now)
    assert t.as_of == now and t.elapsed == timedelta(days=15, hours=2)
    assert t.waiting == ("waiting 15d 2h in validated since 2026-03-02 09:00: CRD-OVER-LIMIT "
                         "(credit_analyst) since 2026-03-02 09:00, SLA breached")
    assert t.as_dict()["waiting"] == t.waiting
    assert t.render_lines()[1].startswith("Waiting 15d 2h in validated")
    # a now before the last event (a clock behind the log) measures to the last event
    assert build_trace(h.events(oid), inbound(h), now=T0 - timedelta(days=1)).as_of == T0


def test_an_order_that_ended_has_no_wait(h: Harness) -> None:
    oid = held_order(h)
    h.send("order_rejection", {"order_id": h.order(po="PO-2").correlation_id, "by": "cs", "reason": "x"})
    assert trace(h, oid, as_of=T0 + timedelta(hours=9)).waiting is not None  # invoiced, unpaid
    rejected = h.events("SO-00000002")
    assert build_trace(rejected, now=T0 + timedelta(days=30)).waiting is None
