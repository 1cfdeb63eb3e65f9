"""Cash application against a large open AR: remittances as customers really send them,
through the real runtime and store, scored against the truth of what each one pays.

    python benchmarks/cash.py                           # SQLite (temp file), 100,000 open invoices
    python benchmarks/cash.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-pg
    python benchmarks/cash.py --open-invoices 10000 --payments 2000 --profile cash.prof

The world (not timed): one legal entity, ``--customers`` customers and ``--open-invoices``
open invoices (:func:`o2c.sim.remittances.open_book`). Each invoice is loaded as the events the
engine itself records for one (``OrderReceived`` of its order, with the purchase order number,
then ``InvoiceIssued``), appended to the event log and applied by the store's real projector in
units of work of ``--load-batch`` invoices: the invoices, orders and accounts the payments are
matched against are the engine's own rows, as a replay of the log would build them.

Then ``--payments`` remittances from the simulator (:func:`o2c.sim.remittances.remittances`,
the default :class:`~o2c.sim.remittances.NoiseProfile`) are submitted as ``payment`` messages,
``--batch`` per transaction, the way the lockbox (an account known) and bank (free text only)
channels submit them. Timed: the submissions only.

Scored per remittance line (an invoice a payer meant to pay): applied automatically (a
``PaymentApplied`` of that payment on that invoice), correct (the truth says that invoice gets
that amount and that discount), left to a person (the payment's cash went to the cash
application queue, ``CashUnapplied``, and the line was not applied). Disputes and credit on
account are checked against the truth too.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from lifecycle import bench_database, rss_mb  # noqa: E402  (the same throwaway PostgreSQL databases)

from o2c.adapters.runtime_parts import SeededIds, SimClock  # noqa: E402
from o2c.bootstrap import bootstrap  # noqa: E402
from o2c.domain import events as ev  # noqa: E402
from o2c.domain.master import BillingTrigger, Customer, LegalEntity, Product, ShipTo, Warehouse  # noqa: E402
from o2c.domain.money import Money, money  # noqa: E402
from o2c.engine.ports import InboundMessage  # noqa: E402
from o2c.engine.projector import correlation_of, project  # noqa: E402
from o2c.sim.remittances import (  # noqa: E402
    BookInvoice,
    NoiseProfile,
    Remittance,
    open_book,
    remittances,
    without_invoice_reference,
)

NOW = datetime(2026, 3, 10, 14, tzinfo=UTC)
TODAY = NOW.date()
ZERO = Decimal(0)


def seed_world(app, customers: int, book: list[BookInvoice], batch: int) -> float:
    """Master data, then the book's invoices as the events that issue them; returns seconds."""
    t = time.perf_counter()
    with app.store.unit_of_work() as uow:
        m = uow.master
        m.add_legal_entity(LegalEntity(entity_id="US01", name="Bench", currency="USD",
                                       tax_jurisdiction="US-OH", tax_rate=Decimal("0.07"),
                                       invoice_prefix="US01"))
        m.add_warehouse(Warehouse(warehouse_id="W1", legal_entity_id="US01", name="W1", region="OH"))
        m.add_product(Product(product_id="P1", description="Goods", base_uom="EA",
                              list_prices={"USD": Decimal(1)}))
        for i in range(customers):
            m.add_customer(Customer(
                customer_id=f"C{i:05d}", legal_entity_id="US01", name=f"Customer {i}",
                ship_tos=(ShipTo(ship_to_id="ST1", name="Dock", city="Dayton", region="OH",
                                 postal_code="45402", country="US"),),
                payment_terms="2% 10 net 30", credit_limit=money(10**9, "USD"),
                billing_trigger=BillingTrigger.ON_SHIP, accepts_partial=True, home_warehouse_id="W1"))
        uow.commit()
    loaded = ev.Decision(policy_id="opening-balance", version="1", rule="loaded", outcome="loaded")

    def envelope(e: ev.Event, n: int, at: datetime) -> ev.Envelope:
        return ev.Envelope(event_id=f"EV-LOAD-{n:09d}", type=type(e).__name__, occurred_at=at, recorded_at=at,
                           correlation_id=correlation_of(e), causation_id=None, source="opening-balance",
                           entity_type=e.entity_type, entity_id=e.entity_id, payload=e)

    seq = 0
    with app.store.unit_of_work() as uow:
        stock = ev.StockReceived(warehouse_id="W1", product_id="P1", lot_id="-", expiry=None,
                                 quantity=Decimal(len(book)), reference="opening-balance")
        env = envelope(stock, seq, NOW - timedelta(days=60))
        project(env, uow)
        uow.events.append([env])
        uow.commit()
    n = 0
    for start in range(0, len(book), batch):
        with app.store.unit_of_work() as uow:
            envs = []
            for inv in book[start:start + batch]:
                n += 1
                order_id, shipment_id = f"SO-{inv.invoice_id}", f"SH-{inv.invoice_id}"
                issued = inv.due_date - timedelta(days=30)
                one = Decimal(1)
                total = Money(inv.amount, "USD")
                at = datetime.combine(issued, NOW.timetz())
                chain: list[ev.Event] = [
                    ev.OrderReceived(order_id=order_id, legal_entity_id="US01", customer_id=inv.customer_id,
                                     ship_to_id="ST1", po_number=inv.po_number, channel="erp", currency="USD",
                                     order_date=issued, requested_date=None, payment_terms="2% 10 net 30",
                                     lines=(ev.OrderLineData(line_no=1, product_id="P1", quantity=one,
                                                             uom="EA", unit_price=inv.amount),)),
                    ev.OrderValidated(order_id=order_id, decision=loaded, lines=(ev.PricedLine(
                        line_no=1, base_quantity=one, base_uom="EA", unit_price=inv.amount,
                        price_source="opening-balance"),)),
                    ev.CreditApproved(order_id=order_id, exposure=total, limit=money(10**9, "USD"),
                                      decision=loaded),
                    ev.StockAllocated(order_id=order_id, decision=loaded, allocations=(ev.AllocationLine(
                        line_no=1, product_id="P1", warehouse_id="W1", lot_id="-", quantity=one),)),
                    ev.OrderReleased(order_id=order_id, customer_id=inv.customer_id, warehouses=("W1",),
                                     value=total),
                    ev.ShipmentConfirmed(order_id=order_id, shipment_id=shipment_id, warehouse_id="W1",
                                         carrier="BENCH", tracking_no=shipment_id, lines=(ev.ShippedLine(
                                             line_no=1, product_id="P1", warehouse_id="W1", lot_id="-",
                                             quantity=one),)),
                    ev.InvoiceIssued(invoice_id=inv.invoice_id, order_id=order_id,
                                     customer_id=inv.customer_id, legal_entity_id="US01",
                                     shipment_ids=(shipment_id,),
                                     lines=(ev.InvoiceLine(line_no=1, product_id="P1", quantity=one,
                                                           uom="EA", unit_price=inv.amount,
                                                           amount=inv.amount),),
                                     subtotal=total, tax=Money(ZERO, "USD"), total=total, invoice_date=issued,
                                     due_date=inv.due_date, discount_date=inv.discount_date,
                                     discount=Money(inv.discount, "USD"), trigger="on_ship", decision=loaded),
                ]
                for e in chain:
                    seq += 1
                    env = envelope(e, seq, at)
                    project(env, uow)
                    envs.append(env)
            uow.events.append(envs)
            uow.commit()
        print(f"  loaded {n:>7} open invoices  {n / (time.perf_counter() - t):8.0f}/s", file=sys.stderr)
    return time.perf_counter() - t


def message(r: Remittance) -> InboundMessage:
    source = "lockbox" if r.body["customer_id"] else "bank"
    return InboundMessage(source=source, source_message_id=r.body["payment_id"], kind="payment",
                          received_at=NOW, body=json.dumps(r.body))


def outcomes(app) -> dict[str, dict[str, list]]:
    """What the engine recorded per payment: applications, unapplied cash, credit, disputes."""
    from sqlalchemy import bindparam, text

    from o2c.store.codec import load_event

    kinds = ("PaymentApplied", "CashUnapplied", "CashOnAccount", "DisputeOpened")
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    with app.store.engine.connect() as c:
        query = text("select type, payload from events where type in :k").bindparams(
            bindparam("k", expanding=True))
        rows = c.execute(query, {"k": list(kinds)})
        for kind, payload in rows:
            e = load_event(kind, payload)
            if e.payment_id:
                out[e.payment_id][kind].append(e)
    return out


def score(rs: list[Remittance], got: dict[str, dict[str, list]]) -> dict[str, object]:
    lines = applied = correct = to_person = truth_person = person_ok = 0
    disputes_ok = disputes = on_account_ok = on_account = no_ref = 0
    wrong: list[str] = []
    by_noise: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rs:
        g = got.get(r.body["payment_id"], {})
        placed: dict[str, tuple[Decimal, Decimal]] = {}
        for a in g.get("PaymentApplied", []):
            amount, discount = placed.get(a.invoice_id, (ZERO, ZERO))
            placed[a.invoice_id] = (amount + a.amount.amount, discount + a.discount.amount)
        unapplied = bool(g.get("CashUnapplied"))
        truth = {t.invoice_id: t for t in r.truth.lines}
        for t in r.truth.lines:
            lines += 1
            no_ref += without_invoice_reference(t)
            truth_person += t.outcome == "person"
            for k in t.noise:
                by_noise[k][0] += 1
            if t.invoice_id in placed:
                for k in t.noise:
                    by_noise[k][1] += 1
            elif unapplied:
                to_person += 1
                person_ok += t.outcome == "person"
            if t.dispute:
                disputes += 1
                opened = sum((d.amount.amount for d in g.get("DisputeOpened", [])
                              if d.invoice_id == t.invoice_id), ZERO)
                disputes_ok += opened == t.dispute
        for k, (amount, discount) in placed.items():
            applied += 1
            t = truth.get(k)
            if t is not None and t.outcome == "apply" and (t.amount, t.discount) == (amount, discount):
                correct += 1
            elif len(wrong) < 20:
                wrong.append(f"{json.dumps(r.body)}\n      -> {k} {amount} (discount {discount}); "
                             f"truth {r.truth}")
        if r.truth.on_account:
            on_account += 1
            credit = sum((c.amount.amount for c in g.get("CashOnAccount", [])), ZERO)
            on_account_ok += credit == r.truth.on_account
    return {"lines": lines, "applied": applied, "correct": correct, "to_person": to_person,
            "truth_person": truth_person, "person_ok": person_ok, "disputes": disputes,
            "disputes_ok": disputes_ok, "on_account": on_account, "on_account_ok": on_account_ok,
            "no_ref": no_ref, "wrong": wrong, "by_noise": dict(by_noise)}


def aging(app) -> None:
    """The AR aging of the KPI report (:func:`o2c.analytics.source.kpi_report`), timed: it folds
    the whole event log, so its time follows the log's length, not the open items'."""
    from sqlalchemy import text

    from o2c.analytics.source import kpi_report

    with app.store.engine.connect() as c:
        n = c.execute(text("select count(*) from events")).scalar_one()
    t = time.perf_counter()
    report = kpi_report(app.store, NOW - timedelta(days=90), NOW + timedelta(days=1))
    dt = time.perf_counter() - t
    ar = report.receivables["USD"]
    print(f"  AR aging (KPI report) over {n} events: {dt:.1f} s; "
          + ", ".join(f"{k} {v}" for k, v in ar.aging.items()))


AGING_SQL = """select case when d <= 0 then 'current' when d <= 30 then '1-30' when d <= 60 then '31-60'
    when d <= 90 then '61-90' else 'over_90' end, count(*), sum(open_amount)
    from (select :today - due_date as d, open_amount from invoices
          where status = 'open' and open_amount > 0) x
    group by 1 order by 1"""
WORKLIST_SQL = """select customer_id, sum(open_amount) as past_due, min(due_date), count(*)
    from invoices where status = 'open' and open_amount > 0 and due_date < :today
    group by customer_id order by past_due desc limit 100"""


def aging_sql(url: str, rows: int) -> None:
    """An aging and a collections worklist (the 100 accounts most past due) as queries on the
    invoices table (its ``status``, ``due_date`` and ``open_amount`` columns), over ``rows``
    rows written by one ``INSERT … SELECT`` (not through the engine: only the queries are
    measured; a fifth paid, due dates over 150 days, 20,000 accounts)."""
    from sqlalchemy import create_engine, text

    bootstrap(url).close()  # the schema
    eng = create_engine(url)
    t = time.perf_counter()
    with eng.begin() as c:
        c.execute(text("""insert into invoices (invoice_id, order_id, customer_id, status, due_date,
                open_amount, version, doc)
            select 'US01-' || lpad(n::text, 7, '0'), 'SO-' || n, 'C' || lpad((n % 20000)::text, 5, '0'),
                   case when n % 5 = 0 then 'paid' else 'open' end, :today - (n % 150) + 30,
                   case when n % 5 = 0 then 0 else (n % 800000) / 100.0 + 20 end, 1, '{}'
            from generate_series(1, :rows) n"""), {"rows": rows, "today": TODAY})
        c.execute(text("analyze invoices"))
    print(f"{rows} invoice rows written in {time.perf_counter() - t:.1f} s")
    for name, sql in (("aging", AGING_SQL), ("collections worklist", WORKLIST_SQL)):
        times = []
        for _ in range(3):
            with eng.connect() as c:
                t = time.perf_counter()
                c.execute(text(sql), {"today": TODAY}).fetchall()
                times.append(time.perf_counter() - t)
        print(f"  {name}: {', '.join(f'{x:.3f}' for x in times)} s")
    eng.dispose()


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--fresh-pg", action="store_true",
                    help="create a new PostgreSQL database on --db's server")
    ap.add_argument("--open-invoices", type=int, default=100_000)
    ap.add_argument("--customers", type=int, default=2_000)
    ap.add_argument("--payments", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500, help="payments per transaction")
    ap.add_argument("--load-batch", type=int, default=5_000, help="open invoices loaded per transaction")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default=None, help="write a cProfile of the submissions to this file")
    ap.add_argument("--aging", action="store_true",
                    help="afterwards, time the KPI report's AR aging over the whole store")
    ap.add_argument("--aging-sql-rows", type=int, default=0,
                    help="instead: time an aging and a collections worklist query over this many "
                         "invoice rows made by SQL (PostgreSQL)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(args.db, args.fresh_pg, Path(tmp)) as url:
        if args.aging_sql_rows:
            aging_sql(url, args.aging_sql_rows)
        else:
            run(args, url)


def run(args: argparse.Namespace, url: str) -> None:
    app = bootstrap(url, clock=SimClock(NOW), ids=SeededIds(args.seed))
    backend = url.split(":", 1)[0]
    book = open_book(args.customers, args.open_invoices, TODAY, seed=args.seed)
    profile = NoiseProfile()
    rs = remittances(book, args.payments, TODAY, profile, seed=args.seed)
    load = seed_world(app, args.customers, book, args.load_batch)
    msgs = [message(r) for r in rs]
    prof = cProfile.Profile() if args.profile else None
    t = time.perf_counter()
    statuses: dict[str, int] = defaultdict(int)
    if prof:
        prof.enable()
    for i in range(0, len(msgs), args.batch):
        for o in app.runtime.submit(msgs[i:i + args.batch]):
            statuses[o.status.value] += 1
    if prof:
        prof.disable()
        prof.dump_stats(args.profile)
    dt = time.perf_counter() - t
    s = score(rs, outcomes(app))
    lines = s["lines"]
    pct = lambda a, b: 100 * a / b if b else 0.0  # noqa: E731
    print(f"{backend}: {args.open_invoices} open invoices over {args.customers} customers "
          f"(loaded in {load:.1f} s), {args.payments} payments = {lines} remittance lines in {dt:.1f} s")
    print(f"  lines/s {lines / dt:.0f}   payments/s {args.payments / dt:.0f}   outcomes {dict(statuses)}   "
          f"peak RSS {rss_mb():.0f} MB")
    print(f"  applied automatically {pct(s['applied'], lines):.2f} % of lines "
          f"({pct(s['applied'], lines - s['truth_person']):.2f} % of the lines the truth says a rule "
          "can place)")
    print(f"  precision {pct(s['correct'], s['applied']):.3f} % ({s['applied'] - s['correct']} wrong of "
          f"{s['applied']})")
    print(f"  left to a person {pct(s['to_person'], lines):.2f} % of lines (the truth: "
          f"{pct(s['truth_person'], lines):.2f} %, {s['person_ok']} of those among them)")
    print(f"  without a usable invoice reference {pct(s['no_ref'], lines):.1f} % of lines; "
          f"disputes as the truth {s['disputes_ok']}/{s['disputes']}; credit on account as the truth "
          f"{s['on_account_ok']}/{s['on_account']}")
    print("  applied per noise kind (lines, applied %): " + ", ".join(
        f"{k} {n} {pct(a, n):.1f}" for k, (n, a) in sorted(s["by_noise"].items())))
    print(f"  noise profile: {', '.join(f'{k}={v:g}' for k, v, _ in profile.rows())}")
    print(f"  machine: {machine()}")
    for w in s["wrong"]:
        print(f"  WRONG {w}")
    if args.aging:
        aging(app)
    if prof:
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
    app.close()


if __name__ == "__main__":
    main()
