"""``o2c worker`` fires due timers beside its consumer, and their notifications reach
``o2c.out.notification.<recipient>`` through the outbox relay like everything o2c sends.
Against a real NATS JetStream server (skipped without one, as in ``test_nats.py``).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import nats
from sqlalchemy import func, select

from o2c.adapters.nats import run_worker
from o2c.store.tables import events, outbox
from tests.builders import Harness, customer, seed
from tests.integration.test_nats import NATS_URL, Names, names, nats_url  # noqa: F401  (fixtures)


def test_the_worker_escalates_a_hold_at_its_sla_and_relays_the_notification(sqlite_store: Any,
                                                                          names: Names) -> None:  # noqa: F811
    # given an order held CRD-OVER-LIMIT (SLA 8 hours), and the clock at its SLA
    h = Harness(store=sqlite_store)
    seed(h.app, customer("C1", limit="10"))
    h.stock("P1", "100")
    oid = h.order().correlation_id
    h.later(hours=8)

    def escalated_and_sent() -> bool:
        with sqlite_store.engine.connect() as c:
            done = c.execute(select(func.count()).where(events.c.type == "HoldEscalated")).scalar()
            unsent = c.execute(select(func.count()).where(outbox.c.sent_at.is_(None))).scalar()
        return bool(done) and unsent == 0

    async def go() -> list[Any]:
        stop = asyncio.Event()

        async def watch() -> None:
            deadline = time.monotonic() + 30
            while not await asyncio.to_thread(escalated_and_sent):
                assert time.monotonic() < deadline, "no escalation relayed in 30 s"
                await asyncio.sleep(0.05)
            stop.set()

        # when the worker runs, firing due timers every 50 ms
        await asyncio.gather(run_worker(h.app, NATS_URL, stop_event=stop, inbound=names.inbound(),
                                        outbound=names.outbound(), timers=h.app.timer_service().fire_due,
                                        timers_every=0.05),
                             watch())
        nc = await nats.connect(NATS_URL)
        sub = await nc.jetstream().pull_subscribe(f"{names.out_root}.notification.>", stream=names.out_stream)
        msgs = await sub.fetch(10, timeout=2)
        await nc.close()
        return msgs

    msgs = asyncio.run(go())

    # then the hold escalated once, and the credit manager's notification is on the stream
    assert [e.payload.to_role for e in h.events(oid) if e.type == "HoldEscalated"] == ["credit_manager"]
    [m] = msgs
    body = json.loads(m.data)
    assert m.subject.startswith(f"{names.out_root}.notification.role")
    sent = (body["kind"], body["destination"], body["correlation_id"])
    assert sent == ("notification", "role:credit_manager", oid)
    payload = body["payload"]
    assert payload["recipient"] == "role:credit_manager" and payload["link"] == f"/orders/{oid}"
