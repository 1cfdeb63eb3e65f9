"""Read models rebuilt from the event log equal the live ones, on SQLite and
PostgreSQL: the log is the source of truth, the tables are derived."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import text

from o2c.engine.rebuild import rebuild
from o2c.store.sql import SqlStore
from tests.builders import Harness
from tests.unit.test_invariants import harness, play

HISTORY = [
    ("order", 1, 12), ("order", 2, 30), ("order", 3, 8), ("stock", "W2", 40), ("ship", 0, 0),
    ("order", 1, 50), ("release", 1, 0), ("ship", 1, 0), ("deliver", 2, 0), ("ship", 2, 0),
    ("deliver", 2, 0), ("pay", 0, "0.5"), ("pay", 0, "1"), ("memo", 1, "0.3"), ("stock", "W1", 40),
    ("ship", 3, 0), ("pay", 2, "1.1"), ("order", 2, 5), ("release", 4, 0), ("ship", 4, 1),
    ("order", 1, 7),
]

TABLES = {
    "orders": "SELECT order_id, status, on_hold, version, doc FROM orders ORDER BY order_id",
    "backorders": "SELECT order_id, product_id FROM order_backorders ORDER BY 1, 2",
    "invoices": "SELECT invoice_id, status, version, doc FROM invoices ORDER BY invoice_id",
    "accounts": "SELECT customer_id, version, doc FROM accounts ORDER BY customer_id",
}


def snapshot(store: SqlStore) -> dict[str, list[Any]]:
    with store.engine.connect() as c:
        tables = {name: [tuple(r) for r in c.execute(text(sql))] for name, sql in TABLES.items()}
    with store.unit_of_work() as uow:  # quantities through the port: exact on every backend
        tables["stock"] = uow.stock.positions(["P1", "P2"])
    return tables


def test_rebuilding_from_the_log_gives_the_same_read_models(sql_store, sqlite_template: Path,
                                                            tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("tests.unit.test_invariants.Harness", lambda: Harness(store=sql_store))
    h = harness()
    play(h, HISTORY)
    live = snapshot(sql_store)
    assert len(live["orders"]) == 6 and live["invoices"]
    assert any(p.reserved for p in live["stock"])

    path = tmp_path / "rebuilt.db"
    shutil.copy(sqlite_template, path)
    fresh = SqlStore(f"sqlite:///{path}")
    with sql_store.unit_of_work() as src, fresh.unit_of_work() as dst:
        m = dst.master
        for le in ("US",):
            m.add_legal_entity(src.master.legal_entity(le))
        for w in src.master.warehouses("US"):
            m.add_warehouse(w)
        for c in ("C1", "C2", "C3"):
            m.add_customer(src.master.customer(c))
        for p in ("P1", "P2"):
            m.add_product(src.master.product(p))
        dst.commit()
    with sql_store.unit_of_work() as uow:
        replayed = rebuild(uow.events.all(), fresh.unit_of_work)
    assert replayed > 40
    assert snapshot(fresh) == live
    fresh.dispose()
