"""Master data written in the default layouts reads back as the same records: every kind,
amounts with their digits, defaults written out; what a file cannot keep is named."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from o2c.adapters.canonical import KINDS
from o2c.adapters.master_export import export_csv, not_kept, rows
from o2c.adapters.master_files import FILE_KINDS, read_master_file
from o2c.domain.inventory import StockPosition
from o2c.domain.master import (
    BillingTrigger,
    Customer,
    ExemptionCertificate,
    LegalEntity,
    PriceAgreement,
    PriceBreak,
    Product,
    ShipTo,
    TaxRate,
    Warehouse,
)
from o2c.domain.money import Money

D = Decimal

RECORDS: dict[str, list[Any]] = {
    "legal_entities": [LegalEntity(entity_id="US", name="Acme, Inc.", currency="USD",
                                   tax_jurisdiction="US-OH", tax_rate=D("0.0725"),
                                   invoice_prefix="US")],
    "warehouses": [Warehouse(warehouse_id="W1", legal_entity_id="US", name="Columbus", region="")],
    "products": [
        Product(product_id="P1", description='Gloves "L"', base_uom="EA",
                uom_factors={"PL": D("480"), "CS": D("12")}, lot_controlled=True,
                list_prices={"USD": D("2.50"), "CAD": D("3.4")}, floor_prices={"USD": D("1.80")},
                gtin="00012345678905"),
        Product(product_id="P2", description="Kit\nwith two lines", base_uom="EA", tax_class="exempt")],
    "customers": [Customer(
        customer_id="K1", legal_entity_id="US", name="Kettering", payment_terms="2/10 net 30",
        ship_tos=(ShipTo(ship_to_id="K1-B", name="Annex", city="", region="", postal_code="",
                         country="US"),
                  ShipTo(ship_to_id="K1-A", name="Main", city="Kettering", region="OH",
                         postal_code="45429", country="US", county="Montgomery")),
        exemptions=(ExemptionCertificate(certificate_id="EX-OH-1", jurisdiction="US-OH",
                                         expires=date(2027, 6, 30)),
                    ExemptionCertificate(certificate_id="EX-CA", jurisdiction="CA",
                                         expires=date(2025, 12, 31))),
        credit_limit=Money(D("25000.00"), "USD"), billing_trigger=BillingTrigger.ON_POD,
        accepts_partial=True, home_warehouse_id="W1", parent_id="K0", edi_id="KET",
        version=4, as_of=date(2026, 3, 1))],
    "price_agreements": [PriceAgreement(
        agreement_id="PA-1", customer_id="K0", product_id="P1", price=Money(D("2.20"), "USD"),
        valid_from=date(2026, 1, 1), group=True, version=2,
        breaks=(PriceBreak(min_quantity=D("120"), price=D("2.05")),
                PriceBreak(min_quantity=D("480"), price=D("1.95"))))],
    "tax_rates": [
        TaxRate(rate_id="CA-BC-PST", country="CA", region="BC", name="PST", rate=D("0.07"),
                valid_from=date(2013, 4, 1)),
        TaxRate(rate_id="US-IL-CHICAGO", country="US", region="IL", city="Chicago", name="city",
                rate=D("0.0125"), valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31),
                version=3),
        TaxRate(rate_id="US-IL-COOK-R", country="US", region="IL", county="Cook", tax_class="reduced",
                name="county", rate=D("0.01000"), valid_from=date(2026, 1, 1))],
    "stock": [StockPosition(warehouse_id="W1", product_id="P1", lot_id="L-7",
                            expiry=date(2027, 3, 31), on_hand=D("240.0000"), reserved=D("12")),
              StockPosition(warehouse_id="W1", product_id="P2", lot_id="-", expiry=None,
                            on_hand=D("0.5000"), reserved=D(0))],
}


#: the command's field holding the record
FIELD = {"legal_entities": "entity", "warehouses": "warehouse", "products": "product",
         "customers": "customer", "price_agreements": "agreement", "tax_rates": "rate"}


def read_back(kind: str, text: str) -> list[Any]:
    read = read_master_file(text, kind, file_name=f"{kind}.csv")
    assert not read.errors, read.errors
    return [KINDS[FILE_KINDS[kind][0]].model_validate(body).command() for _, body in read.messages]


@pytest.mark.parametrize("kind", list(FILE_KINDS))
def test_every_kind_reads_back_as_what_was_written(kind: str) -> None:
    text = export_csv(kind, RECORDS[kind])
    commands = read_back(kind, text)
    if kind == "stock":
        got = [(c.warehouse_id, c.product_id, c.lot_id, c.expiry, c.quantity, c.uom) for c in commands]
        assert got == [("W1", "P1", "L-7", date(2027, 3, 31), D("240"), ""),
                       ("W1", "P2", "-", None, D("0.5"), "")]
        return
    held = [getattr(c, FIELD[kind]) for c in commands]
    # o2c's bookkeeping (version, as_of) is not in the file
    expected = [dataclasses.replace(r, version=1, as_of=None) if isinstance(r, Customer) else
                dataclasses.replace(r, version=1) if isinstance(r, PriceAgreement | TaxRate) else r
                for r in RECORDS[kind]]
    assert held == expected
    assert export_csv(kind, held) == text  # and the digits are the same


def test_the_rows_repeat_the_record_and_keep_the_digits() -> None:
    assert rows("customers", RECORDS["customers"])[1] == {
        "customer_id": "K1", "legal_entity_id": "US", "name": "Kettering", "parent_id": "K0",
        "payment_terms": "2/10 net 30", "credit_limit": "25000.00", "currency": "USD",
        "billing_trigger": "on_pod", "accepts_partial": "yes", "home_warehouse_id": "W1",
        "blocked": "no", "edi_id": "KET", "tax_exemptions": "EX-OH-1=US-OH:2027-06-30;EX-CA=CA:2025-12-31",
        "ship_to_id": "K1-A", "ship_to_name": "Main",
        "city": "Kettering", "region": "OH", "postal_code": "45429", "country": "US",
        "county": "Montgomery"}
    assert export_csv("products", RECORDS["products"][:1]).splitlines() == [
        "product_id,description,base_uom,units,lot_controlled,gtin,currency,list_price,floor_price,"
        "tax_class",
        'P1,"Gloves ""L""",EA,PL=480;CS=12,yes,00012345678905,CAD,3.4,,standard',
        'P1,"Gloves ""L""",EA,PL=480;CS=12,yes,00012345678905,USD,2.50,1.80,standard']
    assert export_csv("tax_rates", RECORDS["tax_rates"]).splitlines() == [
        "rate_id,country,region,county,city,tax_class,name,rate,valid_from,valid_to",
        "CA-BC-PST,CA,BC,,,standard,PST,0.07,2013-04-01,",
        "US-IL-CHICAGO,US,IL,,Chicago,standard,city,0.0125,2026-01-01,2026-12-31",
        "US-IL-COOK-R,US,IL,Cook,,reduced,county,0.01000,2026-01-01,"]
    assert export_csv("legal_entities", RECORDS["legal_entities"]).splitlines()[1] == \
        'US,"Acme, Inc.",USD,US-OH,0.0725,US,UTC,,,,,,,'


def test_what_a_file_cannot_keep_is_named() -> None:
    customer = dataclasses.replace(RECORDS["customers"][0], name="Kettering ")
    assert not_kept("customers", [customer], "customers.csv") == [
        "customers.csv, row 2, column name: 'Kettering ' has spaces at its ends, which the file "
        "does not keep",
        "customers.csv, row 3, column name: 'Kettering ' has spaces at its ends, which the file "
        "does not keep"]
    assert not_kept("customers", RECORDS["customers"]) == []
