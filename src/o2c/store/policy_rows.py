"""Where policy versions are kept: the rows behind :mod:`o2c.store.policies`, as a
protocol with an in-memory implementation (the SQL one is :mod:`o2c.store.sql_policies`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from o2c.policy.governance import PolicyStatus, PolicyVersion


class VersionExists(Exception):
    """A version with this policy id and version is stored already."""


class PolicyRows(Protocol):
    """Policy versions, inside one transaction."""

    def versions(self, policy_id: str | None = None) -> list[PolicyVersion]:
        """Every version (of ``policy_id`` if given), by policy id then as proposed."""
        ...
    def get(self, policy_id: str, version: str) -> PolicyVersion | None: ...
    def add(self, v: PolicyVersion) -> None:
        """Store a new version; VersionExists if its key is taken."""
        ...
    def decide(self, v: PolicyVersion) -> bool:
        """Store the decision on a proposed version (its status, approver, time, comment);
        False, changing nothing, if it is no longer proposed."""
        ...


@dataclass
class MemoryPolicies:
    """The policy rows of a :class:`~o2c.store.memory.MemoryStore`."""

    rows: dict[tuple[str, str], PolicyVersion] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @contextmanager
    def transaction(self) -> Iterator[PolicyRows]:
        """One at a time; a failure leaves the rows as they were (the versions are values,
        so a copy of the mapping is enough)."""
        with self.lock:
            work = _MemoryRows(dict(self.rows))
            yield work
            self.rows = work.rows


class _MemoryRows:
    def __init__(self, rows: dict[tuple[str, str], PolicyVersion]) -> None:
        self.rows = rows

    def versions(self, policy_id: str | None = None) -> list[PolicyVersion]:
        found = [v for v in self.rows.values() if policy_id is None or v.policy_id == policy_id]
        return sorted(found, key=lambda v: (v.policy_id, v.proposed_at, v.version))

    def get(self, policy_id: str, version: str) -> PolicyVersion | None:
        return self.rows.get((policy_id, version))

    def add(self, v: PolicyVersion) -> None:
        if v.key in self.rows:
            raise VersionExists(v.key)
        self.rows[v.key] = v

    def decide(self, v: PolicyVersion) -> bool:
        stored = self.rows.get(v.key)
        if stored is None or stored.status is not PolicyStatus.PROPOSED:
            return False
        self.rows[v.key] = v
        return True
