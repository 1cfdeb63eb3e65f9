"""Lockbox files (CSV, one row per check and invoice it pays) -> ``payment`` messages.

Default layout (the header names the columns; their order does not matter, a source renames
them in its configuration, see :class:`o2c.adapters.bank.BankSource`): see
:data:`LOCKBOX_COLUMNS`. The rows of one check (same deposit date, lockbox, batch, item and check
number) are one payment; each row naming an invoice is one of its references, with what it pays
and the discount taken. The check amount is repeated on every row of its check; it must equal
the sum of the rows' amounts paid, else the difference is reported as a warning and the payment
is still taken, for its check amount, the difference left for cash application (as the 820's
BPR02 against its RMR04s). A row that cannot be read parks its check only, with the file's line
and column and what was expected.

Payment id: ``lockbox:<deposit date>:<lockbox>:<batch>/<item>:<check number>:<routing>/<account>``.
A check is identified by its payer's bank routing and account numbers with its check number
(the MICR line), deposited on one day; the batch and item place it in that day's deposit, so two
checks with the same number from payers whose bank details the file leaves out do not collide,
and the same file read twice gives the same ids.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.adapters.bank.common import BankRead, Problem, amount_text, decimal_of

__all__ = ["LOCKBOX_COLUMNS", "read_lockbox"]

#: column -> (required, what the cell holds), in the order they are documented
LOCKBOX_COLUMNS: dict[str, tuple[bool, str]] = {
    "deposit_date": (True, "the day the bank deposited the check, YYYY-MM-DD"),
    "lockbox": (False, "the lockbox number, or empty"),
    "batch": (True, "the batch number"),
    "item": (True, "the check's item (sequence) number in its batch"),
    "check_number": (True, "the check or trace number"),
    "routing": (False, "the payer's bank routing number, or empty"),
    "account": (False, "the payer's bank account number, or empty"),
    "payer_name": (False, "the payer's name as on the check, or empty"),
    "customer_id": (False, "the customer number the lockbox keyed, or empty"),
    "check_amount": (True, "the check's amount such as 1250.00, the same on every row of the check"),
    "invoice_id": (False, "the invoice number the row pays, or empty"),
    "amount_paid": (False, "what the row pays of that invoice such as 500.00, or empty"),
    "discount": (False, "the discount taken on that invoice such as 10.00, or empty"),
    "currency": (False, "three capital letters such as USD (default: the source's currency)"),
}
_KEY = ("deposit_date", "lockbox", "batch", "item", "check_number")


@dataclass(slots=True)
class _Check:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def read_lockbox(text: str, *, file_name: str, columns: dict[str, str] | None = None,
                 delimiter: str = ",", currency: str = "USD") -> BankRead:
    """Read a lockbox file; ``columns`` maps o2c's column names to the file's headers (the rest
    keep their names); ``currency``: what the checks are in when the file has no currency."""
    out = BankRead()
    named = {ours: (columns or {}).get(ours, ours) for ours in LOCKBOX_COLUMNS}
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(rows, [])]
    missing = [f"{named[c]!r}" + (f" ({c})" if named[c] != c else "")
               for c, (required, _) in LOCKBOX_COLUMNS.items() if required and named[c] not in header]
    if not header or missing:
        out.errors.append(Problem(file_name, "line 1", "header",
                                  f"the header lacks the columns {', '.join(missing)}" if header else
                                  "the file is empty: expected a header naming the lockbox columns"))
        return out
    where = {ours: header.index(theirs) for ours, theirs in named.items() if theirs in header}
    checks: dict[tuple[str, ...], _Check] = {}
    for cells in rows:
        if not any(c.strip() for c in cells):
            continue
        row = {ours: (cells[i].strip() if i < len(cells) else "") for ours, i in where.items()}
        checks.setdefault(tuple(row.get(k, "") for k in _KEY), _Check()).rows.append((rows.line_num, row))
    for check in checks.values():
        _payment(out, check, file_name, named, currency)
    return out


def _payment(out: BankRead, check: _Check, file: str, named: dict[str, str], default_currency: str) -> None:
    problems: list[Problem] = []
    first_line, first = check.rows[0]

    def bad(line: int, column: str, message: str) -> None:
        problems.append(Problem(file, f"line {line}", named[column], message))

    for column, (required, what) in LOCKBOX_COLUMNS.items():
        if required and not first.get(column):
            bad(first_line, column, f"empty: expected {what}")
    deposit = first.get("deposit_date", "")
    try:
        date.fromisoformat(deposit)
    except ValueError:
        if deposit:
            bad(first_line, "deposit_date", f"expected a date YYYY-MM-DD, not {deposit!r}")

    def same(column: str) -> str:
        """The check's value of ``column``: the first non-empty, the others agreeing."""
        values = [(line, row.get(column, "")) for line, row in check.rows if row.get(column, "")]
        for line, v in values[1:]:
            if v != values[0][1]:
                bad(line, column, f"{v!r} differs from {values[0][1]!r} on line {values[0][0]}, "
                                  "on the same check")
        return values[0][1] if values else ""

    check_amount = same("check_amount")
    amount = decimal_of(check_amount)
    if check_amount and amount is None:
        bad(first_line, "check_amount", f"expected an amount such as 1250.00, not {check_amount!r}")
    currency = same("currency") or default_currency
    references: list[dict[str, Any]] = []
    paid, all_paid = Decimal(0), True
    for line, row in check.rows:
        invoice = row.get("invoice_id", "")
        cells = {c: row.get(c, "") for c in ("amount_paid", "discount")}
        numbers: dict[str, Decimal | None] = {}
        for column, cell in cells.items():
            numbers[column] = decimal_of(cell)
            if cell and numbers[column] is None:
                bad(line, column, f"expected an amount such as 500.00, not {cell!r}")
        if not invoice:
            if cells["amount_paid"] or cells["discount"]:
                bad(line, "invoice_id", "empty, but the row pays an amount: name the invoice it pays")
            continue
        ref: dict[str, Any] = {"invoice_id": invoice}
        if numbers["amount_paid"] is not None:
            ref["amount"] = amount_text(numbers["amount_paid"])
            paid += numbers["amount_paid"]
        else:
            all_paid = False
        if numbers["discount"] is not None:
            ref["discount"] = amount_text(numbers["discount"])
        references.append(ref)
    routing, account = same("routing"), same("account")
    key = [first.get(k, "") or "-" for k in _KEY]
    payment_id = (f"lockbox:{key[0]}:{key[1]}:{key[2]}/{key[3]}:{key[4]}:"
                  f"{routing or '-'}/{account or '-'}")
    body: dict[str, Any] = {
        "payment_id": payment_id,
        "customer_id": same("customer_id"),
        "payer_name": same("payer_name"),
        "payer_account": f"{routing}/{account}" if routing and account else routing or account,
        "amount": amount_text(amount) if amount is not None else check_amount,
        "currency": currency,
        "method": "check",
        "value_date": deposit or None,
        "references": references,
        "text": "",
    }
    if not problems and amount is not None and references and all_paid and paid != amount:
        out.warnings.append(Problem(
            file, f"line {first_line}", named["check_amount"],
            f"check {key[4]} is for {amount_text(amount)}, but its rows pay {amount_text(paid)}; the "
            f"payment is taken for {amount_text(amount)}, the difference left for cash application"))
    out.take(body, problems, file, f"line {first_line}")
