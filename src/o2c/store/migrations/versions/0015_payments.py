"""Payments as a read model: each payment with where its cash went (applied per invoice, on
account, unapplied), so that the cash application queue is a query and a person can unapply
and apply again.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("waiting", sa.Boolean(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name="pk_payments"),
    )
    op.create_index("ix_payments_waiting_received_at", "payments", ["waiting", "received_at"])
    op.create_index("ix_payments_customer_id", "payments", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_payments_customer_id", "payments")
    op.drop_index("ix_payments_waiting_received_at", "payments")
    op.drop_table("payments")
