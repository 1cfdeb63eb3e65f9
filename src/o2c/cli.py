"""The ``o2c`` command line: thin commands over the runtime and analytics."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from o2c import (
    cli_billing,
    cli_cash,
    cli_collections,
    cli_disputes,
    cli_documents,
    cli_identity,
    cli_master,
    cli_policy,
    cli_queue,
    render,
)
from o2c.bootstrap import ONE_SHOT_CACHE, App, SettingsError, bootstrap
from o2c.cli_common import (
    AsOfOpt,
    AsOpt,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    acting,
    console,
    fail,
    hidden,
    opened,
    when,
)
from o2c.cli_common import integrations_from as _integrations

if TYPE_CHECKING:  # commands import what they use when they run, to start fast
    from o2c.domain.actors import Actor
    from o2c.engine.ports import DeadLetter
    from o2c.engine.runtime import Outcome
    from o2c.sim.run import SimStats

# No local variables in tracebacks: they would show database and NATS URLs with their passwords.
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="o2c: event-driven order-to-cash for wholesale distributors.",
)
dlq = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="The dead-letter queue: what could not be applied, and why.")
app.add_typer(dlq, name="dlq")
audit = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False,
                    help="The audit: who changed what, when and from where, as a hash chain.")
app.add_typer(audit, name="audit")
app.add_typer(cli_identity.users, name="users")
app.add_typer(cli_identity.keys, name="keys")
app.add_typer(cli_queue.queue, name="queue")
app.add_typer(cli_policy.policy, name="policy")
app.add_typer(cli_master.master, name="master")
app.add_typer(cli_billing.invoices, name="invoices")
app.add_typer(cli_cash.cash, name="cash")
app.add_typer(cli_collections.collections, name="collections")
app.add_typer(cli_documents.documents, name="documents")
app.add_typer(cli_disputes.disputes, name="disputes")


def _demo_db(db: str | None, reset: bool) -> str:
    if db is None:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("o2c")) / "demo.db"
        reset = True
    elif db == "memory" or "://" in db:
        return db
    else:
        path = Path(db).expanduser().resolve()
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=730, help="Simulated days.")] = 30,
    seed: Annotated[int, typer.Option(help="Same seed, same event log.")] = 42,
    db: DbOpt = None,
    reset: Annotated[bool, typer.Option(help="Wipe the --db SQLite file first.")] = False,
    start: Annotated[str, typer.Option(help="First simulated day (YYYY-MM-DD).")] = "2026-01-05",
    as_json: JsonOpt = False,
) -> None:
    """Simulate a distributor through the real pipeline and report its KPIs."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from o2c.analytics import collections as collections_report
    from o2c.analytics import source
    from o2c.domain.holds import Role
    from o2c.sim.demo import run_demo
    from o2c.sim.people import DEMO_USERS

    try:
        first_day = date.fromisoformat(start)
    except ValueError:
        fail(f"--start {start!r} is not a date like 2026-01-05")
    url = _demo_db(db, reset)
    shown_url = hidden(url)
    try:
        probe = bootstrap(url)
    except SettingsError as e:
        fail(str(e))
    has_events = source.log_span(probe.store) is not None
    probe.close()
    if has_events:
        fail(
            f"{shown_url} already holds events; the demo needs an empty database "
            "(give a new --db, or --reset for a SQLite file)"
        )
    out = Console(stderr=True) if as_json else console
    with Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days  {task.fields[msgs]:,} messages, {task.fields[orders]:,} orders"),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as bar:
        task = bar.add_task("days", total=days, msgs=0, orders=0)

        def progress(day: int, stats: SimStats) -> None:
            bar.update(task, completed=day, msgs=stats.messages, orders=stats.orders_sent)

        try:
            application, stats, begin, end = run_demo(
                days=days, seed=seed, db=url, start=first_day, progress=progress
            )
        except SettingsError as e:
            fail(str(e))
    try:
        report = source.kpi_report(application.store, begin, end, by="entity")
        sample = _interesting_order(application)
        if as_json:
            print(
                json.dumps({"database": shown_url, "simulation": _stats(stats), "kpis": report.as_dict()},
                           indent=2)
            )
            return
        render.kpis(console, report)
        render.dead_letters(console, _open_letters(application), limit=8)
        if sample:
            trace = source.order_trace(application.store, sample, as_of=end)
            if trace:
                render.trace(console, trace)
        shown = shown_url.removeprefix("sqlite:///")
        console.print(
            f"\n[bold]{stats.messages:,}[/] inbound messages, {stats.orders_sent:,} orders, "
            f"{stats.duplicates:,} duplicates ignored, {stats.dead_lettered:,} dead-lettered."
        )
        x12 = sorted((k.removeprefix("edi_"), n) for k, n in stats.sent.items() if k.startswith("edi_"))
        if x12:
            console.print("X12 sent to trading partners: " + ", ".join(f"{n:,} × {s}" for s, n in x12) + ".")
        if stats.bank_files:
            files = ", ".join(f"{n:,} {kind}" for kind, n in sorted(stats.bank_files.items()))
            console.print(f"Bank files received: {files}; each stored whole and read into payments (cash "
                          "by channel above).")
        console.print(f"Timers fired on the simulated clock: {stats.timers:,} (SLA escalations, overdue "
                      f"PODs, stall checks); {stats.sent.get('notification', 0):,} notifications sent.")
        kept = collections_report.promise_outcomes(application.store)
        console.print(f"Collections: {stats.sent.get('dunning_notice', 0):,} dunning notices sent; "
                      f"{stats.promises:,} promises to pay recorded ({kept['kept']:,} kept, "
                      f"{kept['broken']:,} broken so far).")
        if stats.master_changes:
            console.print(f"Master data changed by the ERP while orders ran: {stats.master_changes:,} "
                          "credit limits and contract prices, each a new version that later orders "
                          "and credit checks name in their trace.")
        console.print(
            f"Database: {shown}\nLook further:\n"
            f"  o2c trace {sample or 'SO-00000001'} --db {shown}\n"
            f"  o2c kpis --db {shown}\n  o2c dlq list --db {shown}\n"
            f"  o2c users list --db {shown} --as {DEMO_USERS[Role.ADMIN]}   # who decided, as which role\n"
            f"  o2c queue --user {DEMO_USERS[Role.CREDIT_ANALYST]} --db {shown} --as-of {end.date()}"
            f"   # a credit analyst's work at the end of the run\n"
            f"  o2c cash queue --db {shown} --as {DEMO_USERS[Role.CASH_APP]}   # cash waiting for a person\n"
            f"  o2c policy list --db {shown}   # the policy versions in force, proposed and approved\n"
            f"  o2c audit verify --db {shown}   # the audit's hash chain, intact"
        )
    finally:
        application.close()


@app.command()
def init(
    from_dir: Annotated[Path | None, typer.Option(
        "--from", help="A directory of master data files named after their kind (legal_entities.csv, "
                       "warehouses.csv, products.csv, customers.csv, price_agreements.csv, tax_rates.csv, "
                       "stock.csv; "
                       "or .jsonl), such as examples/company.")] = None,
    source: Annotated[str, typer.Option(help="The system of record the files come from.")] = "erp",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Create the database (or bring its schema up to date) and load a company's master data
    from --from, exactly as 'o2c master load DIR' does: each file stored whole, one message per
    record, the same files again changing nothing. Exit code 1 if anything was parked."""
    files = None
    if from_dir is not None:
        if not from_dir.is_dir():
            fail(f"--from {from_dir}: " + ("not a directory (name the directory holding the files)"
                                           if from_dir.exists() else "no such directory"))
        files = cli_master.master_files(from_dir, None)
    with opened(db) as a:
        console.print(f"database {a.url}: schema up to date")
        if files is None:
            return
        clean = cli_master.load_files(a, files, source, config)
        names = tuple(f"{f.name}:" for f, _ in files)
        still = [d.dead_letter_id for d in _open_letters(a)
                 if d.source == source and d.source_message_id.startswith(names)]
    if not clean:
        fail(f"{from_dir}: some records were parked (above, and in 'o2c dlq list'); correct them and "
             "run the same command again: what went through is kept, nothing is loaded twice", code=1)
    if still:
        fail(f"{from_dir}: {len(still)} record(s) of these files are still parked from an earlier load "
             f"({', '.join(still[:5])}{', …' if len(still) > 5 else ''}): see 'o2c dlq list'", code=1)
    console.print(f"[green]ready[/]: the master data of {from_dir} is loaded; take orders with "
                  "'o2c ingest' or 'o2c serve'")


def _stats(stats: SimStats) -> dict[str, Any]:
    return {k: getattr(stats, k) for k in stats.__slots__}


def _open_letters(a: App) -> list[DeadLetter]:
    with a.store.unit_of_work() as uow:
        return uow.dead_letters.open()


def _interesting_order(a: App) -> str | None:
    """An order that waited on a hold and still went furthest towards cash, so the
    trace shows a wait, a decision and the flow after it."""
    from o2c.analytics import source

    rank = {"OrderReleased": 1, "ShipmentConfirmed": 2, "InvoiceIssued": 3, "OrderClosed": 4}
    best: tuple[int, str] | None = None
    held: set[str] = set()
    for e in source.events(a.store):
        if e.type == "HoldPlaced":
            held.add(e.correlation_id)
        elif e.type in rank:
            score = rank[e.type] + (10 if e.correlation_id in held else 0)
            if best is None or score > best[0]:
                best = (score, e.correlation_id)
    return best[1] if best else None


@app.command()
def trace(
    order_id: Annotated[str, typer.Argument(
        help="An order id (SO-00000042), or a customer account (account:C1054, or C1054).")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
    as_of: AsOfOpt = None,
) -> None:
    """One order's timeline from the event log: events, waits, holds and the inbound documents
    they came from. For an account: its payments, remittances (820s), deductions and disputes.
    An order that has not ended is measured to now: how long it has waited, in what, on what."""
    from o2c.analytics import source

    with opened(db) as a:
        now = when(as_of, a.clock.now())
        t = source.order_trace(a.store, order_id, now=now)
        if t is None and not order_id.startswith("account:"):
            t = source.order_trace(a.store, f"account:{order_id}", now=now)
        if t is None:
            fail(f"no events for order or account {order_id!r} in {a.url}")
        if as_json:
            print(json.dumps(t.as_dict(), indent=2))
        else:
            render.trace(console, t)


@app.command()
def kpis(
    db: DbOpt = None,
    since: Annotated[str | None, typer.Option("--from", help="First day (default: first event).")] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Day after the last (default: after the last event).")
    ] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Also every KPI per legal entity, warehouse, channel or customer "
                     "(entity|warehouse|channel|customer).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """KPIs over the event log, as the primer defines them."""
    from o2c.analytics import source
    from o2c.analytics.kpis import DIMENSIONS

    if by is not None and by not in DIMENSIONS:
        fail(f"--by {by!r}: choose one of {', '.join(DIMENSIONS)}")
    with opened(db) as a:
        span = source.log_span(a.store)
        if span is None:
            fail(f"{a.url} holds no events yet")
        lo, hi = span
        start = when(since, datetime(lo.year, lo.month, lo.day, tzinfo=UTC))
        end = when(until, datetime(hi.year, hi.month, hi.day, tzinfo=UTC) + timedelta(days=1))
        if end <= start:
            fail("--to must be after --from")
        report = source.kpi_report(a.store, start, end, by=by)
        if as_json:
            print(json.dumps(report.as_dict(), indent=2))
        else:
            render.kpis(console, report)


TimersOpt = Annotated[
    float,
    typer.Option(min=0, help="Seconds between rounds that fire due timers (hold SLAs, overdue PODs, "
                             "stalls) by the wall clock; 0: fire none here (another process does)."),
]
_KINDS = {"x12": "x12", "csv": "csv_orders", "wms-a": "wms_a_events", "wms-b": "wms_b_file",
          "carrier": "carrier_feed", "bai2": "bai2", "camt": "camt", "lockbox": "lockbox"}


@app.command()
def ingest(files: Annotated[list[Path], typer.Argument(help="Files to take in, each stored whole.")],
           config: ConfigOpt = None,
           kind: Annotated[str, typer.Option(help=f"What the files are: {', '.join(_KINDS)}.")] = "x12",
           source: Annotated[str | None, typer.Option(
               help="Which configured source sent them (needed when a kind has several).")] = None,
           db: DbOpt = None) -> None:
    """Take files in (X12 interchanges, CSV order files, WMS files or pushes, carrier feeds, bank
    files: BAI2, camt.053/054, lockbox CSV): each is stored whole, split into canonical messages
    and applied; X12 is acknowledged (997).
    Parts that cannot be read are parked as dead letters; the rest goes through."""
    from o2c.adapters.raw import raw_document

    if kind not in _KINDS:
        fail(f"--kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    integrations = _integrations(config)
    doc_kind = _KINDS[kind]
    known = integrations.sources(doc_kind)
    if source is None:
        if len(known) != 1:
            fail(f"name the sender with --source (configured {kind} sources: {', '.join(known) or 'none'})")
        source = known[0]
    elif source not in known:
        fail(f"{kind} source {source!r} is not configured (configured: {', '.join(known) or 'none'})")
    splitter = integrations.splitters()[doc_kind]
    with opened(db, integrations, ONE_SHOT_CACHE) as a:
        failed = False
        for f in files:
            try:
                data = f.read_bytes()
            except OSError as e:
                fail(f"cannot read {f}: {e.strerror}")
            raw = raw_document(data, source=source, kind=doc_kind, received_at=a.clock.now(), name=f.name)
            del data  # the document's text is what is kept; the bytes would be a second copy
            head, outs = a.runtime.submit_document(raw, splitter)
            if head.status.value == "duplicate":
                console.print(f"{f}: already received ({head.source_message_id}); nothing changed")
                continue
            failed = _print_document(str(f), head, outs) or failed
        if failed:
            raise typer.Exit(1)


def _print_document(name: str, head: Outcome, outs: list[Outcome]) -> bool:
    """What became of one document and its parts; True if anything was parked."""
    if head.status.value == "dead_lettered":
        console.print(f"[red]{name}: parked as {head.dead_letter_id}[/]: {head.code}: {head.reason}")
        return True
    console.print(f"{name}: {len(outs)} message(s)" + (f" ({head.reason})" if head.reason else ""))
    failed = False
    for o in outs:
        where = o.correlation_id or ""
        if o.status.value == "dead_lettered":
            failed = True
            where = f"[red]{o.dead_letter_id} {o.code}[/]: {o.reason}"
        console.print(f"  {o.source_message_id}: {o.status.value} {where}")
    return failed


@app.command()
def finish(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Finish the documents a run stopped half-way through (a crash, a kill): each is
    split again from its stored copy and the parts not yet applied or parked are applied."""
    integrations = _integrations(config)
    with opened(db, integrations, ONE_SHOT_CACHE) as a:
        try:
            done = a.runtime.finish(integrations.splitters())
        except KeyError as e:
            fail(f"{e.args[0]}: name the configuration it was read with (--config)")
        if not done:
            console.print("nothing to finish: every stored document is complete")
        failed = False
        for head, outs in done:
            failed = _print_document(f"{head.source}:{head.source_message_id}", head, outs) or failed
        if failed:
            raise typer.Exit(1)


@app.command()
def serve(db: DbOpt = None,
          host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          config: ConfigOpt = None,
          max_body_bytes: Annotated[int | None, typer.Option(
              help="Largest request body taken, in bytes; a bigger one is answered 413 "
                   "(default: $O2C_MAX_BODY_BYTES or 10 MiB).")] = None,
          max_lines_per_order: Annotated[int | None, typer.Option(
              help="Most lines an order may have, on every channel "
                   "(default: $O2C_MAX_LINES_PER_ORDER or 5000).")] = None,
          timers_every: TimersOpt = 5.0) -> None:
    """Serve the HTTP API (order intake, orders, traces, dead letters) with OpenAPI at /docs.
    Every request authenticates (docs/access.md); a --host beyond loopback is refused while the
    database has no users. With --config, what o2c sends is also rendered for the configured
    channels (X12). Due timers (hold SLAs, overdue PODs, stalls) fire in the background."""
    import uvicorn

    from o2c.api.app import create_app
    from o2c.bootstrap import resolve_limits

    try:
        limits = resolve_limits(max_body_bytes=max_body_bytes, max_lines_per_order=max_lines_per_order)
    except SettingsError as e:
        fail(str(e))
    integrations = _integrations(config, limits)
    with opened(db, integrations) as a:
        _refuse_an_open_door(a, host)
        console.print(f"o2c API on http://{host}:{port} (OpenAPI: /docs), database {a.url}; requests up to "
                      f"{limits.max_body_bytes:,} bytes, orders up to {limits.max_lines_per_order:,} lines")
        splitters = integrations.splitters() if config else None
        api = create_app(a, splitters)
        stop = _timers_in_background(api.state.o2c, timers_every)
        try:
            uvicorn.run(api, host=host, port=port, log_level="info")
        finally:
            stop.set()


def _timers_in_background(engine: Any, every: float) -> threading.Event:
    """Fire due timers every ``every`` seconds in a thread (0: not at all) until the event is set,
    through the API's write gate (an in-memory store takes one writer at a time)."""
    from o2c.engine.timers import start_timers

    if every <= 0:
        return threading.Event()
    service = engine.app.timer_service()
    with engine.writing():
        service.arm_open_holds()  # holds placed before timers existed

    def fire() -> int:
        with engine.writing():
            return service.fire_due()  # type: ignore[no-any-return]

    return start_timers(fire, every,
                        lambda e: console.print(f"[yellow]firing due timers failed:[/] {e}", highlight=False))


def _refuse_an_open_door(a: App, host: str) -> None:
    """Listening beyond this machine with nobody set up: refused, saying what to do first."""
    from ipaddress import ip_address

    from o2c.store.identities import has_users

    try:
        loopback = ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not has_users(a.store):
        fail(f"--host {host} would open the API beyond this machine, and {a.url} has no users to sign in "
             "with: create an admin first (o2c users add NAME --role admin --entity all), or serve on "
             "127.0.0.1")


@app.command()
def worker(nats: Annotated[str, typer.Option("--nats", envvar="O2C_NATS_URL",
                                            help="NATS server with JetStream.")] = "nats://127.0.0.1:4222",
           db: DbOpt = None,
           batch: Annotated[int, typer.Option(min=1, max=5000, help="Messages per transaction.")] = 500,
           config: ConfigOpt = None,
           timers_every: TimersOpt = 5.0,
           ) -> None:
    """Consume o2c.in.<source>.<kind> from JetStream and relay the outbox to o2c.out.> until stopped,
    firing due timers (hold SLAs, overdue PODs, stalls) beside it.
    Files (kinds x12, csv_orders, wms_a_events, wms_b_file, carrier_feed) are stored whole and split
    with the integration configuration (--config)."""
    import asyncio
    import signal

    from o2c.adapters.nats import run_worker

    integrations = _integrations(config)
    splitters = integrations.splitters()
    shown_nats = hidden(nats)
    with opened(db, integrations) as a:
        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            console.print(f"o2c worker: {shown_nats} → {a.url} (batches of {batch}); Ctrl-C stops")
            timers = a.timer_service()
            if timers_every > 0:
                await asyncio.to_thread(timers.arm_open_holds)  # holds placed before timers existed
            await run_worker(a, nats, stop_event=stop, batch=batch, inbound={"splitters": splitters},
                             timers=timers.fire_due if timers_every > 0 else None,
                             timers_every=timers_every)

        try:
            asyncio.run(main())
        except OSError as e:
            fail(f"cannot reach NATS at {shown_nats}: {e}")


@app.command()
def verify(db: DbOpt = None) -> None:
    """Replay the event log into a scratch database and check the read models match it."""
    with opened(db) as a:
        from o2c.store.maintenance import verify_read_models
        from o2c.store.sql import SqlStore

        if not isinstance(a.store, SqlStore):
            fail("verify needs a SQL database (--db)")
        from o2c.adapters.raw import KINDS

        result = verify_read_models(a.store, document_kinds=KINDS)
        counts = ", ".join(f"{n:,} {name}" for name, n in result.compared.items())
        if result.ok:
            console.print(f"[green]read models match the log[/]: {result.events:,} events replayed; {counts}")
            return
        for line in result.differences:
            console.print(f"[red]✗[/] {line}")
        raise typer.Exit(1)


@dlq.command("list")
def dlq_list(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Open dead letters, oldest first."""
    with opened(db) as a:
        letters = _open_letters(a)
        if as_json:
            print(json.dumps([render.letter_dict(d) for d in letters], indent=2, default=str))
        else:
            render.dead_letters(console, letters)


@dlq.command("show")
def dlq_show(dead_letter_id: str, db: DbOpt = None) -> None:
    """One dead letter, with the whole message as received."""
    with opened(db) as a, a.store.unit_of_work() as uow:
        d = uow.dead_letters.get(dead_letter_id)
        if d is None:
            fail(f"no dead letter {dead_letter_id!r}")
        print(json.dumps(render.letter_dict(d), indent=2, default=str))


@dlq.command("replay")
def dlq_replay(
    dead_letter_id: str,
    db: DbOpt = None,
    body: Annotated[
        Path | None, typer.Option(help="A corrected message body to apply instead of the stored one.")
    ] = None,
    config: ConfigOpt = None,
    user: AsOpt = None,
) -> None:
    """Apply a dead letter again, after fixing its cause (or with a corrected body). A parked
    file (or part of one) is split again with the integration configuration (--config).
    Once the database has users, say who replays it (--as): as stored it acts as its sender
    did; with a corrected body it acts as you, and needs the integration role."""
    integrations = _integrations(config)
    splitters = integrations.splitters()
    text = None
    if body is not None:
        try:
            text = body.read_text("utf-8")
        except OSError as e:
            fail(f"cannot read {body}: {e.strerror}")
    with opened(db, integrations) as a:
        from o2c.engine.errors import Forbidden
        from o2c.store.identities import has_users

        actor = acting(a, user) if user or has_users(a.store) else None
        try:
            out = a.runtime.replay(dead_letter_id, text, splitters, actor, operator=_operator())
        except KeyError:
            fail(f"no open dead letter {dead_letter_id!r}")
        except Forbidden as e:
            fail(f"refused: {e.reason}")
        if out.status.value == "applied":
            console.print(
                f"[green]applied[/] {out.source}:{out.source_message_id}"
                f"{' → ' + out.correlation_id if out.correlation_id else ''}"
            )
        else:
            console.print(f"[red]dead-lettered again[/] as {out.dead_letter_id}: {out.code}: {out.reason}")
            raise typer.Exit(1)


def _operator() -> Actor:
    """Who runs this command, as the audit names them: the operating-system user, at
    this host (the command line does not sign people in: whoever can reach the database
    is trusted, and named)."""
    import getpass
    import socket

    from o2c.domain.actors import Actor, ActorKind

    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        name = "unknown"
    return Actor(kind=ActorKind.USER, id=name, address=socket.gethostname())


@audit.command("verify")
def audit_verify(db: DbOpt = None) -> None:
    """Check the audit chain: every entry as written, none missing, inserted or cut off."""
    from o2c.store.audit_trail import verify_audit

    with opened(db) as a:
        found = verify_audit(a.store)
        if found.problem is not None:
            sound = (f"Entries 1 to {found.bad_seq - 1} are as o2c wrote them; compare"
                     if found.bad_seq is not None and found.bad_seq > 1 else "Compare")
            fail(f"the audit chain is broken: {found.problem}. {sound} the database with a backup to see "
                 "what was changed", code=1)
        if found.last is None:
            console.print("[green]audit chain intact[/]: no entries yet")
            return
        console.print(f"[green]audit chain intact[/]: {render.entries(found.entries)}; the last, entry "
                      f"{found.last.seq}, hashes to {found.last.hash}")


@audit.command("show")
def audit_show(
    db: DbOpt = None,
    order: Annotated[str | None, typer.Option("--order", help="Entries about this order.")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="Entries by this user, on their behalf, or about them.")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="Entries about this policy.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show the latest this many.")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """List the audit entries about an order, a user or a policy, oldest first."""
    from o2c.store.audit_trail import audit_trail

    given = {k: v for k, v in (("order", order), ("user", user), ("policy", policy)) if v is not None}
    if len(given) != 1:
        fail("name one of --order ID, --user ID or --policy ID")
    (kind, key), = given.items()
    with opened(db) as a:
        records = audit_trail(a.store, limit=limit, **given)
        if as_json:
            print(json.dumps([r.as_dict() for r in records], indent=2))
        elif not records:
            console.print(f"no audit entries about {kind} {key}")
        else:
            render.audit_entries(console, records, f"{kind} {key}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
