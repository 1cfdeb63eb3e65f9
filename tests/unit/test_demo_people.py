"""The demo's people are users of its database, and the simulator decides as them."""

from __future__ import annotations

from collections import Counter

from o2c.domain.holds import Role
from o2c.sim.demo import run_demo
from o2c.sim.people import DEMO_USERS, demo_actor, demo_password
from o2c.store import identities


def test_the_demo_creates_one_user_per_role_and_its_people_decide_as_them() -> None:
    app, stats, _, end = run_demo(days=4, seed=3, db="memory", customers=40, products=120)
    store = app.store
    users = {u.user_id: u for u in identities.users(store)}
    assert set(users) == set(DEMO_USERS.values())
    assert users[DEMO_USERS[Role.ADMIN]].created_by == "bootstrap"
    for role, user_id in DEMO_USERS.items():
        # the actor the simulator sends is the one the database resolves
        assert identities.actor_for_user(store, user_id, end) == demo_actor(role)
        assert users[user_id].entities is None and users[user_id].roles == {role}
        token, _ = identities.sign_in(store, user_id, demo_password(3, user_id), end)
        assert identities.actor_for_token(store, token, end).id == user_id
    decisions = [row["message"] for row in store.inbox.values() if row["message"].kind == "hold_decision"]
    assert stats.decisions > 0 and len(decisions) > 0
    assert {m.actor.id for m in decisions if m.actor} <= set(DEMO_USERS.values())
    assert all(m.actor is not None for m in decisions)
    by = Counter(e.payload.by for e in store.events if e.type == "HoldReleased")
    assert by and set(by) <= {*DEMO_USERS.values(), "o2c.engine"}
