"""The work queue's rows on SQL (SQLite and PostgreSQL): tables ``hold_claims`` and
``hold_comments`` of :mod:`o2c.store.tables`, read and written on the connection given
(a unit of work's, or a reading one)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from o2c.domain.work import Claim, Comment
from o2c.store.tables import hold_claims, hold_comments
from o2c.store.work_rows import ClaimRace

_CHUNK = 500  # ids per IN (...): well below SQLite's limit on bound parameters


def chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    """``ids`` in lists of at most :data:`_CHUNK`, for ``IN (...)`` queries."""
    batch: list[str] = []
    for i in ids:
        batch.append(i)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _claim(r: Row[Any]) -> Claim:
    return Claim(hold_id=r.hold_id, order_id=r.order_id, claimed_by=r.claimed_by, claimed_at=r.claimed_at,
                 assigned_by=r.assigned_by)


def _comment(r: Row[Any]) -> Comment:
    return Comment(comment_id=r.comment_id, hold_id=r.hold_id, order_id=r.order_id, author=r.author,
                   written_at=r.written_at, text=r.text)


class SqlWorkRows:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def claim(self, hold_id: str) -> Claim | None:
        r = self._c.execute(select(hold_claims).where(hold_claims.c.hold_id == hold_id)).first()
        return None if r is None else _claim(r)

    def claims(self, hold_ids: Iterable[str]) -> dict[str, Claim]:
        out: dict[str, Claim] = {}
        for batch in chunks(hold_ids):
            for r in self._c.execute(select(hold_claims).where(hold_claims.c.hold_id.in_(batch))):
                out[r.hold_id] = _claim(r)
        return out

    def put_claim(self, claim: Claim, replacing: str | None) -> None:
        values = {"order_id": claim.order_id, "claimed_by": claim.claimed_by, "claimed_at": claim.claimed_at,
                  "assigned_by": claim.assigned_by}
        if replacing is None:
            # The hold id is the key: of two people claiming at once, one insert fails
            # (a concurrency conflict the caller reports as "claimed just now").
            try:
                self._c.execute(insert(hold_claims).values(hold_id=claim.hold_id, **values))
            except IntegrityError:
                raise ClaimRace(claim.hold_id) from None
            return
        done = self._c.execute(update(hold_claims).where(
            hold_claims.c.hold_id == claim.hold_id, hold_claims.c.claimed_by == replacing).values(**values))
        if done.rowcount != 1:
            raise ClaimRace(claim.hold_id)

    def drop_claim(self, hold_id: str, claimed_by: str) -> None:
        done = self._c.execute(delete(hold_claims).where(
            hold_claims.c.hold_id == hold_id, hold_claims.c.claimed_by == claimed_by))
        if done.rowcount != 1:
            raise ClaimRace(hold_id)

    def add_comment(self, comment: Comment) -> Comment:
        new_id = self._c.execute(insert(hold_comments).values(
            hold_id=comment.hold_id, order_id=comment.order_id, author=comment.author,
            written_at=comment.written_at, text=comment.text,
        ).returning(hold_comments.c.comment_id)).scalar_one()
        return Comment(comment_id=int(new_id), hold_id=comment.hold_id, order_id=comment.order_id,
                       author=comment.author, written_at=comment.written_at, text=comment.text)

    def comments(self, hold_id: str) -> list[Comment]:
        rows = self._c.execute(select(hold_comments).where(hold_comments.c.hold_id == hold_id)
                               .order_by(hold_comments.c.comment_id))
        return [_comment(r) for r in rows]

    def comment_counts(self, hold_ids: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for batch in chunks(hold_ids):
            q = (select(hold_comments.c.hold_id, func.count()).where(hold_comments.c.hold_id.in_(batch))
                 .group_by(hold_comments.c.hold_id))
            out.update({h: int(n) for h, n in self._c.execute(q)})
        return out
