"""Master data over HTTP: one record read and written whole, as its canonical message.

Invariants:
- what ``GET`` answers is the canonical body (:mod:`o2c.adapters.canonical`) of what o2c
  holds, so it can be sent back with ``PUT`` unchanged (and then changes nothing);
- a record's ETag is its version (``"v3"``) where o2c keeps one (customers, price
  agreements), else a short hash of its canonical JSON with numbers normalized (so ``12``
  and ``12.0`` are one state);
- every write is one inbound message from :data:`SOURCE` sent by the caller, stored in the
  inbox first and applied (or parked, or refused) by the engine, like any channel's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from o2c.adapters.canonical import (
    CustomerIn,
    ExemptionIn,
    LegalEntityIn,
    PriceAgreementIn,
    PriceBreakIn,
    PriceIn,
    ProductIn,
    ShipToIn,
    TaxRateIn,
    UnitIn,
    WarehouseIn,
)
from o2c.adapters.master_files import splitters as master_splitters
from o2c.domain import events as ev
from o2c.domain.actors import Actor
from o2c.domain.master import Customer, LegalEntity, PriceAgreement, Product, TaxRate, Warehouse
from o2c.engine import commands as cmd
from o2c.engine.ports import MasterData
from o2c.engine.runtime import Splitter
from o2c.store.port import Store

#: The inbox source of master data written over the REST API.
SOURCE = "api"


def customer_in(c: Customer) -> CustomerIn:
    return CustomerIn(
        customer_id=c.customer_id, legal_entity_id=c.legal_entity_id, name=c.name, parent_id=c.parent_id,
        payment_terms=c.payment_terms, credit_limit=c.credit_limit.amount, currency=c.credit_limit.currency,
        billing_trigger=c.billing_trigger, accepts_partial=c.accepts_partial,
        home_warehouse_id=c.home_warehouse_id, blocked=c.blocked, edi_id=c.edi_id,
        ship_tos=[ShipToIn(ship_to_id=s.ship_to_id, name=s.name, city=s.city, region=s.region,
                           postal_code=s.postal_code, country=s.country, county=s.county)
                  for s in c.ship_tos],
        exemptions=[ExemptionIn(certificate_id=x.certificate_id, jurisdiction=x.jurisdiction,
                                expires=x.expires) for x in c.exemptions])


def product_in(p: Product) -> ProductIn:
    currencies = sorted({*p.list_prices, *p.floor_prices})
    return ProductIn(
        product_id=p.product_id, description=p.description, base_uom=p.base_uom,
        units=[UnitIn(uom=u, factor=f) for u, f in sorted(p.uom_factors.items())],
        lot_controlled=p.lot_controlled,
        prices=[PriceIn(currency=c, list_price=p.list_prices.get(c), floor_price=p.floor_prices.get(c))
                for c in currencies],
        gtin=p.gtin, tax_class=p.tax_class)


def legal_entity_in(e: LegalEntity) -> LegalEntityIn:
    return LegalEntityIn(entity_id=e.entity_id, name=e.name, currency=e.currency,
                         tax_jurisdiction=e.tax_jurisdiction, tax_rate=e.tax_rate,
                         invoice_prefix=e.invoice_prefix, timezone=e.timezone)


def warehouse_in(w: Warehouse) -> WarehouseIn:
    return WarehouseIn(warehouse_id=w.warehouse_id, legal_entity_id=w.legal_entity_id, name=w.name,
                       region=w.region, timezone=w.timezone)


def agreement_in(a: PriceAgreement) -> PriceAgreementIn:
    return PriceAgreementIn(
        agreement_id=a.agreement_id, customer_id=a.customer_id, group=a.group, product_id=a.product_id,
        currency=a.price.currency, price=a.price.amount, valid_from=a.valid_from, valid_to=a.valid_to,
        breaks=[PriceBreakIn(min_quantity=b.min_quantity, price=b.price) for b in a.breaks])


def tax_rate_in(r: TaxRate) -> TaxRateIn:
    return TaxRateIn(rate_id=r.rate_id, country=r.country, region=r.region, county=r.county, city=r.city,
                     tax_class=r.tax_class, name=r.name, rate=r.rate, valid_from=r.valid_from,
                     valid_to=r.valid_to)


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """One kind of master record as the API serves it."""

    path: str  # in the URL: ``customers``
    message_kind: str  # the canonical message: ``customer``
    model: type[BaseModel]
    command: type[cmd.Command]
    id_field: str  # the id in the canonical body
    versioned: bool  # o2c keeps a version: the ETag is it
    read: Callable[[MasterData, str], Any]
    canonical: Callable[[Any], BaseModel]
    #: the legal entity a record belongs to (None: every caller may see it, as a product)
    entity: Callable[[MasterData, Any], str | None]
    #: the body's legal entity, for a record o2c does not hold yet
    stated_entity: Callable[[MasterData, Any], str | None]


def _agreement_entity(m: MasterData, customer_id: str) -> str:
    """The legal entity of the account an agreement prices for; ``""`` (an entity nobody
    restricted acts for) when o2c does not know the account."""
    holder = m.customer(customer_id)
    return "" if holder is None else holder.legal_entity_id


def _new_agreement_entity(m: MasterData, customer_id: str) -> str | None:
    # an agreement for an account o2c does not know yet: the engine parks it until it arrives
    holder = m.customer(customer_id)
    return None if holder is None else holder.legal_entity_id


KINDS: dict[str, Kind] = {k.path: k for k in (
    Kind(path="customers", message_kind="customer", model=CustomerIn, command=cmd.UpsertCustomer,
         id_field="customer_id", versioned=True, read=lambda m, i: m.customer(i), canonical=customer_in,
         entity=lambda m, r: r.legal_entity_id, stated_entity=lambda m, b: b.legal_entity_id),
    Kind(path="products", message_kind="product", model=ProductIn, command=cmd.UpsertProduct,
         id_field="product_id", versioned=False, read=lambda m, i: m.product(i), canonical=product_in,
         entity=lambda m, r: None, stated_entity=lambda m, b: None),
    Kind(path="legal-entities", message_kind="legal_entity", model=LegalEntityIn,
         command=cmd.UpsertLegalEntity, id_field="entity_id", versioned=False,
         read=lambda m, i: m.legal_entity(i), canonical=legal_entity_in,
         entity=lambda m, r: r.entity_id, stated_entity=lambda m, b: b.entity_id),
    Kind(path="warehouses", message_kind="warehouse", model=WarehouseIn, command=cmd.UpsertWarehouse,
         id_field="warehouse_id", versioned=False, read=lambda m, i: m.warehouse(i), canonical=warehouse_in,
         entity=lambda m, r: r.legal_entity_id, stated_entity=lambda m, b: b.legal_entity_id),
    Kind(path="price-agreements", message_kind="price_agreement", model=PriceAgreementIn,
         command=cmd.UpsertPriceAgreement, id_field="agreement_id", versioned=True,
         read=lambda m, i: m.agreement(i), canonical=agreement_in,
         entity=lambda m, r: _agreement_entity(m, r.customer_id),
         stated_entity=lambda m, b: _new_agreement_entity(m, b.customer_id)),
    Kind(path="tax-rates", message_kind="tax_rate", model=TaxRateIn, command=cmd.UpsertTaxRate,
         id_field="rate_id", versioned=True, read=lambda m, i: m.tax_rate(i), canonical=tax_rate_in,
         entity=lambda m, r: None, stated_entity=lambda m, b: None),
)}

#: Files taken by ``POST /master/{kind}``: URL name -> :data:`o2c.adapters.master_files.FILE_KINDS` key.
FILE_PATHS = {"legal-entities": "legal_entities", "warehouses": "warehouses", "products": "products",
              "customers": "customers", "price-agreements": "price_agreements", "stock": "stock",
              "tax-rates": "tax_rates"}
#: The command each file kind's records become (what the caller must be allowed to send).
FILE_COMMANDS: dict[str, type[cmd.Command]] = {
    "legal_entities": cmd.UpsertLegalEntity, "warehouses": cmd.UpsertWarehouse,
    "products": cmd.UpsertProduct, "customers": cmd.UpsertCustomer,
    "price_agreements": cmd.UpsertPriceAgreement, "stock": cmd.OpenStock,
    "tax_rates": cmd.UpsertTaxRate}


def _plain(value: Any) -> Any:
    """JSON-ready with every number normalized: equal values, equal text."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def content_hash(model: BaseModel) -> str:
    """A short hash of a canonical body: what it states, however its numbers are written."""
    text = json.dumps(_plain(model.model_dump(mode="python")), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True)
class Held:
    """A record as o2c holds it: the domain object, its canonical body and its ETag."""

    record: Any
    body: BaseModel
    tag: str  # unquoted: v3, or a hash
    version: int | None

    @property
    def etag(self) -> str:
        return f'"{self.tag}"'


def held(kind: Kind, record: Any) -> Held:
    body = kind.canonical(record)
    version = record.version if kind.versioned else None
    return Held(record=record, body=body, tag=f"v{version}" if kind.versioned else content_hash(body),
                version=version)


def lookup(store: Store, kind: Kind, record_id: str) -> tuple[Held | None, str | None, int]:
    """The record (None if o2c holds none), the legal entity it belongs to, and how many
    changes o2c recorded of it (its revision, for the message id of a write)."""
    with store.unit_of_work() as uow:
        record = kind.read(uow.master, record_id)
        if record is None:
            return None, None, 0
        entity = kind.entity(uow.master, record)
        revision = record.version if kind.versioned else len(
            uow.events.for_correlation(f"{kind.message_kind}:{record_id}"))
    return held(kind, record), entity, revision


def stated_entity(store: Store, kind: Kind, body: BaseModel) -> str | None:
    with store.unit_of_work() as uow:
        return kind.stated_entity(uow.master, body)


def visible_to(actor: Actor, entity: str | None) -> bool:
    """A record of no legal entity (a product) is every caller's to see; one of an entity
    only of those who act for it (an agreement whose account o2c does not know, entity
    ``""``: only of those who act for every entity)."""
    return entity is None or actor.acts_for(entity)


def change_event(store: Store, correlation_id: str, cause: str) -> ev.Event | None:
    """The change event the message ``cause`` (``source:source_message_id``) recorded."""
    with store.unit_of_work() as uow:
        found = [e.payload for e in uow.events.for_correlation(correlation_id) if e.causation_id == cause]
    return found[0] if found else None


def message_id(kind: Kind, record_id: str, revision: int, body: BaseModel, sender: Actor) -> str:
    """The inbox id of a write: the kind, the record, the revision it was written over, what
    it states and who sends it. The same body sent again by the same caller over the same
    revision is a duplicate; over a later revision (after someone changed the record and
    changed it back) it is a new message, so it is applied, not mistaken for the first."""
    long = len(record_id) > 64
    ident = "sha256-" + hashlib.sha256(record_id.encode()).hexdigest()[:32] if long else record_id
    stated = hashlib.sha256(f"{sender.label}\n{content_hash(body)}".encode()).hexdigest()[:16]
    return f"master:{kind.message_kind}:{ident}:r{revision}:{stated}"


def with_master_files(configured: Mapping[str, Splitter] | None) -> dict[str, Splitter]:
    """The splitters an API server replays with: the configured ones, with master data files
    always among them (default layouts unless configured; their records are sent by whoever
    sent the file, see :func:`o2c.adapters.master_files.split_master_file`)."""
    return {**master_splitters(), **(configured or {})}
