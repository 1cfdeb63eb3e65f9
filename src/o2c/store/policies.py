"""Governed policy in the store: versions proposed, approved, loaded.

The rules of who may do what are :mod:`o2c.policy.governance`'s; this module keeps
the versions (table ``policy_versions``, or the memory store's rows), writes each
proposal and decision to the audit in the same transaction, and builds the
:class:`~o2c.policy.PolicyRegistry` the runtime decides with from the approved
versions only.

An empty store is seeded with the document o2c ships (``policy/defaults/default.yaml``)
as its first approved version, authored and approved by ``system:o2c.seed``: what the
installation ran with before anyone changed it. Every later version is proposed by a
person and approved by another.

Loading refuses a version that was changed behind o2c's back: its document must hash
to the SHA-256 it was stored with, name the policy id, version and effective date of
its row, and have its approval in the audit with that same hash (the shipped version's
approval by o2c included; one seeded before seeding was audited has none).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any

import yaml

from o2c.domain.actors import Actor, system
from o2c.domain.audit import Subject
from o2c.domain.business_time import start_of_day
from o2c.engine.audit import entry
from o2c.engine.ports import UnitOfWork
from o2c.policy import Policy, PolicyError, PolicyRegistry, parse_policy
from o2c.policy import governance as gov
from o2c.policy.document import merge
from o2c.policy.governance import (
    PolicyConflict,
    PolicyNotFound,
    PolicyRefused,
    PolicyStatus,
    PolicyVersion,
)
from o2c.policy.validation import problems
from o2c.store.memory import as_memory_store
from o2c.store.policy_rows import PolicyRows, VersionExists
from o2c.store.port import Store

__all__ = [
    "LiveRegistry",
    "PolicyRefused",
    "StoredPolicyError",
    "approve",
    "default_document",
    "diff",
    "load_registry",
    "propose",
    "propose_override",
    "reject",
    "review",
    "seed",
    "validate",
    "version",
    "versions",
]

_log = logging.getLogger(__name__)

#: The zone where a day begins first (UTC+14): a date has begun somewhere once it has begun here.
_FIRST_ZONE = "Etc/GMT-14"


class StoredPolicyError(ValueError):
    """A stored version that may not be used: changed after approval, or unreadable."""


def default_document() -> str:
    """The text of the policy o2c ships."""
    return resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8")


# ---------------------------------------------------------------- documents


def read(text: str, where: str = "the document") -> tuple[Mapping[str, Any], Policy]:
    """A document's text read and validated; PolicyError naming ``where`` and the path."""
    raw = _yaml(text, where)
    try:
        return raw, parse_policy(raw)
    except PolicyError as e:
        raise PolicyError(f"{where}: {e}") from None


def _yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise PolicyError(f"{where} is not valid YAML: {' '.join(str(e).split())}") from None


def validate(text: str) -> list[str]:
    """Every error of a document's text, each naming its path; empty if it is valid."""
    try:
        raw = _yaml(text, "the document")
    except PolicyError as e:
        return [str(e)]
    return problems(raw)


def _effective_text(raw: Mapping[str, Any]) -> str:
    eff = raw["effective_from"]
    return eff.isoformat() if isinstance(eff, date) else str(eff).strip()


def _begins(p: Policy) -> datetime:
    """The first instant the version is in force anywhere."""
    if p.effective_date is None:
        return p.effective_from
    return min(p.effective_from, start_of_day(p.effective_date, _FIRST_ZONE))


# ---------------------------------------------------------------- transactions


@contextmanager
def _rows(store: Store) -> Iterator[tuple[UnitOfWork, PolicyRows]]:
    """A unit of work and the policy rows in its transaction: commit the unit of work and
    both are kept (the audit entries with the rows), or neither."""
    with store.unit_of_work() as uow:
        if store.sql_engine is not None:
            from o2c.store.sql import SqlUnitOfWork
            from o2c.store.sql_policies import SqlPolicies

            assert isinstance(uow, SqlUnitOfWork)
            yield uow, SqlPolicies(uow.connection())
        else:
            with as_memory_store(store).policies.transaction() as rows:
                yield uow, rows


@contextmanager
def _reading(store: Store) -> Iterator[PolicyRows]:
    if (engine := store.sql_engine) is not None:
        from o2c.store.database import reading
        from o2c.store.sql_policies import SqlPolicies

        with reading(engine) as conn, conn.begin():
            yield SqlPolicies(conn)
    else:
        with as_memory_store(store).policies.transaction() as rows:
            yield rows


def versions(store: Store, policy_id: str | None = None) -> list[PolicyVersion]:
    """Every stored version (of ``policy_id``), by policy id, oldest proposal first."""
    with _reading(store) as rows:
        return rows.versions(policy_id)


def version(store: Store, policy_id: str, version_id: str) -> PolicyVersion | None:
    with _reading(store) as rows:
        return rows.get(policy_id, version_id)


# ---------------------------------------------------------------- loading


def seed(store: Store, at: datetime, document: str | None = None) -> PolicyVersion | None:
    """Store the shipped document (or ``document``) as the first approved version if no
    version is stored; the new version, or None if there were versions already."""
    if versions(store):
        return None
    text = default_document() if document is None else document
    raw, p = read(text, "the default policy" if document is None else "the seed document")
    v = PolicyVersion(policy_id=p.policy_id, version=p.version, status=PolicyStatus.APPROVED,
                      document=text, sha256=gov.document_hash(text), effective_from=_effective_text(raw),
                      author=gov.SEED_ACTOR, proposed_at=at, reason="the policy o2c ships",
                      approver=gov.SEED_ACTOR, approved_at=at)
    try:
        with _rows(store) as (uow, rows):
            if rows.versions():
                return None
            rows.add(v)
            # o2c's own approval of what it ships, in the audit like any other: the version's
            # hash is then checked against it as every approved version's is
            entry(uow, system(gov.SEED_ACTOR.removeprefix("system:")), "policy.approve",
                  Subject("policy", v.policy_id), at=at,
                  after={"version": v.version, "sha256": v.sha256, "effective_from": v.effective_from,
                         "seeded": True})
            uow.commit()
    except VersionExists:
        return None  # another process seeded it meanwhile
    return v


def _approvals(store: Store, policy_id: str) -> set[tuple[str, str]]:
    """(version, sha256) of each approval of ``policy_id`` the audit holds."""
    from o2c.store.audit_trail import audit_trail

    out = set()
    for r in audit_trail(store, policy=policy_id, limit=1_000_000):
        if r.action == "policy.approve" and r.after:
            after = json.loads(r.after)
            out.add((str(after.get("version")), str(after.get("sha256"))))
    return out


def checked(store: Store, v: PolicyVersion, approvals: set[tuple[str, str]] | None = None) -> Policy:
    """The approved version ``v`` as a policy, once it is shown unchanged since approval;
    StoredPolicyError otherwise."""
    name = f"policy {v.policy_id} version {v.version}"
    restore = "restore it from a backup (o2c runs no version changed after its approval)"
    if not v.hash_ok():
        raise StoredPolicyError(f"{name} was changed after it was approved: its document no longer "
                                f"hashes to {v.sha256}; {restore}")
    try:
        raw, p = read(v.document, name)
    except PolicyError as e:
        raise StoredPolicyError(f"{e}; {restore}") from None
    if (p.policy_id, p.version, _effective_text(raw)) != (v.policy_id, v.version, v.effective_from):
        raise StoredPolicyError(f"{name} was changed after it was approved: its row says version "
                                f"{v.version} effective {v.effective_from}, its document {p.policy_id} "
                                f"version {p.version} effective {_effective_text(raw)}; {restore}")
    found = _approvals(store, v.policy_id) if approvals is None else approvals
    # A version o2c seeded before seeding was audited has no approval there; one that has
    # must match it, like every version a person approved.
    legacy_seed = v.approver == gov.SEED_ACTOR and not any(ver == v.version for ver, _ in found)
    if not legacy_seed and (v.version, v.sha256) not in found:
        raise StoredPolicyError(f"{name} is marked approved, but the audit holds no approval of it "
                                f"with hash {v.sha256}; {restore}")
    return p


def approved(store: Store) -> list[Policy]:
    """Every approved version, each checked (:func:`checked`)."""
    stored = [v for v in versions(store) if v.status is PolicyStatus.APPROVED]
    seeded = [v for v in stored if gov.SEED_ACTOR in (v.author, v.approver)]
    if len(seeded) > 1 or any(v.author != v.approver for v in seeded):
        names = ", ".join(f"{v.policy_id} version {v.version}" for v in seeded)
        raise StoredPolicyError(f"only the first version is o2c's own, but {names} claim to be: a version "
                                "was changed after it was approved; restore it from a backup")
    audit: dict[str, set[tuple[str, str]]] = {}
    out = []
    for v in stored:
        if v.policy_id not in audit:
            audit[v.policy_id] = _approvals(store, v.policy_id)
        out.append(checked(store, v, audit.get(v.policy_id)))
    return out


def load_registry(store: Store, at: datetime) -> PolicyRegistry:
    """The registry of the approved versions, seeding an empty store first (at ``at``)."""
    seed(store, at)
    found = approved(store)
    try:
        return PolicyRegistry(found)
    except PolicyError as e:
        raise StoredPolicyError(str(e)) from None


def _approved_keys(store: Store) -> frozenset[tuple[str, str, str]]:
    with _reading(store) as rows:
        return frozenset((v.policy_id, v.version, v.sha256) for v in rows.versions()
                         if v.status is PolicyStatus.APPROVED)


class LiveRegistry(PolicyRegistry):
    """The approved versions of a store, looked at again now and then: a long-running process
    (``o2c serve``, ``o2c worker``) decides with a version approved elsewhere from its date,
    without a restart. At most every ``every`` seconds (of the process's monotonic time, not
    business time), a decision first reads which versions are approved; when that changed,
    they are loaded and checked again (:func:`approved`). A version that fails the check is
    not taken: the process keeps deciding with what it had, and says so in its log."""

    def __init__(self, store: Store, at: datetime, every: float = 30.0) -> None:
        self._inner = load_registry(store, at)
        super().__init__(self._inner.versions)
        self._store, self._every = store, every
        self._keys = _approved_keys(store)
        self._next = time.monotonic() + every
        self._lock = threading.Lock()

    def refresh(self) -> bool:
        """Load the approved versions again if they changed; whether the registry changed."""
        keys = _approved_keys(self._store)
        if keys == self._keys:
            return False
        try:
            inner = PolicyRegistry(approved(self._store))
        except (StoredPolicyError, PolicyError) as e:
            _log.error("policy versions not reloaded, still deciding with those loaded before: %s", e)
            self._keys = keys  # said once, not at every look
            return False
        self._inner, self._keys = inner, keys
        return True

    def _look(self) -> None:
        now = time.monotonic()
        if now < self._next or not self._lock.acquire(blocking=False):
            return
        try:
            self._next = now + self._every
            self.refresh()
        except Exception as e:  # a database that does not answer now: look again later
            _log.warning("could not look for new policy versions: %s", e)
        finally:
            self._lock.release()

    def in_force(self, at: datetime, zone: str | Callable[[], str | None] | None = None) -> Policy:
        if time.monotonic() >= self._next:  # asked on every decision: one comparison until it is time
            self._look()
        return self._inner.in_force(at, zone)

    @property
    def versions(self) -> list[Policy]:
        return self._inner.versions


# ---------------------------------------------------------------- changes


def _predecessor(rows: PolicyRows, p: Policy, key: tuple[str, str]) -> Mapping[str, Any] | None:
    """The document of the approved version ``p`` follows: the latest to take effect no later
    than it, preferring its own policy id; None for a first version."""
    best: tuple[bool, datetime, datetime] | None = None
    found = None
    for v in rows.versions():
        if v.status is not PolicyStatus.APPROVED or v.key == key:
            continue
        raw, q = read(v.document, f"policy {v.policy_id} version {v.version}")
        if q.effective_from > p.effective_from:
            continue
        rank = (v.policy_id == p.policy_id, q.effective_from, v.approved_at or v.proposed_at)
        if best is None or rank > best:
            best, found = rank, raw
    return found


def _not_begun(p: Policy, at: datetime, what: str) -> None:
    if _begins(p) <= at:
        when = p.effective_date.isoformat() if p.effective_date else p.effective_from.isoformat()
        raise PolicyConflict(f"policy {p.policy_id} version {p.version} takes effect {when}, which has begun "
                            f"already (it is {at.isoformat()}): {what} a version effective later")


def propose(store: Store, text: str, *, by: Actor, at: datetime, reason: str | None = None) -> PolicyVersion:
    """Store ``text`` (a whole document) as a proposed version by ``by``, and audit it.
    PolicyError for an invalid document; PolicyRefused for one that may not be proposed (a
    version id that exists, an effective date that has begun, a proposer without a policy role)."""
    raw, p = read(text)
    gov.check_proposer(by)
    _not_begun(p, at, "propose")
    v = gov.propose(policy_id=p.policy_id, version=p.version, document=text,
                    effective_from=_effective_text(raw), by=by, at=at, reason=reason)
    try:
        with _rows(store) as (uow, rows):
            if rows.get(*v.key) is not None:
                raise VersionExists(v.key)
            found = gov.changes(_predecessor(rows, p, v.key), raw)
            gov.check_scope(by, found, f"policy {v.policy_id} version {v.version}", "propose")
            rows.add(v)
            entry(uow, by, "policy.propose", Subject("policy", v.policy_id), at=at, after={
                "version": v.version, "sha256": v.sha256, "effective_from": v.effective_from,
                "reason": reason, "changes": sorted(str(c) for c in found),
                "approvers": sorted(r.value for r in gov.approver_roles(found))})
            uow.commit()
    except VersionExists:
        raise PolicyConflict(f"policy {v.policy_id} version {v.version} exists already: give the document "
                            "a new version") from None
    return v


def _decide(store: Store, policy_id: str, version_id: str, *, by: Actor, at: datetime,
            comment: str | None, verb: str) -> PolicyVersion:
    with _rows(store) as (uow, rows):
        v = rows.get(policy_id, version_id)
        if v is None:
            raise PolicyNotFound(f"there is no policy {policy_id} version {version_id} "
                                 "(o2c policy list shows them)")
        if not v.hash_ok():
            raise StoredPolicyError(f"policy {policy_id} version {version_id} was changed after it was "
                                    f"proposed: its document no longer hashes to {v.sha256}")
        raw, p = read(v.document, f"policy {policy_id} version {version_id}")
        found = gov.changes(_predecessor(rows, p, v.key), raw)
        if verb == "approve":
            decided = gov.approve(v, by=by, at=at, found=found, comment=comment)
            _not_begun(p, at, "propose")
        else:
            decided = gov.reject(v, by=by, at=at, found=found, comment=comment)
        if not rows.decide(decided):
            raise PolicyConflict(f"policy {policy_id} version {version_id} was decided meanwhile: "
                                "o2c policy show says how")
        entry(uow, by, f"policy.{verb}", Subject("policy", policy_id), at=at,
              before={"version": v.version, "status": v.status.value, "author": v.author},
              after={"version": v.version, "status": decided.status.value, "sha256": v.sha256,
                     "effective_from": v.effective_from, "comment": comment,
                     "changes": sorted(str(c) for c in found)})
        uow.commit()
    return decided


def approve(store: Store, policy_id: str, version_id: str, *, by: Actor, at: datetime,
            comment: str | None = None) -> PolicyVersion:
    """Approve a proposed version (four eyes, the approver's role: see
    :func:`o2c.policy.governance.approve`), and audit it. PolicyRefused otherwise."""
    return _decide(store, policy_id, version_id, by=by, at=at, comment=comment, verb="approve")


def reject(store: Store, policy_id: str, version_id: str, *, by: Actor, at: datetime,
           comment: str | None = None) -> PolicyVersion:
    """Reject (or, by its author, withdraw) a proposed version, and audit it."""
    return _decide(store, policy_id, version_id, by=by, at=at, comment=comment, verb="reject")


def review(store: Store, policy_id: str, version_id: str) -> tuple[list[str], list[str]]:
    """What a stored version changes compared with the approved version it follows, and the
    roles that may approve it."""
    with _reading(store) as rows:
        v = rows.get(policy_id, version_id)
        if v is None:
            raise PolicyNotFound(f"there is no policy {policy_id} version {version_id}")
        raw, p = read(v.document, f"policy {policy_id} version {version_id}")
        found = gov.changes(_predecessor(rows, p, v.key), raw)
    return sorted(str(c) for c in found), sorted(r.value for r in gov.approver_roles(found))


def latest_approved(store: Store, policy_id: str | None = None) -> PolicyVersion | None:
    """The approved version (of ``policy_id``) that takes effect last."""
    best: tuple[datetime, datetime] | None = None
    found = None
    for v in versions(store, policy_id):
        if v.status is PolicyStatus.APPROVED:
            _, p = read(v.document, f"policy {v.policy_id} version {v.version}")
            rank = (p.effective_from, v.approved_at or v.proposed_at)
            if best is None or rank > best:
                best, found = rank, v
    return found


def propose_override(store: Store, entity: str, overrides: Mapping[str, Any], *, version_id: str,
                     effective_from: str, by: Actor, at: datetime, reason: str | None = None,
                     policy_id: str | None = None) -> PolicyVersion:
    """Propose a new version of the latest approved version (of ``policy_id``) in which
    ``entity``'s overrides are merged with ``overrides`` (sections, as in ``entities:``)."""
    base = latest_approved(store, policy_id)
    if base is None:
        raise PolicyNotFound(f"there is no approved version of policy {policy_id} to change")
    raw = dict(_yaml(base.document, "the base version"))
    entities = dict(raw.get("entities") or {})
    entities[entity] = merge(entities.get(entity) or {}, overrides)
    raw.update(version=version_id, effective_from=_date_or_text(effective_from), entities=entities)
    header = (f"# Version {version_id} of {base.policy_id}: version {base.version} with the overrides of "
              f"{entity} changed.\n")
    text = header + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    return propose(store, text, by=by, at=at, reason=reason)


def _date_or_text(value: str) -> date | str:
    try:
        return date.fromisoformat(value) if len(value.strip()) == 10 else value
    except ValueError:
        return value


@dataclass(frozen=True, slots=True)
class Diff:
    """Two documents compared: what changed by section, and their text as a unified diff."""

    changes: list[str]
    text: str


def diff(old: str, new: str, old_name: str, new_name: str) -> Diff:
    """``old`` and ``new`` (documents' text) compared; PolicyError if either is not YAML."""
    a, b = _yaml(old, old_name), _yaml(new, new_name)
    found = gov.changes(a if isinstance(a, Mapping) else None, b if isinstance(b, Mapping) else {})
    return Diff(sorted(str(c) for c in found), gov.text_diff(old, new, old_name, new_name))
