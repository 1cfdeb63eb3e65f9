"""What happens next: the process manager that turns events into commands,
and the outbound messages events cause (written to the outbox)."""

from __future__ import annotations

from typing import Any

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.orders import OrderStatus, tax_waits
from o2c.engine import commands as cmd
from o2c.engine.ports import Outgoing, UnitOfWork


def shipment_key(order_id: str, shipment_id: str) -> str:
    return f"shipment:{order_id}:{shipment_id}"


def release_key(order_id: str) -> str:
    return f"release:{order_id}"


def po_key(customer_id: str, po_number: str) -> str:
    return f"po:{customer_id}:{po_number}"


def customer_key(customer_id: str) -> str:
    return f"customer:{customer_id}"


def product_key(product_id: str) -> str:
    return f"product:{product_id}"


def unblocks(e: ev.Event) -> str | None:
    """What a parked message may have been waiting for, now that ``e`` happened."""
    if isinstance(e, ev.CustomerChanged) and e.added:
        return customer_key(e.customer.customer_id)  # a group member sent before its parent
    if isinstance(e, ev.ProductChanged) and e.added:
        return product_key(e.product.product_id)  # a price or opening stock sent before its item
    if isinstance(e, ev.OrderReceived):
        return po_key(e.customer_id, e.po_number)  # a buyer's change (860) sent before its order
    if isinstance(e, ev.ShipmentConfirmed):
        return shipment_key(e.order_id, e.shipment_id)
    if isinstance(e, ev.OrderReleased):
        return release_key(e.order_id)  # picks and warehouse exceptions sent before it
    return None


def next_commands(e: ev.Event, uow: UnitOfWork) -> list[cmd.Command]:
    match e:
        case ev.OrderReceived():
            return [cmd.ValidateOrder(order_id=e.order_id)]
        case ev.OrderValidated():
            return [cmd.CheckCredit(order_id=e.order_id)]
        case ev.CreditApproved():
            return [cmd.AllocateOrder(order_id=e.order_id)]
        case ev.HoldReleased() if e.code is HoldCode.BIL_TAX_UNRESOLVED:
            return _invoice_again(e, uow)
        case ev.HoldReleased():
            return _resume(e.order_id, uow)
        case ev.StockReceived():
            return [cmd.AllocateOrder(order_id=o) for o in uow.orders.backordered(e.product_id)]
        case ev.StockAdjusted() if e.delta > 0:
            return [cmd.AllocateOrder(order_id=o) for o in uow.orders.backordered(e.product_id)]
        case ev.StockDifferenceReferred():
            return [cmd.ResolveStockDifference(
                warehouse_id=e.warehouse_id, product_id=e.product_id, lot_id=e.lot_id,
                delta=str(e.delta), advised=str(e.advised), advice_id=e.advice_id,
                rule=e.decision.rule, reason=e.reason)]
        case ev.ShipmentConfirmed():
            return [cmd.InvoiceShipment(order_id=e.order_id, shipment_id=e.shipment_id,
                                        trigger="shipment_confirmed")]
        case ev.ProofOfDeliveryReceived():
            return [cmd.InvoiceShipment(order_id=e.order_id, shipment_id=e.shipment_id,
                                        trigger="pod_received")]
        case ev.InvoicePaid():
            return [cmd.CloseOrder(order_id=o) for o in e.order_ids]
        case ev.PodOverdue() if e.remedy == "invoice_anyway":
            return [cmd.InvoiceShipment(order_id=e.order_id, shipment_id=e.shipment_id,
                                        trigger="pod_overdue")]
        case ev.OrderChanged() if e.recheck:
            return [cmd.ValidateOrder(order_id=e.order_id)]
        case ev.PaymentApplied():
            return _exposure_fell(e.customer_id, uow, f"payment {e.payment_id} applied to {e.invoice_id}")
        case ev.CreditMemoIssued():
            return _exposure_fell(e.customer_id, uow, f"credit memo {e.credit_memo_id} on {e.invoice_id}")
        case ev.OrderRejected():
            return _exposure_fell(e.customer_id, uow, f"order {e.order_id} cancelled")
        case ev.CustomerChanged():
            return _customer_changed(e, uow)
        case ev.ProductChanged():
            because = f"product {e.product.product_id} {_what(e.added, e.changed)}"
            return [cmd.RevalidateOrder(order_id=o, because=because)
                    for o in uow.orders.waiting_for_item(e.product.product_id)]
        case ev.PriceAgreementChanged():
            a = e.agreement
            members = uow.master.group(a.customer_id) if a.group else (a.customer_id,)
            because = f"price agreement {a.label} {_what(e.added, e.changed)}"
            return [cmd.RevalidateOrder(order_id=o, because=because) for o in uow.orders.held_for(members)]
        case ev.TaxRateChanged():
            return _tax_rate_changed(e, uow)
        case _:
            return []


def _invoice_again(e: ev.HoldReleased, uow: UnitOfWork) -> list[cmd.Command]:
    """A BIL-TAX-UNRESOLVED hold was lifted (a rate arrived, or billing released it): invoice
    its shipment again, on the trigger that found the tax unresolved (its decision names both)."""
    for env in uow.events.for_correlation(e.order_id):
        p = env.payload
        if isinstance(p, ev.HoldPlaced) and p.hold_id == e.hold_id:
            shipment_id, trigger = p.decision.inputs.get("shipment_id"), p.decision.inputs.get("trigger")
            if shipment_id and trigger:
                return [cmd.InvoiceShipment(order_id=e.order_id, shipment_id=shipment_id, trigger=trigger)]
    return []


def _tax_rate_changed(e: ev.TaxRateChanged, uow: UnitOfWork) -> list[cmd.Command]:
    """Orders whose invoicing waits for a rate of the rate's state or province try again.
    Read from the orders on hold: a rate changes rarely, and few orders wait for one."""
    r = e.rate
    if r.local:
        return []  # a county's or city's rate never makes an unknown state or province known
    jurisdiction = f"{r.country}-{r.region}"
    because = f"tax rate {r.label} ({r.name} of {r.jurisdiction}) {_what(e.added, e.changed)}"
    out: list[cmd.Command] = []
    page = uow.orders.held(_PAGE)
    while page:
        for order_id in page:
            order = uow.orders.get(order_id)
            if order is not None and jurisdiction in tax_waits(order):
                out.append(cmd.RetryTaxHold(order_id=order_id, jurisdiction=jurisdiction, because=because))
        page = uow.orders.held(_PAGE, after=page[-1]) if len(page) == _PAGE else []
    return out


#: held orders read at a time when every one must be looked at
_PAGE = 1000


def _exposure_fell(customer_id: str, uow: UnitOfWork, because: str) -> list[cmd.Command]:
    """The account's (and its group's) exposure fell: check its held orders' credit again."""
    customer = uow.master.customer(customer_id)
    if customer is None:
        return []
    members = uow.master.group(customer.parent_id or customer_id)
    return [cmd.ReevaluateCredit(order_id=o, because=because) for o in uow.orders.held_for(members)]


def _what(added: bool, changed: tuple[str, ...]) -> str:
    """How a master data change is named in a reason: ``added``, or ``changed (price)``."""
    return "added" if added else f"changed ({', '.join(changed)})"


#: Customer fields whose change can lift a credit hold (a raised limit, an unblocked account,
#: a move into or out of a group).
_CREDIT_FIELDS = frozenset({"credit_limit", "blocked", "parent_id"})


def _customer_changed(e: ev.CustomerChanged, uow: UnitOfWork) -> list[cmd.Command]:
    """A new account (or a new ship-to) may be what held orders waited for; a changed credit
    limit re-evaluates the credit holds of the account's group."""
    c = e.customer
    because = f"customer {c.customer_id} {_what(e.added, e.changed)}"
    out: list[cmd.Command] = []
    if e.added or "ship_tos" in e.changed:
        out += [cmd.RevalidateOrder(order_id=o, because=because)
                for o in uow.orders.held_for([c.customer_id])]
    if not e.added and _CREDIT_FIELDS.intersection(e.changed):
        if "credit_limit" in e.changed:
            because = f"credit limit of {c.customer_id} now {c.credit_limit}"
        members = uow.master.group(c.parent_id or c.customer_id)
        out += [cmd.ReevaluateCredit(order_id=o, because=because)
                for o in uow.orders.held_for(members)]
    if not e.added and "billing_trigger" in e.changed:
        out += _bill_again(c.customer_id, uow)
    return out


def _bill_again(customer_id: str, uow: UnitOfWork) -> list[cmd.Command]:
    """The account's billing trigger changed: its shipments not invoiced (and not waiting for
    a consolidated window) are billed again under the new rule, so a shipment that waited for
    a POD under the old one is not left waiting for a trigger the rule no longer heeds."""
    out: list[cmd.Command] = []
    for order_id in uow.orders.not_invoiced_for(customer_id):
        order = uow.orders.get(order_id)
        if order is None:
            continue
        out += [cmd.InvoiceShipment(order_id=order_id, shipment_id=sh.shipment_id,
                                    trigger=cmd.BILLING_RULE_CHANGED)
                for sh in order.shipments if sh.invoice_id is None and sh.awaiting_key is None]
    return out


def _resume(order_id: str, uow: UnitOfWork) -> list[cmd.Command]:
    """After a hold is released, pick the order up where it waited."""
    order = uow.orders.get(order_id)
    if order is None or order.on_hold or order.terminal:
        return []
    match order.status:
        case OrderStatus.RECEIVED:
            return [cmd.ValidateOrder(order_id=order_id)]
        case OrderStatus.VALIDATED:
            return [cmd.CheckCredit(order_id=order_id)]
        case OrderStatus.CREDIT_APPROVED:
            return [cmd.AllocateOrder(order_id=order_id)]
        case _:
            return []


def outbound(env: ev.Envelope) -> list[Outgoing]:
    """Messages to the outside world caused by an event, in the channel-neutral form every
    reader of the outbox understands; ``MessageBus.stage`` has them rendered for their
    channel (an 855, a 940, an 856, an 810 for an EDI partner) and staged."""
    e = env.payload

    def out(kind: str, destination: str, payload: dict[str, Any]) -> Outgoing:
        return Outgoing(kind=kind, destination=destination, correlation_id=env.correlation_id,
                        payload=payload)

    match e:
        case ev.StockAllocated():
            by_wh: dict[str, list[dict[str, str]]] = {}
            for a in e.allocations:
                by_wh.setdefault(a.warehouse_id, []).append(
                    {"line_no": str(a.line_no), "product_id": a.product_id, "lot_id": a.lot_id,
                     "quantity": str(a.quantity)})
            return [out("warehouse_release", wh, {"order_id": e.order_id, "event_id": env.event_id,
                                                  "lines": lines})
                    for wh, lines in by_wh.items()]
        case ev.ShipmentConfirmed():
            return [out("ship_notice", f"order:{e.order_id}",
                        {"order_id": e.order_id, "shipment_id": e.shipment_id,
                         "warehouse_id": e.warehouse_id, "carrier": e.carrier,
                         "tracking_no": e.tracking_no})]
        case ev.InvoiceIssued():
            return [out("invoice", f"customer:{e.customer_id}",
                        {"invoice_id": e.invoice_id, "order_id": e.order_id, "order_ids": list(e.order_ids),
                         "total": str(e.total.amount), "currency": e.total.currency,
                         "invoice_date": e.invoice_date.isoformat(),
                         "due_date": e.due_date.isoformat(),
                         "discount": str(e.discount.amount),
                         "discount_date": e.discount_date.isoformat() if e.discount_date else None})]
        case ev.HoldEscalated():
            return [notification(env, f"role:{e.to_role}",
                                 f"Hold {e.code.value} on order {e.order_id} is now yours",
                                 f"Hold {e.hold_id} ({e.code.value}) on order {e.order_id} passed its SLA "
                                 f"({e.sla_due_at.isoformat()}) with {e.from_role}; it is escalated to "
                                 f"{e.to_role}.")]
        case ev.StallDetected():
            return [notification(env, f"role:{e.notify}", f"Order {e.order_id} has not moved",
                                 f"Order {e.order_id} has been {e.stage} with nothing happening since "
                                 f"{e.idle_since.isoformat()}, longer than the {e.limit_hours} hour(s) "
                                 "the policy allows.")]
        case ev.PodOverdue() if e.remedy == "chase_carrier":
            return [notification(env, "role:billing", f"No proof of delivery for order {e.order_id}",
                                 f"Shipment {e.shipment_id} of order {e.order_id} shipped "
                                 f"{e.shipped_at.isoformat()} and has no proof of delivery by "
                                 f"{e.due_at.isoformat()}: chase the carrier (hold BIL-POD-OVERDUE).")]
        case ev.DunningNoticeSent():
            return [out("dunning_notice", f"customer:{e.customer_id}",
                        {"customer_id": e.customer_id, "invoice_id": e.invoice_id, "step": e.step,
                         "channel": e.channel, "days_past_due": e.days_past_due,
                         "due_date": e.due_date.isoformat(), "amount": str(e.amount.amount),
                         "currency": e.amount.currency, "text": e.text, "event_id": env.event_id})]
        case ev.DocumentResent():
            # The same interchange, which the X12 renderer numbers again for the partner.
            return [out(f"edi_{e.doc_type}", f"edi:{e.partner_id}",
                        {"x12": e.x12, "set": e.doc_type, "resend_of": e.document_id,
                         **{k: v for k, v in (("order_id", e.order_id), ("invoice_id", e.invoice_id),
                                              ("shipment_id", e.shipment_id)) if v}})]
        case ev.OrderValidated() | ev.OrderRejected():
            status = "accepted" if isinstance(e, ev.OrderValidated) else "rejected"
            return [out("order_ack", f"order:{e.order_id}", {"order_id": e.order_id, "status": status})]
        case ev.OrderChanged() if e.outcome != "cancelled":
            # The answer to the buyer's change (an 855 with IC lines, or the change refused);
            # a cancelled order is answered by its OrderRejected above, a rechecked one is
            # acknowledged again when it is validated.
            return [out("order_ack", f"order:{e.order_id}",
                        {"order_id": e.order_id, "po_number": e.po_number,
                         "status": "changed" if e.outcome == "applied" else "change_refused",
                         "change_sequence": e.change_sequence,
                         "lines": [{"line_no": str(c.line_no), "action": c.action} for c in e.lines]})]
        # ---- disputes: the customer is told how its dispute ended (an 812 to an EDI partner)
        case ev.DisputeResolved():
            return [out("dispute_answer", f"customer:{e.customer_id}", {
                "dispute_id": e.dispute_id, "invoice_id": e.invoice_id, "customer_id": e.customer_id,
                "outcome": e.outcome, "amount": str(e.amount.amount) if e.amount else None,
                "settled": str(e.settled.amount) if e.settled else "0",
                "currency": e.amount.currency if e.amount else None, "credit_memo_id": e.credit_memo_id,
                "write_off_id": e.write_off_id, "reason": e.reason})]
        case ev.DisputeEscalated():
            return [notification(env, f"role:{e.to_role}", f"Dispute {e.dispute_id} is now yours",
                                 f"Dispute {e.dispute_id} on "
                                 f"{e.invoice_id or 'the account of ' + e.customer_id} "
                                 f"passed its SLA ({e.sla_due_at.isoformat()}) with {e.from_role}; it is "
                                 f"escalated to {e.to_role}.")]
        case _:
            return []


def notification(env: ev.Envelope, recipient: str, subject: str, text: str) -> Outgoing:
    """A notification for a person or a role (``recipient``: ``role:<role>`` or
    ``user:<id>``), relayed like every outbound message; ``link`` is the order's page."""
    order_id = env.correlation_id
    return Outgoing(kind="notification", destination=recipient, correlation_id=order_id,
                    payload={"recipient": recipient, "subject": subject, "text": text,
                             "link": f"/orders/{order_id}", "order_id": order_id, "event_id": env.event_id,
                             "event": env.type})
