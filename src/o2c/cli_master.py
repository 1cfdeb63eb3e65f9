"""``o2c master``: master data from files, sent as the system of record would send it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from o2c.cli_common import ConfigOpt, DbOpt, console, err, fail, integrations_from, opened

if TYPE_CHECKING:
    from o2c.bootstrap import App

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


def load_files(a: App, files: list[tuple[Path, str]], source: str, config: Path | None) -> bool:
    """Load ``files`` through the inbox as ``source`` sends them; print what became of each
    record. True if everything went through."""
    from o2c.adapters.master_files import master_document, read_master_file, splitters

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
        splitter = split[raw.kind]
        read = read_master_file(text, kind, file_name=file.name,
                                layout=splitter.layout(source, kind))
        head, outs = a.runtime.submit_document(raw, splitter)
        if head.status.value == "duplicate":
            console.print(f"{file}: already loaded ({head.source_message_id}); nothing changed")
            continue
        counts = {"applied": 0, "unchanged": 0, "duplicate": 0, "dead_lettered": 0, "refused": 0}
        for o in outs:
            # applied with nothing recorded: the record equals what o2c holds
            status = ("unchanged" if o.status.value == "applied" and o.correlation_id is None
                      else o.status.value)
            counts[status] = counts.get(status, 0) + 1
            if o.status.value in ("dead_lettered", "refused"):
                key = o.source_message_id.split(":")[-2] if o.source_message_id.count(":") >= 2 else ""
                err.print(f"[red]{key} parked as {o.dead_letter_id}[/] {o.code}: {o.reason}")
        if head.status.value == "dead_lettered":
            err.print(f"[red]{file}: parked as {head.dead_letter_id}[/] {head.code}: {head.reason}")
        unparked = [x for x in read.errors if not any(x in errs for _, _, errs in read.rejects)]
        for x in unparked if head.status.value != "dead_lettered" else []:
            err.print(f"[red]skipped[/] {x}")
        parked = counts["dead_lettered"] + counts["refused"] + (head.status.value == "dead_lettered")
        console.print(f"{file}: {read.records} {kind} record(s): {counts['applied']} applied, "
                      f"{counts['unchanged']} unchanged, {counts['duplicate']} already loaded, "
                      f"{parked} parked"
                      + (f", {len(unparked)} row(s) skipped" if unparked else ""))
        clean = clean and not parked and not unparked
    return clean


@master.command("load")
def load(path: Annotated[Path, typer.Argument(
             help="A CSV file (default layout, see docs/master-data.md, or the source's layout "
                  "in --config) or JSON Lines (.jsonl), or a directory of files named after "
                  "their kind (legal_entities.csv, warehouses.csv, products.csv, customers.csv, "
                  "price_agreements.csv, stock.csv), loaded in that order.")],
         kind: Annotated[str | None, typer.Option(
             help="What one file holds, when its name does not say: legal_entities, warehouses, "
                  "products, customers, price_agreements or stock.")] = None,
         source: Annotated[str, typer.Option(help="The system of record it comes from.")] = "erp",
         config: ConfigOpt = None,
         db: DbOpt = None) -> None:
    """Load master data: each record becomes one inbound message from --source, stored first
    and deduplicated, applied as a change when it differs from what o2c holds. Records that
    cannot be read or applied are parked with the reason (file, row, column); the rest go
    through. Exit code 1 if anything was parked or skipped."""
    files = master_files(path, kind)
    with opened(db) as a:
        clean = load_files(a, files, source, config)
    if not clean:
        raise typer.Exit(1)
