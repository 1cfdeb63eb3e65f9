"""Shared helpers: every produced body must validate against its canonical model."""

from __future__ import annotations

from typing import Any

from o2c.adapters.canonical import KINDS
from o2c.adapters.sources import SOURCE_KINDS, Normalized


def validated(result: Normalized) -> list[Any]:
    """Each produced message's body, parsed by the model of its kind (raises if it does not fit)."""
    models = {**KINDS, **SOURCE_KINDS}
    return [models[e.message.kind].model_validate_json(e.message.body) for e in result.events]
