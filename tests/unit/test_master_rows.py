"""Master data written as rows of the default layouts reads back as the same objects."""

from __future__ import annotations

from datetime import date

import pytest

from o2c.adapters.canonical import KINDS
from o2c.adapters.master_files import FILE_KINDS, read_master_file
from o2c.adapters.master_rows import csv_text, header, rows_of
from o2c.sim.world import generate


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return generate(5, customers=30, products=40, start=date(2026, 1, 5))


def _commands(kind: str, records: list[object]) -> list[object]:
    read = read_master_file(csv_text(kind, rows_of(kind, records)), kind, file_name=f"{kind}.csv")
    assert read.errors == []
    model = KINDS[FILE_KINDS[kind][0]]
    return [model.model_validate(body).command() for _, body in read.messages]


def test_the_world_reads_back_as_itself(world) -> None:  # type: ignore[no-untyped-def]
    assert [c.entity for c in _commands("legal_entities", list(world.entities))] == list(world.entities)
    assert [c.warehouse for c in _commands("warehouses", list(world.warehouses))] == list(world.warehouses)
    assert [c.product for c in _commands("products", world.products)] == world.products
    customers = [sc.customer for sc in world.customers]
    assert [c.customer for c in _commands("customers", customers)] == customers
    assert any(c.parent_id for c in customers) and any(len(c.ship_tos) > 1 for c in customers)
    assert [c.agreement for c in _commands("price_agreements", world.agreements)] == world.agreements


def test_records_of_several_rows_repeat_their_cells_and_the_header_is_the_default_layout() -> None:
    from decimal import Decimal

    from o2c.domain.master import PriceAgreement, PriceBreak, Product
    from o2c.domain.money import money

    p = Product(product_id="P1", description="Gloves", base_uom="EA", uom_factors={"CS": Decimal(12)},
                list_prices={"USD": Decimal("2.50"), "CAD": Decimal("3.40")},
                floor_prices={"USD": Decimal("1.80")})
    text = csv_text("products", rows_of("products", [p]))
    assert text.splitlines() == [",".join(header("products")),
                                 "P1,Gloves,EA,CS=12,no,,USD,2.50,1.80",
                                 "P1,Gloves,EA,CS=12,no,,CAD,3.40,"]
    a = PriceAgreement(agreement_id="PA-1", customer_id="C1", product_id="P1", group=True,
                       price=money(Decimal("2.20"), "USD"), valid_from=date(2026, 1, 1),
                       breaks=(PriceBreak(min_quantity=Decimal(120), price=Decimal("2.05")),))
    assert _commands("price_agreements", [a])[0].agreement == a  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="stock"):
        list(rows_of("stock", []))
