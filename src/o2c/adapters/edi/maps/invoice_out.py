"""Outbound invoice (810), and the reader-side check every 810 must pass.

:func:`build_810` writes BIG, CUR, REF, N1 loops, ITD, DTM, IT1 (+PID, and REF*PO on an invoice
of several orders: each line's PO, with a REF*VN per order in the header) lines, then the summary
TDS (total in cents), TXI (one per tax of the invoice: GST, PST, state, county, city…), SAC,
CTT.  :func:`check_810` reads any 810 back and reports what
does not add up - it runs on our own output in tests and on partners' 810s wherever we read
them (e.g. a 3PL billing us).  The arithmetic it holds an invoice to: TDS01 / 100 = the sum of
IT102 x IT104 (each rounded to cents, or the exact sum rounded) + SAC charges - SAC allowances
(SAC05, also in cents) + TXI02 taxes; and CTT01, when sent, = the number of IT1 lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from o2c.adapters.edi import TransactionSet
from o2c.adapters.edi.maps.documents import InvoiceDocument
from o2c.adapters.edi.maps.partners import TradingPartner
from o2c.adapters.edi.maps.reading import Findings, date_of, el, number, required
from o2c.adapters.edi.maps.result import MapError
from o2c.adapters.edi.maps.writing import Seg, ccyymmdd, cents, decimal, party_segments, trim
from o2c.domain.master import PaymentTerms

__all__ = ["InvoiceCheck", "build_810", "check_810"]

_CENT = Decimal("0.01")


def _itd(doc: InvoiceDocument) -> Seg | None:
    """ITD from the terms text and the event's dates: 08 basic discount offered, 01 basic."""
    if doc.terms is None and doc.due_date is None:
        return None
    pct = ddays = net = ""
    if doc.terms:
        t = PaymentTerms.parse(doc.terms)
        net = str(t.net_days)
        if t.discount_percent:
            pct, ddays = decimal(t.discount_percent), str(t.discount_days)
    elif doc.due_date is not None:
        net = str((doc.due_date - doc.invoice_date).days)
    return trim(
        "ITD",
        "08" if pct else "01",
        "3",  # terms basis date: invoice date
        pct,
        ccyymmdd(doc.discount_date) if doc.discount_date and pct else "",
        ddays,
        ccyymmdd(doc.due_date) if doc.due_date else "",
        net,
        cents(doc.discount) if doc.discount and pct else "",
        "",
        "",
        "",
        doc.terms or "",
    )


def build_810(doc: InvoiceDocument, partner: TradingPartner) -> list[Seg]:
    """The content segments of an 810 for ``doc`` (see the module docstring for the layout)."""
    segs: list[Seg] = [
        trim(
            "BIG",
            ccyymmdd(doc.invoice_date),
            doc.invoice_id,
            ccyymmdd(doc.po_date) if doc.po_date else "",
            doc.po_number,
        )
    ]
    segs.append(("CUR", "SE", doc.currency))
    for order_id in doc.order_ids or (doc.order_id,):  # one per order of a consolidated invoice
        segs.append(("REF", "VN", order_id))
    for party in (doc.remit_to, doc.bill_to, doc.ship_to):
        if party is not None:
            segs.extend(party_segments(party))
    itd = _itd(doc)
    if itd is not None:
        segs.append(itd)
    quantity = Decimal(0)
    for ln in doc.lines:
        buyer = ("BP", ln.customer_item) if ln.customer_item else ()
        segs.append(
            trim(
                "IT1",
                str(ln.line_no),
                decimal(ln.quantity),
                partner.x12_uom(ln.uom),
                decimal(ln.unit_price),
                "",
                "VP",
                ln.product_id,
                *buyer,
            )
        )
        if ln.description:
            segs.append(("PID", "F", "", "", "", ln.description))
        if ln.po_number:
            segs.append(("REF", "PO", ln.po_number))
        quantity += ln.quantity
    segs.append(("TDS", cents(doc.total)))
    for t in doc.taxes:
        # TXI03 the rate as a percent (6.25); TXI06 1 (exempt) and TXI09 the certificate number
        # when an exemption certificate zeroed it
        percent = decimal((t.rate * 100).normalize()) if t.rate is not None else ""
        exempt = ("", "", "1", "", "", t.certificate_id) if t.certificate_id else ()
        segs.append(trim("TXI", t.tax_type, decimal(t.amount), percent, *exempt))
    if doc.tax and not doc.taxes:
        segs.append(("TXI", doc.tax_type, decimal(doc.tax)))
    for c in doc.charges:
        # SAC05 is the amount in cents; SAC15, ten elements on, the description.
        described = ("",) * 9 + (c.description,) if c.description else ()
        segs.append(trim("SAC", "A" if c.allowance else "C", c.code, "", "", cents(c.amount), *described))
    segs.append(("CTT", str(len(doc.lines)), decimal(quantity)))
    return segs


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceCheck:
    """What :func:`check_810` read, and what does not add up (``errors``; empty when sound)."""

    invoice_id: str
    invoice_date: date | None
    po_number: str
    lines: int
    lines_total: Decimal
    charges: Decimal
    tax: Decimal
    declared_total: Decimal | None
    errors: tuple[MapError, ...]

    @property
    def ok(self) -> bool:
        return not any(e.severity == "error" for e in self.errors)


def check_810(ts: TransactionSet) -> InvoiceCheck:
    """Read an 810 and check its totals; never raises (findings are ``MapError`` values)."""
    f = Findings(ts)
    big = tds = ctt = None
    exact = rounded = charges = tax = Decimal(0)
    lines = 0
    for seg in ts.segments:
        sid = seg.id
        if sid == "IT1":
            lines += 1
            qty = number(f, seg, 2, "358", "810.IT102", "quantity invoiced", required=True)
            price = number(f, seg, 4, "212", "810.IT104", "unit price", required=True)
            if qty is not None and price is not None:
                exact += qty * price
                rounded += (qty * price).quantize(_CENT, ROUND_HALF_UP)
        elif sid == "SAC":
            amount = number(f, seg, 5, "610", "810.SAC05", "allowance or charge amount", places=0)
            if amount is not None:
                charges += -amount / 100 if el(seg, 1) == "A" else amount / 100
        elif sid == "TXI":
            tax += number(f, seg, 2, "782", "810.TXI02", "tax amount") or 0
        elif sid == "BIG":
            big = big or seg
        elif sid == "TDS":
            tds = tds or seg
        elif sid == "CTT":
            ctt = seg
    invoice_id, invoice_date, declared = "", None, None
    if big is None:
        f.missing_segment("BIG", "810.BIG", "The invoice has no BIG segment.")
    else:
        invoice_date = date_of(f, big, 1, "810.BIG01", "invoice date", required=True)
        invoice_id = required(f, big, 2, "76", "810.BIG02", "invoice number")
    if lines == 0:
        f.missing_segment("IT1", "810.IT1", "The invoice has no IT1 line.", at=tds or ts.trailer)
    if tds is None:
        f.missing_segment("TDS", "810.TDS", "The invoice has no TDS total.", at=ctt or ts.trailer)
    else:
        raw = number(f, tds, 1, "610", "810.TDS01", "total invoice amount", required=True, places=0)
        if raw is not None:
            declared = raw / 100
            expected = {(v + charges + tax).quantize(_CENT, ROUND_HALF_UP) for v in (exact, rounded)}
            if declared not in expected:
                f.bad_value(
                    tds,
                    1,
                    "610",
                    "810.TDS01",
                    f"TDS01 {raw} says the invoice totals {declared:.2f}, but its {lines} lines "
                    f"({rounded:.2f}), charges ({charges:.2f}) and tax ({tax:.2f}) make "
                    f"{min(expected):.2f}.",
                    expected=cents(min(expected)),
                )
    if ctt is not None:
        declared_lines = el(ctt, 1)
        if not (declared_lines.isascii() and declared_lines.isdigit() and int(declared_lines) == lines):
            f.bad_value(
                ctt,
                1,
                "354",
                "810.CTT01",
                f"CTT01 says {declared_lines or 'nothing'} lines, but the invoice has {lines}.",
                expected=str(lines),
            )
    return InvoiceCheck(
        invoice_id=invoice_id,
        invoice_date=invoice_date,
        po_number=el(big, 4) if big is not None else "",
        lines=lines,
        lines_total=rounded,
        charges=charges,
        tax=tax,
        declared_total=declared,
        errors=tuple(f.errors),
    )
