"""Trading partners: who sends us what, under which ids, and how their codes map to ours.

A :class:`TradingPartner` is a frozen value loaded from a plain mapping (what ``yaml.safe_load``
returns); loading fails fast with :class:`PartnerConfigError`, whose ``problems`` name the path
of every bad field (``partners[1].uom_map.CA``) and what was expected, like ``Settings`` does.
A :class:`PartnerDirectory` finds the partner of an inbound interchange.

Mapping policy, shared by all maps: partner codes that have no entry in a map (ship-to,
customer, warehouse, unit) pass through unchanged, so the engine's validation raises the
business hold (``VAL-SHIPTO-UNKNOWN``, ``VAL-UOM-INVALID``...) that a person resolves; a 997
rejection is kept for documents that are malformed, not for master data we lack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from o2c.adapters.edi import Interchange

__all__ = [
    "INBOUND_SETS",
    "OUTBOUND_SETS",
    "PartnerConfigError",
    "PartnerDirectory",
    "TradingPartner",
]

INBOUND_SETS = ("850", "860", "856", "945", "214", "846", "820", "812")
OUTBOUND_SETS = ("855", "856", "810", "940", "997", "812")
_NEEDS_CUSTOMER = {"850", "860", "820", "812"}
_NEEDS_WAREHOUSE = {"856", "945", "846"}

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._/&-]{0,14}$"  # ISA06/GS02: 1-15 characters, no delimiters
_IsaId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=_ID_PATTERN)]
_Qualifier = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")]
_Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_Uom = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]


class PartnerConfigError(ValueError):
    """A partner configuration that cannot be used; ``problems`` is ``[(path, message)]``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in problems))


class _PartnerModel(BaseModel):
    """The accepted shape of one partner entry (validation only; the value is the dataclass)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    partner_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    isa_qualifier: _Qualifier
    isa_id: _IsaId
    gs_ids: list[_IsaId] = []
    our_isa_qualifier: _Qualifier = "ZZ"
    our_isa_id: _IsaId
    our_gs_id: _IsaId | None = None
    version: Literal["004010", "005010"] = "004010"
    inbound: list[Literal["850", "860", "856", "945", "214", "846", "820", "812"]] = []
    outbound: list[Literal["855", "856", "810", "940", "997", "812"]] = ["997"]
    legal_entity_id: _Id
    customer_id: _Id | None = None
    warehouse_id: _Id | None = None
    product_qualifiers: Annotated[list[_Qualifier], Field(min_length=1)] = ["VP", "BP", "UP", "IN"]
    uom_map: dict[_Qualifier, _Uom] = {}
    ship_to_map: dict[_Id, _Id] = {}
    customer_map: dict[_Id, _Id] = {}
    warehouse_map: dict[_Id, _Id] = {}
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    timezone: str = "UTC"
    send_997: bool = True

    @model_validator(mode="after")
    def _coherent(self) -> _PartnerModel:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {self.timezone!r} is not an IANA time zone name") from None
        if _NEEDS_CUSTOMER & set(self.inbound) and not (self.customer_id or self.customer_map):
            raise ValueError("sets 850, 860, 820 and 812 need customer_id or customer_map")
        if _NEEDS_WAREHOUSE & set(self.inbound) and not (self.warehouse_id or self.warehouse_map):
            raise ValueError("sets 856, 945 and 846 need warehouse_id or warehouse_map")
        return self


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingPartner:
    """One trading partner as o2c sees it (a customer, a 3PL, a carrier, a bank).

    Identity: ``(isa_qualifier, isa_id)`` is the partner's ISA05/ISA06, ``gs_ids`` its GS02
    application codes (the ISA id when none is configured); ``our_*`` is our side, which
    inbound ISA07/ISA08 must name.  ``version`` is the X12 version we write to it (GS08);
    inbound groups of other versions are read too.  ``inbound``/``outbound`` are the set ids
    enabled each way.  Translation: ``product_qualifiers`` is the preference order among a
    line's product ids (PO106/PO107... pairs); ``uom_map`` maps X12 unit codes to o2c units;
    ``ship_to_map``/``customer_map``/``warehouse_map`` map N104 codes to o2c ids (unmapped
    codes pass through, see the module docstring).  ``timezone`` reads local times (AT7 ``LT``
    or no time code).  Mappings are read-only views; the partner is hashable on its identity.
    """

    partner_id: str
    isa_qualifier: str
    isa_id: str
    gs_ids: tuple[str, ...]
    our_isa_qualifier: str
    our_isa_id: str
    our_gs_id: str
    version: str
    inbound: frozenset[str]
    outbound: frozenset[str]
    legal_entity_id: str
    customer_id: str | None = None
    warehouse_id: str | None = None
    product_qualifiers: tuple[str, ...] = ("VP", "BP", "UP", "IN")
    uom_map: Mapping[str, str] = field(default_factory=dict, hash=False)
    ship_to_map: Mapping[str, str] = field(default_factory=dict, hash=False)
    customer_map: Mapping[str, str] = field(default_factory=dict, hash=False)
    warehouse_map: Mapping[str, str] = field(default_factory=dict, hash=False)
    currency: str = "USD"
    timezone: str = "UTC"
    send_997: bool = True

    @property
    def source(self) -> str:
        """The inbox ``source`` of messages from this partner."""
        return f"edi:{self.partner_id}"

    def customer_for(self, codes: Iterable[str]) -> str | None:
        """The o2c customer for N104 codes in order of authority (e.g. BY, then BT).

        A mapped code wins; else the partner's own ``customer_id``; else the first code as
        sent (the engine then holds ``VAL-CUSTOMER-UNKNOWN``); None when there is nothing.
        """
        present = [c for c in codes if c]
        for code in present:
            mapped = self.customer_map.get(code)
            if mapped:
                return mapped
        return self.customer_id or (present[0] if present else None)

    def warehouse_for(self, code: str) -> str | None:
        """The o2c warehouse for an N104 (ship-from) code, else the partner's own, else the code."""
        if code:
            mapped = self.warehouse_map.get(code)
            if mapped:
                return mapped
        return self.warehouse_id or code or None

    def ship_to_for(self, code: str) -> str:
        """The o2c ship-to id for an N1 ST code (unmapped codes pass through)."""
        return self.ship_to_map.get(code, code)

    def x12_uom(self, uom: str) -> str:
        """The partner's X12 unit code for an o2c unit (the reverse of ``uom_map``)."""
        for code, ours in self.uom_map.items():
            if ours == uom:
                return code
        return uom

    @staticmethod
    def from_mapping(data: Mapping[str, Any], *, path: str = "partner") -> TradingPartner:
        """Validate one partner entry; raise :class:`PartnerConfigError` naming each bad path."""
        if not isinstance(data, Mapping):
            raise PartnerConfigError([(path, f"expected a mapping, got {type(data).__name__}")])
        try:
            m = _PartnerModel.model_validate(dict(data))
        except ValidationError as e:
            raise PartnerConfigError(_problems(e, path)) from None
        return TradingPartner(
            partner_id=m.partner_id,
            isa_qualifier=m.isa_qualifier,
            isa_id=m.isa_id,
            gs_ids=tuple(m.gs_ids) or (m.isa_id,),
            our_isa_qualifier=m.our_isa_qualifier,
            our_isa_id=m.our_isa_id,
            our_gs_id=m.our_gs_id or m.our_isa_id,
            version=m.version,
            inbound=frozenset(m.inbound),
            outbound=frozenset(m.outbound),
            legal_entity_id=m.legal_entity_id,
            customer_id=m.customer_id,
            warehouse_id=m.warehouse_id,
            product_qualifiers=tuple(m.product_qualifiers),
            uom_map=_frozen(m.uom_map),
            ship_to_map=_frozen(m.ship_to_map),
            customer_map=_frozen(m.customer_map),
            warehouse_map=_frozen(m.warehouse_map),
            currency=m.currency,
            timezone=m.timezone,
            send_997=m.send_997,
        )


def _problems(e: ValidationError, prefix: str) -> list[tuple[str, str]]:
    out = []
    for err in e.errors(include_url=False):
        path = prefix
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        msg = err["msg"].removeprefix("Value error, ")
        out.append((path, msg))
    return out


_SPACES = re.compile(r"\s+")


_K = TypeVar("_K")


def _claim(
    index: dict[_K, TradingPartner], key: _K, p: TradingPartner, what: str, problems: list[tuple[str, str]]
) -> None:
    other = index.get(key)
    if other is not None and other is not p:
        problems.append((p.partner_id, f"{what} {key!r} is already used by {other.partner_id}"))
    index[key] = p


def _key(qualifier: str, isa_id: str) -> tuple[str, str]:
    # ISA06 is fixed-width: compare without padding, and case-insensitively as VANs do.
    return qualifier.strip().upper(), _SPACES.sub(" ", isa_id.strip()).upper()


class PartnerDirectory:
    """Finds the partner of an interchange: by ISA05/ISA06, else by a GS02 application code.

    Invariant (checked on construction): no two partners share a partner id, an ISA identity
    or a GS application code, so a lookup never has to choose.
    """

    def __init__(self, partners: Iterable[TradingPartner]) -> None:
        self._by_id: dict[str, TradingPartner] = {}
        self._by_isa: dict[tuple[str, str], TradingPartner] = {}
        self._by_gs: dict[str, TradingPartner] = {}
        # ISA05/ISA06 as sent -> partner (or None): the key normalisation is a regular
        # expression substitution per interchange otherwise.  Bounded against hostile input.
        self._seen_isa: dict[tuple[str, str], TradingPartner | None] = {}
        problems: list[tuple[str, str]] = []
        for p in partners:
            _claim(self._by_id, p.partner_id, p, "partner id", problems)
            _claim(self._by_isa, _key(p.isa_qualifier, p.isa_id), p, "ISA qualifier and id", problems)
            for code in p.gs_ids:
                _claim(self._by_gs, code.upper(), p, "GS application code", problems)
        if problems:
            raise PartnerConfigError(problems)

    @staticmethod
    def from_mapping(data: Mapping[str, Any] | list[Any]) -> PartnerDirectory:
        """Load ``{"partners": [...]}`` (or the bare list); every bad path is reported at once."""
        entries = data.get("partners") if isinstance(data, Mapping) else data
        if not isinstance(entries, list):
            raise PartnerConfigError([("partners", "expected a list of partner mappings")])
        partners: list[TradingPartner] = []
        problems: list[tuple[str, str]] = []
        for i, entry in enumerate(entries):
            try:
                partners.append(TradingPartner.from_mapping(entry, path=f"partners[{i}]"))
            except PartnerConfigError as e:
                problems.extend(e.problems)
        if problems:
            raise PartnerConfigError(problems)
        return PartnerDirectory(partners)

    def __iter__(self) -> Iterator[TradingPartner]:
        return iter(self._by_id.values())

    def get(self, partner_id: str) -> TradingPartner | None:
        """The partner with this id, or None."""
        return self._by_id.get(partner_id)

    def by_isa(self, qualifier: str, sender_id: str) -> TradingPartner | None:
        """The partner whose ISA05/ISA06 these are, or None."""
        sent = (qualifier, sender_id)
        try:
            return self._seen_isa[sent]
        except KeyError:
            pass
        found = self._by_isa.get(_key(qualifier, sender_id))
        if len(self._seen_isa) >= 4096:
            self._seen_isa.clear()
        self._seen_isa[sent] = found
        return found

    def by_gs_sender(self, code: str) -> TradingPartner | None:
        """The partner using this GS02 application sender code, or None."""
        return self._by_gs.get(code.strip().upper())

    def identify(self, interchange: Interchange) -> TradingPartner | None:
        """The sender of ``interchange``: by its ISA, else by the GS02 of its first group."""
        found = self.by_isa(interchange.sender_qualifier, interchange.sender_id)
        if found is None:
            for group in interchange.groups:
                found = self.by_gs_sender(group.sender)
                if found is not None:
                    break
        return found
