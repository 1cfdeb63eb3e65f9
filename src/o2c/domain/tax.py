"""Sales tax by the ship-to's jurisdiction: the pure computation.

Each invoice line knows where it ships (its ship-to), its product's tax class and its
amount. The rates that apply to a line are those of the ship-to's state or province and,
where loaded, of its county and city (:meth:`o2c.domain.master.TaxRate.applies_to`), for
the line's tax class, valid on the invoice date; they stack (GST + PST, state + county +
city). Lines of the class ``exempt`` are never taxed. A customer's exemption certificate
valid on the invoice date for the jurisdiction zeroes that jurisdiction's tax (the tax
line stays, with its base and the certificate that zeroed it).

Tax lines are one per jurisdiction, tax name and rate (and certificate): the base is the
sum of the lines' amounts, and the tax is rounded to the currency once per tax line, half
up. The invoice's tax is the sum of its tax lines.

A jurisdiction is known for a tax class when a state or province rate applies (a state
without a sales tax is loaded with a rate of 0); a line whose ship-to and class find none is
*unresolved*: o2c does not guess (billing holds it, ``BIL-TAX-UNRESOLVED``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from o2c.domain.master import EXEMPT_CLASS, ExemptionCertificate, ShipTo, TaxRate
from o2c.domain.money import Money, quantum


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxableLine:
    """One invoice line as tax sees it: ``ref`` names it (``3``, or ``SO-1:3`` on an invoice
    of several orders), ``amount`` is its rounded amount in the invoice's currency."""

    ref: str
    ship_to: ShipTo
    tax_class: str
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxLine:
    """One tax on the invoice: ``name`` (GST, state…) of ``jurisdiction`` (``US-IL``,
    ``US-IL/city=Chicago``) at ``rate`` on ``taxable``; ``amount`` is zero when the
    exemption certificate ``certificate_id`` zeroed it."""

    name: str
    jurisdiction: str
    rate: Decimal
    taxable: Money
    amount: Money
    certificate_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Unresolved:
    """Lines whose ship-to and tax class found no state or provincial rate."""

    ship_to_id: str
    jurisdiction: str
    tax_class: str
    refs: tuple[str, ...]

    @property
    def reason(self) -> str:
        where = f"ship-to {self.ship_to_id} ({self.jurisdiction})"
        return (f"no tax rate for tax class {self.tax_class!r} in {self.jurisdiction} "
                f"(line {', '.join(self.refs)} to {where})")


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxResult:
    lines: tuple[TaxLine, ...]
    unresolved: tuple[Unresolved, ...]
    currency: str

    @property
    def total(self) -> Money:
        return Money(sum((t.amount.amount for t in self.lines), Decimal(0)), self.currency).round()


def _certificate(jurisdiction: str, exemptions: Iterable[ExemptionCertificate],
                 day: date) -> ExemptionCertificate | None:
    valid = [c for c in exemptions if c.exempts(jurisdiction, day)]
    return min(valid, key=lambda c: c.certificate_id) if valid else None


def compute_tax(lines: Iterable[TaxableLine], rates: Iterable[TaxRate],
                exemptions: Iterable[ExemptionCertificate], day: date, currency: str) -> TaxResult:
    """The tax lines of an invoice of ``lines`` on ``day`` (see the module docstring), and
    the lines whose jurisdiction is unknown. Independent of the order of the lines."""
    rates = tuple(rates)
    exemptions = tuple(exemptions)
    q = quantum(currency)
    # (jurisdiction, name, rate, certificate) -> taxable base
    bases: dict[tuple[str, str, Decimal, str | None], Decimal] = {}
    missing: dict[tuple[str, str, str], list[str]] = {}
    # the rates (with their certificate) of each ship-to and tax class: lines share them
    applying: dict[tuple[ShipTo, str], list[tuple[str, str, Decimal, str | None]]] = {}
    for ln in lines:
        if ln.tax_class == EXEMPT_CLASS:
            continue
        keys = applying.get((ln.ship_to, ln.tax_class))
        if keys is None:
            found = [r for r in rates if r.applies_to(ln.ship_to, ln.tax_class, day)]
            keys = []
            if any(not r.local for r in found):
                for r in found:
                    cert = _certificate(r.jurisdiction, exemptions, day)
                    keys.append((r.jurisdiction, r.name, r.rate, cert.certificate_id if cert else None))
            applying[(ln.ship_to, ln.tax_class)] = keys
        if not keys:
            key = (ln.ship_to.ship_to_id, ln.ship_to.jurisdiction, ln.tax_class)
            missing.setdefault(key, []).append(ln.ref)
            continue
        for k in keys:
            bases[k] = bases.get(k, Decimal(0)) + ln.amount
    out = []
    for (jurisdiction, name, rate, cert_id), base in sorted(
            bases.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or "")):
        amount = Decimal(0) if cert_id else (base * rate).quantize(q, ROUND_HALF_UP)
        out.append(TaxLine(name=name, jurisdiction=jurisdiction, rate=rate,
                           taxable=Money(base, currency), amount=Money(amount, currency).round(),
                           certificate_id=cert_id))
    unresolved = tuple(Unresolved(ship_to_id=s, jurisdiction=j, tax_class=c, refs=tuple(sorted(refs)))
                       for (s, j, c), refs in sorted(missing.items()))
    return TaxResult(lines=tuple(out), unresolved=unresolved, currency=currency)
