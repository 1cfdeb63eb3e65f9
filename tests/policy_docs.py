"""Policy documents for the tests: the shipped one, renumbered and changed."""

from __future__ import annotations

from o2c.store.policies import default_document

SHIPPED = default_document()


def document(version: str = "2", effective: str = "2026-03-02", *, tolerance: str | None = None,
             credit_blocked: str | None = None, entities: str | None = None,
             policy_id: str | None = None) -> str:
    """The shipped document as ``version`` effective from ``effective``, its pricing
    tolerance, its blocked-account outcome or its ``entities:`` (YAML flow text) changed."""
    text = SHIPPED.replace('version: "1"', f'version: "{version}"', 1)
    text = text.replace("effective_from: 2020-01-01", f"effective_from: {effective}", 1)
    if tolerance is not None:
        text = text.replace('tolerance_percent: "2.0"', f'tolerance_percent: "{tolerance}"', 1)
    if credit_blocked is not None:
        text = text.replace("then: {outcome: CRD-ACCOUNT-BLOCKED}", f"then: {{outcome: {credit_blocked}}}", 1)
    if entities is not None:
        text = text.replace("entities: {}", f"entities: {entities}", 1)
    if policy_id is not None:
        text = text.replace("policy_id: o2c.default", f"policy_id: {policy_id}", 1)
    return text
