"""Timers: something o2c must look at again at a business time (a hold's SLA, a
shipment's proof of delivery, an order that has not moved).

A timer is a value. Its id is derived from what it is about (``sla:<hold id>``,
``pod:<order>:<shipment>``, ``stall:<order>``, ``bill:<key>:<window end>``, ``dispute:<id>``), so scheduling
the same timer twice changes nothing, and what it watches can cancel it without looking it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class TimerKind(StrEnum):
    #: a hold's SLA (and, if the policy says so, each escalation's next deadline)
    HOLD_SLA = "hold_sla"
    #: a shipment billed on proof of delivery, with no POD by the policy's timeout
    POD_OVERDUE = "pod_overdue"
    #: an order that may sit in one stage longer than the policy allows
    STALL = "stall"
    #: a consolidated billing window closes: one invoice for the shipments waiting for it
    BILLING_WINDOW = "billing_window"
    #: a document we sent with no 997 by the policy's ``documents.ack_hours``
    DOCUMENT_ACK = "document_ack"
    #: a dispute case still open at its SLA escalates (``dispute:<id>``)
    DISPUTE_SLA = "dispute_sla"
    #: fires and does nothing (tests, benchmarks of the claim and fire path)
    NOOP = "noop"
    #: collections: a legal entity's daily dunning run (it sets its next run when it fires)
    DUNNING_RUN = "dunning_run"
    #: collections: a promise to pay is due (its date plus grace): kept or broken
    PROMISE_DUE = "promise_due"


class TimerState(StrEnum):
    SCHEDULED = "scheduled"
    FIRED = "fired"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer:
    timer_id: str
    kind: TimerKind
    due_at: datetime
    #: what the timer is about: a hold id, ``<order>/<shipment>``, an order id
    subject: str
    #: the order (or account) the timer's events belong to
    correlation_id: str
    payload: dict[str, str] = field(default_factory=dict)
    state: TimerState = TimerState.SCHEDULED
    fired_at: datetime | None = None


#: where a timer stands in the order timers are claimed: (due_at, timer_id)
TimerKey = tuple[datetime, str]


def sla_timer_id(hold_id: str) -> str:
    return f"sla:{hold_id}"


def pod_timer_id(order_id: str, shipment_id: str) -> str:
    return f"pod:{order_id}:{shipment_id}"


def stall_timer_id(order_id: str) -> str:
    return f"stall:{order_id}"


def dunning_timer_id(legal_entity_id: str, day: str) -> str:
    return f"dunning:{legal_entity_id}:{day}"


def promise_timer_id(promise_id: str) -> str:
    return f"promise:{promise_id}"


def ack_timer_id(document_id: str) -> str:
    return f"ack:{document_id}"
def dispute_timer_id(dispute_id: str) -> str:
    return f"dispute:{dispute_id}"
