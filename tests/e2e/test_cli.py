"""End to end through the command line, as a user runs it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest


def o2c(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "o2c.cli", *args], capture_output=True, text=True,
                         timeout=600)
    if check and out.returncode != 0:
        raise AssertionError(f"o2c {' '.join(args)} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
    return out


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "demo.db"


@pytest.fixture(scope="module")
def demo_run(demo_db: Path) -> subprocess.CompletedProcess[str]:
    return o2c("demo", "--days", "3", "--seed", "11", "--db", str(demo_db), "--reset")


def test_the_demo_shows_progress_a_kpi_table_dead_letters_and_a_trace(demo_run) -> None:
    text = demo_run.stdout
    for expected in ("simulating", "Order release cycle time", "Shipment-to-invoice latency",
                     "Touchless rate", "Receivables", "DSO", "Open holds at period end",
                     "Dead-letter queue", "Time in status", "o2c trace SO-", "Order flow by legal entity",
                     "First-pass invoice accuracy", "Perfect order rate", "Cash auto-match rate"):
        assert expected in text, expected
    assert "Traceback" not in text + demo_run.stderr


def test_the_demo_sets_up_its_people_as_users_and_prints_no_password(demo_run, demo_db: Path) -> None:
    from o2c.sim.people import DEMO_USERS, demo_password

    printed = demo_run.stdout + demo_run.stderr
    assert "o2c users list --db" in printed
    assert [u for u in DEMO_USERS.values() if demo_password(11, u) in printed] == []
    listed = json.loads(o2c("users", "list", "--db", str(demo_db), "--as", "ada.admin", "--json").stdout)
    assert {u["user"] for u in listed} == set(DEMO_USERS.values())
    db = sqlite3.connect(demo_db)
    deciders = {json.loads(actor)["id"] for (actor,) in db.execute(
        "SELECT actor FROM inbox WHERE kind = 'hold_decision'")}
    assert deciders and deciders <= set(DEMO_USERS.values())


def test_the_demo_answers_its_edi_buyers_in_x12_each_interchange_numbered_per_partner(
        demo_run, demo_db: Path) -> None:
    from o2c.adapters.edi import parse

    assert "X12 sent to trading partners:" in demo_run.stdout and "× 855" in demo_run.stdout
    db = sqlite3.connect(demo_db)
    rows = db.execute("SELECT kind, destination, payload FROM outbox WHERE kind LIKE 'edi_%'").fetchall()
    assert {"edi_855", "edi_856", "edi_997"} <= {kind for kind, _, _ in rows}
    numbers: dict[str, list[str]] = defaultdict(list)
    for kind, destination, payload in rows:
        x12 = json.loads(payload)["x12"]
        result = parse(x12)
        assert result.errors == [] and result.transaction_sets()[0].id == kind.removeprefix("edi_")
        numbers[destination].append(result.interchanges[0].control_number)
    for sent in numbers.values():  # 1, 2, 3... with no gap and no repeat, whatever the set
        assert sorted(int(n) for n in sent) == list(range(1, len(sent) + 1))


def _hours(seconds: list[float]) -> tuple[str | None, str | None]:
    if not seconds:
        return None, None
    s = sorted(seconds)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    p90 = s[-(-9 * n // 10) - 1]

    def fmt(x: float) -> str:
        return str((Decimal(str(x)) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP))

    return fmt(med), fmt(p90)


def test_the_kpis_match_values_recomputed_from_the_event_log(demo_run, demo_db: Path) -> None:
    report = json.loads(o2c("kpis", "--db", str(demo_db), "--from", "2026-01-05", "--to", "2026-01-08",
                            "--json").stdout)
    db = sqlite3.connect(demo_db)
    start, end = "2026-01-05T00:00:00", "2026-01-08T00:00:00"
    rows = db.execute("SELECT type, correlation_id, occurred_at, source, payload FROM events "
                      "WHERE occurred_at < ? ORDER BY seq", (end + "+00:00",)).fetchall()

    def t(s: str) -> datetime:
        return datetime.fromisoformat(s)

    received, released, first_invoice, closed = {}, {}, {}, {}
    touched: set[str] = set()
    count = defaultdict(int)
    for typ, corr, at, src, payload in rows:
        count[typ] += 1
        if typ == "OrderReceived":
            received[corr] = t(at)
        elif typ == "OrderReleased":
            released.setdefault(corr, t(at))
        elif typ == "InvoiceIssued":  # a consolidated invoice is the first of each order it bills
            for order_id in json.loads(payload).get("order_ids") or [corr]:
                first_invoice.setdefault(order_id, t(at))
        elif typ == "OrderClosed":
            closed[corr] = t(at)
        human = typ == "HoldReleased" and json.loads(payload)["by"] != "o2c.engine"
        if (typ == "HoldPlaced" or src == "ui" or src.startswith("user:") or human) and (
            corr not in first_invoice
        ):
            touched.add(corr)
    in_period = lambda d: t(start + "+00:00") <= d < t(end + "+00:00")  # noqa: E731
    release = [(d - received[o]).total_seconds() for o, d in released.items() if in_period(d)]
    med, p90 = _hours(release)
    assert report["order_release"] == {"count": len(release), "median_hours": med, "p90_hours": p90}
    cycle = [(d - received[o]).total_seconds() for o, d in first_invoice.items() if in_period(d)]
    med, p90 = _hours(cycle)
    assert report["invoice_cycle"] == {"count": len(cycle), "median_hours": med, "p90_hours": p90}
    invoiced = [o for o, d in first_invoice.items() if in_period(d)]
    clean = [o for o in invoiced if o not in touched]
    assert report["touchless"]["invoiced_orders"] == len(invoiced)
    assert report["touchless"]["touchless_orders"] == len(clean)
    totals = report["totals"]
    assert totals["orders_received"] == count["OrderReceived"]
    assert totals["invoices_issued"] == count["InvoiceIssued"]
    assert totals["shipments"] == count["ShipmentConfirmed"]
    # escalations per hold code: the HoldEscalated events of the period
    escalated: dict[str, int] = defaultdict(int)
    for typ, _, at, _, payload in rows:
        if typ == "HoldEscalated" and in_period(t(at)):
            escalated[json.loads(payload)["code"]] += 1
    assert escalated, "the simulated holds outlive their SLAs: some escalate"
    assert {c: x["escalations"] for c, x in report["hold_sla"].items() if x["escalations"]} == escalated

    # DSO per currency: ending AR ÷ credit sales × days, AR from invoices minus cash, credits
    # and write-offs
    ar: dict[str, Decimal] = defaultdict(Decimal)
    sales: dict[str, Decimal] = defaultdict(Decimal)
    for typ, _, _, _, payload in rows:
        p = json.loads(payload)
        if typ == "InvoiceIssued":
            ar[p["total"]["currency"]] += Decimal(p["total"]["amount"])
            sales[p["total"]["currency"]] += Decimal(p["total"]["amount"])
        elif typ == "PaymentApplied":
            ar[p["amount"]["currency"]] -= Decimal(p["amount"]["amount"]) + Decimal(p["discount"]["amount"])
        elif typ in ("CreditMemoIssued", "ReceivableWrittenOff"):
            ar[p["amount"]["currency"]] -= Decimal(p["amount"]["amount"])
    assert set(report["receivables"]) == set(sales) == {"USD", "CAD"}
    for cur, r in report["receivables"].items():
        assert Decimal(r["ending_ar"]) == ar[cur]
        assert Decimal(r["credit_sales"]) == sales[cur]
        dso = (ar[cur] / sales[cur] * 3).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert Decimal(r["dso_days"]) == dso
    # integration failure rate per source system, from the inbox (an interchange is
    # stored under "edi", its sets under "edi:<partner>": both are the EDI channel)
    per_system: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for source, inbound, dead in db.execute(
        "SELECT source, count(*), sum(status = 'dead_lettered') FROM inbox GROUP BY source"
    ):
        per_system[source.split(":")[0]][0] += inbound
        per_system[source.split(":")[0]][1] += dead
    assert {"edi", "portal", "sales-us", "sales-ca", "wms-a", "wms-b-dallas", "wms-b-toronto",
            "carrier-feed"} <= set(per_system)
    for system, (inbound, dead) in per_system.items():
        assert report["integration"][system]["inbound"] == inbound
        assert report["integration"][system]["dead_lettered"] == dead


def test_kpis_by_entity_give_each_entitys_figures_that_add_up_to_the_whole(demo_run, demo_db: Path) -> None:
    args = ("kpis", "--db", str(demo_db), "--from", "2026-01-05", "--to", "2026-01-08")
    report = json.loads(o2c(*args, "--by", "entity", "--json").stdout)
    plain = json.loads(o2c(*args, "--json").stdout)
    assert report["by"] == "entity"
    assert set(report["groups"]) == {"US01", "CA01"}
    # the unsplit figures are still there, and the same as without --by
    assert {k: v for k, v in report.items() if k not in ("by", "groups")} == plain
    groups = report["groups"].values()
    for name in ("orders_received", "shipments", "invoices_issued"):
        assert sum(g["totals"][name] for g in groups) == plain["totals"][name] > 0, name
    assert sum(g["totals"]["payments_applied"] for g in groups) == plain["totals"]["payments_applied"]
    # each entity invoices in its own currency
    assert set(report["groups"]["US01"]["receivables"]) == {"USD"}
    assert set(report["groups"]["CA01"]["receivables"]) == {"CAD"}
    db = sqlite3.connect(demo_db)
    orders = defaultdict(int)
    for (payload,) in db.execute("SELECT payload FROM events WHERE type = 'OrderReceived' "
                                 "AND occurred_at < ?", ("2026-01-08T00:00:00+00:00",)):
        orders[json.loads(payload)["legal_entity_id"]] += 1
    assert {k: g["totals"]["orders_received"] for k, g in report["groups"].items()} == orders
    for g in groups:
        for key in ("invoice_accuracy", "disputes", "perfect_order", "cash",
                    "shipment_to_invoice_with_waiting"):
            assert key in g
    table = o2c(*args, "--by", "entity").stdout
    assert "Order flow by legal entity" in table and "US01" in table and "CA01" in table
    refused = o2c(*args, "--by", "region", check=False)
    assert refused.returncode != 0 and "--by 'region': choose one of entity, warehouse" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_trace_prints_one_orders_timeline_with_waits_and_inbound_documents(demo_run, demo_db) -> None:
    order = next(line.split()[2] for line in demo_run.stdout.splitlines() if "o2c trace SO-" in line)
    out = o2c("trace", order, "--db", str(demo_db)).stdout
    assert f"Order {order}" in out and "OrderReceived" in out and "Time in status" in out
    data = json.loads(o2c("trace", order, "--db", str(demo_db), "--json").stdout)
    assert data["order_id"] == order
    assert data["steps"][0]["type"] == "OrderReceived"
    assert data["inbound"], "the inbound order document is shown next to its events"
    total = sum(Decimal(h) for h in data["time_in_status"].values())
    assert abs(total - Decimal(data["elapsed_hours"])) <= Decimal("0.05")


def test_dead_letters_can_be_listed_shown_and_replayed(demo_run, demo_db) -> None:
    letters = json.loads(o2c("dlq", "list", "--db", str(demo_db), "--json").stdout)
    assert letters, "the simulation sends some broken messages on purpose"
    assert all(d["code"] and d["reason"] and d["body"] for d in letters)
    first = next(d for d in letters if d["code"] == "INT-PARSE-ERROR")
    shown = json.loads(o2c("dlq", "show", first["dead_letter_id"], "--db", str(demo_db)).stdout)
    assert shown["body"] == first["body"]
    again = o2c("dlq", "replay", first["dead_letter_id"], "--db", str(demo_db), "--as", "ian.integration",
                check=False)
    assert again.returncode == 1 and "dead-lettered again" in again.stdout


def test_bad_input_gets_a_clear_error_not_a_stack_trace(tmp_path: Path, demo_run, demo_db) -> None:
    cases = [
        (("trace", "SO-NOPE", "--db", str(demo_db)), "no events for order or account 'SO-NOPE'"),
        (("dlq", "replay", "DL-999999", "--db", str(demo_db), "--as", "ian.integration"),
         "no open dead letter 'DL-999999'"),
        (("dlq", "replay", "DL-999999", "--db", str(demo_db)), "say who is acting: --as USER"),
        (("kpis", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"), "cannot open the database"),
        (("demo", "--days", "1", "--db", str(demo_db)), "already holds events"),
        (("kpis", "--db", str(demo_db), "--from", "yesterday"), "is not a date"),
    ]
    for args, message in cases:
        out = o2c(*args, check=False)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert message in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr


def test_verify_replays_the_log_and_finds_a_tampered_read_model(demo_run, demo_db, tmp_path: Path) -> None:
    ok = o2c("verify", "--db", str(demo_db))
    assert "read models match the log" in ok.stdout
    tampered = tmp_path / "tampered.db"
    src = sqlite3.connect(demo_db)
    src.backup(dst := sqlite3.connect(tampered))
    src.close()
    order_id = dst.execute("SELECT order_id FROM orders ORDER BY order_id LIMIT 1").fetchone()[0]
    dst.execute("UPDATE orders SET doc = replace(doc, '\"po_number\":\"', '\"po_number\":\"X') "
                "WHERE order_id = ?", (order_id,))
    dst.execute("UPDATE stock SET on_hand = on_hand + 10000 WHERE rowid = 1")
    dst.commit()
    dst.close()
    bad = o2c("verify", "--db", str(tampered), check=False)
    assert bad.returncode == 1
    assert f"orders {order_id}: differs from what the log gives" in bad.stdout
    assert "stock (" in bad.stdout


def test_ingest_takes_a_real_x12_850_in_once_and_acknowledges_it(demo_run, demo_db, tmp_path: Path) -> None:
    import os

    sample = Path(os.environ.get("O2C_SAMPLES_DIR", Path(__file__).resolve().parents[3] / "shared"
                                 / "samples" / "x12")) / "nodex12__850.edi"
    if not sample.exists():
        reason = f"public sample {sample} not found"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    partners = tmp_path / "partners.yaml"
    partners.write_text("""
partners:
  - partner_id: xyz-retail
    isa_qualifier: "12"
    isa_id: "4405197800"
    our_isa_qualifier: "01"
    our_isa_id: "999999999"
    legal_entity_id: US01
    customer_id: C1000
    inbound: ["850"]
    product_qualifiers: [VN, VP, UP]
""")
    first = o2c("ingest", str(sample), "--partners", str(partners), "--db", str(demo_db))
    assert "1 message(s)" in first.stdout and "edi:xyz-retail" not in first.stderr
    assert "applied SO-" in first.stdout
    again = o2c("ingest", str(sample), "--partners", str(partners), "--db", str(demo_db))
    assert "already received" in again.stdout
    db = sqlite3.connect(demo_db)
    import hashlib

    raw_id = f"sha256:{hashlib.sha256(sample.read_bytes()).hexdigest()[:32]}"
    [(body,)] = db.execute("SELECT body FROM inbox WHERE source = 'edi' AND source_message_id = ?",
                           (raw_id,)).fetchall()
    assert body.startswith("ISA*")
    [(ack,)] = db.execute("SELECT payload FROM outbox WHERE kind = 'edi_997' "
                          "AND destination = 'edi:xyz-retail'").fetchall()
    assert "AK9*A" in json.loads(ack)["x12"]
    bad = o2c("ingest", str(sample), "--partners", str(tmp_path / "missing.yaml"), check=False)
    assert bad.returncode == 2 and "cannot read" in bad.stderr


def test_ingest_takes_a_csv_file_in_parks_its_bad_order_and_replays_it_corrected(
        demo_run, demo_db, tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[2] / "examples" / "integrations.yaml"
    db = sqlite3.connect(demo_db)
    customer, ship_to = db.execute(
        "SELECT customer_id, json_extract(doc, '$.ship_tos[0].ship_to_id') FROM customers "
        "WHERE json_extract(doc, '$.legal_entity_id') = 'US01' AND json_extract(doc, '$.blocked') = 0 "
        "ORDER BY customer_id LIMIT 1").fetchone()
    product, uom = db.execute(
        "SELECT product_id, json_extract(doc, '$.base_uom') FROM products ORDER BY product_id LIMIT 1"
    ).fetchone()
    orders = tmp_path / "orders-monday.csv"
    orders.write_text(
        "Account,PO Number,Ship To,Item,Qty,UoM,Price,Need By\n"
        f"{customer},E2E-CSV-1,{ship_to},{product},3,{uom},,03/20/2026\n"
        f"{customer},E2E-CSV-2,{ship_to},{product},three,{uom},,03/20/2026\n")
    out = o2c("ingest", str(orders), "--kind", "csv", "--config", str(config), "--db", str(demo_db),
              check=False)
    assert out.returncode == 1, out.stdout
    assert "applied SO-" in out.stdout
    assert "orders-monday.csv, row 3, column Qty: expected a number" in " ".join(out.stdout.split())
    letter = next(d for d in json.loads(o2c("dlq", "list", "--db", str(demo_db), "--json").stdout)
                  if "E2E-CSV-2" in d["body"])
    assert letter["kind"] == "csv_orders" and letter["source"] == "sales-us"
    assert letter["body"].splitlines()[0] == "Account,PO Number,Ship To,Item,Qty,UoM,Price,Need By"
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(letter["body"].replace(",three,", ",3,"))
    replay = ("dlq", "replay", letter["dead_letter_id"], "--body", str(fixed), "--config", str(config),
              "--db", str(demo_db))
    # a corrected body acts as whoever replays it, who needs the integration role
    refused = o2c(*replay, "--as", "ada.admin", check=False)
    assert refused.returncode == 2
    assert "needs the integration role; user:ada.admin" in " ".join(refused.stderr.split())
    # rows of a file tell no legal entity: only integration and admin for every entity see them
    unseen = o2c(*replay, "--as", "ana.credit", check=False)
    assert unseen.returncode == 2 and "no open dead letter" in unseen.stderr
    replayed = o2c(*replay, "--as", "ian.integration")
    assert "applied" in replayed.stdout
    [(status,)] = db.execute("SELECT status FROM orders WHERE po_number = 'E2E-CSV-2'").fetchall()
    assert status != "rejected"
    no_source = o2c("ingest", str(orders), "--kind", "wms-b", "--config", str(config), "--source", "nope",
                    "--db", str(demo_db), check=False)
    assert no_source.returncode == 2 and "wms-b source 'nope' is not configured" in no_source.stderr


def test_each_demo_person_sees_the_holds_they_may_act_on(demo_run, demo_db) -> None:
    """After the demo, the pricing analyst's queue lists the price holds still open; the credit
    analyst's only credit holds (a short demo may leave none: the analyst works fast)."""
    pricing = json.loads(o2c("queue", "--user", "pia.pricing", "--db", str(demo_db), "--json").stdout)
    assert pricing and {i["owner_role"] for i in pricing} == {"pricing"}
    assert all(i["breached"] == (i["time_left_seconds"] < 0) for i in pricing)
    credit = json.loads(o2c("queue", "--user", "ana.credit", "--db", str(demo_db), "--json").stdout)
    assert {i["code"][:4] for i in credit} <= {"CRD-"}
    shown = o2c("queue", "--user", "pia.pricing", "--db", str(demo_db)).stdout
    assert "work queue of pia.pricing" in shown and "PRC-" in shown
