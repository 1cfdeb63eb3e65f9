"""Link each inbound message to the raw document it was split out of.

An X12 interchange, a CSV file or a WMS batch is stored whole in the inbox
first; the canonical messages split out of it now name it in ``document``
(``"source:source_message_id"`` of the raw row), so a trace can show the raw
transaction set or rows next to the events they produced.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("document", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("document")
