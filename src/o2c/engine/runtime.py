"""The runtime loop: inbox first, then the bus, dead letters for what fails.

Messages are processed in batches, one transaction per batch, because a
commit is the expensive part. Each message is still atomic: a handler that
fails changes nothing, and a failure that may have half-applied state rolls
the batch back and reprocesses it one message per transaction, so that only
the bad message is dead-lettered.

Failures by class: a deterministic one (bad data, a rule refused, a value
the store refuses: ``StoreRefused``) parks the message at once; a transient
one (``TransientFailure``: connection lost, deadlock, serialization) is
retried with backoff (:class:`Retry`) up to a limit, then the batch is taken
apart and a message that keeps failing alone is parked. No message is
retried forever, and one poison message never holds back the others of its
batch. Only when nothing can be stored at all (the database is gone) does
``TransientFailure`` reach the caller, with nothing applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import chain, islice
from typing import Any

from o2c.domain.actors import ENGINE, Actor, ActorKind, system
from o2c.domain.holds import Role
from o2c.engine import commands as cmd
from o2c.engine.audit import replay_entry
from o2c.engine.authority import REFERRED, authorize
from o2c.engine.bus import ENGINE_SOURCE, Dispatched, MessageBus, decode_command, describe_failure
from o2c.engine.errors import Forbidden, InvalidMessage, ProjectionFailed, StoreRefused, TransientFailure
from o2c.engine.ports import ConcurrencyConflict, DeadLetter, Ids, InboundMessage, Outgoing, UnitOfWork
from o2c.engine.scope import sees_letter
from o2c.engine.storable import key as inbox_key
from o2c.engine.storable import storable, storable_text

Translator = Callable[[InboundMessage], cmd.Command]
#: messages of one document applied per transaction: a file of 80,000 orders in one transaction
#: would hold every row and event of it in memory until the commit
DOCUMENT_CHUNK = 2000


def prefetch_keys(commands: Iterable[cmd.Command]) -> dict[str, list[Any]]:
    """What a batch of commands is about to read, for ``UnitOfWork.prefetch``:
    orders of shipments, deliveries, picks, exceptions and carrier statuses,
    invoices and accounts of payments, accounts, (customer, PO) pairs and stock
    positions of new orders, (customer, PO) pairs of changes, and the master data records
    (and held orders of the accounts) that master data messages read."""
    orders: list[str] = []
    invoices: list[str] = []
    accounts: list[str] = []
    paying: list[str] = []
    pos: list[tuple[str, str]] = []
    products: set[str] = set()
    customers: list[str] = []
    agreements: list[str] = []
    agreements_for: list[tuple[str, str]] = []
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
            paying.append(c.customer_id)  # a payment re-evaluates the account's held orders
            invoices.extend(r.invoice_id for r in c.references)
        elif isinstance(c, cmd.ReceiveOrder):
            accounts.append(c.customer_id)
            pos.append((c.customer_id, c.po_number))
            products.update(ln.product_id for ln in c.lines)
        elif isinstance(c, cmd.UpsertCustomer):
            customers.append(c.customer.customer_id)
            if c.customer.parent_id:
                customers.append(c.customer.parent_id)
            paying.append(c.customer.customer_id)  # a new account or limit re-validates held orders
        elif isinstance(c, cmd.UpsertPriceAgreement):
            a = c.agreement
            customers.append(a.customer_id)
            agreements.append(a.agreement_id)
            agreements_for.append((a.customer_id, a.product_id))
            products.add(a.product_id)
            paying.append(a.customer_id)
        elif isinstance(c, cmd.UpsertProduct):
            products.add(c.product.product_id)
    return {"orders": orders, "invoices": invoices, "accounts": accounts, "purchase_orders": pos,
            "products": sorted(products), "holds_of": paying, "customers": customers,
            "agreements": agreements, "agreements_for": agreements_for}


def _tally(outs: list[Outcome], report: Callable[[Sequence[Outcome]], None] | None) -> list[Outcome]:
    """Hand ``outs`` to ``report`` (and keep none), or keep them."""
    if report is None:
        return outs
    report(outs)
    return []


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
    when nothing in it could be used, the code and reason to park it with.

    ``messages`` may be produced lazily and read once (a large interchange's
    are made as the runtime takes them, a chunk at a time): a splitter reads
    and judges the whole document first, so producing them cannot fail."""

    messages: Iterable[InboundMessage] = ()
    rejects: tuple[DocumentReject, ...] = ()
    outbound: tuple[tuple[str, str, str, dict[str, Any]], ...] = ()  # kind, destination, correlation, payload
    problem: tuple[str, str] | None = None

    def linked(self, raw: InboundMessage) -> DocumentSplit:
        """The same split with every message and reject naming ``raw`` as its document."""
        key = f"{raw.source}:{raw.source_message_id}"
        return DocumentSplit(
            messages=(replace(m, document=key) for m in self.messages),
            rejects=tuple(replace(r, message=replace(r.message, document=key)) for r in self.rejects),
            outbound=self.outbound, problem=self.problem)


Splitter = Callable[[InboundMessage], DocumentSplit]


class Status(StrEnum):
    RECEIVED = "received"  # stored, outcome not marked yet
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"
    #: the sender may not do this (a role it lacks, a decision beyond its tier): kept, with the
    #: reason, as a closed dead letter nobody can replay
    REFUSED = "refused"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    source: str
    source_message_id: str
    status: Status
    correlation_id: str | None = None
    dead_letter_id: str | None = None
    code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """How often, and how patiently, a transaction that failed transiently is
    tried again: ``attempts`` retries, waiting ``first_delay`` seconds, doubling
    up to ``max_delay``."""

    attempts: int = 5
    first_delay: float = 0.05
    max_delay: float = 2.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def wait(self, attempt: int) -> None:
        self.sleep(min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


class _Tries:
    """The failures one unit of work has met so far, and whether to try it again:
    a lost race up to ``conflicts`` times at once, a transient failure up to the
    retry policy's attempts after its backoff."""

    def __init__(self, retry: Retry, conflicts: int) -> None:
        self.retry, self.max_conflicts = retry, conflicts
        self.conflicts = self.transients = 0

    def again_after_conflict(self) -> bool:
        self.conflicts += 1
        return self.conflicts <= self.max_conflicts

    def again_after_transient(self) -> bool:
        self.transients += 1
        if self.transients > self.retry.attempts:
            return False
        self.retry.wait(self.transients)
        return True


class Runtime:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        bus: MessageBus,
        translate: Translator,
        ids: Ids,
        max_conflict_retries: int = 3,
        retry: Retry | None = None,
        document_chunk: int = DOCUMENT_CHUNK,
    ) -> None:
        self.uow_factory = uow_factory
        self.document_chunk = document_chunk
        self.bus = bus
        self.translate = translate
        self.ids = ids
        self.max_conflict_retries = max_conflict_retries
        self.retry = retry or Retry()

    def _tries(self) -> _Tries:
        return _Tries(self.retry, self.max_conflict_retries)

    def submit(self, messages: Sequence[InboundMessage]) -> list[Outcome]:
        """Store, deduplicate and apply a batch of inbound messages."""
        return self._batch(messages)

    def _batch(self, messages: Sequence[InboundMessage],
               finish: Callable[[UnitOfWork], None] | None = None) -> list[Outcome]:
        """``submit``, with ``finish`` run in the batch's transaction (or, when the batch
        falls back to one message per transaction, in one of its own after them)."""
        translated: dict[int, cmd.Command | Exception] = {}
        tries = self._tries()
        while True:
            try:
                with self.uow_factory() as uow:
                    seen = self._seen(uow, messages)
                    self._prepare(uow, messages, seen, translated)
                    out = [self._one(uow, m, seen, translated.get(i)) for i, m in enumerate(messages)]
                    if finish is not None:
                        finish(uow)
                    uow.commit()
                    return out
            except ConcurrencyConflict:
                # Another worker changed what this batch read: all of it was rolled
                # back, so run it again on fresh state (duplicates are caught then).
                if not tries.again_after_conflict():
                    raise
            except TransientFailure:
                if len(messages) == 1 or not tries.again_after_transient():
                    break  # each on its own now, so one that keeps failing parks alone
            except (ProjectionFailed, StoreRefused):
                break
        outs = [self._isolated(m) for m in messages]
        if finish is not None:
            with self.uow_factory() as uow:
                finish(uow)
                uow.commit()
        return outs

    def submit_document(self, raw: InboundMessage, split: Splitter,
                        report: Callable[[Sequence[Outcome]], None] | None = None
                        ) -> tuple[Outcome, list[Outcome]]:
        """Store a raw document, then the canonical messages split out of it, in
        one transaction: the raw document is kept whole (and deduplicated) before
        anything in it is applied, so an interchange sent twice changes nothing.
        Parts it could not read are parked one by one; the rest is applied.

        Up to ``document_chunk`` messages go in the document's own transaction;
        beyond that, the rest goes in transactions of that many, so what one holds
        stays bounded. The document is marked applied only together with (or
        after) the last of its parts: while they go in several transactions (a
        big file, or one per part after a part's projection failed) it stays
        ``received``; a crash then leaves it unfinished, and submitting it again
        (or :meth:`finish`) applies exactly the parts not yet applied or parked.

        ``report``: given, the parts' outcomes are handed to it as each transaction commits
        instead of returned (a file of a million records need not hold a million outcomes)."""
        raw, _ = storable(raw)  # splitters read the text as sent (o2c.adapters.raw.document_text)
        tries = self._tries()
        resumed = False
        rest: Iterator[InboundMessage] | None = None
        committed = False
        head = Outcome(source=raw.source, source_message_id=raw.source_message_id, status=Status.RECEIVED)
        outs: list[Outcome] = []
        while not resumed:
            try:
                with self.uow_factory() as uow:
                    stored = uow.inbox.status(raw.source, raw.source_message_id)
                    if stored == Status.RECEIVED.value:  # an earlier run stopped half-way
                        resumed = True
                        continue
                    if stored is not None:
                        return Outcome(source=raw.source, source_message_id=raw.source_message_id,
                                       status=Status.DUPLICATE), []
                    uow.inbox.add(raw, None)
                    parts = self._split(raw, split)
                    first, rest = self._first_chunk(parts.messages)
                    head, outs = self._apply_split(uow, raw, parts, first, done=rest is None)
                    uow.commit()
                    committed = True
                outs = _tally(outs, report)
                if rest is None or head.status is not Status.APPLIED:
                    return head, outs
                break
            except ConcurrencyConflict:
                if not tries.again_after_conflict():
                    raise
            except TransientFailure:
                if not tries.again_after_transient():
                    break
            except (ProjectionFailed, StoreRefused):
                break
        else:
            return self._part_by_part(raw, self._split(raw, split), resumed=True, report=report)
        if committed and rest is not None:  # the first chunk is in: the rest in transactions of their own
            return head, outs + self._in_chunks(raw, rest, report)
        return self._part_by_part(raw, self._split(raw, split), resumed=False, report=report)

    def _prepare(self, uow: UnitOfWork, messages: Sequence[InboundMessage], seen: set[tuple[str, str]],
                 translated: dict[int, cmd.Command | Exception]) -> None:
        """Translate the batch's new messages (into ``translated``, by position) and load
        what their commands will read in a few queries."""
        for i, m in enumerate(messages):
            if i not in translated and inbox_key(m) not in seen:
                translated[i] = self._translate(m)
        if len(messages) > 1:
            commands = (c for c in translated.values() if isinstance(c, cmd.Command))
            uow.prefetch(**prefetch_keys(commands))

    def _part_by_part(self, raw: InboundMessage, parts: DocumentSplit, *, resumed: bool,
                      report: Callable[[Sequence[Outcome]], None] | None = None
                      ) -> tuple[Outcome, list[Outcome]]:
        """A message of the document broke while being applied (or an earlier run
        stopped half-way): keep the document whole, unfinished, with its outbound
        messages and unreadable parts, then apply its messages one per transaction
        so only the bad one parks, then mark the document applied."""
        done = 0
        kept: list[Outcome] = []

        def take(outs: Sequence[Outcome]) -> None:  # each transaction's outcomes
            nonlocal done
            done += sum(o.status is not Status.DUPLICATE for o in outs)
            if report is None:
                kept.extend(outs)
            else:
                report(outs)

        with self.uow_factory() as uow:
            if not resumed:  # else stored and staged by the first run
                uow.inbox.add(raw, None)
                self._stage(uow, parts)
            rejects = self._park_rejects(uow, parts)  # those not parked yet
            uow.commit()
        take(rejects)
        # After a failure, one per transaction; when resuming, in chunks first.
        if resumed:
            self._in_chunks(raw, parts.messages, take)
        else:
            it = iter(parts.messages)
            while chunk := list(islice(it, self.document_chunk)):
                take([self._isolated(m) for m in chunk])
            with self.uow_factory() as uow:
                self._mark_applied(uow, raw)
                uow.commit()
        head = Outcome(source=raw.source, source_message_id=raw.source_message_id, status=Status.APPLIED,
                       reason=f"finished an interrupted run: {done} part(s) applied or parked now"
                       if resumed else None)
        return head, kept

    def unfinished(self) -> list[InboundMessage]:
        """Raw documents stored but not finished (a run stopped half-way)."""
        with self.uow_factory() as uow:
            return uow.inbox.unfinished()

    def finish(self, splitters: Mapping[str, Splitter]) -> list[tuple[Outcome, list[Outcome]]]:
        """Finish every document an interrupted run left half-applied, from its
        stored copy: the parts not yet applied or parked are applied now."""
        done = []
        for raw in self.unfinished():
            split = splitters.get(raw.kind)
            if split is None:
                raise KeyError(f"no splitter for {raw.kind} (document {raw.source}:{raw.source_message_id})")
            done.append(self._part_by_part(raw, self._split(raw, split), resumed=True))
        return done

    @staticmethod
    def _split(raw: InboundMessage, split: Splitter) -> DocumentSplit:
        try:
            parts = split(raw)
        except Exception as exc:  # an adapter bug still parks the document whole
            parts = DocumentSplit(problem=describe_failure(exc))
        return parts.linked(raw)

    def _first_chunk(
        self, messages: Iterable[InboundMessage]
    ) -> tuple[list[InboundMessage], Iterator[InboundMessage] | None]:
        """The first ``document_chunk`` messages, and the rest (None if there is none),
        taken as they come: a large document's are never all held at once."""
        it = iter(messages)
        first = list(islice(it, self.document_chunk))
        following = next(it, None)
        return first, None if following is None else chain((following,), it)

    def _in_chunks(self, raw: InboundMessage, messages: Iterable[InboundMessage],
                   report: Callable[[Sequence[Outcome]], None] | None = None) -> list[Outcome]:
        """A document's messages in transactions of ``document_chunk``, the document
        marked applied with the last of them."""
        outs: list[Outcome] = []
        chunk, rest = self._first_chunk(messages)
        while rest is not None:
            outs += _tally(self._batch(chunk), report)
            chunk, rest = self._first_chunk(rest)
        return outs + _tally(self._batch(chunk, lambda uow: self._mark_applied(uow, raw)), report)

    def _apply_split(self, uow: UnitOfWork, raw: InboundMessage, parts: DocumentSplit,
                     messages: Sequence[InboundMessage] | None = None,
                     done: bool = True) -> tuple[Outcome, list[Outcome]]:
        """Queue the document's outbound messages, park it whole if nothing in it
        could be used, else park its unreadable parts and apply its ``messages`` (all
        of them unless told), marking it applied if ``done``."""
        messages = list(parts.messages) if messages is None else messages
        self._stage(uow, parts)
        if parts.problem is not None and not messages and not parts.rejects:
            return self._park(uow, raw, InvalidMessage(parts.problem[1], parts.problem[0])), []
        if done:
            self._mark_applied(uow, raw)
        head = Outcome(source=raw.source, source_message_id=raw.source_message_id, status=Status.APPLIED)
        outs = self._park_rejects(uow, parts)
        seen = self._seen(uow, messages)
        translated: dict[int, cmd.Command | Exception] = {}
        self._prepare(uow, messages, seen, translated)
        return head, outs + [self._one(uow, m, seen, translated.get(i)) for i, m in enumerate(messages)]

    @staticmethod
    def _mark_applied(uow: UnitOfWork, raw: InboundMessage) -> None:
        uow.inbox.mark(raw.source, raw.source_message_id, Status.APPLIED.value, None)

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
        """One message in its own transaction: the fallback after a batch failed.
        A message that fails deterministically, or transiently beyond the retry
        limit, is parked; if even that cannot be stored, the failure is raised."""
        tries = self._tries()
        while True:
            try:
                with self.uow_factory() as uow:
                    out = self._one(uow, m, self._seen(uow, [m]))
                    uow.commit()
                    return out
            except (ProjectionFailed, StoreRefused) as exc:
                return self._park_alone(m, exc)
            except ConcurrencyConflict:
                if not tries.again_after_conflict():
                    raise
            except TransientFailure as exc:
                if not tries.again_after_transient():
                    return self._park_alone(m, exc)

    def _park_alone(self, m: InboundMessage, exc: BaseException) -> Outcome:
        with self.uow_factory() as uow:
            m, _ = storable(m)
            if (m.source, m.source_message_id) in self._seen(uow, [m]):  # stored meanwhile
                return Outcome(source=m.source, source_message_id=m.source_message_id,
                               status=Status.DUPLICATE)
            uow.inbox.add(m, None)
            out = self._park(uow, m, exc)
            uow.commit()
            return out

    @staticmethod
    def _seen(uow: UnitOfWork, messages: Sequence[InboundMessage]) -> set[tuple[str, str]]:
        return uow.inbox.seen(inbox_key(m) for m in messages)

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
        kept, problem = storable(m)  # the store must be able to hold it before anything else
        key = (kept.source, kept.source_message_id)
        if key in seen:
            return Outcome(source=m.source, source_message_id=m.source_message_id, status=Status.DUPLICATE)
        seen.add(key)
        uow.inbox.add(kept, None)
        if problem is not None:
            return self._park(uow, kept, InvalidMessage(
                f"{m.kind} {kept.source_message_id} from {kept.source}: {problem}, which o2c cannot "
                "keep; the stored copy shows it as \u2400 (NUL) or \ufffd: correct it at the source "
                "and send it again"))
        return self._apply(uow, kept, translated)

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
            done = self._dispatch(uow, command, m.source, f"{m.source}:{m.source_message_id}",
                                  m.actor or system(m.source))
        except ProjectionFailed:
            raise
        except Forbidden as exc:
            return self._park(uow, m, exc, refused=True)
        except Exception as exc:
            return self._park(uow, m, exc)
        uow.inbox.mark(m.source, m.source_message_id, Status.APPLIED.value, done.correlation_id)
        return Outcome(
            source=m.source,
            source_message_id=m.source_message_id,
            status=Status.APPLIED,
            correlation_id=done.correlation_id,
        )

    def _dispatch(self, uow: UnitOfWork, c: cmd.Command, source: str, cause: str | None,
                  actor: Actor) -> Dispatched:
        return self.bus.dispatch(uow, c, source=source, causation_id=cause, actor=actor,
                                 unpark=lambda keys: self._unpark(uow, keys))

    def _unpark(self, uow: UnitOfWork, keys: list[str]) -> None:
        """Apply again, in this transaction, the messages parked until one of
        ``keys`` happened (an early POD once its shipment is confirmed). One that
        fails again is parked again under a new id, with its new reason."""
        for letter in uow.dead_letters.waiting_for(keys):
            uow.dead_letters.close(letter.dead_letter_id, "replayed")
            self._apply(uow, InboundMessage(source=letter.source, source_message_id=letter.source_message_id,
                                            kind=letter.kind, received_at=letter.failed_at, body=letter.body,
                                            actor=letter.actor))

    def _park(self, uow: UnitOfWork, m: InboundMessage, exc: BaseException, *,
              refused: bool = False) -> Outcome:
        """Park ``m`` in the dead-letter queue with the reason; ``refused`` (the sender may not
        do this): kept the same way, with the reason, but closed, so no replay applies it."""
        code, reason = (exc.code, exc.reason) if isinstance(exc, InvalidMessage) else describe_failure(exc)
        reason = storable_text(reason)
        dl_id = f"DL-{uow.sequences.next_id('dead_letter'):06d}"
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
                status=Status.REFUSED.value if refused else "open",
                actor=m.actor,
            )
        )
        status = Status.REFUSED if refused else Status.DEAD_LETTERED
        uow.inbox.mark(m.source, m.source_message_id, status.value, None)
        return Outcome(
            source=m.source,
            source_message_id=m.source_message_id,
            status=status,
            dead_letter_id=dl_id,
            code=code,
            reason=reason,
        )

    def replay(self, dead_letter_id: str, body: str | None = None,
               splitters: Mapping[str, Splitter] | None = None, actor: Actor | None = None, *,
               operator: Actor | None = None) -> Outcome:
        """Apply a dead letter again (after master data was fixed, or with a
        corrected ``body``). A new failure parks it again under a new id. A raw
        document (an X12 interchange) is split again with the splitter for its
        kind, e.g. after its trading partner was set up.

        ``actor`` replays it (None: o2c itself, for callers that checked who asks). As
        stored, the message acts as its sender did; with a changed body it acts as
        ``actor``, who needs the integration role (or, for a decision o2c referred to a
        person, the role that decides it). A replay ``actor`` may not make raises
        :class:`~o2c.engine.errors.Forbidden` and leaves the dead letter open.

        The replay is audited in its transaction: who asked for it, the letter, what came of
        it and, for a corrected body, a diff of the stored and the new one. Who asked is
        ``actor``, else ``operator`` (whoever is at the controls when the caller vouches for
        them instead of passing an ``actor`` to check: the command line's operating-system
        user; named in the audit only), else o2c itself."""
        with self.uow_factory() as uow:
            dl = uow.dead_letters.get(dead_letter_id)
            if dl is None or dl.status != "open" or (actor is not None and not sees_letter(uow, actor, dl)):
                raise KeyError(f"no open dead letter {dead_letter_id}")  # another entity's reads the same
            acting = _replaying_as(dl, body, actor)
            uow.dead_letters.close(dead_letter_id, "replayed")
            if dl.source == ENGINE_SOURCE:
                c = decode_command(dl.kind, body or dl.body)
                authorize(c, acting)  # refused before anything changes: the letter stays open
                try:
                    done = self._dispatch(uow, c, ENGINE_SOURCE, dl.source_message_id, acting)
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
                    new_id = self.bus.dead_letter(uow, c, dl.source_message_id, exc, acting)
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
                    actor=None if acting.is_system and acting.id == dl.source else acting,
                )
                m, problem = storable(m)
                split = (splitters or {}).get(dl.kind)
                if problem is not None:
                    outcome = self._park(uow, m, InvalidMessage(f"the corrected {dl.kind}: {problem}"))
                else:
                    outcome = self._apply(uow, m) if split is None else self._resplit(uow, m, split)
            replay_entry(uow, actor or operator or ENGINE, dl, body, at=self.bus.clock.now(), outcome={
                "status": outcome.status.value, "acted_as": acting.label,
                "correlation_id": outcome.correlation_id, "dead_letter_id": outcome.dead_letter_id,
                "code": outcome.code, "reason": outcome.reason})
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


def _replaying_as(dl: DeadLetter, body: str | None, actor: Actor | None) -> Actor:
    """Who a replay of ``dl`` acts as: its sender when replayed as stored, else ``actor``
    (see :meth:`Runtime.replay`); Forbidden for a replay ``actor`` may not make."""
    sender = dl.actor or system(dl.source)
    if actor is None:
        return sender
    if actor.kind is not ActorKind.SYSTEM and not (actor.roles - {Role.AUDITOR}):
        raise Forbidden(f"{actor.label} only reads; replaying a dead letter needs a role that acts")
    if body is None or body == dl.body:
        return sender
    referred = dl.source == ENGINE_SOURCE and dl.kind in {k.__name__ for k in REFERRED}
    if not referred and actor.kind is not ActorKind.SYSTEM and Role.INTEGRATION not in actor.roles:
        raise Forbidden(f"replaying dead letter {dl.dead_letter_id} with a changed body needs the "
                        f"integration role; {actor.label} does not hold it (replay it as stored, or ask "
                        "integration to correct it)")
    return actor
