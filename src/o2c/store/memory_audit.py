"""The audit chain of the in-memory store (see :class:`o2c.engine.ports.AuditLog`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from o2c.domain.audit import AuditEntry, AuditHead, AuditRecord, extend


class AuditChain:
    """The committed chain: its records in order and its head."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self.head: AuditHead | None = None


class MemoryAudit:
    """Entries recorded in one unit of work, sealed after the chain's head at commit."""

    def __init__(self, chain: AuditChain, now: Callable[[], datetime]) -> None:
        self.chain = chain
        self.now = now
        self.pending: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.pending.append(entry)

    def head(self) -> AuditHead | None:
        return self.chain.head

    def entries(self, after: int = 0, limit: int = 1000) -> list[AuditRecord]:
        return [r for r in self.chain.records if r.seq > after][:limit]

    def find(self, *, subject: tuple[str, str] | None = None, person: str | None = None,
             limit: int = 1000) -> list[AuditRecord]:
        def wanted(r: AuditRecord) -> bool:
            if subject is not None and (r.subject_type, r.subject_id) == subject:
                return True
            return person is not None and (r.actor_label == f"user:{person}" or r.on_behalf_of == person
                                           or (r.subject_type, r.subject_id) == ("user", person))
        found = [r for r in self.chain.records if wanted(r)]
        return found[-limit:] if limit > 0 else []

    def publish(self) -> None:
        if self.pending:
            records, self.chain.head = extend(self.chain.head, self.pending, self.now())
            self.chain.records.extend(records)
