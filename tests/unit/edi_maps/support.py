"""Shared fixtures of the EDI map specifications: partners, samples, document builders.

The partner directory is written as YAML and read with ``yaml.safe_load``, as deployments
will read it, so the specifications exercise the real loading path.  Samples are the public
files beside the checkout (``../shared/samples/x12``) or in ``O2C_SAMPLES_DIR``; tests that
need one are skipped, saying so, when it is absent.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
import yaml

from o2c.adapters.edi import TransactionSet, build_interchange, parse, write
from o2c.adapters.edi.maps import MODELS, InboundBatch, Mapped, PartnerDirectory, TradingPartner

AT = datetime(2024, 3, 1, 9, 30)

PARTNERS_YAML = """
partners:
  # The sender of the node-x12 850 and 856 samples, taken as a retailer that also ships to us.
  - partner_id: xyz-retail
    isa_qualifier: "12"
    isa_id: "4405197800"
    our_isa_qualifier: "01"
    our_isa_id: "999999999"
    legal_entity_id: LE-US
    customer_id: C-XYZ
    warehouse_id: WH-SOLON
    inbound: ["850", "856"]
    product_qualifiers: [VN, VP, UP]
    ship_to_map: {"0003947268292": ST-SOLON}
  # The sender of the staedi files: an 810 group (which we do not accept) and an 850 group.
  - partner_id: buysnacks
    isa_qualifier: ZZ
    isa_id: SENDERISA
    gs_ids: [SENDERDEPT, "9994935230"]
    our_isa_qualifier: ZZ
    our_isa_id: RECEIVERISA
    legal_entity_id: LE-US
    customer_map: {"999999999": C-SHIPGRP}
    inbound: ["850"]
    product_qualifiers: [VP, IN]
  # The sender of the EdiEngine crossdock ASN: a 3PL whose site 000009 is our WH-CA.
  - partner_id: crossdock-3pl
    isa_qualifier: ZZ
    isa_id: SENDER
    our_isa_qualifier: ZZ
    our_isa_id: RECEIVER
    legal_entity_id: LE-US
    warehouse_map: {"000009": WH-CA}
    inbound: ["856"]
    product_qualifiers: [VP, UP, EN]
  # The payer of the EDI.Net 820 sample (005010).
  - partner_id: mart
    isa_qualifier: "08"
    isa_id: TPTESTUS00
    our_isa_qualifier: ZZ
    our_isa_id: TESTCOMP
    version: "005010"
    legal_entity_id: LE-US
    customer_map: {"1238742000008": C-MART}
    inbound: ["820"]
  # Our own fixtures: a customer trading every order-to-cash set with us.
  - partner_id: acme
    isa_qualifier: ZZ
    isa_id: ACME
    gs_ids: [ACMEAP]
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    our_gs_id: O2CAP
    legal_entity_id: LE-US
    customer_id: C-ACME
    inbound: ["850", "860", "820"]
    outbound: ["855", "856", "810", "997"]
    uom_map: {CA: CS, EA: EA, BX: BX}
    ship_to_map: {"0042": ST-ACME-42}
  # A 3PL running our Chicago warehouse.
  - partner_id: lakeside-3pl
    isa_qualifier: ZZ
    isa_id: LAKESIDE3PL
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: LE-US
    warehouse_id: WH-CHI
    inbound: ["945", "856", "846"]
    outbound: ["940", "997"]
    product_qualifiers: [VN, UP]
    timezone: America/Chicago
  # A carrier reporting shipment status.
  - partner_id: fastfreight
    isa_qualifier: "02"
    isa_id: FFRT
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: LE-US
    inbound: ["214"]
    timezone: America/New_York
"""


@cache
def directory() -> PartnerDirectory:
    return PartnerDirectory.from_mapping(yaml.safe_load(PARTNERS_YAML))


def partner(partner_id: str) -> TradingPartner:
    found = directory().get(partner_id)
    assert found is not None
    return found


def samples_dir() -> Path:
    env = os.environ.get("O2C_SAMPLES_DIR")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "x12"


def sample(name: str) -> bytes:
    path = samples_dir() / name
    if not path.is_file():
        reason = f"public sample {name} not found in {samples_dir()} (set O2C_SAMPLES_DIR to its folder)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI has them: it must not go green without reading them
        pytest.skip(reason)
    return path.read_bytes()


def sample_sets(name: str, set_id: str) -> list[TransactionSet]:
    result = parse(sample(name))
    return [ts for ts in result.transaction_sets() if ts.id == set_id]


FUNCTIONAL = {"850": "PO", "860": "PC", "856": "SH", "945": "SW", "214": "QM", "846": "IB", "820": "RA"}


def inbound_text(
    sender: TradingPartner,
    set_id: str,
    segments: Sequence[Sequence[str]],
    *,
    version: str = "004010",
    control: int = 1,
    group: int = 1,
    set_control: int = 1,
    edit: tuple[str, str] | None = None,
) -> str:
    """An interchange from ``sender`` to us holding one set, as the partner would write it."""
    ic = build_interchange(
        sender.isa_id,
        sender.our_isa_id,
        control,
        at=AT,
        groups=[(FUNCTIONAL[set_id], version, group, [(set_id, set_control, segments)])],
        sender_qualifier=sender.isa_qualifier,
        receiver_qualifier=sender.our_isa_qualifier,
    )
    text = write(ic, newline=True)
    if edit is not None:
        assert edit[0] in text, f"{edit[0]!r} is not in the fixture"
        text = text.replace(*edit)
    return text


def inbound_set(
    sender: TradingPartner,
    set_id: str,
    segments: Sequence[Sequence[str]],
    *,
    version: str = "004010",
    edit: tuple[str, str] | None = None,
) -> TransactionSet:
    """The one transaction set of :func:`inbound_text`, parsed (positions and lines as read)."""
    result = parse(inbound_text(sender, set_id, segments, version=version, edit=edit))
    (ts,) = result.transaction_sets()
    return ts


def ack_lines(batch: InboundBatch, index: int = 0) -> list[str]:
    return ["*".join((s.id, *s.elements)) for s in batch.acks[index].transaction_set.segments]


def assert_canonical(doc: Mapped) -> None:
    """The document's payload validates against the model of its kind."""
    MODELS[doc.kind].model_validate(doc.payload)


def segment_texts(ts: TransactionSet) -> list[str]:
    return ["*".join((s.id, *s.elements)) for s in ts.segments]
