"""Canonical messages for inbound kinds the EDI maps produce and the engine does not handle yet.

They follow :mod:`o2c.adapters.canonical` (strict, frozen, extra fields refused), so wiring one
is a matter of a ``command()`` and moving it into ``canonical.KINDS``. :data:`EXT_KINDS` lists
the kinds still waiting: none today (860 ``order_change``, 846 ``inventory_advice`` and 214
``shipment_status`` are wired).
"""

from __future__ import annotations

from typing import Any

# Wired into the engine, now defined in o2c.adapters.canonical; imported here for the
# maps and callers that knew them from this module.
from o2c.adapters.canonical import (
    AdjustmentIn,
    InventoryAdviceIn,
    InventoryItemIn,
    LineChange,
    OrderChangeIn,
    OrderChangeLineIn,
    ShipmentStatusIn,
    StatusEventIn,
)

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

EXT_KINDS: dict[str, type[Any]] = {}
