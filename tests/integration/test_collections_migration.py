"""Migration 0017 fills the collections columns in for invoices stored before it: legal
entity and currency from the stored document, the disputed amount (and the document's open
disputes) from the log's DisputeOpened and DisputeResolved."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from o2c.domain import events as ev
from o2c.domain.money import Money
from o2c.store.database import alembic_config
from o2c.store.sql import SqlStore
from tests.builders import Harness, seed
from tests.unit.test_collections_engine import apply, invoiced, short_pay


def _migrate(engine: Any, to: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        (command.downgrade if to != "head" else command.upgrade)(cfg, to)


def test_invoices_stored_before_the_upgrade_are_aged_with_their_disputes_after_it(sql_store: Any) -> None:
    h = Harness(store=sql_store)
    seed(h.app)
    h.stock("P1", "1000")
    a, b = invoiced(h, "PO-1"), invoiced(h, "PO-2")
    short_pay(h, a.invoice_id, "114.50", "100.00")  # a: 100.00 open, all disputed
    apply(h, ev.DisputeOpened(dispute_id="D-B", invoice_id=b.invoice_id, customer_id="C1",
                              reason_code="pricing", amount=Money(Decimal("50.00"), "USD")))
    apply(h, ev.DisputeResolved(dispute_id="D-B", invoice_id=b.invoice_id, customer_id="C1",
                                outcome="withdrawn", credit_memo_id=None))
    engine = sql_store.engine
    _migrate(engine, "0015")
    with engine.begin() as conn:  # documents as they were stored before: no disputes in them
        for invoice_id, doc in conn.execute(text("SELECT invoice_id, doc FROM invoices")).fetchall():
            d = json.loads(doc)
            d.pop("disputes", None)
            conn.execute(text("UPDATE invoices SET doc = :d WHERE invoice_id = :i"),
                         {"d": json.dumps(d), "i": invoice_id})
    _migrate(engine, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT invoice_id, legal_entity_id, currency FROM invoices "
                                 "ORDER BY invoice_id")).fetchall()
    assert [tuple(r) for r in rows] == [(a.invoice_id, "US", "USD"), (b.invoice_id, "US", "USD")]
    fresh = SqlStore(engine)  # nothing cached from before the upgrade
    with fresh.unit_of_work() as uow:
        assert uow.invoices.get(a.invoice_id).disputed == Decimal("100.00")
        assert uow.invoices.get(b.invoice_id).disputed == 0
        [row] = uow.invoices.aging({}, a.due_date)
    assert (row.disputed, row.total) == (Decimal("100.00"), Decimal("314.50"))
