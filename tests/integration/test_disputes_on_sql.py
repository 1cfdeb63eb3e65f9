"""Dispute cases on SQLite and PostgreSQL: the scenarios of ``tests/unit/test_disputes.py``
(routing, SLA escalation, authority, each resolution, from a deduction to a credit memo)
and the 812 round trip of ``tests/unit/test_disputes_812.py``, which this folder's
``new_harness`` runs on a real database."""

from tests.unit.test_disputes import (  # noqa: F401
    h,
    test_a_case_open_at_its_sla_escalates_once_then_up_the_ladder_and_tells_the_role,
    test_a_credit_memo_resolution_credits_the_dispute_amount_on_its_lines,
    test_a_deduction_in_an_820_becomes_a_case_resolved_by_a_credit_memo,
    test_a_deduction_opens_a_routed_case_with_what_o2c_knows,
    test_a_rejection_needs_evidence_and_leaves_the_amount_owed,
    test_a_write_off_reduces_ar_apart_from_credit_memos_and_keeps_the_subledger_balanced,
    test_an_entity_override_routes_its_cases_to_another_owner,
    test_each_action_on_a_case_is_audited_with_who_and_the_case_before,
    test_only_the_owner_escalation_role_ar_manager_or_controller_act_on_a_case,
)
from tests.unit.test_disputes_812 import (  # noqa: F401
    test_an_812_in_is_answered_by_an_812_out_when_the_case_resolves,
)
