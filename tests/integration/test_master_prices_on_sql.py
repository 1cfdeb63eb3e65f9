"""The price agreement, legal entity, warehouse and opening stock scenarios, on SQLite and on
PostgreSQL (through the store's master data cache).

The scenarios are the ones in ``tests/unit/test_master_prices.py``; the ``new_harness``
fixture of this folder gives them a real database.
"""

from tests.unit.test_master_prices import *  # noqa: F403
