"""Source-system normalizers: each WMS, TMS or carrier speaks its own dialect
(field names, status codes, time conventions); a normalizer maps it, BY
CONFIGURATION (``configs/*.yaml``, loaded with :mod:`importlib.resources`), into
canonical messages for the engine: ``shipment``, ``delivery``, ``pick_confirmed``
and ``fulfilment_exception``.

Every normalizer returns a :class:`~.common.Normalized` (events and precise
errors), never raises on bad input. Submit ``result.messages``.
"""

from o2c.adapters.sources.carrier import CarrierConfig, normalize_carrier
from o2c.adapters.sources.common import ConfigError, Meaning, Normalized, SourceError, SourceEvent
from o2c.adapters.sources.models import SOURCE_KINDS, FulfilmentExceptionIn, PickConfirmedIn
from o2c.adapters.sources.wms_a import WmsAConfig, normalize_wms_a
from o2c.adapters.sources.wms_b import WmsBConfig, local_to_utc, normalize_wms_b

__all__ = [
    "SOURCE_KINDS",
    "CarrierConfig",
    "ConfigError",
    "FulfilmentExceptionIn",
    "Meaning",
    "Normalized",
    "PickConfirmedIn",
    "SourceError",
    "SourceEvent",
    "WmsAConfig",
    "WmsBConfig",
    "local_to_utc",
    "normalize_carrier",
    "normalize_wms_a",
    "normalize_wms_b",
]
