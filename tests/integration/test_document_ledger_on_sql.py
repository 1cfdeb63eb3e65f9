"""The outbound document ledger and the partners' 997s (sent, accepted, rejected, resent,
unacknowledged, dead-lettered), on SQLite and on PostgreSQL: the scenarios are those of
``tests/unit/test_document_ledger.py``."""

from tests.unit.test_document_ledger import *  # noqa: F403
