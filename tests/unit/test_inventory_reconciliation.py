"""A warehouse's count (inventory advice, 846) reconciled with o2c's stock,
through the real bus, handlers and projector (on the in-memory store here;
``tests/integration/test_inventory_on_sql.py`` runs it on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o2c.domain.holds import HoldCode, Role
from o2c.domain.inventory import split_count
from o2c.domain.orders import OrderStatus
from o2c.engine.rebuild import rebuild
from o2c.engine.runtime import Status
from o2c.policy import PolicyRegistry, parse_policy
from o2c.store.memory import MemoryStore
from tests.builders import Harness, customer, decider, seed

WANDA = decider("wanda", Role.WAREHOUSE_OPS)


@pytest.fixture
def h(new_harness) -> Harness:
    h = new_harness()
    seed(h.app)
    return h


def advise(h: Harness, *items: tuple[str, str, str] | tuple[str, str, str, str], wh: str = "W1",
           advice_id: str = "ADV-1") -> Any:
    """An inventory advice: (product, lot, on_hand[, uom]) per item."""
    return h.send("inventory_advice", {
        "warehouse_id": wh, "advice_id": advice_id, "as_of": h.clock.now().date().isoformat(),
        "items": [{"product_id": i[0], "lot_id": i[1], "on_hand": i[2],
                   **({"uom": i[3]} if len(i) > 3 else {})} for i in items]})


def position(h: Harness, product: str = "P1", wh: str = "W1", lot: str = "-") -> tuple[Decimal, Decimal]:
    with h.app.store.unit_of_work() as uow:
        p = next(p for p in uow.stock.positions([product]) if (p.warehouse_id, p.lot_id) == (wh, lot))
        return p.on_hand, p.reserved


def stock_events(h: Harness, product: str = "P1", wh: str = "W1") -> list[Any]:
    return [e for e in h.events(f"stock:{wh}/{product}")
            if e.type in ("StockAdjusted", "StockDifferenceReferred")]


def with_inventory_rules(h: Harness, rules: list[dict[str, Any]] | None, version: str = "test") -> None:
    """Run ``h`` under the shipped policy with these inventory rules (None: no section)."""
    raw = yaml.safe_load(resources.files("o2c.policy").joinpath("defaults/default.yaml").read_text("utf-8"))
    raw["version"] = version
    if rules is None:
        del raw["inventory"]
    else:
        raw["inventory"] = {"rules": rules}
    h.app.bus.policies = PolicyRegistry([parse_policy(raw)])


ALWAYS_ADJUST = [{"id": "book-every-count", "then": {"outcome": "adjust"}}]


def test_a_count_within_tolerance_is_booked_with_the_rule_that_allowed_it(h: Harness) -> None:
    h.stock("P1", "100")
    out = advise(h, ("P1", "-", "99"))
    assert out.status is Status.APPLIED and out.correlation_id == "stock:W1/P1"
    assert position(h) == (Decimal(99), Decimal(0))
    [e] = stock_events(h)
    adj = e.payload
    assert e.type == "StockAdjusted"
    assert (adj.warehouse_id, adj.product_id, adj.lot_id, adj.delta, adj.advised, adj.advice_id) == (
        "W1", "P1", "-", Decimal(-1), Decimal(99), "ADV-1")
    d = adj.decision
    assert (d.policy_id, d.version, d.rule, d.outcome) == ("o2c.default", "1", "inventory/within-tolerance",
                                                           "adjust")
    assert (d.inputs["on_hand"], d.inputs["advised"], d.inputs["delta_percent"]) == ("100", "99", "1.00")
    assert h.dead_letters() == []
    # the same count again (another message) finds nothing to book
    assert advise(h, ("P1", "-", "99"), advice_id="ADV-2").status is Status.APPLIED
    assert len(stock_events(h)) == 1


def test_a_count_that_matches_everywhere_is_recorded_as_counted(h: Harness) -> None:
    h.stock("P1", "100")
    out = advise(h, ("P1", "-", "100"))
    assert out.status is Status.APPLIED and out.correlation_id == "stock:W1"
    [e] = h.events("stock:W1")
    assert e.type == "InventoryCounted"
    assert (e.payload.warehouse_id, e.payload.advice_id, e.payload.positions) == ("W1", "ADV-1", 1)
    assert position(h) == (Decimal(100), Decimal(0))


def test_a_count_in_another_unit_is_converted_to_base_units(h: Harness) -> None:
    h.stock("P1", "100")
    advise(h, ("P1", "-", "8.25", "cs"))  # 8.25 cases of 12 = 99 each
    assert position(h) == (Decimal(99), Decimal(0))


def test_a_difference_beyond_tolerance_books_nothing_and_waits_for_warehouse_ops(h: Harness) -> None:
    h.stock("P1", "100")
    assert advise(h, ("P1", "-", "90")).status is Status.APPLIED
    assert position(h) == (Decimal(100), Decimal(0))
    [e] = stock_events(h)
    ref = e.payload
    assert e.type == "StockDifferenceReferred"
    assert (ref.on_hand, ref.reserved, ref.advised, ref.delta) == (Decimal(100), 0, Decimal(90), Decimal(-10))
    assert (ref.decision.rule, ref.decision.outcome) == ("inventory/above-tolerance", "review")
    [letter] = h.dead_letters()
    assert (letter.code, letter.kind, letter.source) == ("INV-COUNT-MISMATCH", "ResolveStockDifference",
                                                         "o2c.engine")
    assert "W1/P1/-" in letter.reason and "differs by -10" in letter.reason and "10.00%" in letter.reason
    # warehouse_ops confirms the count: replayed with who and what, it is booked
    body = {**json.loads(letter.body), "by": "wanda", "action": "apply"}
    out = h.app.runtime.replay(letter.dead_letter_id, json.dumps(body), actor=WANDA)
    assert out.status is Status.APPLIED
    assert position(h) == (Decimal(90), Decimal(0))
    adj = stock_events(h)[-1].payload
    assert (adj.delta, adj.advised) == (Decimal(-10), Decimal(90))
    assert adj.decision.rule == "inventory/above-tolerance/approved-by-person"
    assert adj.decision.inputs["by"] == "wanda"
    assert h.dead_letters() == []


def test_warehouse_ops_may_keep_o2cs_figures_instead(h: Harness) -> None:
    h.stock("P1", "100")
    advise(h, ("P1", "-", "150"))
    [letter] = h.dead_letters()
    body = {**json.loads(letter.body), "by": "wanda", "action": "keep"}
    assert h.app.runtime.replay(letter.dead_letter_id, json.dumps(body), actor=WANDA).status is Status.APPLIED
    assert position(h) == (Decimal(100), Decimal(0))
    kept = stock_events(h)[-1].payload
    assert (kept.delta, kept.decision.rule) == (0, "inventory/above-tolerance/kept-by-person")


def test_replaying_the_referral_unchanged_is_refused_again(h: Harness) -> None:
    h.stock("P1", "100")
    advise(h, ("P1", "-", "90"))
    [letter] = h.dead_letters()
    out = h.app.runtime.replay(letter.dead_letter_id)
    assert out.status is Status.DEAD_LETTERED and out.code == "INV-COUNT-MISMATCH"
    assert position(h) == (Decimal(100), Decimal(0))


def test_a_count_below_what_is_reserved_never_takes_reserved_stock(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order(lines=[("P1", "99", "EA")]).correlation_id
    assert h.get(oid).status is OrderStatus.RELEASED
    assert position(h) == (Decimal(100), Decimal(99))
    advise(h, ("P1", "-", "98"))  # 2 % below: within tolerance, but 1 of them is reserved
    assert position(h) == (Decimal(99), Decimal(99))
    adj, ref = (e.payload for e in stock_events(h))
    assert (adj.delta, adj.advised, adj.decision.rule) == (
        Decimal(-1), Decimal(98), "inventory/within-tolerance")
    assert (ref.delta, ref.on_hand, ref.reserved) == (Decimal(-1), Decimal(100), Decimal(99))
    assert (ref.decision.rule, ref.decision.outcome) == ("inventory/reservations-protected",
                                                         HoldCode.INV_COUNT_MISMATCH.value)
    assert ref.decision.inputs["not_booked"] == "-1"
    [letter] = h.dead_letters()
    assert letter.code == "INV-COUNT-MISMATCH" and "reserved by orders" in letter.reason
    assert h.get(oid).status is OrderStatus.RELEASED  # the order is not stopped
    # approving it while the stock is still reserved is refused, naming why
    body = json.dumps({**json.loads(letter.body), "by": "wanda", "action": "apply"})
    again = h.app.runtime.replay(letter.dead_letter_id, body, actor=WANDA)
    assert again.status is Status.DEAD_LETTERED and "below the 99 reserved" in again.reason
    assert position(h) == (Decimal(99), Decimal(99))
    # once the order gives its stock back, the approval books the rest
    h.send("order_rejection", {"order_id": oid, "by": "sam", "reason": "customer cancelled"})
    assert position(h) == (Decimal(99), Decimal(0))
    assert h.app.runtime.replay(again.dead_letter_id, body, actor=WANDA).status is Status.APPLIED
    assert position(h) == (Decimal(98), Decimal(0))


def test_more_stock_than_o2c_knew_reallocates_backorders(h: Harness) -> None:
    h.stock("P1", "100")
    oid = h.order(lines=[("P1", "101", "EA")]).correlation_id
    assert h.get(oid).status is OrderStatus.BACKORDERED
    advise(h, ("P1", "-", "101"))
    assert position(h) == (Decimal(101), Decimal(101))
    assert h.get(oid).status is OrderStatus.RELEASED


def test_positions_the_advice_does_not_name_are_left_alone(h: Harness) -> None:
    h.stock("P1", "100")
    h.stock("P2", "10", lot="L1")
    h.stock("P1", "50", wh="W2")
    advise(h, ("P2", "L1", "10"))
    assert position(h) == (Decimal(100), 0)
    assert position(h, wh="W2") == (Decimal(50), 0)
    assert position(h, "P2", lot="L1") == (Decimal(10), 0)
    assert stock_events(h) == []


def test_a_new_lot_counted_by_the_warehouse_is_created_when_the_policy_books_it(h: Harness) -> None:
    with_inventory_rules(h, ALWAYS_ADJUST)
    advise(h, ("P2", "L9", "12"))
    assert position(h, "P2", lot="L9") == (Decimal(12), Decimal(0))
    [e] = stock_events(h, "P2")
    assert (e.payload.delta, e.payload.expiry, e.payload.decision.rule) == (
        Decimal(12), None, "inventory/book-every-count")
    assert e.payload.decision.version == "test"


def test_without_an_inventory_section_every_difference_goes_to_a_person(h: Harness) -> None:
    with_inventory_rules(h, None)
    h.stock("P1", "100")
    advise(h, ("P1", "-", "99.5"))
    assert position(h) == (Decimal(100), Decimal(0))
    [e] = stock_events(h)
    assert e.payload.decision.rule == "inventory/no-tolerance-set"


@pytest.mark.parametrize(("items", "wh", "code", "words"), [
    ([("NOPE", "-", "5"), ("P1", "-", "99")], "W1", HoldCode.VAL_ITEM_UNKNOWN,
     "item 'NOPE' is not in master data"),
    ([("P1", "-", "99")], "W9", HoldCode.INT_UNKNOWN_REFERENCE, "warehouse 'W9' is not in master data"),
    ([("P1", "-", "2", "PL"), ("NOPE", "-", "1")], "W1", HoldCode.VAL_ITEM_UNKNOWN,
     "unit 'PL' is not valid for P1 (valid: EA, CS); item 'NOPE' is not in master data"),
    ([("P1", "-", "2", "PL")], "W1", HoldCode.VAL_UOM_INVALID, "unit 'PL' is not valid for P1"),
    ([("P1", "-", "-3")], "W1", HoldCode.VAL_MISSING_FIELD, "is negative"),
    ([("P1", "-", "1.0005")], "W1", HoldCode.VAL_UOM_INVALID, "more than three decimal places"),
])
def test_a_bad_advice_is_refused_whole_and_books_nothing(h: Harness, items, wh, code, words) -> None:
    h.stock("P1", "100")
    out = advise(h, *items, wh=wh)
    assert out.status is Status.DEAD_LETTERED and out.code == code.value
    assert words in out.reason
    assert position(h) == (Decimal(100), Decimal(0))
    assert stock_events(h) == []


def test_an_item_without_an_on_hand_count_is_refused(h: Harness) -> None:
    h.stock("P1", "100")
    out = h.send("inventory_advice", {"warehouse_id": "W1", "items": [
        {"product_id": "P1", "available": "80", "quantities": {"33": "80"}}]})
    assert out.status is Status.DEAD_LETTERED and out.code == "VAL-MISSING-FIELD"
    assert "P1 lot -: no on-hand count" in out.reason


# ---------------------------------------------------------------- properties


def test_split_count_books_down_to_reserved_and_no_further() -> None:
    s = split_count(Decimal(100), Decimal(30), Decimal(40))
    assert (s.bookable, s.blocked) == (Decimal(-60), 0)
    s = split_count(Decimal(100), Decimal(30), Decimal(20))
    assert (s.bookable, s.blocked) == (Decimal(-70), Decimal(-10))
    s = split_count(Decimal(10), Decimal(0), Decimal(25))
    assert (s.bookable, s.blocked) == (Decimal(15), 0)


counts = st.integers(min_value=0, max_value=120).map(Decimal)
steps = st.lists(st.one_of(
    st.tuples(st.just("advise"), counts),
    st.tuples(st.just("order"), st.integers(1, 60).map(Decimal)),
    st.tuples(st.just("receive"), st.integers(1, 40).map(Decimal)),
    st.tuples(st.just("reject"), st.integers(0, 9)),
), min_size=1, max_size=12)


def _run(h: Harness, plan: list[tuple[str, Any]], check: Any) -> None:
    h.stock("P1", "50")
    orders: list[str] = []
    for n, (kind, x) in enumerate(plan):
        h.later(hours=1)
        if kind == "order":
            out = h.order(po=f"PO{n}", lines=[("P1", str(x), "EA")])
            orders.append(out.correlation_id)
        elif kind == "receive":
            h.stock("P1", str(x))
        elif kind == "reject" and orders:
            h.send("order_rejection", {"order_id": orders[x % len(orders)], "by": "sam", "reason": "x"})
        elif kind == "advise":
            before = position(h)
            seen = len(stock_events(h))
            assert advise(h, ("P1", "-", str(x)), advice_id=f"A{n}").status is Status.APPLIED
            on_hand, reserved = position(h)
            assert on_hand >= reserved >= 0
            check(before, x, (on_hand, reserved), [e.payload for e in stock_events(h)[seen:]])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps)
def test_after_any_advice_on_hand_is_the_count_where_reservations_allow(plan) -> None:
    h = Harness()
    seed(h.app, customer(partial=True))
    with_inventory_rules(h, ALWAYS_ADJUST)

    def check(before, advised, after, events) -> None:
        on_hand, reserved = after
        # on-hand is the count unless orders hold more; a count takes no reserved units
        # (more stock may then be reserved by backorders it released)
        assert on_hand == max(advised, before[1])
        assert reserved == before[1] or (reserved > before[1] and advised > before[0])
        referred = sum((e.delta for e in events if type(e).__name__ == "StockDifferenceReferred"), Decimal(0))
        assert referred == min(advised - before[1], Decimal(0))  # what it could not book is referred

    _run(h, plan, check)
    live = h.app.store
    fresh = MemoryStore(legal_entities=live.legal_entities, warehouses=live.warehouses,
                        customers=live.customers, products=live.products, agreements=live.agreements)
    rebuild(iter(live.events), fresh.unit_of_work)
    assert fresh.stock == live.stock
    assert fresh.orders == live.orders


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps)
def test_under_the_shipped_policy_a_count_is_booked_or_referred_never_lost(plan) -> None:
    h = Harness()
    seed(h.app, customer(partial=True))

    def check(before, advised, after, events) -> None:
        on_hand, reserved = after
        if advised == before[0]:
            assert events == [] and after == before
            return
        if on_hand == before[0] and not any(type(e).__name__ == "StockAdjusted" for e in events):
            # nothing booked: the whole difference went to a person
            [ref] = events
            assert ref.delta == advised - before[0]
        else:
            assert on_hand == max(advised, reserved)
            assert abs(advised - before[0]) * 100 <= Decimal(2) * before[0]

    _run(h, plan, check)
