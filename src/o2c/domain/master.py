"""Master data: legal entities, warehouses, customers, products, contracts.

Master data is reference data the decision core reads; it changes through
its own commands, not as a side effect of orders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.domain.business_time import business_date
from o2c.domain.money import Money


class BillingTrigger(StrEnum):
    ON_SHIP = "on_ship"
    ON_POD = "on_pod"
    CONSOLIDATED = "consolidated"


_TERMS = re.compile(
    r"^\s*(?:(?P<pct>\d+(?:\.\d+)?)\s*%?\s*/\s*(?P<ddays>\d+)\s*,?\s*)?net\s*(?P<net>\d+)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentTerms:
    """Terms such as ``2/10 net 30``: 2 % off if paid within 10 days, due in 30."""

    code: str
    net_days: int
    discount_percent: Decimal = Decimal(0)
    discount_days: int = 0

    @staticmethod
    def parse(text: str) -> PaymentTerms:
        """Parse ``net 30``, ``2/10 net 30`` or ``1.5/15 net 45``; ValueError otherwise."""
        m = _TERMS.match(text)
        if not m:
            raise ValueError(f"payment terms {text!r} are not of the form '2/10 net 30' or 'net 30'")
        pct = Decimal(m["pct"]) if m["pct"] else Decimal(0)
        ddays = int(m["ddays"]) if m["ddays"] else 0
        net = int(m["net"])
        if ddays > net:
            raise ValueError(f"payment terms {text!r}: discount period is longer than net period")
        code = f"{pct.normalize():f}/{ddays} net {net}" if pct else f"net {net}"
        return PaymentTerms(code=code, net_days=net, discount_percent=pct, discount_days=ddays)

    def due_date(self, invoice_date: date) -> date:
        return invoice_date + timedelta(days=self.net_days)

    def discount_date(self, invoice_date: date) -> date | None:
        return invoice_date + timedelta(days=self.discount_days) if self.discount_percent else None

    def discount_on(self, total: Money) -> Money:
        return (total * (self.discount_percent / 100)).round()


@dataclass(frozen=True, slots=True, kw_only=True)
class LegalEntity:
    """The company that sells and invoices; owns a currency and a tax jurisdiction.
    ``timezone`` (IANA) is where its business dates fall: invoice and due dates,
    days past due, the day a policy version takes effect."""

    entity_id: str
    name: str
    currency: str
    tax_jurisdiction: str
    tax_rate: Decimal
    invoice_prefix: str
    timezone: str = "UTC"
    #: what its invoices must show (empty where master data does not say yet): its
    #: registered address, its tax registrations (``EIN 12-3456789; GST 123456789RT0001``)
    #: and where to pay (``Lockbox 4410, Dayton OH`` or a bank account); no remit-to: the address
    address: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    tax_registrations: str = ""
    remit_to: str = ""

    def business_date(self, instant: datetime) -> date:
        return business_date(instant, self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Warehouse:
    warehouse_id: str
    legal_entity_id: str
    name: str
    region: str
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipTo:
    ship_to_id: str
    name: str
    city: str
    region: str
    postal_code: str
    country: str
    #: the county (or parish, borough) where local sales taxes are levied by county; empty
    #: where none is needed
    county: str = ""

    @property
    def jurisdiction(self) -> str:
        """Its state or province as a tax jurisdiction: ``US-IL``, ``CA-BC``."""
        return f"{self.country}-{self.region}" if self.region else self.country


@dataclass(frozen=True, slots=True, kw_only=True)
class ExemptionCertificate:
    """A customer's tax exemption certificate for one jurisdiction (``US-IL``: the state and
    its counties and cities; ``CA``: the whole country), up to ``expires`` (inclusive)."""

    certificate_id: str
    jurisdiction: str
    expires: date

    def exempts(self, jurisdiction: str, day: date) -> bool:
        """Whether it exempts a tax of ``jurisdiction`` (``US-IL/city=Chicago``) on ``day``."""
        if day > self.expires:
            return False
        j = self.jurisdiction
        return jurisdiction == j or jurisdiction.startswith(j + "-") or jurisdiction.startswith(j + "/")


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A buying account. ``credit_limit`` is in the legal entity's currency."""

    customer_id: str
    legal_entity_id: str
    name: str
    ship_tos: tuple[ShipTo, ...]
    payment_terms: str
    credit_limit: Money
    billing_trigger: BillingTrigger
    accepts_partial: bool
    home_warehouse_id: str
    blocked: bool = False
    parent_id: str | None = None
    edi_id: str | None = None
    #: how many times o2c recorded a change of this account (1 when added) and the business
    #: day the latest took effect: a credit decision names the version of the limit it read
    version: int = 1
    as_of: date | None = None
    #: tax exemption certificates; one applies only while valid on the invoice date
    exemptions: tuple[ExemptionCertificate, ...] = ()

    def ship_to(self, ship_to_id: str) -> ShipTo | None:
        for s in self.ship_tos:
            if s.ship_to_id == ship_to_id:
                return s
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """A stocked item. Stock and prices are kept in ``base_uom``;
    ``uom_factors`` converts other units (``{"CS": 12}``: a case holds 12)."""

    product_id: str
    description: str
    base_uom: str
    uom_factors: dict[str, Decimal] = field(default_factory=dict)
    lot_controlled: bool = False
    list_prices: dict[str, Decimal] = field(default_factory=dict)
    floor_prices: dict[str, Decimal] = field(default_factory=dict)
    gtin: str | None = None
    #: which tax rates apply to it (``standard``, ``reduced``, ``exempt``…; see
    #: :class:`TaxRate`); a product of class ``exempt`` is never taxed
    tax_class: str = "standard"

    def factor(self, uom: str) -> Decimal | None:
        """How many base units one ``uom`` holds, or None if the unit is not valid."""
        if uom == self.base_uom:
            return Decimal(1)
        return self.uom_factors.get(uom)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceBreak:
    """From ``min_quantity`` base units on a line, the price per base unit is ``price``."""

    min_quantity: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceAgreement:
    """A contract price per base unit for one product, valid over dates (``valid_to``
    inclusive, None for open-ended), for the account ``customer_id`` or, when ``group``, for
    every account of the group it heads (a group price list). ``breaks`` lower the price for
    larger lines. ``version`` counts the changes o2c recorded: an order's priced line names
    the agreement and version it was priced by, so a later change does not rewrite it."""

    agreement_id: str
    customer_id: str
    product_id: str
    price: Money
    valid_from: date
    valid_to: date | None = None
    group: bool = False
    breaks: tuple[PriceBreak, ...] = ()
    version: int = 1

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, other: PriceAgreement) -> bool:
        """Both valid on some day."""
        return ((other.valid_to is None or self.valid_from <= other.valid_to)
                and (self.valid_to is None or other.valid_from <= self.valid_to))

    def price_for(self, base_quantity: Decimal) -> tuple[Decimal, PriceBreak | None]:
        """The price per base unit for a line of ``base_quantity``, and the break that gave it."""
        best: PriceBreak | None = None
        for b in self.breaks:
            if b.min_quantity <= base_quantity and (best is None or b.min_quantity > best.min_quantity):
                best = b
        return (best.price, best) if best is not None else (self.price.amount, None)

    @property
    def label(self) -> str:
        """How a person reads which agreement and version: ``PA-1 v2``."""
        return f"{self.agreement_id} v{self.version}"


def agreement_for(own: list[PriceAgreement], of_group: list[PriceAgreement],
                  day: date) -> PriceAgreement | None:
    """The agreement that prices a product for an account on ``day``: its own (one made for
    the account, or a group price list it heads) before its group's; among several valid
    that day, the latest to start."""
    for candidates in (own, of_group):
        best: PriceAgreement | None = None
        for a in candidates:
            if a.valid_on(day) and (best is None or a.valid_from > best.valid_from):
                best = a
        if best is not None:
            return best
    return None


#: The product tax class that is never taxed, whatever the jurisdiction.
EXEMPT_CLASS = "exempt"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxRate:
    """One sales tax levied in a jurisdiction on products of one tax class, valid over dates
    (``valid_to`` inclusive, None: open-ended). The jurisdiction is a state or province
    (``country``, ``region``), or a county or a city within it. Several rates apply to one
    ship-to and stack: Canadian GST and a provincial PST; a US state's rate and its county's
    and city's. ``name`` is what the invoice calls it (GST, HST, PST, QST, state, county,
    city). ``rate`` is a fraction (0.0625 for 6.25 %). ``version`` counts the changes o2c
    recorded."""

    rate_id: str
    country: str
    region: str
    county: str = ""
    city: str = ""
    tax_class: str = "standard"
    name: str
    rate: Decimal
    valid_from: date
    valid_to: date | None = None
    version: int = 1

    @property
    def jurisdiction(self) -> str:
        """``US-IL``, ``US-IL/county=Cook``, ``US-IL/city=Chicago``."""
        state = f"{self.country}-{self.region}"
        if self.county:
            return f"{state}/county={self.county}"
        if self.city:
            return f"{state}/city={self.city}"
        return state

    @property
    def local(self) -> bool:
        """A county's or a city's rate (on top of the state's or province's)."""
        return bool(self.county or self.city)

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, other: TaxRate) -> bool:
        """Both valid on some day."""
        return ((other.valid_to is None or self.valid_from <= other.valid_to)
                and (self.valid_to is None or other.valid_from <= self.valid_to))

    def same_tax(self, other: TaxRate) -> bool:
        """The same tax of the same jurisdiction on the same class (only one may hold a day)."""
        return (self.jurisdiction.upper(), self.name.upper(), self.tax_class) == \
            (other.jurisdiction.upper(), other.name.upper(), other.tax_class)

    def applies_to(self, ship_to: ShipTo, tax_class: str, day: date) -> bool:
        """Whether it taxes a product of ``tax_class`` shipped to ``ship_to`` on ``day``
        (places compared without regard to case)."""
        return (self.tax_class == tax_class and self.valid_on(day)
                and self.country == ship_to.country and self.region.upper() == ship_to.region.upper()
                and (not self.county or self.county.upper() == ship_to.county.upper())
                and (not self.city or self.city.upper() == ship_to.city.upper()))

    @property
    def label(self) -> str:
        return f"{self.rate_id} v{self.version}"
