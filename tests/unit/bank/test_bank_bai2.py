"""Specification: a BAI2 file is read into one payment per credit, with its control totals
checked; a bad record parks only its payment, a broken file is parked whole."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from o2c.adapters.bank import read_bai2
from o2c.adapters.canonical import PaymentIn
from o2c.adapters.documents import Integrations
from o2c.adapters.raw import raw_document

# Account total: 03 summaries 100000 + 325000, details 125000 + 200000 + 30000 + 40000 + 50000.
GOOD = """\
01,BANKUS,ACME,260302,0800,7,80,,2/
02,ACME,071000013,1,260301,,USD,2/
03,5551234,,010,+100000,,,100,325000,4,/
16,115,125000,0,BR1,CR-77,LOCKBOX DEPOSIT/
16,195,200000,V,260302,1030,BR2,,WIRE FROM ACME CORP, INV 4711/
88,AND INV 4712/
88,THANK YOU/
16,142,30000,S,10000,10000,10000,BR3,,ACH CREDIT PPD/
16,142,40000,D,2,0,20000,1,20000,BR4,,ACH CREDIT DISTRIBUTED/
16,475,50000,Z,BR5,,CHECK PAID/
49,+870000,9/
98,+870000,1,11/
99,+870000,1,13/
"""


def test_each_credit_is_a_payment_in_the_currency_s_units_and_debits_are_skipped() -> None:
    read = read_bai2(GOOD, file_name="day.bai")
    assert read.errors == [] and read.rejects == [] and read.warnings == []
    assert [(p["amount"], p["currency"], p["method"]) for p in read.payments] == [
        ("1250.00", "USD", "lockbox"), ("2000.00", "USD", "wire"), ("300.00", "USD", "ach"),
        ("400.00", "USD", "ach")]
    assert read.skipped == 1  # the 475 check paid
    for p in read.payments:
        PaymentIn.model_validate(p)


def test_free_text_runs_on_into_88_records_commas_and_all() -> None:
    wire = read_bai2(GOOD, file_name="day.bai").payments[1]
    assert wire["text"] == "WIRE FROM ACME CORP, INV 4711 AND INV 4712 THANK YOU"


def test_funds_types_with_extra_fields_leave_the_references_and_text_in_place() -> None:
    lockbox, wire, spread, distributed = read_bai2(GOOD, file_name="day.bai").payments
    assert lockbox["references"] == [{"reference": "CR-77"}] and lockbox["text"] == "LOCKBOX DEPOSIT"
    assert wire["value_date"] == "2026-03-02"  # V: the value date, not the as-of date
    assert lockbox["value_date"] == "2026-03-01"
    assert spread["text"] == "ACH CREDIT PPD" and spread["payment_id"].endswith(":BR3:142:30000")
    assert distributed["text"] == "ACH CREDIT DISTRIBUTED" and ":BR4:" in distributed["payment_id"]


def test_a_payment_with_a_bank_reference_is_named_by_bank_account_date_and_reference() -> None:
    ids = [p["payment_id"] for p in read_bai2(GOOD, file_name="day.bai").payments]
    assert ids[0] == "bai2:071000013:5551234:2026-03-01:BR1:115:125000"
    # the same credit reported in another file (the next intraday report) is the same payment
    later = GOOD.replace("01,BANKUS,ACME,260302,0800,7", "01,BANKUS,ACME,260302,1400,8")
    assert [p["payment_id"] for p in read_bai2(later, file_name="later.bai").payments] == ids


def test_without_a_bank_reference_the_file_s_identity_and_the_record_name_the_payment() -> None:
    text = GOOD.replace(",BR1,", ",,")
    first = read_bai2(text, file_name="day.bai").payments[0]["payment_id"]
    assert first == "bai2:BANKUS/2603020800/7:5551234:2026-03-01:r4:115:125000"
    assert read_bai2(text, file_name="again.bai").payments[0]["payment_id"] == first
    other_file = text.replace("01,BANKUS,ACME,260302,0800,7", "01,BANKUS,ACME,260303,0800,1")
    assert read_bai2(other_file, file_name="next.bai").payments[0]["payment_id"] != first


def test_an_account_in_another_currency_is_read_in_that_currency_s_minor_units() -> None:
    text = """\
01,BANKJP,ACME,260302,0800,1,,,2/
02,ACME,BANKJP,1,260301,,,2/
03,JP-1,JPY,010,+5000,,/
16,175,120000,,REF-1,,FURIKOMI/
49,+125000,3/
98,+125000,1,5/
99,+125000,1,7/
"""
    [p] = read_bai2(text, file_name="jp.bai").payments
    assert (p["amount"], p["currency"]) == ("120000", "JPY")
    # a group without a currency is in the source's default
    usd = read_bai2(text.replace("03,JP-1,JPY,", "03,JP-1,,"), file_name="x.bai", currency="CAD")
    assert usd.payments[0]["currency"] == "CAD" and usd.payments[0]["amount"] == "1200.00"


def test_a_control_total_that_does_not_add_up_breaks_the_file_with_record_and_field() -> None:
    read = read_bai2(GOOD.replace("49,+870000,9/", "49,+870001,9/"), file_name="day.bai")
    assert [str(e) for e in read.errors] == [
        "day.bai: record 11 (49, line 11), account 5551234 control total (field 1): says 870001, but "
        "the account 5551234's amounts add up to 870000"]


def test_record_counts_and_group_and_file_totals_are_checked_too() -> None:
    wrong = GOOD.replace("98,+870000,1,11/", "98,+870000,2,12/").replace("99,+870000,1,13/",
                                                                          "99,+870001,1,13/")
    problems = [str(e) for e in read_bai2(wrong, file_name="d.bai").errors]
    assert problems == [
        "d.bai: record 12 (98, line 12), number of accounts (field 2): says 2, but the group has 1",
        "d.bai: record 12 (98, line 12), number of records (field 3): says 12, but the group has 11",
        "d.bai: record 13 (99, line 13), file control total (field 1): says 870001, but the file's "
        "amounts add up to 870000"]


def test_a_file_without_its_trailers_or_not_version_2_is_broken() -> None:
    cut = read_bai2(GOOD.split("98,")[0], file_name="cut.bai")
    assert [str(e) for e in cut.errors] == [
        "cut.bai: end of file, record code: expected a 03 account identifier or the 98 group trailer"]
    v3 = read_bai2(GOOD.replace(",7,80,,2/", ",7,80,,3/"), file_name="v3.bai")
    assert "version number (field 8): expected 2 (BAI2), not '3'" in str(v3.errors[0])
    assert read_bai2("ISA*00*\n", file_name="x12.edi").errors[0].at == "line 1"


def test_a_credit_that_cannot_be_read_parks_only_its_payment() -> None:
    text = GOOD.replace("16,195,200000,V,260302,", "16,195,200000,V,260231,")
    read = read_bai2(text, file_name="day.bai")
    assert len(read.payments) == 3 and read.errors == []
    [bad] = read.rejects
    assert [str(p) for p in bad.problems] == [
        "day.bai: record 5 (16, line 5), value date: expected YYMMDD, not '260231'"]
    assert bad.payment_id == "bai2:071000013:5551234:2026-03-01:BR2:195:200000"
    unknown = read_bai2(GOOD.replace("16,142,30000,S,", "16,142,30000,Q,"), file_name="d.bai")
    assert "funds type (field 3): funds type 'Q' is not one of 0, 1, 2, S, V, D, Z" in str(
        unknown.rejects[0].problems[0])


def test_records_run_together_on_a_line_or_broken_over_two_are_read_as_written() -> None:
    squeezed = GOOD.replace("/\n02,", "/   02,").replace(
        "16,115,125000,0,BR1,CR-77,LOCKBOX DEPOSIT/", "16,115,125000,0,BR1,CR-77,LOCKBOX\nDEPOSIT/")
    read = read_bai2(squeezed, file_name="squeezed.bai")
    assert read.errors == []
    assert read.payments[0]["text"] == "LOCKBOX DEPOSIT"
    assert [p["payment_id"] for p in read.payments][1:] == [
        p["payment_id"] for p in read_bai2(GOOD, file_name="d.bai").payments][1:]


def test_the_splitter_parks_a_broken_file_whole_and_a_bad_payment_alone() -> None:
    split = Integrations().splitters()["bai2"]
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    broken = split(raw_document(GOOD.replace("49,+870000,9/", "49,+1,9/").encode(), source="bank",
                                kind="bai2", received_at=at, name="day.bai"))
    assert broken.problem is not None and broken.problem[0] == "INT-PARSE-ERROR"
    assert "day.bai: record 11 (49, line 11)" in broken.problem[1] and list(broken.messages) == []
    one_bad = split(raw_document(GOOD.replace("V,260302,", "V,261302,").encode(), source="bank",
                                 kind="bai2", received_at=at, name="day.bai"))
    assert one_bad.problem is None
    assert [m.kind for m in one_bad.messages] == ["payment"] * 3
    [reject] = one_bad.rejects
    assert reject.message.kind == "payment" and reject.code == "INT-PARSE-ERROR"
    assert "value date: expected YYMMDD" in reject.reason
    assert Decimal(PaymentIn.model_validate_json(
        next(iter(split(raw_document(GOOD.encode(), source="bank", kind="bai2", received_at=at))
                  .messages)).body).amount) == Decimal("1250.00")


def test_a_bank_reference_given_twice_parks_the_second_payment_under_its_own_id() -> None:
    twice = GOOD.replace(",BR2,", ",BR1,").replace("16,195,200000,", "16,115,125000,")
    for trailer in ("49", "98", "99"):  # 75000 less
        twice = twice.replace(f"{trailer},+870000,", f"{trailer},+795000,")
    read = read_bai2(twice, file_name="day.bai")
    assert read.errors == [] and len(read.payments) == 3
    [second] = read.rejects
    assert second.payment_id == "bai2:071000013:5551234:2026-03-01:BR1:115:125000#2"
    assert "the same as the payment read at record 4 (16, line 4)" in str(second.problems[0])


def test_a_record_out_of_place_is_said_once_where_it_is() -> None:
    read = read_bai2(GOOD.replace("16,475,", "02,475,"), file_name="d.bai")
    assert [str(e) for e in read.errors] == [
        "d.bai: record 10 (02, line 10), record code: expected a 16 transaction detail or the 49 account "
        "trailer of account 5551234, not 02"]
    after = read_bai2(GOOD + "16,115,1,0,,,/\n", file_name="d.bai")
    assert [str(e) for e in after.errors] == [
        "d.bai: record 14 (16, line 14): records after the 99 file trailer"]
