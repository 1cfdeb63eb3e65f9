"""Specification: trading partners load from plain mappings and are found by their envelope ids."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml

from o2c.adapters.edi import build_interchange
from o2c.adapters.edi.maps import PartnerConfigError, PartnerDirectory, TradingPartner

from .support import AT, directory

MINIMAL = {
    "partner_id": "acme",
    "isa_qualifier": "ZZ",
    "isa_id": "ACME",
    "our_isa_id": "O2CDIST",
    "legal_entity_id": "LE-US",
    "customer_id": "C-ACME",
    "inbound": ["850"],
}


def test_a_minimal_partner_gets_the_documented_defaults() -> None:
    p = TradingPartner.from_mapping(MINIMAL)
    assert p.gs_ids == ("ACME",) and p.our_gs_id == "O2CDIST" and p.our_isa_qualifier == "ZZ"
    assert p.version == "004010" and p.outbound == frozenset({"997"}) and p.send_997
    assert p.product_qualifiers == ("VP", "BP", "UP", "IN") and p.currency == "USD"
    assert p.source == "edi:acme"


def test_every_bad_field_is_reported_with_its_path() -> None:
    # Given a YAML entry with an unquoted numeric qualifier, an unknown set and an empty unit
    text = """
partners:
  - partner_id: acme
    isa_qualifier: 12
    isa_id: ACME
    our_isa_id: O2CDIST
    legal_entity_id: LE-US
    customer_id: C-ACME
    inbound: ["850", "999"]
    uom_map: {CA: ""}
    colour: blue
"""
    # When it is loaded
    with pytest.raises(PartnerConfigError) as caught:
        PartnerDirectory.from_mapping(yaml.safe_load(text))
    # Then each problem names its path
    paths = [path for path, _ in caught.value.problems]
    assert paths == [
        "partners[0].isa_qualifier",
        "partners[0].inbound[1]",
        "partners[0].uom_map.CA",
        "partners[0].colour",
    ]
    assert "valid string" in caught.value.problems[0][1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer_id": None}, "need customer_id or customer_map"),
        ({"inbound": ["945"]}, "need warehouse_id or warehouse_map"),
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"version": "003010"}, "Input should be '004010' or '005010'"),
    ],
)
def test_incoherent_settings_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(PartnerConfigError) as caught:
        TradingPartner.from_mapping({**MINIMAL, **change})
    assert message in str(caught.value)


def test_two_partners_may_not_share_an_isa_identity() -> None:
    a = TradingPartner.from_mapping(MINIMAL)
    b = TradingPartner.from_mapping({**MINIMAL, "partner_id": "acme-2", "isa_id": "acme  "})
    with pytest.raises(PartnerConfigError, match="ISA qualifier and id"):
        PartnerDirectory([a, b])


def test_a_partner_is_found_by_its_isa_id_whatever_the_padding_and_case() -> None:
    found = directory().by_isa("12", "4405197800     ")
    assert found is not None and found.partner_id == "xyz-retail"
    assert directory().by_isa("zz", "acme") is directory().get("acme")


def test_a_partner_is_found_by_gs_sender_when_the_isa_is_a_van_s() -> None:
    # Given an interchange whose ISA names a VAN, but whose GS02 is ACME's application code
    ic = build_interchange("SOMEVAN", "O2CDIST", 1, at=AT, groups=[("PO", "004010", 1, [])])
    ic = replace(ic, groups=(replace(ic.groups[0], sender="ACMEAP"),))
    found = directory().identify(ic)
    assert found is not None and found.partner_id == "acme"


def test_partner_codes_without_a_mapping_pass_through_for_the_engine_to_hold() -> None:
    p = directory().get("acme")
    assert p is not None
    assert p.ship_to_for("0042") == "ST-ACME-42" and p.ship_to_for("9999") == "9999"
    assert p.customer_for(("unknown-buyer",)) == "C-ACME"
    assert (
        TradingPartner.from_mapping(
            {**MINIMAL, "customer_id": None, "customer_map": {"B1": "C1"}}
        ).customer_for(("B2",))
        == "B2"
    )
    assert p.x12_uom("CS") == "CA" and p.x12_uom("KG") == "KG"
