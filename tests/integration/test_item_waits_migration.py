"""Migration 0012 fills ``order_item_waits`` in for orders already held for an unknown item,
so a product loaded after the upgrade finds them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from o2c.store.database import alembic_config, make_engine
from o2c.store.sql import SqlStore
from tests.builders import Harness, seed


def test_orders_held_before_the_upgrade_are_found_after_it(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'o2c.db'}"
    h = Harness(store=SqlStore(url))
    seed(h.app)
    held = h.order(lines=[("P1", "1", "EA"), ("P9", "1", "EA")]).correlation_id
    h.order(po="PO-2")  # not held for an item
    h.app.close()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0011")
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT order_id, product_id FROM order_item_waits "
                                     "ORDER BY product_id")).fetchall()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [(held, "P1"), (held, "P9")]
