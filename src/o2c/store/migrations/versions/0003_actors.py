"""Keep who sent each inbound message.

Every command carries an actor (a person, an API key or a system); the inbox
keeps the actor of each message it stores, and a dead letter keeps it too, so
a message replayed as stored acts as the one who sent it. NULL: the source
system itself (an EDI channel, a WMS), as before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("actor", sa.Text(), nullable=True))
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("actor", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("actor")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("actor")
