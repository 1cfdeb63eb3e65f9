"""``o2c master``: master data from files, sent as the system of record would send it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from o2c.cli_common import DbOpt, console, err, fail, opened

master = typer.Typer(pretty_exceptions_show_locals=False,
                     help="Master data: load customers and products from files.")


@master.command("load")
def load(file: Annotated[Path, typer.Argument(help="A CSV file (default layout, see "
                                                    "docs/master-data.md) or JSON Lines (.jsonl).")],
         kind: Annotated[str, typer.Option(help="What the file holds: customers or products.")],
         source: Annotated[str, typer.Option(help="The system of record it comes from.")] = "erp",
         db: DbOpt = None) -> None:
    """Load customers or products: each record becomes one inbound message from --source,
    stored first and deduplicated, applied as a change when it differs from what o2c holds.
    Records that cannot be read or applied are parked with the reason (file, row, column);
    the rest go through. Exit code 1 if anything was parked."""
    from o2c.adapters.master_files import (
        FILE_KINDS,
        master_document,
        read_master_file,
        split_master_file,
    )

    if kind not in FILE_KINDS:
        fail(f"--kind must be one of {', '.join(FILE_KINDS)}, not {kind!r}")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as e:
        fail(f"cannot read {file}: {e.strerror}")
    except UnicodeDecodeError as e:
        fail(f"{file}: not UTF-8 text (byte {e.start}); save it as UTF-8")
    read = read_master_file(text, kind, file_name=file.name)
    with opened(db) as a:
        raw = master_document(text, kind, source=source, file_name=file.name,
                              received_at=a.clock.now())
        head, outs = a.runtime.submit_document(raw, split_master_file)
    if head.status.value == "duplicate":
        console.print(f"{file}: already loaded ({head.source_message_id}); nothing changed")
        return
    counts = {"applied": 0, "unchanged": 0, "duplicate": 0, "dead_lettered": 0, "refused": 0}
    for o in outs:
        # applied with nothing recorded: the record equals what o2c holds
        status = "unchanged" if o.status.value == "applied" and o.correlation_id is None else o.status.value
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
    if parked or unparked:
        raise typer.Exit(1)
