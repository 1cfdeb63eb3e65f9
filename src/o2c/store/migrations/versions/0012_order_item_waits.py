"""Orders held until a product is known: one row per product of the lines of an order with
an open VAL-ITEM-UNKNOWN or VAL-UOM-INVALID hold, so that a product arriving as master data
finds the orders to validate again without reading every held order. Existing held orders
are filled in from their stored documents.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String()
_CODES = {"VAL-ITEM-UNKNOWN", "VAL-UOM-INVALID"}


def upgrade() -> None:
    op.create_table(
        "order_item_waits",
        sa.Column("order_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "product_id", name="pk_order_item_waits"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], ondelete="CASCADE", name="fk_order_item_waits_order_id_orders"
        ),
    )
    op.create_index("ix_order_item_waits_product_id", "order_item_waits", ["product_id"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT order_id, doc FROM orders WHERE on_hold = :t"), {"t": True})
    insert = sa.text("INSERT INTO order_item_waits (order_id, product_id) VALUES (:o, :p)")
    for order_id, doc in rows.fetchall():
        order = json.loads(doc)
        if not any(h.get("code") in _CODES and h.get("status") == "open" for h in order.get("holds", [])):
            continue
        for product in sorted({ln["product_id"] for ln in order.get("lines", [])}):
            conn.execute(insert, {"o": order_id, "p": product})


def downgrade() -> None:
    op.drop_index("ix_order_item_waits_product_id", "order_item_waits")
    op.drop_table("order_item_waits")
