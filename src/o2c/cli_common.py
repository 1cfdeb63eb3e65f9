"""What every ``o2c`` command shares: the consoles, the ``--db``, ``--json`` and ``--as``
options, opening the database, failing with one sentence, and who is acting."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from o2c.bootstrap import App, SettingsError, bootstrap
from o2c.engine.errors import TransientFailure

if TYPE_CHECKING:
    from o2c.adapters.documents import Integrations
    from o2c.adapters.limits import Limits
    from o2c.domain.actors import Actor

# Piped output (CI logs, files) gets a width that fits the tables instead of 80 columns.
console = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, soft_wrap=True)  # one line per error, whatever the width

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy URL, file path or 'memory' (default: $O2C_DB or the user data dir)"
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


# URLs this command was given; their passwords are masked in everything it prints.
_urls: list[str] = []


def hidden(url: str) -> str:
    """``url`` for printing (password masked); remembered so that errors that
    echo it are masked too."""
    from o2c.store.database import masked_url

    _urls.append(url)
    return masked_url(url)


def fail(message: str, code: int = 2) -> NoReturn:
    from o2c.store.database import mask_secrets

    err.print(f"[bold red]error:[/] {mask_secrets(message, *_urls)}")
    raise typer.Exit(code)


@contextmanager
def opened(db: str | None, integrations: Integrations | None = None,
           cache_size: int | None = None) -> Iterator[App]:
    """The app over ``db``; with ``integrations``, what it sends is rendered for the
    configured channels (X12 for trading partners); ``cache_size`` as ``bootstrap``'s. A
    database error on the way is reported as one sentence, password masked, not as a
    traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from o2c.bootstrap import database_error, resolve_db_url

    url = resolve_db_url(db)
    shown = hidden(url)
    try:
        a = bootstrap(db, integrations=integrations, cache_size=cache_size)
    except SettingsError as e:
        fail(str(e))
    try:
        yield a
    except TransientFailure as e:
        fail(f"database {shown} is unavailable ({database_error(e, url)}); nothing more was applied: "
             "run the same command again once it is back (what was done is kept, nothing twice)")
    except SQLAlchemyError as e:
        fail(f"database {shown}: {database_error(e, url)}")
    finally:
        a.close()

AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="Measure waits and time left to the start of this day, UTC (YYYY-MM-DD; default: "
                    "now). For a simulated run: its last day.")]


def when(text: str | None, default: datetime) -> datetime:
    """The start of the day ``text`` names (UTC), or ``default``; a clear error if it is no date."""
    if text is None:
        return default
    try:
        d = date.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a date like 2026-01-31")
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="O2C_USER", show_envvar=False,
                 help="The user acting, as set up with 'o2c users add' (default: $O2C_USER)."),
]


def acting(a: App, user: str | None) -> Actor:
    """The actor ``user`` is now (roles, entities, delegations), from the database; a clear
    error if nobody is named, or the user is unknown or disabled. Whoever can run a command
    on the database host could change the database anyway: ``--as`` names who acts, for the
    rules and the audit, and asks no password."""
    from o2c.domain.identities import IdentityRefused
    from o2c.store.identities import actor_for_user

    if not user:
        fail("say who is acting: --as USER (or set O2C_USER); 'o2c users list' shows the users")
    try:
        return actor_for_user(a.store, user, a.clock.now())
    except IdentityRefused as e:
        fail(f"--as {user}: {e}")


def integrations_from(path: Path | None, limits: Limits | None = None) -> Integrations:
    """The integration configuration (X12 partners, CSV mappings, WMS and carrier
    dialects) from a YAML file, none configured without one; with ``limits``, else those
    of the ``O2C_MAX_*`` environment variables."""
    from dataclasses import replace

    from o2c.bootstrap import resolve_limits

    try:
        limits = limits or resolve_limits()
    except SettingsError as e:
        fail(str(e))
    return replace(_configured(path), limits=limits)


def _configured(path: Path | None) -> Integrations:
    import yaml

    from o2c.adapters.documents import Integrations, IntegrationsError

    if path is None:
        return Integrations()
    if str(path) == "demo":
        from o2c.sim.run import Simulation

        return Simulation.packaged_integrations()
    try:
        return Integrations.from_mapping(yaml.safe_load(path.read_text("utf-8")))
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    except (yaml.YAMLError, IntegrationsError) as e:
        fail(f"{path}: {e}")


ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "--partners", envvar="O2C_CONFIG",
                 help="Integration configuration (YAML): X12 trading partners, CSV mappings, WMS and "
                      "carrier dialects; see examples/integrations.yaml. 'demo': the demo's own. "
                      "Set O2C_CONFIG once so that every command renders what o2c sends alike."),
]


def submit_as_person(a: App, actor: Actor, kind: str, model: type[Any], body: dict[str, Any],
                     failed: str) -> None:
    """Send a person's decision (a credit memo, a cash application...) to the engine as
    ``actor``, like any message: validated by ``model`` first, then authorised, applied and
    audited by the engine; ``failed`` (with the engine's code and reason) when it is not."""
    import uuid

    from pydantic import ValidationError

    from o2c.adapters.canonical import explain
    from o2c.engine.ports import InboundMessage
    from o2c.engine.runtime import Status

    try:
        checked = model(**body)
    except ValidationError as e:
        fail(explain(e))
    outcome = a.runtime.submit([InboundMessage(
        source="cli", source_message_id=f"{kind}-{uuid.uuid4().hex}", kind=kind,
        received_at=a.clock.now(), body=checked.model_dump_json(), actor=actor)])[0]
    if outcome.status is not Status.APPLIED:
        fail(f"{failed} ({outcome.code}): {outcome.reason}", code=1)
