"""Inputs of the outbound builders (855, 940, 856, 810): frozen values, no clock, no lookups.

The engine's outbox payloads carry ids, not documents (``order_ack`` is ``{order_id,
status}``), so the dispatcher that sends EDI assembles one of these from the order's events
and master data; ``from_*`` helpers cover the parts the events already hold.  Every date is
passed in.  Invariants are checked on construction: a builder never has to guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from o2c.domain import events as ev

__all__ = [
    "AckLine",
    "AsnLine",
    "AsnShipment",
    "Charge",
    "InvoiceDocument",
    "InvoiceItem",
    "LineStatus",
    "OrderAcknowledgment",
    "Party",
    "ReleaseLine",
    "WarehouseOrder",
]

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """An N1 loop to write: N101 role (ST, BT, SF, RE...), name, N103/N104 id, N3/N4 address."""

    role: str
    name: str
    id: str = ""
    id_qualifier: str = "92"  # 92: assigned by the buyer; 91: by the seller; 1/9: DUNS
    address: tuple[str, ...] = ()
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


class LineStatus(StrEnum):
    """ACK01 line item status (code list 668) for the statuses o2c decides."""

    ACCEPTED = "IA"
    CHANGED = "IC"
    BACKORDERED = "IB"
    REJECTED = "IR"


@dataclass(frozen=True, slots=True, kw_only=True)
class AckLine:
    """One acknowledged line; ``ack_quantity`` defaults to the ordered quantity (0 if rejected)."""

    line_no: int
    product_id: str
    quantity: Decimal
    uom: str
    status: LineStatus
    unit_price: Decimal | None = None
    ack_quantity: Decimal | None = None
    ship_date: date | None = None
    customer_item: str | None = None

    @property
    def acknowledged(self) -> Decimal:
        if self.ack_quantity is not None:
            return self.ack_quantity
        return Decimal(0) if self.status is LineStatus.REJECTED else self.quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAcknowledgment:
    """What an 855 says: our order id for the buyer's PO and a status per line."""

    order_id: str
    po_number: str
    po_date: date
    ack_date: date
    lines: tuple[AckLine, ...]

    def __post_init__(self) -> None:
        if len({ln.line_no for ln in self.lines}) != len(self.lines):
            raise ValueError("acknowledged line numbers must be distinct")

    @property
    def ack_type(self) -> str:
        """BAK02: AD all accepted as ordered, RD all rejected, AC accepted with changes."""
        statuses = {ln.status for ln in self.lines}
        if statuses <= {LineStatus.ACCEPTED}:
            return "AD"
        if statuses == {LineStatus.REJECTED}:
            return "RD"
        return "AC"

    @staticmethod
    def from_order(
        order: ev.OrderReceived,
        *,
        ack_date: date,
        statuses: Mapping[int, LineStatus] | None = None,
        quantities: Mapping[int, Decimal] | None = None,
        ship_dates: Mapping[int, date] | None = None,
    ) -> OrderAcknowledgment:
        """Acknowledge an order line by line; lines not in ``statuses`` are accepted."""
        statuses, quantities, ship_dates = statuses or {}, quantities or {}, ship_dates or {}
        return OrderAcknowledgment(
            order_id=order.order_id,
            po_number=order.po_number,
            po_date=order.order_date,
            ack_date=ack_date,
            lines=tuple(
                AckLine(
                    line_no=ln.line_no,
                    product_id=ln.product_id,
                    quantity=ln.quantity,
                    uom=ln.uom,
                    unit_price=ln.unit_price,
                    customer_item=ln.customer_item,
                    status=statuses.get(ln.line_no, LineStatus.ACCEPTED),
                    ack_quantity=quantities.get(ln.line_no),
                    ship_date=ship_dates.get(ln.line_no),
                )
                for ln in order.lines
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseLine:
    """One line of a warehouse release, in the product's base unit."""

    line_no: int
    product_id: str
    quantity: Decimal
    uom: str = "EA"
    lot_id: str = "-"
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WarehouseOrder:
    """What a 940 asks a warehouse to ship (from a ``warehouse_release`` outbox payload)."""

    order_id: str
    warehouse_id: str
    lines: tuple[ReleaseLine, ...]
    release_id: str = ""
    po_number: str = ""
    ship_to: Party | None = None
    requested_ship_date: date | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("a warehouse order needs at least one line")
        if any(ln.quantity <= 0 for ln in self.lines):
            raise ValueError("release quantities must be greater than zero")

    @staticmethod
    def from_release(
        payload: Mapping[str, Any],
        *,
        warehouse_id: str,
        uoms: Mapping[str, str] | None = None,
        po_number: str = "",
        ship_to: Party | None = None,
        requested_ship_date: date | None = None,
    ) -> WarehouseOrder:
        """Build from the outbox payload ``{order_id, event_id, lines: [{line_no, product_id,
        lot_id, quantity}]}``; ``uoms`` gives each product's base unit (default EA)."""
        uoms = uoms or {}
        return WarehouseOrder(
            order_id=str(payload["order_id"]),
            warehouse_id=warehouse_id,
            release_id=str(payload.get("event_id", "")),
            po_number=po_number,
            ship_to=ship_to,
            requested_ship_date=requested_ship_date,
            lines=tuple(
                ReleaseLine(
                    line_no=int(ln["line_no"]),
                    product_id=str(ln["product_id"]),
                    quantity=Decimal(str(ln["quantity"])),
                    uom=uoms.get(str(ln["product_id"]), "EA"),
                    lot_id=str(ln.get("lot_id") or "-"),
                )
                for ln in payload["lines"]
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AsnLine:
    line_no: int
    product_id: str
    quantity: Decimal
    uom: str = "EA"
    lot_id: str = "-"
    customer_item: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AsnShipment:
    """What an outbound 856 tells a customer: one shipment of one order (S/O/I hierarchy)."""

    shipment_id: str
    order_id: str
    po_number: str
    ship_date: date
    lines: tuple[AsnLine, ...]
    carrier: str = ""  # SCAC
    tracking_no: str = ""  # PRO number
    bill_of_lading: str = ""
    ship_from: Party | None = None
    ship_to: Party | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("a ship notice needs at least one line")

    @staticmethod
    def from_shipment(
        e: ev.ShipmentConfirmed,
        *,
        po_number: str,
        ship_date: date,
        uoms: Mapping[str, str] | None = None,
        ship_from: Party | None = None,
        ship_to: Party | None = None,
        bill_of_lading: str = "",
    ) -> AsnShipment:
        uoms = uoms or {}
        return AsnShipment(
            shipment_id=e.shipment_id,
            order_id=e.order_id,
            po_number=po_number,
            ship_date=ship_date,
            carrier=e.carrier,
            tracking_no=e.tracking_no,
            bill_of_lading=bill_of_lading,
            ship_from=ship_from,
            ship_to=ship_to,
            lines=tuple(
                AsnLine(
                    line_no=s.line_no,
                    product_id=s.product_id,
                    quantity=s.quantity,
                    uom=uoms.get(s.product_id, "EA"),
                    lot_id=s.lot_id,
                )
                for s in e.lines
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceItem:
    """One invoiced line; ``amount`` defaults to quantity x price rounded half up to cents."""

    line_no: int
    product_id: str
    quantity: Decimal
    uom: str
    unit_price: Decimal
    amount: Decimal | None = None
    customer_item: str | None = None
    description: str = ""
    #: the buyer's PO of the line's order, on an invoice of several orders (REF*PO in the line)
    po_number: str = ""

    @property
    def extended(self) -> Decimal:
        if self.amount is not None:
            return self.amount
        return (self.quantity * self.unit_price).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """An SAC charge (or, with ``allowance``, a deduction): SAC02 code such as D240 freight."""

    code: str
    amount: Decimal
    allowance: bool = False
    description: str = ""


#: TXI01 (element 963) by the name a tax line gives its tax: GST (GS, goods and services
#: tax), HST (BE, harmonized sales tax), PST and QST (SP, state/provincial tax), a US state's
#: tax (ST, state sales tax), a county's (CP, county/parish sales tax), a city's (CS, city
#: sales tax). A name not listed is taken by its jurisdiction's level (see :func:`tax_type`).
TAX_TYPES = {"GST": "GS", "HST": "BE", "PST": "SP", "QST": "SP", "STATE": "ST", "COUNTY": "CP",
             "CITY": "CS"}


def tax_type(name: str, jurisdiction: str) -> str:
    """The TXI01 code of a tax called ``name`` levied by ``jurisdiction`` (``US-IL/city=…``)."""
    code = TAX_TYPES.get(name.upper())
    if code is not None:
        return code
    if "/county=" in jurisdiction:
        return "CP"
    if "/city=" in jurisdiction:
        return "CS"
    return "ST"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxItem:
    """One tax of the invoice (a TXI): ``tax_type`` (TXI01), ``amount`` (TXI02), ``rate`` as a
    fraction (written as a percent in TXI03), the exemption certificate that zeroed it."""

    tax_type: str
    amount: Decimal
    rate: Decimal | None = None
    certificate_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDocument:
    """What an 810 says.  Invariant: ``total`` = lines + charges - allowances + tax, in cents."""

    invoice_id: str
    invoice_date: date
    order_id: str
    lines: tuple[InvoiceItem, ...]
    po_number: str = ""
    po_date: date | None = None
    currency: str = "USD"
    tax: Decimal = Decimal(0)
    tax_type: str = "ST"  # TXI01 (963): ST state sales tax, VA value added, TX all taxes...
    #: the taxes one by one (one TXI each); their amounts add up to ``tax``. Empty: one TXI of
    #: ``tax_type`` for ``tax``
    taxes: tuple[TaxItem, ...] = ()
    charges: tuple[Charge, ...] = ()
    terms: str | None = None  # "2/10 net 30"
    discount: Decimal = Decimal(0)
    discount_date: date | None = None
    due_date: date | None = None
    bill_to: Party | None = None
    ship_to: Party | None = None
    remit_to: Party | None = None
    #: every order the invoice bills, ``order_id`` first (empty: ``order_id`` alone)
    order_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("an invoice needs at least one line")
        if self.total != self.total.quantize(_CENT):
            raise ValueError(f"invoice total {self.total} has more than two decimals; TDS01 holds cents")
        if self.taxes and sum((t.amount for t in self.taxes), Decimal(0)) != self.tax:
            raise ValueError(f"the taxes add up to {sum(t.amount for t in self.taxes)}, not the tax "
                             f"{self.tax}")

    @property
    def total(self) -> Decimal:
        charges = sum((-c.amount if c.allowance else c.amount for c in self.charges), Decimal(0))
        return sum((ln.extended for ln in self.lines), Decimal(0)) + charges + self.tax

    @staticmethod
    def from_invoice_issued(
        e: ev.InvoiceIssued,
        *,
        po_number: str = "",
        po_date: date | None = None,
        terms: str | None = None,
        bill_to: Party | None = None,
        ship_to: Party | None = None,
        remit_to: Party | None = None,
        po_numbers: Mapping[str, str] | None = None,
    ) -> InvoiceDocument:
        """Build from the engine's event; raises ValueError if its total disagrees with its lines.
        An invoice of several orders (consolidated) names each line's PO from ``po_numbers``
        (order id -> PO) and, unless they all share one, no PO in the header."""
        several = len(e.order_ids) > 1
        pos = po_numbers or {}
        if several:
            shared = {pos.get(o, "") for o in e.order_ids}
            po_number, po_date = (shared.pop(), po_date) if len(shared) == 1 else ("", None)
        doc = InvoiceDocument(
            invoice_id=e.invoice_id,
            invoice_date=e.invoice_date,
            order_id=e.order_id,
            order_ids=e.order_ids,
            po_number=po_number,
            po_date=po_date,
            currency=e.total.currency,
            lines=tuple(
                InvoiceItem(
                    line_no=ln.line_no,
                    product_id=ln.product_id,
                    quantity=ln.quantity,
                    uom=ln.uom,
                    unit_price=ln.unit_price,
                    amount=ln.amount,
                    po_number=pos.get(ln.order_id or e.order_id, "") if several else "",
                )
                for ln in e.lines
            ),
            tax=e.tax.amount,
            taxes=tuple(TaxItem(tax_type=tax_type(t.name, t.jurisdiction), amount=t.amount.amount,
                                rate=t.rate, certificate_id=t.certificate_id)
                        for t in e.tax_lines),
            terms=terms,
            discount=e.discount.amount,
            discount_date=e.discount_date,
            due_date=e.due_date,
            bill_to=bill_to,
            ship_to=ship_to,
            remit_to=remit_to,
        )
        if doc.total != e.total.amount:
            raise ValueError(
                f"invoice {e.invoice_id}: lines and tax make {doc.total}, the event says {e.total}"
            )
        return doc
