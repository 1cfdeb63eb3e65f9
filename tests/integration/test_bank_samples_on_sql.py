"""The real bank samples taken the whole way on SQLite and PostgreSQL: the scenarios of
``tests/unit/test_bank_samples_applied.py`` on a real database."""

from tests.unit.test_bank_samples_applied import (  # noqa: F401
    h,
    test_the_real_bai2_sample_is_applied_once_a_person_names_the_invoice,
    test_the_real_camt_statement_credit_waits_for_a_person_with_its_payer,
)
