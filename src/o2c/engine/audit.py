"""What the engine writes to the audit (:mod:`o2c.domain.audit`), and the one call
everyone else uses to write to it.

- :func:`entry`: one change by someone (a user added, a key revoked, a policy
  approved, a hold escalated by a timer), recorded in the caller's unit of work so it
  commits or rolls back with the change itself.
- :class:`CommandAudit`: a command issued by a person or an API key, taken before it
  runs (what its subject was: an order's status and open holds) and recorded with the
  events it produced. The bus uses it for the first command of a dispatch only, and
  only when the actor is not a system, so the messages of source systems (kept whole
  in the inbox, never edited) cost nothing here.
- :func:`replay_entry`: a dead letter applied again, with who did it and, when the
  body was corrected, a unified diff of the stored and the new body.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from o2c.domain import events as ev
from o2c.domain.actors import Actor
from o2c.domain.audit import AuditEntry, Subject, plain
from o2c.engine import commands as cmd
from o2c.engine.ports import DeadLetter, UnitOfWork

__all__ = ["CommandAudit", "Subject", "action_of", "entry", "replay_entry"]


def entry(uow: UnitOfWork, actor: Actor, action: str, subject: Subject, *, at: datetime,
          before: Any = None, after: Any = None, cause: str | None = None) -> AuditEntry:
    """Record that ``actor`` did ``action`` to ``subject`` at business time ``at`` (the
    clock's ``now()``), changing it from ``before`` to ``after`` (dataclasses, dicts,
    decimals, times: anything :func:`o2c.domain.audit.plain` takes), in ``uow``'s
    transaction. ``action`` is ``<what>.<verb>``: ``user.add``, ``key.create``,
    ``key.revoke``, ``policy.propose``, ``policy.approve``, ``hold.escalate``,
    ``hold.auto_release``. ``cause``: the message or dead letter it came with. The
    store seals it into the chain at commit; the wall time of that is kept too."""
    e = AuditEntry(actor=actor, action=action, subject=subject, occurred_at=at,
                   before=plain(before), after=plain(after), cause=cause)
    uow.audit.record(e)
    return e


_WORDS = re.compile(r"[A-Z][a-z0-9]*")


def action_of(c: cmd.Command) -> str:
    """The audit's name for a command: its object, then its verb (``RejectOrder`` →
    ``order.reject``, ``IssueCreditMemo`` → ``credit_memo.issue``); a hold decision is
    named by what was decided (``hold.release``, ``hold.override``, ``hold.reject``)."""
    if isinstance(c, cmd.ReleaseHold):
        return f"hold.{c.action.strip().lower() or 'release'}"
    verb, *noun = (w.lower() for w in _WORDS.findall(type(c).__name__))
    return f"{'_'.join(noun) or 'command'}.{verb}"


def _order_state(uow: UnitOfWork, order_id: str) -> tuple[Subject, dict[str, Any] | None]:
    o = uow.orders.get(order_id)
    if o is None:
        return Subject("order", order_id), None
    holds = [{"hold_id": h.hold_id, "code": h.code.value} for h in o.open_holds]
    return Subject("order", order_id, o.legal_entity_id), {"status": o.status.value, "open_holds": holds}


def _subject_before(uow: UnitOfWork, c: cmd.Command) -> tuple[Subject | None, dict[str, Any] | None]:
    """What ``c`` is about and what that was before it ran: an order (its status and open
    holds), an invoice's order (with the invoice's figures), a customer's account, a
    warehouse, a customer or product record (as o2c held it: None if new). None when the
    subject is made by the command (a new order)."""
    order_id = getattr(c, "order_id", None)
    if isinstance(order_id, str) and order_id:
        return _order_state(uow, order_id)
    if isinstance(c, cmd.ChangeOrder):
        found = uow.orders.find_by_po(c.customer_id, c.po_number)
        return _order_state(uow, found) if found else (None, None)
    if isinstance(c, cmd.IssueCreditMemo):
        inv = uow.invoices.get(c.invoice_id)
        if inv is None:
            return Subject("invoice", c.invoice_id), None
        subject, state = _order_state(uow, inv.order_id)
        return subject, {**(state or {}), "invoice": {
            "invoice_id": inv.invoice_id, "status": inv.status.value, "open_amount": str(inv.open_amount),
            "credited": str(inv.credited)}}
    if isinstance(c, cmd.ApplyCash | cmd.UnapplyPayment):
        pay = uow.payments.get(c.payment_id)
        if pay is None:
            return Subject("payment", c.payment_id), None
        customer = uow.master.customer(pay.customer_id) if pay.customer_id else None
        return (Subject("payment", pay.payment_id, customer.legal_entity_id if customer else None),
                {"customer_id": pay.customer_id, "unapplied": str(pay.unapplied),
                 "applied": {k: str(a.amount) for k, a in sorted(pay.applications.items())}})
    if isinstance(c, cmd.ResendDocument):
        doc = uow.documents.get(c.document_id)
        if doc is None:
            return Subject("document", c.document_id), None
        return (Subject("document", doc.document_id, doc.legal_entity_id),
                {"status": doc.status.value, "partner_id": doc.partner_id, "doc_type": doc.doc_type,
                 "group_control_number": doc.group_control_number, "reference": doc.reference})
    if isinstance(c, cmd.AttachEvidence | cmd.ResolveDispute):
        d = uow.disputes.get(c.dispute_id)
        if d is None:
            return Subject("dispute", c.dispute_id), None
        return (Subject("dispute", d.dispute_id, d.legal_entity_id or None),
                {"status": d.status.value, "waits_on": d.waits_on, "amount": str(d.amount),
                 "invoice_id": d.invoice_id, "evidence": len(d.evidence)})
    if isinstance(c, cmd.OpenDispute):
        inv = uow.invoices.get(c.invoice_id)
        if inv is None:
            return Subject("invoice", c.invoice_id), None
        return (Subject("invoice", inv.invoice_id, inv.legal_entity_id),
                {"open_amount": str(inv.open_amount), "status": inv.status.value})
    customer_id = getattr(c, "customer_id", None)
    if isinstance(c, cmd.ReceivePayment) and isinstance(customer_id, str):
        customer = uow.master.customer(customer_id)
        account = uow.accounts.get(customer_id)
        return (Subject("account", customer_id, customer.legal_entity_id if customer else None),
                None if account is None else {"open_ar": str(account.open_ar),
                                               "unapplied_cash": str(account.unapplied_cash)})
    if isinstance(c, cmd.UpsertCustomer):
        cid = c.customer.customer_id
        return Subject("customer", cid, c.customer.legal_entity_id), plain(uow.master.customer(cid))
    if isinstance(c, cmd.UpsertProduct):
        pid = c.product.product_id
        return Subject("product", pid), plain(uow.master.product(pid))
    if isinstance(c, cmd.UpsertPriceAgreement):
        a = c.agreement
        holder = uow.master.customer(a.customer_id)
        return (Subject("price_agreement", a.agreement_id, holder.legal_entity_id if holder else None),
                plain(uow.master.agreement(a.agreement_id)))
    if isinstance(c, cmd.UpsertTaxRate):
        return Subject("tax_rate", c.rate.rate_id), plain(uow.master.tax_rate(c.rate.rate_id))
    if isinstance(c, cmd.UpsertLegalEntity):
        return (Subject("legal_entity", c.entity.entity_id, c.entity.entity_id),
                plain(uow.master.legal_entity(c.entity.entity_id)))
    if isinstance(c, cmd.UpsertWarehouse):
        wh = c.warehouse
        return (Subject("warehouse", wh.warehouse_id, wh.legal_entity_id),
                plain(uow.master.warehouse(wh.warehouse_id)))
    warehouse_id = getattr(c, "warehouse_id", None)
    if isinstance(warehouse_id, str):
        w = uow.master.warehouse(warehouse_id)
        return Subject("warehouse", warehouse_id, w.legal_entity_id if w else None), None
    return None, None


def _subject_from_events(c: cmd.Command, envs: Sequence[ev.Envelope]) -> Subject:
    """The subject a command made (a new order), from the first of its events."""
    entity = getattr(c, "legal_entity_id", None)
    entity = entity if isinstance(entity, str) else None
    if envs:
        return Subject(envs[0].entity_type or "record", envs[0].entity_id, entity)
    return Subject("command", type(c).__name__, entity)


@dataclass(slots=True)
class CommandAudit:
    """The audit of one command issued by a person or an API key: taken before it runs
    (:meth:`before`), recorded with what it produced (:meth:`record`)."""

    actor: Actor
    command: cmd.Command
    subject: Subject | None
    state: dict[str, Any] | None

    @classmethod
    def before(cls, uow: UnitOfWork, actor: Actor, c: cmd.Command) -> CommandAudit:
        subject, state = _subject_before(uow, c)
        return cls(actor=actor, command=c, subject=subject, state=state)

    def record(self, uow: UnitOfWork, envs: Sequence[ev.Envelope], *, at: datetime,
               cause: str | None) -> AuditEntry:
        subject = self.subject or _subject_from_events(self.command, envs)
        after = {"command": {"type": type(self.command).__name__, **plain(self.command)},
                 "events": [{"event_id": e.event_id, "type": e.type, "payload": plain(e.payload)}
                            for e in envs]}
        return entry(uow, self.actor, action_of(self.command), subject, at=at,
                     before=self.state, after=after, cause=cause)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def body_diff(old: str, new: str, name: str) -> str:
    """A unified diff of a stored body and its correction (three lines of context)."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{name} (stored)", tofile=f"{name} (replayed)"))


def replay_entry(uow: UnitOfWork, by: Actor, letter: DeadLetter, body: str | None, *, at: datetime,
                 outcome: dict[str, Any]) -> AuditEntry:
    """Record that ``by`` replayed ``letter`` (with ``body`` instead of the stored one, if
    given and different) and what came of it."""
    changed = body is not None and body != letter.body
    before = {"status": letter.status, "code": letter.code, "reason": letter.reason, "kind": letter.kind,
              "source": letter.source, "source_message_id": letter.source_message_id,
              "body_sha256": _sha256(letter.body)}
    after: dict[str, Any] = {**outcome, "body_changed": changed}
    if changed and body is not None:
        after["body_sha256"] = _sha256(body)
        after["body_diff"] = body_diff(letter.body, body, letter.dead_letter_id)
    return entry(uow, by, "dead_letter.replay", Subject("dead_letter", letter.dead_letter_id), at=at,
                 before=before, after=after, cause=f"{letter.source}:{letter.source_message_id}")
