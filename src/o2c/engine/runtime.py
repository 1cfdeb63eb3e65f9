"""The runtime loop: inbox first, then the bus, dead letters for what fails.

Messages are processed in batches, one transaction per batch, because a
commit is the expensive part. Each message is still atomic: a handler that
fails changes nothing, and a failure that may have half-applied state rolls
the batch back and reprocesses it one message per transaction, so that only
the bad message is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from o2c.engine import commands as cmd
from o2c.engine.bus import ENGINE_SOURCE, Dispatched, MessageBus, decode_command, describe_failure
from o2c.engine.errors import InvalidMessage, ProjectionFailed
from o2c.engine.ports import ConcurrencyConflict, DeadLetter, Ids, InboundMessage, Outgoing, UnitOfWork

Translator = Callable[[InboundMessage], cmd.Command]


def prefetch_keys(commands: Iterable[cmd.Command]) -> dict[str, list[Any]]:
    """What a batch of commands is about to read, for ``UnitOfWork.prefetch``:
    orders of shipments, deliveries, picks, exceptions and carrier statuses,
    invoices and accounts of payments, accounts, (customer, PO) pairs and stock
    positions of new orders, (customer, PO) pairs of changes."""
    orders: list[str] = []
    invoices: list[str] = []
    accounts: list[str] = []
    pos: list[tuple[str, str]] = []
    products: set[str] = set()
    for c in commands:
        if isinstance(c, cmd.ConfirmShipment | cmd.RecordDelivery | cmd.RecordPick
                      | cmd.ReportFulfilmentException | cmd.RecordShipmentStatus):
            if c.order_id:
                orders.append(c.order_id)
        elif isinstance(c, cmd.ChangeOrder):
            pos.append((c.customer_id, c.po_number))
            products.update(ln.product_id for ln in c.lines if ln.product_id)
        elif isinstance(c, cmd.ReceivePayment):
            accounts.append(c.customer_id)
            invoices.extend(r.invoice_id for r in c.references)
        elif isinstance(c, cmd.ReceiveOrder):
            accounts.append(c.customer_id)
            pos.append((c.customer_id, c.po_number))
            products.update(ln.product_id for ln in c.lines)
    return {"orders": orders, "invoices": invoices, "accounts": accounts, "purchase_orders": pos,
            "products": sorted(products)}


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentReject:
    """A part of a raw document that could not be read (a CSV order with a bad
    row, a WMS event without a status): kept as a document of the same kind
    holding only that part (the header and its rows), so a person can correct
    it and replay it through the same splitter, while the rest is applied."""

    message: InboundMessage
    code: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentSplit:
    """What an adapter made of one raw document (an X12 interchange, a file):
    the canonical messages in it, the parts it could not read (``rejects``,
    each parked on its own), the outbound messages it calls for (997s), and,
    when nothing in it could be used, the code and reason to park it with."""

    messages: tuple[InboundMessage, ...] = ()
    rejects: tuple[DocumentReject, ...] = ()
    outbound: tuple[tuple[str, str, str, dict[str, Any]], ...] = ()  # kind, destination, correlation, payload
    problem: tuple[str, str] | None = None

    def linked(self, raw: InboundMessage) -> DocumentSplit:
        """The same split with every message and reject naming ``raw`` as its document."""
        key = f"{raw.source}:{raw.source_message_id}"
        return DocumentSplit(
            messages=tuple(replace(m, document=key) for m in self.messages),
            rejects=tuple(replace(r, message=replace(r.message, document=key)) for r in self.rejects),
            outbound=self.outbound, problem=self.problem)


Splitter = Callable[[InboundMessage], DocumentSplit]


class Status(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    source: str
    source_message_id: str
    status: Status
    correlation_id: str | None = None
    dead_letter_id: str | None = None
    code: str | None = None
    reason: str | None = None


class Runtime:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        bus: MessageBus,
        translate: Translator,
        ids: Ids,
        max_conflict_retries: int = 3,
    ) -> None:
        self.uow_factory = uow_factory
        self.bus = bus
        self.translate = translate
        self.ids = ids
        self.max_conflict_retries = max_conflict_retries

    def submit(self, messages: Sequence[InboundMessage]) -> list[Outcome]:
        """Store, deduplicate and apply a batch of inbound messages."""
        translated: dict[int, cmd.Command | Exception] = {}
        for attempt in range(self.max_conflict_retries + 1):
            try:
                with self.uow_factory() as uow:
                    seen = self._seen(uow, messages)
                    for i, m in enumerate(messages):
                        if i not in translated and (m.source, m.source_message_id) not in seen:
                            translated[i] = self._translate(m)
                    prefetch = getattr(uow, "prefetch", None)
                    if prefetch is not None and len(messages) > 1:
                        commands = (c for c in translated.values() if isinstance(c, cmd.Command))
                        prefetch(**prefetch_keys(commands))
                    out = [self._one(uow, m, seen, translated.get(i)) for i, m in enumerate(messages)]
                    uow.commit()
                    return out
            except ConcurrencyConflict:
                # Another worker changed what this batch read: all of it was rolled
                # back, so run it again on fresh state (duplicates are caught then).
                if attempt == self.max_conflict_retries:
                    raise
            except ProjectionFailed:
                break
        return [self._isolated(m) for m in messages]

    def submit_document(self, raw: InboundMessage, split: Splitter) -> tuple[Outcome, list[Outcome]]:
        """Store a raw document, then the canonical messages split out of it, in
        one transaction: the raw document is kept whole (and deduplicated) before
        anything in it is applied, so an interchange sent twice changes nothing.
        Parts it could not read are parked one by one; the rest is applied."""
        for attempt in range(self.max_conflict_retries + 1):
            try:
                with self.uow_factory() as uow:
                    if self._seen(uow, [raw]):
                        return Outcome(source=raw.source, source_message_id=raw.source_message_id,
                                       status=Status.DUPLICATE), []
                    uow.inbox.add(raw, None)
                    head, outs = self._apply_split(uow, raw, self._split(raw, split))
                    uow.commit()
                    return head, outs
            except ConcurrencyConflict:
                if attempt == self.max_conflict_retries:
                    raise
            except ProjectionFailed:
                break
        # A message of the document broke while being applied: keep the document
        # whole on its own, then its messages one by one so only the bad one parks.
        parts = self._split(raw, split)
        with self.uow_factory() as uow:
            uow.inbox.add(raw, None)
            uow.inbox.mark(raw.source, raw.source_message_id, Status.APPLIED.value, None)
            self._stage(uow, parts)
            outs = self._park_rejects(uow, parts)
            uow.commit()
        head = Outcome(source=raw.source, source_message_id=raw.source_message_id, status=Status.APPLIED)
        return head, outs + [self._isolated(m) for m in parts.messages]

    @staticmethod
    def _split(raw: InboundMessage, split: Splitter) -> DocumentSplit:
        try:
            parts = split(raw)
        except Exception as exc:  # an adapter bug still parks the document whole
            parts = DocumentSplit(problem=describe_failure(exc))
        return parts.linked(raw)

    def _apply_split(self, uow: UnitOfWork, raw: InboundMessage,
                     parts: DocumentSplit) -> tuple[Outcome, list[Outcome]]:
        """Queue the document's outbound messages, park it whole if nothing in it
        could be used, else park its unreadable parts and apply its messages."""
        self._stage(uow, parts)
        if parts.problem is not None and not parts.messages and not parts.rejects:
            return self._park(uow, raw, InvalidMessage(parts.problem[1], parts.problem[0])), []
        uow.inbox.mark(raw.source, raw.source_message_id, Status.APPLIED.value, None)
        head = Outcome(source=raw.source, source_message_id=raw.source_message_id, status=Status.APPLIED)
        outs = self._park_rejects(uow, parts)
        seen = self._seen(uow, parts.messages)
        return head, outs + [self._one(uow, m, seen) for m in parts.messages]

    def _stage(self, uow: UnitOfWork, parts: DocumentSplit) -> None:
        for kind, destination, correlation, payload in parts.outbound:
            self.bus.stage(uow, Outgoing(kind=kind, destination=destination, correlation_id=correlation,
                                         payload=payload))

    def _park_rejects(self, uow: UnitOfWork, parts: DocumentSplit) -> list[Outcome]:
        outs = []
        seen = self._seen(uow, [r.message for r in parts.rejects])
        for r in parts.rejects:
            m = r.message
            if (m.source, m.source_message_id) in seen:  # the same bad part sent again
                outs.append(Outcome(source=m.source, source_message_id=m.source_message_id,
                                    status=Status.DUPLICATE))
                continue
            seen.add((m.source, m.source_message_id))
            uow.inbox.add(m, None)
            outs.append(self._park(uow, m, InvalidMessage(r.reason, r.code)))
        return outs

    def _isolated(self, m: InboundMessage) -> Outcome:
        """One message in its own transaction: the fallback after a batch failed."""
        try:
            with self.uow_factory() as uow:
                out = self._one(uow, m, self._seen(uow, [m]))
                uow.commit()
                return out
        except ProjectionFailed as exc:
            with self.uow_factory() as uow:
                uow.inbox.add(m, None)
                out = self._park(uow, m, exc)
                uow.commit()
                return out

    @staticmethod
    def _seen(uow: UnitOfWork, messages: Sequence[InboundMessage]) -> set[tuple[str, str]]:
        return uow.inbox.seen((m.source, m.source_message_id) for m in messages)

    def _translate(self, m: InboundMessage) -> cmd.Command | Exception:
        try:
            return self.translate(m)
        except Exception as exc:  # raised again where the message is applied
            return exc

    def _one(
        self,
        uow: UnitOfWork,
        m: InboundMessage,
        seen: set[tuple[str, str]],
        translated: cmd.Command | Exception | None = None,
    ) -> Outcome:
        key = (m.source, m.source_message_id)
        if key in seen:
            return Outcome(source=m.source, source_message_id=m.source_message_id, status=Status.DUPLICATE)
        seen.add(key)
        uow.inbox.add(m, None)
        return self._apply(uow, m, translated)

    def _apply(
        self, uow: UnitOfWork, m: InboundMessage, translated: cmd.Command | Exception | None = None
    ) -> Outcome:
        try:
            if translated is None:
                command = self.translate(m)
            elif isinstance(translated, Exception):
                raise translated
            else:
                command = translated
            done = self._dispatch(uow, command, m.source, f"{m.source}:{m.source_message_id}")
        except ProjectionFailed:
            raise
        except Exception as exc:
            return self._park(uow, m, exc)
        uow.inbox.mark(m.source, m.source_message_id, Status.APPLIED.value, done.correlation_id)
        return Outcome(
            source=m.source,
            source_message_id=m.source_message_id,
            status=Status.APPLIED,
            correlation_id=done.correlation_id,
        )

    def _dispatch(self, uow: UnitOfWork, c: cmd.Command, source: str, cause: str | None) -> Dispatched:
        return self.bus.dispatch(uow, c, source=source, causation_id=cause,
                                 unpark=lambda keys: self._unpark(uow, keys))

    def _unpark(self, uow: UnitOfWork, keys: list[str]) -> None:
        """Apply again, in this transaction, the messages parked until one of
        ``keys`` happened (an early POD once its shipment is confirmed). One that
        fails again is parked again under a new id, with its new reason."""
        for letter in uow.dead_letters.waiting_for(keys):
            uow.dead_letters.close(letter.dead_letter_id, "replayed")
            self._apply(uow, InboundMessage(source=letter.source, source_message_id=letter.source_message_id,
                                            kind=letter.kind, received_at=letter.failed_at, body=letter.body))

    def _park(self, uow: UnitOfWork, m: InboundMessage, exc: BaseException) -> Outcome:
        code, reason = (exc.code, exc.reason) if isinstance(exc, InvalidMessage) else describe_failure(exc)
        dl_id = f"DL-{uow.sequences.next('dead_letter'):06d}"
        uow.dead_letters.add(
            DeadLetter(
                dead_letter_id=dl_id,
                source=m.source,
                source_message_id=m.source_message_id,
                kind=m.kind,
                code=code,
                reason=reason,
                failed_at=m.received_at,
                body=m.body,
                waiting_for=getattr(exc, "waiting_for", None),
            )
        )
        uow.inbox.mark(m.source, m.source_message_id, Status.DEAD_LETTERED.value, None)
        return Outcome(
            source=m.source,
            source_message_id=m.source_message_id,
            status=Status.DEAD_LETTERED,
            dead_letter_id=dl_id,
            code=code,
            reason=reason,
        )

    def replay(self, dead_letter_id: str, body: str | None = None,
               splitters: Mapping[str, Splitter] | None = None) -> Outcome:
        """Apply a dead letter again (after master data was fixed, or with a
        corrected ``body``). A new failure parks it again under a new id. A raw
        document (an X12 interchange) is split again with the splitter for its
        kind, e.g. after its trading partner was set up."""
        with self.uow_factory() as uow:
            dl = uow.dead_letters.get(dead_letter_id)
            if dl is None or dl.status != "open":
                raise KeyError(f"no open dead letter {dead_letter_id}")
            uow.dead_letters.close(dead_letter_id, "replayed")
            if dl.source == ENGINE_SOURCE:
                c = decode_command(dl.kind, body or dl.body)
                try:
                    done = self._dispatch(uow, c, ENGINE_SOURCE, dl.source_message_id)
                    outcome = Outcome(
                        source=dl.source,
                        source_message_id=dl.source_message_id,
                        status=Status.APPLIED,
                        correlation_id=done.correlation_id,
                    )
                except ProjectionFailed:
                    raise
                except Exception as exc:
                    code, reason = describe_failure(exc)
                    new_id = self.bus.dead_letter(uow, c, dl.source_message_id, exc)
                    outcome = Outcome(
                        source=dl.source,
                        source_message_id=dl.source_message_id,
                        status=Status.DEAD_LETTERED,
                        dead_letter_id=new_id,
                        code=code,
                        reason=reason,
                    )
            else:
                m = InboundMessage(
                    source=dl.source,
                    source_message_id=dl.source_message_id,
                    kind=dl.kind,
                    received_at=dl.failed_at,
                    body=body or dl.body,
                )
                split = (splitters or {}).get(dl.kind)
                outcome = self._apply(uow, m) if split is None else self._resplit(uow, m, split)
            uow.commit()
            return outcome

    def _resplit(self, uow: UnitOfWork, raw: InboundMessage, split: Splitter) -> Outcome:
        """A stored raw document, split and applied again (its inbox row stays)."""
        head, outs = self._apply_split(uow, raw, self._split(raw, split))
        if head.status is not Status.APPLIED:
            return head
        failed = [o for o in outs if o.status is Status.DEAD_LETTERED]
        return Outcome(source=raw.source, source_message_id=raw.source_message_id, status=Status.APPLIED,
                       reason=f"{len(outs)} message(s), {len(failed)} dead-lettered" if outs else None)
