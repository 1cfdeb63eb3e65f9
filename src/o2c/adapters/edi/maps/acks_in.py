"""A partner's functional acknowledgment (997, or 999) -> ``functional_ack``.

Structure read: AK1 (AK101 functional id, AK102 the GS06 of the group we sent), per set AK2
(AK201 set id, AK202 our ST02), AK3 (segment id, position, loop, error code) and AK4
(element position, reference, error code, bad value) notes - IK3/IK4 in a 999 - then AK5
(IK5) with the set's code, and AK9 with the group's. The notes become one line of text per
set, which the ledger keeps and billing reads.
"""

from __future__ import annotations

from typing import Any

from o2c.adapters.edi import Segment, TransactionSet
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.result import MapCode, MapError, Mapped, MapResult

__all__ = ["map_functional_ack"]

_AK3 = {"1": "unrecognized segment", "2": "unexpected segment", "3": "mandatory segment missing",
        "4": "loop occurs over maximum times", "5": "segment exceeds maximum use",
        "6": "segment not in defined transaction set", "7": "segment not in proper sequence",
        "8": "segment has data element errors"}
_AK4 = {"1": "mandatory data element missing", "2": "conditional required data element missing",
        "3": "too many data elements", "4": "data element too short", "5": "data element too long",
        "6": "invalid character in data element", "7": "invalid code value", "8": "invalid date",
        "9": "invalid time", "10": "exclusion condition violated"}


def map_functional_ack(ts: TransactionSet, partner: TradingPartner, *, message: str) -> MapResult:
    """The ``functional_ack`` of one 997/999 set (see the module); ``message`` names it."""
    ak1 = next((s for s in ts.segments if s.id == "AK1"), None)
    ak9 = next((s for s in ts.segments if s.id == "AK9"), None)
    if ak1 is None or not ak1.element(2) or ak9 is None or not ak9.element(1):
        missing = "AK1" if ak1 is None or not ak1.element(2) else "AK9"
        return MapResult(errors=(MapError(code=MapCode.MAPPING_FAILED, rule=f"{ts.id}.{missing}",
                                          message=f"the {ts.id} has no {missing} (or it is empty): "
                                                  "it does not say which group it answers or how",
                                          segment_id=missing),))
    sets: list[dict[str, Any]] = []
    notes: list[str] = []
    for seg in ts.segments:
        if seg.id == "AK2":
            sets.append({"set_id": seg.element(1), "set_control_number": seg.element(2), "code": "",
                         "errors": ""})
            notes = []
        elif seg.id in ("AK3", "IK3"):
            notes.append(_segment_note(seg))
        elif seg.id in ("AK4", "IK4"):
            notes.append(_element_note(seg))
        elif seg.id in ("AK5", "IK5") and sets:
            sets[-1]["code"] = seg.element(1)
            sets[-1]["errors"] = "; ".join(notes)[:1000]
    payload = {"partner_id": partner.partner_id, "functional_id": ak1.element(1),
               "group_control_number": ak1.element(2), "group_code": ak9.element(1),
               "sets": [s for s in sets if s["set_control_number"]], "message": message}
    return MapResult(documents=(Mapped(kind="functional_ack", payload=payload),))


def _segment_note(seg: Segment) -> str:
    code = seg.element(4)
    return f"segment {seg.element(1)} at {seg.element(2)}: {_AK3.get(code, 'error')} ({code or '-'})"


def _element_note(seg: Segment) -> str:
    code = seg.element(3)
    bad = f" {seg.element(4)!r}" if seg.element(4) else ""
    what = _AK4.get(code, "error")
    return f"element {seg.element(1)} ({seg.element(2) or '-'}): {what} ({code or '-'}){bad}"
