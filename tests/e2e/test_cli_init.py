"""From an empty database to a first order, as the README walks it: ``o2c init --from
examples/company`` loads the example company through the same path as ``o2c master load``,
then the example order file goes in and its orders come out validated, priced by the
contract (or group price list) and its version, and allocated."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPANY = ROOT / "examples" / "company"
ORDERS = COMPANY / "orders" / "orders.csv"
CONFIG = COMPANY / "integrations.yaml"


def o2c(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "o2c.cli", *args], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr
    if check and out.returncode != 0:
        raise AssertionError(f"o2c {' '.join(args)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A database set up from the example company; its URL and what init printed."""
    url = f"sqlite:///{tmp_path_factory.mktemp('company') / 'company.db'}"
    return url, flat(o2c("init", "--from", str(COMPANY), "--db", url).stdout)


def test_init_loads_every_file_of_the_example_company(company: tuple[str, str]) -> None:
    _, out = company
    loaded = {kind: (int(n), int(applied)) for kind, n, applied in re.findall(
        r"(\w+)\.csv: (\d+) \1 record\(s\): (\d+) applied, 0 unchanged, 0 already loaded, 0 parked", out)}
    assert loaded.keys() == {"legal_entities", "warehouses", "products", "customers", "price_agreements",
                             "tax_rates", "stock"}, out
    assert all(n == applied for n, applied in loaded.values()), loaded
    assert {k: loaded[k][0] for k in ("legal_entities", "warehouses", "products", "customers")} == {
        "legal_entities": 2, "warehouses": 3, "products": 300, "customers": 50}
    assert "ready" in out


def test_the_example_orders_are_validated_priced_by_contract_and_allocated(company: tuple[str, str]) -> None:
    from o2c.bootstrap import bootstrap
    from o2c.domain.orders import OrderStatus

    url, _ = company
    out = flat(o2c("ingest", str(ORDERS), "--kind", "csv", "--config", str(CONFIG), "--db", url).stdout)
    assert "3 message(s)" in out and "dead_lettered" not in out, out
    traced = json.loads(o2c("trace", "SO-00000001", "--db", url, "--json").stdout)
    steps = [s["type"] for s in traced["steps"]]
    assert steps[:5] == ["OrderReceived", "OrderValidated", "CreditApproved", "StockAllocated",
                         "OrderReleased"], steps
    validated = next(s["summary"] for s in traced["steps"] if s["type"] == "OrderValidated")
    assert "contract:PA-C2004-01@v1" in validated, validated

    app = bootstrap(url)
    try:
        with app.store.unit_of_work() as uow:
            orders = {o.customer_id: o for o in (uow.orders.get(f"SO-0000000{n}") for n in (1, 2, 3)) if o}
    finally:
        app.close()
    assert set(orders) == {"C2004", "C2002", "C2015"}
    for o in orders.values():
        assert o.status is OrderStatus.RELEASED, (o.order_id, o.status)
        assert all(ln.allocated == ln.base_quantity > 0 for ln in o.lines), o.order_id
    own, member, plain = orders["C2004"], orders["C2002"], orders["C2015"]
    # the account's own contract, 12 cases of 6 over its 60-unit break: the break price
    assert [(ln.price_source, ln.unit_price) for ln in own.lines] == [
        ("contract:PA-C2004-01@v1", Decimal("12.92")), ("contract:PA-C2004-03@v1", Decimal("25.79"))]
    # a member of the group C2001 heads buys on its group price list
    assert [ln.price_source for ln in member.lines] == ["contract:GPL-C2001-01@v1",
                                                       "contract:GPL-C2001-02@v1"]
    assert [ln.price_source for ln in plain.lines] == ["list"]


def test_init_twice_changes_nothing(company: tuple[str, str]) -> None:
    url, _ = company
    path = url.removeprefix("sqlite:///")

    def counts() -> tuple[int, int]:
        with sqlite3.connect(path) as db:
            return (db.execute("SELECT count(*) FROM events").fetchone()[0],
                    db.execute("SELECT count(*) FROM inbox").fetchone()[0])

    before = counts()
    out = flat(o2c("init", "--from", str(COMPANY), "--db", url).stdout)
    assert out.count("already loaded (") == 7 and "nothing changed" in out, out
    assert counts() == before


def test_init_refuses_what_is_not_a_directory_of_master_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    missing = o2c("init", "--from", str(tmp_path / "nowhere"), "--db", url, check=False)
    assert missing.returncode == 2 and "no such directory" in flat(missing.stderr)
    a_file = o2c("init", "--from", str(ORDERS), "--db", url, check=False)
    assert a_file.returncode == 2 and "not a directory" in flat(a_file.stderr)
    assert o2c("init", "--from", str(COMPANY / "orders"), "--db", url, check=False).returncode == 2


def test_init_exits_1_naming_a_parked_record_and_again_while_it_stays_parked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    d = tmp_path / "company"
    d.mkdir()
    for name in ("legal_entities.csv", "warehouses.csv"):
        (d / name).write_text((COMPANY / name).read_text())
    (d / "warehouses.csv").write_text((d / "warehouses.csv").read_text() + "WH-X,ZZ99,Nowhere,,UTC\n")
    first = o2c("init", "--from", str(d), "--db", url, check=False)
    assert first.returncode == 1 and "WH-X parked as DL-" in flat(first.stderr), first.stderr
    again = o2c("init", "--from", str(d), "--db", url, check=False)
    assert again.returncode == 1 and "still parked" in flat(again.stderr), again.stderr
