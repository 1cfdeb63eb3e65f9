"""From inbound X12 bytes to canonical messages and 997 acknowledgments.

:func:`read_interchange` parses with the codec, identifies each interchange's partner, maps
every transaction set the partner may send, validates each payload against its canonical
model, and decides the 997 of every functional group with the codec's ``assess_group`` over
envelope *and* mapping errors.  Only sets the 997 accepts (``A`` or ``E``, in a group that is
not rejected) become messages: a rejected set is the partner's to correct and resend.
Acknowledgments the partner sends back (997/999 in a GS01 ``FA`` group) are read into
``functional_ack`` messages (what the outbound document ledger matches), but never
acknowledged - the X12 rule, which keeps two systems from acknowledging each other's
acknowledgments forever - nor reported as unsupported sets.

Message identity: ``source`` is ``edi:<partner_id>`` and ``source_message_id`` is
``ISA13:GS06:ST02`` (``/<part>`` appended when one set yields several documents, e.g. an ASN
for two orders), so an interchange sent again deduplicates in the inbox.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from o2c.adapters.canonical import KINDS, explain
from o2c.adapters.edi import (
    EdiError,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
    assess_group,
    functional_ack,
    parse,
)
from o2c.adapters.edi.isa import IsaInfo
from o2c.adapters.edi.maps.acks_in import map_functional_ack
from o2c.adapters.edi.maps.adjustments_in import map_812
from o2c.adapters.edi.maps.asn_in import map_856
from o2c.adapters.edi.maps.canonical_ext import EXT_KINDS
from o2c.adapters.edi.maps.carrier_in import map_214
from o2c.adapters.edi.maps.changes_in import map_860
from o2c.adapters.edi.maps.inventory_in import map_846
from o2c.adapters.edi.maps.orders_in import map_850
from o2c.adapters.edi.maps.partners import PartnerDirectory, TradingPartner
from o2c.adapters.edi.maps.payments_in import map_820
from o2c.adapters.edi.maps.result import MapCode, MapError, Mapped, MapResult
from o2c.adapters.edi.maps.warehouse_in import map_945
from o2c.adapters.edi.model import fast_builder

__all__ = [
    "INBOUND_MAPS",
    "MODELS",
    "CanonicalMessage",
    "EncodedPayload",
    "FunctionalAck",
    "InboundBatch",
    "SetOutcome",
    "read_interchange",
]

Mapper = Callable[..., MapResult]
_ACKNOWLEDGMENT_SETS = frozenset({"997", "999"})
_ORDERS = frozenset({"850"})  # the maps that take ``max_lines``
INBOUND_MAPS: Mapping[str, Mapper] = MappingProxyType(
    {
        "850": map_850,
        "860": map_860,
        "856": map_856,
        "945": map_945,
        "214": map_214,
        "846": map_846,
        "820": map_820,
        "812": map_812,
    }
)
"""Transaction set id -> map; a partner's ``inbound`` chooses among them."""
MODELS: Mapping[str, type[Any]] = MappingProxyType({**KINDS, **EXT_KINDS})
"""Message kind -> the pydantic model its payload must satisfy."""


class EncodedPayload(Mapping[str, Any]):
    """A payload kept as its JSON text and decoded only when read: a large file's messages wait
    for their group's 997 verdict as a few hundred bytes each instead of nested dicts."""

    __slots__ = ("text",)

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self.text = json.dumps(payload, separators=(",", ":"), sort_keys=True)

    def _decoded(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.text)
        return decoded

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())


@dataclass(frozen=True, slots=True, kw_only=True)
class CanonicalMessage:
    """One message for the inbox.  ``test`` is True when ISA15 said ``T`` (test data)."""

    kind: str
    source: str
    source_message_id: str
    payload: Mapping[str, Any]
    extras: Mapping[str, Any] = field(default_factory=dict)
    test: bool = False

    def body(self) -> str:
        """The payload as the JSON body of an ``InboundMessage``."""
        if isinstance(self.payload, EncodedPayload):
            return self.payload.text
        return json.dumps(self.payload, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class SetOutcome:
    """What became of one transaction set: its 997 code and, when it was mapped, the result."""

    partner_id: str
    interchange_control_number: str
    group_control_number: str
    set_id: str
    set_control_number: str
    code: str
    result: MapResult | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionalAck:
    """The 997 for one inbound group, addressed back to ``partner`` (see ``outbound_interchange``)."""

    partner: TradingPartner
    interchange_control_number: str
    group_control_number: str
    code: str
    transaction_set: TransactionSet


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundBatch:
    """Everything :func:`read_interchange` made of its input.

    Invariants: every message comes from a set whose outcome code is ``A`` or ``E``; ``errors``
    holds every problem found (codec and mapping, as ``EdiError`` values with their control
    numbers), in the order found; one ``FunctionalAck`` per group of a known partner that wants
    997s, except acknowledgment groups (GS01 ``FA``), which are never acknowledged.
    """

    messages: tuple[CanonicalMessage, ...] = ()
    acks: tuple[FunctionalAck, ...] = ()
    errors: tuple[EdiError, ...] = ()
    sets: tuple[SetOutcome, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing of error severity was found."""
        return not any(e.severity == "error" for e in self.errors)


def read_interchange(
    data: bytes | str,
    directory: PartnerDirectory,
    *,
    validate: bool = True,
    ack_control_start: int = 1,
    encoding: str = "utf-8",
    lean: bool = False,
    max_lines: int | None = None,
    extras: bool = True,
) -> InboundBatch:
    """Parse, identify, map and acknowledge every interchange in ``data``; never raises.

    ``validate`` checks each payload against its model (``MODELS``); turn it off only where
    the runtime validates later anyway (the benchmark measures both).  997 control numbers
    (ST02) are numbered from ``ack_control_start`` across the batch, so the acks of one partner
    can share a functional group.

    ``lean`` is for large files: each set is mapped as soon as the reader closes it, and only a
    light copy (no segments) of a set that mapped cleanly is kept for the 997; payloads are kept
    as JSON text (:class:`EncodedPayload`) and ``sets`` carry no map results. Messages, 997s
    and errors are the same as without it. Without ``extras`` the messages carry none (what the
    partner sent that the canonical model has no field for): the runtime stores payloads only.

    As :func:`~o2c.adapters.edi.parse` does, it pauses the cyclic garbage collector while it
    runs (and restores its state): the maps build no reference cycles either (one left by an
    error path is collected once the collector is back on), and on a large file the
    collections the parsed interchange would trigger, each walking all of it, cost more than
    the mapping.

    ``max_lines`` is the most PO1 lines an 850 may have; a set with more is rejected in its 997
    (AK304 4, loop over maximum) without its lines being read.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        out = _Batch(directory, validate, ack_control_start, extras, max_lines)
        result = parse(data, encoding=encoding, on_set=out.early if lean else None)
        out.errors.extend(result.errors)
        for ic in result.interchanges:
            try:
                out.interchange(ic)
            except Exception as exc:  # the no-raise contract outranks the bug: report it as a value
                out.errors.append(
                    EdiError(
                        code=MapCode.MAPPING_FAILED,
                        message=f"Reading interchange {ic.control_number} failed unexpectedly "
                        f"({type(exc).__name__}: {exc}); this is a bug in the maps.",
                        interchange_control_number=ic.control_number,
                    )
                )
    finally:
        if paused:
            gc.enable()
    return _inbound_batch(
        messages=tuple(out.messages), acks=tuple(out.acks), errors=tuple(out.errors), sets=tuple(out.sets)
    )


# Built per set and per group of every inbound file, without the frozen dataclasses' per-field
# object.__setattr__ (see fast_builder).
_canonical_message = fast_builder(CanonicalMessage)
_set_outcome = fast_builder(SetOutcome)
_functional_ack = fast_builder(FunctionalAck)
_mapped = fast_builder(Mapped)
_map_result = fast_builder(MapResult)
_transaction_set = fast_builder(TransactionSet)
_inbound_batch = fast_builder(InboundBatch)
_segment = fast_builder(Segment)
_NO_EXTRAS: Mapping[str, Any] = MappingProxyType({})
# Strings of a waiting set's ST and SE at most this long are kept once per batch (ids, set ids,
# counts); longer ones are rarely repeated.
_SHARED_LENGTH = 6


class _Batch:
    """Accumulates the batch; one method per envelope level."""

    def __init__(self, directory: PartnerDirectory, validate: bool, ack_control: int, extras: bool,
                 max_lines: int | None = None) -> None:
        self.directory = directory
        self.line_limit = {"max_lines": max_lines} if max_lines is not None else {}
        self.validate = validate
        self.extras = extras
        # lean: one copy of each short string the waiting sets' ST and SE repeat (ids, counts)
        self.strings: dict[str, str] = {}
        self.ack_control = ack_control
        self.messages: list[CanonicalMessage] = []
        self.acks: list[FunctionalAck] = []
        self.errors: list[EdiError] = []
        self.sets: list[SetOutcome] = []
        # lean: the result of each set mapped while reading, by (ISA13, position of its ST)
        self.mapped: dict[tuple[str, int], MapResult] = {}

    def early(self, isa: IsaInfo, gs: Segment, ts: TransactionSet) -> TransactionSet:
        """Map a set as the reader closes it, when its partner is known from the ISA (the
        common case; a partner found by GS sender is mapped with its group as usual), and keep
        it without its segments if nothing in it needs them for the 997."""
        partner = self.directory.by_isa(isa.fields[4], isa.fields[5])
        if partner is None or (ts.errors and not ts.ok) or ts.id not in partner.inbound:
            return ts
        mapper = INBOUND_MAPS.get(ts.id)
        if mapper is None:
            return ts
        r = self.map_set(mapper, ts, partner, gs.elements[7] if len(gs.elements) > 7 else "")
        docs = tuple(_mapped(kind=d.kind, payload=EncodedPayload(d.payload),
                             extras=EncodedPayload(d.extras) if d.extras and self.extras else _NO_EXTRAS,
                             part=d.part)
                     for d in r.documents)
        self.mapped[(isa.fields[12], ts.header.position)] = _map_result(documents=docs, errors=r.errors)
        if ts.errors or r.errors:
            return ts
        return self.light(ts)

    def light(self, ts: TransactionSet) -> TransactionSet:
        """``ts`` without its segments (equal to it but for them), its ST and SE sharing the
        strings every set repeats: a large group's sets wait for its 997 in a few hundred bytes."""
        shared = self.strings
        control = ts.control_number

        def one(text: str) -> str:
            if text == control:  # the SE repeats the ST's control number: one string for both
                return control
            return shared.setdefault(text, text) if len(text) <= _SHARED_LENGTH else text

        def lean(seg: Segment) -> Segment:
            return _segment(id=one(seg.id), elements=tuple(map(one, seg.elements)), position=seg.position,
                            line=seg.line, delimiters=seg.delimiters)

        return _transaction_set(id=one(ts.id), control_number=control, segments=(), header=lean(ts.header),
                                trailer=None if ts.trailer is None else lean(ts.trailer), errors=ts.errors)

    def interchange(self, ic: Interchange) -> None:
        partner = self.directory.identify(ic)
        if partner is None:
            gs = ", ".join(sorted({g.sender for g in ic.groups})) or "none"
            self.errors.append(
                EdiError(
                    code=MapCode.UNKNOWN_PARTNER,
                    message=f"Interchange {ic.control_number} comes from ISA {ic.sender_qualifier}/"
                    f"{ic.sender_id} (GS senders: {gs}), which is no configured trading partner; "
                    "nothing was mapped and no 997 was made. Add the partner or check the sender.",
                    segment_id="ISA",
                    position=1,
                    line=ic.header.line if ic.header else None,
                    interchange_control_number=ic.control_number,
                )
            )
            return
        for group in ic.groups:
            self.group(ic, group, partner)

    def group(self, ic: Interchange, group: FunctionalGroup, partner: TradingPartner) -> None:
        extra: list[EdiError] = []
        broken = [e.code for e in ic.errors if e.severity == "error"]
        if broken:
            # A damaged ISA/IEA (control numbers, counts, truncation) is a TA1 rejection; the
            # 997 must then reject each group too, or it would ack what we do not process.
            extra.append(
                EdiError(
                    code=MapCode.INTERCHANGE_INVALID,
                    message=f"Interchange {ic.control_number!r} has envelope errors "
                    f"({', '.join(sorted(set(broken)))}); none of its groups was processed.",
                    segment_id="ISA",
                    group_control_number=group.control_number,
                    interchange_control_number=ic.control_number,
                )
            )
        if (ic.receiver_qualifier, ic.receiver_id.upper()) != (
            partner.our_isa_qualifier,
            partner.our_isa_id.upper(),
        ):
            extra.append(
                EdiError(
                    code=MapCode.NOT_ADDRESSED_TO_US,
                    message=f"Interchange {ic.control_number} is addressed to {ic.receiver_qualifier}/"
                    f"{ic.receiver_id}, but partner {partner.partner_id} sends to "
                    f"{partner.our_isa_qualifier}/{partner.our_isa_id}; the group was rejected.",
                    segment_id="ISA",
                    group_control_number=group.control_number,
                    interchange_control_number=ic.control_number,
                )
            )
        envelope_ok = not extra and not any(e.severity == "error" for e in group.errors)
        acknowledgments = group.functional_id == "FA"  # 997s/999s answering what we sent
        results: list[MapResult | None] = []
        unsupported: set[str] = set()
        for ts in group.transaction_sets:
            if not envelope_ok or (ts.errors and not ts.ok):
                results.append(None)
                continue
            mapper = INBOUND_MAPS.get(ts.id) if ts.id in partner.inbound else None
            if acknowledgments and ts.id in _ACKNOWLEDGMENT_SETS:
                # the partner's answer to what we sent: for the outbound document ledger
                message = f"{partner.source}:{ic.control_number}:{group.control_number}:{ts.control_number}"
                r = map_functional_ack(ts, partner, message=message)
                results.append(r)
                extra.extend(e.to_edi_error(ts, group_control_number=group.control_number,
                                            interchange_control_number=ic.control_number) for e in r.errors)
                continue
            if mapper is None:
                unsupported.add(ts.control_number)
                extra.append(_unsupported(ic, group, ts, partner))
                results.append(None)
                continue
            early = self.mapped.pop((ic.control_number, ts.header.position), None)
            r = early if early is not None else self.map_set(mapper, ts, partner, group.version)
            results.append(r)
            if r.errors:
                extra.extend(
                    e.to_edi_error(
                        ts,
                        group_control_number=group.control_number,
                        interchange_control_number=ic.control_number,
                    )
                    for e in r.errors
                )
        self.errors.extend(extra)
        # What we process is exactly what the 997 accepts: with a 997, its AK5/AK9 codes are
        # read back (one verdict computed, not two); without, the same verdict is computed.
        if partner.send_997 and not acknowledgments:
            ack = functional_ack(ic, group, extra, control_number=self.ack_control)
            self.ack_control += 1
            if unsupported:
                ack = _mark_unsupported(ack, unsupported)
            group_code, set_codes = _codes_of(ack)
            self.acks.append(
                _functional_ack(
                    partner=partner,
                    interchange_control_number=ic.control_number,
                    group_control_number=group.control_number,
                    code=group_code,
                    transaction_set=ack,
                )
            )
        else:
            verdict = assess_group(ic, group, extra)
            group_code, set_codes = verdict.code, [sv.code for sv in verdict.sets]
        for ts, code, mapped in zip(group.transaction_sets, set_codes, results, strict=True):
            code = "R" if group_code == "R" else code
            self.sets.append(
                _set_outcome(
                    partner_id=partner.partner_id,
                    interchange_control_number=ic.control_number,
                    group_control_number=group.control_number,
                    set_id=ts.id,
                    set_control_number=ts.control_number,
                    code=code,
                    result=mapped,
                )
            )
            if mapped is not None and code in ("A", "E"):
                self.publish(ic, group, ts, mapped, partner)

    def map_set(self, mapper: Mapper, ts: TransactionSet, partner: TradingPartner, version: str) -> MapResult:
        """Run one map under the no-raise contract, then hold its payloads to their models."""
        try:
            r = mapper(ts, partner, version=version, **(self.line_limit if ts.id in _ORDERS else {}))
        except Exception as exc:
            return _set_failure(
                ts,
                MapCode.MAPPING_FAILED,
                f"The {ts.id} map failed unexpectedly "
                f"({type(exc).__name__}: {exc}); this is a bug in the maps.",
            )
        if self.validate:
            for doc in r.documents:
                try:
                    MODELS[doc.kind].model_validate(doc.payload)
                except ValidationError as e:
                    return _set_failure(
                        ts,
                        MapCode.PAYLOAD_INVALID,
                        f"The {ts.id} map produced a {doc.kind} the model refuses: {explain(e)}.",
                    )
        return r

    def publish(
        self,
        ic: Interchange,
        group: FunctionalGroup,
        ts: TransactionSet,
        r: MapResult,
        partner: TradingPartner,
    ) -> None:
        base = f"{ic.control_number}:{group.control_number}:{ts.control_number}"
        source = self.strings.setdefault(partner.source, partner.source)  # one string for all
        for doc in r.documents:
            self.messages.append(
                _canonical_message(
                    kind=doc.kind,
                    source=source,
                    source_message_id=f"{base}/{doc.part}" if doc.part else base,
                    payload=doc.payload,
                    extras=doc.extras,
                    test=ic.usage_indicator == "T",
                )
            )


def _set_failure(ts: TransactionSet, code: str, message: str) -> MapResult:
    return MapResult(
        errors=(
            MapError(
                code=code,
                rule=f"{ts.id}.map",
                message=message,
                segment_id="ST",
                position=ts.header.position or None,
                line=ts.header.line or None,
            ),
        )
    )


def _unsupported(
    ic: Interchange, group: FunctionalGroup, ts: TransactionSet, partner: TradingPartner
) -> EdiError:
    enabled = ", ".join(sorted(partner.inbound)) or "none"
    return EdiError(
        code=MapCode.SET_NOT_SUPPORTED,
        message=f"Transaction set {ts.id} {ts.control_number!r} is not enabled for partner "
        f"{partner.partner_id} (inbound sets: {enabled}).",
        segment_id="ST",
        position=ts.header.position or None,
        line=ts.header.line or None,
        set_control_number=ts.control_number,
        group_control_number=group.control_number,
        interchange_control_number=ic.control_number,
    )


def _codes_of(ack: TransactionSet) -> tuple[str, list[str]]:
    """(AK901, [AK501 per AK2 in order]) of a 997 built by ``functional_ack``."""
    sets = [seg.elements[0] for seg in ack.segments if seg.id == "AK5"]  # AK5s always have AK501
    last = ack.segments[-1]
    return (last.element(1) if last.id == "AK9" else "R"), sets


def _mark_unsupported(ack: TransactionSet, controls: set[str]) -> TransactionSet:
    """Add AK502 ``1`` (Transaction Set Not Supported) to the AK5 of each unsupported set.

    The codec's tables have no code for "not supported" (its errors describe syntax), so the
    code is added here; the AK5 is already ``R`` because the finding is an error.
    """
    segments = list(ack.segments)
    current = ""
    for i, seg in enumerate(segments):
        if seg.id == "AK2":
            current = seg.element(2)
        elif seg.id == "AK5" and current in controls and "1" not in seg.elements[1:]:
            segments[i] = Segment(id="AK5", elements=(seg.elements[0], "1", *seg.elements[1:5]))
    return replace(ack, segments=tuple(segments))
