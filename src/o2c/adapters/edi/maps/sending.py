"""What o2c sends, as X12 for the trading partners set up to receive it.

:class:`X12Renderer` is the engine's :class:`~o2c.engine.ports.OutboundRenderer` for EDI.
The engine stages channel-neutral outbound messages (``order_ack``, ``warehouse_release``,
``ship_notice``, ``invoice``); for a partner whose ``outbound`` names the set, the renderer
adds the X12 document beside the message, in the same transaction:

==================  ====  =============================================================
outbox kind         set   to
==================  ====  =============================================================
order_ack           855   the customer, for an order that came by EDI (accepted, rejected,
                          changed; a refused change gets no 855)
warehouse_release   940   the third-party warehouse of that warehouse id
ship_notice         856   the customer, for an order that came by EDI
invoice             810   the customer, whatever channel the order came by
dispute_answer      812   the customer, when one of its disputes is resolved (on an invoice)
edi_997             997   renumbered (below)
==================  ====  =============================================================

Each rendering is its own outbox row, kind ``edi_<set>``, destination ``edi:<partner>``,
payload ``{x12, set, control_number, envelope, ...the ids it is about}`` (``envelope``: the
partner and ISA13/GS06/ST02s, what the outbound document ledger records, see
:mod:`o2c.engine.documents`); the channel-neutral message stays for the other readers of the
outbox (webhooks, the portal). A document sent again (``edi_<set>`` with its old ``x12``) is
enveloped anew under the partner's next number, like a 997.

Numbering: every interchange we send a partner takes the next number of that partner's
sequence (``x12:<partner id>``, gapless and transactional like invoice numbers) as ISA13
and GS06, 997s included - so no two interchanges to a partner share a control number, which
partners' translators reject as duplicates.  The envelope is dated with the business time of
the event the document answers (UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from o2c.adapters.edi import Interchange, SetSpec, TransactionSet, parse, write
from o2c.adapters.edi.maps.adjustments_out import build_812
from o2c.adapters.edi.maps.asn_out import build_856
from o2c.adapters.edi.maps.documents import (
    AckLine,
    AsnShipment,
    InvoiceDocument,
    LineStatus,
    OrderAcknowledgment,
    Party,
    WarehouseOrder,
)
from o2c.adapters.edi.maps.invoice_out import build_810
from o2c.adapters.edi.maps.orders_out import build_855, build_940
from o2c.adapters.edi.maps.outbound import envelope_997, outbound_interchange
from o2c.adapters.edi.maps.partners import PartnerDirectory, TradingPartner
from o2c.domain import events as ev
from o2c.domain.orders import Order, OrderLine
from o2c.engine.documents import ENVELOPE
from o2c.engine.ports import Outgoing, UnitOfWork

__all__ = ["X12Renderer"]

_ACK_STATUS = {"change": LineStatus.CHANGED, "cancel": LineStatus.REJECTED, "add": LineStatus.ACCEPTED}


class X12Renderer:
    """Renders outbound messages as X12 for the partners of ``directory`` (see the module)."""

    def __init__(self, directory: PartnerDirectory) -> None:
        self.directory = directory
        self._customers: dict[str, TradingPartner] = {}
        self._warehouses: dict[str, TradingPartner] = {}
        for p in directory:
            if p.outbound & {"855", "856", "810", "812"}:
                # one account, or the accounts its N1 codes map to (a chain buying for several)
                for customer_id in (p.customer_id, *p.customer_map.values()):
                    if customer_id:
                        self._customers.setdefault(customer_id, p)
            if "940" in p.outbound:  # its warehouse, or every one its N1 codes map to
                for warehouse_id in (p.warehouse_id, *p.warehouse_map.values()):
                    if warehouse_id:
                        self._warehouses.setdefault(warehouse_id, p)

    def __call__(self, uow: UnitOfWork, out: Outgoing, cause: ev.Envelope | None) -> Sequence[Outgoing]:
        if out.kind.startswith("edi_"):  # a 997 the splitter made, or a document sent again
            return [self._renumbered(uow, out, cause)]
        if cause is None:
            return [out]
        rendered = self._render(uow, out, cause)
        return [out] if rendered is None else [out, rendered]

    # ------------------------------------------------------------------ per kind

    def _render(self, uow: UnitOfWork, out: Outgoing, cause: ev.Envelope) -> Outgoing | None:
        p = out.payload
        if out.kind == "warehouse_release":
            partner = self._warehouses.get(out.destination)
            order = uow.orders.get(str(p["order_id"])) if partner else None
            if partner is None or order is None:
                return None
            release = WarehouseOrder.from_release(
                p, warehouse_id=out.destination, uoms=_base_units(order), po_number=order.po_number,
                ship_to=self._ship_to(uow, order, partner), requested_ship_date=order.requested_date)
            return self._document(uow, out, cause, partner, "940", build_940(release, partner),
                                  order_id=order.order_id)
        if out.kind == "dispute_answer":
            return self._answer(uow, out, cause)
        order = uow.orders.get(str(p["order_id"])) if "order_id" in p else None
        if order is None:
            return None
        partner = self._customers.get(order.customer_id)
        if partner is None:
            return None
        if out.kind == "order_ack" and "855" in partner.outbound and order.channel == "edi":
            ack = _acknowledgment(uow, order, p, cause.occurred_at.date())
            if ack is None:
                return None
            return self._document(uow, out, cause, partner, "855", build_855(ack, partner),
                                  order_id=order.order_id)
        if (out.kind == "ship_notice" and "856" in partner.outbound and order.channel == "edi"
                and isinstance(cause.payload, ev.ShipmentConfirmed)):
            shipped = cause.payload.shipped_at or cause.occurred_at
            asn = AsnShipment.from_shipment(
                cause.payload, po_number=order.po_number, ship_date=shipped.astimezone(UTC).date(),
                uoms=_base_units(order), ship_to=self._ship_to(uow, order, partner),
                bill_of_lading=cause.payload.tracking_no)
            return self._document(uow, out, cause, partner, "856", build_856(asn, partner),
                                  order_id=order.order_id, shipment_id=asn.shipment_id)
        if out.kind == "invoice" and "810" in partner.outbound and isinstance(cause.payload,
                                                                               ev.InvoiceIssued):
            customer = uow.master.customer(order.customer_id)
            billed = [o for o in (uow.orders.get(i) for i in cause.payload.order_ids) if o is not None]
            ship_tos = {o.ship_to_id for o in billed}
            terms = {o.payment_terms for o in billed}
            doc = InvoiceDocument.from_invoice_issued(
                cause.payload, po_number=order.po_number, po_date=order.order_date,
                terms=(terms.pop() if len(terms) == 1 and None not in terms else None)
                or (customer.payment_terms if customer else None),
                ship_to=self._ship_to(uow, order, partner) if len(ship_tos) == 1 else None,
                po_numbers={o.order_id: o.po_number for o in billed})
            return self._document(uow, out, cause, partner, "810", build_810(doc, partner),
                                  order_id=order.order_id, invoice_id=doc.invoice_id)
        return None

    def _answer(self, uow: UnitOfWork, out: Outgoing, cause: ev.Envelope) -> Outgoing | None:
        """The 812 telling a customer how its dispute on an invoice ended."""
        p = out.payload
        partner = self._customers.get(str(p.get("customer_id", "")))
        case = uow.disputes.get(str(p["dispute_id"])) if partner and "812" in partner.outbound else None
        if partner is None or case is None or not case.invoice_id:
            return None
        answer = {**p, "category": case.category.value, "lines": list(case.lines), "note": case.note}
        return self._document(uow, out, cause, partner, "812", build_812(answer, cause.occurred_at.date()),
                              dispute_id=case.dispute_id, invoice_id=case.invoice_id)

    def _renumbered(self, uow: UnitOfWork, out: Outgoing, cause: ev.Envelope | None) -> Outgoing:
        """A 997 interchange the splitter enveloped, or a document sent again (its old
        interchange), under the partner's next number."""
        partner = self.directory.get(out.destination.removeprefix("edi:"))
        parsed = parse(str(out.payload.get("x12", "")))
        if partner is None or len(parsed.interchanges) != 1 or parsed.errors:
            return out  # not ours to number (a partner since removed): sent as it was made
        ic = parsed.interchanges[0]
        sets: list[SetSpec] = [ts for g in ic.groups for ts in g.transaction_sets]
        set_id = out.kind.removeprefix("edi_")
        if set_id != "997" and set_id not in partner.outbound:
            return out  # the partner no longer takes this set: left as it was, for a person
        number = uow.sequences.next(f"x12:{partner.partner_id}")
        if set_id == "997":
            again = _reenvelope(partner, sets, number, ic)
        else:  # sent again: dated when it is sent again
            at = cause.occurred_at.astimezone(UTC).replace(tzinfo=None) if cause is not None else _dated(ic)
            again = outbound_interchange(partner, sets, control_number=number, group_control_number=number,
                                         at=at)
        return Outgoing(kind=out.kind, destination=out.destination, correlation_id=out.correlation_id,
                        payload={**out.payload, "x12": write(again), "control_number": number,
                                 "set": set_id, **_envelope(partner, number, sets)})

    # ------------------------------------------------------------------ shared parts

    def _document(self, uow: UnitOfWork, out: Outgoing, cause: ev.Envelope, partner: TradingPartner,
                  set_id: str, segments: list[tuple[str, ...]], **about: str) -> Outgoing:
        number = uow.sequences.next(f"x12:{partner.partner_id}")
        ic = outbound_interchange(partner, [(set_id, "0001", segments)], control_number=number,
                                  group_control_number=number,
                                  at=cause.occurred_at.astimezone(UTC).replace(tzinfo=None))
        return Outgoing(kind=f"edi_{set_id}", destination=f"edi:{partner.partner_id}",
                        correlation_id=out.correlation_id,
                        payload={"x12": write(ic), "set": set_id, "control_number": number, **about,
                                 **_envelope(partner, number, ["0001"])})

    @staticmethod
    def _ship_to(uow: UnitOfWork, order: Order, partner: TradingPartner) -> Party | None:
        customer = uow.master.customer(order.customer_id)
        place = customer.ship_to(order.ship_to_id) if customer else None
        if place is None:
            return None
        # the partner's own code for the place when its configuration maps one to ours
        code = next((theirs for theirs, ours in partner.ship_to_map.items() if ours == place.ship_to_id),
                    place.ship_to_id)
        return Party(role="ST", name=place.name, id=code, id_qualifier="92", city=place.city,
                     region=place.region, postal_code=place.postal_code, country=place.country)


def _acknowledgment(
    uow: UnitOfWork, order: Order, payload: dict[str, object], today: date
) -> OrderAcknowledgment | None:
    """The 855 for an ``order_ack``: every line accepted (validated), rejected (the order was),
    or, for an applied change, the lines it touched changed, cancelled or added.  Lines are
    acknowledged in the unit the buyer ordered, at our price for that unit."""
    status = payload.get("status")
    touched: dict[int, LineStatus] = {}
    if status == "accepted":
        default = LineStatus.ACCEPTED
    elif status == "rejected":
        default = LineStatus.REJECTED
    elif status == "changed":
        default = LineStatus.ACCEPTED
        for line in payload.get("lines") or ():  # type: ignore[attr-defined]
            touched[int(line["line_no"])] = _ACK_STATUS.get(str(line["action"]), LineStatus.CHANGED)
    else:
        return None  # a refused change: X12 answers it with an 865, which o2c does not send
    lines = [
        AckLine(line_no=ln.line_no, product_id=ln.product_id, quantity=ln.quantity, uom=ln.uom,
                unit_price=_price_per_ordered_unit(uow, ln), status=touched.get(ln.line_no, default))
        for ln in order.lines
        if ln.line_no not in order.cancelled_lines or touched.get(ln.line_no) is LineStatus.REJECTED
    ]
    if not lines:
        return None
    return OrderAcknowledgment(order_id=order.order_id, po_number=order.po_number,
                               po_date=order.order_date, ack_date=today, lines=tuple(lines))


def _price_per_ordered_unit(uow: UnitOfWork, ln: OrderLine) -> Decimal | None:
    """Our price is kept per base unit; the buyer ordered in ``ln.uom`` (a case of 12...).
    Before validation priced the line (a rejected order), the buyer's own price stands."""
    if not ln.unit_price:
        return ln.requested_price
    product = uow.master.product(ln.product_id)
    factor = product.factor(ln.uom) if product else None
    return ln.unit_price * factor if factor is not None else ln.requested_price


def _base_units(order: Order) -> dict[str, str]:
    return {ln.product_id: ln.base_uom or ln.uom for ln in order.lines}


def _reenvelope(partner: TradingPartner, sets: list[SetSpec], number: int, ic: Interchange) -> Interchange:
    """``sets`` in a new envelope numbered ``number``, dated as ``ic`` was."""
    return envelope_997(partner, sets, control_number=number, at=_dated(ic))


def _dated(ic: Interchange) -> datetime:
    try:
        return datetime.strptime(ic.date + ic.time[:4], "%y%m%d%H%M")
    except ValueError:
        return datetime(2000, 1, 1)


def _envelope(partner: TradingPartner, number: int, sets: Sequence[SetSpec | str]) -> dict[str, object]:
    """The payload entry by which the outbound document ledger records what we sent
    (``o2c.engine.documents``): ISA13 and GS06 are ``number``, one ST02 per set."""
    controls = [s if isinstance(s, str) else s.control_number if isinstance(s, TransactionSet) else str(s[1])
                for s in sets]
    return {ENVELOPE: {"partner_id": partner.partner_id, "interchange_control_number": str(number),
                         "group_control_number": str(number), "set_control_numbers": controls}}

