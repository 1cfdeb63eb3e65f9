"""``o2c users`` and ``o2c keys``: who may act, and the keys systems act with.

Every command here is an admin's (``--as USER`` or ``$O2C_USER``, who must hold
``admin``; lists may also be read by an ``auditor``), except the very first user of an
empty database, who is created without one and must be an admin.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.table import Table

from o2c.cli_common import AsOpt, DbOpt, JsonOpt, acting, console, err, fail, opened

if TYPE_CHECKING:
    from o2c.bootstrap import App
    from o2c.domain.actors import Actor
    from o2c.domain.holds import Role
    from o2c.domain.identities import ApiKey, User

users = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False,
                    help="People who may act in o2c: their roles, legal entities and delegations.")
keys = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False,
                   help="API keys: the credentials systems act with (header X-API-Key).")

RoleOpt = Annotated[list[str], typer.Option("--role", help="A role (repeat for several): "
                                            "customer_service, credit_analyst, ..., admin.")]
EntityOpt = Annotated[list[str], typer.Option("--entity", help="A legal entity acted for (repeat "
                                              "for several), or 'all'.")]
_T = TypeVar("_T")


def _roles(names: list[str]) -> frozenset[Role]:
    from o2c.domain.actors import roles_of

    try:
        return roles_of(names)
    except ValueError as e:
        fail(f"--role {e}")


def _entities(names: list[str]) -> frozenset[str] | None:
    if "all" in names:
        if len(names) > 1:
            fail("--entity all already means every legal entity: give it alone")
        return None
    return frozenset(n.strip() for n in names)


def _admin_change(a: App, change: Callable[[Actor], _T], as_user: str | None) -> _T:
    """Run an administrative change as ``as_user``; a change that is refused is one sentence
    and exit status 2."""
    from o2c.store.identities import IdentityError

    try:
        return change(acting(a, as_user))
    except IdentityError as e:
        fail(str(e))


def _reader(a: App, as_user: str | None) -> None:
    from o2c.domain.holds import Role

    who = acting(a, as_user)
    if not who.has(Role.ADMIN, Role.AUDITOR):
        fail(f"{who.label} holds neither admin nor auditor, who may list users and keys")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask the password on: pipe it in with --password-stdin")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        fail("the two passwords differ; nothing was changed")
    return str(first)


@users.command("add")
def users_add(user_id: Annotated[str, typer.Argument(metavar="USER",
                                                     help="A name: letters, digits, . _ @ -.")],
              role: RoleOpt, entity: EntityOpt = [],  # noqa: B006 (typer reads the default)
              password_stdin: Annotated[bool, typer.Option(help="Read the password from the first "
                                                           "line of standard input.")] = False,
              as_user: AsOpt = None, db: DbOpt = None) -> None:
    """Add a user with a password (asked twice, or --password-stdin). The first user of an empty
    database needs no --as and must hold admin."""
    from o2c.store.identities import IdentityError, add_user, check_password, has_users

    roles, entities = _roles(role), _entities(entity)
    with opened(db) as a:
        by = acting(a, as_user) if has_users(a.store) else None
        password = _password(password_stdin)
        try:
            check_password(password)
            user = add_user(a.store, user_id, password, roles=roles, entities=entities,
                            at=a.clock.now(), by=by)
        except IdentityError as e:
            fail(str(e))
    console.print(f"user {user.user_id} added: {_scope(user.roles, user.entities)}")


def _scope(roles: frozenset[Role], entities: frozenset[str] | None) -> str:
    named = ", ".join(sorted(entities)) if entities is not None else "every legal entity"
    return f"{', '.join(sorted(r.value for r in roles))} for {named}"


@users.command("list")
def users_list(as_user: AsOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every user, their roles, entities and delegations (no password, ever)."""
    from o2c.store.identities import delegations
    from o2c.store.identities import users as all_users

    with opened(db) as a:
        _reader(a, as_user)
        people, given, now = all_users(a.store), delegations(a.store), a.clock.now()
    if as_json:
        print(json.dumps([{**_user_dict(u), "delegations": [
            {"from": d.from_user, "starts_at": d.starts_at.isoformat(), "ends_at": d.ends_at.isoformat()}
            for d in given if d.to_user == u.user_id]} for u in people], indent=2))
        return
    t = Table(title="Users")
    for col in ("user", "roles", "legal entities", "status", "holds for", "created"):
        t.add_column(col)
    for u in people:
        holds = [f"{d.from_user} {d.starts_at:%Y-%m-%d}→{d.ends_at:%Y-%m-%d}" for d in given
                 if d.to_user == u.user_id and d.ends_at > now]
        t.add_row(u.user_id, ", ".join(sorted(r.value for r in u.roles)),
                  "all" if u.entities is None else ", ".join(sorted(u.entities)),
                  "enabled" if u.disabled_at is None else f"disabled {u.disabled_at:%Y-%m-%d %H:%M}",
                  "\n".join(holds), f"{u.created_at:%Y-%m-%d} by {u.created_by}")
    console.print(t)


def _user_dict(u: User) -> dict[str, object]:
    return {"user": u.user_id, "roles": sorted(r.value for r in u.roles),
            "entities": None if u.entities is None else sorted(u.entities),
            "disabled_at": u.disabled_at.isoformat() if u.disabled_at else None,
            "created_at": u.created_at.isoformat(), "created_by": u.created_by}


@users.command("disable")
def users_disable(user_id: Annotated[str, typer.Argument(metavar="USER")], as_user: AsOpt = None,
                  db: DbOpt = None) -> None:
    """Disable a user: they cannot sign in from now on, and their tokens stop working."""
    from o2c.store.identities import disable_user

    with opened(db) as a:
        _admin_change(a, lambda by: disable_user(a.store, user_id, at=a.clock.now(), by=by), as_user)
    console.print(f"user {user_id} disabled")


@users.command("roles")
def users_roles(user_id: Annotated[str, typer.Argument(metavar="USER")],
                add: Annotated[list[str], typer.Option("--add", help="A role to give (repeat).")] = [],  # noqa: B006
                remove: Annotated[list[str], typer.Option("--remove", help="A role to take away "
                                                          "(repeat).")] = [],  # noqa: B006
                as_user: AsOpt = None, db: DbOpt = None) -> None:
    """Give a user roles, or take them away; tokens already issued follow at once."""
    from o2c.store.identities import change_roles

    if not add and not remove:
        fail("say what changes: --add ROLE and/or --remove ROLE")
    given, taken = _roles(add), _roles(remove)
    with opened(db) as a:
        user = _admin_change(a, lambda by: change_roles(a.store, user_id, add=given, remove=taken,
                                                        at=a.clock.now(), by=by), as_user)
    console.print(f"user {user.user_id}: {_scope(user.roles, user.entities)}")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date like 2026-03-02")


@users.command("delegate")
def users_delegate(from_user: Annotated[str, typer.Argument(metavar="FROM", help="Who is away.")],
                   to_user: Annotated[str, typer.Argument(metavar="TO", help="Who holds their roles.")],
                   start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
                   end: Annotated[str, typer.Option("--to", help="Last day, included.")],
                   zone: Annotated[str, typer.Option(
                       help="Where the days begin and end (IANA zone).")] = "UTC",
                   as_user: AsOpt = None, db: DbOpt = None) -> None:
    """Let TO hold FROM's roles (and act for FROM's legal entities) from the first day to the
    last, both included: out of office. TO's actions then name FROM (on behalf of)."""
    from o2c.store.identities import delegate

    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--zone {zone!r} is not a time zone like America/Chicago")
    first, last = _day(start, "--from"), _day(end, "--to")
    starts_at = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    ends_at = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    with opened(db) as a:
        _admin_change(a, lambda by: delegate(a.store, from_user, to_user, starts_at=starts_at,
                                             ends_at=ends_at, at=a.clock.now(), by=by), as_user)
    console.print(f"{to_user} holds {from_user}'s roles from {first} to {last} ({zone}), both included")


@keys.command("create")
def keys_create(name: Annotated[str, typer.Argument(help="What the key is for (wms-east, bank-lockbox).")],
                role: RoleOpt, entity: EntityOpt = [],  # noqa: B006
                as_user: AsOpt = None, db: DbOpt = None) -> None:
    """Create an API key. Its secret is printed once, alone on standard output, and never
    again: store it where the system that uses it reads it."""
    from o2c.store.identities import create_key

    roles, entities = _roles(role), _entities(entity)
    with opened(db) as a:
        key, secret = _admin_change(a, lambda by: create_key(a.store, name, roles=roles, entities=entities,
                                                             at=a.clock.now(), by=by), as_user)
    err.print(f"API key {key.name} ({key.prefix}) created: {_scope(key.roles, key.entities)}. Its secret "
              "follows, shown this once; send it in the X-API-Key header.")
    print(secret)


@keys.command("list")
def keys_list(as_user: AsOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every API key: its name, public prefix, scope and state (never the secret)."""
    from o2c.store.identities import keys as all_keys

    with opened(db) as a:
        _reader(a, as_user)
        found = all_keys(a.store)
    if as_json:
        print(json.dumps([_key_dict(k) for k in found], indent=2))
        return
    t = Table(title="API keys")
    for col in ("name", "prefix", "roles", "legal entities", "status", "created"):
        t.add_column(col)
    for k in found:
        t.add_row(k.name, k.prefix, ", ".join(sorted(r.value for r in k.roles)),
                  "all" if k.entities is None else ", ".join(sorted(k.entities)),
                  "valid" if k.revoked_at is None else f"revoked {k.revoked_at:%Y-%m-%d %H:%M}",
                  f"{k.created_at:%Y-%m-%d} by {k.created_by}")
    console.print(t)


def _key_dict(k: ApiKey) -> dict[str, object]:
    return {"name": k.name, "prefix": k.prefix, "roles": sorted(r.value for r in k.roles),
            "entities": None if k.entities is None else sorted(k.entities),
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            "created_at": k.created_at.isoformat(), "created_by": k.created_by}


@keys.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(metavar="KEY", help="The key's name or prefix.")],
                as_user: AsOpt = None, db: DbOpt = None) -> None:
    """Revoke an API key: it is refused from now on."""
    from o2c.store.identities import revoke_key

    with opened(db) as a:
        done = _admin_change(a, lambda by: revoke_key(a.store, key, at=a.clock.now(), by=by), as_user)
    console.print(f"API key {done.name} ({done.prefix}) revoked")
