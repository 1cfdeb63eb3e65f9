"""Every command carries who asked; the engine refuses what they may not do, whatever the
channel (the runtime is what the CLI, API, NATS worker and simulator all go through)."""

from __future__ import annotations

import json

import pytest

from o2c.domain.actors import ENGINE, Actor, ActorKind, system, user
from o2c.domain.holds import HoldCode, Role
from o2c.engine import authority
from o2c.engine import commands as cmd
from o2c.engine.handlers import HANDLERS
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Status
from tests.builders import Harness, customer, decider, seed

ANA = user("ana", Role.CREDIT_ANALYST)


def held_over_limit(h: Harness) -> str:
    seed(h.app, customer(limit="10"))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    assert oid is not None and h.get(oid).open_holds[0].code is HoldCode.CRD_OVER_LIMIT
    return oid


def decide(h: Harness, oid: str, actor: Actor | None, *, by: str = "ana", code: str = "CRD-OVER-LIMIT",
           source: str = "ui") -> object:
    return h.send("hold_decision", {"order_id": oid, "code": code, "by": by, "reason": "prepaid"},
                  actor=actor, source=source)


def test_every_command_is_classified_once() -> None:
    """A new command must say who may issue it: a channel's, a person's, or o2c's own."""
    classes = [set(authority.CHANNEL), set(authority.PERSON), set(authority.ENGINE_ONLY)]
    for kind in HANDLERS:
        assert sum(kind in c for c in classes) == 1, kind.__name__


def test_a_person_without_the_role_is_refused_and_the_hold_stays_open() -> None:
    h = Harness()
    oid = held_over_limit(h)
    out = decide(h, oid, user("mallory", Role.WAREHOUSE_OPS), by="mallory")
    assert out.status is Status.REFUSED and out.code == "AUTH-FORBIDDEN"
    assert "needs credit_analyst or above" in out.reason and "warehouse_ops" in out.reason
    assert h.get(oid).open_holds[0].code is HoldCode.CRD_OVER_LIMIT
    # kept with its reason, but not as work to replay
    assert h.dead_letters() == []
    letter = h.app.store.dead_letters[out.dead_letter_id]
    assert (letter.status, letter.code, letter.actor.id) == ("refused", "AUTH-FORBIDDEN", "mallory")
    with pytest.raises(KeyError):
        h.app.runtime.replay(out.dead_letter_id, actor=decider("boss"))


def test_the_decider_is_who_asked_not_who_the_body_names() -> None:
    h = Harness()
    oid = held_over_limit(h)
    out = decide(h, oid, ANA, by="mallory")
    assert out.status is Status.APPLIED
    released = next(e.payload for e in h.events(oid) if e.type == "HoldReleased")
    assert released.by == "ana"


def test_a_role_above_on_the_ladder_decides_and_a_system_never_does() -> None:
    h = Harness()
    oid = held_over_limit(h)
    [refused] = h.app.runtime.submit([InboundMessage(  # no person: the source system itself
        source="portal", source_message_id="d1", kind="hold_decision", received_at=h.clock.now(),
        body=json.dumps({"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana", "reason": "x"}))])
    assert refused.status is Status.REFUSED and "system:portal is a system, not a person" in refused.reason
    key = Actor(kind=ActorKind.API_KEY, id="crm", roles=frozenset({Role.CREDIT_MANAGER}))
    assert decide(h, oid, key).status is Status.REFUSED
    assert decide(h, oid, user("carl", Role.CREDIT_MANAGER)).status is Status.APPLIED


def test_an_order_of_another_entity_reads_as_unknown() -> None:
    h = Harness()
    oid = held_over_limit(h)
    elsewhere = user("eve", Role.CREDIT_ANALYST, entities=["CA"])
    out = decide(h, oid, elsewhere)
    unknown = decide(h, "SO-99999999", ANA)
    assert out.status is unknown.status is Status.DEAD_LETTERED
    assert out.code == unknown.code == HoldCode.INT_UNKNOWN_REFERENCE.value
    assert out.reason.replace(oid, "X") == unknown.reason.replace("SO-99999999", "X")
    assert h.get(oid).on_hold


def test_orders_are_taken_only_from_those_who_may_enter_them() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    body = {"legal_entity_id": "US", "customer_id": "C1", "ship_to_id": "C1-ST1", "po_number": "PO-9",
            "channel": "portal", "currency": "USD", "order_date": "2026-03-02",
            "lines": [{"line_no": 1, "product_id": "P1", "quantity": "1", "uom": "EA"}]}
    assert h.send("order", body, actor=user("bob", Role.BILLING)).status is Status.REFUSED
    assert h.send("order", body, actor=user("cs", Role.CUSTOMER_SERVICE, entities=["CA"])).status \
        is Status.REFUSED
    assert h.send("order", body, actor=user("cs", Role.CUSTOMER_SERVICE, entities=["US"])).status \
        is Status.APPLIED


@pytest.mark.parametrize("c", [cmd.ValidateOrder(order_id="SO-1"), cmd.CheckCredit(order_id="SO-1")])
def test_only_o2c_takes_its_own_steps(c: cmd.Command) -> None:
    authority.authorize(c, ENGINE)
    for actor in (system("portal"), decider("root"), user("adm", *Role)):
        with pytest.raises(authority.Forbidden):
            authority.authorize(c, actor)


def test_a_replay_with_a_changed_body_needs_integration_and_leaves_the_letter_open() -> None:
    h = Harness()
    oid = held_over_limit(h)
    parked = decide(h, oid, ANA, code="CRD-PAST-DUE")  # a hold the order does not have: parked
    assert parked.status is Status.DEAD_LETTERED
    # a letter whose entity cannot be told (an order nobody knows) is integration's alone
    unknown = decide(h, "SO-404", ANA)
    with pytest.raises(KeyError):
        h.app.runtime.replay(unknown.dead_letter_id, actor=user("carl", Role.CREDIT_MANAGER))
    # and one of another legal entity does not exist for whoever acts for others only
    with pytest.raises(KeyError):
        h.app.runtime.replay(parked.dead_letter_id, actor=user("cara", Role.INTEGRATION, entities=["CA"]))
    forged = json.dumps({"order_id": oid, "code": "CRD-OVER-LIMIT", "by": "ana", "reason": "forged",
                         "action": "release"})
    with pytest.raises(authority.Forbidden, match="needs the integration role"):
        h.app.runtime.replay(parked.dead_letter_id, forged, actor=user("carl", Role.CREDIT_MANAGER))
    with pytest.raises(authority.Forbidden, match="only reads"):
        h.app.runtime.replay(parked.dead_letter_id, actor=user("aud", Role.AUDITOR))
    assert [d.dead_letter_id for d in h.dead_letters()] == [parked.dead_letter_id, unknown.dead_letter_id]
    # integration may correct it, but then it acts as integration, who decides no hold
    again = h.app.runtime.replay(parked.dead_letter_id, forged, actor=user("ian", Role.INTEGRATION))
    assert again.status is Status.REFUSED and h.get(oid).on_hold
