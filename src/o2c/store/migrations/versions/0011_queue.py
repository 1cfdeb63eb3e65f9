"""The work queue: who has claimed an open hold, and comments on holds.

``hold_claims`` holds one row per claimed hold (the hold id is the key, so two people
cannot both claim it); ``hold_comments`` keeps every comment, in the order written.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py.
ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hold_claims",
        sa.Column("hold_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("claimed_by", ID, nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("assigned_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("hold_id", name="pk_hold_claims"),
    )
    op.create_index("ix_hold_claims_claimed_by", "hold_claims", ["claimed_by"])
    op.create_table(
        "hold_comments",
        sa.Column("comment_id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("hold_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("author", ID, nullable=False),
        sa.Column("written_at", TS, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("comment_id", name="pk_hold_comments"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_hold_comments_hold_id", "hold_comments", ["hold_id"])


def downgrade() -> None:
    op.drop_index("ix_hold_comments_hold_id", table_name="hold_comments")
    op.drop_table("hold_comments")
    op.drop_index("ix_hold_claims_claimed_by", table_name="hold_claims")
    op.drop_table("hold_claims")
