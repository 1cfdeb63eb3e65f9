"""The X12 outbound scenarios (855, 940, 856, 810, per-partner numbering), on SQLite and on
PostgreSQL: the scenarios are those of ``tests/unit/test_edi_outbound.py``."""

from tests.unit.test_edi_outbound import *  # noqa: F403
