"""Specification: no inbound message or file, however malformed, crashes intake or ends as an
internal error; each is applied, recognised as a duplicate, or parked with a code and a reason a
person can act on.

The seeds are real traffic: two simulated weeks of the demo distributor's X12 interchanges, CSV
order files, WMS "A" pushes, WMS "B" nightly files, carrier feeds and canonical JSON messages,
taken from the inbox (and a lockbox payment for each invoice issued), then spoiled by
hypothesis (bytes flipped, cut, inserted; lines dropped or repeated; JSON values replaced).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2c.adapters.raw import document_bytes, raw_document
from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import App, bootstrap
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Outcome, Status
from o2c.sim.run import Simulation
from o2c.sim.world import generate

START = date(2026, 1, 5)
BUG = "INTERNAL-ERROR"  # what describe_failure names an exception nobody expected


class World:
    def __init__(self) -> None:
        world = generate(3, customers=12, products=40, start=START)
        begin = datetime.combine(START, time(0), tzinfo=UTC)
        self.clock = SimClock(begin - timedelta(days=1))
        self.app: App = bootstrap("memory", clock=self.clock, ids=SeededIds(3),
                                  integrations=Simulation.configuration(world))
        self.sim = Simulation(self.app, self.clock, world, seed=3, start=START)
        self.sim.setup()
        self.sim.run(14)
        rows = [row["message"] for row in self.app.store.inbox.values()]
        self.documents: dict[str, list[InboundMessage]] = {}
        self.messages: dict[str, list[InboundMessage]] = {}
        for m in rows:
            if m.document:  # split out of a file: the file is the seed
                continue
            target = self.documents if m.kind in self.sim.splitters else self.messages
            target.setdefault(m.kind, []).append(m)
        # Payments come weeks after the invoice: a lockbox payment of each invoice issued so far.
        self.messages["payment"] = [
            InboundMessage(source="bank-lockbox", source_message_id=f"PMT-{inv['invoice_id']}",
                           kind="payment", received_at=self.clock.now(), body=json.dumps({
                               "payment_id": f"PMT-{inv['invoice_id']}", "customer_id": customer,
                               "amount": inv["total"], "currency": inv["currency"], "method": "ach",
                               "references": [{"invoice_id": inv["invoice_id"], "amount": inv["total"],
                                               "discount": "0"}]}))
            for row in self.app.store.outbox if row["kind"] == "invoice"
            for inv, customer in [(row["payload"], row["destination"].removeprefix("customer:"))]
        ]
        self.n = 0

    def submit_document(self, seed: InboundMessage, data: bytes) -> list[Outcome]:
        self.n += 1
        raw = raw_document(data, source=seed.source, kind=seed.kind, received_at=self.clock.now(),
                           name=f"fuzz-{self.n}")
        head, outs = self.app.runtime.submit_document(raw, self.sim.splitters[seed.kind])
        return [head, *outs]

    def submit(self, seed: InboundMessage, body: str) -> Outcome:
        self.n += 1
        m = InboundMessage(source=seed.source, source_message_id=f"fuzz-{self.n}", kind=seed.kind,
                           received_at=self.clock.now(), body=body, actor=seed.actor)
        [out] = self.app.runtime.submit([m])
        return out


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def assert_handled(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        assert o.status in (Status.APPLIED, Status.DUPLICATE, Status.DEAD_LETTERED)
        if o.status is Status.DEAD_LETTERED:
            assert o.code and o.code != BUG, (o.code, o.reason)
            assert o.reason and "Traceback" not in o.reason


@st.composite
def spoiled(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few edits of the kinds files suffer in transit and at the keyboard."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "cut", "insert", "drop_line", "repeat_line", "swap"]))
        if not out:
            out += draw(st.binary(min_size=1, max_size=8))
            continue
        at = draw(st.integers(0, len(out) - 1))
        if how == "flip":
            out[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del out[at:]
        elif how == "insert":
            out[at:at] = draw(st.sampled_from([b";", b",", b'"', b"\n", b"\r\n", b"{", b"}", b"\x00",
                                               b"\xff\xfe", b"-1", b"1e999", b"NaN", b"   "]))
        else:
            lines = bytes(out).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            if how == "drop_line":
                del lines[i]
            elif how == "repeat_line":
                lines.insert(i, lines[i])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            out = bytearray(b"\n".join(lines))
    return bytes(out)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def spoiled_json(draw: st.DrawFn, body: Any) -> Any:
    """``body`` with values replaced, removed or added at any depth."""
    if isinstance(body, dict) and body and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(body)))
        how = draw(st.sampled_from(["replace", "drop", "recurse"]))
        copy = dict(body)
        if how == "replace":
            copy[key] = draw(JSON)
        elif how == "drop":
            del copy[key]
        else:
            copy[key] = draw(spoiled_json(body[key]))
        return copy
    if isinstance(body, list) and body and draw(st.booleans()):
        i = draw(st.integers(0, len(body) - 1))
        return [*body[:i], draw(spoiled_json(body[i])), *body[i + 1:]]
    return draw(JSON) if draw(st.integers(0, 3)) == 0 else body


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
DOCUMENT_KINDS = ["x12", "csv_orders", "wms_a_events", "wms_b_file", "carrier_feed"]
MESSAGE_KINDS = ["order", "payment", "stock_receipt", "hold_decision"]


def test_the_seeds_hold_every_kind_of_file_and_message_the_demo_sends(world: World) -> None:
    assert set(DOCUMENT_KINDS) <= set(world.documents)
    assert set(MESSAGE_KINDS) <= set(world.messages)


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
@FUZZ
@given(data=st.data())
def test_a_spoiled_file_is_split_applied_or_parked_never_a_crash(world: World, kind: str, data: Any) -> None:
    seeds = world.documents[kind]
    seed = seeds[data.draw(st.integers(0, len(seeds) - 1))]
    assert_handled(world.submit_document(seed, data.draw(spoiled(document_bytes(seed)))))


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
@FUZZ
@given(garbage=st.binary(max_size=200))
def test_random_bytes_in_any_file_kind_are_parked_with_a_reason(
    world: World, kind: str, garbage: bytes
) -> None:
    assert_handled(world.submit_document(world.documents[kind][0], garbage))


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
@FUZZ
@given(data=st.data())
def test_a_spoiled_canonical_message_is_applied_or_parked_never_a_crash(
    world: World, kind: str, data: Any
) -> None:
    seeds = world.messages[kind]
    seed = seeds[data.draw(st.integers(0, len(seeds) - 1))]
    body = data.draw(spoiled_json(json.loads(seed.body)))
    text = data.draw(st.sampled_from([json.dumps(body), json.dumps(body)[: data.draw(st.integers(0, 40))]]))
    assert_handled([world.submit(seed, text)])
