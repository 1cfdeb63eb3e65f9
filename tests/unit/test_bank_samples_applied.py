"""The real, public bank files go the whole way: each file is stored whole, split by its
reader, every credit becomes a payment, cash application places what it can and queues the
rest for a person, and a person applies a queued credit to an open invoice.

The samples are not o2c's: they name no account and no invoice o2c holds (the BAI2 credits
say only who sent them), so cash application must not guess; what the tests show is that
nothing in them is lost and that the cash reaches the ledger once a person places it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from o2c.adapters.bank import splitters
from o2c.adapters.raw import BAI2, CAMT, raw_document
from o2c.engine.runtime import Status
from tests.builders import Harness, decider, seed
from tests.unit.bank.test_bank_samples import sample


@pytest.fixture
def h(new_harness) -> Harness:  # type: ignore[no-untyped-def]
    h = new_harness()
    seed(h.app)
    h.stock("P1", "100000")
    return h


def take(h: Harness, name: str, kind: str) -> tuple[Any, list[Any]]:
    raw = raw_document(sample(name), source="bank", kind=kind, received_at=h.clock.now(), name=name)
    return h.app.runtime.submit_document(raw, splitters()[kind])  # type: ignore[no-any-return]


def waiting(h: Harness) -> dict[str, Any]:
    with h.app.store.unit_of_work() as uow:
        return {k: p for k in uow.payments.waiting() if (p := uow.payments.get(k)) is not None}


def test_the_real_bai2_sample_is_applied_once_a_person_names_the_invoice(h: Harness) -> None:
    oid = h.order(po="PO-1", lines=[("P1", "10", "EA")]).correlation_id
    h.ship_all(oid, "SH-1")
    [inv] = h.get(oid).invoices
    owed = h.invoice(inv).total

    head, parts = take(h, "moovio__sample2.bai2.txt", BAI2)
    assert head.status is Status.APPLIED and [p.status for p in parts] == [Status.APPLIED] * 4
    queued = waiting(h)
    amounts = sorted(p.unapplied for p in queued.values())
    assert amounts == [Decimal(a) for a in ("4500.00", "5000.00", "100000.00", "200000.00")]
    assert h.invoice(inv).open_amount == owed  # nothing guessed

    lockbox = next(k for k, p in queued.items() if p.unapplied == Decimal("4500.00"))
    out = h.send("cash_application", {"payment_id": lockbox, "customer_id": "C1", "invoice_id": inv,
                                      "reason": "lockbox 68751 is C1's"}, actor=decider("carla"))
    assert out.status is Status.APPLIED, out.reason
    assert h.invoice(inv).open_amount == 0
    # what the invoice did not take is C1's now, and still waits for a person to place it
    rest = Decimal("4500.00") - owed
    assert waiting(h)[lockbox].unapplied == rest
    account = h.account("C1")
    assert (account.applied, account.unapplied_cash, account.open_ar) == (owed, rest, 0)

    again, _ = take(h, "moovio__sample2.bai2.txt", BAI2)
    assert again.status is Status.DUPLICATE  # the same file twice changes nothing
    assert set(waiting(h)) == set(queued)  # the lockbox credit's rest still waits too


def test_the_real_camt_statement_credit_waits_for_a_person_with_its_payer(h: Harness) -> None:
    head, parts = take(h, "genkgo__camt053.v2.minimal.xml", CAMT)
    assert head.status is Status.APPLIED and len(parts) == 1
    [p] = waiting(h).values()
    assert (p.customer_id, p.unapplied, p.currency) == ("", Decimal("8.85"), "EUR")
