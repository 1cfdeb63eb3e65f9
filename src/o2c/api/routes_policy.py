"""Policies: every stored version, proposed by one person and approved by another.

Any authenticated caller may read the versions (a decision names the version it was
made under; this is how it is explained). Proposing needs controller, pricing or
credit_manager; approving is four eyes: not the author, and controller for any change,
pricing for a change to pricing only, credit_manager for one to credit only (see
:mod:`o2c.policy.governance`). A version approved here is in force in this process from
its effective date at once; other processes load it when they start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field

from o2c.api.auth import (
    AUTH_ANSWERS,
    WRITE_AUTH_ANSWERS,
    ActorDep,
    Refusal,
    authenticated,
    forbidden,
    not_found,
)
from o2c.api.deps import EngineDep
from o2c.api.schemas import INVALID, NOT_FOUND, UNAVAILABLE, UNREADABLE, Problem
from o2c.bootstrap import App
from o2c.policy import PolicyError
from o2c.policy.governance import (
    PolicyConflict,
    PolicyForbidden,
    PolicyNotFound,
    PolicyRefused,
    PolicyVersion,
    check_proposer,
)
from o2c.store import policies
from o2c.store.policies import StoredPolicyError

router = APIRouter(prefix="/policies", tags=["policies"], dependencies=[Depends(authenticated)])

#: The largest document taken (the body limit of ``o2c serve`` applies too).
DOCUMENT_MAX = 1_000_000

PolicyId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                               description="The policy id (``o2c.default``).")]
VersionId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                                description="The version, as its document names it.")]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Not in this state: the version is decided already, its id is "
          "taken, or its effective date has begun (``POLICY-CONFLICT``); or the stored version was "
          "changed behind o2c's back (``POLICY-CHANGED``). Nothing was changed."}
}
BAD_DOCUMENT: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not readable, or the document is not a valid "
          "policy (``POLICY-INVALID``: ``detail`` names the path of every error)."}
}
FORBIDDEN_POLICY: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "Refused: the caller may not propose (a policy role is needed) "
          "or approve this version (its author, a role that may not approve what it changes, a legal "
          "entity it does not act for); ``detail`` says which."}
}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyVersionPublic(_Out):
    policy_id: str
    version: str
    status: str = Field(description="proposed, approved or rejected.")
    effective_from: str = Field(description="As the document says: a date (midnight in each legal "
                                "entity's zone) or an instant with its offset.")
    sha256: str = Field(description="The SHA-256 of the document's text, checked whenever it is loaded.")
    author: str
    proposed_at: datetime
    reason: str | None
    approver: str | None = Field(description="Who approved or rejected it.")
    approved_at: datetime | None = Field(description="When it was approved or rejected.")
    comment: str | None


class PolicyVersionDetail(PolicyVersionPublic):
    document: str = Field(description="The document's text (YAML), as proposed.")
    changes: list[str] = Field(description="The sections it changes from the approved version it "
                               "follows (``pricing``, ``entities.US.credit``).")
    approvers: list[str] = Field(description="The roles that may approve it (its author never).")


class ProposeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: str = Field(min_length=1, max_length=DOCUMENT_MAX,
                          description="A whole policy document (YAML text) with a new ``version``.")
    reason: str | None = Field(default=None, max_length=2000, description="Why, for the approver.")


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(default=None, max_length=2000, description="Why, for the record.")


def _public(v: PolicyVersion) -> dict[str, Any]:
    return {"policy_id": v.policy_id, "version": v.version, "status": v.status.value,
            "effective_from": v.effective_from, "sha256": v.sha256, "author": v.author,
            "proposed_at": v.proposed_at, "reason": v.reason, "approver": v.approver,
            "approved_at": v.approved_at, "comment": v.comment}


def _detail(app: App, v: PolicyVersion) -> PolicyVersionDetail:
    found, roles = policies.review(app.store, v.policy_id, v.version)
    return PolicyVersionDetail(**_public(v), document=v.document, changes=found, approvers=roles)


def _refusal(e: Exception) -> Refusal:
    text = " ".join(str(e).split())
    if isinstance(e, PolicyForbidden):
        return forbidden(text)
    if isinstance(e, PolicyNotFound):
        return not_found(text)
    if isinstance(e, StoredPolicyError):
        return Refusal(status.HTTP_409_CONFLICT, "POLICY-CHANGED", text)
    if isinstance(e, PolicyConflict):
        return Refusal(status.HTTP_409_CONFLICT, "POLICY-CONFLICT", text)
    return Refusal(status.HTTP_400_BAD_REQUEST, "POLICY-INVALID", text)


def _reload(app: App) -> None:
    """The registry of this process, again from the store, so that what was approved is in force
    here from its date at once; if a stored version no longer loads, it stays as it was."""
    registry = app.bus.policies
    if isinstance(registry, policies.LiveRegistry):
        registry.refresh()


@router.get("", response_model=list[PolicyVersionPublic], responses={**UNAVAILABLE, **AUTH_ANSWERS},
            summary="Every stored policy version")
def list_policies(engine: EngineDep, actor: ActorDep) -> list[PolicyVersionPublic]:
    """Every version of every policy, by policy id, oldest proposal first, any state."""
    return [PolicyVersionPublic(**_public(v)) for v in policies.versions(engine.store)]


@router.get("/{policy_id}/versions/{version}", response_model=PolicyVersionDetail,
            responses={**NOT_FOUND, **CONFLICT, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS},
            summary="One policy version, with its document")
def get_policy_version(policy_id: PolicyId, version: VersionId, engine: EngineDep,
                       actor: ActorDep) -> PolicyVersionDetail:
    """Any stored version, whatever its state: who proposed and approved it, its hash, its
    document, what it changes and who may approve it."""
    v = policies.version(engine.store, policy_id, version)
    if v is None:
        raise not_found(f"there is no policy {policy_id} version {version}")
    try:
        return _detail(engine.app, v)
    except PolicyError as e:  # a stored document that no longer reads: changed behind o2c's back
        raise _refusal(StoredPolicyError(str(e))) from None


@router.post("", response_model=PolicyVersionDetail, status_code=status.HTTP_201_CREATED,
             responses={**BAD_DOCUMENT, **CONFLICT, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS,
                        **FORBIDDEN_POLICY},
             summary="Propose a policy version")
def propose_policy(request: Annotated[ProposeRequest, Body()], engine: EngineDep,
                   actor: ActorDep) -> PolicyVersionDetail:
    """Store a document as a proposed version by the caller (controller, pricing or
    credit_manager). It is in force only once another person approves it."""
    try:
        check_proposer(actor)
        problems = policies.validate(request.document)
        if problems:
            raise PolicyError("the document is not a valid policy: " + "; ".join(problems))
        with engine.writing() as app:
            v = policies.propose(app.store, request.document, by=actor, at=app.clock.now(),
                                 reason=request.reason)
            return _detail(app, v)
    except (PolicyRefused, PolicyError, StoredPolicyError) as e:
        raise _refusal(e) from None


def _decide(verb: str, policy_id: str, version: str, engine: EngineDep, actor: ActorDep,
            request: DecisionRequest | None) -> PolicyVersionDetail:
    comment = request.comment if request is not None else None
    act = policies.approve if verb == "approve" else policies.reject
    try:
        with engine.writing() as app:
            v = act(app.store, policy_id, version, by=actor, at=app.clock.now(), comment=comment)
            if verb == "approve":
                _reload(app)
            return _detail(app, v)
    except (PolicyRefused, PolicyError, StoredPolicyError) as e:
        raise _refusal(e) from None


DECISION_ANSWERS: dict[int | str, dict[str, Any]] = {
    **UNREADABLE, **NOT_FOUND, **CONFLICT, **INVALID, **UNAVAILABLE, **WRITE_AUTH_ANSWERS, **FORBIDDEN_POLICY}


@router.post("/{policy_id}/versions/{version}/approve", response_model=PolicyVersionDetail,
             responses=DECISION_ANSWERS, summary="Approve a proposed policy version")
def approve_policy(policy_id: PolicyId, version: VersionId, engine: EngineDep, actor: ActorDep,
                   request: Annotated[DecisionRequest | None, Body()] = None) -> PolicyVersionDetail:
    """Approve a proposed version: a person other than its author, holding controller (any
    change), pricing (pricing only) or credit_manager (credit only), acting for every legal
    entity the change concerns. From then on it never changes."""
    return _decide("approve", policy_id, version, engine, actor, request)


@router.post("/{policy_id}/versions/{version}/reject", response_model=PolicyVersionDetail,
             responses=DECISION_ANSWERS, summary="Reject a proposed policy version")
def reject_policy(policy_id: PolicyId, version: VersionId, engine: EngineDep, actor: ActorDep,
                  request: Annotated[DecisionRequest | None, Body()] = None) -> PolicyVersionDetail:
    """Reject a proposed version (its author withdraws it, or someone who could approve it
    refuses it); it is never in force."""
    return _decide("reject", policy_id, version, engine, actor, request)
