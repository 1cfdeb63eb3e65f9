"""An ingest process for the fault suite: ``Runtime.submit_document`` of one
CSV order file on a database, as ``o2c ingest`` does, with two faults a test
can ask for.

    python -m tests.integration.fault_ingest --db URL --file F.csv
        [--poison PO] [--slow-commit SECONDS]

``--poison PO`` gives that order's lines a quantity the store cannot hold
after translation (a stand-in for any projection bug), which sends the file
down the part-by-part path; ``--slow-commit`` pauses after each commit, as a
slow database would, so a kill from outside lands mid-file whatever the
machine's speed. The test kills the process (SIGKILL) and then runs the real
``o2c ingest`` and ``o2c verify``.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from o2c.adapters.documents import Integrations
from o2c.adapters.raw import CSV_ORDERS, raw_document
from o2c.bootstrap import bootstrap
from o2c.engine import commands as cmd
from tests.integration.nats_worker import _DiesAfterCommit as SlowCommits  # with no death: only slow

CSV_CONFIG: dict[str, Any] = {"csv": [{
    "source": "sales-csv", "legal_entity_id": "US", "currency": "USD", "customer_id": "Account",
    "po_number": "PO", "product_id": "Item", "quantity": "Qty", "uom": "Unit", "ship_to_id": "ShipTo"}]}


def main(args: argparse.Namespace) -> None:
    app = bootstrap(args.db)
    runtime = app.runtime
    if args.slow_commit:
        factory = runtime.uow_factory
        runtime.uow_factory = lambda: SlowCommits(factory(), 0, args.slow_commit)
    if args.poison:
        translate = runtime.translate

        def poisoned(m: Any) -> cmd.Command:
            c = translate(m)
            if isinstance(c, cmd.ReceiveOrder) and c.po_number == args.poison:
                c = replace(c, lines=tuple(replace(ln, quantity=Decimal("0.00001")) for ln in c.lines))
            return c
        runtime.translate = poisoned
    data = Path(args.file).read_bytes()
    raw = raw_document(data, source="sales-csv", kind=CSV_ORDERS, received_at=app.clock.now(),
                       name=Path(args.file).name)
    try:
        runtime.submit_document(raw, Integrations.from_mapping(CSV_CONFIG).splitters()[CSV_ORDERS])
    finally:
        app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--poison")
    parser.add_argument("--slow-commit", type=float, default=0.0)
    main(parser.parse_args())
