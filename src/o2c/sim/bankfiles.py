"""Bank files as banks write them, for the simulated distributor's customers who pay through
a bank rather than by EDI: a lockbox CSV of the day's checks, a BAI2 prior-day report of the
account's credits, an ISO 20022 camt.054 credit notification.

Pure: each writer turns a list of :class:`Credit` (what one payer paid, as the bank saw it) into
the file's text or bytes; nothing here draws a random number or reads a clock. What a credit
says is what o2c's readers (:mod:`o2c.adapters.bank`) give back: the amount, the currency, the
value date, the payer as the bank knows them, each invoice the payer named with what it pays,
and the free text. What each file cannot carry is left out, as the bank would leave it out: a
BAI2 credit has no payer but in its text and no structured references; a camt.054 does not
carry the discount a payer took; a lockbox row has no free text.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from o2c.adapters.bank import LOCKBOX_COLUMNS
from o2c.domain.money import MINOR_UNITS

__all__ = ["CAMT054_NAMESPACE", "Credit", "Line", "bai2_file", "camt054", "lockbox_csv", "wrap"]

CAMT054_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
#: the longest BAI2 record a writer puts on one physical line (the customary 80)
BAI2_RECORD = 80
#: the longest ``Ustrd`` ISO 20022 allows
USTRD = 140
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One invoice a payer named, as written (typos and all); ``amount``: what it pays of it,
    None when the payer did not say; ``discount``: the discount taken on it (lockbox only)."""

    invoice_id: str
    amount: Decimal | None = None
    discount: Decimal = _ZERO


@dataclass(frozen=True, slots=True, kw_only=True)
class Credit:
    """One payment into the account: a check in a lockbox, an ACH or wire credit, a transfer.

    ``reference``: the bank's own reference of it (a BAI2 bank reference, a camt
    ``AcctSvcrRef``, a lockbox check number). ``payer_account``: the payer's account as the
    bank saw it (for a check, ``routing/account`` from its MICR line). ``customer_id``: the
    customer number a lockbox keyed, if any. ``lines``: the invoices named in a structured
    form (lockbox rows, camt ``Strd``); ``text``: the free remittance text (BAI2 text, camt
    ``Ustrd``). ``type_code``: the BAI2 detail type code (165 ACH, 195 wire, 399 other...).
    """

    reference: str
    amount: Decimal
    currency: str
    value_date: date
    payer_name: str = ""
    payer_account: str = ""
    customer_id: str = ""
    lines: tuple[Line, ...] = ()
    text: str = ""
    type_code: int = 165


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _minor(value: Decimal, currency: str) -> int:
    return int(value.scaleb(MINOR_UNITS[currency]).to_integral_exact())


# ------------------------------------------------------------------ lockbox


def lockbox_csv(checks: Sequence[Credit], *, deposit_date: date, lockbox: str,
                columns: Mapping[str, str] | None = None, delimiter: str = ",",
                batch_size: int = 50) -> str:
    """A lockbox file of the day's checks: a row per invoice a check pays (a check naming none
    has one row without an invoice), the check amount on every row of its check, in batches of
    ``batch_size`` items. ``columns`` renames o2c's columns to the lockbox's own headers."""
    names = {c: (columns or {}).get(c, c) for c in LOCKBOX_COLUMNS}
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(names.values())
    for n, check in enumerate(checks):
        routing, _, account = check.payer_account.partition("/")
        head = {"deposit_date": deposit_date.isoformat(), "lockbox": lockbox,
                "batch": str(n // batch_size + 1), "item": str(n % batch_size + 1),
                "check_number": check.reference, "routing": routing, "account": account,
                "payer_name": check.payer_name, "customer_id": check.customer_id,
                "check_amount": _money(check.amount), "currency": check.currency}
        for line in check.lines or (Line(invoice_id=""),):
            row = {**head, "invoice_id": line.invoice_id,
                   "amount_paid": _money(line.amount) if line.amount is not None and line.invoice_id else "",
                   "discount": _money(line.discount) if line.discount and line.invoice_id else ""}
            w.writerow([row.get(c, "") for c in LOCKBOX_COLUMNS])
    return out.getvalue()


# ------------------------------------------------------------------ BAI2


def wrap(text: str, first: int, rest: int) -> list[str]:
    """``text`` cut at spaces into pieces of at most ``first`` then ``rest`` characters (a
    word longer than that is a piece of its own); joined with one space, they give ``text``
    back, its runs of spaces made one."""
    pieces: list[str] = []
    for word in text.split():
        limit = first if len(pieces) == 1 else rest  # the room of the piece it would join
        if pieces and len(pieces[-1]) + 1 + len(word) <= limit:
            pieces[-1] += " " + word
        else:
            pieces.append(word)
    return pieces


def bai2_file(credits: Sequence[Credit], *, sender: str, receiver: str, bank: str, account: str,
              currency: str, as_of: date, created: datetime, file_id: str,
              opening: Decimal = _ZERO) -> str:
    """A BAI2 prior-day report of one account: 01 file header, 02 group (the bank, as of
    ``as_of``), 03 account (opening ledger ``opening``, closing ledger, total credits with
    their count), a 16 per credit (its type code, amount in minor units, value date when it is
    not ``as_of``, the bank reference, free text continued in 88 records), then 49, 98 and 99
    trailers whose control totals and record counts add up."""
    total = sum((c.amount for c in credits), _ZERO)
    closing = opening + total
    summary = [("010", opening, ""), ("015", closing, ""), ("100", total, str(len(credits)))]
    head = ",".join(f"{code},{_minor(v, currency)},{count}," for code, v, count in summary)
    body = [f"03,{account},{currency},{head}/"]
    control = sum(_minor(v, currency) for _, v, _ in summary)
    for c in credits:
        funds = "0" if c.value_date == as_of else f"V,{c.value_date:%y%m%d},"
        record = f"16,{c.type_code},{_minor(c.amount, currency)},{funds},{c.reference},,"
        pieces = wrap(c.text, max(1, BAI2_RECORD - len(record) - 1), BAI2_RECORD - 4)
        body.append(f"{record}{pieces[0] if pieces else ''}/")
        body += [f"88,{p}/" for p in pieces[1:]]
        control += _minor(c.amount, currency)
    body.append(f"49,{control},{len(body) + 1}/")
    records = [f"01,{sender},{receiver},{created:%y%m%d},{created:%H%M},{file_id},{BAI2_RECORD},,2/",
               f"02,{receiver},{bank},1,{as_of:%y%m%d},,{currency},2/", *body]
    records.append(f"98,{control},1,{len(records)}/")  # 02 to 98: all but the 01
    records.append(f"99,{control},1,{len(records) + 1}/")
    return "\n".join(records) + "\n"


# ------------------------------------------------------------------ camt.054


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    e = ET.SubElement(parent, tag, attrib)
    if text is not None:
        e.text = text
    return e


def _path(parent: ET.Element, path: str, text: str) -> ET.Element:
    e = parent
    for tag in path.split("/"):
        e = _el(e, tag)
    e.text = text
    return e


def camt054(credits: Sequence[Credit], *, message_id: str, created: datetime, account: str,
            currency: str, owner: str) -> bytes:
    """A camt.054 (version 8) notifying the account's credits: an entry per credit, booked on
    its value date under its reference, with one transaction giving its amount, the debtor's
    name and account, and the remittance: an ``Ustrd`` of the free text (cut to 140
    characters a piece), and a ``Strd`` per invoice named (``CINV``, with the amount it pays
    when the payer said)."""
    doc = ET.Element("Document", {"xmlns": CAMT054_NAMESPACE})
    msg = _el(doc, "BkToCstmrDbtCdtNtfctn")
    hdr = _el(msg, "GrpHdr")
    _el(hdr, "MsgId", message_id)
    _el(hdr, "CreDtTm", created.isoformat(timespec="seconds"))
    ntf = _el(msg, "Ntfctn")
    _el(ntf, "Id", message_id)
    _el(ntf, "CreDtTm", created.isoformat(timespec="seconds"))
    acct = _el(ntf, "Acct")
    _path(acct, "Id/Othr/Id", account)
    _el(acct, "Ccy", currency)
    _path(acct, "Ownr/Nm", owner)
    for n, c in enumerate(credits, 1):
        amount = _money(c.amount)
        ntry = _el(ntf, "Ntry")
        _el(ntry, "NtryRef", str(n))
        _el(ntry, "Amt", amount, Ccy=c.currency)
        _el(ntry, "CdtDbtInd", "CRDT")
        _path(ntry, "Sts/Cd", "BOOK")
        _path(ntry, "BookgDt/Dt", c.value_date.isoformat())
        _path(ntry, "ValDt/Dt", c.value_date.isoformat())
        _el(ntry, "AcctSvcrRef", c.reference)
        domain = _el(_el(ntry, "BkTxCd"), "Domn")
        _el(domain, "Cd", "PMNT")
        fmly = _el(domain, "Fmly")
        _el(fmly, "Cd", "RCDT")
        _el(fmly, "SubFmlyCd", "DMCT")
        tx = _el(_el(ntry, "NtryDtls"), "TxDtls")
        refs = _el(tx, "Refs")
        _el(refs, "AcctSvcrRef", c.reference)
        _el(refs, "EndToEndId", "NOTPROVIDED")
        _el(tx, "Amt", amount, Ccy=c.currency)
        _el(tx, "CdtDbtInd", "CRDT")
        parties = _el(tx, "RltdPties")
        if c.payer_name:
            _path(parties, "Dbtr/Pty/Nm", c.payer_name)
        if c.payer_account:
            _path(parties, "DbtrAcct/Id/Othr/Id", c.payer_account)
        if c.text or c.lines:
            rmt = _el(tx, "RmtInf")
            for piece in wrap(c.text, USTRD, USTRD):
                _el(rmt, "Ustrd", piece)
            for line in c.lines:
                strd = _el(rmt, "Strd")
                doc_inf = _el(strd, "RfrdDocInf")
                _path(doc_inf, "Tp/CdOrPrtry/Cd", "CINV")
                _el(doc_inf, "Nb", line.invoice_id)
                if line.amount is not None:
                    _el(_el(strd, "RfrdDocAmt"), "RmtdAmt", _money(line.amount), Ccy=c.currency)
    ET.indent(doc)
    data: bytes = ET.tostring(doc, encoding="utf-8", xml_declaration=True)
    return data
