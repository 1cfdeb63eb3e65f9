"""The policy rows on SQL (SQLite and PostgreSQL): table ``policy_versions`` of
:mod:`o2c.store.tables`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from o2c.policy.governance import PolicyStatus, PolicyVersion
from o2c.store.policy_rows import VersionExists
from o2c.store.tables import policy_versions as t


def _version(r: Row[Any]) -> PolicyVersion:
    return PolicyVersion(policy_id=r.policy_id, version=r.version, status=PolicyStatus(r.status),
                         document=r.document, sha256=r.sha256, effective_from=r.effective_from,
                         author=r.author, proposed_at=r.proposed_at, reason=r.reason,
                         approver=r.approver, approved_at=r.approved_at, comment=r.comment)


class SqlPolicies:
    """Implements :class:`~o2c.store.policy_rows.PolicyRows` on a connection in a transaction."""

    def __init__(self, conn: Connection) -> None:
        self.c = conn

    def versions(self, policy_id: str | None = None) -> list[PolicyVersion]:
        q = select(t).order_by(t.c.policy_id, t.c.proposed_at, t.c.version)
        if policy_id is not None:
            q = q.where(t.c.policy_id == policy_id)
        return [_version(r) for r in self.c.execute(q)]

    def get(self, policy_id: str, version: str) -> PolicyVersion | None:
        r = self.c.execute(select(t).where(t.c.policy_id == policy_id, t.c.version == version)).first()
        return None if r is None else _version(r)

    def add(self, v: PolicyVersion) -> None:
        try:
            self.c.execute(insert(t).values(
                policy_id=v.policy_id, version=v.version, status=v.status.value, document=v.document,
                sha256=v.sha256, effective_from=v.effective_from, author=v.author,
                proposed_at=v.proposed_at, reason=v.reason, approver=v.approver,
                approved_at=v.approved_at, comment=v.comment))
        except IntegrityError:  # taken meanwhile: the transaction is lost, its caller rolls back
            raise VersionExists(v.key) from None

    def decide(self, v: PolicyVersion) -> bool:
        done = self.c.execute(
            update(t).where(t.c.policy_id == v.policy_id, t.c.version == v.version,
                            t.c.status == PolicyStatus.PROPOSED.value)
            .values(status=v.status.value, approver=v.approver, approved_at=v.approved_at,
                    comment=v.comment))
        return done.rowcount == 1
