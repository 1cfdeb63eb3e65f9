"""Raw documents in: files and feed payloads are stored whole, then split.

Everything a distributor receives as a file or a batch (an X12 interchange, a
CSV order file, a WMS event push or nightly file, a carrier tracking feed) is
one inbound message first, deduplicated by a hash of its bytes, so the same
file dropped twice changes nothing. ``Runtime.submit_document`` then splits it
with the splitter for its kind into canonical messages (each linked back to
the document) and applies them in the same transaction. A part that cannot be
read (one CSV order with a bad cell, one WMS event without a status) is parked
on its own as a small document of the same kind (the header and its rows, or
the one event), with the precise errors; the rest of the file is applied. A
person corrects the part and replays it through the same splitter.

:class:`Integrations` is the configuration of every source (X12 trading
partners, CSV mappings, WMS and carrier dialects), loaded from one YAML
mapping, each entry with its own ``source`` name; the splitter picks the entry
by the document's source.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from o2c.adapters.bank import BANK_KINDS, DEFAULT_SOURCE, BankSource
from o2c.adapters.bank import splitters as bank_splitters
from o2c.adapters.csv_intake import CsvMapping, MappingError, read_csv_orders
from o2c.adapters.edi.maps.intake import EdiSplitter
from o2c.adapters.edi.maps.partners import PartnerConfigError, PartnerDirectory
from o2c.adapters.edi.maps.sending import X12Renderer
from o2c.adapters.limits import Limits
from o2c.adapters.master_files import MasterLayout
from o2c.adapters.master_files import splitters as master_splitters
from o2c.adapters.raw import (
    CARRIER,
    CSV_ORDERS,
    KINDS,
    WMS_A,
    WMS_B,
    X12,
    document_bytes,
    document_text,
    param,
    raw_document,
)
from o2c.adapters.sources import CarrierConfig, ConfigError, WmsAConfig, WmsBConfig
from o2c.adapters.sources.carrier import normalize_carrier
from o2c.adapters.sources.common import Normalized
from o2c.adapters.sources.wms_a import normalize_wms_a
from o2c.adapters.sources.wms_b import normalize_wms_b
from o2c.domain.holds import HoldCode
from o2c.engine.ports import InboundMessage, OutboundRenderer
from o2c.engine.runtime import DocumentReject, DocumentSplit, Splitter

__all__ = [
    "CARRIER",
    "CSV_ORDERS",
    "KINDS",
    "WMS_A",
    "WMS_B",
    "X12",
    "Integrations",
    "IntegrationsError",
    "document_bytes",
    "raw_document",
]

_PARSE = HoldCode.INT_PARSE_ERROR.value


class IntegrationsError(ValueError):
    """An integration configuration that cannot work; the message names the entry and key."""


def _name(raw: InboundMessage) -> str:
    return param(raw, "name") or raw.source_message_id


def _reject(raw: InboundMessage, data: bytes, label: str, errors: Sequence[object]) -> DocumentReject:
    part = raw_document(
        data, source=raw.source, kind=raw.kind, received_at=raw.received_at, name=f"{_name(raw)} {label}"
    )
    # Named by content, so the same bad part in another file is recognised as already parked.
    part = InboundMessage(
        source=part.source,
        source_message_id=f"part:{part.source_message_id[7:]}",
        kind=part.kind,
        received_at=part.received_at,
        body=part.body,
        content_type=part.content_type,
    )
    shown = [str(e) for e in errors[:10]]
    more = f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
    return DocumentReject(message=part, code=_PARSE, reason="; ".join(shown) + more)


def _csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    # utf-8-sig reads a file with or without a byte-order mark; the part is written without.
    plain = "utf-8" if encoding.lower().replace("_", "-") == "utf-8-sig" else encoding
    return out.getvalue().encode(plain, errors="replace")


def _nest(path: str, events: list[Any]) -> Any:
    """``events`` placed at a dotted ``path`` (``data.events``), as the feed sends them."""
    doc: Any = events
    for part in reversed([p for p in path.split(".") if p]):
        doc = {part: doc}
    return doc


def _whole_problem(errors: Sequence[object]) -> tuple[str, str]:
    return _PARSE, "; ".join(str(e) for e in errors[:10]) or "nothing in the document could be read"


# ---------------------------------------------------------------- splitters


class _BySource:
    """A splitter that picks the configuration entry of the document's source."""

    def __init__(
        self, kind: str, entries: Mapping[str, Any], split: Callable[[InboundMessage, Any], DocumentSplit]
    ) -> None:
        self.kind, self.entries, self.split = kind, entries, split

    def __call__(self, raw: InboundMessage) -> DocumentSplit:
        entry = self.entries.get(raw.source)
        if entry is None:
            known = ", ".join(sorted(self.entries)) or "none"
            return DocumentSplit(
                problem=(
                    HoldCode.INT_UNKNOWN_REFERENCE.value,
                    f"no {KINDS[self.kind][0]} configuration for source {raw.source!r} "
                    f"(configured: {known}); add it and replay",
                )
            )
        return self.split(raw, entry)


def _split_csv(raw: InboundMessage, mapping: CsvMapping, max_lines: int) -> DocumentSplit:
    batch = read_csv_orders(document_bytes(raw), mapping, file_name=_name(raw), received_at=raw.received_at,
                            max_lines=max_lines)
    rejects = tuple(
        _reject(
            raw,
            _csv_bytes(batch.header, r.rows, mapping.delimiter, mapping.encoding),
            "rows " + ", ".join(sorted({str(e.row) for e in r.errors}, key=int)),
            r.errors,
        )
        for r in batch.rejects
    )
    problem = _whole_problem(batch.errors) if batch.errors and not batch.messages and not rejects else None
    return DocumentSplit(messages=tuple(batch.messages), rejects=rejects, problem=problem)


def _from_normalized(raw: InboundMessage, result: Normalized, part: Callable[[Any], bytes]) -> DocumentSplit:
    rejects = tuple(
        _reject(raw, part(r.content), f"part {i}", r.errors) for i, r in enumerate(result.rejects, 1)
    )
    problem = _whole_problem(result.errors) if result.errors and not result.events and not rejects else None
    return DocumentSplit(messages=tuple(result.messages), rejects=rejects, problem=problem)


def _split_wms_a(raw: InboundMessage, config: WmsAConfig) -> DocumentSplit:
    result = normalize_wms_a(document_text(raw), config, received_at=raw.received_at)
    return _from_normalized(raw, result, lambda event: json.dumps([event]).encode())


def _split_carrier(raw: InboundMessage, config: CarrierConfig) -> DocumentSplit:
    result = normalize_carrier(document_text(raw), config, received_at=raw.received_at)
    if config.events:
        return _from_normalized(raw, result, lambda event: json.dumps(_nest(config.events, [event])).encode())
    return _from_normalized(raw, result, lambda event: json.dumps(event).encode())


def _split_wms_b(raw: InboundMessage, config: WmsBConfig) -> DocumentSplit:
    result = normalize_wms_b(document_bytes(raw), config, file_name=_name(raw), received_at=raw.received_at)

    def part(rows: list[dict[str, str]]) -> bytes:
        return _csv_bytes(
            result.header,
            [[r.get(h, "") for h in result.header] for r in rows],
            config.delimiter,
            config.encoding,
        )

    return _from_normalized(raw, result, part)


# ---------------------------------------------------------------- configuration


def _layouts(items: Any) -> tuple[MasterLayout, ...]:
    """The ``master`` section: one layout per source and kind of master data file."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise IntegrationsError("master: expected a list of layouts")
    out: list[MasterLayout] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise IntegrationsError(f"master[{i}]: expected a mapping")
        try:
            layout = MasterLayout.from_mapping(item, f"master[{i}]")
        except ValueError as e:
            raise IntegrationsError(str(e)) from None
        if any((x.source, x.kind) == (layout.source, layout.kind) for x in out):
            raise IntegrationsError(f"master[{i}]: {layout.kind} from {layout.source!r} is "
                                    "configured twice")
        out.append(layout)
    return tuple(out)


def _banks(items: Any) -> tuple[BankSource, ...]:
    """The ``banks`` section: one entry per source and kind of bank file."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise IntegrationsError("banks: expected a list of entries")
    out: list[BankSource] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise IntegrationsError(f"banks[{i}]: expected a mapping")
        try:
            entry = BankSource.from_mapping(item, f"banks[{i}]")
        except ValueError as e:
            raise IntegrationsError(str(e)) from None
        if any((x.source, x.kind) == (entry.source, entry.kind) for x in out):
            raise IntegrationsError(f"banks[{i}]: {entry.kind} from {entry.source!r} is configured twice")
        out.append(entry)
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Integrations:
    """Every source's configuration: X12 partners, CSV mappings, WMS and carrier dialects, and
    the :class:`Limits` every channel holds (``bootstrap`` takes them from here too)."""

    partners: PartnerDirectory = field(default_factory=lambda: PartnerDirectory(()))
    csv: tuple[CsvMapping, ...] = ()
    wms_a: tuple[WmsAConfig, ...] = ()
    wms_b: tuple[WmsBConfig, ...] = ()
    carriers: tuple[CarrierConfig, ...] = ()
    #: column layouts of master data files per source and kind (default: o2c's own)
    master: tuple[MasterLayout, ...] = ()
    #: bank and lockbox sources (default currency, lockbox columns); none: the defaults
    banks: tuple[BankSource, ...] = ()
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> Integrations:
        """Load ``{partners: [...], csv: [...], wms_a: [...], wms_b: [...], carriers: [...]}``
        (every section optional; a partners file alone is a valid configuration)."""
        raw = raw or {}
        if not isinstance(raw, Mapping):
            raise IntegrationsError("an integration configuration must be a mapping of sections")
        sections = list(dict.fromkeys([*(s for s, _ in KINDS.values()), "master"]))
        unknown = sorted(set(raw) - set(sections))
        if unknown:
            raise IntegrationsError(f"unknown sections {unknown} (known: {sections})")

        def entries(section: str, load: Callable[[Mapping[str, Any], str], Any]) -> tuple[Any, ...]:
            items = raw.get(section) or []
            if not isinstance(items, list):
                raise IntegrationsError(f"{section}: expected a list of entries")
            out: list[Any] = []
            for i, item in enumerate(items):
                where = f"{section}[{i}]"
                if not isinstance(item, Mapping):
                    raise IntegrationsError(f"{where}: expected a mapping")
                try:
                    out.append(load(item, where))
                except (ConfigError, MappingError) as e:
                    raise IntegrationsError(f"{where}: {e}") from None
            sources: list[str] = [e.source for e in out]
            twice = sorted({s for s in sources if sources.count(s) > 1})
            if twice:
                raise IntegrationsError(f"{section}: source {twice[0]!r} is configured twice")
            return tuple(out)

        try:
            partners = PartnerDirectory.from_mapping(raw) if raw.get("partners") else PartnerDirectory(())
        except PartnerConfigError as e:
            raise IntegrationsError(str(e)) from None
        return cls(
            partners=partners,
            csv=entries("csv", lambda m, _w: CsvMapping.from_mapping(m)),
            wms_a=entries("wms_a", WmsAConfig.from_mapping),
            wms_b=entries("wms_b", WmsBConfig.from_mapping),
            carriers=entries("carriers", CarrierConfig.from_mapping),
            master=_layouts(raw.get("master")),
            banks=_banks(raw.get("banks")),
        )

    def splitters(self) -> dict[str, Splitter]:
        """Document kind -> splitter, for ``Runtime.submit_document`` and ``Runtime.replay``."""
        max_lines = self.limits.max_lines_per_order

        def split_csv(raw: InboundMessage, mapping: CsvMapping) -> DocumentSplit:
            return _split_csv(raw, mapping, max_lines)

        return {
            X12: EdiSplitter(self.partners, max_lines=max_lines),
            CSV_ORDERS: _BySource(CSV_ORDERS, {m.source: m for m in self.csv}, split_csv),
            WMS_A: _BySource(WMS_A, {c.source: c for c in self.wms_a}, _split_wms_a),
            WMS_B: _BySource(WMS_B, {c.source: c for c in self.wms_b}, _split_wms_b),
            CARRIER: _BySource(CARRIER, {c.source: c for c in self.carriers}, _split_carrier),
            **master_splitters(self.master),
            **bank_splitters(self.banks),
        }

    def renderers(self) -> list[OutboundRenderer]:
        """What renders o2c's outbound messages for these sources' channels (X12 for the
        partners set up for 855, 940, 856, 810; 997s numbered per partner), for ``bootstrap``."""
        return [X12Renderer(self.partners)] if any(True for _ in self.partners) else []

    def sources(self, kind: str) -> list[str]:
        """The configured sources of a document kind (X12's is ``edi``)."""
        if kind == X12:
            return ["edi"]
        if kind in BANK_KINDS:  # a bank file reads without configuration: the default source then
            return [b.source for b in self.banks if b.kind == kind] or [DEFAULT_SOURCE]
        entries: dict[str, tuple[Any, ...]] = {
            CSV_ORDERS: self.csv,
            WMS_A: self.wms_a,
            WMS_B: self.wms_b,
            CARRIER: self.carriers,
        }
        return [e.source for e in entries[kind]]
