"""The simulated distributor's customers who pay through a bank, not by EDI, and the bank files
that bring their cash to o2c.

Each such customer pays one way, drawn once from the seed: US01's check payers mail checks to
the distributor's lockbox, whose bank sends one lockbox file a business day (the customer number
keyed for most checks; a check pays every invoice its payer settles that day; now and then a
stub row without its invoice number, or one keyed wrong); US01's ACH and wire payers show in the
bank's BAI2 prior-day report, the next business morning, named only in free text
(``MERCY CLINIC INV US01-0000123``, ``PAYMENT FOR INVOICES ...``), some with formatting noise,
a few with a typo or no reference at all; CA01's payers pay by transfer, notified in a camt.054
each business day, some with structured remittance (an invoice number and amount each), the
others in unstructured text. Each file is stored whole and read by the bank splitters, as any
bank's would be.

:class:`BankPayers` is the part of :class:`~o2c.sim.run.Simulation` that plays them. Its draws
come from its own random stream, so the rest of the simulation is the same as without it.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from o2c.adapters.documents import Integrations
from o2c.adapters.raw import BAI2, CAMT, LOCKBOX
from o2c.sim.bankfiles import Credit, Line, bai2_file, camt054, lockbox_csv
from o2c.sim.remittances import _formatting, _typo

if TYPE_CHECKING:
    from o2c.sim.run import SimStats
    from o2c.sim.world import SimCustomer

#: the bank source of each kind of file (as configured in ``integrations.yaml``)
BANK_SOURCES = {LOCKBOX: "harbor-bank-lockbox", BAI2: "harbor-bank", CAMT: "banque-boreale"}
BANK_FILES = frozenset(BANK_SOURCES)
#: the distributor's accounts the files report: US01's at Harbor Bank, CA01's at Banque Boréale
HARBOR = ("HARBORBK", "4400012345", "7071")  # BAI2 sender and bank id, account, lockbox number
BOREALE = ("00012-001-1234567", "Northwind Supply Canada Ltd.")
#: the share of US01's customers not on EDI who pay by check (the others by ACH or wire)
CHECK_PAYERS = 55
#: the share of CA01's customers whose transfers carry structured remittance
STRUCTURED = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class BankNoise:
    """How often what reaches the bank is less than exact (per credit, or per invoice named)."""

    #: lockbox: checks whose customer number the lockbox keys; stub rows without an invoice
    #: number; invoice numbers keyed with a typo (only when the customer number is keyed)
    keyed: float = 0.92
    no_invoice: float = 0.04
    keyed_typo: float = 0.02
    #: BAI2 and camt free text: invoice numbers written loosely; a typo in one of several;
    #: credits whose text names no invoice at all
    formatting: float = 0.2
    typo: float = 0.03
    no_reference: float = 0.03
    #: BAI2: credits by wire (195) and by other credit (399); the rest ACH (165)
    wire: float = 0.12
    other: float = 0.05


@dataclass(slots=True)
class Banking:
    """The banks' state in a run: their random stream and running numbers."""

    seed: int
    rng: random.Random = field(init=False)
    noise: BankNoise = field(default_factory=BankNoise)
    checks: dict[str, int] = field(default_factory=dict)  # check numbers each payer has written
    files: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed * 7919 + 5)

    def channel(self, sc: SimCustomer) -> str:
        """How a customer not on EDI pays: drawn once per customer from the seed."""
        if sc.customer.legal_entity_id != "US01":
            return CAMT
        return LOCKBOX if self._share(sc, "channel") < CHECK_PAYERS else BAI2

    def structured(self, sc: SimCustomer) -> bool:
        return self._share(sc, "structured") < STRUCTURED

    def _share(self, sc: SimCustomer, what: str) -> int:
        return zlib.crc32(f"{self.seed}:{what}:{sc.customer.customer_id}".encode()) % 100


@dataclass(frozen=True, slots=True)
class _Paid:
    customer_id: str
    invoice_id: str
    amount: Decimal
    discount: Decimal
    currency: str
    day: date


def bank_day(when: datetime, cutoff: time) -> date:
    """The business day a bank books a payment made at ``when`` (after ``cutoff``: the next)."""
    day = when.date() + timedelta(days=1 if when.timetz().replace(tzinfo=None) > cutoff else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


#: when each kind of file arrives (UTC) for the business day it reports, and the cutoff of
#: what it holds: the lockbox file at the end of the deposit day, the camt.054 after the day's
#: last booking, the BAI2 prior-day report the next business morning
_CUTOFF = {LOCKBOX: time(21), CAMT: time(22), BAI2: time(23, 59, 59)}


def file_time(kind: str, day: date) -> datetime:
    if kind == BAI2:
        return datetime.combine(_next_business_day(day), time(11), tzinfo=UTC)
    return datetime.combine(day, _CUTOFF[kind], tzinfo=UTC)


def _payer_name(name: str) -> str:
    """A payer's name as an ACH originator writes it: capitals, without our numbering."""
    return re.sub(r"\s*\d+$", "", name).upper()[:16]


class BankPayers:
    """The customers paying through banks, and their banks (see the module docstring). The
    attributes below are the simulation's own."""

    customers: dict[str, SimCustomer]
    integrations: Integrations
    banking: Banking
    stats: SimStats
    collect: Callable[[datetime, str, str, Any], None]
    document: Callable[[datetime, str, str, bytes, str], None]

    def _bank_pay(self, when: datetime, sc: SimCustomer, inv: dict[str, Any], amount: Decimal,
                  taken: Decimal) -> None:
        """A customer not on EDI pays ``inv`` at ``when``: its bank books it on a business day
        and reports it in that day's file of its kind."""
        kind = self.banking.channel(sc)
        day = bank_day(when, _CUTOFF[kind])
        self.collect(file_time(kind, day), BANK_SOURCES[kind], kind,
                     _Paid(sc.customer.customer_id, inv["invoice_id"], amount, taken, inv["currency"], day))

    def _bank_file(self, source: str, kind: str, when: datetime, items: list[_Paid]) -> None:
        """The bank sends the day's file: one credit per payer (a check, an ACH credit, a
        transfer) for every invoice the payer settled that day."""
        by_payer: dict[str, list[_Paid]] = {}
        for p in items:
            by_payer.setdefault(p.customer_id, []).append(p)
        day = items[0].day
        self.banking.files += 1
        n = self.banking.files
        if kind == LOCKBOX:
            checks = [self._check(cid, paid) for cid, paid in by_payer.items()]
            config = next((b for b in self.integrations.banks if (b.source, b.kind) == (source, kind)), None)
            text = lockbox_csv(checks, deposit_date=day, lockbox=HARBOR[2],
                               columns=config.columns if config else None,
                               delimiter=config.delimiter if config else ",")
            data, name = text.encode(), f"lockbox-{HARBOR[2]}-{day:%Y%m%d}.csv"
        elif kind == BAI2:
            credits = [self._ach(cid, paid, f"{day:%y%m%d}{k:04d}") for k, (cid, paid) in
                       enumerate(by_payer.items(), 1)]
            data = bai2_file(credits, sender=HARBOR[0], receiver="NORTHWIND", bank=HARBOR[0],
                             account=HARBOR[1], currency="USD", as_of=day, created=when,
                             file_id=f"{n:04d}").encode()
            name = f"bai2-{HARBOR[1]}-{day:%Y%m%d}.txt"
        else:
            credits = [self._transfer(cid, paid, f"BB{day:%y%m%d}{k:04d}") for k, (cid, paid) in
                       enumerate(by_payer.items(), 1)]
            data = camt054(credits, message_id=f"BB-NTF-{day:%Y%m%d}-{n:04d}", created=when,
                           account=BOREALE[0], currency="CAD", owner=BOREALE[1])
            name = f"camt054-{day:%Y%m%d}.xml"
        self.stats.bank_files[kind] = self.stats.bank_files.get(kind, 0) + 1
        self.document(when, source, kind, data, name)

    # ------------------------------------------------------------ how each payer writes

    def _reference(self, invoice_id: str, loose: float) -> str:
        """An invoice number as a payer writes it in free text: mostly as issued, sometimes
        loosely (lower case, no zero padding, a space for the dash, a prefix)."""
        rng = self.banking.rng
        return _formatting(rng, invoice_id)[0] if rng.random() < loose else invoice_id

    def _typo(self, invoice_id: str, others: list[_Paid]) -> str:
        """One character of the number wrong or two swapped (never another invoice paid with it)."""
        typo = _typo(self.banking.rng, invoice_id, {p.invoice_id for p in others})
        return typo[0] if typo else invoice_id

    def _account(self, cid: str) -> tuple[int, str]:
        bank = zlib.crc32(f"bank:{cid}".encode())
        return bank, f"{bank % 10**9:09d}/{bank % 10**8:08d}"

    def _check(self, cid: str, paid: list[_Paid]) -> Credit:
        rng, noise = self.banking.rng, self.banking.noise
        keyed = rng.random() < noise.keyed
        lines = []
        for p in paid:
            if rng.random() < noise.no_invoice:
                lines.append(Line(invoice_id=""))  # a stub row whose invoice number is missing
                continue
            invoice = p.invoice_id
            if keyed and rng.random() < noise.keyed_typo:
                invoice = self._typo(p.invoice_id, paid)
            lines.append(Line(invoice_id=invoice, amount=p.amount, discount=p.discount))
        bank, account = self._account(cid)
        number = self.banking.checks[cid] = self.banking.checks.get(cid, 1000 + bank % 8000) + 1
        return Credit(reference=str(number), amount=sum((p.amount for p in paid), Decimal(0)),
                      currency=paid[0].currency, value_date=paid[0].day,
                      payer_name=self.customers[cid].customer.name, payer_account=account,
                      customer_id=cid if keyed else "",
                      lines=tuple(lines))

    def _free_text(self, paid: list[_Paid], single: str, several: str) -> str:
        """The remittance a payer writes in a transfer's free text: the invoice numbers it
        pays (one of several now and then with a typo), or, rarely, none."""
        rng, noise = self.banking.rng, self.banking.noise
        if rng.random() < noise.no_reference:
            return ""
        refs = [self._reference(p.invoice_id, noise.formatting) for p in paid]
        if len(refs) > 1 and rng.random() < noise.typo:  # the first still names the payer
            k = rng.randrange(1, len(refs))
            refs[k] = self._typo(paid[k].invoice_id, paid)
        return f"{single} {refs[0]}" if len(refs) == 1 else f"{several} {' '.join(refs)}"

    def _ach(self, cid: str, paid: list[_Paid], reference: str) -> Credit:
        rng, noise = self.banking.rng, self.banking.noise
        name = _payer_name(self.customers[cid].customer.name)
        roll = rng.random()
        code = 195 if roll < noise.wire else 399 if roll < noise.wire + noise.other else 165
        remit = self._free_text(paid, "INV", "PAYMENT FOR INVOICES") or "PAYMENT"
        return Credit(reference=reference, amount=sum((p.amount for p in paid), Decimal(0)),
                      currency=paid[0].currency, value_date=paid[0].day, text=f"{name} {remit}",
                      type_code=code)

    def _transfer(self, cid: str, paid: list[_Paid], reference: str) -> Credit:
        sc = self.customers[cid]
        bank, _ = self._account(cid)
        amount = sum((p.amount for p in paid), Decimal(0))
        base = Credit(reference=reference, amount=amount, currency=paid[0].currency, value_date=paid[0].day,
                      payer_name=sc.customer.name,
                      payer_account=f"{bank % 10**5:05d}-{bank % 997:03d}-{bank % 10**7:07d}")
        if self.banking.structured(sc):
            if self.banking.rng.random() < self.banking.noise.no_reference:
                return replace(base, text="PAIEMENT")
            return replace(base, lines=tuple(Line(invoice_id=p.invoice_id, amount=p.amount) for p in paid))
        text = self._free_text(paid, "PAIEMENT FACTURE", "PAIEMENT FACTURES") or "PAIEMENT"
        return replace(base, text=text)
