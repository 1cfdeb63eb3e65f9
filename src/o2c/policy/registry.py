"""The versions of each policy and which one is in force when."""

from __future__ import annotations

from datetime import datetime

from o2c.policy.document import Policy, PolicyError


class PolicyRegistry:
    """Holds every version of the policy; selects the one in force at a time.

    Invariant: (policy_id, version) is unique; selection is by the latest
    ``effective_from`` not after the given time.
    """

    def __init__(self, policies: list[Policy]) -> None:
        seen: set[tuple[str, str]] = set()
        for p in policies:
            if (p.policy_id, p.version) in seen:
                raise PolicyError(f"policy {p.policy_id} version {p.version} is registered twice")
            seen.add((p.policy_id, p.version))
        self._by_time = sorted(policies, key=lambda p: p.effective_from)
        if not self._by_time:
            raise PolicyError("no policy registered")

    def in_force(self, at: datetime) -> Policy:
        if len(self._by_time) == 1 and self._by_time[0].effective_from.replace(tzinfo=None) <= at.replace(
            tzinfo=None
        ):
            return self._by_time[0]  # the common case, asked for on every decision
        naive = at.replace(tzinfo=None)
        current = None
        for p in self._by_time:
            if p.effective_from.replace(tzinfo=None) <= naive:
                current = p
        if current is None:
            raise PolicyError(f"no policy is in force at {at.isoformat()} "
                              f"(the earliest takes effect {self._by_time[0].effective_from.isoformat()})")
        return current

    @property
    def versions(self) -> list[Policy]:
        return list(self._by_time)
