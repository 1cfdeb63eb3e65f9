"""The simulated back office working dispute cases: the person in the role a case waits on
settles it some business days after it opened.

Most claims of a shortage, damage or a price under :data:`CREDIT_UP_TO` are credited (a
credit memo for what is still open of them); a terms claim (a discount taken late) is
written off when the person's authority covers it; the rest, and some of the others, are
rejected with a note of evidence (the amount stays owed). What they decide goes to the engine
as them, like a hold decision, so the engine checks who may act and how much they may write
off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from o2c.domain.actors import Actor
from o2c.domain.disputes import Dispute, DisputeReason
from o2c.domain.holds import Role
from o2c.sim.people import demo_actor

#: claims up to this amount (in the case's currency) of these categories are mostly credited
CREDIT_UP_TO = Decimal(500)
CREDITED = frozenset({DisputeReason.SHORTAGE, DisputeReason.DAMAGE, DisputeReason.PRICING})
#: how often such a claim is credited rather than rejected with evidence
CREDIT_RATE = 0.85
#: business days a person takes to settle a case: at least, at most
DAYS = (1.0, 6.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """A message a person sends about a case, and when."""

    when: datetime
    msg_id: str
    kind: str
    body: dict[str, Any]
    actor: Actor


def settle(case: Dispute, open_on_invoice: Decimal | None, write_off_limit: Decimal, rng: random.Random,
           now: datetime) -> list[Step]:
    """How the person ``case`` waits on settles it: a credit memo, a write-off or a rejection
    with evidence, some days from ``now``. ``open_on_invoice``: what is still open on its
    invoice (None: the case names none, or it is settled)."""
    try:
        person = demo_actor(Role(case.waits_on))
    except (KeyError, ValueError):
        return []
    when = now + timedelta(days=rng.uniform(*DAYS))
    did = case.dispute_id
    settle_for = min(case.amount, open_on_invoice) if open_on_invoice else Decimal(0)
    if settle_for > 0 and case.category in CREDITED and case.amount <= CREDIT_UP_TO \
            and rng.random() < CREDIT_RATE:
        return [Step(when=when, msg_id=f"settle-{did}", kind="dispute_resolution", actor=person, body={
            "dispute_id": did, "resolution": "credit_memo", "amount": str(settle_for),
            "reason": f"{case.category.value} confirmed"})]
    if settle_for > 0 and case.category is DisputeReason.TERMS and settle_for <= write_off_limit:
        return [Step(when=when, msg_id=f"settle-{did}", kind="dispute_resolution", actor=person, body={
            "dispute_id": did, "resolution": "write_off", "amount": str(settle_for),
            "reason": "late discount let go"})]
    return [
        Step(when=when, msg_id=f"evidence-{did}", kind="dispute_evidence", actor=person, body={
            "dispute_id": did, "kind": "note", "text": "delivered and invoiced as ordered"}),
        Step(when=when + timedelta(minutes=5), msg_id=f"settle-{did}", kind="dispute_resolution",
             actor=person, body={"dispute_id": did, "resolution": "reject",
                                 "reason": "claim not supported; still owed"}),
    ]
