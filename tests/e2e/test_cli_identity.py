"""``o2c users`` and ``o2c keys`` as an operator runs them: the first admin without one, every
change refused to whoever is not an admin of the entities it touches, secrets shown once,
and ``o2c serve`` refusing to listen beyond loopback on a database without users."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from o2c.cli import app
from o2c.store.sql import SqlStore
from tests.builders import seed, seed_canada

PW = "a long enough passphrase\n"
runner = CliRunner()


def run(db: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    out = runner.invoke(app, [*args, "--db", str(db)], input=stdin)
    assert "Traceback" not in out.output, out.output
    return out.exit_code, " ".join(out.output.split())


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Entities US and CA; root (admin, all), usadmin (admin, US), ana (credit analyst, all),
    audra (auditor, all), cara (billing, CA); keys us-key (US) and ca-key (CA)."""
    path = tmp_path_factory.mktemp("identity") / "o2c.db"
    store = SqlStore(f"sqlite:///{path}")
    seed(store)
    seed_canada(store)
    store.dispose()
    assert run(path, "users", "add", "root", "--role", "admin", "--entity", "all", "--password-stdin",
               stdin=PW)[0] == 0
    for user, role, entity in (("usadmin", "admin", "US"), ("ana", "credit_analyst", "all"),
                               ("audra", "auditor", "all"), ("cara", "billing", "CA")):
        code, text = run(path, "users", "add", user, "--role", role, "--entity", entity, "--password-stdin",
                         "--as", "root", stdin=PW)
        assert code == 0, text
    for key, entity in (("us-key", "US"), ("ca-key", "CA")):
        code, text = run(path, "keys", "create", key, "--role", "integration", "--entity", entity,
                         "--as", "root")
        assert code == 0, text
    return path


#: Every command that changes identities, each acting on what belongs to CA (or to every entity).
CHANGES = [
    ("users", "add", "newbie", "--role", "billing", "--entity", "CA", "--password-stdin"),
    ("users", "disable", "cara"),
    ("users", "roles", "cara", "--add", "cash_app"),
    ("users", "delegate", "cara", "ana", "--from", "2026-03-02", "--to", "2026-03-06"),
    ("keys", "create", "newkey", "--role", "integration", "--entity", "CA"),
    ("keys", "revoke", "ca-key"),
]


@pytest.mark.parametrize("command", CHANGES, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("who", ["ana", "audra"])
def test_every_change_is_refused_to_whoever_is_not_an_admin(db: Path, command: tuple[str, ...],
                                                             who: str) -> None:
    code, text = run(db, *command, "--as", who, stdin=PW)
    assert (code, text) == (2, f"error: user:{who} does not hold the admin role; ask an admin")


@pytest.mark.parametrize("command", CHANGES, ids=lambda c: " ".join(c[:2]))
def test_every_change_is_refused_to_an_admin_of_other_entities(db: Path, command: tuple[str, ...]) -> None:
    code, text = run(db, *command, "--as", "usadmin", stdin=PW)
    assert code == 2
    assert text.startswith("error: user:usadmin does not act for ") and "so may not grant it" in text


@pytest.mark.parametrize("command", [*CHANGES, ("users", "list"), ("keys", "list")],
                         ids=lambda c: " ".join(c[:2]))
def test_every_command_names_who_acts_and_refuses_a_stranger(db: Path, command: tuple[str, ...]) -> None:
    assert run(db, *command, stdin=PW) == (
        2, "error: say who is acting: --as USER (or set O2C_USER); 'o2c users list' shows the users")
    assert run(db, *command, "--as", "mallory", stdin=PW) == (
        2, "error: --as mallory: there is no user 'mallory'")


def test_lists_are_read_by_admins_and_auditors_and_never_show_a_secret(db: Path) -> None:
    code, text = run(db, "users", "list", "--as", "audra", "--json")
    assert code == 0 and '"user": "cara"' in text and "argon2" not in text and "passphrase" not in text
    assert run(db, "keys", "list", "--as", "ana") == (
        2, "error: user:ana holds neither admin nor auditor, who may list users and keys")
    code, text = run(db, "keys", "list", "--as", "root")
    assert code == 0 and "us-key" in text and "o2ck_" not in text


def test_a_key_secret_is_printed_once_alone_on_standard_output(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    run(db, "users", "add", "root", "--role", "admin", "--entity", "all", "--password-stdin", stdin=PW)
    out = subprocess.run([sys.executable, "-m", "o2c.cli", "keys", "create", "bank", "--role", "cash_app",
                          "--entity", "all", "--as", "root", "--db", str(db)],
                         capture_output=True, text=True, timeout=120, check=True)
    [secret] = out.stdout.split()
    assert secret.startswith("o2ck_") and secret not in out.stderr
    assert "shown this once" in out.stderr and "X-API-Key" in out.stderr
    assert secret not in db.read_bytes().decode("latin-1")


def test_the_first_user_must_be_an_admin_and_passwords_are_checked(tmp_path: Path) -> None:
    db = tmp_path / "first.db"
    assert run(db, "users", "add", "ana", "--role", "billing", "--entity", "all", "--password-stdin",
               stdin=PW) == (2, "error: the first user must be an admin: add --role admin")
    assert run(db, "users", "add", "root", "--role", "admin", "--entity", "all", "--password-stdin",
               stdin="short\n") == (2, "error: a password has 12 to 1024 characters; this one has 5")
    assert run(db, "users", "add", "root", "--role", "admin", "--entity", "all")[0] == 2  # no terminal
    _, text = run(db, "users", "add", "root", "--role", "admin", "--role", "nope", "--entity", "all",
                  "--password-stdin", stdin=PW)
    assert text.startswith("error: --role 'nope' is not a role; the roles are")
    assert run(db, "users", "add", "root", "--role", "admin", "--entity", "all", "--password-stdin",
               stdin=PW) == (0, "user root added: admin for every legal entity")


def test_serve_refuses_to_listen_beyond_loopback_without_users(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    for host in ("0.0.0.0", "192.0.2.10", "::"):
        code, text = run(db, "serve", "--host", host)
        assert code == 2
        assert text.startswith(f"error: --host {host} would open the API beyond this machine") and (
            "o2c users add NAME --role admin --entity all" in text)
