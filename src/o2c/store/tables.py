"""The relational schema of the o2c store (SQLAlchemy Core), identical in
meaning on SQLite and PostgreSQL.

Storage choices, and why:

- **Quantities and amounts** (``stock.on_hand``, ``stock.reserved``,
  ``invoices.open_amount``) use :class:`Exact4`: ``NUMERIC(18,4)`` on
  PostgreSQL and a ``BIGINT`` count of ten-thousandths on SQLite. SQLite has no
  exact decimal type (SQLAlchemy's ``Numeric`` there goes through float), and
  TEXT would make ``on_hand - reserved >= :q`` compare strings. Scaled integers
  keep arithmetic exact *inside* SQL, so ``reserve`` stays one atomic
  conditional ``UPDATE`` on both backends. The scale is the domain's own
  precision (``o2c.domain.money``: quantities and unit prices 4 places, money
  its currency's minor unit, at most 3), which the canonical models enforce at
  the edge; a value that does not fit is refused (``strict``) rather than
  silently rounded, as PostgreSQL's NUMERIC would.
- **Timestamps** use :class:`UtcDateTime`: ``TIMESTAMPTZ`` on PostgreSQL and a
  fixed-width ISO-8601 UTC string on SQLite (whose driver would otherwise drop
  the offset). Naive datetimes are refused: an audit log with ambiguous times
  is a bug.
- **Aggregates and master data** are stored whole as JSON text (``doc``, see
  :mod:`o2c.store.codec`) next to the few columns queries need; the columns are
  derived from the doc at save time.
- **Auto-increment keys** are ``BIGINT`` on PostgreSQL and ``INTEGER PRIMARY KEY
  AUTOINCREMENT`` on SQLite (only that spelling is a rowid alias there), so an
  event's ``seq`` is never reused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, overload

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

from o2c.domain.money import AMOUNT_PLACES, PRICE_PLACES, QUANTITY_PLACES

SCALE = max(QUANTITY_PLACES, PRICE_PLACES, AMOUNT_PLACES)
QUANTUM = Decimal(1).scaleb(-SCALE)


# ---------------------------------------------------------------- value conversions
# One source of truth for how values are stored, used both by the column types
# below and by the raw-driver fast path in sql_raw.py.


def exact_to_db(value: Any, sqlite: bool, strict: bool = True) -> Any:
    """A Decimal as stored: ten-thousandths (int) on SQLite, Decimal elsewhere."""
    if value is None:
        return None
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"refusing {value!r}: quantities and amounts are Decimal")
    d = Decimal(value)
    try:
        q = d.quantize(QUANTUM)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a finite amount that fits NUMERIC(18,4)") from None
    if strict and q != d:
        raise ValueError(f"{value!r} has more than {SCALE} decimal places; refusing to round")
    return int(q.scaleb(SCALE)) if sqlite else q


@overload
def exact_from_db(value: None) -> None: ...
@overload
def exact_from_db(value: Decimal | int | str) -> Decimal: ...
def exact_from_db(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, int):
        return Decimal(value).scaleb(-SCALE)
    return Decimal(value).quantize(QUANTUM)


_last_utc: list[Any] = [None, None]  # (datetime, its SQLite text): a batch stamps many rows alike


def utc_to_db(value: Any, sqlite: bool) -> Any:
    """An aware datetime as stored: fixed-width ISO UTC text on SQLite (so text
    order is time order), a UTC datetime elsewhere. Naive ones are refused."""
    if value is None:
        return None
    if sqlite and value is _last_utc[0]:
        return _last_utc[1]
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"refusing naive datetime {value.isoformat()}: give it an offset")
    utc = value.astimezone(UTC)
    if not sqlite:
        return utc
    text = utc.isoformat(timespec="microseconds")
    _last_utc[0], _last_utc[1] = value, text
    return text


@overload
def utc_from_db(value: None) -> None: ...
@overload
def utc_from_db(value: datetime | str) -> datetime: ...
def utc_from_db(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value.astimezone(UTC)  # type: ignore[no-any-return]


def date_to_db(value: date | None, sqlite: bool) -> Any:
    """Dates as SQLAlchemy's Date type stores them: ISO text on SQLite."""
    return value.isoformat() if sqlite and value is not None else value


def date_from_db(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


class Exact4(TypeDecorator[Decimal]):
    """An exact decimal with up to 4 places: NUMERIC(18,4) on PostgreSQL,
    BIGINT ten-thousandths on SQLite. Always returns ``Decimal`` with 4 places.

    ``strict=True`` (stock) refuses values with more places; ``strict=False``
    (derived query columns whose doc holds the exact value) rounds half-even.
    """

    impl = Numeric(18, SCALE, asdecimal=True)
    cache_ok = True

    def __init__(self, strict: bool = True) -> None:
        super().__init__()
        self.strict = strict

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return exact_to_db(value, dialect.name == "sqlite", self.strict)

    def process_result_value(self, value: Decimal | int | None, dialect: Dialect) -> Decimal | None:
        return exact_from_db(value)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored in UTC, returned as an aware UTC ``datetime``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # Fixed width ("2024-05-01T08:00:00.000000+00:00") so text order is time order.
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return utc_to_db(value, dialect.name == "sqlite")

    def process_result_value(self, value: datetime | str | None, dialect: Dialect) -> datetime | None:
        return utc_from_db(value)


def _id() -> String:
    # Unbounded VARCHAR: a length limit would be enforced by PostgreSQL only.
    return String()


# Auto-increment key that is a rowid alias on SQLite (BIGINT is not).
_SERIAL = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# ---------------------------------------------------------------- the log and the edges

events = Table(
    "events",
    metadata,
    Column("seq", _SERIAL, primary_key=True, autoincrement=True),
    Column("event_id", _id(), nullable=False),
    Column("type", _id(), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("correlation_id", _id(), nullable=False),
    Column("causation_id", _id()),
    Column("source", _id(), nullable=False),
    Column("entity_type", _id(), nullable=False),
    Column("entity_id", _id(), nullable=False),
    Column("payload", Text(), nullable=False),
    UniqueConstraint("event_id"),
    Index(None, "correlation_id"),
    sqlite_autoincrement=True,
)

inbox = Table(
    "inbox",
    metadata,
    Column("source", _id(), nullable=False),
    Column("source_message_id", _id(), nullable=False),
    Column("kind", _id(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("content_type", _id(), nullable=False),
    Column("body", Text(), nullable=False),
    Column("status", _id(), nullable=False),
    Column("correlation_id", _id()),
    # The raw document (``source:source_message_id``) this message was split out of.
    Column("document", _id()),
    # Who sent it (``o2c.domain.actors.Actor`` as JSON); NULL: the source system itself.
    Column("actor", Text()),
    PrimaryKeyConstraint("source", "source_message_id"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("dead_letter_id", _id(), primary_key=True),
    Column("source", _id(), nullable=False),
    Column("source_message_id", _id(), nullable=False),
    Column("kind", _id(), nullable=False),
    Column("code", _id(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
    Column("body", Text(), nullable=False),
    Column("status", _id(), nullable=False),
    Column("waiting_for", _id()),
    # Who sent the message (as in ``inbox.actor``): a replay as stored acts as them.
    Column("actor", Text()),
    Index(None, "status"),
    Index(None, "waiting_for"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("kind", _id(), nullable=False),
    Column("destination", _id(), nullable=False),
    Column("correlation_id", _id(), nullable=False),
    Column("payload", Text(), nullable=False),
    Column("sent_at", UtcDateTime()),
    sqlite_autoincrement=True,
)
# Only unsent rows are indexed: the relay's "what is left to send" stays cheap
# however long the sent history grows.
Index(
    "ix_outbox_unsent",
    outbox.c.id,
    sqlite_where=outbox.c.sent_at.is_(None),
    postgresql_where=outbox.c.sent_at.is_(None),
)

sequences = Table(
    "sequences",
    metadata,
    Column("name", _id(), primary_key=True),
    Column("value", BigInteger(), nullable=False),
)

# ---------------------------------------------------------------- read models

orders = Table(
    "orders",
    metadata,
    Column("order_id", _id(), primary_key=True),
    Column("customer_id", _id(), nullable=False),
    Column("legal_entity_id", _id(), nullable=False),
    Column("po_number", _id(), nullable=False),
    Column("status", _id(), nullable=False),
    Column("on_hold", Boolean(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("doc", Text(), nullable=False),
    # Not unique: a repeated PO is a business exception (a hold), not a storage error.
    Index(None, "customer_id", "po_number"),
    # The exception queues read held orders; most orders are not held.
    Index(None, "on_hold", "order_id"),
)

order_backorders = Table(
    "order_backorders",
    metadata,
    Column("order_id", _id(), ForeignKey("orders.order_id", ondelete="CASCADE"), nullable=False),
    Column("product_id", _id(), nullable=False),
    PrimaryKeyConstraint("order_id", "product_id"),
    Index(None, "product_id"),
)

#: Orders held until a product is known (VAL-ITEM-UNKNOWN, VAL-UOM-INVALID): one row per
#: product of such an order's lines, derived like ``order_backorders``.
order_item_waits = Table(
    "order_item_waits",
    metadata,
    Column("order_id", _id(), ForeignKey("orders.order_id", ondelete="CASCADE"), nullable=False),
    Column("product_id", _id(), nullable=False),
    PrimaryKeyConstraint("order_id", "product_id"),
    Index(None, "product_id"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", _id(), primary_key=True),
    Column("order_id", _id(), nullable=False),
    Column("customer_id", _id(), nullable=False),
    Column("status", _id(), nullable=False),
    Column("due_date", Date(), nullable=False),
    Column("open_amount", Exact4(strict=False), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("doc", Text(), nullable=False),
    # Collections (AR aging, the worklist, dunning) read open invoices by entity and due date.
    Column("legal_entity_id", _id(), nullable=False),
    Column("currency", _id(), nullable=False),
    #: the part of the open amount in open disputes
    Column("disputed", Exact4(strict=False), nullable=False),
    Index(None, "customer_id"),
    Index(None, "order_id"),
)
# Only open invoices are indexed, with every column aging and the worklist read, in the order
# they group by (the account): they are answered from the index in one pass, without a sort,
# however many invoices were paid. The daily dunning run reads an entity's past-due ones.
Index(
    "ix_invoices_open",
    invoices.c.customer_id,
    invoices.c.legal_entity_id,
    invoices.c.currency,
    invoices.c.due_date,
    invoices.c.open_amount,
    invoices.c.disputed,
    sqlite_where=invoices.c.status == "open",
    postgresql_where=invoices.c.status == "open",
)
Index(
    "ix_invoices_open_due",
    invoices.c.legal_entity_id,
    invoices.c.due_date,
    sqlite_where=invoices.c.status == "open",
    postgresql_where=invoices.c.status == "open",
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", _id(), primary_key=True),
    Column("customer_id", _id(), nullable=False),
    # The cash application queue reads the payments with cash waiting for a person.
    Column("waiting", Boolean(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("doc", Text(), nullable=False),
    # The bank account the cash came from (empty: not given): the accounts that paid from it
    # before name the payer of a payment that names no account and no invoice.
    Column("payer_account", _id(), nullable=False, server_default=""),
    Index(None, "waiting", "received_at"),
    Index(None, "customer_id"),
    Index(None, "payer_account"),
)

# ---------------------------------------------------------------- disputes

disputes = Table(
    "disputes",
    metadata,
    Column("dispute_id", _id(), primary_key=True),
    Column("customer_id", _id(), nullable=False),
    Column("invoice_id", _id(), nullable=False),
    Column("legal_entity_id", _id(), nullable=False),
    # The case lists read by status (the open ones, oldest first) and by the role they wait on.
    Column("status", _id(), nullable=False),
    Column("owner_role", _id(), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("sla_due", UtcDateTime(), nullable=True),
    Column("version", Integer(), nullable=False),
    Column("doc", Text(), nullable=False),
    Index(None, "status", "opened_at"),
    Index(None, "customer_id"),
    Index(None, "invoice_id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("customer_id", _id(), primary_key=True),
    Column("version", Integer(), nullable=False),
    Column("doc", Text(), nullable=False),
    # Collections rank the worklist by these: the account's risk factor (NULL: 1) and where
    # its promises to pay stand ('standing', 'broken'; NULL or '': none).
    Column("risk", Exact4(strict=False)),
    Column("promise", _id()),
)

stock = Table(
    "stock",
    metadata,
    Column("warehouse_id", _id(), nullable=False),
    Column("product_id", _id(), nullable=False),
    Column("lot_id", _id(), nullable=False),
    Column("expiry", Date()),
    Column("on_hand", Exact4(), nullable=False),
    Column("reserved", Exact4(), nullable=False),
    PrimaryKeyConstraint("warehouse_id", "product_id", "lot_id"),
    # The last line of defence against overselling; the conditional updates in
    # the repository never reach it in normal operation.
    CheckConstraint("reserved <= on_hand", name="reserved_le_on_hand"),
    CheckConstraint("reserved >= 0", name="reserved_ge_0"),
    Index(None, "product_id"),
)

# ---------------------------------------------------------------- master data

legal_entities = Table(
    "legal_entities",
    metadata,
    Column("entity_id", _id(), primary_key=True),
    Column("doc", Text(), nullable=False),
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("warehouse_id", _id(), primary_key=True),
    Column("legal_entity_id", _id(), nullable=False),
    Column("doc", Text(), nullable=False),
    Index(None, "legal_entity_id"),
)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", _id(), primary_key=True),
    Column("doc", Text(), nullable=False),
    # the parent account of a group (credit exposure is also checked per group)
    Column("parent_id", _id(), nullable=True),
    Index(None, "parent_id"),
)

products = Table(
    "products",
    metadata,
    Column("product_id", _id(), primary_key=True),
    Column("doc", Text(), nullable=False),
)

price_agreements = Table(
    "price_agreements",
    metadata,
    Column("agreement_id", _id(), primary_key=True),
    Column("customer_id", _id(), nullable=False),
    Column("product_id", _id(), nullable=False),
    Column("doc", Text(), nullable=False),
    Index(None, "customer_id", "product_id"),
)

#: Tax rates by jurisdiction and tax class (o2c.domain.master.TaxRate), read a country at a time.
tax_rates = Table(
    "tax_rates",
    metadata,
    Column("rate_id", _id(), primary_key=True),
    Column("country", _id(), nullable=False),
    Column("region", _id(), nullable=False),
    Column("doc", Text(), nullable=False),
    Index(None, "country", "region"),
)

# ---------------------------------------------------------------- the audit chain

# Who changed what (o2c.domain.audit): one row per entry, numbered without gaps in the
# order they were sealed, each hashing the one before. Written at commit, never updated.
audit = Table(
    "audit",
    metadata,
    Column("seq", BigInteger(), primary_key=True, autoincrement=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("actor", Text(), nullable=False),
    Column("actor_label", _id(), nullable=False),
    Column("on_behalf_of", _id()),
    Column("action", _id(), nullable=False),
    Column("subject_type", _id(), nullable=False),
    Column("subject_id", _id(), nullable=False),
    Column("legal_entity_id", _id()),
    Column("cause", _id()),
    Column("before", Text()),
    Column("after", Text()),
    Column("prev_hash", _id(), nullable=False),
    Column("hash", _id(), nullable=False),
    Index(None, "subject_type", "subject_id"),
    Index(None, "actor_label"),
    Index(None, "on_behalf_of"),
)

# The chain's last entry as o2c wrote it (one row, ``id`` 1), updated with every append:
# what ``o2c audit verify`` compares the chain's end with, and the row whose lock puts
# concurrent writers one after the other.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("seq", BigInteger(), nullable=False),
    Column("hash", _id(), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)

# ---------------------------------------------------------------- identities
# People and systems that may act (``o2c.store.identities``). No secret is stored in
# clear: a password as its argon2 hash, an API key and a session token as the SHA-256
# of the random secret. Roles and entities are JSON lists; entities NULL: every entity.

users = Table(
    "users",
    metadata,
    Column("user_id", _id(), primary_key=True),
    Column("password_hash", Text(), nullable=False),
    Column("roles", Text(), nullable=False),
    Column("entities", Text()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", _id(), nullable=False),
    Column("changed_at", UtcDateTime()),
    Column("changed_by", _id()),
    Column("disabled_at", UtcDateTime()),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("name", _id(), primary_key=True),
    Column("prefix", _id(), nullable=False),
    Column("secret_hash", _id(), nullable=False),
    Column("roles", Text(), nullable=False),
    Column("entities", Text()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", _id(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    Column("revoked_by", _id()),
    UniqueConstraint("prefix"),
)

delegations = Table(
    "delegations",
    metadata,
    Column("delegation_id", _id(), primary_key=True),
    Column("from_user", _id(), ForeignKey("users.user_id"), nullable=False),
    Column("to_user", _id(), ForeignKey("users.user_id"), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", _id(), nullable=False),
    Index(None, "to_user"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", _id(), primary_key=True),
    Column("user_id", _id(), ForeignKey("users.user_id"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime()),
    Index(None, "user_id"),
)

# ---------------------------------------------------------------- the work queue

hold_claims = Table(
    "hold_claims",
    metadata,
    Column("hold_id", _id(), primary_key=True),
    Column("order_id", _id(), nullable=False),
    Column("claimed_by", _id(), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=False),
    Column("assigned_by", _id()),
    Index(None, "claimed_by"),
)

hold_comments = Table(
    "hold_comments",
    metadata,
    Column("comment_id", _SERIAL, primary_key=True, autoincrement=True),
    Column("hold_id", _id(), nullable=False),
    Column("order_id", _id(), nullable=False),
    Column("author", _id(), nullable=False),
    Column("written_at", UtcDateTime(), nullable=False),
    Column("text", Text(), nullable=False),
    Index(None, "hold_id"),
    sqlite_autoincrement=True,
)

# ---------------------------------------------------------------- governed policy
# Every version of every policy document (``o2c.store.policies``): proposed by one person,
# approved by another, never changed once approved. ``document`` is the text as proposed,
# ``sha256`` its hash, checked each time the version is loaded; ``effective_from`` the
# document's own value (a date, or an instant with its offset).

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("policy_id", _id(), primary_key=True),
    Column("version", _id(), primary_key=True),
    Column("status", _id(), nullable=False),
    Column("document", Text(), nullable=False),
    Column("sha256", _id(), nullable=False),
    Column("effective_from", _id(), nullable=False),
    Column("author", _id(), nullable=False),
    Column("proposed_at", UtcDateTime(), nullable=False),
    Column("reason", Text()),
    Column("approver", _id()),
    Column("approved_at", UtcDateTime()),
    Column("comment", Text()),
)

# ---------------------------------------------------------------- timers
# Durable timers (``o2c.domain.timers``): what o2c must look at again at a business time.
# Written in the transaction of the event that sets them; workers claim the due ones
# (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and mark them fired in the transaction
# that records what firing decided.

timers = Table(
    "timers",
    metadata,
    Column("timer_id", _id(), primary_key=True),
    Column("kind", _id(), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("subject", _id(), nullable=False),
    Column("correlation_id", _id(), nullable=False),
    Column("payload", Text(), nullable=False),
    Column("state", _id(), nullable=False),
    Column("fired_at", UtcDateTime()),
)
# Only scheduled timers are indexed, in the order they are claimed: "what is due" reads the
# first rows of the index, however many timers there are and however many have fired.
Index(
    "ix_timers_due",
    timers.c.due_at,
    timers.c.timer_id,
    sqlite_where=timers.c.state == "scheduled",
    postgresql_where=timers.c.state == "scheduled",
)

# ---------------------------------------------------------------- outbound documents
# The ledger of every X12 transaction set o2c sends (o2c.domain.documents), written with the
# outbox row; a partner's 997 finds its rows by (partner, GS06, ST02).

sent_documents = Table(
    "sent_documents",
    metadata,
    Column("document_id", _id(), primary_key=True),
    Column("partner_id", _id(), nullable=False),
    Column("doc_type", _id(), nullable=False),
    Column("group_control_number", _id(), nullable=False),
    Column("set_control_number", _id(), nullable=False),
    Column("status", _id(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("order_id", _id()),
    Column("invoice_id", _id()),
    Column("shipment_id", _id()),
    Column("version", Integer(), nullable=False),
    Column("doc", Text(), nullable=False),
    Index("ix_sent_documents_ack_key", "partner_id", "group_control_number", "set_control_number"),
    Index(None, "status", "sent_at"),
    Index(None, "order_id"),
    Index(None, "invoice_id"),
)
