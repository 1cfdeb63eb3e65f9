"""The printable invoice read from SQLite and PostgreSQL: the scenarios are those of
``tests/unit/test_invoice_print.py``."""

from tests.unit.test_invoice_print import *  # noqa: F403
