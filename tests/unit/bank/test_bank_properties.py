"""Properties: whatever a well-formed BAI2 file or lockbox file holds, every credit (every check)
is one payment, for exactly its amount, under an id no other payment of the file has."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.adapters.bank import read_bai2, read_lockbox

type_codes = st.one_of(st.integers(100, 399), st.integers(400, 699))
funds = st.sampled_from(["", "0", "1", "2", "Z", "S,1,2,3", "V,260301,0900", "D,2,0,5,1,6"])
# A "/" then spaces then a record code and a comma is where a record begins on a line holding
# several (seen in the wild): free text never holds one here.
texts = st.text(alphabet="ABC XYZ0123456789.,-/", max_size=30).filter(
    lambda t: not re.search(r"/\s+\d\d,", t))
details = st.lists(st.tuples(type_codes, st.integers(1, 10**9), funds,
                             st.sampled_from(["", "B1", "B2", "B3"]), texts, st.booleans()),
                   min_size=1, max_size=8)


def bai2_file(accounts: list[list[tuple[int, int, str, str, str, bool]]]) -> str:
    lines = ["01,SENDER,RECEIVER,260302,0800,1,,,2/", "02,RECEIVER,BANK,1,260301,,USD,2/"]
    group_total, group_records = 0, 1
    for a, records in enumerate(accounts):
        account = [f"03,ACCT{a},,010,+500,,/"]
        total = 500
        for n, (code, amount, fund, ref, text, continued) in enumerate(records):
            ref = f"{ref}-{a}-{n}" if ref else ""
            head, tail = (text[:10], text[10:]) if continued else (text, "")
            account.append(f"16,{code},{amount},{fund},{ref},,{head}/")
            if tail:
                account.append(f"88,{tail}/")
            total += amount
        account.append(f"49,{total},{len(account) + 1}/")
        lines += account
        group_total += total
        group_records += len(account)
    lines.append(f"98,{group_total},{len(accounts)},{group_records + 1}/")
    lines.append(f"99,{group_total},1,{len(lines) + 1}/")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(details, min_size=1, max_size=4))
def test_every_credit_of_a_well_formed_bai2_file_is_one_payment_for_its_amount(accounts) -> None:
    read = read_bai2(bai2_file(accounts), file_name="p.bai")
    assert read.errors == [] and read.rejects == []
    credits = [amount for records in accounts for code, amount, *_ in records if code < 400]
    assert [Decimal(p["amount"]) * 100 for p in read.payments] == credits
    assert read.skipped == sum(len(r) for r in accounts) - len(credits)
    assert len({p["payment_id"] for p in read.payments}) == len(read.payments)


checks = st.lists(st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 10**6),
                            st.lists(st.integers(1, 10**5), min_size=0, max_size=3)),
                  min_size=1, max_size=10, unique_by=lambda c: (c[0], c[1]))


@settings(max_examples=150, deadline=None)
@given(checks)
def test_every_check_of_a_lockbox_file_is_one_payment_for_its_check_amount(checks) -> None:
    rows = ["deposit_date,batch,item,check_number,check_amount,invoice_id,amount_paid"]
    for batch, item, cents, paid in checks:
        amount = Decimal(cents) / 100
        for i, p in enumerate(paid or [0]):
            rows.append(f"2026-03-02,{batch},{item},{batch * 100 + item},{amount},"
                        + (f"INV-{i},{Decimal(p) / 100}" if paid else ","))
    read = read_lockbox("\n".join(rows) + "\n", file_name="lb.csv")
    assert read.errors == [] and read.rejects == []
    assert sorted(Decimal(p["amount"]) for p in read.payments) == sorted(
        Decimal(c) / 100 for _, _, c, _ in checks)
    assert [len(p["references"]) for p in read.payments] == [len(paid) for *_, paid in checks]
    mismatched = [c for c in checks if c[3] and sum(c[3]) != c[2]]
    assert len(read.warnings) == len(mismatched)
