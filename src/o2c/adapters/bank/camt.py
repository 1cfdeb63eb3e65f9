"""ISO 20022 bank to customer statements (camt.053), notifications (camt.054) and intraday
reports (camt.052), any version (``urn:iso:std:iso:20022:tech:xsd:camt.05x.001.NN``) ->
``payment`` messages.

Each credit entry (``Ntry`` with ``CdtDbtInd`` ``CRDT``) is one payment when it has no
transaction details, else each of its credit transaction details (``NtryDtls/TxDtls``) is one (a
batch booking: one entry for many payers); an entry whose several transactions give no amounts
is one payment of the entry's amount with all their remittance. Debits are skipped, and so are reversals
(``RvslInd`` true: a debit of ours coming back, not a payer's payment). What o2c reads:

- amount and currency: ``TxDtls/Amt`` (version 4 on), ``TxDtls/AmtDtls/TxAmt/Amt`` (earlier), or
  the entry's ``Amt`` when the entry has one transaction; ``Amt@Ccy`` is the currency.
- ``value_date``: ``ValDt/Dt`` (or ``DtTm``), else ``BookgDt``.
- payer: ``RltdPties/Dbtr/Nm`` (``Dbtr/Pty/Nm`` from version 8), else the ultimate debtor's;
  ``payer_account``: ``RltdPties/DbtrAcct/Id/IBAN``, else ``.../Othr/Id``.
- remittance: every ``RmtInf/Ustrd`` and ``Strd/AddtlRmtInf`` -> ``text``; each
  ``Strd/RfrdDocInf``: ``Nb`` with ``Tp/CdOrPrtry/Cd`` ``CINV`` -> an ``invoice_id``, ``PUOR`` or
  ``PO`` -> a ``PO`` reference, another code -> a reference of unknown kind; its amount from the
  ``Strd``'s ``RfrdDocAmt/RmtdAmt`` (else ``DuePyblAmt``) when the ``Strd`` names one document
  (a credit note, ``CREN``, is named without an amount: it is not what the line pays);
  ``CdtrRefInf/Ref`` -> a reference of unknown kind (often a structured creditor reference).
- ``method`` from the bank transaction code family: ``RCHQ`` check, ``RDDT`` direct debit,
  else ``transfer``.

Payment ids: ``camt:<account>:<entry>[:<transaction>]``. The entry is named by its
``AcctSvcrRef`` (the bank's own unique reference of the booking in the account, so the entry
notified in a camt.054 and reported again in the day's camt.053 is one payment), else by the
statement's ``Id`` (unique per statement, as ISO 20022 requires) and its ``NtryRef`` or place.
A transaction of an entry with several is named by its own ``Refs/AcctSvcrRef`` when that is
unique in the entry, else by its place in it (an ``EndToEndId`` is the payer's and may repeat).

XML from outside is refused if it declares a DOCTYPE or an entity (the standard library parser
would expand internal entities: a billion laughs); ``xml.etree`` does not fetch external ones.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any
from xml.parsers import expat

from o2c.adapters.bank.common import BankRead, Problem, amount_text, decimal_of

__all__ = ["read_camt"]

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.001\.\d{2}$")
_CONTAINERS = ("Stmt", "Ntfctn", "Rpt")
_INVOICE = ("CINV",)
_PO = ("PUOR", "PO")
_NO_AMOUNT = ("CREN",)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip(root: ET.Element) -> str:
    """Drop the namespaces of every tag (the camt versions differ only there, for what o2c
    reads); the root's namespace, for checking."""
    ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    for e in root.iter():
        e.tag = _local(e.tag)
    return ns


def _text(e: ET.Element | None, path: str) -> str:
    found = e.find(path) if e is not None else None
    return (found.text or "").strip() if found is not None else ""


def _first(e: ET.Element, *paths: str) -> str:
    return next((t for t in (_text(e, p) for p in paths) if t), "")


def _date(e: ET.Element | None) -> str:
    """``Dt`` or the date of ``DtTm`` under ``e``, as written."""
    if e is None:
        return ""
    return _text(e, "Dt") or _text(e, "DtTm")[:10]


class _Refused(Exception):
    pass


def _refuse(*_: object) -> None:
    raise _Refused


def _unsafe(data: bytes) -> tuple[str, str, str] | None:
    """Why ``data`` is not taken (not well-formed, or declaring a DOCTYPE or an entity), as
    (where, field, message), or None. A first pass with expat, which stops at the declaration
    before any entity is expanded."""
    p = expat.ParserCreate()
    p.StartDoctypeDeclHandler = _refuse
    p.EntityDeclHandler = _refuse
    try:
        p.Parse(data, True)
    except _Refused:
        return (f"line {p.CurrentLineNumber}", "DOCTYPE",
                "a DOCTYPE or entity declaration is not taken: camt files need none, and entities "
                "could be expanded without end")
    except expat.ExpatError as e:
        return (f"line {e.lineno}, column {e.offset + 1}", "",
                f"not well-formed XML: {expat.ErrorString(e.code)}")
    return None


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.out = BankRead()

    def read(self, data: bytes) -> BankRead:
        problem = _unsafe(data)
        if problem:
            self.broken(*problem)
            return self.out
        root = ET.fromstring(data)
        ns = _strip(root)
        if root.tag != "Document" or not _NAMESPACE.match(ns):
            self.broken(f"/{root.tag}", "namespace",
                        "expected a camt.052, camt.053 or camt.054 Document (namespace "
                        f"urn:iso:std:iso:20022:tech:xsd:camt.05x.001.NN), not {ns or 'none'!r}")
            return self.out
        message = next(iter(root), None)
        if message is None:
            self.broken("/Document", "", "the document holds no message")
            return self.out
        where = f"/Document/{message.tag}"
        containers = [c for c in message if c.tag in _CONTAINERS]
        if not containers:
            self.broken(where, "Stmt", "expected a Stmt, Ntfctn or Rpt holding the entries")
        for i, c in enumerate(containers, 1):
            self.container(c, f"{where}/{c.tag}[{i}]")
        return self.out

    def broken(self, at: str, fld: str, message: str) -> None:
        self.out.errors.append(Problem(self.file, at, fld, message))

    def container(self, c: ET.Element, where: str) -> None:
        statement = _text(c, "Id")
        account = _first(c, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        for n, ntry in enumerate(c.findall("Ntry"), 1):
            place = f"{statement or '-'}/{_text(ntry, 'NtryRef') or n}"
            self.entry(ntry, f"{where}/Ntry[{n}]", account or "-", place)

    def entry(self, ntry: ET.Element, where: str, account: str, place: str) -> None:
        indicator = _text(ntry, "CdtDbtInd")
        if indicator == "DBIT" or _text(ntry, "RvslInd").lower() == "true":
            self.out.skipped += 1
            return
        key = f"camt:{account}:{_text(ntry, 'AcctSvcrRef') or place}"
        problems: list[Problem] = []
        if indicator != "CRDT":
            problems.append(Problem(self.file, f"{where}/CdtDbtInd", "CdtDbtInd",
                                    f"expected CRDT or DBIT, not {indicator!r}"))
        amount, currency = self.amount(ntry.find("Amt"), f"{where}/Amt", problems)
        value = _date(ntry.find("ValDt")) or _date(ntry.find("BookgDt"))
        family = _text(ntry, "BkTxCd/Domn/Fmly/Cd")
        method = "check" if family == "RCHQ" else "direct_debit" if family == "RDDT" else "transfer"
        txs = ntry.findall("NtryDtls/TxDtls")
        base: dict[str, Any] = {"currency": currency, "method": method, "value_date": value or None}
        if not txs:
            body = {"payment_id": key, **base, "amount": amount, "payer_name": "", "payer_account": "",
                    "references": [], "text": _text(ntry, "AddtlNtryInf")}
            self.take(body, problems, where)
            return
        if len(txs) > 1 and not any(t.find(p) is not None for t in txs for p in ("Amt", "AmtDtls/TxAmt/Amt")):
            self.batch(txs, key, base, amount, problems, where)
            return
        refs = [_text(t, "Refs/AcctSvcrRef") for t in txs]
        total, summed = Decimal(0), True
        for i, tx in enumerate(txs, 1):
            at = f"{where}/NtryDtls/TxDtls[{i}]"
            if _text(tx, "CdtDbtInd") == "DBIT":
                self.out.skipped += 1
                continue
            own = refs[i - 1]
            tx_key = key if len(txs) == 1 else f"{key}:{own if own and refs.count(own) == 1 else i}"
            mine = list(problems)
            path = "Amt" if tx.find("Amt") is not None else "AmtDtls/TxAmt/Amt"
            amt_el = tx.find(path)
            if amt_el is not None:
                tx_amount, tx_currency = self.amount(amt_el, f"{at}/{path}", mine)
            elif len(txs) == 1:
                tx_amount, tx_currency = amount, currency
            else:
                mine.append(Problem(self.file, at, "Amt", "a transaction of an entry with several needs its "
                                                          "own amount (Amt or AmtDtls/TxAmt/Amt)"))
                tx_amount, tx_currency = "", currency
            number = decimal_of(tx_amount)
            if number is None:
                summed = False
            else:
                total += number
            body = {"payment_id": tx_key, **base, "amount": tx_amount, "currency": tx_currency,
                    **self.payer(tx), **self.remittance(tx, f"{at}/RmtInf", tx_currency, mine)}
            self.take(body, mine, at)
        entry_amount = decimal_of(amount)
        if len(txs) > 1 and summed and entry_amount is not None and total != entry_amount \
                and all(_text(t, "CdtDbtInd") != "DBIT" for t in txs):
            self.out.warnings.append(Problem(
                self.file, f"{where}/Amt", "Amt",
                f"the entry books {amount}, but its transactions add up to {amount_text(total)}; "
                "each transaction is taken for its own amount"))

    def batch(self, txs: list[ET.Element], key: str, base: dict[str, Any], amount: str,
              problems: list[Problem], where: str) -> None:
        """An entry whose transactions say nothing of their amounts: one payment for the entry,
        with every transaction's remittance (the payer's when they all name the same)."""
        references: list[dict[str, Any]] = []
        text: list[str] = []
        payers = [self.payer(t) for t in txs]
        for i, tx in enumerate(txs, 1):
            got = self.remittance(tx, f"{where}/NtryDtls/TxDtls[{i}]/RmtInf", base["currency"], problems)
            references += got["references"]
            text.append(got["text"])
        payer = payers[0] if all(p == payers[0] for p in payers) else {"payer_name": "", "payer_account": ""}
        body = {"payment_id": key, **base, "amount": amount, **payer, "references": references,
                "text": " ".join(t for t in text if t)}
        self.take(body, problems, where)

    def take(self, body: dict[str, Any], problems: list[Problem], at: str) -> None:
        self.out.take(body, problems, self.file, at)

    def amount(self, e: ET.Element | None, at: str, problems: list[Problem]) -> tuple[str, str]:
        if e is None:
            problems.append(Problem(self.file, at, "Amt", "expected the amount, with its currency in Ccy"))
            return "", ""
        text, currency = (e.text or "").strip(), e.get("Ccy", "")
        if decimal_of(text) is None or "," in text:
            problems.append(Problem(self.file, at, "Amt",
                                    f"expected an amount such as 1250.00, not {text!r}"))
        if not currency:
            problems.append(Problem(self.file, at, "Ccy", "expected the currency (attribute Ccy)"))
        return text, currency

    def payer(self, tx: ET.Element) -> dict[str, str]:
        return {
            "payer_name": _first(tx, "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm", "RltdPties/UltmtDbtr/Nm",
                                 "RltdPties/UltmtDbtr/Pty/Nm"),
            "payer_account": _first(tx, "RltdPties/DbtrAcct/Id/IBAN", "RltdPties/DbtrAcct/Id/Othr/Id"),
        }

    def remittance(self, tx: ET.Element, at: str, currency: str, problems: list[Problem]) -> dict[str, Any]:
        rmt = tx.find("RmtInf")
        if rmt is None:
            return {"references": [], "text": _text(tx, "AddtlTxInf")}
        text = [(u.text or "").strip() for u in rmt.findall("Ustrd")]
        references: list[dict[str, Any]] = []
        for s, strd in enumerate(rmt.findall("Strd"), 1):
            docs = strd.findall("RfrdDocInf")
            paid = strd.find("RfrdDocAmt/RmtdAmt")
            if paid is None:
                paid = strd.find("RfrdDocAmt/DuePyblAmt")
            amount = None
            if paid is not None and len(docs) == 1:
                amount = (paid.text or "").strip()
                if paid.get("Ccy", currency) != currency:
                    problems.append(Problem(self.file, f"{at}/Strd[{s}]/RfrdDocAmt", "Ccy",
                                            f"the remitted amount is in {paid.get('Ccy')}, the payment "
                                            f"in {currency}"))
            for doc in docs:
                number = _text(doc, "Nb")
                if not number:
                    continue
                code = _first(doc, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry").upper()
                line: dict[str, Any] = ({"invoice_id": number} if code in _INVOICE else
                                        {"reference": number, "qualifier": "PO" if code in _PO else ""})
                if amount is not None and code not in _NO_AMOUNT:
                    line["amount"] = amount
                references.append(line)
            for ref in strd.findall("CdtrRefInf/Ref"):
                if (ref.text or "").strip():
                    references.append({"reference": (ref.text or "").strip()})
            text += [(a.text or "").strip() for a in strd.findall("AddtlRmtInf")]
        return {"references": references, "text": " ".join(t for t in text if t)}


def read_camt(data: bytes, *, file_name: str) -> BankRead:
    """Read a camt.052/053/054 file (see the module)."""
    return _Reader(file_name).read(data)
