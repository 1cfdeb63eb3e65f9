"""Cash application on SQLite and PostgreSQL: the scenarios of
``tests/unit/test_cash_application.py``, which this folder's ``new_harness`` runs on a
real database."""

from tests.unit.test_cash_application import (  # noqa: F401  # noqa: F401, E402
    h,
    test_a_bank_account_that_paid_for_one_account_names_the_payer_next_time,
    test_a_bank_account_that_paid_for_two_accounts_names_nobody,
    test_a_payer_named_by_no_account_is_found_by_the_invoice_it_pays,
    test_a_person_names_the_payer_and_applies_the_cash_from_the_queue,
    test_a_short_pay_explained_by_its_reason_opens_one_dispute_only,
    test_a_typo_is_believed_only_when_the_amount_agrees,
    test_an_ambiguous_amount_goes_to_a_person_with_its_candidates,
    test_an_ambiguous_payment_is_placed_by_a_person_on_one_of_its_candidates,
    test_an_overpayment_is_credit_on_account,
    test_an_unidentified_payer_waits_for_a_person_and_nothing_is_lost,
    test_each_application_records_its_rule_and_confidence,
    test_misapplied_cash_is_unapplied_and_applied_again,
    test_the_kpis_follow_cash_taken_back_and_a_payer_named,
)
