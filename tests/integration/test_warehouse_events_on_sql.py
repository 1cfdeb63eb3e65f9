"""The pick, fulfilment exception and carrier status scenarios, on SQLite and
on PostgreSQL.

The scenarios are the ones in ``tests/unit/test_warehouse_and_carrier_events.py``;
the ``new_harness`` fixture of this folder gives them a real database.
"""

from tests.unit.test_warehouse_and_carrier_events import *  # noqa: F403
