"""Specification: real bank files are read as their authors meant them.

The samples are public files kept beside the checkout (``../shared/samples/bank``), or in the
folder named by ``O2C_BANK_SAMPLES_DIR``; they are not copied into the repository. The expected
values below were read off the files by hand (amounts, type codes, trailers), not off the readers.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from o2c.adapters.bank import BankRead, read_bai2, read_camt


def _samples_dir() -> Path:
    env = os.environ.get("O2C_BANK_SAMPLES_DIR")
    if env:
        return Path(env).resolve()
    return (Path(__file__).resolve().parents[3] / ".." / "shared" / "samples" / "bank").resolve()


SAMPLES = _samples_dir()


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.is_file():
        reason = "public bank samples not found beside the checkout (../shared/samples/bank)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI has them: it must not go green without reading them
        pytest.skip(reason)
    return path.read_bytes()


def clean(read: BankRead) -> BankRead:
    assert read.errors == [] and read.rejects == [] and read.warnings == []
    return read


def test_sample1_canadian_prior_day_two_accounts_credits_only() -> None:
    read = clean(read_bai2(sample("moovio__sample1.bai2.txt").decode(), file_name="sample1"))
    # 108 (credits) taken; the 409s (debits: returned cheques, charges) skipped: 8 + 4
    assert [(p["amount"], p["currency"], p["value_date"], p["text"]) for p in read.payments] == [
        ("2035.00", "CAD", "2006-03-16", "TFR 1020 0345678"),
        ("25.00", "CAD", "2006-03-16", "MACLEOD MALL"),
        ("25.00", "CAD", "2006-03-16", "MASCOUCHE QUE"),
        ("115.00", "CAD", "2006-03-17", "TFR 1020 0345678"),
        ("1000.00", "CAD", "2006-03-17", "MONTREAL")]
    assert read.skipped == 12
    # no bank references: named by the file (sender 0004, created 060321 0829, id 001) and record
    assert read.payments[0]["payment_id"] == "bai2:0004/0603210829/001:10200123456:2006-03-17:r8:108:203500"
    assert len({p["payment_id"] for p in read.payments}) == 5


def test_sample2_four_groups_funds_types_s_v_1_d_and_a_text_only_in_its_88() -> None:
    read = clean(read_bai2(sample("moovio__sample2.bai2.txt").decode(), file_name="sample2"))
    assert [(p["amount"], p["method"]) for p in read.payments] == [
        ("4500.00", "lockbox"), ("5000.00", "lockbox"), ("200000.00", "other"), ("100000.00", "wire")]
    assert all(p["currency"] == "USD" for p in read.payments)  # no currency code: BAI2's default
    letter_of_credit = read.payments[2]
    assert letter_of_credit["payment_id"] == "bai2:122099999:4589761203:2004-06-20:SP4738:218:20000000"
    assert letter_of_credit["references"] == [{"reference": "YRC065321"}]
    assert letter_of_credit["text"] == "PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO"
    assert letter_of_credit["value_date"] == "2004-06-22"
    assert read.payments[1]["text"] == "LOCK BOX NO.68751"
    assert read.skipped == 0


def test_sample3_records_run_together_and_broken_over_lines_with_every_trailer_agreeing() -> None:
    read = clean(read_bai2(sample("moovio__sample3.bai2.txt").decode(), file_name="sample3"))
    amounts = [Decimal(p["amount"]) for p in read.payments]
    assert amounts == [Decimal(a) for a in (
        "25.00", "5.00", "1.00", "25.00", "6.00", "6.00", "2.15", "1.05", "138.55", "115.21", "47.83",
        "23.47", "0.87")]
    assert sum(amounts) == Decimal("397.13")
    assert read.skipped == 13  # the 451s
    wire = read.payments[8]
    assert wire["method"] == "wire" and wire["text"] == (
        "Wire Transfer Credit          VISA INTERNATIONAL            900 METRO CENTER BLVD "
        "FOSTER CITY       CA 94404")
    # the 16 record broken over two physical lines is one record, its 88 after it
    assert read.payments[3]["text"] == "111111     ACH_SETL           1111111111 111111111111111 1111111111"
    # account 11111111 is reported in several 03 blocks: the record number keeps ids apart
    assert len({p["payment_id"] for p in read.payments}) == 13


def test_camt053_minimal_statement_one_credit_with_its_payer_and_creditor_reference() -> None:
    read = clean(read_camt(sample("genkgo__camt053.v2.minimal.xml"), file_name="camt053"))
    [p] = read.payments
    assert p == {
        "payment_id": "camt:NL26VAYB8060476890:253EURNL26VAYB8060476890/1",
        "amount": "8.85", "currency": "EUR", "method": "transfer", "value_date": "2015-01-02",
        "payer_name": "NAME NAME", "payer_account": "NL56AGDH9619008421",
        "references": [{"reference": "4654654654654654"}], "text": ""}


def test_camt054_notification_of_a_debit_gives_no_payment() -> None:
    read = clean(read_camt(sample("genkgo__camt054.v2.xml"), file_name="camt054"))
    assert read.payments == [] and read.skipped == 1


def test_camt054_batch_entry_read_as_a_credit_is_one_payment_with_all_its_remittance() -> None:
    # The same file with its entry turned into a credit: three transactions without amounts of
    # their own (and one EndToEndId for all) are the entry's one payment.
    data = sample("genkgo__camt054.v2.xml").replace(b"<CdtDbtInd>DBIT</CdtDbtInd>",
                                                    b"<CdtDbtInd>CRDT</CdtDbtInd>")
    read = clean(read_camt(data, file_name="camt054"))
    [p] = read.payments
    assert (p["payment_id"], p["amount"], p["currency"], p["value_date"], p["payer_name"]) == (
        "camt:CH2801234000123456789:AAAASESS-FP-ACCR001", "200000", "SEK", "2007-10-18", "MUELLER")
    assert p["references"] == [{"reference": r} for r in (
        "ISR ref number V1", "ISR ref number V2", "Ref number V3 block 1", "Ref number V3 block 2")]
    assert p["text"] == (
        "Unstructured Remittance Information V1 Additional Remittance Information V1 "
        "Additional Remittance Information V2 Unstructured Remittance Information V3 block 1 "
        "Unstructured Remittance Information V3 block 2 Additional Remittance Information V3 block 1 "
        "Additional Remittance Information V3 block 2")
