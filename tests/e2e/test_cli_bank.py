"""End to end through the command line: bank files (BAI2, camt.054, lockbox) taken into a real
SQLite database, each stored whole, every payment in it stored, nothing lost."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

COMPANY = Path(__file__).resolve().parents[2] / "examples" / "company"

BAI2 = """\
01,BANKUS,LAKESHORE,260302,0800,7,80,,2/
02,LAKESHORE,071000013,1,260301,,USD,2/
03,5551234,,010,+100000,,,100,325000,2,/
16,115,125000,0,BR1,CR-77,LOCKBOX DEPOSIT/
16,195,200000,V,260302,1030,BR2,,WIRE FROM UNION BISTRO GROUP/
88,INV LPUS-000123/
16,475,50000,Z,BR5,,CHECK PAID/
49,+800000,6/
98,+800000,1,8/
99,+800000,1,10/
"""

CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>N-1</MsgId><CreDtTm>2026-03-02T10:00:00-05:00</CreDtTm></GrpHdr>
    <Ntfctn><Id>N-1</Id><Acct><Id><Othr><Id>5551234</Id></Othr></Id></Acct>
      <Ntry><Amt Ccy="USD">310.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt>
        <AcctSvcrRef>FW-88</AcctSvcrRef>
        <NtryDtls><TxDtls><Amt Ccy="USD">310.00</Amt>
          <RltdPties><Dbtr><Nm>Cedar Catering</Nm></Dbtr></RltdPties>
          <RmtInf><Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>LPUS-000124</Nb>
          </RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy="USD">310.00</RmtdAmt></RfrdDocAmt></Strd></RmtInf>
        </TxDtls></NtryDtls></Ntry>
      <Ntry><Amt Ccy="USD">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt>
        <AcctSvcrRef>FEE-1</AcctSvcrRef></Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""

LOCKBOX = """\
deposit_date,lockbox,batch,item,check_number,routing,account,payer_name,customer_id,check_amount,invoice_id,amount_paid,discount
2026-03-02,LB7,001,1,10234,071000013,99887766,Union Bistro Group,C2001,1500.00,LPUS-000123,1000.00,
2026-03-02,LB7,001,1,10234,071000013,99887766,Union Bistro Group,C2001,1500.00,LPUS-000124,500.00,
2026-03-02,LB7,001,2,555,021000021,12345,Cedar Catering,,80.00,LPUS-000300,8O.00,
"""


def o2c(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "o2c.cli", *args], capture_output=True, text=True,
                         timeout=600)
    if check and out.returncode != 0:
        raise AssertionError(f"o2c {' '.join(args)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
    return out


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('bank') / 'company.db'}"
    o2c("init", "--db", url, "--from", str(COMPANY))
    return url


def test_bank_files_are_stored_whole_and_every_payment_in_them_is_kept(company: str, tmp_path: Path) -> None:
    files = {"bai2": ("day.bai", BAI2), "camt": ("ntf.xml", CAMT), "lockbox": ("lb.csv", LOCKBOX)}
    printed = {}
    for kind, (name, text) in files.items():
        path = tmp_path / name
        path.write_text(text)
        out = o2c("ingest", str(path), "--kind", kind, "--db", company, check=False)
        # every payment is taken; only the lockbox's unreadable check is parked (exit 1)
        assert out.returncode == (1 if kind == "lockbox" else 0), out.stdout + out.stderr
        assert "Traceback" not in out.stdout + out.stderr
        printed[kind] = " ".join(out.stdout.split())
    db = sqlite3.connect(company.removeprefix("sqlite:///"))
    documents = dict(db.execute("SELECT kind, status FROM inbox WHERE kind IN ('bai2', 'camt', 'lockbox')"))
    assert documents == {"bai2": "applied", "camt": "applied", "lockbox": "applied"}
    payments = dict(db.execute("SELECT source_message_id, status FROM inbox WHERE kind = 'payment'"))
    bad = "lockbox:2026-03-02:LB7:001/2:555:021000021/12345"
    assert payments == {
        "bai2:071000013:5551234:2026-03-01:BR1:115:125000": "applied",
        "bai2:071000013:5551234:2026-03-01:BR2:195:200000": "applied",
        "camt:5551234:FW-88": "applied",
        "lockbox:2026-03-02:LB7:001/1:10234:071000013/99887766": "applied",
        bad: "dead_lettered"}
    received = {json.loads(p)["payment_id"]: json.loads(p) for (p,) in db.execute(
        "SELECT payload FROM events WHERE type = 'PaymentReceived'")}
    assert set(received) == set(payments) - {bad}
    assert received["lockbox:2026-03-02:LB7:001/1:10234:071000013/99887766"]["customer_id"] == "C2001"
    # the bank names no account, and no invoice o2c holds: each waits for cash application
    wire = received["bai2:071000013:5551234:2026-03-01:BR2:195:200000"]
    assert (wire["customer_id"], wire["text"]) == ("", "WIRE FROM UNION BISTRO GROUP INV LPUS-000123")
    camt = received["camt:5551234:FW-88"]
    assert camt["payer_name"] == "Cedar Catering"
    assert [r["invoice_id"] for r in camt["references"]] == ["LPUS-000124"]
    waiting = {pid for (pid,) in db.execute("SELECT payment_id FROM payments WHERE waiting")}
    assert waiting == set(received)  # the invoices they name are not o2c's: a person places them
    letters = {mid: (code, reason) for mid, code, reason in db.execute(
        "SELECT source_message_id, code, reason FROM dead_letters WHERE status = 'open'")}
    assert letters == {bad: ("INT-PARSE-ERROR",
                             "lb.csv: line 4, amount_paid: expected an amount such as 500.00, not '8O.00'")}
    assert "lb.csv: line 4, amount_paid: expected an amount such as 500.00" in printed["lockbox"]
    # the same file again changes nothing
    again = o2c("ingest", str(tmp_path / "day.bai"), "--kind", "bai2", "--db", company)
    assert "already received" in again.stdout


def test_a_bank_file_whose_trailer_does_not_add_up_is_parked_whole(company: str, tmp_path: Path) -> None:
    path = tmp_path / "wrong.bai"
    path.write_text(BAI2.replace("49,+800000,6/", "49,+800100,6/").replace("BR1", "BR9"))
    out = o2c("ingest", str(path), "--kind", "bai2", "--db", company, check=False)
    assert out.returncode == 1
    said = " ".join(out.stdout.split())
    assert "parked as DL-" in said and "INT-PARSE-ERROR" in said
    assert "wrong.bai: record 8 (49, line 8), account 5551234 control total (field 1): says 800100" in said
    db = sqlite3.connect(company.removeprefix("sqlite:///"))
    assert db.execute("SELECT count(*) FROM inbox WHERE source_message_id LIKE '%BR9%'").fetchone() == (0,)
