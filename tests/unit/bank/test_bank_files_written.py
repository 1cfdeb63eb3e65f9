"""Specification: the bank files the simulated distributor's banks write are read back by o2c's
own readers as the same payments: amounts, currency, value date, payer, invoices named and
free text; a BAI2 file's trailers add up and a lockbox check's rows are one payment."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.adapters.bank import read_bai2, read_camt, read_lockbox
from o2c.sim.bankfiles import Credit, Line, bai2_file, camt054, lockbox_csv, wrap

DAY = date(2026, 3, 2)
AT = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)


def _clean(read: Any) -> list[dict[str, Any]]:
    assert read.errors == [] and read.rejects == [] and read.warnings == []
    return read.payments


def _lines(p: dict[str, Any]) -> list[tuple[str, Decimal | None]]:
    return [(r["invoice_id"], Decimal(r["amount"]) if "amount" in r else None) for r in p["references"]]


def test_a_lockbox_file_gives_one_payment_per_check_with_its_rows_as_references() -> None:
    checks = [
        Credit(reference="10442", amount=Decimal("1500.00"), currency="USD", value_date=DAY,
               payer_name="Oak Clinic 7", payer_account="021000021/4412", customer_id="C1007",
               lines=(Line(invoice_id="US01-0000123", amount=Decimal("1000.00"), discount=Decimal("20.00")),
                      Line(invoice_id="US01-0000124", amount=Decimal("500.00")))),
        Credit(reference="88", amount=Decimal("240.10"), currency="USD", value_date=DAY,
               payer_name="Summit Care 12", customer_id="C1012", lines=()),  # a check naming no invoice
    ]
    text = lockbox_csv(checks, deposit_date=DAY, lockbox="7071")
    first, second = _clean(read_lockbox(text, file_name="lb.csv"))
    assert (first["amount"], first["customer_id"], first["payer_name"]) == (
        "1500.00", "C1007", "Oak Clinic 7")
    assert first["payer_account"] == "021000021/4412" and first["value_date"] == "2026-03-02"
    assert first["references"] == [{"invoice_id": "US01-0000123", "amount": "1000.00", "discount": "20.00"},
                                   {"invoice_id": "US01-0000124", "amount": "500.00"}]
    assert (second["amount"], second["customer_id"], second["references"]) == ("240.10", "C1012", [])
    assert first["payment_id"].startswith("lockbox:2026-03-02:7071:1/1:10442:")


def test_a_lockbox_file_in_the_banks_own_headers_and_delimiter_reads_with_its_configuration() -> None:
    columns = {"deposit_date": "Deposit Date", "check_number": "Check No", "check_amount": "Check Amt",
               "invoice_id": "Invoice", "amount_paid": "Paid"}
    check = Credit(reference="5", amount=Decimal("1250.00"), currency="USD", value_date=DAY,
                   lines=(Line(invoice_id="US01-0000009", amount=Decimal("1250.00")),))
    text = lockbox_csv([check], deposit_date=DAY, lockbox="1", columns=columns, delimiter=";")
    assert text.startswith("Deposit Date;lockbox;batch;item;Check No;")
    payment, = _clean(read_lockbox(text, file_name="lb.csv", columns=columns, delimiter=";"))
    assert _lines(payment) == [("US01-0000009", Decimal("1250.00"))]


def test_a_bai2_file_carries_each_credit_with_its_text_continued_in_88_records() -> None:
    long_text = "OAK HEALTH PAYMENT FOR INVOICES " + " ".join(f"US01-{n:07d}" for n in range(100, 112))
    credits = [
        Credit(reference="0001", amount=Decimal("1234.56"), currency="USD", value_date=DAY,
               text="MERCY CLINIC INV US01-0000123"),
        Credit(reference="0002", amount=Decimal("99999.01"), currency="USD", value_date=date(2026, 3, 1),
               text=long_text, type_code=195),
        Credit(reference="0003", amount=Decimal("0.01"), currency="USD", value_date=DAY, type_code=399),
    ]
    text = bai2_file(credits, sender="021000021", receiver="NORTHWIND", bank="021000021",
                     account="5550001234", currency="USD", as_of=DAY, created=AT, file_id="0302",
                     opening=Decimal("10000.00"))
    records = text.splitlines()
    assert [r[:2] for r in records[:3]] == ["01", "02", "03"] and "88" in [r[:2] for r in records]
    assert all(len(r) <= 80 for r in records)
    payments = _clean(read_bai2(text, file_name="d.bai"))
    assert [(p["amount"], p["text"], p["method"], p["value_date"]) for p in payments] == [
        ("1234.56", "MERCY CLINIC INV US01-0000123", "ach", "2026-03-02"),
        ("99999.01", long_text, "wire", "2026-03-01"),
        ("0.01", "", "other", "2026-03-02")]
    assert payments[0]["payment_id"] == "bai2:021000021:5550001234:2026-03-02:0001:165:123456"


def test_a_camt054_carries_the_debtor_and_the_remittance_structured_and_unstructured() -> None:
    credits = [
        Credit(reference="NTF-1", amount=Decimal("500.25"), currency="CAD", value_date=DAY,
               payer_name="Lakeside Pharmacy 15", payer_account="00012-004-7654321",
               lines=(Line(invoice_id="CA01-0000015", amount=Decimal("300.25")),
                      Line(invoice_id="CA01-0000016"))),
        Credit(reference="NTF-2", amount=Decimal("80.00"), currency="CAD", value_date=DAY,
               payer_name="Valley Care 20", text="PAIEMENT FACTURE CA01-0000020"),
    ]
    data = camt054(credits, message_id="N20260302", created=AT, account="00012-001-1234567",
                   currency="CAD", owner="Northwind Supply Canada Ltd.")
    assert b"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08" in data
    first, second = _clean(read_camt(data, file_name="n.xml"))
    assert (first["amount"], first["currency"], first["payer_name"], first["payer_account"]) == (
        "500.25", "CAD", "Lakeside Pharmacy 15", "00012-004-7654321")
    assert _lines(first) == [("CA01-0000015", Decimal("300.25")), ("CA01-0000016", None)]
    assert (second["text"], second["references"], second["value_date"]) == (
        "PAIEMENT FACTURE CA01-0000020", [], "2026-03-02")
    assert first["payment_id"] == "camt:00012-001-1234567:NTF-1"


# ---------------------------------------------------------------- properties

cents = st.integers(1, 10**9)
words = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.#", min_size=1, max_size=24)
texts = st.lists(words, max_size=30).map(" ".join).filter(lambda t: not re.search(r"/\s+\d\d,", t))
invoice_lines = st.lists(st.tuples(st.integers(1, 10**7 - 1).map(lambda n: f"US01-{n:07d}"),
                                   st.one_of(st.none(), cents)), max_size=5)


def _credit(n: int, amount: int, text: str, lines: list[tuple[str, int | None]], currency: str) -> Credit:
    return Credit(reference=f"R{n:05d}", amount=Decimal(amount) / 100, currency=currency, value_date=DAY,
                  payer_name=f"PAYER {n}", payer_account=f"{n:09d}/{n * 7}", customer_id=f"C{n}",
                  lines=tuple(Line(invoice_id=i, amount=None if a is None else Decimal(a) / 100)
                              for i, a in lines),
                  text=text, type_code=(165, 175, 195, 399)[n % 4])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(cents, texts), max_size=40))
def test_every_credit_written_to_a_bai2_file_reads_back_for_its_amount_and_text(given_: list[Any]) -> None:
    credits = [_credit(n, a, t, [], "USD") for n, (a, t) in enumerate(given_)]
    text = bai2_file(credits, sender="S", receiver="R", bank="B", account="A1", currency="USD", as_of=DAY,
                     created=AT, file_id="1")
    payments = _clean(read_bai2(text, file_name="p.bai"))
    assert [(Decimal(p["amount"]), p["text"]) for p in payments] == [(c.amount, " ".join(c.text.split()))
                                                                    for c in credits]
    assert len({p["payment_id"] for p in payments}) == len(credits)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(cents, texts, invoice_lines), max_size=25), st.sampled_from(["CAD", "USD"]))
def test_every_credit_written_to_a_camt054_reads_back_with_its_payer_and_references(given_: list[Any],
                                                                                   currency: str) -> None:
    credits = [_credit(n, a, t, lines, currency) for n, (a, t, lines) in enumerate(given_)]
    data = camt054(credits, message_id="M", created=AT, account="ACC", currency=currency, owner="Us")
    payments = _clean(read_camt(data, file_name="n.xml"))
    assert [(Decimal(p["amount"]), p["currency"], p["payer_name"], p["text"], _lines(p))
            for p in payments] == [(c.amount, currency, c.payer_name, " ".join(c.text.split()),
                                    [(k.invoice_id, k.amount) for k in c.lines]) for c in credits]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(cents, invoice_lines), min_size=1, max_size=60))
def test_every_check_written_to_a_lockbox_file_reads_back_as_one_payment(given_: list[Any]) -> None:
    checks = [_credit(n, a, "", lines, "USD") for n, (a, lines) in enumerate(given_)]
    text = lockbox_csv(checks, deposit_date=DAY, lockbox="9", batch_size=25)
    read = read_lockbox(text, file_name="lb.csv")
    assert read.errors == [] and read.rejects == []
    assert [(Decimal(p["amount"]), p["customer_id"], p["payer_name"], _lines(p)) for p in read.payments] == [
        (c.amount, c.customer_id, c.payer_name, [(k.invoice_id, k.amount) for k in c.lines]) for c in checks]
    said = [c for c in checks if c.lines and all(k.amount is not None for k in c.lines)]
    assert len(read.warnings) == sum(sum(k.amount or 0 for k in c.lines) != c.amount for c in said)


@given(texts, st.integers(1, 80), st.integers(1, 80))
def test_text_wrapped_into_pieces_joins_back_and_keeps_to_its_widths(text: str, first: int,
                                                                      rest: int) -> None:
    pieces = wrap(text, first, rest)
    assert " ".join(pieces) == " ".join(text.split())
    for i, p in enumerate(pieces):
        assert len(p) <= (first if i == 0 else rest) or " " not in p
