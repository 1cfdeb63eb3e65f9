"""The message bus: runs a command, records its events, follows reactions.

Each command is atomic: its handler returns events without changing state;
they are projected and appended together. A command issued by a reaction
that fails goes to the dead-letter queue with its reason; the original
command's failure is raised to the runtime, which dead-letters the inbound
message that carried it.
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from o2c.domain import events as ev
from o2c.domain.actors import ENGINE, Actor
from o2c.engine import commands as cmd
from o2c.engine.audit import CommandAudit
from o2c.engine.authority import authorize
from o2c.engine.context import Context
from o2c.engine.documents import record_sent
from o2c.engine.errors import ProjectionFailed, Rejected
from o2c.engine.handlers import HANDLERS
from o2c.engine.handlers.registry import Handler
from o2c.engine.ports import (
    Clock,
    DeadLetter,
    Ids,
    InsufficientStock,
    OutboundRenderer,
    Outgoing,
    UnitOfWork,
)
from o2c.engine.projector import correlation_of, project
from o2c.engine.reactions import next_commands, outbound, unblocks
from o2c.engine.timer_rules import arm
from o2c.policy import PolicyRegistry

ENGINE_SOURCE = "o2c.engine"
COMMANDS: dict[str, type[cmd.Command]] = {c.__name__: c for c in HANDLERS}


def encode_command(c: cmd.Command) -> str:
    return json.dumps(dataclasses.asdict(c), default=str, sort_keys=True)  # type: ignore[call-overload]


def decode_command(kind: str, body: str) -> cmd.Command:
    """Rebuild a reaction command (their fields are plain strings)."""
    cls = COMMANDS[kind]
    return cls(**json.loads(body))


@dataclass(slots=True)
class Dispatched:
    correlation_id: str | None = None
    events: int = 0
    dead_letters: list[str] = field(default_factory=list)


#: Applies the messages parked until one of the given keys happened (see ``reactions.unblocks``).
Unparker = Callable[[list[str]], None]


class MessageBus:
    def __init__(
        self,
        *,
        clock: Clock,
        ids: Ids,
        policies: PolicyRegistry,
        recorded_clock: Callable[[], datetime],
        handlers: dict[type[cmd.Command], Handler] | None = None,
        max_stock_retries: int = 5,
        renderers: Sequence[OutboundRenderer] = (),
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.policies = policies
        self.recorded_clock = recorded_clock
        self.handlers = handlers or HANDLERS
        self.max_stock_retries = max_stock_retries
        self.renderers = tuple(renderers)

    def dispatch(
        self,
        uow: UnitOfWork,
        command: cmd.Command,
        *,
        source: str,
        causation_id: str | None,
        unpark: Unparker | None = None,
        actor: Actor = ENGINE,
    ) -> Dispatched:
        """Run ``command`` and every command its events cause, in order.

        When an event is what parked messages wait for, ``unpark`` applies them at once,
        before that event's own reactions: a message that came early is applied as if it had
        arrived right after what it waited for (a buyer's change before its order is
        validated and released, a proof of delivery before its shipment is invoiced).

        ``command`` is issued by ``actor`` and refused (:class:`~o2c.engine.errors.Forbidden`)
        if they may not issue it; the commands its events cause are o2c's own. A command
        issued by a person or an API key is audited in the same transaction: its subject as
        it was before, and the events it produced. What systems send and what reactions
        issue is not: the inbox keeps every inbound message whole, and the log every event.
        """
        ctx = Context(uow=uow, clock=self.clock, ids=self.ids, policies=self.policies, actor=actor)
        audit = None if actor.is_system else CommandAudit.before(uow, actor, command)
        result = Dispatched()
        queue: deque[tuple[cmd.Command, str | None, str]] = deque([(command, causation_id, source)])
        first = True
        while queue:
            c, cause, src = queue.popleft()
            if not first:
                ctx.actor = ENGINE
            try:
                envs = self._run(c, ctx, src, cause)
            except ProjectionFailed:
                raise
            except Exception as exc:
                if first:
                    raise
                result.dead_letters.append(self.dead_letter(uow, c, cause, exc))
                continue
            finally:
                first = False
            if audit is not None:  # the first command, issued by a person or an API key
                audit.record(uow, envs, at=self.clock.now(), cause=causation_id)
                audit = None
            if envs and result.correlation_id is None:
                result.correlation_id = envs[0].correlation_id
            result.events += len(envs)
            if unpark is not None:
                keys = [key for env in envs if (key := unblocks(env.payload)) is not None]
                if keys:
                    unpark(keys)
            for env in envs:
                queue.extend((nc, env.event_id, ENGINE_SOURCE) for nc in next_commands(env.payload, uow))
        return result

    def _run(self, c: cmd.Command, ctx: Context, source: str, cause: str | None) -> list[ev.Envelope]:
        handler = self.handlers[type(c)]
        authorize(c, ctx.actor)
        for _ in range(self.max_stock_retries):
            events = handler(c, ctx)
            now, recorded = self.clock.now(), self.recorded_clock()
            envs = [
                ev.Envelope(
                    event_id=self.ids.new("EV"),
                    type=type(e).__name__,
                    occurred_at=now,
                    recorded_at=recorded,
                    correlation_id=correlation_of(e),
                    causation_id=cause,
                    source=source,
                    entity_type=e.entity_type,
                    entity_id=e.entity_id,
                    payload=e,
                )
                for e in events
            ]
            try:
                for i, env in enumerate(envs):
                    try:
                        project(env, ctx.uow)
                    except InsufficientStock:
                        if i == 0:
                            raise
                        raise ProjectionFailed(
                            f"{env.type} lost a stock race after other events were applied"
                        ) from None
                    except Exception as exc:
                        if i == 0 and not isinstance(env.payload, ev.StockAllocated):
                            raise  # nothing applied yet: an ordinary failure
                        raise ProjectionFailed(
                            f"applying {env.type} {env.event_id} failed: {type(exc).__name__}: {exc}"
                        ) from exc
            except InsufficientStock:
                continue  # another worker took the stock: plan again on fresh numbers
            ctx.uow.events.append(envs)
            for env in envs:
                arm(ctx, env)
                for out in outbound(env):
                    self.stage(ctx.uow, out, env)
            return envs
        raise Rejected(
            "INV-SHORT",
            f"{type(c).__name__}: stock changed under {self.max_stock_retries} allocation attempts in a row",
        )

    def stage(self, uow: UnitOfWork, out: Outgoing, cause: ev.Envelope | None = None) -> None:
        """Put ``out`` in the outbox, as the renderers make it for its channel (see
        :class:`~o2c.engine.ports.OutboundRenderer`): every outbound message passes here."""
        staged = [out]
        for render in self.renderers:
            staged = [r for o in staged for r in render(uow, o, cause)]
        for o in staged:
            uow.outbox.put(o.kind, o.destination, o.correlation_id, o.payload)
            record_sent(uow, o, self.clock.now(), self.policies)  # the ledger, if a document

    def dead_letter(self, uow: UnitOfWork, c: cmd.Command, cause: str | None, exc: Exception,
                    actor: Actor = ENGINE) -> str:
        """Park ``c`` (issued by ``actor``) with the reason ``exc`` gives."""
        dl_id = f"DL-{uow.sequences.next_id('dead_letter'):06d}"
        code, reason = describe_failure(exc)
        uow.dead_letters.add(
            DeadLetter(
                dead_letter_id=dl_id,
                source=ENGINE_SOURCE,
                source_message_id=cause or dl_id,
                kind=type(c).__name__,
                code=code,
                reason=reason,
                failed_at=self.clock.now(),
                body=encode_command(c),
                actor=None if actor == ENGINE else actor,
            )
        )
        return dl_id


def describe_failure(exc: BaseException) -> tuple[str, str]:
    """A code and a sentence for the dead-letter queue."""
    if isinstance(exc, Rejected):
        return exc.code, exc.reason
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code, str(getattr(exc, "reason", exc))
    return "INTERNAL-ERROR", (
        f"o2c could not apply this message because of an internal error "
        f"({type(exc).__name__}: {exc}); report it, then replay"
    )
