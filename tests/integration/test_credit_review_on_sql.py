"""The credit review scenarios, on SQLite and on PostgreSQL.

The scenarios are the ones in ``tests/unit/test_credit_review.py``; the
``new_harness`` fixture of this folder gives them a real database.
"""

from tests.unit.test_credit_review import *  # noqa: F403
