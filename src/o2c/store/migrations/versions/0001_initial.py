"""The initial schema: event log, inbox, outbox, dead letters, sequences,
read models (orders, invoices, accounts, stock) and master data.

Types are spelled out here rather than imported from ``o2c.store.tables`` so
that this migration keeps meaning the same thing when the code moves on
(see the storage notes in ``tables.py``).

Revision ID: 0001
Revises:
Create Date: 2024-05-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in tables.py.
ID = sa.String()
TS = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")
EXACT = sa.Numeric(18, 4).with_variant(sa.BigInteger(), "sqlite")
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("type", ID, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("correlation_id", ID, nullable=False),
        sa.Column("causation_id", ID),
        sa.Column("source", ID, nullable=False),
        sa.Column("entity_type", ID, nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_correlation_id", "events", ["correlation_id"])

    op.create_table(
        "inbox",
        sa.Column("source", ID, nullable=False),
        sa.Column("source_message_id", ID, nullable=False),
        sa.Column("kind", ID, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("content_type", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", ID, nullable=False),
        sa.Column("correlation_id", ID),
        sa.PrimaryKeyConstraint("source", "source_message_id", name="pk_inbox"),
    )

    op.create_table(
        "dead_letters",
        sa.Column("dead_letter_id", ID, nullable=False),
        sa.Column("source", ID, nullable=False),
        sa.Column("source_message_id", ID, nullable=False),
        sa.Column("kind", ID, nullable=False),
        sa.Column("code", ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("failed_at", TS, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", ID, nullable=False),
        sa.Column("waiting_for", ID, nullable=True),
        sa.PrimaryKeyConstraint("dead_letter_id", name="pk_dead_letters"),
    )
    op.create_index("ix_dead_letters_status", "dead_letters", ["status"])
    op.create_index("ix_dead_letters_waiting_for", "dead_letters", ["waiting_for"])

    op.create_table(
        "outbox",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("kind", ID, nullable=False),
        sa.Column("destination", ID, nullable=False),
        sa.Column("correlation_id", ID, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("sent_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )

    op.create_table(
        "sequences",
        sa.Column("name", ID, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sequences"),
    )

    op.create_table(
        "orders",
        sa.Column("order_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("legal_entity_id", ID, nullable=False),
        sa.Column("po_number", ID, nullable=False),
        sa.Column("status", ID, nullable=False),
        sa.Column("on_hold", sa.Boolean(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders"),
    )
    op.create_index("ix_orders_customer_id_po_number", "orders", ["customer_id", "po_number"])
    op.create_index("ix_orders_on_hold_order_id", "orders", ["on_hold", "order_id"])

    op.create_table(
        "order_backorders",
        sa.Column("order_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "product_id", name="pk_order_backorders"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.order_id"], ondelete="CASCADE", name="fk_order_backorders_order_id_orders"
        ),
    )
    op.create_index("ix_order_backorders_product_id", "order_backorders", ["product_id"])

    op.create_table(
        "invoices",
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("status", ID, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("open_amount", EXACT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name="pk_invoices"),
    )
    op.create_index("ix_invoices_customer_id", "invoices", ["customer_id"])
    op.create_index("ix_invoices_order_id", "invoices", ["order_id"])

    op.create_table(
        "accounts",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_accounts"),
    )

    op.create_table(
        "stock",
        sa.Column("warehouse_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("expiry", sa.Date()),
        sa.Column("on_hand", EXACT, nullable=False),
        sa.Column("reserved", EXACT, nullable=False),
        sa.PrimaryKeyConstraint("warehouse_id", "product_id", "lot_id", name="pk_stock"),
        sa.CheckConstraint("reserved <= on_hand", name="ck_stock_reserved_le_on_hand"),
        sa.CheckConstraint("reserved >= 0", name="ck_stock_reserved_ge_0"),
    )
    op.create_index("ix_stock_product_id", "stock", ["product_id"])

    for table in ("legal_entities", "customers", "products"):
        key = {"legal_entities": "entity_id", "customers": "customer_id", "products": "product_id"}[table]
        op.create_table(
            table,
            sa.Column(key, ID, nullable=False),
            sa.Column("doc", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint(key, name=f"pk_{table}"),
        )

    op.create_table(
        "warehouses",
        sa.Column("warehouse_id", ID, nullable=False),
        sa.Column("legal_entity_id", ID, nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("warehouse_id", name="pk_warehouses"),
    )
    op.create_index("ix_warehouses_legal_entity_id", "warehouses", ["legal_entity_id"])

    op.create_table(
        "price_agreements",
        sa.Column("agreement_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", name="pk_price_agreements"),
    )
    op.create_index(
        "ix_price_agreements_customer_id_product_id", "price_agreements", ["customer_id", "product_id"]
    )


def downgrade() -> None:
    for table in (
        "price_agreements",
        "warehouses",
        "products",
        "customers",
        "legal_entities",
        "stock",
        "accounts",
        "invoices",
        "order_backorders",
        "orders",
        "sequences",
        "outbox",
        "dead_letters",
        "inbox",
        "events",
    ):
        op.drop_table(table)
