"""Canonical messages for warehouse events the engine does not handle yet.

Strict like :mod:`o2c.adapters.canonical` (frozen, extra fields refused), so
wiring one is a matter of a ``command()`` and an entry in ``canonical.KINDS``.
Until then the normalizers return them as informational (see
:attr:`o2c.adapters.sources.common.Normalized.informational`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from o2c.adapters.canonical import Qty, Text

__all__ = ["SOURCE_KINDS", "FulfilmentExceptionIn", "PickConfirmedIn", "PickedLineIn"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PickedLineIn(_Model):
    line_no: int = Field(ge=1)
    product_id: Text
    lot_id: str = "-"
    quantity: Qty


class PickConfirmedIn(_Model):
    """kind ``pick_confirmed``: the warehouse picked (some of) an order's lines.

    To wire it the engine needs a ``RecordPick`` command and a ``PickConfirmed``
    event (no state change beyond a timestamp: it lets KPIs split release-to-ship
    time into waiting for pick and waiting for the truck); a pick with another
    lot than allocated should re-point the allocation."""

    order_id: Text
    warehouse_id: Text
    picked_at: datetime
    lines: list[PickedLineIn] = Field(min_length=1)


class FulfilmentExceptionIn(_Model):
    """kind ``fulfilment_exception``: the warehouse cannot fulfil as allocated
    (short pick, damaged, lot missing). ``code`` is the source's own exception
    code, kept verbatim; ``reason`` its text.

    To wire it the engine needs a ``ReportFulfilmentException`` command that
    places a ``FUL-QTY-MISMATCH`` (or ``INV-LOT-UNAVAILABLE``) hold for
    ``warehouse_ops`` on the order, naming the lines."""

    order_id: Text
    warehouse_id: Text
    reported_at: datetime
    code: Annotated[str, Field(min_length=1, max_length=40)]
    reason: str = ""
    lines: list[PickedLineIn] = []


#: The kinds defined here, for the engine to wire (``kind -> model``).
SOURCE_KINDS: dict[str, type[BaseModel]] = {
    "pick_confirmed": PickConfirmedIn,
    "fulfilment_exception": FulfilmentExceptionIn,
}
