"""CSV batch order intake: rows in, one canonical ``order`` message per
(customer, PO) out, and precise errors for rows that cannot be read.

The column layout, date format, decimal separator, encoding and delimiter are
configuration (:class:`CsvMapping`, built from a mapping such as a YAML
document), because every sales team's spreadsheet differs.

Invariants:
- rows are grouped into orders by (customer id, PO number), in file order;
- an order is emitted whole or not at all: if any of its rows cannot be read,
  the order is held back and every problem is returned as a :class:`RowError`
  (a partial order would be wrong, and an order must never vanish silently);
  the caller shows the errors to the sender or dead-letters them;
- the ``source_message_id`` of an order is ``customer/PO/hash`` where the hash
  covers the order's cells only (not the file name, not the receipt time), so
  sending the same orders again, under any file name, is deduplicated by the
  inbox, while a corrected order is a new message (the engine's duplicate-PO
  check then puts it in front of a person).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from o2c.adapters.limits import too_many_lines
from o2c.engine.ports import InboundMessage

__all__ = [
    "CsvBatch",
    "CsvMapping",
    "CsvReject",
    "MappingError",
    "RowError",
    "read_csv_file",
    "read_csv_orders",
]


class MappingError(ValueError):
    """A CSV mapping configuration that cannot work; the message says which key and why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvMapping:
    """How one sender's CSV files map onto canonical orders.

    Column settings name a header cell; ``None`` means the file has no such
    column (optional ones only). Order-level constants that a sales file does
    not carry (legal entity, currency, channel) are set here too.
    """

    source: str
    legal_entity_id: str
    currency: str
    channel: str = "csv"
    customer_id: str = "customer_id"
    po_number: str = "po_number"
    product_id: str = "item"
    quantity: str = "quantity"
    uom: str | None = "unit"
    ship_to_id: str | None = None
    unit_price: str | None = None
    requested_date: str | None = None
    order_date: str | None = None
    line_no: str | None = None
    default_uom: str = ""
    date_format: str = "%Y-%m-%d"
    decimal_separator: str = "."
    thousands_separator: str = ""
    encoding: str = "utf-8-sig"
    delimiter: str = ","

    def __post_init__(self) -> None:
        for name in (
            "source",
            "legal_entity_id",
            "currency",
            "customer_id",
            "po_number",
            "product_id",
            "quantity",
        ):
            if not getattr(self, name):
                raise MappingError(f"csv mapping: {name} must not be empty")
        if self.decimal_separator not in (".", ","):
            raise MappingError(
                f"csv mapping: decimal_separator must be '.' or ',', not {self.decimal_separator!r}"
            )
        if self.thousands_separator == self.decimal_separator:
            raise MappingError("csv mapping: thousands_separator must differ from decimal_separator")
        if len(self.delimiter) != 1:
            raise MappingError(f"csv mapping: delimiter must be one character, not {self.delimiter!r}")
        if self.uom is None and not self.default_uom:
            raise MappingError("csv mapping: without a uom column, set default_uom")
        try:
            io.TextIOWrapper(io.BytesIO(b""), encoding=self.encoding)
        except LookupError:
            raise MappingError(f"csv mapping: unknown encoding {self.encoding!r}") from None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> CsvMapping:
        """Build from a plain mapping (parsed YAML or JSON); unknown keys are refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise MappingError(f"csv mapping: unknown keys {unknown} (known: {sorted(known)})")
        try:
            return cls(**dict(raw))
        except TypeError as e:
            raise MappingError(f"csv mapping: {e}") from None

    def columns(self) -> dict[str, str]:
        """Field name -> header cell, for the columns this mapping reads."""
        names = (
            "customer_id",
            "po_number",
            "product_id",
            "quantity",
            "uom",
            "ship_to_id",
            "unit_price",
            "requested_date",
            "order_date",
            "line_no",
        )
        return {n: col for n in names if (col := getattr(self, n))}


@dataclass(frozen=True, slots=True, kw_only=True)
class RowError:
    """One cell (or row, or file) that could not be read. ``row`` is the line of the
    file as a text editor counts it (the header is row 1); 0 means the whole file."""

    file: str
    row: int
    column: str
    expected: str
    value: str = ""

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" if self.row else self.file
        got = f", got {self.value!r}" if self.value else ""
        return f"{where}, column {self.column}: expected {self.expected}{got}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvReject:
    """The rows of one order held back (or one row no order could claim), with why."""

    rows: list[list[str]]
    errors: list[RowError]


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvBatch:
    """What a file produced: ``messages`` to submit, ``errors`` to show or dead-letter,
    ``held_back``: the (customer, PO) of orders not emitted because of those errors,
    and ``rejects``: their rows, to park with the ``header`` for correction and replay."""

    messages: list[InboundMessage] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    held_back: list[tuple[str, str]] = field(default_factory=list)
    rejects: list[CsvReject] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_csv_file(path: Path, mapping: CsvMapping, *, received_at: datetime) -> CsvBatch:
    """Read ``path`` (see :func:`read_csv_orders`)."""
    return read_csv_orders(path.read_bytes(), mapping, file_name=path.name, received_at=received_at)


def read_csv_orders(data: bytes, mapping: CsvMapping, *, file_name: str, received_at: datetime,
                    max_lines: int | None = None) -> CsvBatch:
    """Turn a CSV file's bytes into canonical ``order`` messages (see the module doc); an
    order of more than ``max_lines`` rows is held back whole, like one with a bad cell."""
    try:
        text = data.decode(mapping.encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return CsvBatch(
            errors=[
                RowError(
                    file=file_name,
                    row=line,
                    column="(file)",
                    expected=f"text encoded as {mapping.encoding}",
                    value=data[e.start : e.end].hex(),
                )
            ]
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    header = next(reader, None)
    if header is None:
        return CsvBatch(errors=[RowError(file=file_name, row=1, column="(header)", expected="a header row")])
    where = {name.strip(): i for i, name in enumerate(header)}
    missing = [col for col in mapping.columns().values() if col not in where]
    if missing:
        return CsvBatch(
            errors=[
                RowError(
                    file=file_name,
                    row=1,
                    column=col,
                    expected=f"a {col!r} column in the header (found: {', '.join(header)})",
                )
                for col in missing
            ]
        )
    orders: dict[tuple[str, str], _Order] = {}
    errors: list[RowError] = []
    rejects: list[CsvReject] = []
    for cells in reader:
        row_no = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines (a trailing newline, a spacer) carry no order
        row = _Row(file_name, row_no, cells, where, mapping)
        customer, po = row.text("customer_id"), row.text("po_number")
        if row.errors:
            # No (customer, PO): the row cannot be attributed to an order, so it is
            # reported on its own; the caller must not lose it.
            errors.extend(row.errors)
            rejects.append(CsvReject(rows=[cells], errors=row.errors))
            continue
        order = orders.setdefault((customer, po), _Order(customer, po))
        order.add(row)
        errors.extend(row.errors)
    messages, held = [], []
    for key, order in orders.items():
        if max_lines is not None and (too_long := order.limit(file_name, max_lines)):
            errors.append(too_long)
        if order.bad:
            held.append(key)
            rejects.append(CsvReject(rows=order.cells, errors=order.errors))
            continue
        messages.append(order.message(mapping, received_at))
    return CsvBatch(messages=messages, errors=errors, held_back=held, rejects=rejects, header=header)


class _Row:
    """One data row: typed cell readers that collect errors instead of raising."""

    def __init__(self, file: str, row: int, cells: list[str], where: dict[str, int], m: CsvMapping) -> None:
        self.file, self.row, self.cells, self.where, self.m = file, row, cells, where, m
        self.errors: list[RowError] = []

    def raw(self, name: str) -> str:
        col = getattr(self.m, name)
        if col is None:
            return ""
        i = self.where[col]
        return self.cells[i].strip() if i < len(self.cells) else ""

    def fail(self, name: str, expected: str) -> None:
        self.errors.append(
            RowError(
                file=self.file,
                row=self.row,
                column=getattr(self.m, name) or name,
                expected=expected,
                value=self.raw(name),
            )
        )

    def text(self, name: str, *, required: bool = True, what: str = "a value") -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, what)
        return value

    def number(self, name: str, *, required: bool = True) -> Decimal | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "a number")
            return None
        plain = value.replace(self.m.thousands_separator, "") if self.m.thousands_separator else value
        if self.m.decimal_separator == ",":
            # A '.' here is not a decimal point: refuse it rather than read 1.234 as one and a bit.
            plain = "x" if "." in plain else plain.replace(",", ".")
        try:
            n = Decimal(plain)
        except InvalidOperation:
            n = None
        if n is None or not n.is_finite():
            example = "1234,50" if self.m.decimal_separator == "," else "1234.50"
            self.fail(
                name, f"a number with {self.m.decimal_separator!r} as decimal separator (like {example})"
            )
            return None
        return n

    def day(self, name: str) -> date | None:
        value = self.raw(name)
        if not value:
            return None
        try:
            return datetime.strptime(value, self.m.date_format).date()
        except ValueError:
            self.fail(name, f"a date formatted {self.m.date_format}")
            return None


@dataclass
class _Order:
    customer_id: str
    po_number: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)
    cells: list[list[str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad: bool = False
    first_row: int = 0

    def limit(self, file: str, max_lines: int) -> RowError | None:
        """Hold the order back if it has more than ``max_lines`` rows; the error, if so."""
        problem = too_many_lines(len(self.lines), max_lines)
        if problem is None:
            return None
        error = RowError(file=file, row=self.first_row, column="(order)",
                         expected=f"fewer rows: PO {self.po_number} has {problem}")
        self.errors.append(error)
        self.bad = True
        return error

    def add(self, row: _Row) -> None:
        self.first_row = self.first_row or row.row
        m = row.m
        quantity = row.number("quantity")
        if quantity is not None and quantity <= 0:
            row.fail("quantity", "a quantity greater than zero")
        line = {
            "line_no": self._line_no(row),
            "product_id": row.text("product_id", what="an item number"),
            "quantity": str(quantity),
            "uom": (row.text("uom", required=False) or m.default_uom).upper(),
        }
        if not line["uom"]:
            row.fail("uom", "a unit of measure")
        price = row.number("unit_price", required=False)
        if price is not None:
            line["unit_price"] = str(price)
        # Order-level cells repeat on each row; they must agree, or the file is ambiguous.
        for name, value in (
            ("ship_to_id", row.text("ship_to_id", required=False)),
            ("requested_date", row.day("requested_date")),
            ("order_date", row.day("order_date")),
        ):
            first = self.header.setdefault(name, (value, row.row))
            if first[0] != value:
                row.fail(
                    name, f"the same value as row {first[1]} of PO {self.po_number} ({first[0] or 'empty'})"
                )
        self.lines.append(line)
        self.cells.append(row.cells)
        self.errors.extend(row.errors)
        self.bad = self.bad or bool(row.errors)

    def _line_no(self, row: _Row) -> int:
        if row.m.line_no is None:
            return len(self.lines) + 1
        value = row.raw("line_no")
        if not value.isdigit() or int(value) < 1:
            row.fail("line_no", "a line number (a whole number from 1)")
            return 0
        # A number used twice is read as sent: the order is held for customer service
        # (VAL-DUPLICATE-LINE), like one from any other channel.
        return int(value)

    def message(self, m: CsvMapping, received_at: datetime) -> InboundMessage:
        order_date = self.header.get("order_date", (None, 0))[0] or received_at.date()
        requested = self.header.get("requested_date", (None, 0))[0]
        body = {
            "legal_entity_id": m.legal_entity_id,
            "customer_id": self.customer_id,
            "ship_to_id": self.header.get("ship_to_id", ("", 0))[0],
            "po_number": self.po_number,
            "channel": m.channel,
            "currency": m.currency,
            "order_date": order_date.isoformat(),
            "requested_date": requested.isoformat() if requested else None,
            "lines": self.lines,
        }
        digest = hashlib.sha256(json.dumps(self.cells).encode()).hexdigest()[:16]
        return InboundMessage(
            source=m.source,
            source_message_id=f"{self.customer_id}/{self.po_number}/{digest}",
            kind="order",
            received_at=received_at,
            body=json.dumps(body),
        )
