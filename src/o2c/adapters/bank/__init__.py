"""Cash in from banks: BAI2 files, ISO 20022 camt.052/053/054 statements and notifications, and
lockbox CSV files, each read into ``payment`` messages (one per credit, or per check).

The file is stored whole first (deduplicated by its bytes); the splitter of its kind then reads
it (:func:`splitters`): each payment becomes one message with a stable id (see each reader), a
payment that cannot be read is parked on its own, a file whose structure is broken is parked
whole. Cash application identifies the payer and matches the references; the readers only say
faithfully what the bank said.

A source's particulars (the ``banks`` section of the integration configuration) are
:class:`BankSource` entries: the default currency of a BAI2 file or lockbox that names none, and
a lockbox's column names. A source not configured reads with the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from o2c.adapters.bank.bai2 import read_bai2
from o2c.adapters.bank.camt import read_camt
from o2c.adapters.bank.common import BankRead, Problem, split
from o2c.adapters.bank.lockbox import LOCKBOX_COLUMNS, read_lockbox
from o2c.adapters.raw import BAI2, CAMT, LOCKBOX, document_bytes, document_text, param
from o2c.domain.money import known_currency
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import DocumentSplit

__all__ = [
    "BAI2",
    "BANK_KINDS",
    "CAMT",
    "DEFAULT_SOURCE",
    "LOCKBOX",
    "LOCKBOX_COLUMNS",
    "BankRead",
    "BankSource",
    "BankSplitter",
    "Problem",
    "read_bai2",
    "read_bank_file",
    "read_camt",
    "read_lockbox",
    "splitters",
]

BANK_KINDS = (BAI2, CAMT, LOCKBOX)
#: the source a bank file comes from when none is configured for its kind
DEFAULT_SOURCE = "bank"


@dataclass(frozen=True, slots=True, kw_only=True)
class BankSource:
    """One source's bank files of one kind: ``currency`` when the file names none (BAI2 groups
    without a currency code, lockbox files without a currency column); for lockbox files,
    ``columns`` (o2c's column -> the file's header) and ``delimiter``."""

    source: str
    kind: str
    currency: str = "USD"
    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str) -> BankSource:
        known = {"source", "kind", "currency", "columns", "delimiter"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{where}: unknown keys {unknown} (known: {sorted(known)})")
        kind = raw.get("kind")
        if kind not in BANK_KINDS:
            raise ValueError(f"{where}: kind must be one of {', '.join(BANK_KINDS)}, not {kind!r}")
        source = raw.get("source")
        if not isinstance(source, str) or not source:
            raise ValueError(f"{where}: source must name the bank or lockbox the files come from")
        currency = raw.get("currency", "USD")
        if not isinstance(currency, str) or not known_currency(currency):
            raise ValueError(f"{where}: currency must be an ISO 4217 code o2c keeps amounts in, "
                             f"not {currency!r}")
        columns = raw.get("columns") or {}
        if columns and kind != LOCKBOX:
            raise ValueError(f"{where}: columns are for lockbox files; a {kind} file has its fixed layout")
        if not isinstance(columns, Mapping) or not all(isinstance(v, str) and v for v in columns.values()):
            raise ValueError(f"{where}: columns must map o2c's column names to the file's headers")
        bad = sorted(set(columns) - set(LOCKBOX_COLUMNS))
        if bad:
            raise ValueError(f"{where}: columns {bad} are not lockbox columns "
                             f"(known: {', '.join(LOCKBOX_COLUMNS)})")
        delimiter = raw.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise ValueError(f"{where}: delimiter must be one character, not {delimiter!r}")
        return cls(source=source, kind=kind, currency=currency, columns=dict(columns), delimiter=delimiter)


def read_bank_file(raw: InboundMessage, config: BankSource | None = None) -> BankRead:
    """Read a stored bank file of kind ``bai2``, ``camt`` or ``lockbox``."""
    config = config or BankSource(source=raw.source, kind=raw.kind)
    name = param(raw, "name") or raw.source_message_id
    if raw.kind == BAI2:
        return read_bai2(document_text(raw), file_name=name, currency=config.currency)
    if raw.kind == CAMT:
        return read_camt(document_bytes(raw), file_name=name)
    if raw.kind == LOCKBOX:
        return read_lockbox(document_text(raw), file_name=name, columns=config.columns,
                            delimiter=config.delimiter, currency=config.currency)
    raise ValueError(f"{raw.kind!r} is not a bank file kind (known: {', '.join(BANK_KINDS)})")


@dataclass(frozen=True, slots=True)
class BankSplitter:
    """Splits stored bank files, each with its source's configuration (default: none)."""

    sources: tuple[BankSource, ...] = ()

    def config(self, source: str, kind: str) -> BankSource | None:
        return next((s for s in self.sources if (s.source, s.kind) == (source, kind)), None)

    def __call__(self, raw: InboundMessage) -> DocumentSplit:
        return split(raw, read_bank_file(raw, self.config(raw.source, raw.kind)))


def splitters(sources: tuple[BankSource, ...] = ()) -> dict[str, BankSplitter]:
    """Document kind -> splitter, with the configured sources."""
    s = BankSplitter(sources)
    return {kind: s for kind in BANK_KINDS}
