"""The work queue: the open holds a person may act on, each with what they need to decide
it, soonest SLA first.

Read from the store's read models in a few queries, whatever the number of holds: the held
orders (``orders.on_hold``, only those of the caller's legal entities), the decisions that
placed their holds (``HoldPlaced`` events, by the order's correlation id), their customers
and accounts, and the claims and comment counts. Who may act on a hold is
:func:`o2c.engine.queue.can_act`'s to say; time left is measured to the ``now`` given (the
clock's), never the wall clock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.adapters.canonical import HoldDecisionIn
from o2c.domain import events as ev
from o2c.domain.actors import Actor
from o2c.domain.holds import Hold, HoldAction, HoldCode, HoldStatus, Stage
from o2c.domain.master import Customer
from o2c.domain.orders import Order
from o2c.domain.receivables import Account
from o2c.domain.work import Claim, RejectReason, order_of_hold
from o2c.engine.queue import Sections, can_act
from o2c.store.memory import as_memory_store
from o2c.store.port import Store
from o2c.store.sql_queue import chunks
from o2c.store.work_items import Refusal, WorkError, check_can_act, reading


class Claimed(StrEnum):
    ME = "me"
    UNCLAIMED = "unclaimed"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFilter:
    """Which holds to list; None everywhere: all the caller may act on."""

    code: HoldCode | None = None
    stage: Stage | None = None
    legal_entity_id: str | None = None
    customer_id: str | None = None
    breached: bool = False
    claimed: Claimed | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderContext:
    order_id: str
    customer_id: str
    po_number: str
    value: Decimal
    currency: str
    status: str
    legal_entity_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerContext:
    customer_id: str
    name: str
    parent_id: str | None
    credit_limit: Decimal
    currency: str
    blocked: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditPosition:
    """The customer's credit position: as the credit check recorded it when it placed the hold
    (``source`` ``decision``), or from the account as it is now (``account``)."""

    exposure: Decimal
    credit_limit: Decimal
    over_by: Decimal
    open_ar: Decimal
    past_due: Decimal
    days_past_due: int
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedCondition:
    rule: str
    inputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueItem:
    hold_id: str
    code: str
    title: str
    stage: str
    owner_role: str
    actions: tuple[str, ...]
    reason: str
    #: what is at stake, as the approval tiers read it (the amount over the limit, the past-due
    #: amount, else the order's open value); None for a hold placed before it was recorded
    amount_at_stake: Decimal | None
    order: OrderContext
    customer: CustomerContext | None
    credit: CreditPosition | None
    conditions: tuple[FailedCondition, ...]
    rule: str | None
    policy_id: str | None
    policy_version: str | None
    placed_at: datetime
    sla_due_at: datetime | None
    #: to the SLA due time from ``now``; negative: breached by that much
    time_left: timedelta | None
    claim: Claim | None
    comments: int

    @property
    def breached(self) -> bool:
        return self.time_left is not None and self.time_left < timedelta(0)

    @property
    def claimed_by(self) -> str | None:
        return self.claim.claimed_by if self.claim else None


# ---------------------------------------------------------------- reading


@dataclass(slots=True)
class _Context:
    """What the queue shows beside the held orders themselves."""

    placed: dict[str, ev.HoldPlaced]
    customers: dict[str, Customer]
    accounts: dict[str, Account]


def _held(store: Store, entities: frozenset[str] | None, customer_id: str | None,
          order_ids: Sequence[str] | None) -> list[Order]:
    """Orders with an open hold, of ``entities`` (None: all), of ``customer_id`` and among
    ``order_ids`` when they are given."""
    if (engine := store.sql_engine) is None:
        wanted = set(order_ids) if order_ids is not None else None
        return [o for o in as_memory_store(store).orders.values()
                if o.on_hold and (wanted is None or o.order_id in wanted)
                and (entities is None or o.legal_entity_id in entities)
                and (customer_id is None or o.customer_id == customer_id)]
    from sqlalchemy import select

    from o2c.store.database import reading as sql_reading
    from o2c.store.tables import orders

    q = select(orders.c.doc).where(orders.c.on_hold.is_(True))
    if entities is not None:
        q = q.where(orders.c.legal_entity_id.in_(sorted(entities)))
    if customer_id is not None:
        q = q.where(orders.c.customer_id == customer_id)
    if order_ids is not None:
        q = q.where(orders.c.order_id.in_(list(order_ids)))
    with sql_reading(engine) as c, c.begin():
        return [_decoded(doc) for (doc,) in c.execute(q)]


def _context(store: Store, held: Sequence[Order]) -> _Context:
    """The decisions that placed the holds of ``held``, their customers and accounts."""
    ids = {o.order_id for o in held}
    cids = sorted({o.customer_id for o in held})
    if (engine := store.sql_engine) is None:
        mem = as_memory_store(store)
        placed = {e.payload.hold_id: e.payload for e in mem.events
                  if isinstance(e.payload, ev.HoldPlaced) and e.payload.order_id in ids}
        return _Context(placed, {c: mem.customers[c] for c in cids if c in mem.customers},
                        {c: mem.accounts[c] for c in cids if c in mem.accounts})
    from sqlalchemy import select

    from o2c.store.codec import load, load_event
    from o2c.store.database import reading as sql_reading
    from o2c.store.tables import accounts, customers, events

    out = _Context({}, {}, {})
    with sql_reading(engine) as c, c.begin():
        for batch in chunks(sorted(ids)):  # HoldPlaced's correlation id is its order's id
            for type_, payload in c.execute(select(events.c.type, events.c.payload).where(
                    events.c.correlation_id.in_(batch), events.c.type == "HoldPlaced")):
                e = load_event(type_, payload)
                assert isinstance(e, ev.HoldPlaced)
                out.placed[e.hold_id] = e
        for batch in chunks(cids):
            for cid, doc in c.execute(select(customers.c.customer_id, customers.c.doc)
                                      .where(customers.c.customer_id.in_(batch))):
                out.customers[cid] = load(Customer, doc)
            for cid, doc in c.execute(select(accounts.c.customer_id, accounts.c.doc)
                                      .where(accounts.c.customer_id.in_(batch))):
                out.accounts[cid] = load(Account, doc)
    return out


class _Decoded:
    """Orders decoded from their stored JSON, by that JSON: a held order that did not change
    since the last queue is not decoded again (decoding is most of a queue's time). Keyed by
    the text itself, so it is right whatever the database; bounded, least recently used out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, Order] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, doc: str) -> Order:
        from o2c.store.codec import load

        with self.lock:
            found = self.entries.get(doc)
            if found is not None:
                self.entries.move_to_end(doc)
                return found
        order = load(Order, doc)
        with self.lock:
            self.entries[doc] = order
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return order


_decoded = _Decoded(20_000)


# ---------------------------------------------------------------- building


def order_value(o: Order) -> Decimal:
    """What the order is worth: its lines at their price (the PO's price until it is priced)."""
    total = sum(((ln.unit_price or ln.requested_price or Decimal(0)) * (ln.base_quantity or ln.quantity)
                 for ln in o.lines if ln.line_no not in o.cancelled_lines), Decimal(0))
    return o.money(total).amount


def _dec(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def _credit(o: Order, placed: ev.HoldPlaced | None, customer: Customer | None, account: Account | None,
            now: datetime) -> CreditPosition | None:
    inputs = placed.decision.inputs if placed is not None else {}
    if placed is not None and placed.code.value.startswith("CRD-") and "exposure" in inputs:
        return CreditPosition(exposure=_dec(inputs.get("exposure")),
                              credit_limit=_dec(inputs.get("credit_limit")),
                              over_by=_dec(inputs.get("over_limit")), open_ar=_dec(inputs.get("open_ar")),
                              past_due=_dec(inputs.get("past_due_amount")),
                              days_past_due=int(_dec(inputs.get("days_past_due"))), source="decision")
    if customer is None:
        return None
    open_ar = account.open_ar if account else Decimal(0)
    uninvoiced = account.uninvoiced_released if account else Decimal(0)
    exposure = o.money(open_ar + uninvoiced + o.open_value).amount
    past_due, days = account.past_due(now.date(), 0) if account else (Decimal(0), 0)
    limit = customer.credit_limit.amount
    return CreditPosition(exposure=exposure, credit_limit=limit, over_by=exposure - limit,
                          open_ar=o.money(open_ar).amount, past_due=o.money(past_due).amount,
                          days_past_due=days, source="account")


def _conditions(hold: Hold, placed: ev.HoldPlaced | None) -> tuple[FailedCondition, ...]:
    if placed is None:
        return tuple(FailedCondition(rule=r) for r in hold.conditions)
    own = tuple(FailedCondition(rule=c.rule, inputs=dict(c.inputs))
                for c in placed.decision.conditions if c.outcome == hold.code.value)
    return own or (FailedCondition(rule=placed.decision.rule, inputs=dict(placed.decision.inputs)),)


def _item(o: Order, hold: Hold, r: _Context, claims: dict[str, Claim], counts: dict[str, int],
          now: datetime) -> QueueItem:
    placed = r.placed.get(hold.hold_id)
    customer = r.customers.get(o.customer_id)
    kind = hold.kind
    return QueueItem(
        hold_id=hold.hold_id, code=hold.code.value, title=kind.title, stage=kind.stage.value,
        owner_role=kind.owner.value, actions=tuple(a.value for a in kind.actions), reason=hold.reason,
        amount_at_stake=hold.amount,
        order=OrderContext(order_id=o.order_id, customer_id=o.customer_id, po_number=o.po_number,
                           value=order_value(o), currency=o.currency, status=o.status.value,
                           legal_entity_id=o.legal_entity_id),
        customer=None if customer is None else CustomerContext(
            customer_id=customer.customer_id, name=customer.name, parent_id=customer.parent_id,
            credit_limit=customer.credit_limit.amount, currency=customer.credit_limit.currency,
            blocked=customer.blocked),
        credit=_credit(o, placed, customer, r.accounts.get(o.customer_id), now),
        conditions=_conditions(hold, placed),
        rule=placed.decision.rule if placed else None,
        policy_id=placed.decision.policy_id if placed else None,
        policy_version=placed.decision.version if placed else None,
        placed_at=hold.placed_at, sla_due_at=hold.sla_due_at,
        time_left=None if hold.sla_due_at is None else hold.sla_due_at - now,
        claim=claims.get(hold.hold_id), comments=counts.get(hold.hold_id, 0),
    )


def build_queue(store: Store, actor: Actor, *, now: datetime, where: QueueFilter | None = None,
                limit: int | None = None, sections: Sections | None = None) -> list[QueueItem]:
    """The open holds ``actor`` may act on (:func:`o2c.engine.queue.can_act`) that match
    ``where``, soonest SLA due first (holds without an SLA last); the first ``limit`` of them
    (None: all). ``sections``: the policy in force by legal entity, for limits by amount."""
    f = where or QueueFilter()
    if not actor.is_person:
        return []
    entities = actor.entities
    if f.legal_entity_id is not None:
        if entities is not None and f.legal_entity_id not in entities:
            return []
        entities = frozenset({f.legal_entity_id})
    pairs = [(o, h) for o in _held(store, entities, f.customer_id, None) for h in o.holds
             if h.status is HoldStatus.OPEN
             and can_act(actor, o, h, sections(o.legal_entity_id) if sections else None)
             and (f.code is None or h.code is f.code) and (f.stage is None or h.kind.stage is f.stage)
             and (not f.breached or (h.sla_due_at is not None and h.sla_due_at < now))]
    with reading(store) as rows:
        claims = rows.claims(h.hold_id for _, h in pairs)
        if f.claimed is Claimed.ME:
            pairs = [(o, h) for o, h in pairs if (c := claims.get(h.hold_id)) and c.claimed_by == actor.id]
        elif f.claimed is Claimed.UNCLAIMED:
            pairs = [(o, h) for o, h in pairs if h.hold_id not in claims]
        pairs.sort(key=lambda p: (p[1].sla_due_at is None, p[1].sla_due_at or p[1].placed_at,
                                  p[1].placed_at, p[1].hold_id))
        pairs = pairs[:limit]
        counts = rows.comment_counts(h.hold_id for _, h in pairs)
    r = _context(store, [o for o, _ in pairs])
    return [_item(o, h, r, claims, counts, now) for o, h in pairs]


def queue_item(store: Store, actor: Actor, hold_id: str, *, now: datetime,
               sections: Sections | None = None) -> QueueItem:
    """One open hold of the queue, with its context. :class:`WorkError`: ``not_found`` for a
    hold that is unknown, not open, or of a legal entity ``actor`` does not act for;
    ``forbidden`` for one they see but may not act on."""
    order_id = order_of_hold(hold_id)
    held = _held(store, actor.entities, None, [order_id] if order_id else [])
    found = next(((o, h) for o in held for h in o.holds if h.hold_id == hold_id), None)
    if found is None or found[1].status is not HoldStatus.OPEN:
        raise WorkError(Refusal.NOT_FOUND, f"no open hold {hold_id}")
    order, hold = found
    check_can_act(actor, order, hold, sections)
    with reading(store) as rows:
        claims = rows.claims([hold_id])
        counts = rows.comment_counts([hold_id])
    return _item(order, hold, _context(store, [order]), claims, counts, now)


# ---------------------------------------------------------------- deciding


class DecisionInvalid(ValueError):
    """A decision that is not complete: ``field`` names what is missing or wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def decision_message(actor: Actor, order: Order, hold: Hold, action: HoldAction, reason: str,
                     reason_code: RejectReason | None) -> HoldDecisionIn:
    """The hold decision a person makes from the queue, as the canonical message the runtime
    applies (as them). A reject needs a ``reason_code`` (its text, if any, follows it in the
    order's rejection reason); the other actions a ``reason``. :class:`DecisionInvalid` for a
    decision that is incomplete, or for a hold that is not the one the engine would decide
    (an earlier open hold of the same code on the order) or is no longer open."""
    reason = reason.strip()
    if action is HoldAction.REJECT:
        if reason_code is None:
            raise DecisionInvalid("reason_code", "a rejection needs a reason code: one of "
                                  + ", ".join(r.value for r in RejectReason))
        reason = f"{reason_code.value}: {reason}" if reason else reason_code.value
    elif reason_code is not None:
        raise DecisionInvalid("reason_code", f"a reason code goes with reject only, not {action.value}")
    elif not reason:
        raise DecisionInvalid("reason", f"say why ({action.value})")
    return HoldDecisionIn(order_id=order.order_id, code=hold.code.value, by=actor.id, reason=reason,
                          action=action.value)


def decidable(order: Order, hold: Hold) -> str | None:
    """Why the engine would not take a decision on ``hold`` now (None: it would): it is no
    longer open, or the order has an earlier open hold of the same code (a decision names the
    code, and the engine decides the first open one)."""
    if hold.status is not HoldStatus.OPEN:
        return (f"hold {hold.hold_id} is {hold.status.value} (by {hold.resolved_by}); "
                "there is nothing left to decide")
    first = next((h for h in order.open_holds if h.code is hold.code), None)
    if first is not None and first.hold_id != hold.hold_id:
        return (f"order {order.order_id} has an earlier open {hold.code.value} hold, {first.hold_id}: "
                "decide that one first")
    return None
