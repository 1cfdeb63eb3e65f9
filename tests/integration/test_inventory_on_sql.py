"""Inventory reconciliation (and a deduction) on SQLite and PostgreSQL: the
scenarios of ``tests/unit/test_inventory_reconciliation.py`` (this folder's
``new_harness`` gives them a real database), and a rebuild of what they leave
behind."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from o2c.domain.holds import Role
from o2c.engine.rebuild import rebuild
from o2c.engine.runtime import Status
from o2c.store.sql import SqlStore
from tests.builders import Harness, decider, seed
from tests.unit.test_inventory_reconciliation import (  # noqa: F401
    advise,
    h,
    position,
    test_a_bad_advice_is_refused_whole_and_books_nothing,
    test_a_count_below_what_is_reserved_never_takes_reserved_stock,
    test_a_count_within_tolerance_is_booked_with_the_rule_that_allowed_it,
    test_a_difference_beyond_tolerance_books_nothing_and_waits_for_warehouse_ops,
    test_a_new_lot_counted_by_the_warehouse_is_created_when_the_policy_books_it,
    test_more_stock_than_o2c_knew_reallocates_backorders,
    test_warehouse_ops_may_keep_o2cs_figures_instead,
)


def _state(store: SqlStore) -> tuple[Any, ...]:
    with store.engine.connect() as c:
        accounts = [tuple(r) for r in c.execute(text("SELECT customer_id, version, doc FROM accounts"))]
    with store.unit_of_work() as uow:
        return accounts, uow.stock.positions(["P1", "P2"])


def test_counts_and_deductions_rebuild_to_the_same_read_models(sql_store: Any, sqlite_template: Path,
                                                               tmp_path: Path) -> None:
    run = Harness(store=sql_store)
    seed(run.app)
    run.stock("P1", "100")
    run.stock("P2", "40", lot="L1")
    oid = run.order(lines=[("P1", "60", "EA")]).correlation_id
    run.ship_all(oid)
    [inv] = run.get(oid).invoices
    total = run.invoice(inv).total
    run.send("payment", {"payment_id": "PAY1", "customer_id": "C1", "amount": str(total - 5),
                         "currency": "USD", "references": [{"invoice_id": inv, "amount": str(total - 5)}],
                         "adjustments": [{"invoice_id": inv, "amount": "-5", "reason_code": "06"}]})
    run.order(po="PO-2", lines=[("P1", "39", "EA")])
    advise(run, ("P1", "-", "39.5"), ("P2", "L1", "30"))  # 1.25 % down, 25 % down
    assert position(run) == (Decimal("39.5"), Decimal(39))
    [letter] = run.dead_letters()
    body = json.dumps({**json.loads(letter.body), "by": "wanda", "action": "apply"})
    wanda = decider("wanda", Role.WAREHOUSE_OPS)
    assert run.app.runtime.replay(letter.dead_letter_id, body, actor=wanda).status is Status.APPLIED
    assert position(run, "P2", lot="L1") == (Decimal(30), Decimal(0))
    live = _state(sql_store)
    assert run.account("C1").disputed == Decimal(5)

    path = tmp_path / "rebuilt.db"
    shutil.copy(sqlite_template, path)
    fresh = SqlStore(f"sqlite:///{path}")
    with sql_store.unit_of_work() as src, fresh.unit_of_work() as dst:
        m = dst.master
        m.add_legal_entity(src.master.legal_entity("US"))
        for w in src.master.warehouses("US"):
            m.add_warehouse(w)
        m.add_customer(src.master.customer("C1"))
        for p in ("P1", "P2"):
            m.add_product(src.master.product(p))
        dst.commit()
    with sql_store.unit_of_work() as uow:
        assert rebuild(uow.events.all(), fresh.unit_of_work) >= 20
    assert _state(fresh) == live
    fresh.dispose()
