"""The order change scenarios, on SQLite and on PostgreSQL.

The scenarios are the ones in ``tests/unit/test_order_changes.py``; the
``new_harness`` fixture of this folder gives them a real database.
"""

from tests.unit.test_order_changes import *  # noqa: F403
