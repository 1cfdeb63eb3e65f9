"""Canonical messages for the inbound kinds the engine does not handle yet.

They follow :mod:`o2c.adapters.canonical` (strict, frozen, extra fields refused) so that wiring
them later is a matter of adding a ``command()`` and an entry in ``KINDS``; until then the EDI
maps produce them and tests hold the maps to these shapes.  :data:`EXT_KINDS` lists them.

What the engine must do to wire each one is in the class docstrings.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from o2c.adapters.canonical import Amount, Qty, Text

__all__ = [
    "EXT_KINDS",
    "AdjustmentIn",
    "InventoryAdviceIn",
    "InventoryItemIn",
    "LineChange",
    "OrderChangeIn",
    "OrderChangeLineIn",
    "ShipmentStatusIn",
    "StatusEventIn",
]

Code = Annotated[str, Field(min_length=1, max_length=3)]
Stock = Annotated[Decimal, Field(max_digits=18, decimal_places=6)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LineChange(StrEnum):
    """What an 860 asks of one line (POC02, code list 670, folded into o2c's vocabulary)."""

    ADD = "add"
    CANCEL = "cancel"
    CHANGE_QUANTITY = "change_quantity"
    CHANGE_DATE = "change_date"
    CHANGE_PRICE = "change_price"
    REPLACE = "replace"
    NO_CHANGE = "no_change"


class OrderChangeLineIn(_Model):
    """One POC line.  ``quantity`` is the new ordered quantity (POC03), ``quantity_left``
    what the buyer still expects to receive (POC04); ``change_code`` keeps POC02 verbatim."""

    line_no: int = Field(ge=1)
    changes: list[LineChange] = Field(min_length=1)
    change_code: Code
    product_id: str | None = None
    quantity: Qty | None = None
    quantity_left: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)] | None = None
    uom: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    unit_price: Amount | None = None
    requested_date: date | None = None


class OrderChangeIn(_Model):
    """kind ``order_change``: a buyer's change to a PO it sent before (X12 860).

    ``purpose`` is ``change`` (BCH01 04), ``replace`` (05: the lines restate the order) or
    ``cancel`` (01: the whole PO).  To wire it the engine needs a ``ChangeOrder`` command that
    finds the order by (customer, PO number), refuses changes once the order is released to
    the warehouse (a hold for customer service), re-runs validation, credit and allocation for
    changed lines, and answers with an 855 (``IC`` lines) through the outbox.
    """

    legal_entity_id: Text
    customer_id: Text
    po_number: Text
    purpose: Annotated[str, Field(pattern=r"^(change|replace|cancel)$")]
    change_sequence: str = ""
    order_date: date | None = None
    change_date: date | None = None
    requested_date: date | None = None
    lines: list[OrderChangeLineIn] = []


class StatusEventIn(_Model):
    """One AT7 status: the code (AT701, e.g. ``X6`` en route), its reason, when and where."""

    code: Code
    reason: str = ""
    appointment_code: str = ""
    at: datetime | None = None
    city: str = ""
    region: str = ""
    country: str = ""


class ShipmentStatusIn(_Model):
    """kind ``shipment_status``: a carrier's milestones short of delivery (X12 214).

    To wire it the engine needs a ``RecordShipmentStatus`` command that appends the statuses to
    the shipment (a ``ShipmentStatusReported`` event for track-and-trace and the late-ship KPI)
    and raises ``FUL-LATE-SHIP`` when an exception status (e.g. ``SD`` delayed) arrives.
    """

    shipment_id: Text
    order_id: str = ""
    carrier: str = ""
    tracking_no: str = ""
    statuses: list[StatusEventIn] = Field(min_length=1)


class InventoryItemIn(_Model):
    """One LIN of an 846: the product, its lot, and its quantities by QTY01 qualifier
    (``quantities``); ``on_hand`` (17) and ``available`` (33) are lifted out when present."""

    product_id: Text
    lot_id: str = "-"
    uom: str = ""
    on_hand: Stock | None = None
    available: Stock | None = None
    quantities: dict[str, Stock] = {}


class InventoryAdviceIn(_Model):
    """kind ``inventory_advice``: a warehouse's (or 3PL's) stock position (X12 846).

    To wire it the engine needs a ``ReconcileInventory`` command that compares the advice with
    its own on-hand per warehouse/product/lot and records the difference as an adjustment
    event (never silently overwriting allocations), raising a hold for ``warehouse_ops`` above
    a policy tolerance; ATP then follows from the reconciled on-hand.
    """

    warehouse_id: Text
    advice_id: str = ""
    as_of: date | None = None
    items: list[InventoryItemIn] = Field(min_length=1)


class AdjustmentIn(_Model):
    """One 820 ADX: an amount the payer deducted or added, with its reason code (ADX02).

    Kept beside a ``payment`` message (``Mapped.extras["adjustments"]``) until
    ``PaymentIn`` grows ``adjustments: list[AdjustmentIn] = []``; cash application then turns
    each into a deduction case (``CSH-SHORT-PAY``) instead of leaving the difference unapplied.
    """

    invoice_id: str = ""
    amount: Amount
    reason_code: Code
    reference_qualifier: str = ""
    reference: str = ""


EXT_KINDS: dict[str, type[Any]] = {
    "order_change": OrderChangeIn,
    "shipment_status": ShipmentStatusIn,
    "inventory_advice": InventoryAdviceIn,
}
