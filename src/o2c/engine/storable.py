"""What the inbox can keep: every inbound message is stored before anything
else happens, so a message whose text a database cannot hold (PostgreSQL
refuses NUL in text, and no UTF-8 store can hold half of a surrogate pair) or
whose id is too long to index must still be stored, and then refused with a
reason a person can act on, identically on every store.

:func:`storable` gives the form that is kept: NUL becomes a visible mark
(U+2400 SYMBOL FOR NULL, or a private-use character if the text already holds
that symbol) named in the content type as ``nul=<hex>`` so the original bytes
can be restored (:func:`restore`); lone surrogates become U+FFFD; an id longer
than :data:`ID_MAX` characters (a source message id, a source name) is
replaced by a hash of itself (stable, so a redelivery is still recognised).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from o2c.engine.ports import InboundMessage

#: the longest source message id kept as it is (ids are indexed)
ID_MAX = 200
_MARKS = ("\u2400", *(chr(c) for c in range(0xE000, 0xE010)))
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUL_PARAM = re.compile(r";\s*nul=([0-9a-f]+)")


def escape(text: str) -> tuple[str, str | None]:
    """``text`` with NUL replaced by a mark, and the mark's parameter (``nul=2400``),
    or the text as it is and None. Lone surrogates become U+FFFD (not reversible:
    no byte sequence a sender could send decodes to one)."""
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if "\x00" not in text:
        return text, None
    mark = next((m for m in _MARKS if m not in text), _MARKS[-1])
    return text.replace("\x00", mark), f"nul={ord(mark):x}"


def restore(text: str, content_type: str) -> str:
    """The text as received (NUL restored) from its stored form."""
    found = _NUL_PARAM.search(content_type)
    return text.replace(chr(int(found.group(1), 16)), "\x00") if found else text


def _first_problem(text: str, what: str) -> str | None:
    at = text.find("\x00")
    if at >= 0:
        return f"{what} holds a NUL character at position {at}"
    if not text.isascii():
        bad = _SURROGATE.search(text)
        if bad:
            return (f"{what} holds half of a surrogate pair (U+{ord(bad.group()):04X}) "
                    f"at position {bad.start()}")
    return None


def _id(value: str) -> str:
    if value.isascii() and "\x00" not in value and len(value) <= ID_MAX:
        return value
    kept, _ = escape(value)
    return kept if len(kept) <= ID_MAX else f"sha256:{hashlib.sha256(kept.encode()).hexdigest()}"


def key(m: InboundMessage) -> tuple[str, str]:
    """The inbox key the message is kept (and deduplicated) under."""
    return _id(m.source), _id(m.source_message_id)


def _plain(text: str) -> bool:
    return "\x00" not in text and (text.isascii() or _SURROGATE.search(text) is None)


def storable(m: InboundMessage) -> tuple[InboundMessage, str | None]:
    """The message as the inbox keeps it, and why it cannot be applied as sent
    (None if it can). A long id alone is no reason to refuse: it is hashed."""
    if (_plain(m.body) and len(m.source_message_id) <= ID_MAX and len(m.source) <= ID_MAX
            and _plain(m.source_message_id) and _plain(m.source)):
        return m, None  # nearly every message: nothing to change
    problems = [p for p in (_first_problem(m.body, "the body"),
                            _first_problem(m.source_message_id, "the message id"),
                            _first_problem(m.source, "the source")) if p]
    body, param = escape(m.body)
    source, mid = key(m)
    if body == m.body and mid == m.source_message_id and source == m.source:
        return m, (" and ".join(problems) or None)
    content_type = f"{m.content_type}; {param}" if param else m.content_type
    kept = replace(m, body=body, source_message_id=mid, source=source, content_type=content_type)
    return kept, (" and ".join(problems) or None)


def storable_text(text: str) -> str:
    """A reason or note that a store can hold (NUL shown as U+2400)."""
    return escape(text)[0] if "\x00" in text or not text.isascii() else text
