"""The rows of the work queue (claims and comments on holds), as one protocol with a memory
and a SQL implementation (:mod:`o2c.store.sql_queue`); :mod:`o2c.store.work_items` uses them
inside a unit of work, so a claim commits or rolls back with its audit entry."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from o2c.domain.work import Claim, Comment


class ClaimRace(RuntimeError):
    """Someone else claimed (or released) the hold between reading its claim and writing it."""


class WorkRows(Protocol):
    def claim(self, hold_id: str) -> Claim | None: ...
    def claims(self, hold_ids: Iterable[str]) -> dict[str, Claim]: ...
    def put_claim(self, claim: Claim, replacing: str | None) -> None:
        """Store ``claim``: a new one when ``replacing`` is None, else in place of the claim
        of ``replacing`` (checked in the same statement; :class:`ClaimRace` if it is not)."""
        ...
    def drop_claim(self, hold_id: str, claimed_by: str) -> None:
        """Remove the claim of ``claimed_by`` (:class:`ClaimRace` if it is not theirs)."""
        ...
    def add_comment(self, comment: Comment) -> Comment: ...
    def comments(self, hold_id: str) -> list[Comment]: ...
    def comment_counts(self, hold_ids: Iterable[str]) -> dict[str, int]: ...


@dataclass
class MemoryWork:
    """The claims and comments of a :class:`~o2c.store.memory.MemoryStore`."""

    claims: dict[str, Claim] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def rows(self) -> MemoryWorkRows:
        """A working copy; :meth:`MemoryWorkRows.publish` makes its changes the store's."""
        return MemoryWorkRows(self, dict(self.claims), list(self.comments))


class MemoryWorkRows:
    def __init__(self, home: MemoryWork, claims: dict[str, Claim], comments: list[Comment]) -> None:
        self._home, self._claims, self._comments = home, claims, comments

    def publish(self) -> None:
        self._home.claims, self._home.comments = self._claims, self._comments

    def claim(self, hold_id: str) -> Claim | None:
        return self._claims.get(hold_id)

    def claims(self, hold_ids: Iterable[str]) -> dict[str, Claim]:
        return {h: c for h in hold_ids if (c := self._claims.get(h)) is not None}

    def put_claim(self, claim: Claim, replacing: str | None) -> None:
        now = self._claims.get(claim.hold_id)
        if (now.claimed_by if now else None) != replacing:
            raise ClaimRace(claim.hold_id)
        self._claims[claim.hold_id] = claim

    def drop_claim(self, hold_id: str, claimed_by: str) -> None:
        now = self._claims.get(hold_id)
        if now is None or now.claimed_by != claimed_by:
            raise ClaimRace(hold_id)
        del self._claims[hold_id]

    def add_comment(self, comment: Comment) -> Comment:
        stored = replace(comment, comment_id=len(self._comments) + 1)
        self._comments.append(stored)
        return stored

    def comments(self, hold_id: str) -> list[Comment]:
        return [c for c in self._comments if c.hold_id == hold_id]

    def comment_counts(self, hold_ids: Iterable[str]) -> dict[str, int]:
        wanted = set(hold_ids)
        out: dict[str, int] = {}
        for c in self._comments:
            if c.hold_id in wanted:
                out[c.hold_id] = out.get(c.hold_id, 0) + 1
        return out
