"""The versions of each policy and which one is in force when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from o2c.policy.document import Policy, PolicyError

#: Zones are UTC-12 to UTC+14: a day starts everywhere within two days of its start in any one.
_ANY_ZONE = timedelta(days=2)


class PolicyRegistry:
    """Holds every version of the policy; selects the one in force at a time.

    Invariant: (policy_id, version) is unique; selection is by the latest start
    not after the given instant, where a version effective from a date starts at
    the beginning of that day in the zone asked for (a legal entity's), else in
    the document's own zone.
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
        only = self._by_time[0]
        # With one version, once it has begun in every zone no zone needs working out.
        margin = _ANY_ZONE if only.effective_date is not None else timedelta(0)
        self._only_from = only.effective_from + margin if len(self._by_time) == 1 else None
        #: per zone asked for, when each version starts there (worked out once)
        self._starts: dict[str | None, list[tuple[datetime, Policy]]] = {}

    def in_force(self, at: datetime, zone: str | Callable[[], str | None] | None = None) -> Policy:
        """The version in force at ``at`` (aware) for an entity in ``zone`` (IANA; or a
        function giving it, called only when the zone can matter)."""
        if self._only_from is not None and self._only_from <= at:
            return self._by_time[0]  # the common case, asked for on every decision
        if callable(zone):
            zone = zone()
        starts = self._starts.get(zone)
        if starts is None:
            starts = self._starts[zone] = [(p.effective_at(zone), p) for p in self._by_time]
        current, since = None, None
        for start, p in starts:
            if start <= at and (since is None or start >= since):
                current, since = p, start
        if current is None:
            first = self._by_time[0].effective_at(zone)
            raise PolicyError(f"no policy is in force at {at.isoformat()} "
                              f"(the earliest takes effect {first.isoformat()})")
        return current

    @property
    def versions(self) -> list[Policy]:
        return list(self._by_time)
