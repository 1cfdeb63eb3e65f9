"""X12 transaction-set maps: partner documents <-> o2c canonical messages.

Inbound (``read_interchange`` runs them all, or call one map directly):

=====  =====================  =========================================================
set    map                    canonical kind
=====  =====================  =========================================================
850    :func:`map_850`        ``order`` (``OrderIn``)
860    :func:`map_860`        ``order_change`` (``OrderChangeIn``)
856    :func:`map_856`        ``shipment`` (``ShipmentIn``), one per order in the ASN
945    :func:`map_945`        ``shipment`` (``ShipmentIn``)
214    :func:`map_214`        ``delivery`` (``DeliveryIn``) on D1, else ``shipment_status``
846    :func:`map_846`        ``inventory_advice`` (``InventoryAdviceIn``)
820    :func:`map_820`        ``payment`` (``PaymentIn``, with its ADX ``adjustments``)
812    :func:`map_812`        ``dispute`` (``DisputeIn``), one per CDD adjustment
=====  =====================  =========================================================

Every map is pure - ``(transaction_set, partner, *, version) -> MapResult`` - and never raises
on bad input.  Outbound builders return the content segments of one set for
``build_interchange``: :func:`build_855`, :func:`build_940`, :func:`build_856`,
:func:`build_810` (and :func:`check_810` to read an 810's totals back); 997s come from
``read_interchange`` (the codec's ``functional_ack``); :func:`outbound_interchange` and
:func:`ack_interchange` put them in the partner's envelope.
"""

from __future__ import annotations

from o2c.adapters.edi.maps.adjustments_in import map_812
from o2c.adapters.edi.maps.asn_in import map_856
from o2c.adapters.edi.maps.asn_out import build_856
from o2c.adapters.edi.maps.canonical_ext import EXT_KINDS
from o2c.adapters.edi.maps.carrier_in import map_214
from o2c.adapters.edi.maps.changes_in import map_860
from o2c.adapters.edi.maps.documents import (
    AckLine,
    AsnLine,
    AsnShipment,
    Charge,
    InvoiceDocument,
    InvoiceItem,
    LineStatus,
    OrderAcknowledgment,
    Party,
    ReleaseLine,
    TaxItem,
    WarehouseOrder,
)
from o2c.adapters.edi.maps.inbound import (
    INBOUND_MAPS,
    MODELS,
    CanonicalMessage,
    FunctionalAck,
    InboundBatch,
    SetOutcome,
    read_interchange,
)
from o2c.adapters.edi.maps.inventory_in import map_846
from o2c.adapters.edi.maps.invoice_out import InvoiceCheck, build_810, check_810
from o2c.adapters.edi.maps.orders_in import map_850
from o2c.adapters.edi.maps.orders_out import build_855, build_940
from o2c.adapters.edi.maps.outbound import FUNCTIONAL_IDS, ack_interchange, outbound_interchange
from o2c.adapters.edi.maps.partners import PartnerConfigError, PartnerDirectory, TradingPartner
from o2c.adapters.edi.maps.payments_in import map_820
from o2c.adapters.edi.maps.result import MapCode, MapError, Mapped, MapResult
from o2c.adapters.edi.maps.warehouse_in import map_945

__all__ = [
    "EXT_KINDS",
    "FUNCTIONAL_IDS",
    "INBOUND_MAPS",
    "MODELS",
    "AckLine",
    "AsnLine",
    "AsnShipment",
    "CanonicalMessage",
    "Charge",
    "FunctionalAck",
    "InboundBatch",
    "InvoiceCheck",
    "InvoiceDocument",
    "InvoiceItem",
    "LineStatus",
    "MapCode",
    "MapError",
    "MapResult",
    "Mapped",
    "OrderAcknowledgment",
    "PartnerConfigError",
    "PartnerDirectory",
    "Party",
    "ReleaseLine",
    "SetOutcome",
    "TaxItem",
    "TradingPartner",
    "WarehouseOrder",
    "ack_interchange",
    "build_810",
    "build_855",
    "build_856",
    "build_940",
    "check_810",
    "map_214",
    "map_812",
    "map_820",
    "map_846",
    "map_850",
    "map_856",
    "map_860",
    "map_945",
    "outbound_interchange",
    "read_interchange",
]
