"""Tiered approvals, four-eyes, group credit and automatic release, on SQLite and on
PostgreSQL (the scenarios of ``tests/unit/test_approvals.py``)."""

from tests.unit.test_approvals import *  # noqa: F403
