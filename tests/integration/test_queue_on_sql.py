"""The work queue scenarios (claims, comments, what each person sees), on SQLite and on
PostgreSQL; the scenarios are the ones in ``tests/unit/test_queue.py``."""

from tests.unit.test_queue import (  # noqa: F401
    test_a_decided_hold_leaves_the_queue_and_takes_no_claim,
    test_claims_assignments_and_comments_are_stored_and_audited,
    test_filters_and_breach,
    test_sorted_by_sla_due,
    test_the_analyst_sees_the_credit_hold_with_what_decides_it,
    test_who_sees_what,
)
