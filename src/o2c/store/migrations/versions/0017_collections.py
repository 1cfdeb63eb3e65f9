"""Collections: open invoices aged and ranked by query.

``invoices`` gains ``legal_entity_id``, ``currency`` and ``disputed`` (the open amount in
open disputes), a partial index on open invoices holding every column AR aging and the
worklist read, by account, and one by entity and due date for the daily dunning run.
``accounts`` gains ``risk`` and ``promise`` (the worklist's order). Existing rows take
entity and currency from their stored document, and disputed amounts
from the log's ``DisputeOpened``/``DisputeResolved`` (written into the document too, so the
projector carries on from there).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXACT = sa.Numeric(18, 4).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("legal_entity_id", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("currency", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("disputed", EXACT, nullable=False, server_default="0"))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("risk", EXACT, nullable=True))
        batch.add_column(sa.Column("promise", sa.String(), nullable=True))
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.execute(sa.text("UPDATE invoices SET legal_entity_id = json_extract(doc, '$.legal_entity_id'), "
                             "currency = json_extract(doc, '$.currency')"))
    else:
        conn.execute(sa.text("UPDATE invoices SET legal_entity_id = doc::json->>'legal_entity_id', "
                             "currency = doc::json->>'currency'"))
    _backfill_disputes(conn, sqlite)
    op.create_index("ix_invoices_open", "invoices",
                    ["customer_id", "legal_entity_id", "currency", "due_date", "open_amount", "disputed"],
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
    op.create_index("ix_invoices_open_due", "invoices", ["legal_entity_id", "due_date"],
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def _backfill_disputes(conn: sa.Connection, sqlite: bool) -> None:
    """Disputes still open, per invoice, from the log."""
    rows = conn.execute(sa.text("SELECT type, payload FROM events WHERE type IN "
                                "('DisputeOpened', 'DisputeResolved') ORDER BY seq")).fetchall()
    open_: dict[str, tuple[str, Decimal]] = {}
    for kind, payload in rows:
        p = json.loads(payload)
        if kind == "DisputeOpened":
            open_[p["dispute_id"]] = (p["invoice_id"], Decimal(str(p["amount"]["amount"])))
        else:
            open_.pop(p["dispute_id"], None)
    per_invoice: dict[str, dict[str, Decimal]] = {}
    for dispute_id, (invoice_id, amount) in open_.items():
        per_invoice.setdefault(invoice_id, {})[dispute_id] = amount
    for invoice_id, disputes in per_invoice.items():
        doc = conn.execute(sa.text("SELECT doc FROM invoices WHERE invoice_id = :i"),
                           {"i": invoice_id}).scalar()
        if doc is None:
            continue
        d = json.loads(doc)
        d["disputes"] = {k: str(v) for k, v in disputes.items()}
        total = sum(disputes.values(), Decimal(0))
        conn.execute(sa.text("UPDATE invoices SET disputed = :d, doc = :doc WHERE invoice_id = :i"),
                     {"d": int(total * 10000) if sqlite else total, "doc": json.dumps(d), "i": invoice_id})


def downgrade() -> None:
    op.drop_index("ix_invoices_open_due", "invoices")
    op.drop_index("ix_invoices_open", "invoices")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("promise")
        batch.drop_column("risk")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("disputed")
        batch.drop_column("currency")
        batch.drop_column("legal_entity_id")
