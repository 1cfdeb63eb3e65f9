"""Envelopes for what we send a partner: built sets (855, 856, 810, 940) and 997s.

Only this module knows a partner's envelope identity (ISA qualifiers and ids, GS application
codes, version); builders return bare segments.  Control numbers and the timestamp are passed
in: numbering is the outbox dispatcher's job (they must be unique per partner and survive
restarts), and the codec never reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from o2c.adapters.edi import Interchange, SetSpec, TransactionSet, build_interchange
from o2c.adapters.edi.maps.inbound import FunctionalAck
from o2c.adapters.edi.maps.partners import TradingPartner

__all__ = ["FUNCTIONAL_IDS", "ack_interchange", "envelope_997", "outbound_interchange"]

FUNCTIONAL_IDS = {"855": "PR", "856": "SH", "810": "IN", "940": "OW", "997": "FA", "812": "CD"}
"""GS01 functional identifier of each set we send."""


def outbound_interchange(
    partner: TradingPartner,
    sets: Sequence[SetSpec],
    *,
    control_number: int,
    group_control_number: int,
    at: datetime,
    test: bool = False,
) -> Interchange:
    """One interchange with one functional group of ``sets`` (all of one set id) for ``partner``.

    ISA: our qualifier/id as sender, the partner's as receiver, ISA12 from the partner's
    version (00401 / 00501), ISA15 ``T`` when ``test``.  GS: our GS id (GS02) to the partner's
    first GS id (GS03), GS08 the partner's version.  Raises ValueError when a set id is not
    enabled outbound for the partner or the sets mix set ids - both programming errors.
    """
    ids = {s.id if isinstance(s, TransactionSet) else s[0] for s in sets}
    if len(ids) != 1:
        raise ValueError(f"one group holds one kind of set; got {sorted(ids) or 'none'}")
    (set_id,) = ids
    if set_id not in partner.outbound:
        raise ValueError(f"set {set_id} is not enabled outbound for partner {partner.partner_id}")
    return _envelope(partner, set_id, sets, control_number, group_control_number, at, test)


def _envelope(
    partner: TradingPartner,
    set_id: str,
    sets: Sequence[SetSpec],
    control_number: int,
    group_control_number: int,
    at: datetime,
    test: bool,
) -> Interchange:
    functional_id = FUNCTIONAL_IDS[set_id]
    ic = build_interchange(
        partner.our_isa_id,
        partner.isa_id,
        control_number,
        at=at,
        groups=[(functional_id, partner.version, group_control_number, list(sets))],
        sender_qualifier=partner.our_isa_qualifier,
        receiver_qualifier=partner.isa_qualifier,
        version=partner.version[:5],
        usage_indicator="T" if test else "P",
    )
    # build_interchange repeats the ISA ids in GS02/GS03; partners route on their own GS codes.
    sender, receiver = partner.our_gs_id, partner.gs_ids[0]
    groups = tuple(
        replace(
            g,
            sender=sender,
            receiver=receiver,
            header=replace(
                g.header, elements=(g.header.elements[0], sender, receiver, *g.header.elements[3:])
            ),
        )
        for g in ic.groups
    )
    return replace(ic, groups=groups)


def ack_interchange(
    acks: Sequence[FunctionalAck], *, control_number: int, group_control_number: int, at: datetime
) -> Interchange:
    """The 997s of one partner in one FA group (their ST02s are distinct by construction).

    Sent whenever the partner's ``send_997`` made them, whether or not ``outbound`` lists 997.
    """
    partners = {a.partner.partner_id for a in acks}
    if len(partners) != 1:
        raise ValueError(f"997s for one interchange must share a partner; got {sorted(partners) or 'none'}")
    sets = [a.transaction_set for a in acks]
    return _envelope(acks[0].partner, "997", sets, control_number, group_control_number, at, False)


def envelope_997(
    partner: TradingPartner, sets: Sequence[SetSpec], *, control_number: int, at: datetime
) -> Interchange:
    """997 sets already built (read back from an interchange) in a new envelope numbered
    ``control_number`` (ISA13 and GS06); see ``sending.X12Renderer``."""
    return _envelope(partner, "997", sets, control_number, control_number, at, False)
