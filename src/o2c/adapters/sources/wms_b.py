"""WMS "B": batch CSV files with LOCAL times and one-letter status codes
(``S`` shipped, ``P`` picked, ``E`` exception). Mapped by configuration
(``configs/wms_b.yaml``): columns, status meanings, the site's IANA time zone,
date/time formats, decimal separator, and how a shipment id is made.

Rows are grouped: shipped rows by shipment id (one ``shipment``), picked rows by
(order, local time) (one ``pick_confirmed``); each exception row is one
``fulfilment_exception``. A group with any bad row produces nothing; its errors
name the file, row and column.

Local times become UTC with :mod:`zoneinfo`. Across a DST change: a time in the
spring-forward gap does not exist and is refused; a time in the fall-back
overlap is ambiguous and read as the first (daylight) occurrence (``fold=0``),
the reading that is never later than the truth, so no shipment looks late.
"""

from __future__ import annotations

import csv
import io
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from o2c.adapters.sources.common import (
    ConfigError,
    Meaning,
    Normalized,
    SourceError,
    SourceEvent,
    SourceReject,
    decimal_of,
    load_default,
    message,
    require,
    stable_id,
    statuses,
    str_map,
)

__all__ = ["WmsBConfig", "local_to_utc", "normalize_wms_b"]

_MEANINGS = {Meaning.PICKED, Meaning.SHIPPED, Meaning.EXCEPTION, Meaning.IGNORE}
_NEEDED = ("status", "order_id", "line_no", "product_id", "quantity", "date", "time")


@dataclass(frozen=True, slots=True, kw_only=True)
class WmsBConfig:
    source: str
    warehouse_id: str
    timezone: ZoneInfo
    columns: dict[str, str]
    statuses: dict[str, Meaning]
    shipment_id: str
    products: dict[str, str]
    delimiter: str = ";"
    encoding: str = "utf-8-sig"
    decimal_separator: str = "."
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str = "wms-b config") -> WmsBConfig:
        columns = str_map(raw, "columns", where)
        missing = [k for k in _NEEDED if k not in columns]
        if missing:
            raise ConfigError(f"{where}: columns must name {missing}")
        zone = require(raw, "timezone", str, where)
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{where}: timezone {zone!r} is not an IANA time zone") from None
        template = require(raw, "shipment_id", str, where)
        used = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        if not used or not used <= set(columns.values()):
            raise ConfigError(
                f"{where}: shipment_id {template!r} must use only mapped columns ({sorted(columns.values())})"
            )
        return cls(
            source=require(raw, "source", str, where),
            warehouse_id=require(raw, "warehouse_id", str, where),
            timezone=tz,
            columns=columns,
            statuses=statuses(raw, _MEANINGS, where),
            shipment_id=template,
            products=str_map(raw, "products", where),
            **{
                k: str(raw[k])
                for k in ("delimiter", "encoding", "decimal_separator", "date_format", "time_format")
                if k in raw
            },
        )

    @classmethod
    def default(cls) -> WmsBConfig:
        return cls.from_mapping(load_default("wms_b"), "configs/wms_b.yaml")


def local_to_utc(local: datetime, tz: ZoneInfo) -> datetime | None:
    """A naive local wall-clock time in ``tz`` as UTC; None if it does not exist
    there (the hour skipped when clocks go forward). Ambiguous times: the first."""
    aware = local.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local:
        return None
    return utc


def normalize_wms_b(data: bytes, config: WmsBConfig, *, file_name: str, received_at: datetime) -> Normalized:
    """One dropped file's bytes (see the module doc)."""
    err = _Errors(config.source, file_name)
    try:
        text = data.decode(config.encoding)
    except UnicodeDecodeError:
        err.add(0, "(file)", f"text encoded as {config.encoding}")
        return Normalized(errors=err.items)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=config.delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for k, c in config.columns.items() if c not in header and k in _NEEDED]
    if missing:
        for col in missing:
            err.add(1, col, f"a {col} column in the header (found: {', '.join(header) or 'nothing'})")
        return Normalized(errors=err.items)
    groups: dict[tuple[str, ...], list[_Line]] = {}
    bad: set[tuple[str, ...]] = set()
    ignored = 0
    rejects: list[SourceReject] = []
    for row in reader:
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cells.values()):
            continue
        before = len(err.items)
        line = _read(cells, reader.line_num, config, err)
        if line is None:
            if len(err.items) > before:
                rejects.append(SourceReject(content=[cells], errors=err.items[before:]))
            continue
        if line.meaning is Meaning.IGNORE:
            ignored += 1
            continue
        groups.setdefault(line.key, []).append(line)
        if line.bad:
            bad.add(line.key)
    events = [_event(key, lines, config, received_at) for key, lines in groups.items() if key not in bad]
    for key in bad:
        lines = groups[key]
        rejects.append(SourceReject(content=[ln.cells for ln in lines],
                                    errors=[e for ln in lines for e in ln.errors]))
    return Normalized(events=events, errors=err.items, ignored=ignored, rejects=rejects, header=header)


class _Errors:
    def __init__(self, source: str, file: str) -> None:
        self.source, self.file, self.items = source, file, list[SourceError]()

    def add(self, row: int, column: str, expected: str, value: str = "") -> None:
        where = f"{self.file} row {row}" if row else self.file
        self.items.append(
            SourceError(source=self.source, where=where, field=column, expected=expected, value=value)
        )


@dataclass
class _Line:
    meaning: Meaning
    key: tuple[str, ...]
    cells: dict[str, str]
    body: dict[str, Any]
    at: datetime | None
    errors: list[SourceError]

    @property
    def bad(self) -> bool:
        return bool(self.errors)


def _read(cells: dict[str, str], row: int, c: WmsBConfig, err: _Errors) -> _Line | None:
    before = len(err.items)

    def cell(name: str) -> str:
        return cells.get(c.columns.get(name, ""), "")

    def need(name: str, expected: str) -> str:
        value = cell(name)
        if not value:
            err.add(row, c.columns[name], expected)
        return value

    code = need("status", "a status code")
    meaning = c.statuses.get(code)
    if code and meaning is None:
        err.add(row, c.columns["status"], f"a status code in {sorted(c.statuses)}", code)
        return None
    if meaning is None or meaning is Meaning.IGNORE:
        return _Line(Meaning.IGNORE, (), cells, {}, None, []) if meaning else None
    order_id = need("order_id", "an o2c order number")
    line_no = cell("line_no")
    if not line_no.isdigit() or int(line_no) < 1:
        err.add(row, c.columns["line_no"], "a line number (a whole number from 1)", line_no)
    item = need("product_id", "an item code")
    qty = decimal_of(cell("quantity"), c.decimal_separator)
    if qty is None:
        err.add(
            row,
            c.columns["quantity"],
            f"a quantity greater than zero with {c.decimal_separator!r} as decimal separator",
            cell("quantity"),
        )
    at = _when(cell("date"), cell("time"), row, c, err)
    body = {
        "line_no": int(line_no) if line_no.isdigit() else 0,
        "product_id": c.products.get(item, item),
        "lot_id": cell("lot_id") or "-",
        "quantity": str(qty),
    }
    if meaning is Meaning.SHIPPED:
        need("tracking_no", "the carrier's tracking (PRO) number")
        key: tuple[str, ...] = ("shipment", c.shipment_id.format_map(_Cells(cells)))
    elif meaning is Meaning.PICKED:
        key = ("pick", order_id, cell("date"), cell("time"))
    else:
        key = ("exception", str(row))
    return _Line(meaning, key, cells, body, at, err.items[before:])


class _Cells(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _when(day: str, clock: str, row: int, c: WmsBConfig, err: _Errors) -> datetime | None:
    try:
        local = datetime.strptime(f"{day} {clock}", f"{c.date_format} {c.time_format}")
    except ValueError:
        err.add(
            row,
            f"{c.columns['date']}/{c.columns['time']}",
            f"a local date {c.date_format} and time {c.time_format}",
            f"{day} {clock}",
        )
        return None
    utc = local_to_utc(local, c.timezone)
    if utc is None:
        err.add(
            row,
            f"{c.columns['date']}/{c.columns['time']}",
            f"a local time that exists in {c.timezone.key} (it falls in the hour skipped by the "
            "change to daylight saving time)",
            f"{day} {clock}",
        )
    return utc


def _event(key: tuple[str, ...], lines: list[_Line], c: WmsBConfig, received_at: datetime) -> SourceEvent:
    first = lines[0]
    cell = first.cells.get
    at = max(ln.at for ln in lines if ln.at is not None)
    order_id = cell(c.columns["order_id"], "")
    body: dict[str, Any]
    if first.meaning is Meaning.SHIPPED:
        kind, body = (
            "shipment",
            {
                "shipment_id": key[1],
                "order_id": order_id,
                "warehouse_id": c.warehouse_id,
                "carrier": cell(c.columns.get("carrier", ""), ""),
                "tracking_no": cell(c.columns.get("tracking_no", ""), ""),
                "lines": [ln.body for ln in lines],
                "shipped_at": at.isoformat(),
            },
        )
    elif first.meaning is Meaning.PICKED:
        kind, body = (
            "pick_confirmed",
            {
                "order_id": order_id,
                "warehouse_id": c.warehouse_id,
                "picked_at": at.isoformat(),
                "lines": [ln.body for ln in lines],
            },
        )
    else:
        kind, body = (
            "fulfilment_exception",
            {
                "order_id": order_id,
                "warehouse_id": c.warehouse_id,
                "reported_at": at.isoformat(),
                "code": cell(c.columns["status"], ""),
                "reason": cell(c.columns.get("reason", ""), ""),
                "lines": [first.body],
            },
        )
    # The rows' content, not the file name: a re-dropped file dedupes, a corrected row does not.
    message_id = stable_id(kind, [ln.cells for ln in lines])
    return SourceEvent(message=message(c.source, message_id, kind, body, received_at), occurred_at=at)
