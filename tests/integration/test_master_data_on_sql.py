"""The master data scenarios, on SQLite and on PostgreSQL.

The scenarios are the ones in ``tests/unit/test_master_data.py``; the ``new_harness``
fixture of this folder gives them a real database.
"""

from tests.unit.test_master_data import *  # noqa: F403
