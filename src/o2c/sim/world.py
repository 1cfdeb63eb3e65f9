"""The distributor's world: legal entities, warehouses, customers with latent
traits, products and contracts, generated from a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from o2c.domain.master import (
    BillingTrigger,
    Customer,
    ExemptionCertificate,
    LegalEntity,
    PriceAgreement,
    Product,
    ShipTo,
    TaxRate,
    Warehouse,
)
from o2c.domain.money import money

ENTITIES = (
    LegalEntity(entity_id="US01", name="Northwind Supply Inc.", currency="USD",
                tax_jurisdiction="US-OH", tax_rate=Decimal("0.0725"), invoice_prefix="US01",
                timezone="America/New_York", address="1200 Commerce Park Dr", city="Columbus",
                region="OH", postal_code="43219", country="US", tax_registrations="EIN 31-0000000",
                remit_to="Northwind Supply Inc., Lockbox 771, Columbus OH 43271"),
    LegalEntity(entity_id="CA01", name="Northwind Supply Canada Ltd.", currency="CAD",
                tax_jurisdiction="CA-ON", tax_rate=Decimal("0.13"), invoice_prefix="CA01",
                timezone="America/Toronto", address="88 Industrial Rd", city="Toronto", region="ON",
                postal_code="M9W 5L9", country="CA", tax_registrations="GST/HST 100000000RT0001"),
)

#: warehouse id -> (legal entity, region, hours from release to shipment (min, max),
#: confirms shipments only in a nightly batch?)
WAREHOUSES: dict[str, tuple[str, str, tuple[int, int], bool]] = {
    "WH-COLUMBUS": ("US01", "OH", (3, 20), False),
    "WH-DALLAS": ("US01", "TX", (4, 30), True),
    "WH-RENO": ("US01", "NV", (6, 40), False),
    "WH-TORONTO": ("CA01", "ON", (4, 26), True),
}

CATEGORIES = (
    ("GLV", "Nitrile gloves", "BX", {"CS": 10}, (8, 18), False),
    ("SAL", "Saline solution", "EA", {"CS": 24}, (2, 6), True),
    ("BND", "Adhesive bandages", "BX", {"CS": 36}, (3, 9), False),
    ("MSK", "Surgical masks", "BX", {"CS": 20}, (5, 14), False),
    ("SYR", "Syringes 5ml", "BX", {"CS": 12}, (12, 30), True),
    ("WIP", "Disinfecting wipes", "EA", {"CS": 12}, (4, 10), True),
    ("GZE", "Gauze pads", "PK", {"CS": 48}, (2, 7), False),
    ("TAP", "Medical tape", "RL", {"CS": 24}, (1, 4), False),
    ("THM", "Thermometer covers", "BX", {"CS": 25}, (6, 15), False),
    ("CUP", "Specimen cups", "BX", {"CS": 8}, (10, 25), False),
)

CITIES = {
    "US01": (("Columbus", "OH", "43215"), ("Dayton", "OH", "45402"), ("Austin", "TX", "78701"),
             ("Houston", "TX", "77002"), ("Reno", "NV", "89501"), ("Denver", "CO", "80202"),
             ("Phoenix", "AZ", "85004"), ("Chicago", "IL", "60601")),
    "CA01": (("Toronto", "ON", "M5H 2N2"), ("Ottawa", "ON", "K1P 1J1"),
             ("Hamilton", "ON", "L8P 4R5"), ("Montreal", "QC", "H2Y 1C6")),
}

#: the county of each city (where a county's sales tax applies)
COUNTIES = {"Columbus": "Franklin", "Dayton": "Montgomery", "Austin": "Travis", "Houston": "Harris",
            "Reno": "Washoe", "Denver": "Denver", "Phoenix": "Maricopa", "Chicago": "Cook"}

#: Product categories that are never taxed (medical supplies exempt from sales tax).
EXEMPT_CATEGORIES = frozenset({"SAL"})


def _rate(rate_id: str, country: str, region: str, name: str, rate: str, *, county: str = "",
          city: str = "") -> TaxRate:
    return TaxRate(rate_id=rate_id, country=country, region=region, county=county, city=city,
                   name=name, rate=Decimal(rate), valid_from=date(2020, 1, 1))


#: Sales tax rates of every state and province the customers ship to (and a few more):
#: Canadian GST, HST and provincial PST/QST; US state rates with a county's or city's on top.
TAX_RATES = (
    _rate("CA-AB-GST", "CA", "AB", "GST", "0.05"),
    _rate("CA-BC-GST", "CA", "BC", "GST", "0.05"),
    _rate("CA-BC-PST", "CA", "BC", "PST", "0.07"),
    _rate("CA-NS-HST", "CA", "NS", "HST", "0.15"),
    _rate("CA-ON-HST", "CA", "ON", "HST", "0.13"),
    _rate("CA-QC-GST", "CA", "QC", "GST", "0.05"),
    _rate("CA-QC-QST", "CA", "QC", "QST", "0.09975"),
    _rate("US-AZ", "US", "AZ", "state", "0.056"),
    _rate("US-AZ-MARICOPA", "US", "AZ", "county", "0.007", county="Maricopa"),
    _rate("US-AZ-PHOENIX", "US", "AZ", "city", "0.023", city="Phoenix"),
    _rate("US-CO", "US", "CO", "state", "0.029"),
    _rate("US-CO-DENVER", "US", "CO", "city", "0.0481", city="Denver"),
    _rate("US-IL", "US", "IL", "state", "0.0625"),
    _rate("US-IL-COOK", "US", "IL", "county", "0.0175", county="Cook"),
    _rate("US-IL-CHICAGO", "US", "IL", "city", "0.0125", city="Chicago"),
    _rate("US-NV", "US", "NV", "state", "0.0685"),
    _rate("US-NV-WASHOE", "US", "NV", "county", "0.01415", county="Washoe"),
    _rate("US-OH", "US", "OH", "state", "0.0575"),
    _rate("US-OH-FRANKLIN", "US", "OH", "county", "0.0125", county="Franklin"),
    _rate("US-OH-MONTGOMERY", "US", "OH", "county", "0.015", county="Montgomery"),
    _rate("US-TX", "US", "TX", "state", "0.0625"),
    _rate("US-TX-AUSTIN", "US", "TX", "city", "0.02", city="Austin"),
    _rate("US-TX-HOUSTON", "US", "TX", "city", "0.01", city="Houston"),
)

TERMS = ("net 30", "2/10 net 30", "net 45", "1/10 net 30", "net 60")
#: every seventh account (the small ones a distributor keeps on short terms) pays net 15, so a
#: month's run already has invoices past due and dunning to send
SHORT_TERMS, SHORT_EVERY = "net 15", 7


def _terms(i: int, drawn: str) -> str:
    """The account's terms: drawn for most (the draw is made for every account, so the rest of
    the world is the same whatever this says), net 15 for every seventh."""
    return SHORT_TERMS if i % SHORT_EVERY == SHORT_EVERY - 1 else drawn


@dataclass(frozen=True, slots=True, kw_only=True)
class Traits:
    """What the engine cannot see but the customer's behaviour shows."""

    orders_per_week: float
    lines_mean: float
    channel: str                 # edi | portal | csv
    pay_delay_days: float        # mean days paid after the due date (negative: early)
    pay_spread_days: float
    takes_discount: float        # probability of paying within the discount window
    short_pay: float             # probability of paying less than invoiced
    dispute_propensity: float
    data_quality: float          # probability that an order has something wrong in it
    price_drift: float           # probability that a PO carries an off-contract price


@dataclass(frozen=True, slots=True, kw_only=True)
class SimCustomer:
    customer: Customer
    traits: Traits


@dataclass(slots=True)
class World:
    entities: tuple[LegalEntity, ...]
    warehouses: tuple[Warehouse, ...]
    customers: list[SimCustomer]
    products: list[Product]
    agreements: list[PriceAgreement]
    tax_rates: tuple[TaxRate, ...] = TAX_RATES


def generate(seed: int, *, customers: int = 220, products: int = 1100,
             start: date = date(2026, 1, 5)) -> World:
    rng = random.Random(seed)
    warehouses = tuple(Warehouse(warehouse_id=w, legal_entity_id=le, name=w.title(), region=r)
                       for w, (le, r, _, _) in WAREHOUSES.items())
    prods: list[Product] = []
    for i in range(products):
        code, name, uom, factors, (lo, hi), lots = CATEGORIES[i % len(CATEGORIES)]
        usd = Decimal(rng.randint(lo * 100, hi * 100)) / 100
        cad = (usd * Decimal("1.36")).quantize(Decimal("0.01"))
        prods.append(Product(
            product_id=f"{code}-{10000 + i}", description=f"{name} #{i}", base_uom=uom,
            uom_factors={k: Decimal(v) for k, v in factors.items()}, lot_controlled=lots,
            list_prices={"USD": usd, "CAD": cad},
            floor_prices={"USD": (usd * Decimal("0.70")).quantize(Decimal("0.01")),
                          "CAD": (cad * Decimal("0.70")).quantize(Decimal("0.01"))},
            gtin=f"00{rng.randrange(10**11, 10**12)}",
            tax_class="exempt" if code in EXEMPT_CATEGORIES else "standard",
        ))
    custs: list[SimCustomer] = []
    agreements: list[PriceAgreement] = []
    for i in range(customers):
        le = ENTITIES[0] if i % 5 else ENTITIES[1]
        size = rng.choice((1, 1, 1, 2, 2, 4, 8))
        whs = [w for w in warehouses if w.legal_entity_id == le.entity_id]
        cities = CITIES[le.entity_id]
        ship_tos = tuple(
            ShipTo(ship_to_id=f"ST{j + 1}", name=f"Dock {j + 1}", city=c, region=r,
                   postal_code=z, country="US" if le.entity_id == "US01" else "CA",
                   county=COUNTIES.get(c, ""))
            for j, (c, r, z) in enumerate(rng.sample(cities, k=min(len(cities), 1 + size // 3)))
        )
        pod = rng.random() < 0.25
        limit = Decimal(rng.choice((5, 10, 20, 40, 80))) * 1000 * size
        cust = Customer(
            customer_id=f"C{1000 + i}", legal_entity_id=le.entity_id,
            name=f"{rng.choice(('Mercy', 'Valley', 'Lakeside', 'Summit', 'Riverside', 'Oak'))} "
                 f"{rng.choice(('Clinic', 'Health', 'Care', 'Medical', 'Pharmacy'))} {i}",
            ship_tos=ship_tos, payment_terms=_terms(i, rng.choice(TERMS)),
            credit_limit=money(limit, le.currency),
            billing_trigger=BillingTrigger.ON_POD if pod else BillingTrigger.ON_SHIP,
            accepts_partial=rng.random() < 0.6, home_warehouse_id=rng.choice(whs).warehouse_id,
            blocked=rng.random() < 0.01, edi_id=f"EDI{1000 + i:06d}",
            exemptions=_exemptions(i, ship_tos, start),
        )
        habit = rng.random()
        traits = Traits(
            orders_per_week=size * rng.uniform(0.8, 2.6),
            lines_mean=rng.uniform(2.0, 6.0),
            channel="edi" if size >= 4 or rng.random() < 0.3 else rng.choice(("portal", "csv")),
            pay_delay_days=-5 if habit < 0.3 else (2 if habit < 0.75 else rng.uniform(10, 45)),
            pay_spread_days=rng.uniform(1, 6),
            takes_discount=0.8 if habit < 0.3 else 0.1,
            short_pay=rng.uniform(0.0, 0.06),
            dispute_propensity=rng.uniform(0.0, 0.05),
            data_quality=rng.uniform(0.005, 0.06),
            price_drift=rng.uniform(0.0, 0.05),
        )
        custs.append(SimCustomer(customer=cust, traits=traits))
        for p in rng.sample(prods, k=rng.randint(10, 40)):
            lst = p.list_prices[le.currency]
            agreements.append(PriceAgreement(
                agreement_id=f"PA-{cust.customer_id}-{p.product_id}", customer_id=cust.customer_id,
                product_id=p.product_id,
                price=money(lst * Decimal(rng.randint(82, 97)) / 100, le.currency),
                valid_from=date(start.year - 1, 1, 1), valid_to=date(start.year + 1, 12, 31)))
    _group(custs)
    _consolidate(custs)
    return World(entities=ENTITIES, warehouses=warehouses, customers=custs, products=prods,
                 agreements=agreements)


def _consolidate(custs: list[SimCustomer]) -> None:
    """A few accounts are billed consolidated (no random draw: the rest of the world is
    unmoved): two ordering by EDI and two not, invoiced weekly per account, and the first
    with three docks or more, daily per dock (the shipped policy's ``consolidated-per-dock``)."""
    def eligible(c: SimCustomer) -> bool:
        return not c.customer.blocked and c.customer.billing_trigger is BillingTrigger.ON_SHIP

    edi = [k for k, c in enumerate(custs) if eligible(c) and c.traits.channel == "edi"
           and len(c.customer.ship_tos) < 3]
    other = [k for k, c in enumerate(custs) if eligible(c) and c.traits.channel != "edi"
             and len(c.customer.ship_tos) < 3]
    docks = [k for k, c in enumerate(custs) if eligible(c) and len(c.customer.ship_tos) >= 3]
    for k in (*edi[:2], *other[:2], *docks[:1]):
        c = custs[k]
        custs[k] = SimCustomer(customer=replace(c.customer, billing_trigger=BillingTrigger.CONSOLIDATED),
                               traits=c.traits)


def _exemptions(i: int, ship_tos: tuple[ShipTo, ...], start: date) -> tuple[ExemptionCertificate, ...]:
    """Resellers' certificates for the state or province of their first ship-to: every 25th
    account from the 4th holds one valid through the year after the start, every 25th from the
    17th one that expired the month before the start (and is taxed)."""
    first = ship_tos[0]
    if i % 25 == 3:
        return (ExemptionCertificate(certificate_id=f"EX-{1000 + i}", jurisdiction=first.jurisdiction,
                                     expires=date(start.year + 1, 12, 31)),)
    if i % 25 == 16:
        return (ExemptionCertificate(certificate_id=f"EX-{1000 + i}", jurisdiction=first.jurisdiction,
                                     expires=date(start.year, 1, 1) - timedelta(days=5)),)
    return ()


def _group(custs: list[SimCustomer]) -> None:
    """Health systems: in every ten accounts the second heads a group with the next two,
    whose credit is also checked together against the parent's limit, four fifths of the
    members' own limits together."""
    for head in range(1, len(custs) - 2, 10):
        members = custs[head:head + 3]
        if len({m.customer.legal_entity_id for m in members}) != 1:
            continue
        parent = members[0].customer
        umbrella = sum((m.customer.credit_limit.amount for m in members), Decimal(0)) * 4 / 5
        limit = money(umbrella, parent.credit_limit.currency)
        custs[head] = SimCustomer(customer=replace(parent, credit_limit=limit), traits=members[0].traits)
        for k in (head + 1, head + 2):
            custs[k] = SimCustomer(customer=replace(custs[k].customer, parent_id=parent.customer_id),
                                   traits=custs[k].traits)
