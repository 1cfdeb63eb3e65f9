"""``o2c master export`` and ``o2c master load --full`` end to end: master data of every kind
loaded from files, exported, and loaded again changes nothing (into the same database every
record is unchanged; into a fresh one, exported again, the files are the same bytes); a full
customers file without an account reports it missing and keeps it; a source's own column
headers (a layout in the integration configuration) load, and an error names the file's
header."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from o2c.cli import app

runner = CliRunner()

FILES = {
    "legal_entities.csv": """\
entity_id,name,currency,tax_jurisdiction,tax_rate,invoice_prefix,timezone
US,Acme Supply Inc.,USD,US-OH,0.0725,US,America/New_York
CA,Acme Supply Canada Ltd.,CAD,CA-ON,0.13,CA,
""",
    "warehouses.csv": """\
warehouse_id,legal_entity_id,name,region,timezone
W2,US,Dayton,OH,America/New_York
W1,US,Columbus,OH,America/New_York
T1,CA,Toronto,,America/Toronto
""",
    "products.csv": """\
product_id,description,base_uom,units,lot_controlled,gtin,currency,list_price,floor_price
P1,"Nitrile gloves, large",EA,CS=12;PL=480,no,00012345678905,USD,2.50,1.80
P1,,,,,,CAD,3.40,
P2,Saline 500 ml,EA,CS=24,yes,,USD,1.10,0.95
P3,Sample kit,EA,,no,,,,
""",
    # K2 is a member of the group K5 heads; its id sorts before its head's
    "customers.csv": """\
customer_id,legal_entity_id,name,parent_id,payment_terms,credit_limit,currency,billing_trigger,\
accepts_partial,home_warehouse_id,blocked,edi_id,ship_to_id,ship_to_name,city,region,postal_code,\
country
K5,US,Kettering Health,,Net 30,100000.00,USD,on_pod,yes,W1,no,KHN01,K5-A,Main dock,Kettering,OH,45429,
K5,,,,,,,,,,,,K5-B,,Kettering,OH,45429,US
K2,US,Kettering East,K5,2/10 net 30,5000,USD,,no,W2,,,K2-A,East dock,Dayton,OH,45402,US
K3,US,Dayton Dental,,net 45,2500.00,USD,consolidated,no,W2,yes,,K3-A,,Dayton,OH,45402,US
C1,CA,Toronto Clinic,,net 30,20000.00,CAD,,,T1,,,C1-A,,Toronto,ON,M5V 2T6,CA
""",
    "price_agreements.csv": """\
agreement_id,customer_id,group,product_id,currency,price,valid_from,valid_to,min_quantity,break_price
PA-2,K3,no,P1,USD,2.30,2026-01-01,2026-12-31,,
PA-1,K5,yes,P1,USD,2.20,2026-01-01,,480,1.95
PA-1,,,,,,,,120,2.05
""",
    "tax_rates.csv": """\
rate_id,country,region,county,city,tax_class,name,rate,valid_from,valid_to
US-OH-MONTGOMERY,US,OH,Montgomery,,,county,0.0150,2020-01-01,
US-OH,US,OH,,,standard,state,0.0575,2020-01-01,
CA-ON-HST,CA,ON,,,,HST,0.13,2010-07-01,2030-12-31
""",
    "stock.csv": """\
warehouse_id,product_id,lot_id,expiry,quantity,uom
W1,P1,,,50,CS
W1,P2,L-7,2027-03-31,240,
W2,P2,L-8,2027-06-30,2,CS
""",
}


def fixture_dir(root: Path) -> Path:
    d = root / "in"
    d.mkdir()
    for name, text in FILES.items():
        (d / name).write_text(text)
    return d


def run(*args: str) -> tuple[int, str]:
    out = runner.invoke(app, ["master", *args])
    assert "Traceback" not in out.output, out.output
    return out.exit_code, out.output


def event_count(db: Path) -> int:
    return int(sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0])


def files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_export_then_load_changes_nothing_and_a_fresh_database_gives_the_same_files(
        tmp_path: Path) -> None:
    db, fresh = tmp_path / "one.db", tmp_path / "two.db"
    code, out = run("load", str(fixture_dir(tmp_path)), "--db", str(db))
    assert code == 0, out
    code, out = run("export", str(tmp_path / "out"), "--db", str(db))
    assert code == 0, out
    exported = files(tmp_path / "out")
    assert sorted(exported) == sorted(FILES)
    text = {k: v.decode() for k, v in exported.items()}
    # by key; a group's head before its members; every column; repeated on each row
    assert [line.split(",")[0] for line in text["customers.csv"].splitlines()[1:]] == \
        ["C1", "K3", "K5", "K5", "K2"]
    assert ("K5,US,Kettering Health,,net 30,100000.00,USD,on_pod,yes,W1,no,KHN01,,K5-B,"
            "Kettering Health,Kettering,OH,45429,US,") in text["customers.csv"]
    assert text["products.csv"].splitlines()[1:3] == [
        'P1,"Nitrile gloves, large",EA,CS=12;PL=480,no,00012345678905,CAD,3.40,,standard',
        'P1,"Nitrile gloves, large",EA,CS=12;PL=480,no,00012345678905,USD,2.50,1.80,standard']
    assert "P3,Sample kit,EA,,no,,,,,standard\n" in text["products.csv"]
    # by id, the class written out, the digits kept
    assert text["tax_rates.csv"].splitlines()[1:] == [
        "CA-ON-HST,CA,ON,,,standard,HST,0.13,2010-07-01,2030-12-31",
        "US-OH,US,OH,,,standard,state,0.0575,2020-01-01,",
        "US-OH-MONTGOMERY,US,OH,Montgomery,,standard,county,0.0150,2020-01-01,"]
    assert text["price_agreements.csv"].splitlines()[1:] == [
        "PA-1,K5,yes,P1,USD,2.20,2026-01-01,,120,2.05",
        "PA-1,K5,yes,P1,USD,2.20,2026-01-01,,480,1.95",
        "PA-2,K3,no,P1,USD,2.30,2026-01-01,2026-12-31,,"]
    # on hand now, in base units
    assert text["stock.csv"].splitlines()[1:] == [
        "W1,P1,,,600,", "W1,P2,L-7,2027-03-31,240,", "W2,P2,L-8,2027-06-30,48,"]
    assert "T1,CA,Toronto,,America/Toronto" in text["warehouses.csv"]
    assert "CA,Acme Supply Canada Ltd.,CAD,CA-ON,0.13,CA,UTC" in text["legal_entities.csv"]

    # into the same database: every record unchanged, nothing recorded
    before = event_count(db)
    code, out = run("load", str(tmp_path / "out"), "--db", str(db))
    assert code == 0, out
    lines = [x for x in " ".join(out.split()).split(str(tmp_path / "out") + "/") if x]
    assert len(lines) == 7, out
    for line in lines:
        assert ("nothing changed" in line or
                (" 0 applied" in line and "0 parked" in line and "unchanged" in line)), line
    assert "0 applied, 4 unchanged" in out  # the customers file
    assert event_count(db) == before
    code, out = run("export", str(tmp_path / "again"), "--db", str(db))
    assert code == 0 and files(tmp_path / "again") == exported

    # into a fresh database, exported again: the same bytes
    code, out = run("load", str(tmp_path / "out"), "--db", str(fresh))
    assert code == 0, out
    code, out = run("export", str(tmp_path / "fresh"), "--db", str(fresh))
    assert code == 0, out
    assert files(tmp_path / "fresh") == exported


def test_stock_is_exported_as_it_is_now(tmp_path: Path) -> None:
    from o2c.store.sql import SqlStore
    from tests.builders import Harness

    db = tmp_path / "o2c.db"
    code, out = run("load", str(fixture_dir(tmp_path)), "--db", str(db))
    assert code == 0, out
    code, out = run("export", str(tmp_path / "before"), "--kind", "stock", "--db", str(db))
    assert code == 0, out
    h = Harness(store=SqlStore(f"sqlite:///{db}"))
    received = h.send("stock_receipt", {"warehouse_id": "W1", "product_id": "P2", "lot_id": "L-7",
                                        "expiry": "2027-03-31", "quantity": "12",
                                        "reference": "ASN-1"})
    assert received.status.value == "applied", received
    h.app.close()
    code, out = run("export", str(tmp_path / "after"), "--kind", "stock", "--db", str(db))
    assert code == 0, out
    assert "W1,P2,L-7,2027-03-31,252," in (tmp_path / "after" / "stock.csv").read_text()
    # what o2c holds now loads as unchanged; the older file's moved position is refused
    code, out = run("load", str(tmp_path / "after"), "--db", str(db))
    assert code == 0 and "0 applied, 3 unchanged" in out, out
    # (under another name: the same rows from a file of the same name are already loaded)
    old = tmp_path / "stock-old.csv"
    old.write_bytes((tmp_path / "before" / "stock.csv").read_bytes())
    code, out = run("load", str(old), "--kind", "stock", "--db", str(db))
    said = " ".join(out.split())
    assert code == 1 and "2 unchanged" in said and "1 parked" in said, said
    assert "o2c already keeps this position (252 on hand)" in said


def test_one_kind_and_what_is_in_the_way(tmp_path: Path) -> None:
    db = tmp_path / "o2c.db"
    d = fixture_dir(tmp_path)
    code, out = run("load", str(d / "legal_entities.csv"), "--db", str(db))
    assert code == 0, out
    code, out = run("export", str(tmp_path / "out"), "--kind", "legal_entities", "--db", str(db))
    assert code == 0, out
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["legal_entities.csv"]
    # a kind o2c holds none of gets no file; a stale one would be loaded with the others
    code, out = run("export", str(d), "--db", str(db))
    assert code == 2
    assert "holds warehouses.csv, products.csv, customers.csv, price_agreements.csv, tax_rates.csv, " \
        "stock.csv" \
        in " ".join(out.split())
    code, out = run("export", str(tmp_path / "out"), "--kind", "customer", "--db", str(db))
    assert code == 2 and "--kind must be one of" in out


def test_a_full_file_reports_the_accounts_it_lacks_and_keeps_them(tmp_path: Path) -> None:
    db = tmp_path / "o2c.db"
    code, out = run("load", str(fixture_dir(tmp_path)), "--db", str(db))
    assert code == 0, out
    # the ERP's full customers file of US no longer holds K3; it holds no account of CA, so
    # CA's C1 is not its to report
    full = tmp_path / "full" / "customers.csv"
    full.parent.mkdir()
    full.write_text("\n".join(x for x in FILES["customers.csv"].splitlines()
                              if not x.startswith(("K3", "C1"))) + "\n")
    code, out = run("load", str(full), "--full", "--db", str(db))
    assert code == 0, out
    said = " ".join(out.split())
    assert "1 customers record(s) o2c holds of US missing from the file" in said, said
    assert "(kept, not deleted; reported as master_data_reconciliation): K3" in said
    assert "2 customers record(s): 0 applied, 0 unchanged, 2 already loaded, 0 parked, " \
           "1 missing from the file" in said, said
    con = sqlite3.connect(db)
    rows = con.execute("SELECT destination, payload FROM outbox "
                       "WHERE kind = 'master_data_reconciliation'").fetchall()
    assert len(rows) == 1
    destination, payload = rows[0]
    report = json.loads(payload)
    assert destination == "erp"
    assert (report["kind"], report["legal_entities"], report["missing"], report["held"],
            report["in_file"]) == ("customers", ["US"], ["K3"], 3, 2)
    assert "C1" not in said
    # nothing was deleted: K3 is still held and still exported
    (doc,) = con.execute("SELECT doc FROM customers WHERE customer_id = 'K3'").fetchone()
    assert json.loads(doc)["name"] == "Dayton Dental"
    code, out = run("export", str(tmp_path / "out"), "--kind", "customers", "--db", str(db))
    assert code == 0 and "K3,US,Dayton Dental" in (tmp_path / "out" / "customers.csv").read_text()
    # the same file again: already loaded, still reported
    code, out = run("load", str(full), "--full", "--db", str(db))
    assert code == 0 and "nothing changed, 1 missing from the file" in " ".join(out.split())
    # a full file that holds everything: none missing, nothing reported
    code, out = run("load", str(tmp_path / "in" / "products.csv"), "--full", "--db", str(db))
    assert code == 0 and "none missing from the file" in out


def test_a_full_file_with_unreadable_rows_is_not_reconciled(tmp_path: Path) -> None:
    db = tmp_path / "o2c.db"
    code, out = run("load", str(fixture_dir(tmp_path)), "--db", str(db))
    assert code == 0, out
    bad = tmp_path / "bad" / "warehouses.csv"
    bad.parent.mkdir()
    bad.write_text("warehouse_id,legal_entity_id,name,region,timezone\nW1,US,Columbus,OH\n")
    code, out = run("load", str(bad), "--full", "--db", str(db))
    assert code == 1
    assert "not reconciled" in out and "missing from the file" not in out
    n = sqlite3.connect(db).execute("SELECT count(*) FROM outbox WHERE kind = "
                                    "'master_data_reconciliation'").fetchone()[0]
    assert n == 0


CONFIG = """\
master:
  - source: erp
    kind: customers
    delimiter: ";"
    columns:
      customer_id: Cust No
      name: Cust Name
      legal_entity_id: Company
      ship_to_id: Ship To
"""


def test_a_source_layout_loads_its_own_headers_and_errors_name_them(tmp_path: Path) -> None:
    db = tmp_path / "o2c.db"
    d = fixture_dir(tmp_path)
    for kind in ("legal_entities", "warehouses"):
        code, out = run("load", str(d / f"{kind}.csv"), "--db", str(db))
        assert code == 0, out
    config = tmp_path / "integrations.yaml"
    config.write_text(CONFIG)
    theirs = tmp_path / "erp" / "customers.csv"
    theirs.parent.mkdir()
    theirs.write_text("Cust No;Company;Cust Name;payment_terms;credit_limit;currency;"
                      "home_warehouse_id;Ship To;city\n"
                      "K7;US;Miami Valley;net 30;1000.00;USD;W1;K7-A;Dayton\n"
                      ";US;No Number;net 30;1000.00;USD;W1;K8-A;Dayton\n")
    code, out = run("load", str(theirs), "--config", str(config), "--db", str(db))
    said = " ".join(out.split())
    assert code == 1, out
    assert "1 customers record(s): 1 applied" in said
    assert "customers.csv, row 3, column Cust No: expected a value: the account's id" in said
    (doc,) = sqlite3.connect(db).execute(
        "SELECT doc FROM customers WHERE customer_id = 'K7'").fetchone()
    assert json.loads(doc)["ship_tos"][0]["ship_to_id"] == "K7-A"
    # a required column missing: named as the source calls it
    theirs.write_text("Company;Cust Name;payment_terms;credit_limit;currency;home_warehouse_id;"
                      "Ship To\nUS;Miami Valley;net 30;1000.00;USD;W1;K7-A\n")
    code, out = run("load", str(theirs), "--config", str(config), "--db", str(db))
    assert code == 1
    assert "column Cust No: expected a column named Cust No (the account's id)" in " ".join(out.split())
    # from another source, without a layout: the default one, which knows no such headers
    theirs.write_text("Cust No,Company\nK9,US\n")
    code, out = run("load", str(theirs), "--source", "crm", "--db", str(db))
    assert code == 1 and "column Cust No: expected one of the columns customer_id" in out
