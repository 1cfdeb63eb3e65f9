"""``o2c master``: master data from files, sent as the system of record would send it."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from o2c.cli_common import ConfigOpt, DbOpt, console, err, fail, integrations_from, opened

if TYPE_CHECKING:
    from collections.abc import Sequence

    from o2c.adapters.master_files import MasterFile
    from o2c.bootstrap import App
    from o2c.engine.runtime import Outcome

master = typer.Typer(pretty_exceptions_show_locals=False,
                     help="Master data: legal entities, warehouses, products, customers, price "
                          "agreements and opening stock, from files.")

_SUFFIXES = (".csv", ".jsonl")


def _kind_of(path: Path, kind: str | None) -> str:
    from o2c.adapters.master_files import FILE_KINDS

    if kind is not None:
        if kind not in FILE_KINDS:
            fail(f"--kind must be one of {', '.join(FILE_KINDS)}, not {kind!r}")
        return kind
    if path.stem in FILE_KINDS:
        return path.stem
    fail(f"{path}: say what it holds with --kind ({', '.join(FILE_KINDS)}), or name it after its "
         "kind such as customers.csv")


def master_files(path: Path, kind: str | None) -> list[tuple[Path, str]]:
    """The files to load and their kinds: one file, or a directory's ``<kind>.csv`` (or
    ``.jsonl``) files in the order records refer to each other."""
    from o2c.adapters.master_files import FILE_KINDS

    if not path.is_dir():
        return [(path, _kind_of(path, kind))]
    if kind is not None:
        fail("--kind is for one file; a directory's files are named after their kind")
    found = [(path / f"{k}{suffix}", k) for k in FILE_KINDS for suffix in _SUFFIXES
             if (path / f"{k}{suffix}").is_file()]
    others = sorted(p.name for p in path.iterdir()
                    if p.suffix in _SUFFIXES and p.stem not in FILE_KINDS)
    if others:
        fail(f"{path}: {', '.join(others)} are not named after a kind of master data "
             f"({', '.join(FILE_KINDS)})")
    if not found:
        fail(f"{path}: no master data files in it (expected files such as customers.csv: "
             f"{', '.join(FILE_KINDS)})")
    return found


def load_files(a: App, files: list[tuple[Path, str]], source: str, config: Path | None,
               *, full: bool = False) -> bool:
    """Load ``files`` through the inbox as ``source`` sends them; print what became of each
    record. With ``full``, each file is the source's full copy of its kind: the records o2c
    holds that it does not contain are reported (see :func:`reconcile`). True if everything
    went through."""
    from o2c.adapters.master_files import (
        master_document,
        read_master_file,
        split_master_file,
        splitters,
    )

    split = splitters(integrations_from(config).master)
    clean = True
    for file, kind in files:
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except OSError as e:
            fail(f"cannot read {file}: {e.strerror}")
        except UnicodeDecodeError as e:
            fail(f"{file}: not UTF-8 text (byte {e.start}); save it as UTF-8")
        raw = master_document(text, kind, source=source, file_name=file.name,
                              received_at=a.clock.now())
        if not full:
            with a.store.unit_of_work() as uow:
                stored = uow.inbox.status(raw.source, raw.source_message_id)
            if stored is not None and stored != "received":  # loaded before (received: unfinished)
                console.print(f"{file}: already loaded ({raw.source_message_id}); nothing changed")
                continue
        layout = split[raw.kind].layout(source, kind)
        # judged whole once, here; the runtime takes its records from the text as it goes
        read = read_master_file(text, kind, file_name=file.name, layout=layout, keep=False,
                                note_ids=full)
        counts = {"applied": 0, "unchanged": 0, "duplicate": 0, "dead_lettered": 0, "refused": 0}

        def tally(outs: Sequence[Outcome], counts: dict[str, int] = counts) -> None:
            for o in outs:
                # applied with nothing recorded: the record equals what o2c holds
                status = ("unchanged" if o.status.value == "applied" and o.correlation_id is None
                          else o.status.value)
                counts[status] = counts.get(status, 0) + 1
                if o.status.value in ("dead_lettered", "refused"):
                    key = o.source_message_id.split(":")[-2] if o.source_message_id.count(":") >= 2 else ""
                    err.print(f"[red]{key} parked as {o.dead_letter_id}[/] {o.code}: {o.reason}")

        head, _ = a.runtime.submit_document(raw, partial(split_master_file, layout=layout, read=read),
                                            report=tally)
        unparked = read.unparked
        readable = read.records > 0 and not unparked
        if head.status.value == "duplicate":
            missing = (reconcile(a, read, kind, file, source=source, document=raw.source_message_id,
                                 readable=readable) if full else "")
            console.print(f"{file}: already loaded ({head.source_message_id}); nothing changed"
                          + missing)
            continue
        if head.status.value == "dead_lettered":
            err.print(f"[red]{file}: parked as {head.dead_letter_id}[/] {head.code}: {head.reason}")
        for x in unparked if head.status.value != "dead_lettered" else []:
            err.print(f"[red]skipped[/] {x}")
        parked = counts["dead_lettered"] + counts["refused"] + (head.status.value == "dead_lettered")
        missing = ""
        if full:
            missing = reconcile(a, read, kind, file, source=source, document=raw.source_message_id,
                                readable=readable and head.status.value != "dead_lettered")
        console.print(f"{file}: {read.records} {kind} record(s): {counts['applied']} applied, "
                      f"{counts['unchanged']} unchanged, {counts['duplicate']} already loaded, "
                      f"{parked} parked"
                      + (f", {len(unparked)} row(s) skipped" if unparked else "") + missing)
        clean = clean and not parked and not unparked
    return clean


#: kinds a full file is reconciled for -> the field naming a record
_RECONCILED = {"legal_entities": "entity_id", "warehouses": "warehouse_id",
               "products": "product_id", "customers": "customer_id",
               "price_agreements": "agreement_id", "tax_rates": "rate_id"}
#: kinds whose records belong to a legal entity: a full file covers the entities it names
_PER_ENTITY = frozenset({"customers", "warehouses"})
#: the outbox message reporting the records missing from a full file
RECONCILIATION = "master_data_reconciliation"


def reconcile(a: App, read: MasterFile, kind: str, file: Path, *, source: str, document: str,
              readable: bool) -> str:
    """Reconcile a full file of ``kind`` against o2c's copy: the records o2c holds that the
    file does not contain (for customers and warehouses: of the legal entities the file
    names) are printed and reported durably, as a ``master_data_reconciliation`` outbox
    message to ``source`` correlated with the stored file ``document``. Nothing is deleted or
    blocked. A file some of whose rows could not be read is not reconciled (what is missing
    from it is not known). Returns the words for the file's summary line."""
    from o2c.engine.ports import Outgoing
    from o2c.store.master_export import master_records

    key = _RECONCILED.get(kind)
    if key is None:
        console.print(f"{file}: {kind} is not reconciled (an opening balance is taken once; "
                      "o2c keeps stock from then on)")
        return ""
    if not readable:
        err.print(f"[yellow]{file}: not reconciled[/]: not every row of it could be read, so what "
                  "is missing from it is not known")
        return ", not reconciled"
    in_file = read.ids
    entities = sorted(read.entities) if kind in _PER_ENTITY else []
    held = [r for r in master_records(a.store, [kind]).of(kind)
            if kind not in _PER_ENTITY or r.legal_entity_id in entities]
    missing = sorted(str(getattr(r, key)) for r in held if getattr(r, key) not in in_file)
    if not missing:
        return ", none missing from the file"
    of = f" of {', '.join(entities)}" if entities else ""
    console.print(f"[yellow]{file}: {len(missing)} {kind} record(s) o2c holds{of} missing from the "
                  f"file[/] (kept, not deleted; reported as {RECONCILIATION}): {', '.join(missing)}")
    with a.store.unit_of_work() as uow:
        a.bus.stage(uow, Outgoing(
            kind=RECONCILIATION, destination=source, correlation_id=document,
            payload={"source": source, "kind": kind, "file": file.name, "document": document,
                     "legal_entities": entities, "held": len(held), "in_file": len(in_file),
                     "missing": missing, "reconciled_at": a.clock.now().isoformat()}))
        uow.commit()
    return f", {len(missing)} missing from the file"


@master.command("load")
def load(path: Annotated[Path, typer.Argument(
             help="A CSV file (default layout, see docs/master-data.md, or the source's layout "
                  "in --config) or JSON Lines (.jsonl), or a directory of files named after "
                  "their kind (legal_entities.csv, warehouses.csv, products.csv, customers.csv, "
                  "price_agreements.csv, tax_rates.csv, stock.csv), loaded in that order.")],
         kind: Annotated[str | None, typer.Option(
             help="What one file holds, when its name does not say: legal_entities, warehouses, "
                  "products, customers, price_agreements, tax_rates or stock.")] = None,
         source: Annotated[str, typer.Option(help="The system of record it comes from.")] = "erp",
         full: Annotated[bool, typer.Option(
             "--full", help="Each file is the source's full copy of its kind: report the records "
                            "o2c holds that it does not contain (customers and warehouses: of "
                            "the legal entities it names). They are kept, never deleted.")] = False,
         config: ConfigOpt = None,
         db: DbOpt = None) -> None:
    """Load master data: each record becomes one inbound message from --source, stored first
    and deduplicated, applied as a change when it differs from what o2c holds. Records that
    cannot be read or applied are parked with the reason (file, row, column); the rest go
    through. Exit code 1 if anything was parked or skipped (records missing from a --full
    file are reported, not an error)."""
    files = master_files(path, kind)
    with opened(db) as a:
        clean = load_files(a, files, source, config, full=full)
    if not clean:
        raise typer.Exit(1)


@master.command("export")
def export(directory: Annotated[Path, typer.Argument(
               help="The directory to write the files into (made if missing): legal_entities.csv, "
                    "warehouses.csv, products.csv, customers.csv, price_agreements.csv, "
                    "tax_rates.csv, stock.csv.")],
           kind: Annotated[str | None, typer.Option(
               help="Only this kind: legal_entities, warehouses, products, customers, "
                    "price_agreements, tax_rates or stock.")] = None,
           db: DbOpt = None) -> None:
    """Write the master data o2c holds as files in the default layouts, ordered by key, so
    that loading them changes nothing: into the same database every record is unchanged, into
    a fresh one it gives the same files again. stock.csv holds the quantity on hand now per
    warehouse, product and lot, in base units. A kind o2c holds nothing of gets no file."""
    from o2c.adapters.master_export import export_csv, not_kept, rows
    from o2c.adapters.master_files import FILE_KINDS
    from o2c.store.master_export import master_records

    if kind is not None and kind not in FILE_KINDS:
        fail(f"--kind must be one of {', '.join(FILE_KINDS)}, not {kind!r}")
    kinds = [kind] if kind is not None else list(FILE_KINDS)
    if directory.exists() and not directory.is_dir():
        fail(f"{directory} is not a directory")
    in_the_way = [f"{k}.jsonl" for k in kinds if (directory / f"{k}.jsonl").exists()]
    if in_the_way:
        fail(f"{directory} holds {', '.join(in_the_way)}: loading the directory would load them "
             "too; export into another directory")
    with opened(db) as a:
        held = master_records(a.store, kinds)
    empty = [k for k in kinds if not held.of(k)]
    stale = [f"{k}.csv" for k in empty if (directory / f"{k}.csv").exists()]
    if stale:
        fail(f"{directory} holds {', '.join(stale)} but o2c holds no such records: loading the "
             "directory would load them; remove them or export into another directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for k in kinds:
            records = held.of(k)
            if not records:
                console.print(f"{k}: o2c holds none; no file written")
                continue
            target = directory / f"{k}.csv"
            text = export_csv(k, records)
            part = target.with_name(f".{target.name}.part")
            part.write_text(text, encoding="utf-8", newline="")
            part.replace(target)
            console.print(f"{target}: {len(records)} {k} record(s), {len(rows(k, records))} row(s)")
            for problem in not_kept(k, records, target.name):
                err.print(f"[yellow]warning:[/] {problem}; loading the file would change the record")
    except OSError as e:
        fail(f"cannot write into {directory}: {e.strerror}")
