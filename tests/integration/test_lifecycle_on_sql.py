"""The order lifecycle scenarios, on SQLite and on PostgreSQL.

The scenarios are the ones in ``tests/unit/test_order_lifecycle.py``; the
``new_harness`` fixture of this folder gives them a real database.
"""

from tests.unit.test_order_lifecycle import *  # noqa: F403
