"""Builders for tests: a small distributor's master data and inbound messages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import App, bootstrap
from o2c.domain.actors import Actor, user
from o2c.domain.holds import Role
from o2c.domain.master import (
    BillingTrigger,
    Customer,
    LegalEntity,
    PriceAgreement,
    Product,
    ShipTo,
    TaxRate,
    Warehouse,
)
from o2c.domain.money import money
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Outcome

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

#: Message kinds that carry a person's decision.
PERSON_KINDS = frozenset({"hold_decision", "order_rejection", "credit_memo", "cash_application",
                          "cash_unapplication", "dispute", "dispute_evidence", "dispute_resolution"})


def decider(user_id: str, *roles: Role) -> Actor:
    """A person holding ``roles`` (default: every role that decides holds, rejects orders
    and issues credit memos), acting for every legal entity."""
    return user(user_id, *(roles or tuple(Role(r) for r in Role
                                          if r not in (Role.ADMIN, Role.AUDITOR, Role.INTEGRATION))))


def customer(customer_id: str = "C1", *, limit: str = "100000", trigger: BillingTrigger =
             BillingTrigger.ON_SHIP, partial: bool = False, home: str = "W1",
             terms: str = "2/10 net 30", blocked: bool = False) -> Customer:
    return Customer(
        customer_id=customer_id, legal_entity_id="US", name=f"Customer {customer_id}",
        ship_tos=(ShipTo(ship_to_id=f"{customer_id}-ST1", name="Main dock", city="Dayton",
                         region="OH", postal_code="45402", country="US"),),
        payment_terms=terms, credit_limit=money(limit, "USD"), billing_trigger=trigger,
        accepts_partial=partial, home_warehouse_id=home, blocked=blocked,
    )


def seed(app: App | Any, *customers: Customer, zone: str = "UTC") -> None:
    """Entity ``US`` (business dates in ``zone``), warehouses W1 and W2, products P1 and P2,
    in an app's store (or a store itself)."""
    store = app.store if isinstance(app, App) else app
    with store.unit_of_work() as uow:
        m = uow.master
        m.add_legal_entity(LegalEntity(entity_id="US", name="Acme Supply US", currency="USD",
                                       tax_jurisdiction="US-OH", tax_rate=Decimal("0.0725"),
                                       invoice_prefix="US", timezone=zone))
        for wid in ("W1", "W2"):
            m.add_warehouse(Warehouse(warehouse_id=wid, legal_entity_id="US", name=wid, region="OH"))
        # the customers ship to Ohio: its state rate alone (one tax line, as one flat rate was)
        m.add_tax_rate(TaxRate(rate_id="US-OH", country="US", region="OH", name="state",
                               rate=Decimal("0.0725"), valid_from=date(2020, 1, 1)))
        m.add_product(Product(product_id="P1", description="Nitrile gloves", base_uom="EA",
                              uom_factors={"CS": Decimal(12)}, list_prices={"USD": Decimal("2.50")},
                              floor_prices={"USD": Decimal("1.00")}))
        m.add_product(Product(product_id="P2", description="Saline 500ml", base_uom="EA",
                              lot_controlled=True, list_prices={"USD": Decimal("4.00")}))
        for c in customers or (customer(),):
            m.add_customer(c)
            m.add_price_agreement(PriceAgreement(agreement_id=f"PA-{c.customer_id}-P1",
                                                 customer_id=c.customer_id, product_id="P1",
                                                 price=money("2.00", "USD"),
                                                 valid_from=date(2026, 1, 1)))
        uow.commit()


def seed_canada(app: App | Any) -> None:
    """A second legal entity, ``CA`` (CAD, business dates in Toronto), beside :func:`seed`'s."""
    store = app.store if isinstance(app, App) else app
    with store.unit_of_work() as uow:
        uow.master.add_legal_entity(LegalEntity(entity_id="CA", name="Acme Supply CA", currency="CAD",
                                                tax_jurisdiction="CA-ON", tax_rate=Decimal("0.13"),
                                                invoice_prefix="CA", timezone="America/Toronto"))
        uow.master.add_tax_rate(TaxRate(rate_id="CA-ON-HST", country="CA", region="ON", name="HST",
                                        rate=Decimal("0.13"), valid_from=date(2020, 1, 1)))
        uow.commit()


class Harness:
    """Drives an app with inbound messages the way channels would."""

    def __init__(self, db: str = "memory", store: Any = None, integrations: Any = None,
                 start: datetime = T0, policies: Any = None) -> None:
        self.clock = SimClock(start)
        self.app = bootstrap(db, clock=self.clock, ids=SeededIds(7), store=store,
                             recorded_clock=lambda: T0, integrations=integrations, policies=policies)
        self._ids = count(1)

    def later(self, **kw: float) -> None:
        self.clock.set(self.clock.now() + timedelta(**kw))

    def send(self, kind: str, body: dict[str, Any], *, source: str = "test",
             msg_id: str | None = None, actor: Actor | None = None) -> Outcome:
        """Send one message. A person's decision (``PERSON_KINDS``) without an ``actor`` is
        sent by the user its body names in ``by``, holding every role that decides (tests
        of who may decide pass their own ``actor``)."""
        if actor is None and kind in PERSON_KINDS:
            actor = decider(str(body.get("by") or "tester"))
        m = InboundMessage(source=source, source_message_id=msg_id or f"m{next(self._ids)}",
                           kind=kind, received_at=self.clock.now(),
                           body=json.dumps(body, default=str), actor=actor)
        return self.app.runtime.submit([m])[0]

    def order(self, *, customer_id: str = "C1", po: str = "PO-1",
              lines: list[tuple[str, str, str]] | None = None, price: str | None = None,
              **extra: Any) -> Outcome:
        lines = lines or [("P1", "10", "EA")]
        return self.send("order", {
            "legal_entity_id": "US", "customer_id": customer_id, "ship_to_id": f"{customer_id}-ST1",
            "po_number": po, "channel": "portal", "currency": "USD",
            "order_date": self.clock.now().date().isoformat(),
            "lines": [{"line_no": i, "product_id": p, "quantity": q, "uom": u,
                       **({"unit_price": price} if price else {})}
                      for i, (p, q, u) in enumerate(lines, 1)],
            **extra,
        })

    def stock(self, product: str, qty: str, wh: str = "W1", lot: str = "-",
              expiry: date | None = None) -> Outcome:
        return self.send("stock_receipt", {"warehouse_id": wh, "product_id": product, "lot_id": lot,
                                           "expiry": expiry, "quantity": qty,
                                           "reference": f"RCPT-{next(self._ids)}"})

    def ship_all(self, order_id: str, shipment_id: str = "SH1") -> list[Outcome]:
        order = self.get(order_id)
        by_wh: dict[str, list[dict[str, Any]]] = {}
        for a in order.allocations:
            if a.quantity - a.shipped > 0:
                by_wh.setdefault(a.warehouse_id, []).append(
                    {"line_no": a.line_no, "product_id": a.product_id, "lot_id": a.lot_id,
                     "quantity": str(a.quantity - a.shipped)})
        return [self.send("shipment", {"shipment_id": f"{shipment_id}-{wh}", "order_id": order_id,
                                       "warehouse_id": wh, "carrier": "UPS", "tracking_no": "1Z",
                                       "lines": lines})
                for wh, lines in sorted(by_wh.items())]

    def deliver(self, order_id: str, shipment_id: str) -> Outcome:
        return self.send("delivery", {"shipment_id": shipment_id, "order_id": order_id,
                                      "delivered_at": self.clock.now().isoformat(),
                                      "signed_by": "J. Doe"})

    def pay(self, customer_id: str, refs: list[tuple[str, str, str]], amount: str | None = None,
            payment_id: str = "PAY1") -> Outcome:
        total = amount or str(sum(Decimal(a) for _, a, _ in refs))
        return self.send("payment", {"payment_id": payment_id, "customer_id": customer_id,
                                     "amount": total, "currency": "USD",
                                     "references": [{"invoice_id": i, "amount": a, "discount": d}
                                                    for i, a, d in refs]})

    def get(self, order_id: str) -> Any:
        with self.app.store.unit_of_work() as uow:
            return uow.orders.get(order_id)

    def invoice(self, invoice_id: str) -> Any:
        with self.app.store.unit_of_work() as uow:
            return uow.invoices.get(invoice_id)

    def account(self, customer_id: str) -> Any:
        with self.app.store.unit_of_work() as uow:
            return uow.accounts.get(customer_id)

    def dead_letters(self) -> list[Any]:
        with self.app.store.unit_of_work() as uow:
            return uow.dead_letters.open()

    def events(self, correlation_id: str) -> list[Any]:
        with self.app.store.unit_of_work() as uow:
            return uow.events.for_correlation(correlation_id)
