"""What the engine audits: a command issued by a person or an API key (once, with
its subject before and the events it produced), a dead letter replayed (by whom,
with a diff of a corrected body), and the changes others record with ``entry``;
never what source systems send or what reactions do."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from o2c.domain.actors import ENGINE, Actor, ActorKind, system, user
from o2c.domain.audit import Subject
from o2c.domain.holds import Role
from o2c.engine import commands as cmd
from o2c.engine.audit import action_of, entry
from o2c.engine.errors import Rejected
from o2c.store.audit_trail import audit_trail, verify_audit
from tests.auth import is_seed
from tests.builders import T0, Harness, customer, seed

ANA = Actor(kind=ActorKind.USER, id="ana", roles=frozenset({Role.CREDIT_MANAGER}), address="10.0.0.7")
IVAN = Actor(kind=ActorKind.USER, id="ivan", roles=frozenset({Role.INTEGRATION}), address="10.0.0.8")


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    seed(harness.app, customer(limit="10"))  # every order goes over the limit
    harness.stock("P1", "100")
    return harness


def dispatch(h: Harness, c: cmd.Command, actor: Actor | None, cause: str = "ui:1") -> None:
    with h.app.store.unit_of_work() as uow:
        h.app.bus.dispatch(uow, c, source="ui", causation_id=cause, actor=actor)
        uow.commit()


def entries(h: Harness) -> list[Any]:
    """The entries after o2c's own approval of the policy it ships (the first, at bootstrap)."""
    with h.app.store.unit_of_work() as uow:
        return [r for r in uow.audit.entries() if not is_seed(r)]


def held_order(h: Harness) -> str:
    order_id = h.order().correlation_id
    assert order_id is not None and [x.code.value for x in h.get(order_id).open_holds] == ["CRD-OVER-LIMIT"]
    return order_id


def test_a_hold_released_by_a_person_is_audited_once_with_the_order_before_and_the_events_after(
        h: Harness) -> None:
    order_id = held_order(h)
    decision = {"order_id": order_id, "code": "CRD-OVER-LIMIT", "by": "ana", "reason": "known customer"}
    assert h.send("hold_decision", decision, msg_id="d-1", actor=ANA).status.value == "applied"
    (r,) = entries(h)  # the credit check, allocation and release it set off are o2c's own
    d = r.as_dict()
    assert (r.action, r.actor_label, r.address, r.cause) == (
        "hold.release", "user:ana", "10.0.0.7", "test:d-1")
    assert (r.subject_type, r.subject_id, r.legal_entity_id) == ("order", order_id, "US")
    assert r.occurred_at == T0
    assert d["before"] == {"status": "validated",
                           "open_holds": [{"hold_id": f"{order_id}-H1", "code": "CRD-OVER-LIMIT"}]}
    assert d["after"]["command"]["type"] == "ReleaseHold"
    assert [e["type"] for e in d["after"]["events"]] == ["HoldReleased"]
    assert d["after"]["events"][0]["payload"]["reason"] == "known customer"
    assert h.get(order_id).status.value == "released"
    assert verify_audit(h.app.store).ok


def test_what_systems_send_and_o2c_does_itself_is_not_audited(h: Harness) -> None:
    held_order(h)  # a source system's order (actor None), with its reactions
    receipt = cmd.ReceiveStock(warehouse_id="W1", product_id="P1", lot_id="-", expiry=None,
                               quantity=Decimal(5), reference="R-9")
    dispatch(h, receipt, system("wms-east"))
    dispatch(h, receipt, ENGINE, cause="ui:2")
    assert entries(h) == []


def test_a_refused_command_changes_nothing_and_leaves_no_entry(h: Harness) -> None:
    order_id = held_order(h)
    with pytest.raises(Rejected), h.app.store.unit_of_work() as uow:
        h.app.bus.dispatch(uow, cmd.ReleaseHold(order_id=order_id, code="PRC-BELOW-FLOOR", by="ana",
                                                reason="x"), source="ui", causation_id="ui:1", actor=ANA)
    assert entries(h) == []


def test_an_order_entered_by_a_person_is_audited_under_the_order_it_made(h: Harness) -> None:
    api_key = Actor(kind=ActorKind.API_KEY, id="portal", roles=frozenset({Role.CUSTOMER_SERVICE}))
    line = cmd.OrderLineData(line_no=1, product_id="P1", quantity=Decimal(2), uom="EA")
    dispatch(h, cmd.ReceiveOrder(legal_entity_id="US", customer_id="C1", ship_to_id="C1-ST1",
                                 po_number="PO-7", channel="portal", currency="USD", order_date=T0.date(),
                                 requested_date=None, payment_terms=None, lines=(line,)), api_key)
    (r,) = entries(h)
    assert (r.action, r.actor_label, r.subject_type, r.legal_entity_id) == (
        "order.receive", "api_key:portal", "order", "US")
    assert json.loads(r.before or "null") is None and r.subject_id.startswith("SO-")
    assert [x.action for x in audit_trail(h.app.store, order=r.subject_id)] == ["order.receive"]


def test_a_command_is_named_by_its_object_and_verb() -> None:
    assert action_of(cmd.RejectOrder(order_id="SO-1", by="ana", reason="x")) == "order.reject"
    assert action_of(cmd.IssueCreditMemo(invoice_id="I-1", amount=Decimal(1), reason="x", by="b")) == \
        "credit_memo.issue"
    assert action_of(cmd.ReleaseHold(order_id="SO-1", code="C", by="a", reason="x", action="override")) == \
        "hold.override"
    assert action_of(cmd.ReleaseHold(order_id="SO-1", code="C", by="a", reason="x")) == "hold.release"


def test_a_replay_is_audited_with_who_asked_and_a_diff_of_the_corrected_body(h: Harness) -> None:
    bad = {"legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1", "po_number": "PO-9",
           "channel": "portal", "currency": "USD", "order_date": "2026-03-02",
           "lines": [{"line_no": 1, "product_id": "P1", "quantity": "two", "uom": "EA"}]}
    parked = h.send("order", bad)
    assert parked.dead_letter_id is not None
    fixed = json.dumps({**bad, "lines": [{**bad["lines"][0], "quantity": "2"}]}, indent=1)
    out = h.app.runtime.replay(parked.dead_letter_id, fixed, actor=IVAN)
    assert out.status.value == "applied"
    received, r = entries(h)  # the corrected order acts as ivan, so it is his command too
    assert (received.action, received.actor_label, received.subject_id) == (
        "order.receive", "user:ivan", out.correlation_id)
    d = r.as_dict()
    assert (r.action, r.actor_label, r.subject_type, r.subject_id) == (
        "dead_letter.replay", "user:ivan", "dead_letter", parked.dead_letter_id)
    assert d["before"]["code"] == "INT-PARSE-ERROR" and d["before"]["status"] == "open"
    assert d["after"]["status"] == "applied" and d["after"]["body_changed"] is True
    assert d["after"]["acted_as"] == "user:ivan"  # a corrected body is the replayer's
    diff = d["after"]["body_diff"]
    assert diff.startswith(f"--- {parked.dead_letter_id} (stored)") and '+   "quantity": "2",' in diff


def test_a_replay_as_stored_records_no_diff(h: Harness) -> None:
    parked = h.send("order", {"customer_id": "C1"})
    h.app.runtime.replay(parked.dead_letter_id or "", actor=ANA)
    (r,) = entries(h)
    after = r.as_dict()["after"]
    assert after["body_changed"] is False and "body_diff" not in after
    assert after["status"] == "dead_lettered" and after["dead_letter_id"] != parked.dead_letter_id
    assert after["acted_as"] == "system:test"  # as stored, it acts as its sender


def test_others_record_their_changes_in_their_own_transaction(h: Harness) -> None:
    admin = user("root", Role.ADMIN)
    with h.app.store.unit_of_work() as uow:
        entry(uow, admin, "key.revoke", Subject("key", "wms-east"), at=T0, before={"status": "active"},
              after={"status": "revoked"})
        uow.rollback()  # the change did not happen: neither did its entry
    with h.app.store.unit_of_work() as uow:
        entry(uow, admin, "policy.approve", Subject("policy", "credit"), at=T0, after={"version": "2026.2"})
        uow.commit()
    assert [(r.action, r.subject_id) for r in entries(h)] == [("policy.approve", "credit")]
    assert [r.action for r in audit_trail(h.app.store, policy="credit")] == ["policy.approve"]
    assert [r.action for r in audit_trail(h.app.store, user="root")] == ["policy.approve"]
