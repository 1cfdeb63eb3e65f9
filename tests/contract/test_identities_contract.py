"""Identities on every store: users, API keys, delegations and sessions resolve to the same
actors on the memory store, SQLite and PostgreSQL, and no secret is stored in clear."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from o2c.domain.actors import ActorKind
from o2c.domain.holds import Role
from o2c.domain.identities import IdentityRefused
from o2c.store import identities as ids
from o2c.store.audit_trail import verify_audit
from tests.builders import seed
from tests.contract.conftest import T0

A = Role.ADMIN
PW = "correct horse battery"


@pytest.fixture
def admin(store: Any) -> Any:
    """An installation with master data (entity US) and its first user, an admin."""
    seed(store)
    ids.add_user(store, "root", PW, roles=[A], entities=None, at=T0, by=None)
    return ids.actor_for_user(store, "root", T0)


def test_the_first_user_needs_no_admin_but_must_be_one(store: Any) -> None:
    with pytest.raises(ids.IdentityError, match="the first user must be an admin"):
        ids.add_user(store, "ana", PW, roles=[Role.CREDIT_ANALYST], entities=None, at=T0, by=None)
    assert not ids.has_users(store)
    ids.add_user(store, "root", PW, roles=[A], entities=None, at=T0, by=None)
    assert ids.has_users(store)
    assert [u.created_by for u in ids.users(store)] == ["bootstrap"]


def test_later_users_are_made_by_an_admin_only(store: Any, admin: Any) -> None:
    ids.add_user(store, "ana", PW, roles=[Role.CREDIT_ANALYST], entities=frozenset({"US"}), at=T0, by=admin)
    ana = ids.actor_for_user(store, "ana", T0)
    assert (ana.kind, ana.id, ana.roles, ana.entities) == (
        ActorKind.USER, "ana", {Role.CREDIT_ANALYST}, {"US"})
    with pytest.raises(ids.NotAllowed, match="user:ana does not hold the admin role"):
        ids.add_user(store, "bob", PW, roles=[Role.BILLING], entities=None, at=T0, by=ana)
    with pytest.raises(ids.NotAllowed, match="say who"):
        ids.add_user(store, "bob", PW, roles=[Role.BILLING], entities=None, at=T0, by=None)
    assert [u.user_id for u in ids.users(store)] == ["ana", "root"]


def test_an_admin_of_one_entity_cannot_grant_every_entity(store: Any, admin: Any) -> None:
    ids.add_user(store, "usadmin", PW, roles=[A], entities=frozenset({"US"}), at=T0, by=admin)
    us = ids.actor_for_user(store, "usadmin", T0)
    with pytest.raises(ids.NotAllowed, match="does not act for every legal entity"):
        ids.add_user(store, "bob", PW, roles=[Role.BILLING], entities=None, at=T0, by=us)
    ids.add_user(store, "bob", PW, roles=[Role.BILLING], entities=frozenset({"US"}), at=T0, by=us)


@pytest.mark.parametrize(("kw", "message"), [
    ({"user_id": "bad name"}, "is not a valid name"),
    ({"password": "short"}, "a password has 12 to 1024 characters; this one has 5"),
    ({"roles": []}, "at least one role"),
    ({"entities": frozenset()}, "say which legal entities"),
    ({"entities": frozenset({"XX"})}, "no legal entity XX in master data"),
    ({"user_id": "root"}, "user 'root' exists already"),
])
def test_a_user_that_cannot_work_is_refused_saying_why(store: Any, admin: Any, kw: dict[str, Any],
                                                       message: str) -> None:
    args: dict[str, Any] = {"user_id": "bob", "password": PW, "roles": [Role.BILLING],
                            "entities": frozenset({"US"}), **kw}
    with pytest.raises(ids.IdentityError, match=message):
        ids.add_user(store, args.pop("user_id"), args.pop("password"), **args, at=T0, by=admin)


def test_a_disabled_user_is_refused_and_the_last_admin_is_kept(store: Any, admin: Any) -> None:
    ids.add_user(store, "ana", PW, roles=[Role.CREDIT_ANALYST], entities=None, at=T0, by=admin)
    token, _ = ids.sign_in(store, "ana", PW, T0)
    ids.disable_user(store, "ana", at=T0 + timedelta(minutes=1), by=admin)
    later = T0 + timedelta(minutes=2)
    for resolve in (lambda: ids.actor_for_user(store, "ana", later),
                    lambda: ids.actor_for_token(store, token, later),
                    lambda: ids.sign_in(store, "ana", PW, later)):
        with pytest.raises(IdentityRefused):
            resolve()
    with pytest.raises(ids.IdentityError, match="root is the last enabled admin"):
        ids.disable_user(store, "root", at=later, by=admin)
    with pytest.raises(ids.IdentityError, match="root is the last enabled admin"):
        ids.change_roles(store, "root", add=[Role.AUDITOR], remove=[A], at=later, by=admin)


def test_roles_change_and_take_effect_on_tokens_already_issued(store: Any, admin: Any) -> None:
    ids.add_user(store, "ana", PW, roles=[Role.CREDIT_ANALYST], entities=None, at=T0, by=admin)
    token, _ = ids.sign_in(store, "ana", PW, T0)
    changed = ids.change_roles(store, "ana", add=[Role.CREDIT_MANAGER], remove=[Role.CREDIT_ANALYST],
                               at=T0, by=admin)
    assert changed.roles == {Role.CREDIT_MANAGER}
    assert ids.actor_for_token(store, token, T0).roles == {Role.CREDIT_MANAGER}
    with pytest.raises(ids.IdentityError, match="at least one role"):
        ids.change_roles(store, "ana", remove=[Role.CREDIT_MANAGER], at=T0, by=admin)


def test_a_token_expires_and_can_be_revoked(store: Any, admin: Any) -> None:
    token, session = ids.sign_in(store, "root", PW, T0)
    assert session.expires_at == T0 + ids.TOKEN_TTL == T0 + timedelta(minutes=15)
    assert ids.actor_for_token(store, token, T0 + timedelta(minutes=14, seconds=59)).id == "root"
    with pytest.raises(IdentityRefused, match="expired"):
        ids.actor_for_token(store, token, T0 + timedelta(minutes=15))
    other, _ = ids.sign_in(store, "root", PW, T0)
    ids.sign_out(store, other, T0 + timedelta(minutes=1))
    with pytest.raises(IdentityRefused):
        ids.actor_for_token(store, other, T0 + timedelta(minutes=1))
    for forged in ("", "o2cs_", other[:-1] + ("A" if other[-1] != "A" else "B"), "Bearer x"):
        with pytest.raises(IdentityRefused):
            ids.actor_for_token(store, forged, T0)


def test_a_wrong_user_or_password_is_refused_alike(store: Any, admin: Any) -> None:
    for user, password in (("root", PW + "!"), ("nobody", PW)):
        with pytest.raises(IdentityRefused, match=r"^wrong user or password$"):
            ids.sign_in(store, user, password, T0)


def test_a_delegate_holds_the_delegators_roles_for_the_period_only(store: Any, admin: Any) -> None:
    ids.add_user(store, "mia", PW, roles=[Role.CREDIT_MANAGER], entities=frozenset({"US"}), at=T0, by=admin)
    ids.add_user(store, "ana", PW, roles=[Role.CREDIT_ANALYST], entities=frozenset({"US"}), at=T0, by=admin)
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=3)
    ids.delegate(store, "mia", "ana", starts_at=start, ends_at=end, at=T0, by=admin)
    before = ids.actor_for_user(store, "ana", T0)
    during = ids.actor_for_user(store, "ana", start)
    after = ids.actor_for_user(store, "ana", end)
    assert (before.roles, before.on_behalf_of) == ({Role.CREDIT_ANALYST}, None)
    assert (during.roles, during.on_behalf_of) == ({Role.CREDIT_ANALYST, Role.CREDIT_MANAGER}, "mia")
    assert after == before
    ids.disable_user(store, "mia", at=start + timedelta(hours=1), by=admin)
    assert ids.actor_for_user(store, "ana", start + timedelta(hours=2)) == before  # nobody to stand in for
    with pytest.raises(ids.IdentityError, match=r"ends .* before it starts"):
        ids.delegate(store, "root", "ana", starts_at=end, ends_at=start, at=T0, by=admin)
    with pytest.raises(ids.IdentityError, match="themselves"):
        ids.delegate(store, "ana", "ana", starts_at=start, ends_at=end, at=T0, by=admin)
    assert [(d.from_user, d.to_user) for d in ids.delegations(store)] == [("mia", "ana")]


def test_an_api_key_acts_until_revoked_and_its_secret_is_shown_once(store: Any, admin: Any) -> None:
    key, secret = ids.create_key(store, "wms-east", roles=[Role.INTEGRATION], entities=frozenset({"US"}),
                                 at=T0, by=admin)
    assert secret.startswith(f"o2ck_{key.prefix}_") and len(secret) > 50
    actor = ids.actor_for_key(store, secret, T0)
    assert (actor.kind, actor.label, actor.roles, actor.entities) == (
        ActorKind.API_KEY, "api_key:wms-east", {Role.INTEGRATION}, {"US"})
    assert [k.name for k in ids.keys(store)] == ["wms-east"]
    assert secret not in repr(ids.keys(store))
    for forged in (secret[:-2], f"o2ck_{key.prefix}_x", "o2ck_nope_x", secret.replace("o2ck_", "o2cs_")):
        with pytest.raises(IdentityRefused, match="not a valid API key"):
            ids.actor_for_key(store, forged, T0)
    with pytest.raises(ids.IdentityError, match="exists already"):
        ids.create_key(store, "wms-east", roles=[Role.INTEGRATION], entities=None, at=T0, by=admin)
    ids.revoke_key(store, key.prefix, at=T0 + timedelta(minutes=5), by=admin)
    assert ids.actor_for_key(store, secret, T0 + timedelta(minutes=4)).id == "wms-east"
    with pytest.raises(IdentityRefused, match="revoked"):
        ids.actor_for_key(store, secret, T0 + timedelta(minutes=5))
    with pytest.raises(ids.IdentityError, match="no API key named 'nope'"):
        ids.revoke_key(store, "nope", at=T0, by=admin)


def test_no_password_key_secret_or_token_is_stored_in_clear(sql_store: Any) -> None:
    from sqlalchemy import select

    from o2c.store.tables import metadata

    seed(sql_store)
    ids.add_user(sql_store, "root", PW, roles=[A], entities=None, at=T0, by=None)
    root = ids.actor_for_user(sql_store, "root", T0)
    ids.add_user(sql_store, "ana", "another long passphrase", roles=[Role.BILLING], entities=None, at=T0,
                 by=root)
    _, key = ids.create_key(sql_store, "bank", roles=[Role.CASH_APP], entities=None, at=T0, by=root)
    token, _ = ids.sign_in(sql_store, "ana", "another long passphrase", T0)
    secrets = [PW, "another long passphrase", key, key.split("_", 2)[2], token, token.removeprefix("o2cs_")]
    with sql_store.engine.connect() as c:
        text = "\n".join(str(v) for t in metadata.sorted_tables for row in c.execute(select(t)) for v in row)
    assert "argon2id" in text  # the rows are there, hashed
    assert [s for s in secrets if s in text] == []


def test_every_identity_change_is_in_the_audit_chain_with_no_secret(store: Any, admin: Any) -> None:
    ids.add_user(store, "ana", PW, roles=[Role.CREDIT_ANALYST], entities=None, at=T0, by=admin)
    ids.change_roles(store, "ana", add=[Role.CREDIT_MANAGER], at=T0, by=admin)
    ids.add_user(store, "bob", PW, roles=[Role.CREDIT_ANALYST], entities=None, at=T0, by=admin)
    ids.delegate(store, "ana", "bob", starts_at=T0, ends_at=T0 + timedelta(days=3), at=T0, by=admin)
    ids.disable_user(store, "bob", at=T0, by=admin)
    key, secret = ids.create_key(store, "wms", roles=[Role.WAREHOUSE_OPS], entities=None, at=T0, by=admin)
    ids.revoke_key(store, key.prefix, at=T0, by=admin)
    with store.unit_of_work() as uow:
        records = uow.audit.entries()
    got = [(r.action, r.subject_type, r.subject_id, r.actor_label) for r in records]
    assert got == [
        ("user.add", "user", "root", "system:o2c.bootstrap"),
        ("user.add", "user", "ana", "user:root"),
        ("user.roles", "user", "ana", "user:root"),
        ("user.add", "user", "bob", "user:root"),
        ("user.delegate", "user", "ana", "user:root"),
        ("user.disable", "user", "bob", "user:root"),
        ("key.create", "key", "wms", "user:root"),
        ("key.revoke", "key", "wms", "user:root"),
    ]
    roles = next(r for r in records if r.action == "user.roles")
    assert '"credit_analyst"' in (roles.before or "") and '"credit_manager"' in (roles.after or "")
    text = " ".join(f"{r.before} {r.after}" for r in records)
    assert PW not in text and secret not in text and secret.split("_", 2)[2] not in text
    check = verify_audit(store)
    assert (check.entries, check.problem) == (8, None)
