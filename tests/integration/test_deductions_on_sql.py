"""Deductions on SQLite and PostgreSQL: the scenarios of
``tests/unit/test_deductions.py``, which this folder's ``new_harness`` runs on a
real database."""

from tests.unit.test_deductions import (  # noqa: F401
    h,
    test_a_deduction_is_disputed_only_up_to_what_is_open_and_not_yet_in_dispute,
    test_a_deduction_naming_no_invoice_is_disputed_on_the_account_not_an_invoice,
    test_a_deduction_of_the_account_is_disputed_only_up_to_what_the_account_has_open,
    test_a_deduction_of_the_whole_remittance_naming_an_invoice_comes_off_that_invoice,
    test_a_deduction_on_a_remittance_line_opens_a_dispute_for_what_it_left_open,
    test_a_short_payment_without_a_reason_opens_an_unexplained_deduction,
    test_additions_open_no_dispute,
    test_an_820_with_adx_deductions_becomes_payments_and_disputes,
    test_an_820s_entity_adjustments_open_disputes_on_the_account_not_another_loops_invoice,
)
