"""Governed policy: the life of a stored policy version and who may approve it.

A version is proposed by one person and approved by another (four eyes); only
approved versions are ever in force. The states::

    proposed ──approve──▶ approved        (immutable from then on)
        └──────reject───▶ rejected

A draft is a file: ``o2c policy validate`` checks it before anyone proposes it.
An approved version is never changed or deleted: a new version replaces it from
its own ``effective_from``, and every decision keeps naming the version it was
made under.

Who may approve depends on what the version changes compared with the approved
version it follows (:func:`changes`): ``controller`` may approve any change;
``pricing`` a change to the ``pricing`` section only; ``credit_manager`` a
change to the ``credit`` section only. A change to the base sections concerns
every legal entity, so its approver must act for every one; a change to one
entity's overrides needs an approver acting for that entity.

Pure: the store keeps the versions (:mod:`o2c.store.policies`), this module
decides.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from o2c.domain.actors import Actor
from o2c.domain.holds import Role

#: The keys of a document that say which version it is, not what it decides.
IDENTITY_KEYS = frozenset({"policy_id", "version", "effective_from"})
#: Who may propose a version (any section): the roles that may approve one.
PROPOSERS = frozenset({Role.CONTROLLER, Role.PRICING, Role.CREDIT_MANAGER})
#: Roles that may approve a change touching only this section.
SECTION_APPROVERS: Mapping[str, Role] = {"pricing": Role.PRICING, "credit": Role.CREDIT_MANAGER}
#: The author and approver of the version o2c seeds from its shipped document.
SEED_ACTOR = "system:o2c.seed"


class PolicyStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class PolicyRefused(ValueError):
    """A proposal or an approval that may not be made; the message says why in one sentence."""


class PolicyForbidden(PolicyRefused):
    """Not by this actor: not a person, the author approving, a role or entity it lacks."""


class PolicyConflict(PolicyRefused):
    """Not in this state: a version decided already, an id taken, a date begun."""


class PolicyNotFound(PolicyRefused):
    """No such stored version."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyVersion:
    """One stored version of a policy document. ``document`` is the text as proposed
    (YAML), ``sha256`` its hash; ``effective_from`` the document's own value (a date,
    or an instant with its offset). ``author`` and ``approver`` are actor labels
    (``user:ana``)."""

    policy_id: str
    version: str
    status: PolicyStatus
    document: str
    sha256: str
    effective_from: str
    author: str
    proposed_at: datetime
    reason: str | None = None
    approver: str | None = None
    approved_at: datetime | None = None
    comment: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.policy_id, self.version

    def hash_ok(self) -> bool:
        return document_hash(self.document) == self.sha256


def document_hash(text: str) -> str:
    """The SHA-256 (hex) of a document's text, as stored."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Change:
    """A section that differs; ``entity`` None: the base section, for every entity."""

    section: str
    entity: str | None = None

    def __str__(self) -> str:
        return self.section if self.entity is None else f"entities.{self.entity}.{self.section}"


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> frozenset[Change]:
    """What ``after`` changes compared with ``before`` (None: a first version, where every
    section is new): each top-level section that differs, and each section of an entity's
    override that differs (``policy_id``, ``version`` and ``effective_from`` aside)."""
    if before is None:
        return frozenset(Change(k) for k in after if k not in IDENTITY_KEYS) or frozenset({Change("*")})
    out: set[Change] = set()
    for key in (set(before) | set(after)) - IDENTITY_KEYS - {"entities"}:
        if before.get(key) != after.get(key):
            out.add(Change(key))
    old, new = _entities(before), _entities(after)
    for entity in set(old) | set(new):
        a, b = old.get(entity, {}), new.get(entity, {})
        for key in set(a) | set(b):
            if a.get(key) != b.get(key):
                out.add(Change(key, entity))
    return frozenset(out)


def _entities(doc: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    found = doc.get("entities") or {}
    if not isinstance(found, Mapping):
        return {}
    return {str(k): v if isinstance(v, Mapping) else {"": v} for k, v in found.items()}


def approver_roles(found: frozenset[Change]) -> frozenset[Role]:
    """The roles that may approve a version making these changes: controller always; the
    section's own role when every change is to that one section."""
    sections = {c.section for c in found}
    roles = {Role.CONTROLLER}
    if len(sections) == 1:
        (only,) = sections
        if only in SECTION_APPROVERS:
            roles.add(SECTION_APPROVERS[only])
    return frozenset(roles)


def _who(actor: Actor) -> str:
    return actor.label


def check_proposer(by: Actor) -> None:
    if not by.is_person:
        raise PolicyForbidden(f"{by.label} is not a person: a policy is proposed by a named user")
    if not by.has(*PROPOSERS):
        raise PolicyForbidden(f"{by.label} may not propose a policy: that needs one of "
                            f"{', '.join(sorted(r.value for r in PROPOSERS))}")


def check_scope(by: Actor, found: frozenset[Change], name: str, verb: str) -> None:
    """Refuse ``by`` proposing or approving changes for legal entities they do not act for:
    a change to the base sections concerns every entity; one to an override, its entity."""
    if by.entities is None:
        return
    if any(c.entity is None for c in found):
        raise PolicyForbidden(f"{by.label} may not {verb} {name}: it changes what every legal entity "
                              "does, and they do not act for every legal entity")
    outside = sorted({c.entity for c in found if c.entity is not None} - by.entities)
    if outside:
        raise PolicyForbidden(f"{by.label} may not {verb} {name}: it changes the overrides of "
                              f"{', '.join(outside)}, which they do not act for")


def propose(*, policy_id: str, version: str, document: str, effective_from: str, by: Actor,
            at: datetime, reason: str | None = None) -> PolicyVersion:
    """A new proposed version by ``by`` (who must hold a policy role)."""
    check_proposer(by)
    return PolicyVersion(policy_id=policy_id, version=version, status=PolicyStatus.PROPOSED,
                         document=document, sha256=document_hash(document), effective_from=effective_from,
                         author=_who(by), proposed_at=at, reason=reason)


def approve(v: PolicyVersion, *, by: Actor, at: datetime, found: frozenset[Change],
            comment: str | None = None) -> PolicyVersion:
    """``v`` approved by ``by`` at ``at``; ``found``: what it changes (:func:`changes`).
    PolicyRefused unless ``v`` is proposed, ``by`` is a person other than its author (nor
    acting on the author's behalf), holds a role that may approve these changes and acts
    for every legal entity they concern."""
    name = f"policy {v.policy_id} version {v.version}"
    if v.status is PolicyStatus.APPROVED:
        raise PolicyConflict(f"{name} is approved already (by {v.approver}); an approved version never "
                            "changes: propose a new version")
    if v.status is not PolicyStatus.PROPOSED:
        raise PolicyConflict(f"{name} is {v.status.value}, not proposed: propose a new version")
    if not by.is_person:
        raise PolicyForbidden(f"{by.label} is not a person: a policy is approved by a named user")
    if _who(by) == v.author or (by.on_behalf_of is not None and f"user:{by.on_behalf_of}" == v.author):
        raise PolicyForbidden(f"{by.label} proposed {name} and may not approve it too: another person "
                            "must (four eyes)")
    roles = approver_roles(found)
    if not by.has(*roles):
        what = ", ".join(sorted(str(c) for c in found)) or "nothing"
        raise PolicyForbidden(f"{by.label} may not approve {name}: it changes {what}, which needs "
                            f"{' or '.join(sorted(r.value for r in roles))}")
    check_scope(by, found, name, "approve")
    return replace(v, status=PolicyStatus.APPROVED, approver=_who(by), approved_at=at, comment=comment)


def reject(v: PolicyVersion, *, by: Actor, at: datetime, found: frozenset[Change],
           comment: str | None = None) -> PolicyVersion:
    """``v`` rejected: by its author (withdrawn) or by someone who could approve it."""
    name = f"policy {v.policy_id} version {v.version}"
    if v.status is not PolicyStatus.PROPOSED:
        raise PolicyConflict(f"{name} is {v.status.value}, not proposed: only a proposal can be rejected")
    if _who(by) != v.author:
        try:
            approve(v, by=by, at=at, found=found)
        except PolicyRefused as e:
            raise type(e)(str(e).replace(" approve ", " reject ", 1)) from None
    return replace(v, status=PolicyStatus.REJECTED, approver=_who(by), approved_at=at, comment=comment)


def text_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of two documents' text (three lines of context)."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=old_name, tofile=new_name))
