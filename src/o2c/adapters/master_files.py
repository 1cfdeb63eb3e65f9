"""Master data files: CSV (or JSON Lines) of customers or products, one canonical
``customer`` or ``product`` message per record, and precise errors for rows that cannot
be read (file, row, column, what is expected).

Default CSV layouts (the header names the columns; their order does not matter):

- **customers**: one row per ship-to; the account's columns repeat on every row of the
  account (or are left empty after its first row). Columns: ``customer_id``,
  ``legal_entity_id``, ``name``, ``parent_id``, ``payment_terms``, ``credit_limit``,
  ``currency``, ``billing_trigger``, ``accepts_partial``, ``home_warehouse_id``, ``blocked``,
  ``edi_id``, ``tax_exemptions`` (``EX-1=US-IL:2027-12-31;EX-2=CA-BC:2026-06-30``: each
  certificate's id, its jurisdiction (a country, or a state or province) and its expiry),
  ``ship_to_id``, ``ship_to_name``, ``city``, ``region``, ``postal_code``, ``country``,
  ``county`` (where a county's sales tax applies).
- **products**: one row per product and price currency; the product's columns repeat (or are
  left empty). Columns: ``product_id``, ``description``, ``base_uom``, ``units``
  (``CS=12;PL=480``: how many base units one of each holds), ``lot_controlled``, ``gtin``,
  ``currency``, ``list_price``, ``floor_price``, ``tax_class`` (default ``standard``;
  ``exempt`` is never taxed).
- **legal_entities**: one row each: ``entity_id``, ``name``, ``currency``,
  ``tax_jurisdiction``, ``tax_rate`` (a fraction: 0.0725), ``invoice_prefix``, ``timezone``,
  and what its invoices show: ``address``, ``city``, ``region``, ``postal_code``, ``country``,
  ``tax_registrations``, ``remit_to``.
- **warehouses**: one row each: ``warehouse_id``, ``legal_entity_id``, ``name``, ``region``,
  ``timezone``.
- **price_agreements**: one row per agreement and quantity break; the agreement's columns
  repeat (or are left empty). Columns: ``agreement_id``, ``customer_id`` (the account, or the
  group's head account with ``group`` yes), ``group``, ``product_id``, ``currency``, ``price``
  (per base unit), ``valid_from``, ``valid_to`` (YYYY-MM-DD, inclusive, empty: open-ended),
  ``min_quantity`` and ``break_price`` (from that many base units on a line, that price).
- **tax_rates**: one row per rate: ``rate_id``, ``country``, ``region`` (the state or
  province), ``county`` or ``city`` (empty for the state's or province's own rate),
  ``tax_class`` (default ``standard``), ``name`` (GST, HST, PST, QST, state, county, city),
  ``rate`` (a fraction: 0.0625), ``valid_from``, ``valid_to`` (YYYY-MM-DD, inclusive,
  empty: open-ended).
- **stock**: opening balances, one row per warehouse, product and lot: ``warehouse_id``,
  ``product_id``, ``lot_id`` (empty: not lot controlled), ``expiry``, ``quantity``, ``uom``
  (empty: the product's base unit).

A layout (:class:`MasterLayout`, the ``master`` section of the integration configuration)
renames columns for one source and kind: a file from an ERP keeps its own headers.

A record is emitted whole or not at all. Its ``source_message_id`` is
``<file name>:<key>:<hash of its cells>``: loading the same file again is deduplicated by the
inbox, a changed record is a new message (an update, recorded with what changed), and the
engine records nothing for a record equal to what it holds. A record that cannot be read is
kept as a canonical message of its kind holding the cells as read, parked with the reasons,
so a person can correct it and replay it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from o2c.adapters.canonical import KINDS
from o2c.adapters.csv_intake import RowError
from o2c.adapters.raw import param
from o2c.domain.master import BillingTrigger, PaymentTerms
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import DocumentReject, DocumentSplit

__all__ = [
    "CUSTOMER_COLUMNS",
    "FILE_KINDS",
    "PRODUCT_COLUMNS",
    "MasterFile",
    "MasterLayout",
    "MasterSplitter",
    "master_document",
    "read_master_file",
    "split_master_file",
    "splitters",
]

#: ``--kind`` -> (message kind, raw document kind), in the order a directory is loaded: what a
#: record refers to comes before it
FILE_KINDS = {
    "legal_entities": ("legal_entity", "legal_entity_file"),
    "warehouses": ("warehouse", "warehouse_file"),
    "products": ("product", "product_file"),
    "customers": ("customer", "customer_file"),
    "price_agreements": ("price_agreement", "price_agreement_file"),
    "tax_rates": ("tax_rate", "tax_rate_file"),
    "stock": ("stock_position", "stock_file"),
}

#: column -> (required, what the cell must hold), in the order they are documented
CUSTOMER_COLUMNS: dict[str, tuple[bool, str]] = {
    "customer_id": (True, "the account's id"),
    "legal_entity_id": (True, "the legal entity that sells to it"),
    "name": (True, "the account's name"),
    "parent_id": (False, "the group's head account, or empty"),
    "payment_terms": (True, "terms such as '2/10 net 30' or 'net 30'"),
    "credit_limit": (True, "an amount such as 50000.00"),
    "currency": (True, "the credit limit's currency, three capital letters such as USD"),
    "billing_trigger": (False, "on_ship, on_pod or consolidated (default on_ship)"),
    "accepts_partial": (False, "yes or no (default no)"),
    "home_warehouse_id": (True, "the warehouse it ships from first"),
    "blocked": (False, "yes or no (default no)"),
    "edi_id": (False, "its EDI id, or empty"),
    "tax_exemptions": (False, "exemption certificates as id=jurisdiction:expiry separated by ';' "
                              "such as EX-1=US-IL:2027-12-31, or empty"),
    "ship_to_id": (True, "a ship-to id"),
    "ship_to_name": (False, "the ship-to's name (default: the account's)"),
    "city": (False, "city"),
    "region": (False, "state or region"),
    "postal_code": (False, "postal code"),
    "country": (False, "two capital letters such as US (default US)"),
    "county": (False, "the county, where a county's sales tax applies, or empty"),
}
PRODUCT_COLUMNS: dict[str, tuple[bool, str]] = {
    "product_id": (True, "the product's id"),
    "description": (True, "what it is"),
    "base_uom": (True, "the unit stock and prices are kept in, such as EA"),
    "units": (False, "unit=factor pairs separated by ';' such as CS=12;PL=480, or empty"),
    "lot_controlled": (False, "yes or no (default no)"),
    "gtin": (False, "its GTIN, or empty"),
    "currency": (False, "the prices' currency, three capital letters such as USD"),
    "list_price": (False, "a price per base unit such as 2.50, or empty"),
    "floor_price": (False, "the lowest price per base unit allowed, or empty"),
    "tax_class": (False, "its tax class such as standard, reduced or exempt (default standard)"),
}
LEGAL_ENTITY_COLUMNS: dict[str, tuple[bool, str]] = {
    "entity_id": (True, "the legal entity's id"),
    "name": (True, "its registered name"),
    "currency": (True, "the currency it keeps accounts in, three capital letters such as USD"),
    "tax_jurisdiction": (True, "its tax jurisdiction such as US-OH"),
    "tax_rate": (True, "a fraction such as 0.0725 (7.25 %)"),
    "invoice_prefix": (True, "what its invoice numbers start with"),
    "timezone": (False, "the IANA zone its business dates fall in, such as America/New_York "
                        "(default UTC)"),
    # what its printed invoices show
    "address": (False, "its registered street address"),
    "city": (False, "its city"),
    "region": (False, "its state or province"),
    "postal_code": (False, "its postal code"),
    "country": (False, "its country, such as US"),
    "tax_registrations": (False, "its tax registration numbers, such as EIN 12-3456789; GST 123456789RT0001"),
    "remit_to": (False, "where customers pay (a lockbox or bank account); default: its address"),
}
WAREHOUSE_COLUMNS: dict[str, tuple[bool, str]] = {
    "warehouse_id": (True, "the warehouse's id"),
    "legal_entity_id": (True, "the legal entity it belongs to"),
    "name": (True, "its name"),
    "region": (False, "its region, or empty"),
    "timezone": (False, "its IANA zone such as America/Chicago (default UTC)"),
}
AGREEMENT_COLUMNS: dict[str, tuple[bool, str]] = {
    "agreement_id": (True, "the agreement's id"),
    "customer_id": (True, "the account it prices for (with group: the group's head account)"),
    "group": (False, "yes: it prices for every account of the group; no (default): the account"),
    "product_id": (True, "the product it prices"),
    "currency": (True, "the price's currency, three capital letters such as USD"),
    "price": (True, "a price per base unit such as 2.45"),
    "valid_from": (True, "the first day it holds, as YYYY-MM-DD"),
    "valid_to": (False, "the last day it holds, as YYYY-MM-DD, or empty (open-ended)"),
    "min_quantity": (False, "the base units on a line from which break_price holds, or empty"),
    "break_price": (False, "the price per base unit from min_quantity on, or empty"),
}
STOCK_COLUMNS: dict[str, tuple[bool, str]] = {
    "warehouse_id": (True, "the warehouse holding it"),
    "product_id": (True, "the product"),
    "lot_id": (False, "the lot, or empty when the product is not lot controlled"),
    "expiry": (False, "the lot's expiry as YYYY-MM-DD, or empty"),
    "quantity": (True, "how many it holds, such as 240"),
    "uom": (False, "the quantity's unit such as CS, or empty for the product's base unit"),
}
TAX_RATE_COLUMNS: dict[str, tuple[bool, str]] = {
    "rate_id": (True, "the rate's id"),
    "country": (True, "two capital letters such as US"),
    "region": (True, "the state or province such as IL"),
    "county": (False, "the county whose rate it is, or empty"),
    "city": (False, "the city whose rate it is, or empty"),
    "tax_class": (False, "the product tax class it taxes (default standard)"),
    "name": (True, "what the invoice calls it: GST, HST, PST, QST, state, county, city"),
    "rate": (True, "a fraction such as 0.0625 (6.25 %)"),
    "valid_from": (True, "the first day it holds, as YYYY-MM-DD"),
    "valid_to": (False, "the last day it holds, as YYYY-MM-DD, or empty (open-ended)"),
}
#: message kind -> (columns, the column(s) naming a record)
COLUMNS: dict[str, tuple[dict[str, tuple[bool, str]], tuple[str, ...]]] = {
    "legal_entity": (LEGAL_ENTITY_COLUMNS, ("entity_id",)),
    "warehouse": (WAREHOUSE_COLUMNS, ("warehouse_id",)),
    "product": (PRODUCT_COLUMNS, ("product_id",)),
    "customer": (CUSTOMER_COLUMNS, ("customer_id",)),
    "price_agreement": (AGREEMENT_COLUMNS, ("agreement_id",)),
    "stock_position": (STOCK_COLUMNS, ("warehouse_id", "product_id", "lot_id")),
    "tax_rate": (TAX_RATE_COLUMNS, ("rate_id",)),
}
_BREAK = ("min_quantity", "break_price")
_SHIP_TO = ("ship_to_id", "ship_to_name", "city", "region", "postal_code", "country", "county")
_PRICE = ("currency", "list_price", "floor_price")
_YES, _NO = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}


@dataclass(slots=True)
class MasterFile:
    """What a file gave: one body per record that could be read, and per record that could
    not, its cells as read and the errors."""

    kind: str
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (message id, body)
    ids: set[str] = field(default_factory=set)  # the records' ids (a customer's, an agreement's)
    entities: set[str] = field(default_factory=set)  # the legal entities the records name
    #: problems of rows that belong to no record, and of the whole file (reported, not parked)
    unparked: list[RowError] = field(default_factory=list)

    @property
    def skipped(self) -> frozenset[int]:
        """The rows that belong to no record."""
        return frozenset(e.row for e in self.unparked)
    rejects: list[tuple[str, dict[str, Any], list[RowError]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # every error, rejects' and the file's
    records: int = 0


class _Cells:
    """The cells of one record's rows, checked one at a time into ``errors``."""

    def __init__(self, file: str, rows: list[tuple[int, dict[str, str]]],
                 names: dict[str, str] | None = None) -> None:
        self.file, self.rows = file, rows
        self.names = names or {}  # our column -> the file's header, where a layout renames it
        self.errors: list[RowError] = []

    def bad(self, row: int, column: str, expected: str, value: str = "") -> None:
        self.errors.append(RowError(file=self.file, row=row, column=self.names.get(column, column),
                                    expected=expected, value=value))

    def one(self, column: str, spec: tuple[bool, str]) -> tuple[int, str]:
        """The record-level cell: given on the first row, the same (or empty) on the others."""
        first_row, first = self.rows[0][0], self.rows[0][1].get(column, "")
        for row, cells in self.rows[1:]:
            v = cells.get(column, "")
            if v and v != first:
                self.bad(row, column, f"the same value as row {first_row} ({first!r}) or nothing", v)
        if spec[0] and not first:
            self.bad(first_row, column, f"a value: {spec[1]}")
        return first_row, first

    def decimal(self, row: int, column: str, value: str, expected: str) -> str | None:
        try:
            d = Decimal(value)
        except InvalidOperation:
            self.bad(row, column, expected, value)
            return None
        if not d.is_finite() or d < 0:
            self.bad(row, column, expected, value)
            return None
        return value

    def flag(self, row: int, column: str, value: str) -> bool:
        v = value.strip().lower()
        if v not in _YES | _NO:
            self.bad(row, column, "yes or no", value)
        return v in _YES


def _customer(c: _Cells, key: str) -> dict[str, Any]:
    cols = CUSTOMER_COLUMNS
    cell = {name: c.one(name, cols[name]) for name in cols if name not in _SHIP_TO}
    body: dict[str, Any] = {name: v for name, (_, v) in cell.items()}
    row, terms = cell["payment_terms"]
    if terms:
        try:
            body["payment_terms"] = PaymentTerms.parse(terms).code
        except ValueError:
            c.bad(row, "payment_terms", cols["payment_terms"][1], terms)
    row, limit = cell["credit_limit"]
    if limit:
        c.decimal(row, "credit_limit", limit, cols["credit_limit"][1] + ", not below zero")
    row, cur = cell["currency"]
    if cur and not (len(cur) == 3 and cur.isalpha() and cur.isupper()):
        c.bad(row, "currency", cols["currency"][1], cur)
    row, trigger = cell["billing_trigger"]
    if trigger and trigger not in {t.value for t in BillingTrigger}:
        c.bad(row, "billing_trigger", cols["billing_trigger"][1], trigger)
    body["billing_trigger"] = trigger or BillingTrigger.ON_SHIP.value
    for name in ("accepts_partial", "blocked"):
        body[name] = c.flag(cell[name][0], name, cell[name][1])
    for name in ("parent_id", "edi_id"):
        body[name] = body[name] or None
    row, text = cell.pop("tax_exemptions")
    body.pop("tax_exemptions")
    exemptions = []
    for item in filter(None, (p.strip() for p in text.split(";"))):
        cert, eq, rest = item.partition("=")
        jurisdiction, colon, expires = rest.rpartition(":")
        if not eq or not colon or not cert.strip() or not jurisdiction.strip() or not expires.strip():
            c.bad(row, "tax_exemptions", cols["tax_exemptions"][1], item)
            continue
        day = _day(c, row, "tax_exemptions", expires.strip())
        if day is not None:
            exemptions.append({"certificate_id": cert.strip(), "jurisdiction": jurisdiction.strip(),
                               "expires": day})
    body["exemptions"] = exemptions
    ship_tos = []
    seen: dict[str, int] = {}
    for row, cells in c.rows:
        sid = cells.get("ship_to_id", "")
        if not sid:
            c.bad(row, "ship_to_id", "a value: " + cols["ship_to_id"][1])
            continue
        if sid in seen:
            c.bad(row, "ship_to_id", f"a ship-to not given before (row {seen[sid]} gives {sid})", sid)
            continue
        seen[sid] = row
        country = cells.get("country", "") or "US"
        if not (len(country) == 2 and country.isalpha() and country.isupper()):
            c.bad(row, "country", cols["country"][1], country)
        ship_tos.append({"ship_to_id": sid, "name": cells.get("ship_to_name", "") or body["name"],
                         "city": cells.get("city", ""), "region": cells.get("region", ""),
                         "postal_code": cells.get("postal_code", ""), "country": country,
                         "county": cells.get("county", "")})
    body["ship_tos"] = ship_tos
    return body


def _product(c: _Cells, key: str) -> dict[str, Any]:
    cols = PRODUCT_COLUMNS
    cell = {name: c.one(name, cols[name]) for name in cols if name not in _PRICE}
    body: dict[str, Any] = {name: v for name, (_, v) in cell.items()}
    row, base = cell["base_uom"]
    if base and not (base.isalnum() and len(base) <= 10):
        c.bad(row, "base_uom", "a unit of 1 to 10 letters or digits such as EA", base)
    row, text = cell["units"]
    units = []
    for pair in filter(None, (p.strip() for p in text.split(";"))):
        uom, eq, factor = pair.partition("=")
        uom, factor = uom.strip(), factor.strip()
        if not eq or not uom.isalnum() or len(uom) > 10:
            c.bad(row, "units", cols["units"][1], pair)
            continue
        try:
            positive = Decimal(factor) > 0
        except InvalidOperation:
            positive = False
        if not positive:
            c.bad(row, "units", f"a number of {base or 'base'} units above zero for {uom} "
                                f"(such as {uom}=12)", pair)
            continue
        units.append({"uom": uom, "factor": factor})
    body["units"] = units
    body["lot_controlled"] = c.flag(cell["lot_controlled"][0], "lot_controlled", cell["lot_controlled"][1])
    body["gtin"] = body["gtin"] or None
    body["tax_class"] = body["tax_class"] or "standard"
    prices = []
    seen: dict[str, int] = {}
    for row, cells in c.rows:
        cur = cells.get("currency", "")
        given = {n: cells.get(n, "") for n in ("list_price", "floor_price") if cells.get(n, "")}
        for n, v in given.items():
            c.decimal(row, n, v, f"{cols[n][1]}, not below zero")
        if not given:
            continue
        if not cur:
            c.bad(row, "currency", f"the currency of the price in {' and '.join(given)}, three "
                                   "capital letters such as USD (a price needs its currency)")
            continue
        if not (len(cur) == 3 and cur.isalpha() and cur.isupper()):
            c.bad(row, "currency", cols["currency"][1], cur)
            continue
        if cur in seen:
            c.bad(row, "currency", f"a currency not priced before (row {seen[cur]} prices {cur})", cur)
            continue
        seen[cur] = row
        prices.append({"currency": cur, **given})
    body["prices"] = prices
    return body


def _day(c: _Cells, row: int, column: str, value: str) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        c.bad(row, column, "a date as YYYY-MM-DD", value)
        return None


def _plain(c: _Cells, key: str, columns: dict[str, tuple[bool, str]]) -> dict[str, Any]:
    """A record of one row whose cells are its fields as they are (pydantic checks them)."""
    body: dict[str, Any] = {}
    for name, spec in columns.items():
        _, value = c.one(name, spec)
        if value or spec[0]:
            body[name] = value
    return body


def _legal_entity(c: _Cells, key: str) -> dict[str, Any]:
    body = _plain(c, key, LEGAL_ENTITY_COLUMNS)
    row = c.rows[0][0]
    if body.get("tax_rate"):
        c.decimal(row, "tax_rate", body["tax_rate"], LEGAL_ENTITY_COLUMNS["tax_rate"][1])
    return body


def _warehouse(c: _Cells, key: str) -> dict[str, Any]:
    return _plain(c, key, WAREHOUSE_COLUMNS)


def _agreement(c: _Cells, key: str) -> dict[str, Any]:
    cols = AGREEMENT_COLUMNS
    cell = {name: c.one(name, cols[name]) for name in cols if name not in _BREAK}
    body: dict[str, Any] = {name: v for name, (_, v) in cell.items()}
    row, price = cell["price"]
    if price:
        c.decimal(row, "price", price, cols["price"][1] + ", not below zero")
    row, cur = cell["currency"]
    if cur and not (len(cur) == 3 and cur.isalpha() and cur.isupper()):
        c.bad(row, "currency", cols["currency"][1], cur)
    for name in ("valid_from", "valid_to"):
        body[name] = _day(c, cell[name][0], name, cell[name][1])
    body["group"] = c.flag(cell["group"][0], "group", cell["group"][1])
    if body["valid_from"] and body["valid_to"] and body["valid_to"] < body["valid_from"]:
        c.bad(cell["valid_to"][0], "valid_to", f"a day on or after valid_from ({body['valid_from']})",
              body["valid_to"])
    breaks = []
    seen: dict[str, int] = {}
    for row, cells in c.rows:
        qty, at = cells.get("min_quantity", ""), cells.get("break_price", "")
        if not qty and not at:
            continue
        if not qty or not at:
            missing = "min_quantity" if not qty else "break_price"
            c.bad(row, missing, "a value: a quantity break needs both min_quantity and break_price")
            continue
        ok = c.decimal(row, "min_quantity", qty, cols["min_quantity"][1])
        ok2 = c.decimal(row, "break_price", at, cols["break_price"][1] + ", not below zero")
        if ok is None or ok2 is None:
            continue
        norm = f"{Decimal(qty).normalize():f}"
        if norm in seen:
            c.bad(row, "min_quantity", f"a quantity not given before (row {seen[norm]} gives {qty})", qty)
            continue
        seen[norm] = row
        breaks.append({"min_quantity": qty, "price": at})
    body["breaks"] = breaks
    return body


def _tax_rate(c: _Cells, key: str) -> dict[str, Any]:
    body = _plain(c, key, TAX_RATE_COLUMNS)
    row = c.rows[0][0]
    if body.get("rate"):
        c.decimal(row, "rate", body["rate"], TAX_RATE_COLUMNS["rate"][1])
    for name in ("valid_from", "valid_to"):
        body[name] = _day(c, row, name, body.get(name, ""))
    body["tax_class"] = body.get("tax_class") or "standard"
    if body["valid_from"] and body["valid_to"] and body["valid_to"] < body["valid_from"]:
        c.bad(row, "valid_to", f"a day on or after valid_from ({body['valid_from']})", body["valid_to"])
    if body.get("county") and body.get("city"):
        c.bad(row, "city", "empty when county is given: a rate is a county's or a city's (give each "
                           "its own row)", body["city"])
    return body


def _stock(c: _Cells, key: str) -> dict[str, Any]:
    body = _plain(c, key, STOCK_COLUMNS)
    row = c.rows[0][0]
    body["lot_id"] = body.get("lot_id") or "-"
    body["expiry"] = _day(c, row, "expiry", body.get("expiry", ""))
    if body.get("quantity"):
        c.decimal(row, "quantity", body["quantity"], STOCK_COLUMNS["quantity"][1] + ", not below zero")
    uom = body.get("uom", "")
    if uom and not (uom.isalnum() and len(uom) <= 10):
        c.bad(row, "uom", "a unit of 1 to 10 letters or digits such as CS, or empty for the base unit",
              uom)
    return body


_BUILD: dict[str, Callable[[_Cells, str], dict[str, Any]]] = {
    "customer": _customer, "product": _product, "legal_entity": _legal_entity,
    "warehouse": _warehouse, "price_agreement": _agreement, "stock_position": _stock,
    "tax_rate": _tax_rate}


def _pydantic_errors(c: _Cells, kind: str, body: dict[str, Any]) -> None:
    """What the canonical model still finds (lengths, characters), on the record's first row."""
    try:
        KINDS[kind].model_validate(body)
    except ValidationError as e:
        for err in e.errors(include_url=False):
            loc = [str(p) for p in err["loc"]]
            column = loc[0] if loc else "(record)"
            if column == "ship_tos" and len(loc) > 2:
                column = "ship_to_name" if loc[2] == "name" else loc[2]
            elif column == "prices" and len(loc) > 2:
                column = loc[2]
            elif column == "exemptions":
                column = "tax_exemptions"
            elif column == "breaks" and len(loc) > 2:
                column = "break_price" if loc[2] == "price" else loc[2]
            c.bad(c.rows[0][0], column, err["msg"])


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterLayout:
    """How one source's files of one kind differ from the default layout: ``columns`` maps
    o2c's column to the file's header (``{"customer_id": "Cust No"}``); the rest keep their
    names. Configured in the ``master`` section of the integration configuration."""

    source: str
    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str) -> MasterLayout:
        known = {"source", "kind", "columns", "delimiter"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{where}: unknown keys {unknown} (known: {sorted(known)})")
        kind = raw.get("kind")
        if kind not in FILE_KINDS:
            raise ValueError(f"{where}: kind must be one of {', '.join(FILE_KINDS)}, not {kind!r}")
        source = raw.get("source")
        if not isinstance(source, str) or not source:
            raise ValueError(f"{where}: source must name the system the files come from")
        columns = raw.get("columns") or {}
        ours = COLUMNS[FILE_KINDS[kind][0]][0]
        if not isinstance(columns, Mapping) or not all(isinstance(v, str) and v for v in columns.values()):
            raise ValueError(f"{where}: columns must map o2c's column names to the file's headers")
        bad = sorted(set(columns) - set(ours))
        if bad:
            raise ValueError(f"{where}: columns {bad} are not columns of {kind} "
                             f"(known: {', '.join(ours)})")
        delimiter = raw.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise ValueError(f"{where}: delimiter must be one character, not {delimiter!r}")
        return cls(source=source, kind=kind, columns=dict(columns), delimiter=delimiter)


def read_master_file(text: str, kind: str, *, file_name: str, layout: MasterLayout | None = None,
                     keep: bool = True, note_ids: bool = True) -> MasterFile:
    """Read a master data file of ``kind`` (a key of :data:`FILE_KINDS`): CSV in the default
    layout (or ``layout``'s), or JSON Lines (one canonical body per line) when the file name
    ends in ``.jsonl``. A record's rows follow each other. ``keep``: keep the bodies of the
    records that can be read (else only count them and note their ids: a file of a million
    rows is judged whole without holding them all; :func:`split_master_file` makes them again
    as the runtime takes them). ``note_ids``: note the records' ids (to reconcile a full
    file against them)."""
    out = MasterFile(kind=FILE_KINDS[kind][0])
    key = COLUMNS[out.kind][1][0]
    for mid, body, errors in _records(text, kind, file_name, layout, out.errors, validate=True):
        out.records += 1
        if note_ids and body.get(key):
            out.ids.add(str(body[key]))
        if body.get("legal_entity_id"):
            out.entities.add(str(body["legal_entity_id"]))
        if errors:
            out.rejects.append((mid, body, errors))
            out.errors.extend(errors)
        elif keep:
            out.messages.append((mid, body))
    of_records = {id(e) for _, _, errs in out.rejects for e in errs}
    out.unparked = [e for e in out.errors if id(e) not in of_records]
    return out


def _records(text: str, kind: str, file_name: str, layout: MasterLayout | None,
             problems: list[RowError], *, validate: bool, skip: frozenset[int] | None = None
             ) -> Iterator[tuple[str, dict[str, Any], list[RowError]]]:
    """The file's records, one at a time: (message id, body, what is wrong with it). Rows
    that belong to no record (no key, the wrong number of cells, a record's rows apart) and
    problems of the whole file go to ``problems``. ``validate``: check each body against the
    canonical model too (a second pass over a file already judged need not). ``skip``: the
    rows a first pass found belonging to no record (:attr:`MasterFile.skipped`); given, the
    keys of the records already given are not remembered, so a second pass over a big file
    holds one record at a time."""
    message_kind = FILE_KINDS[kind][0]
    columns, keys = COLUMNS[message_kind]
    if file_name.endswith(".jsonl"):
        yield from _jsonl(text, message_kind, keys, file_name, problems, validate=validate)
        return
    names = dict(layout.columns) if layout else {}
    ours = {theirs: mine for mine, theirs in names.items()}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter if layout else ",")
    raw_header = [h.strip() for h in next(reader, [])]
    header = [ours.get(h, h) for h in raw_header]
    missing = [c for c, (required, _) in columns.items() if required and c not in header]
    unknown = [h for h, mine in zip(raw_header, header, strict=True) if mine not in columns]
    for name in missing:
        problems.append(RowError(file=file_name, row=1, column=names.get(name, name),
                                 expected=f"a column named {names.get(name, name)} "
                                          f"({columns[name][1]})"))
    expected = ", ".join(names.get(c, c) for c in columns)
    for name in unknown:
        problems.append(RowError(file=file_name, row=1, column=name,
                                 expected=f"one of the columns {expected}", value=name))
    if missing or unknown:
        return
    one_row = message_kind in _ONE_ROW
    build = _BUILD[message_kind]
    seen: dict[str, int] = {}  # key -> its first row, for records already given
    key, rows = "", list[tuple[int, dict[str, str]]]()

    def record() -> tuple[str, dict[str, Any], list[RowError]]:
        c = _Cells(file_name, rows, names)
        body = build(c, key)
        if validate and not c.errors:
            _pydantic_errors(c, message_kind, body)
        return _message_id(file_name, key, [r for _, r in rows]), body, c.errors

    for n, row in enumerate(reader, start=2):
        if skip is not None and n in skip:
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(RowError(file=file_name, row=n, column="(row)",
                                     expected=f"{len(header)} cells like the header",
                                     value=f"{len(row)} cells"))
            continue
        cells = {h: v.strip() for h, v in zip(header, row, strict=True)}
        blank = next((k for k in keys if not cells.get(k) and columns[k][0]), None)
        if blank is not None:
            problems.append(RowError(file=file_name, row=n, column=names.get(blank, blank),
                                     expected=f"a value: {columns[blank][1]}"))
            continue
        this = "/".join(cells.get(k, "") or "-" for k in keys)
        if this == key and not one_row:
            rows.append((n, cells))
            continue
        if this in seen or this == key:
            what = ("one row per record" if one_row else
                    "the rows of a record one after the other")
            problems.append(RowError(file=file_name, row=n, column=names.get(keys[0], keys[0]),
                                     expected=f"{what} (row {seen.get(this, rows[0][0] if rows else n)} "
                                              f"gives {this})", value=this))
            continue
        if rows:
            yield record()
        if skip is None:
            seen[this] = n
        key, rows = this, [(n, cells)]
    if rows:
        yield record()


#: kinds whose records are one row each (the others group rows by their key)
_ONE_ROW = frozenset({"legal_entity", "warehouse", "stock_position", "tax_rate"})


def _jsonl(text: str, kind: str, keys: tuple[str, ...], file_name: str, problems: list[RowError],
           *, validate: bool) -> Iterator[tuple[str, dict[str, Any], list[RowError]]]:
    key_column = keys[0]
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            body = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(RowError(file=file_name, row=n, column="(line)",
                                     expected=f"one JSON object per line ({e.msg})"))
            continue
        if not isinstance(body, dict) or not isinstance(body.get(key_column), str):
            problems.append(RowError(file=file_name, row=n, column=key_column,
                                     expected="a JSON object with " + key_column))
            continue
        c = _Cells(file_name, [(n, {})])
        if validate:
            _pydantic_errors(c, kind, body)
        key = "/".join(str(body.get(k) or "-") for k in keys)
        yield _message_id(file_name, key, [body]), body, c.errors


def _message_id(file_name: str, key: str, cells: list[Any]) -> str:
    digest = hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()[:16]
    return f"{file_name}:{key}:{digest}"


def master_document(text: str, kind: str, *, source: str, file_name: str,
                    received_at: datetime) -> InboundMessage:
    """The file as the inbox keeps it (whole, deduplicated by its content)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return InboundMessage(source=source, source_message_id=f"{file_name}:sha256:{digest}",
                          kind=FILE_KINDS[kind][1], received_at=received_at, body=text,
                          content_type=f"text/csv; charset=utf-8; name={file_name.replace(';', '_')}")


def split_master_file(raw: InboundMessage, layout: MasterLayout | None = None,
                      read: MasterFile | None = None) -> DocumentSplit:
    """The splitter of a stored master data file (:func:`master_document`): its records as
    messages, its unreadable records parked (as canonical messages holding the cells as read,
    for correction and replay); a file with no record to take is parked whole. Read from the
    stored copy, so ``o2c finish`` and a replay split it exactly as the first run did.

    The file is judged whole first (``read``, when the caller has already: see
    :func:`read_master_file` with ``keep=False``); the messages are made again from the text
    as the runtime takes them, a chunk at a time, so a big file is never held as messages."""
    kind = file_kind(raw.kind)
    name = param(raw, "name") or raw.source_message_id
    if read is None:
        read = read_master_file(raw.body, kind, file_name=name, layout=layout, keep=False,
                                note_ids=False)
    message_kind = read.kind

    def message(mid: str, body: dict[str, Any]) -> InboundMessage:
        # each record is sent by whoever sent the file (a person's upload acts with their roles)
        return InboundMessage(source=raw.source, source_message_id=mid, kind=message_kind,
                              received_at=raw.received_at, body=json.dumps(body), actor=raw.actor)

    parked = {mid for mid, _, _ in read.rejects}

    def messages() -> Iterator[InboundMessage]:
        if read.messages:  # kept by the reader
            yield from (message(mid, body) for mid, body in read.messages)
            return
        for mid, body, _ in _records(raw.body, kind, name, layout, [], validate=False,
                                     skip=read.skipped):
            if mid not in parked:
                yield message(mid, body)

    takes = read.records > len(read.rejects)
    return DocumentSplit(
        messages=messages(),
        rejects=tuple(DocumentReject(message=message(mid, body), code="INT-PARSE-ERROR",
                                     reason="; ".join(map(str, errors)))
                      for mid, body, errors in read.rejects),
        problem=None if takes or read.rejects else
        ("INT-PARSE-ERROR", "; ".join(map(str, read.errors)) or "the file holds no records"))


def file_kind(document_kind: str) -> str:
    """``customer_file`` -> ``customers``."""
    return next(k for k, (_, doc) in FILE_KINDS.items() if doc == document_kind)


@dataclass(frozen=True, slots=True)
class MasterSplitter:
    """Splits stored master data files, each in its source's layout (default: o2c's)."""

    layouts: tuple[MasterLayout, ...] = ()

    def layout(self, source: str, kind: str) -> MasterLayout | None:
        return next((x for x in self.layouts if (x.source, x.kind) == (source, kind)), None)

    def __call__(self, raw: InboundMessage) -> DocumentSplit:
        return split_master_file(raw, self.layout(raw.source, file_kind(raw.kind)))


def splitters(layouts: tuple[MasterLayout, ...] = ()) -> dict[str, MasterSplitter]:
    """Document kind -> splitter, with the configured layouts."""
    split = MasterSplitter(layouts)
    return {doc: split for _, doc in FILE_KINDS.values()}
