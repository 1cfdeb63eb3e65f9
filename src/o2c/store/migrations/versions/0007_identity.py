"""People and systems that may act: users, API keys, delegations, sessions.

Every API route and every administrative command now asks who is acting. A user
holds roles and the legal entities they act for, with a password kept as its
argon2 hash; an API key (a system's credential) and a session token are kept as
the SHA-256 of their random secret, never in clear. A delegation lets one person
hold another's roles for a period.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py.
ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("entities", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("changed_at", TS, nullable=True),
        sa.Column("changed_by", ID, nullable=True),
        sa.Column("disabled_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
    )
    op.create_table(
        "api_keys",
        sa.Column("name", ID, nullable=False),
        sa.Column("prefix", ID, nullable=False),
        sa.Column("secret_hash", ID, nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("entities", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_api_keys"),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    )
    op.create_table(
        "delegations",
        sa.Column("delegation_id", ID, nullable=False),
        sa.Column("from_user", ID, nullable=False),
        sa.Column("to_user", ID, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.PrimaryKeyConstraint("delegation_id", name="pk_delegations"),
        sa.ForeignKeyConstraint(["from_user"], ["users.user_id"], name="fk_delegations_from_user_users"),
        sa.ForeignKeyConstraint(["to_user"], ["users.user_id"], name="fk_delegations_to_user_users"),
    )
    op.create_index("ix_delegations_to_user", "delegations", ["to_user"])
    op.create_table(
        "sessions",
        sa.Column("token_hash", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_sessions_user_id_users"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index("ix_delegations_to_user", table_name="delegations")
    op.drop_table("delegations")
    op.drop_table("api_keys")
    op.drop_table("users")
