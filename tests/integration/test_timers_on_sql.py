"""The timer scenarios (escalation at the SLA, POD overdue with each remedy, stalls), on
SQLite and on PostgreSQL.

The scenarios are the ones in ``tests/unit/test_timers.py``; the ``new_harness`` fixture
of this folder gives them a real database.
"""

from tests.unit.test_timers import (  # noqa: F401
    test_a_firing_that_fails_is_dead_lettered_and_the_timer_still_fires_once,
    test_a_hold_escalates_exactly_at_its_sla_and_exactly_once,
    test_a_hold_released_before_its_sla_never_escalates,
    test_a_pod_in_time_cancels_the_timer,
    test_an_escalated_hold_escalates_again_up_its_ladder_and_stops_at_the_top,
    test_an_order_idle_in_a_stage_beyond_the_limit_raises_one_alert_per_window,
    test_an_order_that_moves_in_time_raises_no_alert,
    test_holds_placed_before_timers_existed_get_their_timer_once,
    test_pod_overdue_chase_carrier_holds_for_billing_notifies_and_a_late_pod_releases,
    test_pod_overdue_invoice_anyway_invoices_as_on_ship_and_records_why,
    test_without_escalation_hours_a_hold_escalates_once,
)
