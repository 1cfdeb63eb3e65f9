"""Migration 0019 fills the payer's bank account in for payments stored before it, so a
payment from the same account after the upgrade finds its payer."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from o2c.store.database import alembic_config, make_engine
from o2c.store.sql import SqlStore
from tests.builders import Harness, seed

IBAN = "DE89370400440532013000"


def test_payments_stored_before_the_upgrade_name_their_payer_after_it(tmp_path: Path) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    url = f"sqlite:///{tmp_path / 'o2c.db'}"
    h = Harness(store=SqlStore(url))
    seed(h.app)
    h.send("payment", {"payment_id": "PAY1", "customer_id": "C1", "amount": "5.00", "currency": "USD",
                       "payer_account": IBAN})
    h.app.close()
    engine = make_engine(url)
    try:
        cfg = alembic_config()
        before = ScriptDirectory.from_config(cfg).get_revision("0019").down_revision
        for step in ("downgrade", "upgrade"):
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                getattr(command, step)(cfg, before if step == "downgrade" else "head")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT payment_id, payer_account FROM payments")).fetchall()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("PAY1", IBAN)]
    with SqlStore(url).unit_of_work() as uow:
        assert uow.payments.paid_from(IBAN) == ["C1"]
