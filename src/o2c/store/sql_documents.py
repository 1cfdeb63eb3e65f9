"""SQL ledger of sent documents (the ``SentDocuments`` port), used through
:class:`o2c.store.sql.SqlUnitOfWork`.

A document is a row of indexed columns (what the 997 matching and the ledger's lists read)
and the whole :class:`~o2c.domain.documents.SentDocument` as JSON. New and changed documents
are buffered and written at commit; a changed one only if its version is still the one read
(``WHERE version = v``), else :class:`ConcurrencyConflict` (two 997s for one document at once).
"""

from __future__ import annotations

from typing import Any

from o2c.domain.documents import SentDocument, control
from o2c.engine.ports import ConcurrencyConflict
from o2c.store.codec import dump, load
from o2c.store.sql_raw import RawSql, insert_sql
from o2c.store.sql_repos import Tx
from o2c.store.tables import sent_documents, utc_to_db

_INSERT = insert_sql(sent_documents)
_UPDATE = RawSql(
    "UPDATE sent_documents SET status = :status, version = :version, doc = :doc "
    "WHERE document_id = :document_id AND version = :_v0"
)
_GET = RawSql("SELECT version, doc FROM sent_documents WHERE document_id = :i")
_FIND = "SELECT version, doc FROM sent_documents WHERE partner_id = :p AND group_control_number = :g"
_FIND_SET = RawSql(_FIND + " AND set_control_number = :s ORDER BY document_id")
_FIND_GROUP = RawSql(_FIND + " ORDER BY document_id")


class SqlDocuments:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._live: dict[str, SentDocument] = {}
        self._loaded: dict[str, tuple[int, str]] = {}  # id -> (version, JSON) as read

    def add(self, doc: SentDocument) -> None:
        self._live[doc.document_id] = doc

    def get(self, document_id: str) -> SentDocument | None:
        if document_id in self._live:
            return self._live[document_id]
        row = self._tx.raw(_GET, {"i": document_id}).fetchone()
        return None if row is None else self._track(row)

    def find(self, partner_id: str, group_control_number: str,
             set_control_number: str | None = None) -> list[SentDocument]:
        params = {"p": partner_id, "g": control(group_control_number)}
        if set_control_number is None:
            rows = self._tx.raw(_FIND_GROUP, params).fetchall()
        else:
            rows = self._tx.raw(_FIND_SET, {**params, "s": control(set_control_number)}).fetchall()
        found = {d.document_id: d for d in (self._track(r) for r in rows)}
        for d in self._live.values():  # staged in this transaction
            if (d.partner_id == partner_id and d.group_control_number == params["g"]
                    and (set_control_number is None or d.set_control_number == control(set_control_number))):
                found[d.document_id] = d
        return [found[k] for k in sorted(found)]

    def search(self, *, status: str | None = None, partner_id: str | None = None,
               doc_type: str | None = None, reference: str | None = None,
               limit: int = 200) -> list[SentDocument]:
        where: list[str] = []
        params: dict[str, object] = {"n": limit}
        for column, value in (("status", status), ("partner_id", partner_id), ("doc_type", doc_type)):
            if value is not None:
                where.append(f"{column} = :{column}")
                params[column] = value
        if reference is not None:
            where.append("(order_id = :ref OR invoice_id = :ref OR shipment_id = :ref)")
            params["ref"] = reference
        sql = RawSql("SELECT doc FROM sent_documents" + (" WHERE " + " AND ".join(where) if where else "")
                     + " ORDER BY sent_at DESC, document_id DESC LIMIT :n")
        return [load(SentDocument, r[0]) for r in self._tx.raw(sql, params).fetchall()]

    def _track(self, row: Any) -> SentDocument:
        version, text = row
        obj = load(SentDocument, text)
        if obj.document_id in self._live:
            return self._live[obj.document_id]
        self._live[obj.document_id] = obj
        self._loaded[obj.document_id] = (version, text)
        return obj

    def flush(self) -> None:
        sqlite = self._tx.sqlite
        new = [self._row(d, sqlite) for k, d in self._live.items() if k not in self._loaded]
        if new:
            self._tx.raw_many(_INSERT, new)
        for key, (v0, text) in self._loaded.items():
            d = self._live[key]
            if dump(d) == text:
                continue  # read, not changed
            d.version = v0 + 1
            if self._tx.raw(_UPDATE, {**self._row(d, sqlite), "_v0": v0}).rowcount != 1:
                raise ConcurrencyConflict(f"document {key} was changed by another writer")
        self._live.clear()
        self._loaded.clear()

    @staticmethod
    def _row(d: SentDocument, sqlite: bool) -> dict[str, Any]:
        return {"document_id": d.document_id, "partner_id": d.partner_id, "doc_type": d.doc_type,
                "group_control_number": d.group_control_number, "set_control_number": d.set_control_number,
                "status": d.status.value, "sent_at": utc_to_db(d.sent_at, sqlite), "order_id": d.order_id,
                "invoice_id": d.invoice_id, "shipment_id": d.shipment_id, "version": d.version,
                "doc": dump(d)}
