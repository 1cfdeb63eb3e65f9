"""Canonical messages for warehouse events beyond shipments: picks and exceptions.

They are wired into the engine and defined in :mod:`o2c.adapters.canonical` (``KINDS``);
they are imported here for the normalizers and callers that knew them from this module.
"""

from __future__ import annotations

from pydantic import BaseModel

from o2c.adapters.canonical import FulfilmentExceptionIn, PickConfirmedIn, PickedLineIn

__all__ = ["SOURCE_KINDS", "FulfilmentExceptionIn", "PickConfirmedIn", "PickedLineIn"]

#: The warehouse kinds the normalizers produce besides ``shipment`` (``kind -> model``).
SOURCE_KINDS: dict[str, type[BaseModel]] = {
    "pick_confirmed": PickConfirmedIn,
    "fulfilment_exception": FulfilmentExceptionIn,
}
