"""``o2c documents``: the ledger of what o2c sent its trading partners (every X12 set, with
its control numbers and the partner's 997), and sending one again."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from o2c.cli_common import (
    AsOpt,
    ConfigOpt,
    DbOpt,
    JsonOpt,
    acting,
    console,
    fail,
    integrations_from,
    opened,
    submit_as_person,
)
from o2c.domain.documents import AckStatus, SentDocument

documents = typer.Typer(pretty_exceptions_show_locals=False,
                        help="The documents o2c sent (855, 856, 810, 940, 997), what the partners' "
                             "997s said, and sending one again.")

DocumentArg = Annotated[str, typer.Argument(help="The document id, such as DOC-00000042.")]


def _view(d: SentDocument) -> dict[str, Any]:
    """The document as ``GET /documents/{id}`` answers it."""
    from o2c.api.routes_documents import document_public

    return document_public(d).model_dump(mode="json")


def _visible(actor: Any, d: SentDocument | None) -> bool:
    return d is not None and (d.legal_entity_id is None or actor.acts_for(d.legal_entity_id))


@documents.command("list")
def list_(status: Annotated[str | None, typer.Option(help="Only this status: " + ", ".join(AckStatus))]
          = None,
          partner: Annotated[str | None, typer.Option(help="Only those sent to this partner.")] = None,
          type_: Annotated[str | None, typer.Option("--type", help="Only this X12 set, such as 810.")] = None,
          reference: Annotated[str | None, typer.Option(help="Only those carrying this order, invoice "
                                                             "or shipment.")] = None,
          limit: Annotated[int, typer.Option(help="At most this many.")] = 200,
          user: AsOpt = None, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """What o2c sent its trading partners, newest first, with each 997's verdict."""
    if status is not None and status not in set(AckStatus):
        fail(f"--status: {status!r} is none of {', '.join(AckStatus)}")
    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            found = uow.documents.search(status=status, partner_id=partner, doc_type=type_,
                                         reference=reference, limit=limit)
    items = [d for d in found if _visible(actor, d)]
    if as_json:
        print(json.dumps([_view(d) for d in items], indent=2))
        return
    t = Table(title=f"documents sent: {len(items)}")
    for col in ("document", "partner", "set", "GS06/ST02", "carries", "sent", "status", "997"):
        t.add_column(col, overflow="fold")
    for d in items:
        answer = " ".join(x for x in (d.ack_code or "", d.ack_errors) if x) or "-"
        t.add_row(d.document_id, d.partner_id, d.doc_type, f"{d.group_control_number}/{d.set_control_number}",
                  d.reference or "-", d.sent_at.isoformat(timespec="minutes"), d.status.value, answer)
    console.print(t)


@documents.command("show")
def show(document: DocumentArg, user: AsOpt = None, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """One document: its control numbers, what it carries, and what the partner's 997 said
    (AK5/AK9 codes, the segment errors) and when."""
    with opened(db) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            d = uow.documents.get(document)
    if d is None or not _visible(actor, d):
        fail(f"no document {document}")
    view = _view(d)
    if as_json:
        print(json.dumps(view, indent=2))
        return
    for key, value in view.items():
        console.print(f"{key:>26}: {value if value not in (None, '') else '-'}")


@documents.command("resend")
def resend(document: DocumentArg, config: ConfigOpt = None, user: AsOpt = None, db: DbOpt = None) -> None:
    """Send DOCUMENT again as you (billing, integration, ar_manager or controller): the same
    content under the partner's next control numbers, rendered with the integration
    configuration (--config). Only a rejected or unacknowledged document is sent again; its
    hold is resolved; audited."""
    from o2c.adapters.canonical import DocumentResendIn

    integrations = integrations_from(config)
    with opened(db, integrations) as a:
        actor = acting(a, user)
        with a.store.unit_of_work() as uow:
            d = uow.documents.get(document)
        if d is None or not _visible(actor, d):
            fail(f"no document {document}")
        partner = integrations.partners.get(d.partner_id)
        if partner is None or d.doc_type not in partner.outbound:
            fail(f"{document} not sent again: the integration configuration (--config) has no partner "
                 f"{d.partner_id} taking {d.doc_type}s")
        submit_as_person(a, actor, "document_resend", DocumentResendIn, {"document_id": document},
                         f"{document} not sent again")
        with a.store.unit_of_work() as uow:
            after = uow.documents.get(document)
            new = uow.documents.get(after.resent_as) if after and after.resent_as else None
    if new is None:
        fail(f"{document} was not sent again", code=1)
    console.print(f"{document} sent again as {new.document_id} to {new.partner_id}: {new.doc_type} "
                  f"{new.reference}, GS06 {new.group_control_number} ST02 {new.set_control_number}")
