"""Who may issue which command: one table, enforced by the bus for every command.

The CLI, the HTTP API, the NATS worker and the simulator all reach the engine
through the bus, so they obey the same rules:

- **o2c itself** (``actors.ENGINE``: reactions, timers) may issue any command a
  reaction issues; a decision that needs a person it can make only where the
  policy allows (it then records its rule), never by posing as one.
- **A source system** (an EDI channel, a WMS, a carrier, a bank, an ERP; an actor of
  kind ``system``) may send what it knows: orders, changes, shipments, deliveries,
  picks, exceptions, statuses, stock, counts, payments, customers and products.
- **An API key** acts with its roles, like a person, but decisions on holds,
  rejections and credit memos are made by named people, never by a key.
- **A person** needs one of the roles the command names. ``admin`` manages users,
  keys and settings and makes no business decision; ``auditor`` only reads.

A hold decision needs, besides a person, the role its hold kind is owned by (or
one above it on the same ladder); the tiers by amount come from the policy.

Legal entities: an actor restricted to some entities sees nothing of the others.
Handlers call :func:`visible` where they learn a command's entity; a refusal there
reads exactly like an unknown id, so nothing is revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from o2c.domain.actors import ENGINE, Actor, ActorKind
from o2c.domain.holds import TAXONOMY, HoldCode, Role
from o2c.domain.orders import Order
from o2c.engine import commands as cmd
from o2c.engine.errors import Forbidden
from o2c.policy.document import OWNER, Section

_R = Role

#: Commands a source system sends, and the roles a person (or key) needs to send them.
CHANNEL: dict[type[cmd.Command], frozenset[Role]] = {
    cmd.ReceiveOrder: frozenset({_R.CUSTOMER_SERVICE, _R.SALES_OPS, _R.INTEGRATION}),
    cmd.ChangeOrder: frozenset({_R.CUSTOMER_SERVICE, _R.SALES_OPS, _R.INTEGRATION}),
    cmd.ConfirmShipment: frozenset({_R.WAREHOUSE_OPS, _R.INTEGRATION}),
    cmd.RecordDelivery: frozenset({_R.WAREHOUSE_OPS, _R.BILLING, _R.INTEGRATION}),
    cmd.RecordPick: frozenset({_R.WAREHOUSE_OPS, _R.INTEGRATION}),
    cmd.ReportFulfilmentException: frozenset({_R.WAREHOUSE_OPS, _R.INTEGRATION}),
    cmd.RecordShipmentStatus: frozenset({_R.WAREHOUSE_OPS, _R.INTEGRATION}),
    cmd.ReceiveStock: frozenset({_R.WAREHOUSE_OPS, _R.INTEGRATION}),
    cmd.ReconcileInventory: frozenset({_R.WAREHOUSE_OPS, _R.INTEGRATION}),
    cmd.ReceivePayment: frozenset({_R.CASH_APP, _R.INTEGRATION}),
    # Master data: the system of record (an ERP, a file loaded by ``o2c master load``) or the
    # people who keep accounts and items. A customer record carries its credit limit, so a
    # person sending one needs a role that may set limits (credit_manager, controller).
    cmd.UpsertCustomer: frozenset({_R.INTEGRATION, _R.CREDIT_MANAGER, _R.CONTROLLER}),
    cmd.UpsertProduct: frozenset({_R.INTEGRATION, _R.PRICING, _R.CONTROLLER}),
    cmd.UpsertPriceAgreement: frozenset({_R.INTEGRATION, _R.PRICING, _R.CONTROLLER}),
    cmd.UpsertLegalEntity: frozenset({_R.INTEGRATION, _R.CONTROLLER}),
    cmd.UpsertWarehouse: frozenset({_R.INTEGRATION, _R.CONTROLLER}),
    # Tax rates: the system of record, or the controller (who owns the books) and billing
    # (who answers for the tax on invoices and works BIL-TAX-UNRESOLVED).
    cmd.UpsertTaxRate: frozenset({_R.INTEGRATION, _R.CONTROLLER, _R.BILLING}),
    cmd.OpenStock: frozenset({_R.INTEGRATION, _R.WAREHOUSE_OPS, _R.CONTROLLER}),
    # A partner's 997 answering what we sent: its EDI channel, or integration replaying one.
    cmd.RecordFunctionalAck: frozenset({_R.INTEGRATION}),
    # Disputes: a customer's 812 (a system), or a person who hears of one.
    cmd.OpenDispute: frozenset({_R.INTEGRATION, _R.CUSTOMER_SERVICE, _R.BILLING, _R.CASH_APP, _R.COLLECTIONS,
                                _R.AR_MANAGER, _R.CONTROLLER}),
}

#: roles a dispute case may be routed to (its handler checks the case's own roles)
CASE_ROLES = frozenset(Role) - {_R.ADMIN, _R.AUDITOR, _R.INTEGRATION}

#: Decisions only a named person makes, and the roles that may make them.
#: ``ReleaseHold`` is checked further against the hold: the policy's approval tiers (see :func:`tier`).
PERSON: dict[type[cmd.Command], frozenset[Role]] = {
    cmd.ReleaseHold: frozenset(Role) - {_R.ADMIN, _R.AUDITOR, _R.INTEGRATION},
    cmd.RejectOrder: frozenset({_R.CUSTOMER_SERVICE, _R.SALES_OPS, _R.CREDIT_MANAGER, _R.CONTROLLER}),
    cmd.IssueCreditMemo: frozenset({_R.BILLING, _R.AR_MANAGER, _R.CONTROLLER}),
    cmd.ApplyCash: frozenset({_R.CASH_APP, _R.AR_MANAGER, _R.CONTROLLER}),
    cmd.UnapplyPayment: frozenset({_R.CASH_APP, _R.AR_MANAGER, _R.CONTROLLER}),
    cmd.ResolveStockDifference: frozenset({_R.WAREHOUSE_OPS}),
    # collections: the policy's ``collections.promise_roles`` narrows who records promises
    cmd.RecordPromiseToPay: frozenset({_R.COLLECTIONS, _R.AR_MANAGER, _R.CONTROLLER, _R.CREDIT_MANAGER}),
    cmd.RunDunning: frozenset({_R.COLLECTIONS, _R.AR_MANAGER, _R.CONTROLLER}),
    # Sending a document again (new control numbers): billing, or integration for a partner.
    cmd.ResendDocument: frozenset({_R.BILLING, _R.INTEGRATION, _R.AR_MANAGER, _R.CONTROLLER}),
    # Checked further against the case: its owner, its escalation role, ar_manager or
    # controller (and a write-off within the policy's limit of the person's roles).
    cmd.AttachEvidence: CASE_ROLES,
    cmd.ResolveDispute: CASE_ROLES,
}

#: Decisions o2c refers to a person: it issues them itself, and they wait (parked) until a
#: person with the role replays them with what they decided.
REFERRED: frozenset[type[cmd.Command]] = frozenset({cmd.ResolveStockDifference})

#: What o2c issues to itself (reactions): nobody else issues these.
ENGINE_ONLY: frozenset[type[cmd.Command]] = frozenset({
    cmd.ValidateOrder, cmd.CheckCredit, cmd.AllocateOrder, cmd.InvoiceShipment, cmd.CloseOrder,
    cmd.ReevaluateCredit, cmd.RevalidateOrder, cmd.RetryTaxHold,
    cmd.FireTimer,
})

#: Ladders of authority: a role may decide what a role below it on its ladder owns.
LADDERS: tuple[tuple[Role, ...], ...] = (
    (_R.CREDIT_ANALYST, _R.CREDIT_MANAGER, _R.CONTROLLER),
    (_R.CUSTOMER_SERVICE, _R.SALES_OPS, _R.CONTROLLER),
    (_R.PRICING, _R.CONTROLLER),
    (_R.WAREHOUSE_OPS, _R.CONTROLLER),
    (_R.BILLING, _R.AR_MANAGER, _R.CONTROLLER),
    (_R.CASH_APP, _R.AR_MANAGER, _R.CONTROLLER),
    (_R.COLLECTIONS, _R.AR_MANAGER, _R.CONTROLLER),
)


def next_up(role: Role) -> Role | None:
    """The role above ``role`` on its ladder (where a hold it owns escalates to); None at
    the top of every ladder it is on, or on none."""
    for ladder in LADDERS:
        if role in ladder and ladder.index(role) + 1 < len(ladder):
            return ladder[ladder.index(role) + 1]
    return None


def at_or_above(role: Role) -> frozenset[Role]:
    """``role`` and every role above it on a ladder it is on."""
    out = {role}
    for ladder in LADDERS:
        if role in ladder:
            out.update(ladder[ladder.index(role):])
    return frozenset(out)


def _names(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(r.value for r in roles))


def _what(c: type[cmd.Command]) -> str:
    return {
        cmd.ReleaseHold: "deciding a hold", cmd.RejectOrder: "rejecting an order",
        cmd.IssueCreditMemo: "issuing a credit memo",
        cmd.ApplyCash: "applying cash by hand", cmd.UnapplyPayment: "unapplying a payment",
        cmd.ResolveStockDifference: "resolving a stock difference",
        cmd.RecordPromiseToPay: "recording a promise to pay", cmd.RunDunning: "running dunning",
        cmd.ResendDocument: "sending a document again",
        cmd.OpenDispute: "opening a dispute", cmd.AttachEvidence: "attaching evidence to a dispute",
        cmd.ResolveDispute: "resolving a dispute",
    }.get(c, c.__name__)


def authorize(c: cmd.Command, actor: Actor) -> None:
    """Refuse (:class:`Forbidden`) what ``actor`` may not issue; the reason names the
    roles it needs. Cheap: a dictionary lookup for the system actors of the hot path."""
    kind = type(c)
    if actor.kind is ActorKind.SYSTEM:
        if kind in CHANNEL or (actor.id == ENGINE.id and (kind in ENGINE_ONLY or kind in REFERRED)):
            return
        if kind in ENGINE_ONLY:
            raise Forbidden(f"{kind.__name__} is o2c's own step; {actor.label} cannot ask for it")
        raise Forbidden(f"{_what(kind)} needs a named person with one of the roles "
                        f"{_names(PERSON.get(kind, frozenset()))}; {actor.label} is a system, not a person")
    if kind in ENGINE_ONLY:
        raise Forbidden(f"{kind.__name__} is o2c's own step; {actor.label} cannot ask for it")
    if kind in PERSON:
        if actor.kind is not ActorKind.USER:
            raise Forbidden(f"{_what(kind)} needs a named person; {actor.label} is an API key")
        needed = PERSON[kind]
    else:
        needed = CHANNEL.get(kind, frozenset())
    if not actor.roles & needed:
        held = _names(actor.roles) or "no role"
        raise Forbidden(f"{_what(kind)} needs one of the roles {_names(needed)}; {actor.label} holds {held}")


def may_issue(kind: type[cmd.Command], actor: Actor) -> bool:
    """Whether ``actor`` may issue commands of ``kind`` at all (before looking at what they
    name): what an API route checks before taking a request."""
    if actor.kind is ActorKind.SYSTEM:
        return kind in CHANNEL or (actor.id == ENGINE.id and (kind in ENGINE_ONLY or kind in REFERRED))
    if kind in ENGINE_ONLY:
        return False
    if kind in PERSON:
        return actor.kind is ActorKind.USER and bool(actor.roles & PERSON[kind])
    return bool(actor.roles & CHANNEL.get(kind, frozenset()))


def may_decide(actor: Actor, owner: Role) -> bool:
    """Whether a person may decide a hold owned by ``owner``: they hold that role, or one
    above it on its ladder."""
    return bool(actor.roles & at_or_above(owner))


def visible(actor: Actor, legal_entity_id: str) -> bool:
    """Whether ``actor`` may see and act on what belongs to ``legal_entity_id``."""
    return actor.entities is None or legal_entity_id in actor.entities


@dataclass(frozen=True, slots=True, kw_only=True)
class Tier:
    """Who may decide a hold under the policy: ``role`` or a role above it on its ladder.
    ``rule`` names the approvals rule (``approvals/over-limit-manager``)."""

    code: HoldCode
    role: Role
    rule: str
    amount: Decimal
    four_eyes: bool

    def admits(self, actor: Actor) -> bool:
        return bool(actor.roles & at_or_above(self.role))

    def inputs(self, legal_entity_id: str) -> dict[str, object]:
        return {"code": self.code.value, "amount": self.amount, "legal_entity_id": legal_entity_id}


def tier(section: Section, code: HoldCode, amount: Decimal | None, legal_entity_id: str) -> Tier:
    """The tier that decides a hold of ``code`` with ``amount`` at stake (first match of the
    policy's approvals table)."""
    amt = amount if amount is not None else Decimal(0)
    rule = section.approval_table.evaluate(
        {"code": code.value, "amount": amt, "legal_entity_id": legal_entity_id})
    name = str(rule.then["role"])
    role = TAXONOMY[code].owner if name == OWNER else Role(name)
    return Tier(code=code, role=role, rule=f"approvals/{rule.rule_id}", amount=amt,
                four_eyes=code in section.four_eyes)


def four_eyes_conflict(actor: Actor, order: Order) -> tuple[str, str] | None:
    """Who ``actor`` is to the order if they entered or changed it (themselves, or the
    person they stand in for): then they may not decide its four-eyes holds."""
    involved = {order.entered_by, *order.changed_by} - {None}
    for who in (actor.id, actor.on_behalf_of):
        if who is not None and who in involved:
            did = "entered" if who == order.entered_by else "changed"
            return who if who == actor.id else f"{who} (for whom {actor.id} stands in)", did
    return None


def refuse_beyond_tier(actor: Actor, order: Order, t: Tier, currency: str) -> None:
    """Refuse (:class:`Forbidden`) a person's decision on a hold beyond their tier (naming
    the tier it needs) or against four-eyes."""
    if not t.admits(actor):
        held = _names(actor.roles) or "no role"
        raise Forbidden(f"a {t.code.value} hold with {t.amount} {currency} at stake needs "
                        f"{t.role.value} or above ({t.rule}); {actor.label} holds {held}")
    if t.four_eyes:
        conflict = four_eyes_conflict(actor, order)
        if conflict is not None:
            who, did = conflict
            raise Forbidden(f"four-eyes: {who} {did} order {order.order_id}, so another person "
                            f"must decide its {t.code.value} hold")


def may_act(actor: Actor, order: Order, t: Tier) -> bool:
    """Whether ``actor`` may decide a hold of tier ``t`` on ``order`` (what a work queue
    lists): the entity, the tier, four-eyes."""
    return (visible(actor, order.legal_entity_id) and t.admits(actor)
            and not (t.four_eyes and four_eyes_conflict(actor, order) is not None))
