"""Random histories of a small distributor, driven through the runtime with the canonical
messages channels send, and the invariants every history must keep.

A history is a list of steps ``(kind, a, b)``: ``kind`` says what happens (an order, a
person's hold decision, a buyer's change, a shipment, a payment...), ``a`` picks what it
happens to (a customer, an order, an invoice), ``b`` how (which variant, how much). Kinds are
weighted so that every corner of the flow is likely in a few dozen histories; the customers
are set up so that orders hit holds: C2's limit is low (over limit), C4 buys an expensive item
on terms that fall past due after a long wait, C5 is blocked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_UP, Decimal
from typing import Any

from hypothesis import strategies as st

from o2c.domain import events as ev
from o2c.domain.master import BillingTrigger, Product
from o2c.domain.orders import Order
from o2c.engine.runtime import Outcome, Status
from tests import invariants
from tests.builders import T0, Harness, customer, seed
from tests.invariants import CENT, State, snapshot, sum_of

PRODUCTS = ("P1", "P2", "P3")

#: how often each kind of step comes up, out of the sum
WEIGHTS = {"order": 7, "stock": 4, "decide": 6, "change": 3, "reject": 1, "ship": 6,
           "exception": 1, "deliver": 3, "pay": 6, "memo": 2, "wait": 4, "count": 1, "settle": 3}
_KINDS = [k for k, w in WEIGHTS.items() for _ in range(w)]
#: who orders, as often as listed (C4's unpaid pumps are what fall past due)
CUSTOMERS = ["C1", "C1", "C2", "C2", "C3", "C3", "C4", "C4", "C4", "C5"]
step = st.tuples(st.sampled_from(_KINDS), st.integers(0, 999), st.integers(0, 999))
histories = st.lists(step, min_size=20, max_size=60)

#: what every run of the generator must reach at least once (see :func:`paths`)
REACH = frozenset({
    "HoldPlaced", "HoldReleased", "HoldReleased:override", "HoldReleased:release",
    "HoldPlaced:CRD-OVER-LIMIT", "HoldPlaced:CRD-PAST-DUE", "HoldPlaced:PRC-CONTRACT-MISMATCH",
    "HoldPlaced:VAL-ITEM-UNKNOWN", "HoldPlaced:INV-SHORT", "HoldPlaced:FUL-QTY-MISMATCH",
    "OrderRejected", "OrderChanged:applied", "OrderChanged:cancelled", "OrderBackordered",
    "StockAllocated:after-backorder", "ShipmentConfirmed:partial", "ProofOfDeliveryReceived",
    "InvoiceIssued", "PaymentApplied:short", "PaymentApplied:full", "CashUnapplied",
    "DisputeOpened", "CreditMemoIssued", "AllocationCancelled", "StockAdjusted",
    "refused:payment more precise than the currency",
    "refused:credit memo more precise than the currency",
    "DisputeResolved:credit_memo", "DisputeResolved:write_off", "DisputeResolved:reject",
    "ReceivableWrittenOff",
})


# ---------------------------------------------------------------- the distributor


def set_up(store: Any = None) -> Harness:
    h = Harness(store=store)
    seed_master(h.app.store)
    return h


def seed_master(store: Any) -> None:
    seed(store, customer("C1", partial=True), customer("C2", limit="150"),
         customer("C3", trigger=BillingTrigger.ON_POD, home="W2"),
         customer("C4", terms="net 30"), customer("C5", blocked=True))
    with store.unit_of_work() as uow:
        uow.master.add_product(Product(product_id="P3", description="Infusion pump", base_uom="EA",
                                       list_prices={"USD": Decimal("95.00")},
                                       floor_prices={"USD": Decimal("60.00")}))
        uow.commit()


# ---------------------------------------------------------------- playing a history


@dataclass
class Played:
    outcomes: list[Outcome]
    labels: set[str]  # what the driver itself saw (refusals at the edge)


def _pick(items: list[Any], a: int) -> Any:
    return items[a % len(items)] if items else None


def _open_allocations(order: Order) -> dict[str, list[Any]]:
    by_wh: dict[str, list[Any]] = defaultdict(list)
    for al in order.allocations:
        if al.quantity - al.shipped > 0:
            by_wh[al.warehouse_id].append(al)
    return by_wh


#: what an order asks for, as often as listed
ORDERS = ["plain", "plain", "saline", "pumps", "price", "unknown", "big"]


def _order_body(h: Harness, cust: str, po: str, b: int) -> dict[str, Any]:
    qty = 1 + (b // 7) % 30
    pumps = [("P3", 8 + qty % 5, None)]  # 760 USD and more: past due when left unpaid
    lines = {
        "plain": pumps if cust == "C4" else [("P1", qty, None)],
        "saline": [("P1", qty, None), ("P2", 1 + qty % 7, None)],
        "pumps": pumps if cust in ("C2", "C4") else [("P3", 1 + qty % 3, None)],
        "price": [("P1", qty, "3.00")],  # the contract says 2.00
        "unknown": [("P9", qty, None)],
        "big": [("P1", 80 + qty * 2, None)],  # more than any warehouse holds at first
    }[_pick(ORDERS, b)]
    return {"legal_entity_id": "US", "customer_id": cust, "ship_to_id": f"{cust}-ST1",
            "po_number": po, "channel": "portal", "currency": "USD",
            "order_date": h.clock.now().date().isoformat(),
            "lines": [{"line_no": i, "product_id": p, "quantity": str(q), "uom": "EA",
                       **({"unit_price": price} if price else {})}
                      for i, (p, q, price) in enumerate(lines, 1)]}


def play(h: Harness, steps: list[tuple[str, int, int]], *, check_each_step: bool = False) -> Played:
    h.stock("P1", "60", wh="W1")
    h.stock("P1", "30", wh="W2")
    h.stock("P3", "40", wh="W1")
    h.stock("P2", "40", wh="W2", lot="L1", expiry=T0.date() + timedelta(days=365))
    # C4 starts with an invoice of 8 pumps open: unpaid through a long wait, it falls past due.
    opening = str(h.order(customer_id="C4", po="PO-OPENING", lines=[("P3", "8", "EA")]).correlation_id)
    h.ship_all(opening, "S-OPENING")
    played = Played(outcomes=[], labels=set())
    orders: list[tuple[str, str, str]] = [(opening, "C4", "PO-OPENING")]  # order id, customer, PO
    for n, (kind, a, b) in enumerate(steps):
        h.later(hours=3)
        out = _step(h, n, kind, a, b, orders, played)
        played.outcomes += out
        if check_each_step:
            invariants.check(h.app.store, PRODUCTS)
    return played


def _step(h: Harness, n: int, kind: str, a: int, b: int, orders: list[tuple[str, str, str]],
          played: Played) -> list[Outcome]:
    if kind == "order":
        cust, po = _pick(CUSTOMERS, a), f"PO{n}"
        out = h.send("order", _order_body(h, cust, po, b))
        if out.correlation_id:
            orders.append((out.correlation_id, cust, po))
        return [out]
    if kind == "stock":
        wh, product, lot, expiry = [("W1", "P1", "-", None), ("W2", "P1", "-", None),
                                    ("W1", "P3", "-", None),
                                    ("W2", "P2", "L1", T0.date() + timedelta(days=365))][a % 4]
        return [h.stock(product, str(10 + b % 80), wh=wh, lot=lot, expiry=expiry)]
    if kind == "wait":
        h.later(days=(75, 75, 12, 1)[b % 4])
        return []
    if kind == "count":
        return _count(h, a, b)
    if kind in ("pay", "memo"):
        return _money(h, n, kind, a, b, [o for o, _, _ in orders], played)
    if kind == "settle":
        return _settle(h, n, a, b)
    if not orders:
        return []
    live = {oid: h.get(oid) for oid, _, _ in orders}
    if kind == "decide":
        held = [o for o in live.values() if o.open_holds]
        order = _pick(held, a)
        if order is None:
            return []
        hold = _pick(order.open_holds, a // 7)
        action = _pick(list(hold.kind.actions), b).value
        return [h.send("hold_decision", {"order_id": order.order_id, "code": hold.code.value,
                                         "by": "ana", "reason": "decided", "action": action})]
    oid, cust, po = _pick(orders, a)
    order = live[oid]
    if kind == "change":
        return [h.send("order_change", _change_body(order, cust, po, n, b))]
    if kind == "reject":
        return [h.send("order_rejection", {"order_id": oid, "by": "cs", "reason": "buyer phoned"})]
    if kind == "ship":
        return _ship(h, n, b, [o for o in live.values() if _open_allocations(o)], a)
    if kind == "exception":
        return _exception(h, b, [o for o in live.values() if _open_allocations(o)], a)
    if kind == "deliver":
        pending = [(o.order_id, s.shipment_id) for o in live.values() for s in o.shipments
                   if s.delivered_at is None]
        target = _pick(pending, a)
        return [h.deliver(*target)] if target else []
    raise AssertionError(f"unknown step {kind}")


def _change_body(order: Order, cust: str, po: str, n: int, b: int) -> dict[str, Any]:
    head = {"legal_entity_id": "US", "customer_id": cust, "po_number": po,
            "change_sequence": str(n), "purpose": "change"}
    line = order.lines[-1].line_no if order.lines else 1
    match b % 4:
        case 0:
            return {**head, "lines": [{"line_no": line, "changes": ["change_quantity"],
                                       "change_code": "QC", "quantity": str(1 + b // 4 % 30)}]}
        case 1:
            return {**head, "lines": [{"line_no": line, "changes": ["cancel"], "change_code": "DI"}]}
        case 2:
            return {**head, "lines": [{"line_no": 10 + n, "changes": ["add"], "change_code": "AI",
                                       "product_id": "P1", "quantity": str(1 + b // 4 % 20),
                                       "uom": "EA"}]}
        case _:
            return {**head, "purpose": "cancel"}


def _ship(h: Harness, n: int, b: int, shippable: list[Order], a: int) -> list[Outcome]:
    """Ship what is open at one warehouse: all of it (most often), about half (a short
    shipment), or one unit of each line."""
    order = _pick(shippable, a)
    if order is None:
        return []
    wh, allocations = _pick(sorted(_open_allocations(order).items()), b // 4)
    lines = []
    for al in allocations:
        left = al.quantity - al.shipped
        q = (left, (left / 2).to_integral_value(ROUND_UP), min(left, Decimal(1)), left)[b % 4]
        lines.append({"line_no": al.line_no, "product_id": al.product_id, "lot_id": al.lot_id,
                      "quantity": str(q)})
    return [h.send("shipment", {"shipment_id": f"S{n}-{wh}", "order_id": order.order_id,
                                "warehouse_id": wh, "carrier": "UPS", "tracking_no": "1Z",
                                "lines": lines})]


def _exception(h: Harness, b: int, shippable: list[Order], a: int) -> list[Outcome]:
    order = _pick(shippable, a)
    if order is None:
        return []
    wh, allocations = _pick(sorted(_open_allocations(order).items()), b)
    al = allocations[0]
    q = min(al.quantity - al.shipped, Decimal(1 + b % 5))
    lines = [] if b % 3 == 0 else [{"line_no": al.line_no, "product_id": al.product_id,
                                    "lot_id": al.lot_id, "quantity": str(q)}]
    return [h.send("fulfilment_exception", {"order_id": order.order_id, "warehouse_id": wh,
                                            "reported_at": h.clock.now().isoformat(),
                                            "code": ("SHORT", "DAMAGED", "LOT_MISSING")[b % 3],
                                            "lines": lines})]


def _count(h: Harness, a: int, b: int) -> list[Outcome]:
    """A warehouse's count one unit off o2c's (booked when within tolerance, else referred)."""
    with h.app.store.unit_of_work() as uow:
        positions = uow.stock.positions(PRODUCTS)
    pos = _pick(sorted(positions, key=lambda p: (p.warehouse_id, p.product_id, p.lot_id)), a)
    if pos is None:
        return []
    advised = max(Decimal(0), pos.on_hand + (-1, 1)[b % 2])
    return [h.send("inventory_advice", {"warehouse_id": pos.warehouse_id, "advice_id": f"ADV{b}",
                                        "items": [{"product_id": pos.product_id, "lot_id": pos.lot_id,
                                                   "on_hand": str(advised)}]})]


def _money(h: Harness, n: int, kind: str, a: int, b: int, order_ids: list[str],
           played: Played) -> list[Outcome]:
    # newest first: customers pay (and dispute) what they were billed last more often than
    # what is long open, so an old invoice may stay open through a long wait
    invoice_ids = sorted({i for oid in order_ids for i in h.get(oid).invoices}, reverse=True)
    inv = h.invoice(_pick(invoice_ids, a)) if invoice_ids else None
    if inv is None:
        return []
    due = inv.open_amount
    half = max(CENT, (due / 2).quantize(CENT))
    if kind == "memo":
        amount = (max(CENT, (due * Decimal("0.3")).quantize(CENT)), due, half + Decimal("0.005"))[b % 3]
        return _refused_unchanged(h, played, "credit memo", amount, lambda: h.send("credit_memo", {
            "invoice_id": inv.invoice_id, "amount": str(amount), "reason": "damaged", "by": "bo"}))
    body: dict[str, Any] = {"payment_id": f"PAY{n}", "customer_id": inv.customer_id,
                            "currency": "USD", "references": []}
    deduction = min(Decimal(5), half)
    variant = b % 7
    if variant == 4:  # with the terms' discount (late or not)
        body["references"] = [{"invoice_id": inv.invoice_id, "amount": str(due - inv.discount),
                               "discount": str(inv.discount)}]
        body["amount"] = str(due - inv.discount)
    elif variant in (5, 6):  # a deduction on the invoice, or on the account as a whole
        body["references"] = [{"invoice_id": inv.invoice_id, "amount": str(due - deduction)}]
        body["adjustments"] = [{"amount": str(-deduction), "reason_code": ("04", "59")[variant - 5],
                                **({"invoice_id": inv.invoice_id} if variant == 5 else {})}]
        body["amount"] = str(due - deduction)
    else:  # exact, short, over, more precise than the currency
        amount = (due, half, due + Decimal("7.50"), due + Decimal("0.005"))[variant]
        body["references"] = [{"invoice_id": inv.invoice_id, "amount": str(amount)}]
        body["amount"] = str(amount)
    if Decimal(body["amount"]) <= 0:
        body["amount"] = body["references"][0]["amount"] = "1.00"
    return _refused_unchanged(h, played, "payment", Decimal(body["amount"]),
                              lambda: h.send("payment", body))


def _settle(h: Harness, n: int, a: int, b: int) -> list[Outcome]:
    """A person (every role: the controller's write-off limit) closes an open dispute: a
    credit memo or a write-off of what is still open of it, or a rejection with evidence
    (which of the three turns with the step, so that each is reached whatever ``b`` is drawn)."""
    with h.app.store.unit_of_work() as uow:
        case = _pick([d for k in uow.disputes.open() if (d := uow.disputes.get(k)) is not None], a)
    if case is None:
        return []
    inv = h.invoice(case.invoice_id) if case.invoice_id else None
    resolution = ("credit_memo", "write_off", "reject")[(n + b) % 3] \
        if inv is not None and inv.open_amount > 0 else "reject"
    body: dict[str, Any] = {"dispute_id": case.dispute_id, "resolution": resolution, "reason": "settled"}
    out = []
    if resolution == "reject":
        out.append(h.send("dispute_evidence", {"dispute_id": case.dispute_id, "kind": "note",
                                               "text": "delivered complete"}))
    else:
        body["amount"] = str(min(case.amount, inv.open_amount if inv is not None else case.amount))
    return [*out, h.send("dispute_resolution", body)]


def _refused_unchanged(h: Harness, played: Played, what: str, amount: Decimal,
                       send: Any) -> list[Outcome]:
    """Send; an amount more precise than the currency must be refused and change nothing."""
    if amount == amount.quantize(CENT):
        return [send()]
    before = snapshot(h.app.store, PRODUCTS)
    out = send()
    assert out.status is Status.DEAD_LETTERED, f"{what} of {amount} USD was {out.status.value}"
    assert "more decimal places than USD" in (out.reason or ""), out.reason
    assert snapshot(h.app.store, PRODUCTS) == before, f"a refused {what} of {amount} USD changed the books"
    played.labels.add(f"refused:{what} more precise than the currency")
    return [out]


def check(store: Any) -> State:
    """Every invariant, and that the read models are a fold of the log."""
    return invariants.check(store, PRODUCTS, seed_master)


# ---------------------------------------------------------------- reach


def paths(events: list[ev.Envelope]) -> set[str]:
    """The paths a history took: each event type, plus the corners that need a sequence
    (an allocation after a backorder, a partial shipment, a payment short or in full)."""
    seen: set[str] = set()
    backordered: set[str] = set()
    open_qty: Counter[str] = Counter()
    open_amount: dict[str, Decimal] = {}
    for env in events:
        e = env.payload
        seen.add(type(e).__name__)
        match e:
            case ev.HoldPlaced():
                seen.add(f"HoldPlaced:{e.code.value}")
            case ev.HoldReleased():
                seen.add(f"HoldReleased:{e.action}")
            case ev.OrderChanged():
                seen.add(f"OrderChanged:{e.outcome}")
            case ev.OrderBackordered():
                backordered.add(e.order_id)
            case ev.StockAllocated():
                open_qty[e.order_id] += sum_of(a.quantity for a in e.allocations)
                if e.order_id in backordered:
                    seen.add("StockAllocated:after-backorder")
            case ev.AllocationCancelled():
                open_qty[e.order_id] -= sum_of(a.quantity for a in e.allocations)
            case ev.ShipmentConfirmed():
                open_qty[e.order_id] -= sum_of(ln.quantity for ln in e.lines)
                if open_qty[e.order_id] > 0:
                    seen.add("ShipmentConfirmed:partial")
            case ev.InvoiceIssued():
                open_amount[e.invoice_id] = e.total.amount
            case ev.CreditMemoIssued() | ev.ReceivableWrittenOff():
                open_amount[e.invoice_id] -= e.amount.amount
            case ev.DisputeResolved():
                seen.add(f"DisputeResolved:{e.outcome}")
            case ev.PaymentApplied():
                open_amount[e.invoice_id] -= e.amount.amount + e.discount.amount
                seen.add("PaymentApplied:full" if open_amount[e.invoice_id] == 0 else "PaymentApplied:short")
    return seen


def unreached(seen: Counter[str]) -> list[str]:
    return sorted(REACH - set(seen))
