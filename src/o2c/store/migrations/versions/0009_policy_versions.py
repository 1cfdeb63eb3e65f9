"""Governed policy: every version of every policy document, as proposed and approved.

A version is proposed by one person and approved by another; o2c runs the approved
versions only, each from its own effective date, and refuses one whose document no
longer matches the hash it was approved with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py.
ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("policy_id", ID, nullable=False),
        sa.Column("version", ID, nullable=False),
        sa.Column("status", ID, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", ID, nullable=False),
        sa.Column("effective_from", ID, nullable=False),
        sa.Column("author", ID, nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("approver", ID, nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("policy_id", "version", name="pk_policy_versions"),
    )


def downgrade() -> None:
    op.drop_table("policy_versions")
