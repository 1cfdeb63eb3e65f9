"""The printable invoice: one HTML page that parses, shows every legal field, adds up to the
invoice's own totals, formats money to its currency's minor unit, and prints a hostile
customer name as text."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from o2c.adapters.invoice_print import amount, price, printable, render_html
from o2c.domain.master import LegalEntity
from tests.builders import Harness, customer, seed

HOSTILE = '<script>alert("x")</script> & Sons'


class Page(HTMLParser):
    """The page's elements by id (their text) and whether every tag that opened closed."""

    VOID = {"meta", "br", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.text_by_id: dict[str, str] = {}
        self._ids: list[tuple[str, int]] = []
        self.scripts = 0
        self.unbalanced: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        if tag in self.VOID:
            return
        self.open.append(tag)
        ident = dict(attrs).get("id")
        if ident:
            self._ids.append((ident, len(self.open)))
            self.text_by_id[ident] = ""

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.unbalanced.append(tag)
            return
        self.open.pop()
        self._ids = [(i, depth) for i, depth in self._ids if depth <= len(self.open)]

    def handle_data(self, data: str) -> None:
        for ident, _ in self._ids:
            self.text_by_id[ident] += data


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert page.unbalanced == [] and page.open == [], (page.unbalanced, page.open)
    return page


def invoiced(new_harness: Any, *, name: str = "Customer C1") -> tuple[Harness, str]:
    h: Harness = new_harness()
    seed(h.app, dataclasses.replace(customer(), name=name))
    with h.app.store.unit_of_work() as uow:
        entity = uow.master.legal_entity("US")
        assert entity is not None
        uow.master.add_legal_entity(dataclasses.replace(
            entity, address="1 Main St", city="Dayton", region="OH", postal_code="45402", country="US",
            tax_registrations="EIN 12-3456789", remit_to="Lockbox 4410, Dayton OH 45401"))
        uow.commit()
    h.stock("P1", "100")
    oid = str(h.order(po="PO-PRINT", lines=[("P1", "10", "EA"), ("P1", "2", "CS")]).correlation_id)
    h.ship_all(oid)
    [invoice_id] = list(h.get(oid).invoices)
    return h, invoice_id


def page_of(h: Harness, invoice_id: str) -> tuple[str, Page]:
    with h.app.store.unit_of_work() as uow:
        p = printable(uow, invoice_id)
    assert p is not None
    html = render_html(p)
    return html, parsed(html)


def test_the_page_parses_and_shows_every_legal_field(new_harness: Any) -> None:
    h, invoice_id = invoiced(new_harness)
    html, page = page_of(h, invoice_id)
    inv = h.invoice(invoice_id)
    seller = page.text_by_id["seller"]
    assert "Acme Supply US" in seller and "1 Main St" in seller and "Dayton, OH 45402" in seller
    assert "EIN 12-3456789" in page.text_by_id["tax-registrations"]
    facts = page.text_by_id["facts"]
    for field in (invoice_id, inv.invoice_date.isoformat(), inv.due_date.isoformat(), "2/10 net 30",
                  "PO-PRINT", "USD", "C1"):
        assert field in facts, field
    assert "Customer C1" in page.text_by_id["bill-to"]
    assert "Main dock" in page.text_by_id["ship-to"] and "Dayton" in page.text_by_id["ship-to"]
    lines = page.text_by_id["lines"]
    # billed in the base unit: 10 EA, and the 2 CS as 24 EA
    assert "1P1Nitrile gloves10EA2.0020.00" in lines and "2P1Nitrile gloves24EA2.0048.00" in lines
    assert "none" in page.text_by_id["charges"]
    assert "US-OH" in page.text_by_id["taxes"] and "7.25 %" in page.text_by_id["taxes"]
    assert "Lockbox 4410" in page.text_by_id["remit-to"]
    assert html.startswith("<!DOCTYPE html>") and "<link" not in html and "src=" not in html  # self-contained


def test_the_totals_are_the_invoices_own(new_harness: Any) -> None:
    h, invoice_id = invoiced(new_harness)
    _, page = page_of(h, invoice_id)
    inv = h.invoice(invoice_id)
    with h.app.store.unit_of_work() as uow:
        p = printable(uow, invoice_id)
    assert p is not None
    assert page.text_by_id["total"] == amount(inv.total, "USD")
    assert page.text_by_id["subtotal"] == amount(p.issued.subtotal.amount, "USD")
    assert page.text_by_id["tax"] == amount(p.issued.tax.amount, "USD")
    assert p.issued.subtotal.amount + p.issued.tax.amount == inv.total
    assert sum(ln.amount for ln in p.issued.lines) == p.issued.subtotal.amount


def test_a_hostile_customer_name_prints_as_text(new_harness: Any) -> None:
    h, invoice_id = invoiced(new_harness, name=HOSTILE)
    html, page = page_of(h, invoice_id)
    assert page.scripts == 0 and "<script>" not in html
    assert HOSTILE in page.text_by_id["bill-to"]  # shown, as text


def test_money_is_shown_exactly_to_the_currencys_minor_unit() -> None:
    assert amount(Decimal("1234.5"), "USD") == "1,234.50"
    assert amount(Decimal("1234"), "JPY") == "1,234"
    assert amount(Decimal("1.234"), "KWD") == "1.234"
    assert price(Decimal("0.1275"), "USD") == "0.1275" and price(Decimal("2.5"), "USD") == "2.50"


def test_an_unknown_invoice_has_no_page(new_harness: Any) -> None:
    h = new_harness()
    seed(h.app)
    with h.app.store.unit_of_work() as uow:
        assert printable(uow, "US-NOPE") is None


def test_a_legal_entity_without_an_address_still_prints(new_harness: Any) -> None:
    h, invoice_id = invoiced(new_harness)
    with h.app.store.unit_of_work() as uow:
        uow.master.add_legal_entity(LegalEntity(entity_id="US", name="Acme Supply US", currency="USD",
                                                tax_jurisdiction="US-OH", tax_rate=Decimal("0.0725"),
                                                invoice_prefix="US"))
        uow.commit()
    _, page = page_of(h, invoice_id)
    assert "no address in master data" in page.text_by_id["seller"]
    assert "Acme Supply US" in page.text_by_id["remit-to"]


def test_a_consolidated_invoice_lists_the_orders_and_shipments_it_covers(new_harness: Any) -> None:
    from o2c.domain.master import BillingTrigger
    from tests.unit.test_consolidated_billing import FRIDAY_CLOSE, all_invoices, consolidated, fire, until

    h = consolidated(new_harness, customer(trigger=BillingTrigger.CONSOLIDATED))
    a = str(h.order(po="PO-A").correlation_id)
    h.ship_all(a, "SA")
    b = str(h.order(po="PO-B", lines=[("P2", "3", "EA")]).correlation_id)
    h.ship_all(b, "SB")
    until(h, FRIDAY_CLOSE)
    fire(h)
    [inv] = all_invoices(h)
    _, page = page_of(h, inv.invoice_id)
    covers = page.text_by_id["covers"]
    assert f"{a}PO-ASA-W1" in covers and f"{b}PO-BSB-W1" in covers
    assert "PO-A, PO-B" in page.text_by_id["facts"]
    assert page.text_by_id["total"] == amount(inv.total.amount, "USD")
