"""The work queue scenarios (claims, comments, what each person sees), on SQLite and on
PostgreSQL; the scenarios are the ones in ``tests/unit/test_queue.py``."""

import threading
from typing import Any

from o2c.domain.holds import Role
from o2c.store import work_items
from tests.auth import person
from tests.builders import Harness
from tests.unit.test_queue import (  # noqa: F401
    actor,
    held_for_credit,
    test_a_decided_hold_leaves_the_queue_and_takes_no_claim,
    test_claims_assignments_and_comments_are_stored_and_audited,
    test_filters_and_breach,
    test_sorted_by_sla_due,
    test_the_analyst_sees_the_credit_hold_with_what_decides_it,
    test_the_queue_follows_the_policys_approval_tiers_and_four_eyes,
    test_who_sees_what,
)


def test_of_two_people_claiming_at_once_one_has_it_and_the_other_is_told(new_harness: Any) -> None:
    h: Harness = new_harness()
    oid = held_for_credit(h)
    person(h.app, "cleo", Role.CREDIT_ANALYST)
    hid = h.get(oid).open_holds[0].hold_id
    people = [actor(h, "carl"), actor(h, "cleo")]
    start = threading.Barrier(2)
    won: list[str] = []
    lost: list[work_items.WorkError] = []

    def claim(who: Any) -> None:
        start.wait()
        try:
            won.append(work_items.claim(h.app.store, who, hid, at=h.clock.now()).claimed_by)
        except work_items.WorkError as e:
            lost.append(e)

    threads = [threading.Thread(target=claim, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 1 and len(lost) == 1, (won, lost)
    assert lost[0].kind is work_items.Refusal.CONFLICT
    with work_items.reading(h.app.store) as rows:
        stored = rows.claim(hid)
    assert stored is not None and stored.claimed_by == won[0]
