"""The bank account each payment came from, as a column of ``payments``: an account that paid
for one customer before names the payer of a payment that names no account and no invoice.
Filled in from the stored payments.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("payer_account", sa.String(), nullable=False, server_default=""))
    op.create_index("ix_payments_payer_account", "payments", ["payer_account"])
    payments = sa.table("payments", sa.column("payment_id", sa.String()), sa.column("doc", sa.Text()),
                        sa.column("payer_account", sa.String()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(payments.c.payment_id, payments.c.doc)).fetchall()
    filled = [{"k": pid, "a": account} for pid, doc in rows
              if (account := json.loads(doc).get("payer_account") or "")]
    if filled:
        bind.execute(payments.update().where(payments.c.payment_id == sa.bindparam("k"))
                     .values(payer_account=sa.bindparam("a")), filled)


def downgrade() -> None:
    op.drop_index("ix_payments_payer_account", "payments")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("payer_account")
