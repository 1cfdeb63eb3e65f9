"""``o2c master load`` end to end: customers and products from CSV files into a database,
an order held for an unknown item going on when the item is loaded, the same file loaded
twice changing nothing, a changed row an update, bad rows parked with file, row and column
while the good ones go through."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from o2c.cli import app
from o2c.domain.holds import HoldCode
from tests.builders import Harness, seed

runner = CliRunner()

CUSTOMERS = """\
customer_id,legal_entity_id,name,parent_id,payment_terms,credit_limit,currency,billing_trigger,\
accepts_partial,home_warehouse_id,ship_to_id,ship_to_name,city,region,postal_code,country
K1,US,Kettering Clinic,,net 30,25000.00,USD,on_ship,yes,W1,K1-A,Main dock,Kettering,OH,45429,US
K1,US,,,,,,,,,K1-B,Annex,Kettering,OH,45429,US
K2,US,Kettering East,K1,2/10 net 30,5000,USD,on_pod,no,W2,K2-A,East dock,Dayton,OH,45402,US
"""

PRODUCTS = """product_id,description,base_uom,units,lot_controlled,currency,list_price,floor_price
P9,Exam table paper,EA,CS=24,no,USD,3.10,1.20
P10,Gauze 4x4,EA,BX=100;CS=1200,yes,USD,0.09,
"""


def load(db: Path, file: Path, kind: str) -> tuple[int, str]:
    out = runner.invoke(app, ["master", "load", str(file), "--kind", kind, "--db", str(db)])
    assert "Traceback" not in out.output, out.output
    return out.exit_code, " ".join(out.output.split())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "o2c.db"
    h = Harness(db=f"sqlite:///{path}")
    seed(h.app)
    h.app.close()
    return path


def events(db: Path, kind: str) -> list[dict[str, object]]:
    con = sqlite3.connect(db)
    return [json.loads(p) for (p,) in con.execute(
        "SELECT payload FROM events WHERE type = ? ORDER BY seq", (kind,))]


def test_customers_load_and_loading_the_same_file_again_changes_nothing(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "customers.csv"
    f.write_text(CUSTOMERS)
    code, out = load(db, f, "customers")
    assert code == 0, out
    assert "2 customers record(s): 2 applied, 0 unchanged, 0 already loaded, 0 parked" in out
    added = events(db, "CustomerChanged")
    assert [e["customer"]["customer_id"] for e in added] == ["K1", "K2"]  # type: ignore[index]
    assert [s["ship_to_id"] for s in added[0]["customer"]["ship_tos"]] == ["K1-A", "K1-B"]  # type: ignore[index]
    code, out = load(db, f, "customers")
    assert code == 0 and "already loaded" in out and "nothing changed" in out
    assert len(events(db, "CustomerChanged")) == 2
    # another file, one row changed: an update naming what changed; the rest is as it was
    g = tmp_path / "customers-2.csv"
    g.write_text(CUSTOMERS.replace("5000,USD,on_pod", "7500.00,USD,on_pod"))
    code, out = load(db, g, "customers")
    assert code == 0, out
    assert "1 applied, 1 unchanged" in out
    [*_, update] = events(db, "CustomerChanged")
    assert update["changed"] == ["credit_limit"] and update["added"] is False
    assert len(events(db, "CustomerChanged")) == 3
    # the files, and the record that changed nothing, are no loose ends for verify
    out = runner.invoke(app, ["verify", "--db", str(db)])
    assert out.exit_code == 0 and "read models match the log" in out.output, out.output


def test_bad_rows_are_parked_naming_file_row_and_column_and_the_good_ones_go_through(
        db: Path, tmp_path: Path) -> None:
    f = tmp_path / "products.csv"
    f.write_text(PRODUCTS
                 + "P11,Tongue depressors,EA,CS=0,no,USD,0.02,\n"
                 + "P12,Swabs,EA,,no,,0.05,\n"
                 + "P13,Masks,EA,,maybe,USD,abc,\n")
    code, out = load(db, f, "products")
    assert code == 1
    assert "5 products record(s): 2 applied, 0 unchanged, 0 already loaded, 3 parked" in out
    assert ("products.csv, row 4, column units: expected a number of EA units above zero for CS "
            "(such as CS=12), got 'CS=0'") in out
    assert "products.csv, row 5, column currency: expected the currency of the price in list_price" in out
    assert "products.csv, row 6, column lot_controlled: expected yes or no, got 'maybe'" in out
    assert "products.csv, row 6, column list_price: expected a price per base unit" in out
    assert [e["product"]["product_id"] for e in events(db, "ProductChanged")] == ["P9", "P10"]  # type: ignore[index]
    letters = sqlite3.connect(db).execute("SELECT count(*) FROM dead_letters").fetchone()[0]
    assert letters == 3
    # a parked record is a canonical message: corrected, it is replayed like any other
    (body,) = sqlite3.connect(db).execute(
        "SELECT body FROM dead_letters WHERE dead_letter_id = 'DL-000002'").fetchone()
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**json.loads(body), "prices": [{"currency": "USD", "list_price": "0.05"}]}))
    out = runner.invoke(app, ["dlq", "replay", "DL-000002", "--body", str(fixed), "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert [e["product"]["product_id"] for e in events(db, "ProductChanged")] == ["P9", "P10", "P12"]  # type: ignore[index]


def test_a_file_without_a_required_column_is_refused_whole(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "customers.csv"
    f.write_text("customer_id,name\nK1,Kettering\n")
    code, out = load(db, f, "customers")
    assert code == 1
    assert "customers.csv, row 1, column legal_entity_id: expected a column named legal_entity_id" in out


def test_an_order_held_for_an_unknown_item_goes_on_when_the_item_is_loaded(db: Path, tmp_path: Path) -> None:
    from o2c.store.sql import SqlStore

    store = SqlStore(f"sqlite:///{db}")
    h = Harness(store=store)
    oid = str(h.order(lines=[("P9", "2", "CS")]).correlation_id)
    assert [x.code for x in h.get(oid).open_holds] == [HoldCode.VAL_ITEM_UNKNOWN]
    h.app.close()
    f = tmp_path / "products.jsonl"
    f.write_text(json.dumps({"product_id": "P9", "description": "Exam table paper", "base_uom": "EA",
                             "units": [{"uom": "CS", "factor": "24"}],
                             "prices": [{"currency": "USD", "list_price": "3.10"}]}) + "\n")
    code, out = load(db, f, "products")
    assert code == 0, out
    h = Harness(store=SqlStore(f"sqlite:///{db}"))
    order = h.get(oid)
    assert HoldCode.VAL_ITEM_UNKNOWN not in [x.code for x in order.open_holds]
    assert order.line(1).base_quantity == 48
    h.app.close()
