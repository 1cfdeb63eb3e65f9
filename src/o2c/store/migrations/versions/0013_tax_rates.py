"""Tax rates by jurisdiction and tax class, effective-dated master data read a country at a
time when an invoice is taxed by its ship-to.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String()


def upgrade() -> None:
    op.create_table(
        "tax_rates",
        sa.Column("rate_id", ID, nullable=False),
        sa.Column("country", ID, nullable=False),
        sa.Column("region", ID, nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("rate_id", name="pk_tax_rates"),
    )
    op.create_index("ix_tax_rates_country_region", "tax_rates", ["country", "region"])


def downgrade() -> None:
    op.drop_index("ix_tax_rates_country_region", "tax_rates")
    op.drop_table("tax_rates")
