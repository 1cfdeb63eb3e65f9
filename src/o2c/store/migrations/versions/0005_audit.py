"""The audit chain: who changed what, when, from where, each entry hashing the one before.

``audit`` holds the entries, numbered without gaps in the order they were sealed;
``audit_head`` holds the last one's number and hash (one row), written with every
append, so a check can tell a tail cut off from a chain that ends there.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py.
ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_label", ID, nullable=False),
        sa.Column("on_behalf_of", ID),
        sa.Column("action", ID, nullable=False),
        sa.Column("subject_type", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("legal_entity_id", ID),
        sa.Column("cause", ID),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.Column("prev_hash", ID, nullable=False),
        sa.Column("hash", ID, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit"),
    )
    op.create_index("ix_audit_subject_type_subject_id", "audit", ["subject_type", "subject_id"])
    op.create_index("ix_audit_actor_label", "audit", ["actor_label"])
    op.create_index("ix_audit_on_behalf_of", "audit", ["on_behalf_of"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", ID, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_head_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_index("ix_audit_on_behalf_of", table_name="audit")
    op.drop_index("ix_audit_actor_label", table_name="audit")
    op.drop_index("ix_audit_subject_type_subject_id", table_name="audit")
    op.drop_table("audit")
