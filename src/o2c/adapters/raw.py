"""Raw documents as the runtime stores them: the bytes of a file or payload,
decoded without loss, named by a hash of those bytes (so the same file sent
twice is one message), with the media type, charset and file name in the
content type. See :mod:`o2c.adapters.documents` for how they are split."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from o2c.engine.ports import InboundMessage
from o2c.engine.storable import escape, restore

X12 = "x12"
CSV_ORDERS = "csv_orders"
WMS_A = "wms_a_events"
WMS_B = "wms_b_file"
CARRIER = "carrier_feed"
BAI2 = "bai2"
CAMT = "camt"
LOCKBOX = "lockbox"
#: document kind -> (configuration section, media type)
KINDS: dict[str, tuple[str, str]] = {
    X12: ("partners", "application/edi-x12"),
    CSV_ORDERS: ("csv", "text/csv"),
    WMS_A: ("wms_a", "application/json"),
    WMS_B: ("wms_b", "text/csv"),
    CARRIER: ("carriers", "application/json"),
    BAI2: ("banks", "text/plain"),
    CAMT: ("banks", "application/xml"),
    LOCKBOX: ("banks", "text/csv"),
}


def raw_document(
    data: bytes, *, source: str, kind: str, received_at: datetime, name: str = ""
) -> InboundMessage:
    """A file or payload as the runtime stores it: text decoded without loss
    (UTF-8, else Latin-1, recorded in the content type so :func:`document_bytes`
    gives the bytes back; NUL kept as a mark named there too), id
    ``sha256:<hash of the bytes>``."""
    if kind not in KINDS:
        raise ValueError(f"document kind {kind!r} is not known (known: {', '.join(KINDS)})")
    try:
        body, charset = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        body, charset = data.decode("latin-1"), "latin-1"
    body, nul = escape(body)  # a store cannot hold NUL in text: kept as a mark, restored on reading
    content_type = f"{KINDS[kind][1]}; charset={charset}"
    if nul:
        content_type += f"; {nul}"
    if name:
        content_type += f"; name={name.replace(';', '_')}"
    return InboundMessage(
        source=source,
        source_message_id=f"sha256:{hashlib.sha256(data).hexdigest()[:32]}",
        kind=kind,
        received_at=received_at,
        body=body,
        content_type=content_type,
    )


def param(raw: InboundMessage, key: str) -> str:
    """A parameter of the content type (``charset``, ``name``), or empty."""
    found = re.search(rf";\s*{key}=([^;]*)", raw.content_type)
    return found.group(1).strip() if found else ""


def document_text(raw: InboundMessage) -> str:
    """The document's text as received (NUL restored, see :func:`raw_document`)."""
    return restore(raw.body, raw.content_type)


def document_bytes(raw: InboundMessage) -> bytes:
    """The document's bytes as received (see :func:`raw_document`)."""
    return document_text(raw).encode(param(raw, "charset") or "utf-8")


def raw_part(kind: str, document: str, message_id: str, message_body: str, *, max_lines: int = 40) -> str:
    """The part of a raw document a canonical message was split out of, as the
    sender wrote it, for a person reading a trace: the X12 transaction set
    (ST to SE) with the message's control numbers, the CSV header and the rows
    of the message's order, the JSON events naming the order. Empty if the
    part cannot be found (the whole document is in the inbox either way)."""
    if kind == X12:
        lines = _x12_set(document, message_id)
    else:
        try:
            canonical = json.loads(message_body)
        except ValueError:
            canonical = {}
        needles = [str(canonical[k]) for k in ("po_number", "order_id", "shipment_id")
                   if isinstance(canonical, dict) and canonical.get(k)]
        if not needles:
            return ""
        lines = _csv_rows(document, needles[0]) if KINDS.get(kind, ("", ""))[1] == "text/csv" \
            else _json_events(document, needles[0])
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"… {len(lines) - max_lines} more"]
    return "\n".join(lines)


def _x12_set(document: str, message_id: str) -> list[str]:
    """Segments ST..SE of the set ``ISA13:GS06:ST02`` (the EDI splitter's message id)."""
    text = document.lstrip()
    if not text.startswith("ISA") or len(text) < 106:
        return []
    element, terminator = text[3], text[105]
    wanted = message_id.split(":")
    if len(wanted) != 3:
        return []
    isa = gs = ""
    out: list[str] = []
    taking = False
    for raw in text.split(terminator):
        seg = raw.strip("\r\n")
        tag, _, rest = seg.partition(element)
        elements = rest.split(element)
        if tag == "ISA":
            isa = elements[12] if len(elements) > 12 else ""
        elif tag == "GS":
            gs = elements[5] if len(elements) > 5 else ""
        elif tag == "ST":
            taking = [isa, gs, elements[1] if len(elements) > 1 else ""] == wanted
        if taking:
            out.append(seg + terminator)
            if tag == "SE":
                return out
    return out


def _csv_rows(document: str, needle: str) -> list[str]:
    lines = document.lstrip("\ufeff").splitlines()
    rows = [ln for ln in lines[1:] if needle in ln]
    return [lines[0], *rows] if rows else []


def _json_events(document: str, needle: str) -> list[str]:
    try:
        payload = json.loads(document)
    except ValueError:
        return []
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if any(v == needle for v in node.values()) or any(
                isinstance(v, dict) and needle in v.values() for v in node.values()
            ):
                found.append(node)
                return
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(payload)
    return [json.dumps(e, ensure_ascii=False) for e in found]
