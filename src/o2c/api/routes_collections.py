"""Collections over HTTP: ``/collections/aging`` and ``/collections/worklist`` (as of now in
each legal entity's zone, for the entities the caller acts for), and a person recording a
promise to pay (``POST /collections/promises``), through the engine as the caller under an
``Idempotency-Key``: the engine enforces the roles (403 naming them) and refuses what it
cannot take with its reason (409). A customer of an entity the caller does not act for is
a 404 like an unknown one."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from o2c.adapters.canonical import ID_MAX, Amount, Note, PromiseToPayIn, Text, identifier
from o2c.analytics import collections as report
from o2c.api import queries
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, Refusal, authenticated, forbidden, may
from o2c.api.deps import EngineDep, IdempotencyKey
from o2c.api.intake import submit
from o2c.api.schemas import INVALID, NOT_FOUND, TOO_LARGE, UNAVAILABLE, UNREADABLE, Problem
from o2c.domain.actors import Actor
from o2c.domain.holds import Role

router = APIRouter(tags=["collections"], dependencies=[Depends(authenticated)])

_READ = {**INVALID, **UNAVAILABLE, **AUTH_ANSWERS, **WRITE_AUTH_ANSWERS}
_WRITE = {**_READ, **NOT_FOUND, **UNREADABLE, **TOO_LARGE,
          409: {"model": Problem, "description": "The engine refused it; ``detail`` says why."}}
EntityQuery = Annotated[str | None, Query(max_length=ID_MAX, description="One legal entity only."),
                        AfterValidator(lambda v: identifier(v) if v is not None else v)]
#: who may read aging and the worklist
READERS = frozenset({Role.COLLECTIONS, Role.AR_MANAGER, Role.CONTROLLER, Role.CREDIT_ANALYST,
                     Role.CREDIT_MANAGER, Role.AUDITOR})


class AgingPublic(BaseModel):
    """Open AR of an account (``customer``) or a legal entity in one currency, by bucket."""

    customer: str | None = None
    legal_entity_id: str
    currency: str
    buckets: dict[str, str]
    total: str
    past_due: str
    disputed: str
    invoices: int


class WorklistPublic(BaseModel):
    customer_id: str
    legal_entity_id: str
    currency: str
    past_due: str
    invoices: int
    oldest_days: int
    risk: str
    value_at_risk: str
    promise: str | None


class PromiseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Text
    amount: Amount = Field(gt=0)
    promised_date: date
    invoice_ids: list[Text] = Field(default_factory=list, max_length=500,
                                    description="The invoices it covers; empty: the account.")
    note: Note = ""


class PromisePublic(BaseModel):
    promise_id: str
    customer_id: str
    amount: str
    currency: str
    promised_date: str
    invoice_ids: list[str]


def _reader(actor: Actor) -> None:
    if not actor.roles & READERS:
        raise forbidden(f"collections' figures need one of the roles "
                        f"{', '.join(sorted(r.value for r in READERS))}; {actor.label} is not one")


@router.get("/collections/aging", response_model=list[AgingPublic], responses=_READ)
def aging(engine: EngineDep, actor: ActorDep,
          by: Literal["customer", "entity"] = Query("customer", description="Per account or per entity."),
          entity: EntityQuery = None) -> Any:
    """Open AR by days past due (current, 1-30, 31-60, 61-90, over_90) in each legal entity's
    business date now, per account or per entity and currency."""
    _reader(actor)
    rows = report.aging(engine.store, engine.app.clock.now(), actor, by, entity)
    return report.aging_json(rows, by)


@router.get("/collections/worklist", response_model=list[WorklistPublic], responses=_READ)
def worklist(engine: EngineDep, actor: ActorDep,
             limit: int = Query(25, ge=1, le=10_000, description="At most this many accounts."),
             entity: EntityQuery = None) -> Any:
    """Accounts to call: those that broke a promise first, then by value at risk (undisputed
    past due x days past due x the account's risk), standing promises last."""
    _reader(actor)
    return report.worklist_json(report.worklist(engine.store, engine.app.clock.now(), actor, limit, entity))


@router.post("/collections/promises", response_model=PromisePublic, status_code=status.HTTP_201_CREATED,
             responses=_WRITE)
def record_promise(request: PromiseRequest, key: IdempotencyKey, engine: EngineDep, actor: ActorDep) -> Any:
    """Record a customer's promise to pay as the caller (a role the policy's
    collections.promise_roles names): dunning waits for what it covers; o2c judges it kept
    or broken after its date plus the policy's grace."""
    canonical = PromiseToPayIn(**request.model_dump())
    may(actor, canonical.command())
    entity = queries.customer_entity(engine.store, request.customer_id)
    if entity is None or not actor.acts_for(entity):
        raise Refusal(status.HTTP_404_NOT_FOUND, "NOT-FOUND", f"no customer {request.customer_id}")
    answer = submit(engine, kind="promise_to_pay", key=key, payload=canonical,
                    created_status=status.HTTP_201_CREATED, actor=actor)
    if answer.status_code != status.HTTP_201_CREATED:
        return answer
    with engine.store.unit_of_work() as uow:
        account = uow.accounts.get(request.customer_id)
    standing = sorted(account.promises.values(), key=lambda p: p.promise_id) if account else []
    if not standing or account is None:
        return answer
    p = standing[-1]
    return JSONResponse(status_code=status.HTTP_201_CREATED, content=PromisePublic(
        promise_id=p.promise_id, customer_id=account.customer_id, amount=str(p.amount),
        currency=account.currency, promised_date=p.promised_date.isoformat(),
        invoice_ids=list(p.invoice_ids)).model_dump(mode="json"))
