"""Specification: a lockbox file is read into one payment per check, its rows the references;
the columns are named per source in the integration configuration."""

from __future__ import annotations

import yaml

from o2c.adapters.bank import BankSource, read_lockbox
from o2c.adapters.canonical import PaymentIn
from o2c.adapters.documents import Integrations, IntegrationsError

HEADER = ("deposit_date,lockbox,batch,item,check_number,routing,account,payer_name,customer_id,"
          "check_amount,invoice_id,amount_paid,discount\n")
UNION = "2026-03-02,LB7,001,1,10234,071000013,99887766,Union Bistro Group,C2001,1500.00"
FILE = HEADER + (
    f"{UNION},LPUS-000123,1000.00,\n"
    f"{UNION},LPUS-000124,500.00,10.00\n"
    "2026-03-02,LB7,001,2,10234,021000021,12345,Cedar Catering,,80.00,LPUS-000300,,\n"
    "2026-03-02,LB7,002,1,777,,,,C2002,42.00,,,\n")


def test_the_rows_of_a_check_are_one_payment_with_a_reference_per_invoice() -> None:
    read = read_lockbox(FILE, file_name="lb.csv")
    assert read.errors == [] and read.rejects == [] and read.warnings == []
    first, second, third = read.payments
    for p in read.payments:
        PaymentIn.model_validate(p)
    assert first == {
        "payment_id": "lockbox:2026-03-02:LB7:001/1:10234:071000013/99887766",
        "customer_id": "C2001", "payer_name": "Union Bistro Group", "payer_account": "071000013/99887766",
        "amount": "1500.00", "currency": "USD", "method": "check", "value_date": "2026-03-02",
        "references": [{"invoice_id": "LPUS-000123", "amount": "1000.00"},
                       {"invoice_id": "LPUS-000124", "amount": "500.00", "discount": "10.00"}],
        "text": "",
    }
    # the same check number from another payer is another payment; a row without an amount paid
    # names its invoice only
    assert second["payment_id"] == "lockbox:2026-03-02:LB7:001/2:10234:021000021/12345"
    assert second["references"] == [{"invoice_id": "LPUS-000300"}] and second["customer_id"] == ""
    assert third["payment_id"] == "lockbox:2026-03-02:LB7:002/1:777:-/-" and third["references"] == []


def test_a_check_whose_rows_do_not_add_up_is_taken_for_its_amount_and_the_difference_reported() -> None:
    read = read_lockbox(FILE.replace(",500.00,10.00", ",400.00,10.00"), file_name="lb.csv")
    assert read.payments[0]["amount"] == "1500.00" and len(read.payments) == 3
    assert [str(w) for w in read.warnings] == [
        "lb.csv: line 2, check_amount: check 10234 is for 1500.00, but its rows pay 1400.00; the payment "
        "is taken for 1500.00, the difference left for cash application"]


def test_a_row_that_cannot_be_read_parks_its_check_only_naming_line_and_column() -> None:
    read = read_lockbox(FILE.replace(",500.00,10.00", ",5OO.00,10.00"), file_name="lb.csv")
    assert len(read.payments) == 2
    [bad] = read.rejects
    assert [str(p) for p in bad.problems] == [
        "lb.csv: line 3, amount_paid: expected an amount such as 500.00, not '5OO.00'"]
    differs = read_lockbox(FILE.replace("C2001,1500.00,LPUS-000124", "C2001,1550.00,LPUS-000124"),
                           file_name="lb.csv")
    assert str(differs.rejects[0].problems[0]) == (
        "lb.csv: line 3, check_amount: '1550.00' differs from '1500.00' on line 2, on the same check")


def test_a_file_without_the_required_columns_is_refused_whole() -> None:
    read = read_lockbox("date,check,amount\n2026-03-02,1,5.00\n", file_name="lb.csv")
    assert read.payments == [] and [str(e) for e in read.errors] == [
        "lb.csv: line 1, header: the header lacks the columns 'deposit_date', 'batch', 'item', "
        "'check_number', 'check_amount'"]


BANK_CSV = ("Deposit Date;Batch;Seq;Check No;ABA;Acct;Remitter;Cust;Check Amt;Invoice;Paid;Disc;Ccy\n"
            "2026-03-02;9;1;5001;071000013;4455;Maple Foods;C3001;1000,00;LPCA-1;;;CAD\n")
CONFIG = """
banks:
  - source: first-national-lockbox
    kind: lockbox
    currency: CAD
    delimiter: ";"
    columns: {deposit_date: Deposit Date, item: Seq, check_number: Check No, routing: ABA, account: Acct,
              payer_name: Remitter, customer_id: Cust, check_amount: Check Amt, invoice_id: Invoice,
              amount_paid: Paid, discount: Disc, currency: Ccy, batch: Batch}
  - source: first-national
    kind: bai2
    currency: CAD
"""


def test_a_source_names_its_own_columns_in_the_integration_configuration() -> None:
    integrations = Integrations.from_mapping(yaml.safe_load(CONFIG))
    [lockbox, bai2] = integrations.banks
    assert integrations.sources("lockbox") == ["first-national-lockbox"]
    assert integrations.sources("camt") == ["bank"]  # none configured: the default source
    read = read_lockbox(BANK_CSV, file_name="lb.csv", columns=lockbox.columns, delimiter=lockbox.delimiter,
                        currency=lockbox.currency)
    # a decimal comma is not guessed: the cell names the file's own column
    assert [str(p) for p in read.rejects[0].problems] == [
        "lb.csv: line 2, Check Amt: expected an amount such as 1250.00, not '1000,00'"]
    fixed = read_lockbox(BANK_CSV.replace("1000,00", "1000.00"), file_name="lb.csv", columns=lockbox.columns,
                         delimiter=";")
    [p] = fixed.payments
    assert (p["amount"], p["currency"], p["customer_id"], p["references"]) == (
        "1000.00", "CAD", "C3001", [{"invoice_id": "LPCA-1"}])
    assert bai2 == BankSource(source="first-national", kind="bai2", currency="CAD")


def test_a_bank_entry_that_cannot_work_is_refused_naming_it() -> None:
    for entry, message in [
        ({"source": "b", "kind": "swift"}, "banks[0]: kind must be one of bai2, camt, lockbox"),
        ({"source": "b", "kind": "lockbox", "columns": {"amount": "Amt"}},
         "banks[0]: columns ['amount'] are not lockbox columns"),
        ({"source": "b", "kind": "bai2", "currency": "XXX"}, "banks[0]: currency must be an ISO 4217"),
        ({"source": "b", "kind": "camt", "columns": {"batch": "B"}}, "banks[0]: columns are for lockbox"),
    ]:
        try:
            Integrations.from_mapping({"banks": [entry]})
        except IntegrationsError as e:
            assert message in str(e)
        else:
            raise AssertionError(f"{entry} was taken")


def test_the_splitter_takes_a_check_that_does_not_add_up_and_logs_the_difference(caplog) -> None:
    from datetime import UTC, datetime

    from o2c.adapters.raw import raw_document

    split = Integrations().splitters()["lockbox"]
    raw = raw_document(FILE.replace(",500.00,10.00", ",400.00,10.00").encode(), source="bank",
                       kind="lockbox", received_at=datetime(2026, 3, 2, tzinfo=UTC), name="lb.csv")
    with caplog.at_level("WARNING"):
        done = split(raw)
    assert [m.source_message_id for m in done.messages] == [
        "lockbox:2026-03-02:LB7:001/1:10234:071000013/99887766",
        "lockbox:2026-03-02:LB7:001/2:10234:021000021/12345", "lockbox:2026-03-02:LB7:002/1:777:-/-"]
    assert done.rejects == () and done.problem is None
    assert "bank: lb.csv: line 2, check_amount: check 10234 is for 1500.00, but its rows pay 1400.00" \
        in caplog.text
