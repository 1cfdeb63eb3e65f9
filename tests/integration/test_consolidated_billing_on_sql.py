"""The consolidated billing scenarios (one invoice per window and key, across orders; the
cut-off; per ship-to; backorders; a timer fired twice; payment; trace; latency), on SQLite
and on PostgreSQL.

The scenarios are the ones in ``tests/unit/test_consolidated_billing.py``; the
``new_harness`` fixture of this folder gives them a real database.
"""

from tests.unit.test_consolidated_billing import (  # noqa: F401
    test_a_daily_window_per_ship_to_issues_one_invoice_per_ship_to,
    test_a_payment_of_a_consolidated_invoice_pays_and_closes_every_order_on_it,
    test_a_pod_after_the_window_closed_and_a_policy_switch_never_bill_twice,
    test_a_shipment_after_the_cut_off_waits_for_the_next_window,
    test_a_window_timer_fired_twice_issues_one_invoice,
    test_each_shipment_s_latency_runs_to_its_own_invoice,
    test_partial_shipments_and_a_backorder_invoice_in_the_windows_they_ship_in,
    test_the_trace_of_every_order_on_a_consolidated_invoice_shows_it,
    test_two_orders_of_a_week_are_invoiced_once_together_at_the_window_close,
)
