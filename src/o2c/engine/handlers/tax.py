"""Tax on an invoice by the ship-to of each of its lines (see :mod:`o2c.domain.tax`), and the
hold for billing when a jurisdiction has no rate (``BIL-TAX-UNRESOLVED``) instead of a guess.

:func:`invoice_tax` takes the invoice's lines each with its ship-to, so an invoice of several
orders and ship-tos is taxed by the same call. A hold records the jurisdictions it waits
for as its conditions (``tax.rates:US-IL``): a tax rate arriving for one of them lifts it
(:func:`o2c.engine.handlers.master.retry_tax_hold`), and a hold lifted (by o2c or by a
person in billing) invoices the shipment again (``o2c.engine.reactions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.master import Customer, ShipTo
from o2c.domain.orders import TAX_WAITS_FOR, Order
from o2c.domain.tax import TaxableLine, TaxResult, compute_tax
from o2c.engine.context import Context
from o2c.engine.handlers.common import place_hold


def invoice_tax(ctx: Context, customer: Customer, lines: Sequence[tuple[str, ev.InvoiceLine]],
                currency: str, day: date) -> TaxResult:
    """The tax of invoice ``lines`` (each with the id of the customer's ship-to it went to)
    on ``day``: the rates of each ship-to's jurisdiction for each product's tax class, less
    the customer's exemption certificates valid that day."""
    master = ctx.uow.master
    taxable = []
    for ship_to_id, ln in lines:
        product = master.product(ln.product_id)
        if product is None:
            raise LookupError(f"master data for product {ln.product_id} vanished")
        ship_to = customer.ship_to(ship_to_id) or ShipTo(
            ship_to_id=ship_to_id, name="", city="", region="", postal_code="", country="")
        taxable.append(TaxableLine(ref=str(ln.line_no), ship_to=ship_to, tax_class=product.tax_class,
                                   amount=ln.amount))
    countries = sorted({t.ship_to.country for t in taxable if t.ship_to.country})
    rates = [r for country in countries for r in master.tax_rates(country)]
    return compute_tax(taxable, rates, customer.exemptions, day, currency)


def tax_unresolved(ctx: Context, order: Order, taxed: TaxResult, shipment_id: str,
                   trigger: str) -> list[ev.Event]:
    """The hold for billing on ``order``: the shipment's invoice waits for the rates its
    reason names; the decision records the shipment and trigger, to invoice it again."""
    first = taxed.unresolved[0]
    jurisdictions = sorted({u.jurisdiction or "unknown" for u in taxed.unresolved})
    inputs = {"shipment_id": shipment_id, "trigger": trigger,
              "ship_to_ids": ",".join(sorted({u.ship_to_id for u in taxed.unresolved})),
              "jurisdictions": ",".join(jurisdictions),
              "tax_classes": ",".join(sorted({u.tax_class for u in taxed.unresolved}))}
    p = ctx.policy(order.legal_entity_id)
    code = HoldCode.BIL_TAX_UNRESOLVED.value
    d = ev.Decision(policy_id=p.policy_id, version=p.version, rule="billing.tax_jurisdiction",
                    outcome=code, inputs=inputs,
                    conditions=tuple(ev.Condition(rule=f"{TAX_WAITS_FOR}:{j}", outcome=code,
                                                  inputs={"tax_class": first.tax_class})
                                     for j in jurisdictions))
    reason = (f"invoice of shipment {shipment_id} not issued: "
              + "; ".join(u.reason for u in taxed.unresolved)
              + ". Load the rate (o2c master load --kind tax_rates), then release this hold")
    return [place_hold(ctx, order, HoldCode.BIL_TAX_UNRESOLVED, reason, d)]

