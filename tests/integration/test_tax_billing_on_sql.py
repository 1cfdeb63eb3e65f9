"""Invoices taxed by the ship-to's jurisdiction, BIL-TAX-UNRESOLVED and its retry when a rate
arrives, on SQLite and on PostgreSQL (tax rates through the store's master data cache).

The scenarios are the ones in ``tests/unit/test_tax_billing.py``; the ``new_harness``
fixture of this folder gives them a real database.
"""

from tests.unit.test_tax_billing import *  # noqa: F403
