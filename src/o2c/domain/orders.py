"""The order aggregate: state folded from its events, and its state machine.

Invariants (checked on every apply):
- allocated ≤ ordered, shipped ≤ allocated, invoiced ≤ shipped, per line;
- status changes only along :data:`TRANSITIONS`.

A buyer's change (``OrderChanged`` with ``recheck``) sends an order that is not yet
released back to ``received``, so that it is validated, credit-checked and allocated
again; that is the only way back in the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from o2c.domain import events as ev
from o2c.domain.holds import Hold, HoldCode, HoldStatus, Role
from o2c.domain.money import Money


class OrderStatus(StrEnum):
    RECEIVED = "received"
    VALIDATED = "validated"
    CREDIT_APPROVED = "credit_approved"
    BACKORDERED = "backordered"
    RELEASED = "released"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    PAID = "paid"
    CLOSED = "closed"
    REJECTED = "rejected"


S = OrderStatus
_FULFIL = {S.RELEASED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.INVOICED, S.PAID}

#: Statuses in which a buyer's change is applied: nothing is released to a warehouse yet.
CHANGEABLE = frozenset({S.RECEIVED, S.VALIDATED, S.CREDIT_APPROVED, S.BACKORDERED})
#: statuses in which an order has no shipment waiting for an invoice (the values, for queries)
INVOICED_OR_DONE = (S.INVOICED.value, S.PAID.value, S.CLOSED.value, S.REJECTED.value)

#: Allowed status changes. Staying in the same status is always allowed.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.RECEIVED: frozenset({S.VALIDATED, S.REJECTED}),
    S.VALIDATED: frozenset({S.CREDIT_APPROVED, S.REJECTED, S.RECEIVED}),
    S.CREDIT_APPROVED: frozenset({S.BACKORDERED, S.RELEASED, S.REJECTED, S.RECEIVED}),
    S.BACKORDERED: frozenset({S.RELEASED, S.SHIPPED, S.INVOICED, S.REJECTED, S.RECEIVED}),
    # Shipping, delivery and invoicing can interleave (invoice on ship before
    # delivery, a second shipment after the first invoice), hence the fan-out.
    S.RELEASED: frozenset(_FULFIL | {S.BACKORDERED, S.REJECTED}),
    S.PARTIALLY_SHIPPED: frozenset(_FULFIL),
    S.SHIPPED: frozenset(_FULFIL),
    S.DELIVERED: frozenset(_FULFIL),
    S.INVOICED: frozenset(_FULFIL | {S.CLOSED}),
    S.PAID: frozenset(_FULFIL | {S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A bug: an event would move an order along a transition the table forbids."""


class InvariantViolated(RuntimeError):
    """A bug: an event would break a quantity invariant of the order."""


@dataclass(slots=True, kw_only=True)
class OrderLine:
    line_no: int
    product_id: str
    quantity: Decimal
    uom: str
    requested_price: Decimal | None
    base_quantity: Decimal = Decimal(0)
    base_uom: str = ""
    unit_price: Decimal = Decimal(0)
    price_source: str = ""
    allocated: Decimal = Decimal(0)
    backordered: Decimal = Decimal(0)
    shipped: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    closed_short: Decimal = Decimal(0)
    requested_date: date | None = None  # set by a buyer's change of this line's date

    @property
    def reserved(self) -> Decimal:
        """Allocated and not yet shipped."""
        return self.allocated - self.shipped - self.closed_short

    @property
    def unallocated(self) -> Decimal:
        return self.base_quantity - self.allocated

    @property
    def complete(self) -> bool:
        return self.shipped + self.closed_short >= self.base_quantity


@dataclass(slots=True, kw_only=True)
class ShipmentState:
    shipment_id: str
    warehouse_id: str
    shipped_at: datetime
    lines: tuple[ev.ShippedLine, ...]
    delivered_at: datetime | None = None
    invoice_id: str | None = None
    statuses: tuple[ev.CarrierStatus, ...] = ()  # carrier milestones short of delivery
    #: billed consolidated: the key and the end of the window whose invoice it waits for
    awaiting_key: str | None = None
    awaiting_until: datetime | None = None


@dataclass(slots=True, kw_only=True)
class FulfilmentIssue:
    """A warehouse's report that it cannot fulfil as allocated, and the hold that resolves it.
    Without lines it concerns everything open at the warehouse."""

    hold_id: str
    warehouse_id: str
    code: str
    reported_at: datetime
    lines: tuple[ev.WarehouseLine, ...]


@dataclass(slots=True, kw_only=True)
class Allocation:
    line_no: int
    product_id: str
    warehouse_id: str
    lot_id: str
    quantity: Decimal
    expiry: date | None
    shipped: Decimal = Decimal(0)


@dataclass(slots=True, kw_only=True)
class Order:
    order_id: str
    legal_entity_id: str
    customer_id: str
    ship_to_id: str
    po_number: str
    channel: str
    currency: str
    order_date: date
    requested_date: date | None
    payment_terms: str | None
    received_at: datetime
    lines: list[OrderLine]
    status: OrderStatus = OrderStatus.RECEIVED
    holds: list[Hold] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    shipments: list[ShipmentState] = field(default_factory=list)
    invoices: dict[str, bool] = field(default_factory=dict)  # invoice id -> paid
    released_value: Decimal = Decimal(0)
    picked_at: datetime | None = None  # the latest pick a warehouse confirmed
    picks: list[tuple[str, datetime]] = field(default_factory=list)  # (warehouse, picked at)
    issues: list[FulfilmentIssue] = field(default_factory=list)
    holds_at_change: int = 0  # holds before the last rechecked change (see released_by_person)
    cancelled_lines: list[int] = field(default_factory=list)  # removed by the buyer's changes
    #: the people who entered and changed the order: under four-eyes they may not decide its holds
    entered_by: str | None = None
    changed_by: list[str] = field(default_factory=list)
    version: int = 0

    # ------------------------------------------------------------ queries

    def line(self, line_no: int) -> OrderLine:
        for ln in self.lines:
            if ln.line_no == line_no:
                return ln
        raise KeyError(f"order {self.order_id} has no line {line_no}")

    def shipment(self, shipment_id: str) -> ShipmentState | None:
        for s in self.shipments:
            if s.shipment_id == shipment_id:
                return s
        return None

    @property
    def open_holds(self) -> list[Hold]:
        return [h for h in self.holds if h.status is HoldStatus.OPEN]

    @property
    def on_hold(self) -> bool:
        return any(h.status is HoldStatus.OPEN for h in self.holds)

    @property
    def terminal(self) -> bool:
        return self.status in (OrderStatus.CLOSED, OrderStatus.REJECTED)

    def money(self, amount: Decimal) -> Money:
        return Money(amount, self.currency).round()

    @property
    def open_value(self) -> Decimal:
        """Value of what is ordered and not yet invoiced (credit exposure of this order)."""
        return sum(
            (ln.unit_price * (ln.base_quantity - ln.invoiced - ln.closed_short) for ln in self.lines),
            Decimal(0),
        )

    # ------------------------------------------------------------ folding

    @staticmethod
    def start(e: ev.OrderReceived, at: datetime) -> Order:
        return Order(
            order_id=e.order_id, legal_entity_id=e.legal_entity_id, customer_id=e.customer_id,
            ship_to_id=e.ship_to_id, po_number=e.po_number, channel=e.channel,
            currency=e.currency, order_date=e.order_date, requested_date=e.requested_date,
            payment_terms=e.payment_terms, received_at=at, entered_by=e.entered_by,
            lines=[
                OrderLine(line_no=ln.line_no, product_id=ln.product_id, quantity=ln.quantity,
                          uom=ln.uom, requested_price=ln.unit_price)
                for ln in e.lines
            ],
            version=1,
        )

    def apply(self, e: ev.Event, at: datetime) -> None:
        """Fold one event into the state; ``at`` is the event's business time."""
        match e:
            case ev.HoldPlaced():
                own = tuple(c.rule for c in e.decision.conditions if c.outcome == e.code.value)
                self.holds.append(Hold(hold_id=e.hold_id, code=e.code, reason=e.reason,
                                       placed_at=at, sla_due_at=e.sla_due_at, conditions=own,
                                       amount=e.amount))
            case ev.HoldReleased():
                for h in self.holds:
                    if h.hold_id == e.hold_id:
                        h.status = HoldStatus.REJECTED if e.action == "reject" else HoldStatus.RELEASED
                        h.resolved_at, h.resolved_by, h.resolution = at, e.by, e.action
            case ev.HoldEscalated():
                for h in self.holds:
                    if h.hold_id == e.hold_id:
                        h.escalated_to = Role(e.to_role)
            case ev.OrderValidated():
                for p in e.lines:
                    ln = self.line(p.line_no)
                    ln.base_quantity, ln.base_uom = p.base_quantity, p.base_uom
                    ln.unit_price, ln.price_source = p.unit_price, p.price_source
            case ev.StockAllocated():
                for a in e.allocations:
                    ln = self.line(a.line_no)
                    ln.allocated += a.quantity
                    ln.backordered = max(Decimal(0), ln.base_quantity - ln.allocated)
                    self.allocations.append(Allocation(
                        line_no=a.line_no, product_id=a.product_id, warehouse_id=a.warehouse_id,
                        lot_id=a.lot_id, quantity=a.quantity, expiry=a.expiry))
            case ev.OrderBackordered():
                for b in e.lines:
                    self.line(b.line_no).backordered = b.quantity
            case ev.OrderReleased():
                self.released_value += e.value.amount
            case ev.AllocationCancelled():
                for a in e.allocations:
                    ln = self.line(a.line_no)
                    ln.closed_short += a.quantity
                    ln.backordered = max(Decimal(0), ln.backordered - a.quantity)
                    for al, q in self._spread(a.line_no, a.warehouse_id, a.lot_id, a.quantity):
                        al.quantity -= q
                self.released_value -= e.value.amount
            case ev.ShipmentConfirmed():
                for s in e.lines:
                    self.line(s.line_no).shipped += s.quantity
                    for al, q in self._spread(s.line_no, s.warehouse_id, s.lot_id, s.quantity):
                        al.shipped += q
                self.shipments.append(ShipmentState(shipment_id=e.shipment_id,
                                                    warehouse_id=e.warehouse_id,
                                                    shipped_at=e.shipped_at or at, lines=e.lines))
            case ev.ProofOfDeliveryReceived():
                sh = self.shipment(e.shipment_id)
                if sh is not None:
                    sh.delivered_at = e.delivered_at
            case ev.ShipmentAwaitingInvoice():
                sh = self.shipment(e.shipment_id)
                if sh is not None:
                    sh.awaiting_key, sh.awaiting_until = e.key, e.window_end
            case ev.InvoiceIssued() if self.order_id in e.order_ids:
                # An invoice may bill several orders (consolidated): this order's lines only.
                for il in e.lines_of(self.order_id):
                    self.line(il.line_no).invoiced += il.quantity
                for sid in e.shipments_of(self.order_id):
                    sh = self.shipment(sid)
                    if sh is not None:
                        sh.invoice_id = e.invoice_id
                self.invoices[e.invoice_id] = False
            case ev.InvoicePaid() if e.invoice_id in self.invoices:
                self.invoices[e.invoice_id] = True
            case ev.PaymentUnapplied():
                self.invoices[e.invoice_id] = False
            case ev.OrderChanged():
                self._change(e)
            case ev.PickConfirmed():
                self.picks.append((e.warehouse_id, e.picked_at))
                self.picked_at = max(self.picked_at or e.picked_at, e.picked_at)
            case ev.FulfilmentExceptionReported():
                self.issues.append(FulfilmentIssue(hold_id=e.hold_id, warehouse_id=e.warehouse_id,
                                                   code=e.code, reported_at=e.reported_at,
                                                   lines=e.lines))
            case ev.ShipmentStatusReported():
                sh = self.shipment(e.shipment_id)
                if sh is not None:
                    sh.statuses = (*sh.statuses, *e.statuses)
            case ev.OrderRejected():
                self._move(OrderStatus.REJECTED)
            case ev.OrderClosed():
                self._move(OrderStatus.CLOSED)
            case _:
                pass
        if not isinstance(e, ev.OrderRejected | ev.OrderClosed):
            self._move(self._derive_status(e))
        self._check()
        self.version += 1

    def _spread(self, line_no: int, warehouse_id: str, lot_id: str,
                qty: Decimal) -> list[tuple[Allocation, Decimal]]:
        """Share ``qty`` among the allocations of one line, warehouse and lot (a line
        re-allocated from the same lot has several) by what each has open; any rest goes
        to the first, so that an impossible quantity still shows in the invariants."""
        same = [al for al in self.allocations
                if (al.line_no, al.warehouse_id, al.lot_id) == (line_no, warehouse_id, lot_id)]
        out: list[tuple[Allocation, Decimal]] = []
        left = qty
        for al in same:
            q = min(left, al.quantity - al.shipped)
            if q > 0:
                out.append((al, q))
                left -= q
        if left > 0 and same:
            out.append((same[0], left))
        return out

    def _change(self, e: ev.OrderChanged) -> None:
        """Apply a buyer's change; a refused or whole-order cancellation changes no line."""
        if e.by is not None and e.by not in self.changed_by:
            self.changed_by.append(e.by)
        if e.outcome != "applied":
            return
        for c in e.lines:
            if c.action == "add":
                self.lines.append(OrderLine(line_no=c.line_no, product_id=c.product_id,
                                            quantity=c.quantity or Decimal(0), uom=c.uom or "",
                                            requested_price=c.unit_price,
                                            requested_date=c.requested_date))
            elif c.action == "cancel":
                self.lines = [ln for ln in self.lines if ln.line_no != c.line_no]
                self.cancelled_lines.append(c.line_no)
            else:
                ln = self.line(c.line_no)
                # A number the order holds more than once (held as VAL-DUPLICATE-LINE): the
                # buyer's change says what that one line is, so the others under it go.
                self.lines = [x for x in self.lines if x.line_no != c.line_no or x is ln]
                ln.product_id = c.product_id
                if c.quantity is not None:
                    ln.quantity = c.quantity
                if c.uom is not None:
                    ln.uom = c.uom
                if c.unit_price is not None:
                    ln.requested_price = c.unit_price
                if c.requested_date is not None:
                    ln.requested_date = c.requested_date
        self.lines.sort(key=lambda ln: ln.line_no)
        if e.requested_date is not None:
            self.requested_date = e.requested_date
        if e.recheck:
            # Validation prices and converts every line again; allocation plans again.
            for ln in self.lines:
                ln.base_quantity, ln.base_uom = Decimal(0), ""
                ln.unit_price, ln.price_source = Decimal(0), ""
                ln.backordered = Decimal(0)
            self.holds_at_change = len(self.holds)

    # ------------------------------------------------------------ state machine

    def _derive_status(self, e: ev.Event) -> OrderStatus:
        st = self.status
        if st in (OrderStatus.CLOSED, OrderStatus.REJECTED):
            return st
        if isinstance(e, ev.OrderChanged) and e.recheck:
            return OrderStatus.RECEIVED
        if isinstance(e, ev.OrderValidated):
            return OrderStatus.VALIDATED
        if isinstance(e, ev.CreditApproved):
            return OrderStatus.CREDIT_APPROVED
        if st in (OrderStatus.RECEIVED, OrderStatus.VALIDATED):
            return st
        if isinstance(e, ev.OrderBackordered) and not any(ln.allocated for ln in self.lines):
            return OrderStatus.BACKORDERED
        if not self.shipments:
            released = any(ln.allocated for ln in self.lines)
            if released:
                return OrderStatus.RELEASED
            if all(ln.complete for ln in self.lines):  # everything closed short
                return OrderStatus.SHIPPED
            return st
        if not all(ln.complete for ln in self.lines):
            return OrderStatus.PARTIALLY_SHIPPED
        if self.invoices and all(ln.invoiced >= ln.shipped for ln in self.lines):
            return OrderStatus.PAID if all(self.invoices.values()) else OrderStatus.INVOICED
        if all(s.delivered_at is not None for s in self.shipments):
            return OrderStatus.DELIVERED
        return OrderStatus.SHIPPED

    def _move(self, new: OrderStatus) -> None:
        if new is not self.status and new not in TRANSITIONS[self.status]:
            raise IllegalTransition(f"order {self.order_id}: {self.status} -> {new} is not allowed")
        self.status = new

    def _check(self) -> None:
        for ln in self.lines:
            if ln.base_quantity and ln.allocated > ln.base_quantity:
                raise InvariantViolated(f"order {self.order_id} line {ln.line_no}: allocated "
                                        f"{ln.allocated} > ordered {ln.base_quantity}")
            if ln.shipped > ln.allocated:
                raise InvariantViolated(f"order {self.order_id} line {ln.line_no}: shipped "
                                        f"{ln.shipped} > allocated {ln.allocated}")
            if ln.invoiced > ln.shipped:
                raise InvariantViolated(f"order {self.order_id} line {ln.line_no}: invoiced "
                                        f"{ln.invoiced} > shipped {ln.shipped}")


#: Holds that wait for a product to be known (or to know a unit).
_ITEM_CODES = frozenset({HoldCode.VAL_ITEM_UNKNOWN, HoldCode.VAL_UOM_INVALID})


def item_waits(order: Order) -> frozenset[str]:
    """The products an order waits for: those of its lines while it has an open
    VAL-ITEM-UNKNOWN or VAL-UOM-INVALID hold (a new or changed product may lift it)."""
    if order.terminal or not any(h.code in _ITEM_CODES for h in order.open_holds):
        return frozenset()
    return frozenset(ln.product_id for ln in order.lines)


#: The rule a BIL-TAX-UNRESOLVED hold names per jurisdiction it waits for a rate of
#: (``tax.rates:US-IL``, among the hold's conditions).
TAX_WAITS_FOR = "tax.rates"


def tax_waits(order: Order) -> frozenset[str]:
    """The jurisdictions (``US-IL``) the order's open BIL-TAX-UNRESOLVED holds wait for a rate of."""
    prefix = TAX_WAITS_FOR + ":"
    return frozenset(c[len(prefix):] for h in order.open_holds if h.code is HoldCode.BIL_TAX_UNRESOLVED
                     for c in h.conditions if c.startswith(prefix))
