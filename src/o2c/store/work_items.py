"""Claims, assignments and comments on open holds: checked, stored and audited in one
transaction.

Every change names the acting person and is written to the audit (``hold.claim``,
``hold.assign``, ``hold.unclaim``, ``hold.comment``) in the same transaction as the row it
changes. Who may act on a hold is :func:`o2c.engine.queue.can_act`'s to say: a hold the
caller may not see reads as unknown (:class:`WorkError` ``not_found``), one they see but
may not act on is ``forbidden``, naming the role it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum

from o2c.domain.actors import Actor
from o2c.domain.audit import Subject
from o2c.domain.holds import Hold, HoldStatus, Role
from o2c.domain.identities import IdentityRefused
from o2c.domain.orders import Order
from o2c.domain.work import Claim, Comment, order_of_hold
from o2c.engine.audit import entry
from o2c.engine.authority import visible
from o2c.engine.ports import UnitOfWork
from o2c.engine.queue import Sections, can_act, claim_refusal, why_not
from o2c.policy.document import Section
from o2c.store.identities import actor_for_user
from o2c.store.memory import as_memory_store
from o2c.store.port import Store
from o2c.store.work_rows import ClaimRace, WorkRows

COMMENT_MAX = 4000


class Refusal(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID = "invalid"


class WorkError(Exception):
    """A change to a hold's work that is not made; ``kind`` says why, the message says it for
    people."""

    def __init__(self, kind: Refusal, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@contextmanager
def reading(store: Store) -> Iterator[WorkRows]:
    """The rows as committed, for reads (on SQLite, without waiting for a writer)."""
    if (engine := store.sql_engine) is not None:
        from o2c.store.database import reading as sql_reading
        from o2c.store.sql_queue import SqlWorkRows

        with sql_reading(engine) as conn, conn.begin():
            yield SqlWorkRows(conn)
    else:
        yield as_memory_store(store).work.rows()


@contextmanager
def _transaction(store: Store) -> Iterator[tuple[UnitOfWork, WorkRows]]:
    """A unit of work and the rows, committed together (the rows and the audit entries)."""
    try:
        if store.sql_engine is not None:
            from o2c.store.sql import SqlUnitOfWork
            from o2c.store.sql_queue import SqlWorkRows

            with store.unit_of_work() as uow:
                assert isinstance(uow, SqlUnitOfWork)
                yield uow, SqlWorkRows(uow.connection())
                uow.commit()
        else:
            work = as_memory_store(store).work
            with work.lock:
                rows = work.rows()
                with store.unit_of_work() as muow:
                    yield muow, rows
                    muow.commit()
                rows.publish()
    except ClaimRace:
        raise WorkError(Refusal.CONFLICT, "someone else changed who works on this hold just now; "
                                          "look at the queue again") from None


def find_hold(uow: UnitOfWork, actor: Actor, hold_id: str) -> tuple[Order, Hold]:
    """The order and hold ``hold_id`` names, as ``actor`` may see them; ``not_found`` for an
    unknown hold or one of a legal entity they do not act for (the same sentence)."""
    order_id = order_of_hold(hold_id)
    order = uow.orders.get(order_id) if order_id else None
    hold = next((h for h in order.holds if h.hold_id == hold_id), None) if order else None
    if order is None or hold is None or not visible(actor, order.legal_entity_id):
        raise WorkError(Refusal.NOT_FOUND, f"no hold {hold_id}")
    return order, hold


def _section(sections: Sections | None, order: Order) -> Section | None:
    return sections(order.legal_entity_id) if sections is not None else None


def check_can_act(actor: Actor, order: Order, hold: Hold, sections: Sections | None = None) -> None:
    """``conflict`` for a hold that is no longer open, ``forbidden`` (naming the role needed)
    for one ``actor`` may not act on (``sections``: the policy by legal entity, for limits)."""
    if hold.status is not HoldStatus.OPEN:
        raise WorkError(Refusal.CONFLICT, f"hold {hold.hold_id} is {hold.status.value} "
                                          f"(by {hold.resolved_by}); there is nothing left to work on")
    section = _section(sections, order)
    if not can_act(actor, order, hold, section):
        raise WorkError(Refusal.FORBIDDEN, why_not(actor, order, hold, section))


def _open(uow: UnitOfWork, actor: Actor, hold_id: str, sections: Sections | None) -> tuple[Order, Hold]:
    order, hold = find_hold(uow, actor, hold_id)
    check_can_act(actor, order, hold, sections)
    return order, hold


def _subject(order: Order, hold: Hold) -> Subject:
    return Subject("hold", hold.hold_id, order.legal_entity_id)


def _roles_of(store: Store, user_id: str, at: datetime) -> frozenset[Role] | None:
    try:
        return actor_for_user(store, user_id, at).roles
    except IdentityRefused:
        return None


def _may_take(store: Store, actor: Actor, now: Claim, hold: Hold, at: datetime) -> None:
    """``conflict`` unless ``actor`` may take the hold away from the one who claimed it."""
    refusal = claim_refusal(actor, now.claimed_by, _roles_of(store, now.claimed_by, at), hold.kind.owner)
    if refusal:
        raise WorkError(Refusal.CONFLICT, refusal)


def claim(store: Store, actor: Actor, hold_id: str, *, at: datetime,
          sections: Sections | None = None) -> Claim:
    """``actor`` claims the hold. Claiming one's own claim again changes nothing; one claimed
    by someone else is refused (``conflict``, naming them) unless ``actor`` ranks above them
    on the hold's ladder."""
    with _transaction(store) as (uow, rows):
        order, hold = _open(uow, actor, hold_id, sections)
        now = rows.claim(hold_id)
        if now is not None and now.claimed_by == actor.id:
            return now
        if now is not None:
            _may_take(store, actor, now, hold, at)
        new = Claim(hold_id=hold_id, order_id=order.order_id, claimed_by=actor.id, claimed_at=at)
        rows.put_claim(new, now.claimed_by if now else None)
        entry(uow, actor, "hold.claim", _subject(order, hold), at=at, before=now, after=new)
        return new


def assign(store: Store, actor: Actor, hold_id: str, to_user: str, *, at: datetime,
           sections: Sections | None = None) -> Claim:
    """``actor`` gives the hold to ``to_user``, who must be able to act on it (``invalid``
    otherwise). A hold claimed by someone else is handed over only by its holder or by
    someone ranking above them (``conflict`` otherwise)."""
    try:
        assignee = actor_for_user(store, to_user, at)
    except IdentityRefused as e:
        raise WorkError(Refusal.INVALID, f"cannot assign to {to_user}: {e}") from None
    with _transaction(store) as (uow, rows):
        order, hold = _open(uow, actor, hold_id, sections)
        section = _section(sections, order)
        if not can_act(assignee, order, hold, section):
            raise WorkError(Refusal.INVALID, f"{to_user} may not act on hold {hold_id}: "
                                             f"{why_not(assignee, order, hold, section)}")
        now = rows.claim(hold_id)
        if now is not None and now.claimed_by == to_user:
            return now
        if now is not None and now.claimed_by != actor.id:
            _may_take(store, actor, now, hold, at)
        new = Claim(hold_id=hold_id, order_id=order.order_id, claimed_by=to_user, claimed_at=at,
                    assigned_by=actor.id)
        rows.put_claim(new, now.claimed_by if now else None)
        entry(uow, actor, "hold.assign", _subject(order, hold), at=at, before=now, after=new)
        return new


def unclaim(store: Store, actor: Actor, hold_id: str, *, at: datetime,
            sections: Sections | None = None) -> None:
    """The hold is nobody's again: its holder lets it go, or someone ranking above them
    takes it away. An unclaimed hold stays unclaimed."""
    with _transaction(store) as (uow, rows):
        order, hold = _open(uow, actor, hold_id, sections)
        now = rows.claim(hold_id)
        if now is None:
            return
        if now.claimed_by != actor.id:
            _may_take(store, actor, now, hold, at)
        rows.drop_claim(hold_id, now.claimed_by)
        entry(uow, actor, "hold.unclaim", _subject(order, hold), at=at, before=now, after=None)


def comment(store: Store, actor: Actor, hold_id: str, text: str, *, at: datetime,
            sections: Sections | None = None) -> Comment:
    """A comment by ``actor`` on the hold, at ``at``."""
    text = text.strip()
    if not 1 <= len(text) <= COMMENT_MAX:
        raise WorkError(Refusal.INVALID,
                        f"a comment has 1 to {COMMENT_MAX} characters; this one has {len(text)}")
    with _transaction(store) as (uow, rows):
        order, hold = _open(uow, actor, hold_id, sections)
        stored = rows.add_comment(Comment(hold_id=hold_id, order_id=order.order_id, author=actor.id,
                                          written_at=at, text=text))
        entry(uow, actor, "hold.comment", _subject(order, hold), at=at, after=stored)
        return stored


def comments(store: Store, actor: Actor, hold_id: str) -> list[Comment]:
    """The hold's comments, oldest first (``not_found`` as :func:`find_hold`)."""
    with store.unit_of_work() as uow:
        find_hold(uow, actor, hold_id)
    with reading(store) as rows:
        return rows.comments(hold_id)
