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

    def factor(self, uom: str) -> Decimal | None:
        """How many base units one ``uom`` holds, or None if the unit is not valid."""
        if uom == self.base_uom:
            return Decimal(1)
        return self.uom_factors.get(uom)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceAgreement:
    """A contract price per base unit for one customer and product, valid over dates
    (``valid_to`` inclusive, None for open-ended)."""

    agreement_id: str
    customer_id: str
    product_id: str
    price: Money
    valid_from: date
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
