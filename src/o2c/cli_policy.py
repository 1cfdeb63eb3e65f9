"""``o2c policy``: the policy documents o2c decides with, versioned and approved in the database.

Reading (``list``, ``show``, ``diff``) needs no ``--as``; proposing, approving and
rejecting are a named user's (``--as USER`` or ``$O2C_USER``). These commands open the
store without loading the policies, so a version changed behind o2c's back can still be
listed and shown (it is marked so) while ``o2c serve`` and the other commands refuse to
start with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from o2c.cli_common import AsOpt, DbOpt, JsonOpt, console, err, fail, hidden

if TYPE_CHECKING:
    from o2c.domain.actors import Actor
    from o2c.engine.ports import Clock
    from o2c.policy.governance import PolicyVersion
    from o2c.store.port import Store

policy = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False,
                     help="Policy documents: validate, propose, approve (four eyes), list, show, diff.")

PolicyArg = Annotated[str, typer.Argument(metavar="POLICY", help="The policy id (o2c.default).")]
VersionArg = Annotated[str, typer.Argument(metavar="VERSION", help="The version, as its document names it.")]
FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="A policy document (YAML).")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="Why, for the record.")]


@dataclass
class _Db:
    store: Store
    clock: Clock


@contextmanager
def _opened(db: str | None) -> Iterator[_Db]:
    """The store over ``db`` (policies not loaded); database errors as one sentence."""
    from sqlalchemy.exc import SQLAlchemyError

    from o2c.adapters.runtime_parts import SystemClock
    from o2c.bootstrap import SettingsError, database_error, open_store, resolve_db_url

    url = resolve_db_url(db)
    shown = hidden(url)
    try:
        store = open_store(url)
    except SettingsError as e:
        fail(str(e))
    try:
        from o2c.store.policies import seed

        clock = SystemClock()
        seed(store, clock.now())  # as every other command would: the shipped policy is version 1
        yield _Db(store, clock)
    except SQLAlchemyError as e:
        fail(f"database {shown}: {database_error(e, url)}")
    finally:
        store.dispose()


def _acting(d: _Db, user: str | None) -> Actor:
    from o2c.domain.identities import IdentityRefused
    from o2c.store.identities import actor_for_user

    if not user:
        fail("say who is acting: --as USER (or set O2C_USER); 'o2c users list' shows the users")
    try:
        return actor_for_user(d.store, user, d.clock.now())
    except IdentityRefused as e:
        fail(f"--as {user}: {e}")


def _read_file(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read {path}: {getattr(e, 'strerror', None) or e}")


def _refused(e: Exception) -> None:
    fail(" ".join(str(e).split()))


@policy.command("validate")
def validate(file: FileArg) -> None:
    """Check a policy document; every error is named by its path (exit status 1 if any)."""
    from o2c.store.policies import read, validate

    text = _read_file(file)
    found = validate(text)
    if found:
        for problem in found:
            err.print(f"[bold red]error:[/] {escape(str(file))}: {escape(problem)}")
        raise typer.Exit(1)
    _, p = read(text)
    when = p.effective_date.isoformat() if p.effective_date else p.effective_from.isoformat()
    entities = ", ".join(sorted(p.by_entity)) or "none"
    console.print(f"{escape(str(file))}: valid: policy {p.policy_id} version {p.version}, effective "
                  f"{when}; entity overrides: {entities}", highlight=False)


def _states(d: _Db, found: list[PolicyVersion]) -> dict[tuple[str, str], str]:
    """Each version's state for people: its status, and for an approved one whether it is
    in force now, scheduled, superseded, or changed since its approval."""
    from o2c.policy import PolicyRegistry
    from o2c.policy.governance import PolicyStatus
    from o2c.store.policies import StoredPolicyError, checked

    out = {v.key: v.status.value for v in found}
    good = []
    for v in found:
        if v.status is PolicyStatus.APPROVED:
            try:
                good.append(checked(d.store, v))
            except StoredPolicyError:
                out[v.key] = "CHANGED after approval"
    now = d.clock.now()
    if good:
        registry = PolicyRegistry(good)
        try:
            current = registry.in_force(now)
            in_force: tuple[str, str] | None = (current.policy_id, current.version)
        except ValueError:
            in_force = None
        for p in good:
            key = (p.policy_id, p.version)
            out[key] = ("approved, in force" if key == in_force else "approved, scheduled"
                        if p.effective_from > now else "approved, superseded")
    return out


def _as_dict(v: PolicyVersion, state: str, document: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "policy_id": v.policy_id, "version": v.version, "status": v.status.value, "state": state,
        "effective_from": v.effective_from, "sha256": v.sha256, "author": v.author,
        "proposed_at": v.proposed_at.isoformat(), "reason": v.reason, "approver": v.approver,
        "approved_at": v.approved_at.isoformat() if v.approved_at else None, "comment": v.comment}
    if document:
        d["document"] = v.document
    return d


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else ""


@policy.command("list")
def list_versions(policy_id: Annotated[str | None, typer.Argument(metavar="[POLICY]",
                                                                  help="Only this policy.")] = None,
                  db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every stored version, oldest proposal first: its state, effective date, who proposed and
    who approved it."""
    from o2c.store.policies import versions

    with _opened(db) as d:
        found = versions(d.store, policy_id)
        states = _states(d, found)
    if as_json:
        print(json.dumps([_as_dict(v, states[v.key]) for v in found], indent=2))
        return
    if not found:
        console.print(f"no versions of policy {policy_id}" if policy_id else "no policy versions stored")
        return
    t = Table(title=f"Policy versions: {len(found)}", title_justify="left")
    for col in ("policy", "version", "state", "effective from", "proposed by", "proposed",
                "approved by", "approved", "sha256"):
        t.add_column(col, no_wrap=col in ("state", "sha256"))
    for v in found:
        t.add_row(v.policy_id, v.version, states[v.key], v.effective_from, v.author, _when(v.proposed_at),
                  v.approver or "", _when(v.approved_at), v.sha256[:12])
    console.print(t)


def _current(d: _Db, policy_id: str | None) -> PolicyVersion:
    """The approved version in force now (of ``policy_id``, else of any policy)."""
    from o2c.policy.governance import PolicyStatus
    from o2c.store.policies import read, versions

    now = d.clock.now()
    best: tuple[datetime, datetime] | None = None
    found = None
    for v in versions(d.store, policy_id):
        if v.status is not PolicyStatus.APPROVED:
            continue
        _, p = read(v.document, f"policy {v.policy_id} version {v.version}")
        rank = (p.effective_from, v.approved_at or v.proposed_at)
        if p.effective_from <= now and (best is None or rank > best):
            best, found = rank, v
    if found is None:
        fail(f"no version of policy {policy_id} is in force" if policy_id else "no policy is in force")
    return found


def _stored(d: _Db, policy_id: str | None, version_id: str) -> PolicyVersion:
    from o2c.store.policies import version

    pid = policy_id or _current(d, None).policy_id
    found = version(d.store, pid, version_id)
    if found is None:
        fail(f"there is no policy {pid} version {version_id} (o2c policy list shows them)")
    return found


@policy.command("show")
def show(policy_id: PolicyArg,
         version_id: Annotated[str | None, typer.Option("--version", help="This version (default: the "
                                                         "one in force now).")] = None,
         db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One stored version, any state: who proposed and approved it, when, its hash, and its
    document as approved. An old decision is explained by the version it names."""
    from o2c.policy import PolicyError

    with _opened(db) as d:
        try:
            v = _stored(d, policy_id, version_id) if version_id else _current(d, policy_id)
        except PolicyError as e:
            fail(str(e))
        state = _states(d, _all(d)).get(v.key, v.status.value)
    if as_json:
        print(json.dumps(_as_dict(v, state, document=True), indent=2))
        return
    why = f": {v.reason}" if v.reason else ""
    lines = [f"policy {v.policy_id} version {v.version}: {state}",
             f"effective from  {v.effective_from}",
             f"proposed        {v.proposed_at.isoformat()} by {v.author}{why}"]
    if v.approver:
        verb = "approved" if v.status.value == "approved" else v.status.value
        lines.append(f"{verb:<15} {v.approved_at.isoformat() if v.approved_at else ''} by {v.approver}"
                     + (f": {v.comment}" if v.comment else ""))
    lines += [f"sha256          {v.sha256}", ""]
    console.print("\n".join(lines), markup=False, highlight=False)
    console.print(v.document, markup=False, highlight=False, end="" if v.document.endswith("\n") else "\n")


def _all(d: _Db) -> list[PolicyVersion]:
    from o2c.store.policies import versions

    return versions(d.store)


def _side(d: _Db, arg: str, policy_id: str | None) -> tuple[str, str]:
    """A version (of ``policy_id``, else of the policy in force) or a file: (text, name)."""
    path = Path(arg)
    if path.is_file():
        return _read_file(path), str(path)
    v = _stored(d, policy_id, arg)
    return v.document, f"{v.policy_id} version {v.version}"


@policy.command("diff")
def diff(old: Annotated[str, typer.Argument(metavar="OLD", help="A version, or a file.")],
         new: Annotated[str | None, typer.Argument(
             metavar="[NEW]", help="A version, or a file (default: OLD against the one in force).")] = None,
         policy_id: Annotated[str | None, typer.Option("--policy", help="The policy the versions are of "
                                                       "(default: the one in force).")] = None,
         db: DbOpt = None) -> None:
    """What changes between two versions (or files): the sections that differ, then the
    documents as a unified diff. With one argument: the version in force against it."""
    from o2c.policy import PolicyError
    from o2c.store.policies import diff as compare

    with _opened(db) as d:
        try:
            if new is None:
                current = _current(d, policy_id)
                a = (current.document, f"{current.policy_id} version {current.version} (in force)")
                b = _side(d, old, policy_id or current.policy_id)
            else:
                a, b = _side(d, old, policy_id), _side(d, new, policy_id)
            found = compare(a[0], b[0], a[1], b[1])
        except PolicyError as e:
            fail(str(e))
    if not found.changes and not found.text:
        console.print(f"{a[1]} and {b[1]} are the same", highlight=False, markup=False)
        return
    console.print(f"changes: {', '.join(found.changes) or 'none beyond the version and its date'}",
                  highlight=False, markup=False)
    for line in found.text.splitlines():
        style = ("green" if line.startswith("+") and not line.startswith("+++") else
                 "red" if line.startswith("-") and not line.startswith("---") else
                 "cyan" if line.startswith("@@") else None)
        console.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def _proposed(d: _Db, v: PolicyVersion) -> None:
    from o2c.store.policies import review

    found, roles = review(d.store, v.policy_id, v.version)
    console.print(f"proposed policy {v.policy_id} version {v.version}, effective {v.effective_from} "
                  f"(sha256 {v.sha256[:12]}); it changes {', '.join(found) or 'nothing but its version'}, "
                  f"which {' or '.join(roles)} approves, someone other than {v.author}: "
                  f"o2c policy approve {v.policy_id} {v.version} --as USER", highlight=False, markup=False)


@policy.command("propose")
def propose(file: FileArg, as_user: AsOpt = None, db: DbOpt = None,
            reason: Annotated[str | None, typer.Option("--reason", help="Why, for the approver and "
                                                       "the record.")] = None) -> None:
    """Propose a document as a new version (its policy_id and version must be new). It is in
    force only once another person has approved it, from its effective_from."""
    from o2c.policy import PolicyError
    from o2c.policy.governance import PolicyRefused
    from o2c.store.policies import propose as store_propose
    from o2c.store.policies import validate

    text = _read_file(file)
    found = validate(text)
    if found:
        for problem in found:
            err.print(f"[bold red]error:[/] {escape(str(file))}: {escape(problem)}")
        fail(f"{file} is not a valid policy document: nothing was proposed")
    with _opened(db) as d:
        by = _acting(d, as_user)
        try:
            v = store_propose(d.store, text, by=by, at=d.clock.now(), reason=reason)
        except (PolicyRefused, PolicyError) as e:
            _refused(e)
        _proposed(d, v)


@policy.command("override")
def override(entity: Annotated[str, typer.Argument(metavar="ENTITY", help="The legal entity.")],
             file: Annotated[Path, typer.Argument(metavar="FILE", help="YAML: the sections to override "
                                                  "for the entity, as under entities.ENTITY.")],
             version_id: Annotated[str, typer.Option("--version", help="The new version's id.")],
             effective_from: Annotated[str, typer.Option("--effective-from", help="A date (2026-04-01: "
                                                         "midnight in each entity's zone) or an instant "
                                                         "with its offset.")],
             policy_id: Annotated[str | None, typer.Option("--policy", help="The policy to change "
                                                           "(default: the one in force).")] = None,
             reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
             as_user: AsOpt = None, db: DbOpt = None) -> None:
    """Propose a new version of the latest approved version in which one legal entity's
    overrides are merged with FILE's sections."""
    import yaml

    from o2c.policy import PolicyError
    from o2c.policy.governance import PolicyRefused
    from o2c.store.policies import propose_override

    try:
        sections = yaml.safe_load(_read_file(file))
    except yaml.YAMLError as e:
        fail(f"{file} is not valid YAML: {' '.join(str(e).split())}")
    if not isinstance(sections, dict):
        fail(f"{file}: expected a mapping of sections (pricing:, credit:, ...)")
    with _opened(db) as d:
        by = _acting(d, as_user)
        try:
            pid = policy_id or _current(d, None).policy_id
            v = propose_override(d.store, entity, sections, version_id=version_id,
                                 effective_from=effective_from, by=by, at=d.clock.now(), reason=reason,
                                 policy_id=pid)
        except (PolicyRefused, PolicyError) as e:
            _refused(e)
        _proposed(d, v)


def _decide(verb: str, policy_id: str, version_id: str, as_user: str | None, db: str | None,
            comment: str | None) -> None:
    from o2c.policy import PolicyError
    from o2c.policy.governance import PolicyRefused
    from o2c.store import policies
    from o2c.store.policies import StoredPolicyError

    with _opened(db) as d:
        by = _acting(d, as_user)
        act = policies.approve if verb == "approve" else policies.reject
        try:
            v = act(d.store, policy_id, version_id, by=by, at=d.clock.now(), comment=comment)
        except (PolicyRefused, PolicyError, StoredPolicyError) as e:
            _refused(e)
    done = "approved" if verb == "approve" else "rejected"
    tail = (f"; in force from {v.effective_from} (processes running now load it when restarted)"
            if verb == "approve" else "")
    console.print(f"policy {v.policy_id} version {v.version} {done} by {v.approver}{tail}",
                  highlight=False, markup=False)


@policy.command("approve")
def approve(policy_id: PolicyArg, version_id: VersionArg, as_user: AsOpt = None, db: DbOpt = None,
            comment: CommentOpt = None) -> None:
    """Approve a proposed version: not its author; controller for any change, pricing for a
    change to pricing only, credit_manager for one to credit only."""
    _decide("approve", policy_id, version_id, as_user, db, comment)


@policy.command("reject")
def reject(policy_id: PolicyArg, version_id: VersionArg, as_user: AsOpt = None, db: DbOpt = None,
           comment: CommentOpt = None) -> None:
    """Reject a proposed version (or withdraw your own); it is never in force."""
    _decide("reject", policy_id, version_id, as_user, db, comment)
