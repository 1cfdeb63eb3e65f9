"""The work queue: ``/queue`` (the open holds the caller may act on), one hold with its
context and comments, claims, assignments, comments, and the decision in one call.

Who may act on a hold is :func:`o2c.engine.queue.can_act`'s to say: a hold of a legal entity
the caller does not act for is a 404 like an unknown one; one they see but may not act on
is a 403 naming the role it needs. A decision goes through the runtime as the caller, like
``POST /hold-decisions``: the engine enforces the roles.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Query, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from o2c.adapters.canonical import Note, Text
from o2c.analytics.queue import (
    Claimed,
    DecisionInvalid,
    QueueFilter,
    QueueItem,
    build_queue,
    decidable,
    decision_message,
    queue_item,
)
from o2c.api import queries
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, Refusal, authenticated, may
from o2c.api.deps import EngineDep, IdempotencyKey, ResourceId
from o2c.api.intake import SOURCE, problem, submit
from o2c.api.schemas import (
    INVALID,
    NOT_FOUND,
    TOO_LARGE,
    UNAVAILABLE,
    UNREADABLE,
    OrderPublic,
    Problem,
    order_public,
)
from o2c.bootstrap import App
from o2c.domain.holds import HoldAction, HoldCode, Stage
from o2c.domain.work import Claim, Comment, RejectReason, order_of_hold
from o2c.engine.queue import Sections, sections_at
from o2c.store import work_items
from o2c.store.work_items import WorkError

router = APIRouter(prefix="/queue", tags=["work queue"], dependencies=[Depends(authenticated)])

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The hold is claimed by someone else (``detail`` names them), "
          "or is no longer open."},
}
_READ = {**NOT_FOUND, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS, **WRITE_AUTH_ANSWERS}
_WRITE = {**NOT_FOUND, **INVALID, **UNREADABLE, **TOO_LARGE, **UNAVAILABLE, **WRITE_AUTH_ANSWERS, **_CONFLICT}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class QueueOrder(_Out):
    order_id: str
    customer_id: str
    po_number: str
    value: Decimal = Field(description="The order's lines at their price (the PO's until priced).")
    currency: str
    status: str
    legal_entity_id: str


class QueueCustomer(_Out):
    customer_id: str
    name: str
    parent_id: str | None
    credit_limit: Decimal
    currency: str
    blocked: bool


class QueueCredit(_Out):
    """The credit position: ``source`` ``decision`` as the credit check recorded it when it
    placed the hold, ``account`` from the account as it is now."""

    exposure: Decimal
    credit_limit: Decimal
    over_by: Decimal
    open_ar: Decimal
    past_due: Decimal
    days_past_due: int
    source: str


class QueueCondition(_Out):
    rule: str
    inputs: dict[str, str]


class ClaimPublic(_Out):
    hold_id: str
    order_id: str
    claimed_by: str
    claimed_at: datetime
    assigned_by: str | None = Field(description="Who assigned it; null: claimed by the holder.")


class CommentPublic(_Out):
    comment_id: int
    hold_id: str
    author: str
    written_at: datetime
    text: str


class QueueItemPublic(_Out):
    hold_id: str
    code: str
    title: str
    stage: str
    owner_role: str
    actions: list[str] = Field(description="What a person may do with a hold of this code.")
    reason: str
    amount_at_stake: Decimal | None = Field(description="What the approval tiers read: the amount over "
                                            "the limit, the past-due amount, else the order's open value.")
    order: QueueOrder
    customer: QueueCustomer | None
    credit: QueueCredit | None
    conditions: list[QueueCondition] = Field(description="Every condition that failed, with its inputs.")
    rule: str | None = Field(description="The policy rule that placed the hold.")
    policy_id: str | None
    policy_version: str | None
    placed_at: datetime
    sla_due_at: datetime | None
    time_left_seconds: int | None = Field(description="Seconds to the SLA due time; negative: breached.")
    breached: bool
    claim: ClaimPublic | None
    comments: int = Field(description="How many comments the hold has.")


class QueueItemDetail(QueueItemPublic):
    comment_list: list[CommentPublic] = Field(description="The hold's comments, oldest first.")


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Text = Field(description="The user to give the hold to; they must be able to act on it.")


class CommentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[Note, Field(min_length=1, max_length=work_items.COMMENT_MAX)]


class DecisionRequest(BaseModel):
    """What to do with the hold. ``reject`` needs a ``reason_code``; the others a ``reason``."""

    model_config = ConfigDict(extra="forbid")

    action: HoldAction
    reason: Note = ""
    reason_code: RejectReason | None = Field(
        default=None, description="Why the order is rejected (reject only): one of a fixed list.")


def _sections(app: App) -> Sections:
    return sections_at(app.policies, app.clock.now())


def item_public(i: QueueItem) -> dict[str, Any]:
    return {
        "hold_id": i.hold_id, "code": i.code, "title": i.title, "stage": i.stage, "owner_role": i.owner_role,
        "actions": list(i.actions), "reason": i.reason, "amount_at_stake": i.amount_at_stake,
        "order": i.order, "customer": i.customer, "credit": i.credit, "conditions": i.conditions,
        "rule": i.rule, "policy_id": i.policy_id, "policy_version": i.policy_version,
        "placed_at": i.placed_at, "sla_due_at": i.sla_due_at,
        "time_left_seconds": None if i.time_left is None else int(i.time_left.total_seconds()),
        "breached": i.breached, "claim": i.claim, "comments": i.comments,
    }


def _refused(e: WorkError, field: str | None = None) -> NoReturn:
    if e.kind is work_items.Refusal.NOT_FOUND:
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", str(e))
    if e.kind is work_items.Refusal.FORBIDDEN:
        raise Refusal(status.HTTP_403_FORBIDDEN, "AUTH-FORBIDDEN", str(e))
    if e.kind is work_items.Refusal.CONFLICT:
        raise Refusal(status.HTTP_409_CONFLICT, "HOLD-CONFLICT", str(e))
    _invalid(field or "(body)", str(e))


def _invalid(field: str, message: str) -> NoReturn:
    raise RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message,
                                   "input": None}])


@router.get("", response_model=list[QueueItemPublic], responses={**INVALID, **UNAVAILABLE, **AUTH_ANSWERS},
            summary="The open holds the caller may act on, soonest SLA first")
def list_queue(
    engine: EngineDep, actor: ActorDep,
    code: Annotated[HoldCode | None, Query(description="Only holds of this code.")] = None,
    stage: Annotated[Stage | None, Query(description="Only holds of this stage.")] = None,
    legal_entity: Annotated[str | None, Query(max_length=200, description="Only this legal entity.")] = None,
    customer: Annotated[str | None, Query(max_length=200, description="Only this customer.")] = None,
    breached: Annotated[bool, Query(description="Only holds past their SLA.")] = False,
    claimed: Annotated[Claimed | None, Query(description="``me``: claimed by the caller; "
                                                         "``unclaimed``: claimed by nobody.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many.")] = 1000,
) -> list[dict[str, Any]]:
    """Holds of the caller's legal entities whose owner role the caller holds (or a role above
    it on its ladder), each with its order, customer, credit position, failed conditions,
    rule and policy version, SLA (``time_left_seconds`` measured to now) and claim."""
    where = QueueFilter(code=code, stage=stage, legal_entity_id=legal_entity, customer_id=customer,
                        breached=breached, claimed=claimed)
    now = engine.app.clock.now()
    items = build_queue(engine.store, actor, now=now, where=where, limit=limit,
                        sections=sections_at(engine.app.policies, now))
    return [item_public(i) for i in items]


@router.get("/{hold_id}", response_model=QueueItemDetail, responses=_READ,
            summary="One open hold with its context and comments")
def get_item(hold_id: ResourceId, engine: EngineDep, actor: ActorDep) -> dict[str, Any]:
    try:
        now = engine.app.clock.now()
        item = queue_item(engine.store, actor, hold_id, now=now,
                          sections=sections_at(engine.app.policies, now))
        notes = work_items.comments(engine.store, actor, hold_id)
    except WorkError as e:
        _refused(e)
    return {**item_public(item), "comment_list": notes}


@router.post("/{hold_id}/claim", response_model=ClaimPublic, responses=_WRITE,
             summary="Claim a hold: work on it")
def claim(hold_id: ResourceId, engine: EngineDep, actor: ActorDep) -> Claim:
    """One person works on a hold at a time: a hold someone else has claimed is a 409 naming
    them, unless the caller ranks above them on the hold's ladder (then it is theirs)."""
    with engine.writing() as app:
        try:
            return work_items.claim(app.store, actor, hold_id, at=app.clock.now(), sections=_sections(app))
        except WorkError as e:
            _refused(e)


@router.post("/{hold_id}/assign", response_model=ClaimPublic, responses=_WRITE,
             summary="Give a hold to someone who may act on it")
def assign(hold_id: ResourceId, request: AssignRequest, engine: EngineDep, actor: ActorDep) -> Claim:
    """A hold claimed by someone else is handed over only by them or by someone ranking
    above them on the hold's ladder (409 otherwise); a user who may not act on it is a 422."""
    with engine.writing() as app:
        try:
            return work_items.assign(app.store, actor, hold_id, request.user, at=app.clock.now(),
                                     sections=_sections(app))
        except WorkError as e:
            _refused(e, "user")


@router.delete("/{hold_id}/claim", status_code=status.HTTP_204_NO_CONTENT, responses=_WRITE,
               summary="Let a hold go: nobody's again")
def unclaim(hold_id: ResourceId, engine: EngineDep, actor: ActorDep) -> Response:
    with engine.writing() as app:
        try:
            work_items.unclaim(app.store, actor, hold_id, at=app.clock.now(), sections=_sections(app))
        except WorkError as e:
            _refused(e)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{hold_id}/comments", status_code=status.HTTP_201_CREATED, response_model=CommentPublic,
             responses=_WRITE, summary="Comment on a hold")
def add_comment(hold_id: ResourceId, request: CommentRequest, engine: EngineDep, actor: ActorDep) -> Comment:
    with engine.writing() as app:
        try:
            return work_items.comment(app.store, actor, hold_id, request.text, at=app.clock.now(),
                                      sections=_sections(app))
        except WorkError as e:
            _refused(e, "text")


@router.post("/{hold_id}/decision", response_model=OrderPublic,
             responses={**_WRITE, 409: {"model": Problem, "description": "The hold is no longer open, or "
                                        "the order could not take the decision (dead-lettered)."}},
             summary="Decide a hold in one call: release, override, reject or edit and retry")
def decide(hold_id: ResourceId, request: DecisionRequest, key: IdempotencyKey, engine: EngineDep,
           actor: ActorDep) -> Any:
    """The decision goes to the engine as the caller, who needs the hold's owner role or one
    above it (403, naming the role). A reject needs a ``reason_code`` (``CUSTOMER-REQUEST``,
    ``CREDIT-RISK``, ``PRICE-NOT-AGREED``, ``DUPLICATE``, ``DATA-NOT-FIXABLE``, ``OTHER``).
    The answer is the order as it stands after the decision."""
    order_id = order_of_hold(hold_id)
    order = queries.order(engine.store, order_id) if order_id else None
    hold = next((h for h in order.holds if h.hold_id == hold_id), None) if order else None
    if order is None or hold is None or not actor.acts_for(order.legal_entity_id):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no hold {hold_id}")
    try:
        canonical = decision_message(actor, order, hold, request.action, request.reason, request.reason_code)
    except DecisionInvalid as e:
        _invalid(e.field, str(e))
    may(actor, canonical.command())
    retry = queries.inbox_record(engine.store, SOURCE, key) is not None  # answered as the first was
    if not retry and (why := decidable(order, hold)) is not None:
        return problem(status.HTTP_409_CONFLICT, "HOLD-CONFLICT", why)
    answer = submit(engine, kind="hold_decision", key=key, payload=canonical,
                    created_status=status.HTTP_200_OK, actor=actor)
    if answer.status_code != status.HTTP_200_OK:
        return answer
    after = queries.order(engine.store, order.order_id)
    return JSONResponse(status_code=status.HTTP_200_OK,
                        content=order_public(after if after is not None else order).model_dump(mode="json"))
