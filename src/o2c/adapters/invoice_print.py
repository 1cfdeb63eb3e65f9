"""The printable invoice: one self-contained HTML page with every field an invoice must show.

:func:`printable` gathers what the page needs through a unit of work (the invoice, the
``InvoiceIssued`` event with its lines and taxes, the legal entity, the customer, the orders
it bills); :func:`render_html` is pure: the same invoice gives the same bytes. Every value is
escaped (``html.escape``), so a customer named ``<script>`` prints as text. Amounts are shown
exactly to their currency's minor unit (0 places for JPY, 3 for KWD), unit prices with the
places they were priced to. The standard library's ``string.Template`` is enough for one page:
no template engine is needed.

What the page shows: the legal entity (name, address, tax registrations), bill-to (the
account) and ship-to (each place shipped to), invoice number and date, due date, terms and
the early-payment discount, the PO numbers, the lines (item, description, quantity with its
unit, unit price, amount), charges (o2c bills none yet: the section says so), a tax line
per jurisdiction, subtotal, tax and total in the currency, where to pay, and for an invoice of
several orders or shipments, which ones. What the invoice carries after it was issued (cash
applied, credit memos, what is open) is shown too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from string import Template

from o2c.domain import events as ev
from o2c.domain.billing import Invoice
from o2c.domain.master import Customer, LegalEntity, ShipTo
from o2c.domain.money import MINOR_UNITS
from o2c.domain.orders import Order
from o2c.engine.ports import UnitOfWork

__all__ = ["PrintableInvoice", "amount", "printable", "render_html"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintableInvoice:
    """Everything the printed invoice shows, read in one unit of work."""

    invoice: Invoice
    issued: ev.InvoiceIssued
    entity: LegalEntity | None
    customer: Customer | None
    orders: tuple[Order, ...]
    descriptions: dict[str, str]


def printable(uow: UnitOfWork, invoice_id: str) -> PrintableInvoice | None:
    """The invoice and what its page needs; None for an invoice o2c does not hold."""
    invoice = uow.invoices.get(invoice_id)
    if invoice is None:
        return None
    issued = next((e.payload for e in uow.events.for_correlation(invoice.order_id)
                   if isinstance(e.payload, ev.InvoiceIssued) and e.payload.invoice_id == invoice_id), None)
    if issued is None:
        return None
    orders = tuple(o for o in (uow.orders.get(i) for i in invoice.orders) if o is not None)
    descriptions = {}
    for ln in issued.lines:
        product = uow.master.product(ln.product_id)
        descriptions[ln.product_id] = product.description if product is not None else ""
    return PrintableInvoice(invoice=invoice, issued=issued,
                            entity=uow.master.legal_entity(invoice.legal_entity_id),
                            customer=uow.master.customer(invoice.customer_id), orders=orders,
                            descriptions=descriptions)


def amount(value: Decimal, currency: str) -> str:
    """``value`` exactly to the currency's minor unit, with thousands separators: ``1,234.50``."""
    return f"{value:,.{MINOR_UNITS.get(currency, 2)}f}"


def price(value: Decimal, currency: str) -> str:
    """A unit price: at least the currency's places, more when it was priced finer (0.1275)."""
    places = MINOR_UNITS.get(currency, 2)
    exponent = value.normalize().as_tuple().exponent
    finer = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{value:,.{max(places, finer)}f}"


def quantity(value: Decimal) -> str:
    """A quantity as counted: ``12``, ``2.5`` (never ``1.2E+1``)."""
    return f"{value.normalize():f}"


_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Invoice $invoice_id</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; font-size: 11pt; margin: 2em; color: #111; }
h1 { font-size: 18pt; margin: 0 0 .5em 0; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.parties { display: flex; gap: 2em; }
.parties section { flex: 1; }
.totals td { border: none; }
.muted { color: #555; }
</style>
</head>
<body>
<header>
<h1>Invoice $invoice_id</h1>
<section class="seller" id="seller">
<strong>$seller_name</strong><br>
$seller_address
<div id="tax-registrations">Tax registration: $tax_registrations</div>
</section>
</header>
<table id="facts">
<tr><th>Invoice number</th><td>$invoice_id</td><th>Invoice date</th><td>$invoice_date</td></tr>
<tr><th>Terms</th><td>$terms</td><th>Due date</th><td>$due_date</td></tr>
<tr><th>PO number(s)</th><td>$po_numbers</td><th>Early-payment discount</th><td>$discount</td></tr>
<tr><th>Currency</th><td>$currency</td><th>Customer account</th><td>$customer_id</td></tr>
</table>
<div class="parties">
<section id="bill-to"><h2>Bill to</h2><strong>$bill_to_name</strong><br>Account $customer_id</section>
<section id="ship-to"><h2>Ship to</h2>$ship_to</section>
</div>
<table id="lines">
<thead><tr><th>#</th><th>Item</th><th>Description</th><th class="num">Quantity</th><th>Unit</th>
<th class="num">Unit price</th><th class="num">Amount</th></tr></thead>
<tbody>
$lines
</tbody>
</table>
<section id="charges"><h2>Charges</h2>$charges</section>
<table id="taxes">
<thead><tr><th>Tax</th><th>Jurisdiction</th><th class="num">Rate</th><th class="num">Taxable</th>
<th class="num">Tax</th></tr></thead>
<tbody>
$taxes
</tbody>
</table>
<table class="totals" id="totals">
<tr><th>Subtotal</th><td class="num" id="subtotal">$subtotal</td></tr>
<tr><th>Tax</th><td class="num" id="tax">$tax</td></tr>
<tr><th>Total $currency</th><td class="num" id="total"><strong>$total</strong></td></tr>
$after
</table>
$covers
<section id="remit-to"><h2>Remit to</h2>$remit_to</section>
</body>
</html>
""")


def _address(*parts: str) -> str:
    street, city, region, postal, country = parts
    place = " ".join(p for p in (f"{city}," if city else "", region, postal) if p).strip(", ")
    lines = [p for p in (street, place, country) if p]
    return "<br>\n".join(escape(p) for p in lines) or '<span class="muted">(no address in master data)</span>'


def _ship_to(place: ShipTo | None, ship_to_id: str) -> str:
    if place is None:
        return f"{escape(ship_to_id)}"
    return (f"<strong>{escape(place.name)}</strong> ({escape(place.ship_to_id)})<br>\n"
            + _address("", place.city, place.region, place.postal_code, place.country))


def render_html(p: PrintableInvoice) -> str:
    """The invoice as one HTML page (see the module)."""
    inv, issued, e, c = p.invoice, p.issued, p.entity, p.customer
    cur = inv.currency
    orders = {o.order_id: o for o in p.orders}
    pos = sorted({o.po_number for o in p.orders if o.po_number})
    terms = sorted({o.payment_terms for o in p.orders if o.payment_terms}) or (
        [c.payment_terms] if c is not None and c.payment_terms else [])
    places = sorted({o.ship_to_id for o in p.orders})
    ship_to = "<hr>\n".join(_ship_to(c.ship_to(s) if c else None, s) for s in places) or "-"
    lines = "\n".join(
        f"<tr><td>{ln.line_no}</td><td>{escape(ln.product_id)}</td>"
        f"<td>{escape(p.descriptions.get(ln.product_id, ''))}</td>"
        f"<td class=\"num\">{quantity(ln.quantity)}</td>"
        f"<td>{escape(ln.uom)}</td><td class=\"num\">{price(ln.unit_price, cur)}</td>"
        f"<td class=\"num\">{amount(ln.amount, cur)}</td></tr>"
        for ln in issued.lines)
    taxes = "\n".join(
        f"<tr><td>{escape(t.name)}</td><td>{escape(t.jurisdiction)}</td><td class=\"num\">"
        f"{escape(_percent(t.rate))}</td><td class=\"num\">{amount(t.taxable.amount, cur)}</td>"
        f"<td class=\"num\">{amount(t.amount.amount, cur)}</td></tr>"
        + (f"<tr><td colspan=\"5\" class=\"muted\">exempt: certificate {escape(t.certificate_id)}</td></tr>"
           if t.certificate_id else "")
        for t in issued.tax_lines) or (
        f"<tr><td>tax</td><td>{escape(e.tax_jurisdiction if e else '')}</td><td></td>"
        f"<td class=\"num\">{amount(issued.subtotal.amount, cur)}</td>"
        f"<td class=\"num\">{amount(issued.tax.amount, cur)}</td></tr>")
    after = ""
    if inv.applied or inv.credited or inv.discount_taken:
        after = "\n".join(
            f"<tr><th>{label}</th><td class=\"num\">{amount(v, cur)}</td></tr>"
            for label, v in (("Paid", inv.applied), ("Discount taken", inv.discount_taken),
                             ("Credited", inv.credited), ("Open", inv.open_amount)))
    covers = ""
    if len(inv.orders) > 1 or len(issued.shipment_ids) > 1:
        rows = "\n".join(
            f"<tr><td>{escape(oid)}</td><td>{escape(orders[oid].po_number if oid in orders else '')}</td>"
            f"<td>{escape(', '.join(issued.shipments_of(oid)))}</td></tr>" for oid in inv.orders)
        covers = ("<table id=\"covers\"><caption>This invoice covers</caption><thead><tr><th>Order</th>"
                  f"<th>PO number</th><th>Shipments</th></tr></thead><tbody>\n{rows}\n</tbody></table>")
    seller_address = _address(*(("", "", "", "", "") if e is None else
                                (e.address, e.city, e.region, e.postal_code, e.country)))
    remit = escape(e.remit_to) if e is not None and e.remit_to else (
        f"<strong>{escape(e.name)}</strong><br>\n{seller_address}" if e is not None else "-")
    discount = "none"
    if inv.discount and inv.discount_date:
        discount = f"{amount(inv.discount, cur)} {cur} if paid by {inv.discount_date.isoformat()}"
    return _PAGE.substitute(
        invoice_id=escape(inv.invoice_id), invoice_date=inv.invoice_date.isoformat(),
        due_date=inv.due_date.isoformat(), terms=escape(", ".join(terms) or "-"),
        po_numbers=escape(", ".join(pos) or "-"), discount=escape(discount), currency=escape(cur),
        customer_id=escape(inv.customer_id), seller_name=escape(e.name if e else inv.legal_entity_id),
        seller_address=seller_address,
        tax_registrations=escape(e.tax_registrations if e and e.tax_registrations else "-"),
        bill_to_name=escape(c.name if c else inv.customer_id), ship_to=ship_to, lines=lines,
        charges='<p class="muted">none</p>', taxes=taxes, subtotal=amount(issued.subtotal.amount, cur),
        tax=amount(issued.tax.amount, cur), total=amount(inv.total, cur), after=after, covers=covers,
        remit_to=remit)


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"
