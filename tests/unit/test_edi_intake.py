"""X12 through the runtime: the raw interchange is stored first, split into
canonical messages, applied, and acknowledged with a 997 in the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from o2c import cli, cli_common
from o2c.adapters.edi import build_interchange, write
from o2c.adapters.edi.maps import PartnerDirectory
from o2c.adapters.edi.maps.intake import EdiSplitter, raw_interchange
from o2c.bootstrap import App
from o2c.domain.holds import HoldCode
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import DocumentSplit, Status
from o2c.store.sql import SqlStore
from tests.builders import T0, Harness, seed

PARTNERS_YAML = """
partners:
  - partner_id: acme
    isa_qualifier: ZZ
    isa_id: ACME
    our_isa_qualifier: ZZ
    our_isa_id: O2CDIST
    legal_entity_id: US
    customer_id: C1
    inbound: ["850"]
    outbound: ["997"]
    product_qualifiers: [VP]
    ship_to_map: {"0042": C1-ST1}
"""
PARTNERS = PartnerDirectory.from_mapping(yaml.safe_load(PARTNERS_YAML))


def po_850(po: str, lines: list[tuple[str, str, str, str]], control: int = 7) -> bytes:
    """An 850 from ACME: (qty, unit, price, item) per line."""
    segs = [("BEG", "00", "SA", po, "", "20260302"), ("N1", "ST", "Main dock", "92", "0042")]
    for i, (q, u, p, item) in enumerate(lines, 1):
        segs.append(("PO1", str(i), q, u, p, "", "VP", item))
    segs.append(("CTT", str(len(lines))))
    ic = build_interchange("ACME", "O2CDIST", control, at=T0.replace(tzinfo=None),
                           groups=[("PO", "004010", control, [("850", "0001", segs)])])
    return write(ic).encode()


def test_an_850_becomes_an_order_and_is_acknowledged_with_a_997() -> None:
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    raw = raw_interchange(po_850("PO-77", [("2", "EA", "2.00", "P1")]), T0, name="po77.edi")
    head, outs = h.app.runtime.submit_document(raw, EdiSplitter(PARTNERS))
    assert head.status is Status.APPLIED
    assert [(o.status, o.source, o.source_message_id) for o in outs] == [
        (Status.APPLIED, "edi:acme", "000000007:7:0001")]
    order = h.get(outs[0].correlation_id)
    assert (order.po_number, order.customer_id, order.channel) == ("PO-77", "C1", "edi")
    assert order.status.value == "released"
    acks = [m for m in h.app.store.outbox if m["kind"] == "edi_997"]
    assert len(acks) == 1 and acks[0]["destination"] == "edi:acme"
    assert "AK1*PO*7" in acks[0]["payload"]["x12"] and "AK9*A*1*1*1" in acks[0]["payload"]["x12"]
    assert h.app.store.inbox[("edi", raw.source_message_id)]["message"].body.startswith("ISA*")


def test_the_same_file_twice_is_one_document_and_changes_nothing() -> None:
    h = Harness()
    seed(h.app)
    data = po_850("PO-78", [("1", "EA", "2.00", "P1")])
    first = h.app.runtime.submit_document(raw_interchange(data, T0), EdiSplitter(PARTNERS))
    events = len(h.app.store.events)
    head, outs = h.app.runtime.submit_document(raw_interchange(data, T0), EdiSplitter(PARTNERS))
    assert first[0].status is Status.APPLIED
    assert head.status is Status.DUPLICATE and outs == []
    assert len(h.app.store.events) == events


def test_an_unreadable_file_is_kept_whole_in_the_dead_letter_queue() -> None:
    h = Harness()
    seed(h.app)
    head, outs = h.app.runtime.submit_document(raw_interchange(b"this is not X12", T0), EdiSplitter(PARTNERS))
    assert head.status is Status.DEAD_LETTERED and head.code == "INT-PARSE-ERROR"
    assert outs == []
    [letter] = h.dead_letters()
    assert letter.body == "this is not X12" and letter.kind == "x12"


def test_an_unknown_item_in_an_850_stops_the_order_on_a_hold_not_the_file() -> None:
    h = Harness()
    seed(h.app)
    head, outs = h.app.runtime.submit_document(
        raw_interchange(po_850("PO-79", [("1", "EA", "2.00", "NOPE")]), T0), EdiSplitter(PARTNERS))
    assert head.status is Status.APPLIED
    order = h.get(outs[0].correlation_id)
    assert [x.code for x in order.open_holds] == [HoldCode.VAL_ITEM_UNKNOWN]


def test_an_interchange_from_an_unknown_sender_is_parked_and_applies_once_the_partner_is_set_up() -> None:
    h = Harness()
    seed(h.app)
    nobody = PartnerDirectory.from_mapping({"partners": []})
    head, _ = h.app.runtime.submit_document(raw_interchange(po_850("PO-80", [("1", "EA", "2.00", "P1")]), T0),
                                            EdiSplitter(nobody))
    assert head.status is Status.DEAD_LETTERED and head.code == "INT-UNKNOWN-REFERENCE"
    assert "no configured trading partner" in head.reason
    out = h.app.runtime.replay(head.dead_letter_id, splitters={"x12": EdiSplitter(PARTNERS)})
    assert out.status is Status.APPLIED and out.reason == "1 message(s), 0 dead-lettered"
    assert h.dead_letters() == []
    assert h.app.store.orders["SO-00000001"].po_number == "PO-80"


def batch_850(count: int, control: int = 9) -> bytes:
    """One interchange from ACME holding ``count`` one-line 850s, as a VAN batch file."""
    sets = [("850", n, [("BEG", "00", "SA", f"PO-B{n}", "", "20260302"),
                        ("N1", "ST", "Main dock", "92", "0042"),
                        ("PO1", "1", "1", "EA", "2.00", "", "VP", "P1"), ("CTT", "1")])
            for n in range(1, count + 1)]
    ic = build_interchange("ACME", "O2CDIST", control, at=T0.replace(tzinfo=None),
                           groups=[("PO", "004010", control, sets)])
    return write(ic).encode()


def test_a_file_larger_than_a_transaction_is_applied_in_bounded_ones_and_marked_applied_last() -> None:
    # Given a runtime that applies at most 3 messages of a document per transaction
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    h.app.runtime.document_chunk = 3
    raw = raw_interchange(batch_850(8), T0, name="batch.edi")
    key = ("edi", raw.source_message_id)
    commits: list[tuple[int, str]] = []  # (messages of the file in the inbox, the file's status)
    factory = h.app.runtime.uow_factory

    def counting() -> object:
        uow = factory()
        commit = uow.commit

        def recorded() -> None:
            commit()
            parts = sum(1 for row in h.app.store.inbox.values() if row["message"].document)
            commits.append((parts, h.app.store.inbox[key]["status"]))

        uow.commit = recorded  # type: ignore[method-assign]
        return uow

    h.app.runtime.uow_factory = counting  # type: ignore[assignment]
    # When a file of 8 orders comes in
    head, outs = h.app.runtime.submit_document(raw, EdiSplitter(PARTNERS))
    # Then every order is applied, three at a time, and the file is applied with its last order only
    assert head.status is Status.APPLIED
    assert [o.status for o in outs] == [Status.APPLIED] * 8
    assert commits == [(3, "received"), (6, "received"), (8, "applied")]
    [ack] = [m for m in h.app.store.outbox if m["kind"] == "edi_997"]
    assert "AK9*A*8*8*8" in ack["payload"]["x12"]
    # And the same file again changes nothing
    again, more = h.app.runtime.submit_document(raw_interchange(batch_850(8), T0), EdiSplitter(PARTNERS))
    assert again.status is Status.DUPLICATE and more == []


def test_a_large_file_s_messages_are_taken_from_its_split_a_transaction_at_a_time() -> None:
    # Given a runtime that applies at most 3 messages of a document per transaction, and a
    # splitter whose messages are made as they are asked for
    h = Harness()
    seed(h.app)
    h.stock("P1", "100")
    h.app.runtime.document_chunk = 3
    ahead: list[int] = []  # per message made: how many of the file's messages were not yet stored

    def lazily(raw: InboundMessage) -> DocumentSplit:
        split = EdiSplitter(PARTNERS)(raw)

        def made() -> Iterator[InboundMessage]:
            for n, m in enumerate(split.messages, 1):
                ahead.append(n - sum(1 for row in h.app.store.inbox.values() if row["message"].document))
                yield m

        return replace(split, messages=made())

    # When a file of 20 orders comes in
    head, outs = h.app.runtime.submit_document(raw_interchange(batch_850(20), T0), lazily)
    # Then every order is applied, and no more than one transaction's worth (and the one after,
    # which says whether another follows) was ever made ahead of what was stored
    assert head.status is Status.APPLIED
    assert [o.status for o in outs] == [Status.APPLIED] * 20
    assert len(ahead) == 20 and max(ahead) <= 3 + 1


def test_o2c_ingest_keeps_no_more_than_a_one_shot_cache_of_orders_between_transactions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a database with master data and stock, and a file of 30 orders
    db = tmp_path / "o2c.db"
    h = Harness(f"sqlite:///{db}")
    seed(h.app)
    h.stock("P1", "100")
    h.app.close()
    (tmp_path / "batch.edi").write_bytes(batch_850(30))
    (tmp_path / "partners.yaml").write_text(PARTNERS_YAML)
    opened: list[App] = []
    real = cli_common.bootstrap

    def bootstrap(*args: Any, **kwargs: Any) -> App:
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(cli_common, "bootstrap", bootstrap)  # what every command opens the database with
    monkeypatch.setattr(cli, "ONE_SHOT_CACHE", 10)
    # When o2c ingest takes it in
    cli.app(["ingest", str(tmp_path / "batch.edi"), "--config", str(tmp_path / "partners.yaml"),
             "--db", str(db)], standalone_mode=False)
    # Then every order is in, and the store kept at most the one-shot cache's 10 of them in memory
    [app] = opened
    with app.store.unit_of_work() as uow:
        assert all(uow.inbox.status("edi:acme", f"000000009:9:{n:04d}") == "applied" for n in range(1, 31))
    assert isinstance(app.store, SqlStore) and 0 < len(app.store.caches["orders"].entries) <= 10
