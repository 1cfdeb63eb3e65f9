"""Specification: camt.053/054 credit entries and their transactions are read into payments,
whatever the version; debits are skipped; a DOCTYPE is refused."""

from __future__ import annotations

from o2c.adapters.bank import read_camt
from o2c.adapters.canonical import PaymentIn


def camt(entries: str, *, ns: str = "camt.054.001.02", container: str = "Ntfctn") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{ns}">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-02T10:00:00+01:00</CreDtTm></GrpHdr>
    <{container}>
      <Id>NTF-20260302-1</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {entries}
    </{container}>
  </BkToCstmrDbtCdtNtfctn>
</Document>""".encode()


ONE = """
<Ntry>
  <Amt Ccy="EUR">1250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
  <BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-03</Dt></ValDt>
  <AcctSvcrRef>BANKREF-0001</AcctSvcrRef>
  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
  <NtryDtls><TxDtls>
    <Refs><EndToEndId>E2E-77</EndToEndId></Refs>
    <RltdPties>
      <Dbtr><Nm>Union Bistro GmbH</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct>
    </RltdPties>
    <RmtInf>
      <Ustrd>Invoices March</Ustrd>
      <Strd>
        <RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>LPUS-000123</Nb></RfrdDocInf>
        <RfrdDocAmt><RmtdAmt Ccy="EUR">1000.00</RmtdAmt></RfrdDocAmt>
      </Strd>
      <Strd>
        <RfrdDocInf><Tp><CdOrPrtry><Cd>PUOR</Cd></CdOrPrtry></Tp><Nb>PO-4711</Nb></RfrdDocInf>
        <RfrdDocAmt><DuePyblAmt Ccy="EUR">250.00</DuePyblAmt></RfrdDocAmt>
        <CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf>
        <AddtlRmtInf>see our letter</AddtlRmtInf>
      </Strd>
    </RmtInf>
  </TxDtls></NtryDtls>
</Ntry>"""

DEBIT = """
<Ntry><Amt Ccy="EUR">99.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt>
  <AcctSvcrRef>BANKREF-0002</AcctSvcrRef></Ntry>
<Ntry><Amt Ccy="EUR">15.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>
  <BookgDt><Dt>2026-03-02</Dt></BookgDt></Ntry>"""

BATCH = """
<Ntry>
  <Amt Ccy="EUR">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt>
  <AcctSvcrRef>BATCH-9</AcctSvcrRef>
  <NtryDtls>
    <TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
      <AmtDtls><TxAmt><Amt Ccy="EUR">100.00</Amt></TxAmt></AmtDtls>
      <RltdPties><Dbtr><Nm>Cedar Catering</Nm></Dbtr></RltdPties>
      <RmtInf><Ustrd>INV LPUS-000200</Ustrd></RmtInf></TxDtls>
    <TxDtls><Refs><AcctSvcrRef>TX-B</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
      <AmtDtls><TxAmt><Amt Ccy="EUR">200.00</Amt></TxAmt></AmtDtls>
      <RltdPties><Dbtr><Nm>Harbor Deli</Nm></Dbtr>
        <DbtrAcct><Id><Othr><Id>00012345</Id></Othr></Id></DbtrAcct></RltdPties></TxDtls>
  </NtryDtls>
</Ntry>"""


def test_a_credit_entry_gives_payer_dates_structured_and_unstructured_remittance() -> None:
    read = read_camt(camt(ONE), file_name="ntf.xml")
    assert read.errors == [] and read.rejects == []
    [p] = read.payments
    PaymentIn.model_validate(p)
    assert p == {
        "payment_id": "camt:DE89370400440532013000:BANKREF-0001",
        "amount": "1250.00", "currency": "EUR", "method": "transfer", "value_date": "2026-03-03",
        "payer_name": "Union Bistro GmbH", "payer_account": "DE02120300000000202051",
        "references": [{"invoice_id": "LPUS-000123", "amount": "1000.00"},
                       {"reference": "PO-4711", "qualifier": "PO", "amount": "250.00"},
                       {"reference": "RF18539007547034"}],
        "text": "Invoices March see our letter",
    }


def test_debits_and_reversals_are_skipped() -> None:
    read = read_camt(camt(DEBIT + ONE), file_name="ntf.xml")
    assert [p["amount"] for p in read.payments] == ["1250.00"] and read.skipped == 2


def test_each_transaction_of_a_batch_entry_is_a_payment_of_its_own() -> None:
    read = read_camt(camt(BATCH), file_name="ntf.xml")
    assert [(p["payment_id"], p["amount"], p["payer_name"], p["payer_account"], p["text"])
            for p in read.payments] == [
        ("camt:DE89370400440532013000:BATCH-9:1", "100.00", "Cedar Catering", "", "INV LPUS-000200"),
        ("camt:DE89370400440532013000:BATCH-9:TX-B", "200.00", "Harbor Deli", "00012345", "")]
    assert read.warnings == []
    short = read_camt(camt(BATCH.replace('"EUR">300.00', '"EUR">310.00')), file_name="ntf.xml")
    assert len(short.payments) == 2
    assert [str(w) for w in short.warnings] == [
        "ntf.xml: /Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt, Amt: the entry books 310.00, but "
        "its transactions add up to 300.00; each transaction is taken for its own amount"]


def test_later_versions_statements_and_entries_without_a_bank_reference() -> None:
    v8 = """
<Ntry><NtryRef>7</NtryRef><Amt Ccy="CHF">80.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
  <Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-03-02T13:15:00+01:00</DtTm></BookgDt>
  <NtryDtls><TxDtls><Amt Ccy="CHF">80.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
    <RltdPties><Dbtr><Pty><Nm>Alpine Foods AG</Nm></Pty></Dbtr></RltdPties></TxDtls></NtryDtls>
</Ntry>"""
    data = camt(v8, ns="camt.053.001.08", container="Stmt").replace(
        b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrStmt")
    [p] = read_camt(data, file_name="stmt.xml").payments
    assert (p["payment_id"], p["amount"], p["currency"], p["value_date"], p["payer_name"]) == (
        "camt:DE89370400440532013000:NTF-20260302-1/7", "80.50", "CHF", "2026-03-02", "Alpine Foods AG")


def test_a_bad_entry_parks_only_its_payment_with_the_xml_path() -> None:
    read = read_camt(camt(ONE.replace(">1250.00<", ">12,50.00<") + BATCH), file_name="ntf.xml")
    assert len(read.payments) == 2
    [bad] = read.rejects
    assert [str(p) for p in bad.problems] == [
        "ntf.xml: /Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt, Amt: expected an amount such "
        "as 1250.00, not '12,50.00'"]
    assert bad.payment_id == "camt:DE89370400440532013000:BANKREF-0001"


def test_a_doctype_is_refused_so_entities_cannot_be_expanded() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<Document>&lol2;</Document>')
    read = read_camt(laughs, file_name="evil.xml")
    assert read.payments == [] and len(read.errors) == 1
    assert "a DOCTYPE or entity declaration is not taken" in str(read.errors[0])


def test_xml_that_is_not_well_formed_or_not_camt_breaks_the_file() -> None:
    broken = read_camt(camt(ONE).replace(b"</Ntry>", b"</Entry>"), file_name="ntf.xml")
    assert [e.at for e in broken.errors] == ["line 34, column 3"]
    assert "not well-formed XML: mismatched tag" in str(broken.errors[0])
    pain = read_camt(camt(ONE, ns="pain.001.001.03"), file_name="pain.xml")
    assert "expected a camt.052, camt.053 or camt.054 Document" in str(pain.errors[0])
