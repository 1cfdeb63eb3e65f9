"""The outbound document ledger: every X12 transaction set o2c sends, with its control numbers,
what it carries and the partner's 997 (see o2c.domain.documents).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sent_documents",
        sa.Column("document_id", ID, nullable=False),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("doc_type", ID, nullable=False),
        sa.Column("group_control_number", ID, nullable=False),
        sa.Column("set_control_number", ID, nullable=False),
        sa.Column("status", ID, nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("order_id", ID),
        sa.Column("invoice_id", ID),
        sa.Column("shipment_id", ID),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", name="pk_sent_documents"),
    )
    op.create_index("ix_sent_documents_ack_key", "sent_documents",
                    ["partner_id", "group_control_number", "set_control_number"])
    op.create_index("ix_sent_documents_status_sent_at", "sent_documents", ["status", "sent_at"])
    op.create_index("ix_sent_documents_order_id", "sent_documents", ["order_id"])
    op.create_index("ix_sent_documents_invoice_id", "sent_documents", ["invoice_id"])


def downgrade() -> None:
    op.drop_index("ix_sent_documents_invoice_id", "sent_documents")
    op.drop_index("ix_sent_documents_order_id", "sent_documents")
    op.drop_index("ix_sent_documents_status_sent_at", "sent_documents")
    op.drop_index("ix_sent_documents_ack_key", "sent_documents")
    op.drop_table("sent_documents")
