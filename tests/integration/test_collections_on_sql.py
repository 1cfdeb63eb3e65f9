"""Collections on SQLite and PostgreSQL: the scenarios of
``tests/unit/test_collections_engine.py`` on a real database, and the SQL aging and worklist
agreeing with the memory store's pure definitions on the same invoices."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from o2c.domain.billing import Invoice, InvoiceStatus
from o2c.domain.receivables import Account
from o2c.store.memory import MemoryStore
from tests.unit.test_collections_engine import (  # noqa: F401
    h,
    test_a_disputed_amount_is_not_dunned_only_the_undisputed_rest,
    test_a_promise_not_paid_by_its_date_and_grace_is_broken_and_dunning_resumes,
    test_a_promise_paid_by_its_date_is_kept,
    test_a_promise_suppresses_dunning_of_its_invoices_while_it_stands,
    test_a_short_pay_case_is_never_chased_while_open_gone_once_credited_and_chased_once_rejected,
    test_aging_buckets_an_account_by_days_past_due_in_its_entitys_date,
    test_an_entitys_business_date_decides_days_past_due_across_midnight_utc,
    test_each_dunning_step_is_sent_once_and_only_the_latest_step_reached,
    test_the_daily_timer_runs_dunning_and_sets_its_next_run,
    test_the_worklist_skips_a_disputed_invoice_while_the_dispute_is_open_and_lists_it_once_resolved,
)

AS_OF = date(2026, 6, 30)


def _book(seed: int) -> tuple[list[Invoice], list[Account]]:
    rnd = random.Random(seed)
    invoices = []
    for n in range(300):
        entity = rnd.choice(["US", "CA", "MX"])
        currency = {"US": "USD", "CA": "CAD", "MX": "MXN"}[entity]
        total = Decimal(rnd.randint(100, 10**6)) / 100
        inv = Invoice(invoice_id=f"INV-{n:05d}", order_id=f"SO-{n}", customer_id=f"C{rnd.randint(1, 25):03d}",
                      legal_entity_id=entity, currency=currency, invoice_date=AS_OF - timedelta(days=200),
                      due_date=AS_OF - timedelta(days=rnd.randint(-30, 150)), discount_date=None,
                      discount=Decimal(0), total=total, version=1)
        roll = rnd.random()
        if roll < 0.15:
            inv.applied, inv.status = total, InvoiceStatus.PAID
        elif roll < 0.35:
            inv.applied = (total / 3).quantize(Decimal("0.01"))
        if rnd.random() < 0.2:
            inv.disputes = {f"D-{n}": min(inv.open_amount, Decimal(rnd.randint(1, 5000)))}
        invoices.append(inv)
    accounts = [Account(customer_id=f"C{c:03d}", currency="USD", promises_broken=rnd.choice([0, 0, 1, 3]),
                        broke_last=rnd.random() < 0.1, version=1) for c in range(1, 26)]
    return invoices, accounts


def _load(store: Any, invoices: list[Invoice], accounts: list[Account]) -> None:
    with store.unit_of_work() as uow:
        for i in invoices:
            uow.invoices.add(i)
        for a in accounts:
            uow.accounts.add(a)
        uow.commit()


def test_sql_aging_and_worklist_agree_with_the_memory_store(sql_store: Any) -> None:
    invoices, accounts = _book(7)
    memory = MemoryStore()
    _load(memory, invoices, accounts)
    _load(sql_store, invoices, accounts)
    # three business dates: an entity still on yesterday, one already on tomorrow, the rest today
    as_of = {"CA": AS_OF - timedelta(days=1), "MX": AS_OF + timedelta(days=1)}
    with memory.unit_of_work() as m, sql_store.unit_of_work() as s:
        assert s.invoices.aging(as_of, AS_OF) == m.invoices.aging(as_of, AS_OF)
        assert s.invoices.aging(as_of, AS_OF, "CA") == m.invoices.aging(as_of, AS_OF, "CA")
        expected = m.invoices.worklist(as_of, AS_OF, limit=1000)
        assert len(expected) > 10 and expected[0].promise.value == "broken"
        assert s.invoices.worklist(as_of, AS_OF, limit=1000) == expected
        assert s.invoices.worklist(as_of, AS_OF, limit=5, legal_entity_id="US") == \
            m.invoices.worklist(as_of, AS_OF, limit=5, legal_entity_id="US")
        assert s.invoices.past_due("US", AS_OF) == m.invoices.past_due("US", AS_OF)
