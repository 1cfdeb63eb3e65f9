"""The demo's world, written as master data files in the default layouts, reads back as itself
(the simulator loads its world through these files)."""

from __future__ import annotations

from datetime import date

import pytest

from o2c.adapters.canonical import KINDS
from o2c.adapters.master_export import export_csv
from o2c.adapters.master_files import FILE_KINDS, read_master_file
from o2c.sim.world import generate


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return generate(5, customers=30, products=40, start=date(2026, 1, 5))


def _commands(kind: str, records: list[object]) -> list[object]:
    read = read_master_file(export_csv(kind, records), kind, file_name=f"{kind}.csv")
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
