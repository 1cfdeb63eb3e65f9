"""Policies are data: versioned documents and pure evaluators.

Documents arrive as plain mappings (the runtime reads YAML); this package
validates them, selects the version in force for a legal entity and a time,
and evaluates decision tables (first match, or every match) into :class:`~o2c.domain.events.Decision`
records that name the policy, version, rule and inputs.
"""

from o2c.policy.document import Policy, PolicyError, parse_policy
from o2c.policy.registry import PolicyRegistry
from o2c.policy.table import DecisionTable, Rule

__all__ = ["DecisionTable", "Policy", "PolicyError", "PolicyRegistry", "Rule", "parse_policy"]
