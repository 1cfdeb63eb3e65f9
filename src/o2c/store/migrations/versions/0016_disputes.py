"""Dispute cases as a read model: each case with its category, the role it waits on, its
SLA, evidence and resolution, so that the case lists are queries.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("dispute_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("legal_entity_id", ID, nullable=False),
        sa.Column("status", ID, nullable=False),
        sa.Column("owner_role", ID, nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("sla_due", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("dispute_id", name="pk_disputes"),
    )
    op.create_index("ix_disputes_status_opened_at", "disputes", ["status", "opened_at"])
    op.create_index("ix_disputes_customer_id", "disputes", ["customer_id"])
    op.create_index("ix_disputes_invoice_id", "disputes", ["invoice_id"])


def downgrade() -> None:
    op.drop_index("ix_disputes_invoice_id", "disputes")
    op.drop_index("ix_disputes_customer_id", "disputes")
    op.drop_index("ix_disputes_status_opened_at", "disputes")
    op.drop_table("disputes")
