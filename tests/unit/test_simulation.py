"""Specification: the simulated distributor's customers pay the way their channel does.

EDI customers pay by ACH and remit through an X12 820 (payment order / remittance advice)
that o2c maps, applies and acknowledges; a deduction they take is explained by an ADX and
becomes a dispute on the invoice. The other customers' payments come in their banks' files: a
lockbox file of checks, a BAI2 report of ACH and wire credits, a camt.054 of transfers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import App, bootstrap
from o2c.domain import events as ev
from o2c.domain.holds import HoldCode
from o2c.domain.master import BillingTrigger
from o2c.sim.banking import BANK_SOURCES
from o2c.sim.partners import SHORT_PAY_REASONS
from o2c.sim.run import Simulation
from o2c.sim.world import SimCustomer, generate

START = date(2026, 1, 5)  # a Monday
DAYS = 5


@dataclass(frozen=True)
class Run:
    app: App
    edi: frozenset[str]  # customers ordering and remitting by EDI
    short_payers: frozenset[str]  # EDI customers who deduct 10 % of every invoice

    def events(self, kind: str) -> list[Any]:
        return [e for e in self.app.store.events if e.type == kind]

    def payments(self) -> list[Any]:
        """The payment messages that reached the inbox."""
        return [row["message"] for row in self.app.store.inbox.values() if row["message"].kind == "payment"]


def _pays_on_invoice(sc: SimCustomer, *, channel: str, short_pay: float) -> SimCustomer:
    """A customer who orders often, without mistakes, is billed on shipment and pays each
    invoice as soon as it arrives, without taking a discount."""
    customer = replace(sc.customer, billing_trigger=BillingTrigger.ON_SHIP, blocked=False)
    traits = replace(
        sc.traits,
        channel=channel,
        orders_per_week=8.0,
        data_quality=0.0,
        price_drift=0.0,
        takes_discount=0.0,
        pay_delay_days=-60.0,
        short_pay=short_pay,
    )
    return SimCustomer(customer=customer, traits=traits)


@pytest.fixture(scope="module")
def run() -> Run:
    """Given eight EDI customers (every other one short-paying) and six portal customers (of
    US01, paying by check or ACH, and of CA01, by transfer), when five days are simulated
    through the real pipeline with the simulator's integration configuration (the 3PL running
    Reno ships only what a 940 asks for)."""
    world = generate(5, customers=14, products=60, start=START)
    world.customers = [
        _pays_on_invoice(sc, channel="edi" if i < 8 else "portal", short_pay=1.0 if i < 8 and i % 2 else 0.0)
        for i, sc in enumerate(world.customers)
    ]
    begin = datetime.combine(START, time(0), tzinfo=UTC)
    clock = SimClock(begin - timedelta(days=1))
    app = bootstrap("memory", clock=clock, ids=SeededIds(5), integrations=Simulation.configuration(world))
    sim = Simulation(app, clock, world, seed=5, start=START)
    sim.setup()
    sim.run(DAYS)
    edi = [sc.customer.customer_id for sc in world.customers if sc.traits.channel == "edi"]
    short = [sc.customer.customer_id for sc in world.customers if sc.traits.short_pay]
    return Run(app=app, edi=frozenset(edi), short_payers=frozenset(short))


def test_edi_customers_remit_through_an_x12_820_and_the_others_through_their_banks_files(run: Run) -> None:
    payments = run.payments()
    by_edi = [m for m in payments if m.source.startswith("edi:")]
    by_bank = [m for m in payments if m.source in BANK_SOURCES.values()]
    assert by_edi and by_bank and len(by_edi) + len(by_bank) == len(payments)
    assert {m.source.removeprefix("edi:") for m in by_edi} <= run.edi
    from_banks = {e.payload.customer_id for e in run.events("PaymentReceived")
                  if e.source in BANK_SOURCES.values()}
    assert from_banks and not from_banks & run.edi
    files = {f"{row['message'].source}:{row['message'].source_message_id}": row["message"]
             for row in run.app.store.inbox.values() if row["message"].kind in BANK_SOURCES}
    for m in by_bank:  # each split out of the bank file of its source's kind, stored whole
        assert BANK_SOURCES[files[m.document].kind] == m.source
    assert {f.kind for f in files.values()} == set(BANK_SOURCES)
    documents = {
        f"{row['message'].source}:{row['message'].source_message_id}": row["message"]
        for row in run.app.store.inbox.values()
        if row["message"].kind == "x12"
    }
    for m in by_edi:  # each split out of an interchange holding an 820 in an RA group
        x12 = documents[m.document].body
        assert "~GS*RA*" in x12 and "~ST*820*" in x12 and "~BPR*C*" in x12 and "~TRN*1*" in x12
    acks = [o["payload"]["x12"] for o in run.app.store.outbox if o["kind"] == "edi_997"]
    accepted = [a for a in acks if "AK1*RA*" in a and "AK5*A~" in a and "AK9*A*" in a]
    assert len(accepted) == len(by_edi)  # every 820 acknowledged by a 997 that accepts it


def test_cash_from_each_kind_of_bank_file_is_applied_without_a_person(run: Run) -> None:
    applied = [e for e in run.events("PaymentApplied") if e.source in BANK_SOURCES.values()]
    kinds = {e.payload.payment_id.split(":")[0] for e in applied}
    assert kinds == set(BANK_SOURCES)  # lockbox:..., bai2:..., camt:...
    assert all(e.payload.decision.rule != "cash/manual" for e in applied)
    received = [e for e in run.events("PaymentReceived") if e.source in BANK_SOURCES.values()]
    placed = {e.payload.payment_id for e in applied}
    assert len(placed) >= 0.9 * len(received)  # the rare payment a person must place aside


def test_every_invoice_an_820_remits_is_applied_and_nothing_is_left_unapplied(run: Run) -> None:
    received = [e for e in run.events("PaymentReceived") if e.source.startswith("edi:")]
    remitted = {r.invoice_id for e in received for r in e.payload.references}
    applied = {e.payload.invoice_id for e in run.events("PaymentApplied") if e.source.startswith("edi:")}
    paid = {e.payload.invoice_id for e in run.events("InvoicePaid")}
    paid_in_full = {
        r.invoice_id
        for e in received
        if e.payload.customer_id not in run.short_payers
        for r in e.payload.references
    }
    assert remitted and applied == remitted
    assert paid_in_full and paid_in_full <= paid
    assert any(len(e.payload.references) > 1 for e in received)  # one 820 per pay run, an RMR each
    assert [e for e in run.events("CashUnapplied") if e.source.startswith("edi:")] == []
    letters = run.app.store.dead_letters.values()
    assert [d for d in letters if d.kind == "payment" or "ST*820" in d.body] == []


def test_a_short_paid_820_explains_the_deduction_and_opens_a_dispute_for_it(run: Run) -> None:
    short = [e.payload for e in run.events("PaymentReceived") if e.payload.customer_id in run.short_payers]
    assert short
    disputes = {e.payload.invoice_id: e.payload for e in run.events("DisputeOpened")}
    for payment in short:
        for line, adjustment in zip(payment.references, payment.adjustments, strict=True):
            invoice = run.app.store.invoices[line.invoice_id]
            assert line.amount == (invoice.total * Decimal("0.9")).quantize(Decimal("0.01"))
            deducted = invoice.total - line.amount
            assert (adjustment.invoice_id, adjustment.amount) == (line.invoice_id, -deducted)
            assert adjustment.reason_code in SHORT_PAY_REASONS
            dispute = disputes[line.invoice_id]
            assert (dispute.amount.amount, dispute.payment_id) == (deducted, payment.payment_id)
            # open for what is deducted, until the person the dispute waits on credits it
            assert invoice.open_amount == deducted - invoice.credited

    assert set(disputes) == {r.invoice_id for p in short for r in p.references}


def test_the_erp_changes_limits_and_prices_while_orders_run_as_new_versions() -> None:
    """Given the simulated distributor's world loaded through master data files, when the
    ERP sends its weekly changes, then they are new versions in master data, and an order
    priced afterwards by a changed agreement names the new version."""
    world = generate(5, customers=6, products=60, start=START)
    begin = datetime.combine(START, time(0), tzinfo=UTC)
    clock = SimClock(begin - timedelta(days=1))
    app = bootstrap("memory", clock=clock, ids=SeededIds(5), integrations=Simulation.configuration(world))
    sim = Simulation(app, clock, world, seed=5, start=START)
    sim.setup()
    sim._erp_changes(begin, 1)
    assert sim.stats.master_changes == 8  # 3 credit limits, 5 contract prices
    changed = [e.payload for e in _events(app) if isinstance(e.payload, ev.PriceAgreementChanged)
               and not e.payload.added]
    assert len(changed) == 5 and {a.agreement.version for a in changed} == {2}
    with app.store.unit_of_work() as uow:
        raised = [uow.master.customer(c.customer.customer_id) for c in world.customers]
    assert sum(1 for c in raised if c is not None and c.version == 2) == 3


def _events(app: Any) -> list[Any]:
    with app.store.unit_of_work() as uow:
        return list(uow.events.all())


def test_every_invoice_is_taxed_by_its_ship_to_and_none_is_held_for_tax(run: Run) -> None:
    issued = [e.payload for e in run.app.store.events if e.type == "InvoiceIssued"]
    assert issued
    assert not [e for e in run.app.store.events
                if e.type == "HoldPlaced" and e.payload.code is HoldCode.BIL_TAX_UNRESOLVED]
    for inv in issued:  # an invoice of exempt products only has no tax line
        assert inv.tax.amount == sum((t.amount.amount for t in inv.tax_lines), Decimal(0))
    assert sum(1 for inv in issued if inv.tax_lines) > len(issued) * 0.8


def test_the_partners_answer_what_o2c_sends_with_997s_and_reject_the_odd_invoice(run: Run) -> None:
    from o2c.domain.documents import AckStatus
    from o2c.sim.partners import REJECTED_810S

    with run.app.store.unit_of_work() as uow:
        docs = uow.documents.search(limit=100_000)
    answered = [d for d in docs if d.status is not AckStatus.NOT_EXPECTED]
    assert answered and {d.doc_type for d in answered} >= {"855", "856", "810"}
    # each answered by the next night's 997 (the policy gives a day), none overdue
    assert not [d for d in answered if d.status is AckStatus.UNACKNOWLEDGED]
    assert [d for d in answered if d.status is AckStatus.ACCEPTED]
    import zlib

    expected = {d.document_id for d in answered if d.doc_type == "810" and d.acked_at is not None
                and zlib.crc32(str(d.invoice_id).encode()) % 100 < REJECTED_810S}
    assert {d.document_id for d in answered if d.status is AckStatus.REJECTED} == expected
def test_the_people_settle_the_disputes_that_wait_on_them(run: Run) -> None:
    """The short payers' deductions (shortage, damage, pricing) wait on their owner roles, who
    credit most and reject the rest with a note, each as the demo person of that role."""
    resolved = [e.payload for e in run.events("DisputeResolved")]
    assert resolved, "no dispute was settled in five days"
    assert {r.outcome for r in resolved} <= {"credit_memo", "write_off", "reject"}
    opened = {e.payload.dispute_id: e.payload for e in run.events("DisputeOpened")}
    for r in resolved:
        assert r.by in {"bea.billing", "pia.pricing", "chris.service", "col.collections", "arlo.ar",
                        "cora.controller", "sam.sales"}, r.by
        if r.outcome == "credit_memo":
            assert r.settled.amount <= opened[r.dispute_id].amount.amount
    assert [d for d in run.app.store.dead_letters.values() if d.kind.startswith("dispute")] == []
