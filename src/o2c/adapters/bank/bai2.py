"""BAI2 (cash management balance reporting, version 2) -> ``payment`` messages.

A BAI2 file is a stream of records, each a record code, comma-separated fields and a ``/``:
``01`` file header, ``02`` group header (one bank's report as of a date), ``03`` account
identifier with its summary amounts, ``16`` transaction detail, ``88`` continuation of the
record before it, ``49`` account trailer, ``98`` group trailer, ``99`` file trailer. Amounts are
in the currency's minor units with no decimal point (``+`` or ``-`` in summaries).

What o2c reads:

- ``01``: sender (field 1), file creation date and time (3, 4), file id (5), version (8, must
  be 2).
- ``02``: originator, the bank (2), as-of date (4), currency (6, empty: the configured default,
  USD unless the source says otherwise).
- ``03``: the account (1), its currency (2, empty: the group's), then the summaries (type code,
  amount, item count, funds type with its extra fields), only for the control total.
- ``16``: type code (1), amount (2), funds type (3) and its extra fields (``S``: three amounts
  available immediately, in one day, in two or more; ``V``: value date and time; ``D``: a count
  n and n pairs of days and amount; ``0``, ``1``, ``2``, ``Z`` or empty: none), bank reference,
  customer reference, then free text running to the end of the record and on into its ``88``
  records. Type codes 100-399 are credits: each is one payment. 400-699 (debits), 700-799
  (loans) and 900-999 (bank specific) are not payments and are skipped.
- ``49``, ``98``, ``99``: control totals (the algebraic sum of every amount of the account's
  ``03`` and ``16`` records, of the group's accounts, of the file's groups) and record counts
  (every record from the header to the trailer, ``88`` included). A mismatch is a broken file:
  it is parked whole, since what it says cannot be trusted.

A payment takes: the amount in the account's currency, ``value_date`` (the ``V`` value date,
else the group's as-of date), ``text`` (the free text), the customer reference as a remittance
``reference`` of unknown kind (cash application decides what it names), ``method`` from the
type code (lockbox, wire, ACH, check deposit). BAI2 does not name the payer apart from the text.

Records run together on one line (``.../   16,...``) are read apart: a ``/``, spaces, a record
code and a comma begin a record. Free text holding exactly that would be read as two records;
the control totals and record counts then disagree and the file is parked, never misread.
A physical line that does not begin with a record code continues the record before it.

Payment ids: with a bank reference, ``bai2:<bank>:<account>:<as-of date>:<bank ref>:<type>:<amount>``:
the bank reference is the bank's own identifier of the transaction in the account, so the same
credit reported again (an intraday file, then the prior-day file) is one payment, and two banks'
or accounts' references cannot collide. Without one, the file's identity (sender, creation date
and time, file id: what a bank changes for every new file) and the record's place in the
file: ``bai2:<sender>/<created>/<file id>:<account>:<as-of date>:r<record number>:<type>:<amount>``, the
same for the same file read twice, never the same for two files (the price: a credit without a
bank reference reported in two different files is two payments; cash application sees both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.adapters.bank.common import BankRead, Problem, amount_text
from o2c.domain.money import MINOR_UNITS, known_currency

__all__ = ["read_bai2"]

_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
_START = re.compile(r"^\s*(01|02|03|16|49|88|98|99),")
#: a record that begins after another on the same line (``.../ 16,...``)
_INLINE = re.compile(r"/\s+(?=(?:01|02|03|16|49|88|98|99),)")
_AMOUNT = re.compile(r"^[+-]?\d+$")
_METHODS = ((115, 118, "lockbox"), (142, 143, "ach"), (165, 174, "ach"), (191, 199, "wire"),
            (201, 208, "wire"), (301, 306, "check"))


@dataclass(slots=True)
class _Record:
    no: int  # logical record number in the file (an 88 is a record of its own)
    line: int
    code: str
    text: str  # everything after the record code and its comma, the ``/`` kept
    more: list[str] = field(default_factory=list)  # the contents of its 88 records

    @property
    def at(self) -> str:
        return f"record {self.no} ({self.code}, line {self.line})"


def _records(text: str) -> tuple[list[_Record], list[tuple[int, str]]]:
    """The logical records, each with the 88 records that continue it; and physical lines that
    belong to no record (before the first)."""
    records: list[_Record] = []
    stray: list[tuple[int, str]] = []
    owner: _Record | None = None  # the record the next 88 continues
    no = 0
    for line_no, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        if not _START.match(line):
            # a record broken over two lines (seen in the wild): the line continues it
            if owner is None:
                stray.append((line_no, line))
            elif owner.more and records[-1].code == "88":
                owner.more[-1] += " " + line.strip()
            else:
                owner.text += " " + line.strip()
            continue
        for part in _INLINE.split(line.strip()):
            no += 1
            code, body = part[:2], part[3:]
            record = _Record(no, line_no, code, body)
            records.append(record)
            if code == "88" and owner is not None:
                owner.more.append(body)
            else:
                owner = record
    return records, stray


def _fields(body: str) -> list[str]:
    """The fields of a record that has no free text: up to the first ``/``."""
    return [f.strip() for f in body.split("/", 1)[0].split(",")]


def _plain(r: _Record) -> list[str]:
    """A record's fields with its 88 continuations' fields after them."""
    out = [r.code, *_fields(r.text)]
    for m in r.more:
        out += _fields(m)
    return out


def _yymmdd(value: str) -> date | None:
    if not re.fullmatch(r"\d{6}", value):
        return None
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    try:
        return date((2000 if yy < 70 else 1900) + yy, mm, dd)
    except ValueError:
        return None


def _funds(fields: list[str], i: int) -> tuple[int, str | None, str]:
    """Skip the funds type at ``fields[i]`` and its extra fields: (next index, the ``V`` value
    date or None, a problem or "")."""
    kind = fields[i].upper() if i < len(fields) else ""
    if kind in ("", "0", "1", "2", "Z"):
        return i + 1, None, ""
    if kind == "S":
        return i + 4, None, ""
    if kind == "V":
        return i + 3, fields[i + 1] if i + 1 < len(fields) else "", ""
    if kind == "D":
        n = fields[i + 1] if i + 1 < len(fields) else ""
        if not n.isdigit():
            return i + 2, None, f"funds type D needs the number of distributions next, not {n!r}"
        return i + 2 + 2 * int(n), None, ""
    return i + 1, None, f"funds type {kind!r} is not one of 0, 1, 2, S, V, D, Z"


def _method(code: int) -> str:
    return next((m for lo, hi, m in _METHODS if lo <= code <= hi), "other")


class _Reader:
    def __init__(self, file: str, currency: str) -> None:
        self.file, self.default_currency = file, currency
        self.out = BankRead()
        self.sender = self.created = self.file_id = self.bank = ""
        self.group_currency = currency
        self.as_of: date | None = None

    def broken(self, r: _Record | None, fld: str, message: str) -> None:
        self.out.errors.append(Problem(self.file, r.at if r else "end of file", fld, message))

    def number(self, r: _Record, value: str, fld: str) -> int | None:
        if not value:
            return 0
        if not _AMOUNT.match(value):
            self.broken(r, fld, f"expected a whole number (an amount in minor units), not {value!r}")
            return None
        return int(value)

    def read(self, text: str) -> BankRead:
        records, stray = _records(text)
        for line_no, line in stray[:1]:
            self.out.errors.append(Problem(self.file, f"line {line_no}", "record code",
                                           f"expected a BAI2 record (01, 02, 03, 16, 49, 88, 98, 99), "
                                           f"not {line[:20]!r}"))
        if not records:
            if not stray:
                self.broken(None, "", "the file is empty: expected a BAI2 file starting with an 01 record")
            return self.out
        if records[0].code != "01":
            self.broken(records[0], "record code", f"a BAI2 file starts with 01, not {records[0].code}")
            return self.out
        self.file_header(records[0])
        i, groups, file_total, file_ok = 1, 0, 0, True
        while i < len(records) and records[i].code == "02":
            i, total = self.group(records, i)
            groups += 1
            if total is None:
                file_ok = False
            else:
                file_total += total
            if i >= len(records) and self.out.errors:
                return self.out  # its structure is broken: said once, where
        if i >= len(records):
            self.broken(None, "", "the file has no 99 file trailer")
            return self.out
        r = records[i]
        if r.code != "99":
            self.broken(r, "record code", f"expected a 02 group header or the 99 file trailer, not {r.code}")
            return self.out
        f = _plain(r)
        self.trailer(r, f, file_ok, file_total, [("number of groups", groups)], i + 1 + len(r.more), "file")
        if i + 1 + len(r.more) < len(records):
            self.broken(records[i + 1 + len(r.more)], "", "records after the 99 file trailer")
        return self.out

    def file_header(self, r: _Record) -> None:
        f = _plain(r)
        f += [""] * (9 - len(f))
        self.sender, self.created, self.file_id = f[1], f[3] + f[4], f[5]
        if f[8] != "2":
            self.broken(r, "version number (field 8)", f"expected 2 (BAI2), not {f[8]!r}")

    def trailer(self, r: _Record, f: list[str], ok: bool, total: int, counts: list[tuple[str, int]],
                records: int, of: str) -> None:
        """Check a 49, 98 or 99: control total (field 1), counts, then the record count."""
        f += [""] * (2 + len(counts) - len(f))
        stated = self.number(r, f[1], f"{of} control total (field 1)")
        if ok and stated is not None and stated != total:
            self.broken(r, f"{of} control total (field 1)",
                        f"says {stated}, but the {of}'s amounts add up to {total}")
        for k, (name, value) in enumerate([*counts, ("number of records", records)], 2):
            said = f[k] if k < len(f) else ""
            if said != str(value) and not (said.isdigit() and int(said) == value):
                self.broken(r, f"{name} (field {k})", f"says {said or 'nothing'}, but the {of} has {value}")

    def group(self, records: list[_Record], i: int) -> tuple[int, int | None]:
        head = records[i]
        f = _plain(head)
        f += [""] * (8 - len(f))
        self.bank, as_of_text, currency = f[2], f[4], f[6]
        as_of = _yymmdd(as_of_text)
        if as_of is None:
            self.broken(head, "as-of date (field 4)", f"expected YYMMDD, not {as_of_text!r}")
        self.as_of = as_of
        self.group_currency = currency or self.default_currency
        first, total, ok, accounts = i, 0, True, 0
        i += 1 + len(head.more)
        while i < len(records) and records[i].code == "03":
            i, account_total = self.account(records, i)
            accounts += 1
            if account_total is None:
                ok = False
            else:
                total += account_total
        if i >= len(records) and self.out.errors:
            return len(records), None  # an account's structure is broken: said there
        if i >= len(records) or records[i].code != "98":
            self.broken(records[i] if i < len(records) else None, "record code",
                        "expected a 03 account identifier or the 98 group trailer"
                        + (f", not {records[i].code}" if i < len(records) else ""))
            return len(records), None
        r = records[i]
        self.trailer(r, _plain(r), ok, total, [("number of accounts", accounts)],
                     i + len(r.more) + 1 - first, "group")
        return i + 1 + len(r.more), total if ok else None

    def account(self, records: list[_Record], i: int) -> tuple[int, int | None]:
        head = records[i]
        f = _plain(head)
        f += [""] * (3 - len(f))
        account, currency = f[1], f[2] or self.group_currency
        total, ok, k = 0, True, 3
        while k < len(f):
            if not f[k] and all(not x for x in f[k:]):
                break
            code = f[k]
            amount = self.number(head, f[k + 1] if k + 1 < len(f) else "", f"amount of summary {code}")
            if amount is None:
                ok = False
            else:
                total += amount
            k, _, problem = _funds(f, k + 3)
            if problem:
                self.broken(head, f"funds type of summary {code}", problem)
                ok = False
                break
        first = i
        i += 1 + len(head.more)
        while i < len(records) and records[i].code == "16":
            r = records[i]
            amount = self.detail(r, account, currency)
            if amount is None:
                ok = False
            else:
                total += amount
            i += 1 + len(r.more)
        if i >= len(records) or records[i].code != "49":
            self.broken(records[i] if i < len(records) else None, "record code",
                        f"expected a 16 transaction detail or the 49 account trailer of account {account}"
                        + (f", not {records[i].code}" if i < len(records) else ""))
            return len(records), None
        r = records[i]
        self.trailer(r, _plain(r), ok, total, [], i + len(r.more) + 1 - first, f"account {account}")
        return i + 1 + len(r.more), total if ok else None

    def detail(self, r: _Record, account: str, currency: str) -> int | None:
        """Read a 16 record; a credit becomes a payment (or a rejected one). Its amount for the
        account's control total, None when it cannot be read."""
        body = r.text.rstrip()
        body = body[:-1] if body.endswith("/") else body
        f = body.split(",")
        f += [""] * (3 - len(f))
        type_code, amount_text_ = f[0].strip(), f[1].strip()
        problems: list[Problem] = []
        amount = int(amount_text_) if re.fullmatch(r"\+?\d+", amount_text_) else None
        if amount is None:
            problems.append(Problem(self.file, r.at, "amount (field 2)",
                                    f"expected a whole number of minor units, not {amount_text_!r}"))
        k, value, problem = _funds([x.strip() for x in f], 2)
        if problem:
            problems.append(Problem(self.file, r.at, "funds type (field 3)", problem))
        bank_ref = f[k].strip() if k < len(f) else ""
        customer_ref = f[k + 1].strip() if k + 1 < len(f) else ""
        text = ",".join(f[k + 2:]).strip() if not problem else ""
        for m in r.more:
            m = m.rstrip()
            m = (m[:-1] if m.endswith("/") else m).strip()
            text = f"{text} {m}".strip() if m else text
        if not re.fullmatch(r"\d{3}", type_code):
            problems.append(Problem(self.file, r.at, "type code (field 1)",
                                    f"expected a three-digit BAI type code, not {type_code!r}"))
        elif not 100 <= int(type_code) <= 399:
            self.out.skipped += 1  # a debit or not a payment: only its amount counts
            self.out.warnings += problems
            return amount if not problems else None
        value_date = self.as_of
        if value:
            value_date = _yymmdd(value)
            if value_date is None:
                problems.append(Problem(self.file, r.at, "value date", f"expected YYMMDD, not {value!r}"))
        if not known_currency(currency):
            problems.append(Problem(self.file, r.at, "currency",
                                    f"the account's currency {currency!r} is not a known ISO 4217 code"))
        minor = str(amount) if amount is not None else amount_text_
        money: Decimal | None = None
        if amount is not None and known_currency(currency):
            money = Decimal(amount).scaleb(-MINOR_UNITS[currency])
        if bank_ref:
            payment_id = f"bai2:{self.bank}:{account}:{self.as_of_text()}:{bank_ref}:{type_code}:{minor}"
        else:
            payment_id = (f"bai2:{self.sender}/{self.created}/{self.file_id}:{account}:"
                          f"{self.as_of_text()}:r{r.no}:{type_code}:{minor}")
        body_: dict[str, Any] = {
            "payment_id": payment_id,
            "amount": amount_text(money) if money is not None else amount_text_,
            "currency": currency,
            "method": _method(int(type_code)) if type_code.isdigit() else "other",
            "value_date": value_date.isoformat() if value_date else None,
            "references": [{"reference": customer_ref}] if customer_ref else [],
            "text": text,
        }
        self.out.take(body_, problems, self.file, r.at)
        return amount if not problem else None

    def as_of_text(self) -> str:
        return self.as_of.isoformat() if self.as_of else "-"


def read_bai2(text: str, *, file_name: str, currency: str = "USD") -> BankRead:
    """Read a BAI2 file (see the module); ``currency``: what a group or account that names none
    is in (BAI2's default is USD)."""
    return _Reader(file_name, currency).read(text)
