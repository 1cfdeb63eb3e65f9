"""Durable timers: a hold's SLA, a shipment's overdue proof of delivery, an order that
has not moved. One row per timer, keyed by an id derived from what it watches; only
scheduled timers are indexed, by due time then id (the order they are claimed in).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py.
ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "timers",
        sa.Column("timer_id", ID, nullable=False),
        sa.Column("kind", ID, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("subject", ID, nullable=False),
        sa.Column("correlation_id", ID, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", ID, nullable=False),
        sa.Column("fired_at", TS),
        sa.PrimaryKeyConstraint("timer_id", name="pk_timers"),
    )
    op.create_index(
        "ix_timers_due",
        "timers",
        ["due_at", "timer_id"],
        sqlite_where=sa.text("state = 'scheduled'"),
        postgresql_where=sa.text("state = 'scheduled'"),
    )


def downgrade() -> None:
    op.drop_index("ix_timers_due", table_name="timers")
    op.drop_table("timers")
