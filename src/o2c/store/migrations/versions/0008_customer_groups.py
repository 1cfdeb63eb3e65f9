"""Customer groups: a customer's parent account as a column, for exposure per group.

Credit is checked per account and per group (a parent account and its children);
the engine finds a group's accounts by ``parent_id``. Existing rows take it from
their stored document.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(), nullable=True))
    op.create_index("ix_customers_parent_id", "customers", ["parent_id"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT customer_id, doc FROM customers")).fetchall()
    for customer_id, doc in rows:
        parent = json.loads(doc).get("parent_id")
        if parent:
            conn.execute(sa.text("UPDATE customers SET parent_id = :p WHERE customer_id = :c"),
                         {"p": parent, "c": customer_id})


def downgrade() -> None:
    op.drop_index("ix_customers_parent_id", "customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("parent_id")
