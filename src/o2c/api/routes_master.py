"""Master data: ``/master/{kind}/{id}`` (read one record, write it whole) and
``/master/{kind}`` (a file of records, CSV or JSON Lines).

A record is read as its canonical message with an ``ETag``; it is written back the same way,
with ``If-Match`` naming the ETag it was read at (``If-None-Match: *`` or no header to add
one). Every write is a message from source ``api`` sent by the caller: stored in the inbox,
applied by the engine with the caller's roles and legal entities, parked with the engine's
reason when it cannot be applied. A file goes the way of ``o2c master load``: stored whole,
split into one message per record, the readable ones applied, the others parked with their
row and column.

One route per kind (not one with a ``{kind}`` parameter), so that each documents its own
body schema. This module does not use postponed annotations: the routes are made in a loop,
and FastAPI reads the type of each one's body from its annotation.
"""

import dataclasses
from functools import partial
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import ClientDisconnect

from o2c.adapters.master_files import (
    FILE_KINDS,
    MasterSplitter,
    master_document,
    read_master_file,
    split_master_file,
)
from o2c.api import master, queries
from o2c.api.auth import AUTH_ANSWERS, WRITE_AUTH_ANSWERS, ActorDep, authenticated, forbidden, may, not_found
from o2c.api.deps import Engine, EngineDep, ResourceId
from o2c.api.master import SOURCE, Held, Kind
from o2c.api.schemas import INVALID, NOT_FOUND, TOO_LARGE, UNAVAILABLE, Problem, problem_of, problem_response
from o2c.domain.actors import Actor
from o2c.engine.authority import may_issue
from o2c.engine.errors import Forbidden
from o2c.engine.ports import InboundMessage
from o2c.engine.runtime import Outcome, Status

router = APIRouter(prefix="/master", tags=["master data"], dependencies=[Depends(authenticated)])


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class MasterWritten(_Out):
    """What a write did: ``added`` (o2c did not hold the record), ``changed`` (``changed``
    names the fields that differ, as o2c records them) or ``unchanged`` (o2c held it as sent
    and recorded nothing)."""

    kind: str = Field(description="customers, products, legal-entities, warehouses or price-agreements.")
    id: str
    result: Literal["added", "changed", "unchanged"]
    changed: list[str] = Field(description="The fields that changed (o2c's names: ``credit_limit``, "
                               "``ship_tos``, ``list_prices``...); empty when added or unchanged.")
    version: int | None = Field(description="The version o2c keeps now (customers and price agreements).")
    etag: str = Field(description="The record's ETag now: send it as If-Match with the next change.")
    replayed: bool = Field(default=False, description="True: the same body was sent over the same "
                           "version before; this is that request's answer, nothing was applied again.")
    record: dict[str, Any] = Field(description="The record as o2c holds it now, as its canonical body.")


class ParkedRecord(_Out):
    key: str = Field(description="The record's key in the file (``C1``, ``W1/P1/L7`` for stock).")
    status: str = Field(description="dead_lettered (fix and replay it) or refused (the caller may not).")
    dead_letter_id: str | None
    code: str | None
    reason: str | None


class RowErrorPublic(_Out):
    file: str
    row: int = Field(description="The line of the file (the header is row 1); 0: the whole file.")
    column: str
    expected: str
    value: str


class UploadSummary(_Out):
    """What became of a file: its records applied, unchanged (o2c held them as sent), already
    loaded (sent before), parked (each with its key, dead letter and reason), and the cells
    that could not be read."""

    kind: str
    file: str = Field(description="The name the file is stored under (``name``, or the kind).")
    document_id: str = Field(description="The inbox id of the stored file: the same content again "
                             "is a duplicate and changes nothing.")
    status: str = Field(description="applied, duplicate (the same file was loaded before), or "
                        "dead_lettered (nothing in it could be read: ``parked`` names it).")
    records: int
    applied: int
    unchanged: int
    duplicate: int
    parked: list[ParkedRecord]
    row_errors: list[RowErrorPublic]


# ---------------------------------------------------------------- answers

_PRECONDITION: dict[int | str, dict[str, Any]] = {
    412: {"model": Problem, "description": "If-Match does not name the record's current ETag (``detail`` "
          "names it: read the record again), or If-None-Match: * and the record exists. Nothing was "
          "applied."},
    428: {"model": Problem, "description": "The record exists and the request has no If-Match: send the "
          "ETag it was read at. Nothing was applied."},
}
_PARKED: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Not applied: the engine parked it with its reason (a legal "
          "entity or warehouse o2c does not know, an agreement whose validity overlaps another, an "
          "account that would move to another legal entity...); ``dead_letter_id`` names the parked "
          "message, to fix and replay."},
}
_ETAG = {"ETag": {"description": "The record's version (``\"v3\"``) or a hash of its canonical body.",
                  "schema": {"type": "string"}}}
_READ_ANSWERS: dict[int | str, dict[str, Any]] = {**NOT_FOUND, **INVALID, **UNAVAILABLE, **AUTH_ANSWERS}
_WRITE_ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not readable (not UTF-8 JSON)."},
    **NOT_FOUND, **INVALID, **TOO_LARGE, **UNAVAILABLE, **WRITE_AUTH_ANSWERS, **_PRECONDITION, **_PARKED}


def _problem(http_status: int, code: str, detail: str, dead_letter_id: str | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return problem_response(problem_of(http_status, code, detail, dead_letter_id), headers)


def _etag_header(h: Held) -> dict[str, str]:
    return {"ETag": h.etag}


# ---------------------------------------------------------------- one record


def read_record(engine: Engine, actor: Actor, kind: Kind, record_id: str) -> JSONResponse:
    found, entity, _ = master.lookup(engine.store, kind, record_id)
    if found is None or not master.visible_to(actor, entity):
        raise not_found(f"no {kind.message_kind.replace('_', ' ')} {record_id}")
    return JSONResponse(found.body.model_dump(mode="json"), headers=_etag_header(found))


def _tags(header: str) -> list[str]:
    """The entity tags of an If-Match or If-None-Match header, unquoted (``*`` as itself); a
    weak tag (``W/"..."``) never matches a strong comparison, so it is dropped."""
    out = []
    for part in header.split(","):
        t = part.strip()
        if t == "*" or (len(t) >= 2 and t[0] == t[-1] == '"'):
            out.append(t.strip('"') if t != "*" else t)
    return out


def _refuse_id(kind: Kind, record_id: str, stated: str) -> NoReturn:
    raise RequestValidationError([{
        "type": "id_mismatch", "loc": ("body", kind.id_field), "input": stated,
        "msg": f"the path names {kind.message_kind.replace('_', ' ')} {record_id!r} but the body's "
               f"{kind.id_field} is {stated!r}: they must be the same (a record's id does not change)"}])


def _precondition(kind: Kind, record_id: str, current: Held | None, body: BaseModel,
                  if_match: str | None, if_none_match: str | None) -> JSONResponse | None:
    """None if the write may go ahead; else the answer: 428, 412, or (RFC 9110, 13.1.1) a 200
    when the record already is what was sent (a retry whose first answer was lost)."""
    what = f"{kind.message_kind.replace('_', ' ')} {record_id}"
    if current is not None and master.content_hash(current.body) == master.content_hash(body):
        matched = if_match is not None and bool({"*", current.tag} & set(_tags(if_match)))
        if not matched:  # no If-Match, or a stale one: nothing to write either way
            return _written(kind, record_id, current, "unchanged", [], replayed=False)
    if current is None:
        if if_match is not None:
            return _problem(412, "PRECONDITION-FAILED",
                            f"If-Match names a version of {what}, but o2c holds no {what}: leave If-Match "
                            "out (or send If-None-Match: *) to add it")
        return None
    if if_none_match is not None and "*" in _tags(if_none_match):
        return _problem(412, "PRECONDITION-FAILED", f"{what} exists already, at {current.etag}: send "
                        f"If-Match: {current.etag} to change it", headers=_etag_header(current))
    if if_match is None:
        return _problem(428, "PRECONDITION-REQUIRED", f"{what} exists (at {current.etag}): send If-Match "
                        f"with the ETag you read it at, so a change made since is not overwritten",
                        headers=_etag_header(current))
    tags = _tags(if_match)
    if "*" not in tags and current.tag not in tags:
        return _problem(412, "PRECONDITION-FAILED", f"{what} is at {current.etag} now, not "
                        f"{if_match.strip()}: read it again, apply your change to it, and send it with "
                        f"If-Match: {current.etag}", headers=_etag_header(current))
    return None


def _written(kind: Kind, record_id: str, now: Held, result: str, changed: list[str],
             *, replayed: bool) -> JSONResponse:
    out = MasterWritten(kind=kind.path, id=record_id, result=result,  # type: ignore[arg-type]
                        changed=changed, version=now.version, etag=now.etag, replayed=replayed,
                        record=now.body.model_dump(mode="json"))
    return JSONResponse(out.model_dump(mode="json"), headers=_etag_header(now))


def _applied(engine: Engine, kind: Kind, record_id: str, correlation_id: str | None, message_id: str,
             *, replayed: bool) -> JSONResponse:
    """The answer to a write the engine applied: what its event says changed, and the record now."""
    now, _, _ = master.lookup(engine.store, kind, record_id)
    if now is None:  # impossible once applied: the projector wrote it in the same transaction
        return _problem(409, "IN-PROGRESS", f"{kind.message_kind} {record_id} is not readable yet")
    event = (master.change_event(engine.store, correlation_id, f"{SOURCE}:{message_id}")
             if correlation_id else None)
    if event is None:
        return _written(kind, record_id, now, "unchanged", [], replayed=replayed)
    if getattr(event, "added", False):
        return _written(kind, record_id, now, "added", [], replayed=replayed)
    return _written(kind, record_id, now, "changed", list(getattr(event, "changed", ())), replayed=replayed)


def _not_applied(status_: Status | str, code: str | None, reason: str | None,
                 dead_letter_id: str | None) -> JSONResponse:
    if status_ == Status.REFUSED:
        return _problem(403, "AUTH-FORBIDDEN", reason or "the caller may not send this")
    return _problem(409, code or "DEAD-LETTERED", reason or "not applied", dead_letter_id)


def _replayed(engine: Engine, actor: Actor, kind: Kind, record_id: str, message_id: str) -> JSONResponse:
    """The caller sent the same body over the same revision before: that request's answer as it
    stands now; if it was parked and is still open, it is applied again now (what was missing
    may have arrived, the agreement it overlapped may have ended): a retry, not a second one."""
    record = queries.inbox_record(engine.store, SOURCE, message_id)
    if record is None or record.status == Status.RECEIVED.value:
        return _problem(409, "IN-PROGRESS", f"the same change of {kind.message_kind} {record_id} is "
                        "being applied by another request; read the record again in a moment")
    if record.status == Status.APPLIED.value:
        return _applied(engine, kind, record_id, record.correlation_id, message_id, replayed=True)
    letter = queries.latest_dead_letter(engine.store, SOURCE, message_id)
    if record.status == Status.DEAD_LETTERED.value and letter is not None:
        try:
            with engine.writing() as app:
                out = app.runtime.replay(letter.dead_letter_id, None, engine.splitters, actor=actor)
        except KeyError:  # replayed meanwhile by someone else: answer as it stands
            return _replayed(engine, actor, kind, record_id, message_id)
        except Forbidden as e:
            raise forbidden(e.reason) from None
        if out.status is Status.APPLIED:
            return _applied(engine, kind, record_id, out.correlation_id, message_id, replayed=False)
        return _not_applied(out.status, out.code, out.reason, out.dead_letter_id)
    if record.status == Status.REFUSED.value:
        return _not_applied(Status.REFUSED, None, "the same request was refused before", None)
    return _not_applied(record.status, letter.code if letter else None,
                        letter.reason if letter else "the same request was parked before",
                        letter.dead_letter_id if letter else None)


def write_record(engine: Engine, actor: Actor, kind: Kind, record_id: str, body: BaseModel,
                 if_match: str | None, if_none_match: str | None) -> JSONResponse:
    stated = getattr(body, kind.id_field)
    if stated != record_id:
        _refuse_id(kind, record_id, stated)
    may(actor, body.command())  # type: ignore[attr-defined]
    current, entity, revision = master.lookup(engine.store, kind, record_id)
    if current is not None and not master.visible_to(actor, entity):
        raise not_found(f"no {kind.message_kind.replace('_', ' ')} {record_id}")
    if current is None:
        new_entity = master.stated_entity(engine.store, kind, body)
        if new_entity is not None and not actor.acts_for(new_entity):
            raise not_found(f"no legal entity {new_entity}")
    early = _precondition(kind, record_id, current, body, if_match, if_none_match)
    if early is not None:
        return early
    # The precondition is checked here and the write applied in the runtime's own transaction
    # just after: two writers that both read the same version in between both pass it, and the
    # second overwrites the first (a lost update in a window of milliseconds). Closing it needs
    # the expected version in the Upsert command, checked by its handler in the write's
    # transaction. The same body over the same revision is one message (see
    # ``master.message_id``): sent twice at once, the inbox applies it once.
    message_id = master.message_id(kind, record_id, revision, body, actor)
    with engine.writing() as app:
        outcome = app.runtime.submit([InboundMessage(
            source=SOURCE, source_message_id=message_id, kind=kind.message_kind,
            received_at=app.clock.now(), body=body.model_dump_json(), actor=actor)])[0]
    if outcome.status is Status.DUPLICATE:
        return _replayed(engine, actor, kind, record_id, message_id)
    if outcome.status is Status.APPLIED:
        return _applied(engine, kind, record_id, outcome.correlation_id, message_id, replayed=False)
    return _not_applied(outcome.status, outcome.code, outcome.reason, outcome.dead_letter_id)


IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=1000, description=(
    "The ETag the record was read at (required when it exists). ``*``: whatever version it is at."))]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=1000, description=(
    "``*``: add the record only if o2c holds none with this id."))]


def _routes(kind: Kind) -> None:
    model = kind.model
    what = kind.message_kind.replace("_", " ")

    def get_record(record_id: ResourceId, engine: EngineDep, actor: ActorDep) -> JSONResponse:
        return read_record(engine, actor, kind, record_id)

    def put_record(record_id: ResourceId, body: model, engine: EngineDep,  # type: ignore[valid-type]
                   actor: ActorDep, if_match: IfMatch = None,
                   if_none_match: IfNoneMatch = None) -> JSONResponse:
        return write_record(engine, actor, kind, record_id, body, if_match, if_none_match)

    get_record.__doc__ = (f"The {what} as its canonical body (what ``PUT`` takes back), with its ETag. "
                          "A record of a legal entity the caller does not act for is a 404, as an unknown "
                          "one.")
    put_record.__doc__ = (
        f"State the {what} whole, as its canonical body; the id in the path must be the body's. "
        "Send If-Match with the ETag it was read at (428 without it, 412 if it changed since); to add "
        "one, no header or If-None-Match: *. It goes through the inbox as a message from ``api`` sent "
        "by the caller, who needs a role that may send it (403). The answer says what changed, or "
        "409 with the engine's reason when it parked it.")
    router.add_api_route(
        f"/{kind.path}/{{record_id}}", get_record, methods=["GET"], response_model=model,
        responses={200: {"headers": _ETAG}, **_READ_ANSWERS}, summary=f"One {what}",
        operation_id=f"get_master_{kind.message_kind}")
    router.add_api_route(
        f"/{kind.path}/{{record_id}}", put_record, methods=["PUT"], response_model=MasterWritten,
        responses={200: {"headers": _ETAG}, **_WRITE_ANSWERS}, summary=f"Add or change a {what}",
        operation_id=f"put_master_{kind.message_kind}")


for _kind in master.KINDS.values():
    _routes(_kind)


# ---------------------------------------------------------------- files

_MEDIA = {"text/csv": ".csv", "application/x-ndjson": ".jsonl", "application/jsonl": ".jsonl"}
_FILE_BODY = {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}, "example": (
        "customer_id,legal_entity_id,name,payment_terms,credit_limit,currency,home_warehouse_id,"
        "ship_to_id\nC9,US,Acme Retail,net 30,50000.00,USD,W1,C9-ST1\n")},
    "application/x-ndjson": {"schema": {"type": "string"}, "example": (
        '{"warehouse_id": "W3", "legal_entity_id": "US", "name": "Columbus"}\n')},
}}
_FILE_ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not UTF-8 text."},
    415: {"model": Problem, "description": "The body is neither CSV (text/csv) nor JSON Lines "
          "(application/x-ndjson)."},
    **INVALID, **TOO_LARGE, **UNAVAILABLE, **WRITE_AUTH_ANSWERS,
}

FileName = Annotated[str | None, Query(
    min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f:;/\\]+$",
    description="The file's name, kept with it and named in row errors (default: the kind). The same "
                "name and content sent again is a duplicate.")]


def _key(o: Outcome) -> str:
    # a record's id is ``<file name>:<key>:<hash>`` (o2c.adapters.master_files); names hold no ':'
    parts = o.source_message_id.split(":")
    return parts[-2] if len(parts) >= 3 else o.source_message_id


async def upload(request: Request, path: str, name: str | None, engine: Engine,
                 actor: Actor) -> JSONResponse:
    file_kind = master.FILE_PATHS[path]
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    suffix = _MEDIA.get(media)
    if suffix is None:
        return _problem(415, "UNSUPPORTED-MEDIA-TYPE", f"send the file as text/csv (CSV, the default layout "
                        f"of {file_kind}) or application/x-ndjson (JSON Lines, one canonical body per "
                        f"line), not {media or 'no Content-Type'}")
    if not may_issue(master.FILE_COMMANDS[file_kind], actor):
        needed = master.FILE_COMMANDS[file_kind].__name__
        raise forbidden(f"{actor.label} may not send {needed} (loading {file_kind})")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except ClientDisconnect:  # gone, or cut off by the body limit, which has answered 413 already
        return _problem(400, "BODY-UNREADABLE", "the request body did not arrive whole")
    except UnicodeDecodeError as e:
        return _problem(400, "BODY-UNREADABLE",
                        f"the file is not UTF-8 text (byte {e.start}); save it as UTF-8")
    stem = (name or file_kind).removesuffix(".csv").removesuffix(".jsonl")
    file_name = stem + suffix
    doc_kind = FILE_KINDS[file_kind][1]
    # the server's splitter (app.create_app): the configured layouts
    split = engine.splitters[doc_kind]
    layout = split.layout(SOURCE, file_kind) if isinstance(split, MasterSplitter) else None
    # judged once, here; the splitter makes the records again from the text as it goes
    read = read_master_file(text, file_kind, file_name=file_name, layout=layout, keep=False,
                            note_ids=False)
    with engine.writing() as app:
        raw = dataclasses.replace(
            master_document(text, file_kind, source=SOURCE, file_name=file_name, received_at=app.clock.now()),
            actor=actor)
        head, outs = app.runtime.submit_document(
            raw, partial(split_master_file, layout=layout, read=read) if isinstance(split, MasterSplitter)
            else split)
    counts = {"applied": 0, "unchanged": 0, "duplicate": 0}
    parked = []
    for o in outs:
        if o.status is Status.APPLIED:
            counts["unchanged" if o.correlation_id is None else "applied"] += 1
        elif o.status is Status.DUPLICATE:
            counts["duplicate"] += 1
        else:
            parked.append(ParkedRecord(key=_key(o), status=o.status.value, dead_letter_id=o.dead_letter_id,
                                       code=o.code, reason=o.reason))
    if head.status is Status.DEAD_LETTERED:
        parked.append(ParkedRecord(key=file_name, status=head.status.value,
                                   dead_letter_id=head.dead_letter_id, code=head.code, reason=head.reason))
    summary = UploadSummary(
        kind=path, file=file_name, document_id=raw.source_message_id, status=head.status.value,
        records=read.records, **counts, parked=parked,
        row_errors=[RowErrorPublic(file=x.file, row=x.row, column=x.column, expected=x.expected,
                                   value=x.value) for x in read.errors])
    return JSONResponse(summary.model_dump(mode="json"))


def _upload_route(path: str) -> None:
    file_kind = master.FILE_PATHS[path]

    async def load(request: Request, engine: EngineDep, actor: ActorDep,
                   name: FileName = None) -> JSONResponse:
        return await upload(request, path, name, engine, actor)

    load.__doc__ = (
        f"Load a file of {file_kind.replace('_', ' ')} the way ``o2c master load`` does: CSV in the "
        "default layout (see docs/master-data.md) or JSON Lines. The file is stored whole (the same "
        "content again changes nothing), each record becomes a message from ``api`` sent by the caller; "
        "those that can be read and applied are, the others are parked with their reason. The answer "
        "counts them, names each parked record (key, dead letter, reason) and every cell that could "
        "not be read (file, row, column, what was expected).")
    router.add_api_route(
        f"/{path}", load, methods=["POST"], response_model=UploadSummary, responses=_FILE_ANSWERS,
        summary=f"Load a file of {file_kind.replace('_', ' ')}", openapi_extra={"requestBody": _FILE_BODY},
        operation_id=f"load_master_{file_kind}")


for _path in master.FILE_PATHS:
    _upload_route(_path)
