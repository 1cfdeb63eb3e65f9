"""Reading warehouse events out of JSON by configured paths: the part of WMS A's
dialect that is not WMS A specific, kept apart so another JSON-speaking WMS is a
new YAML file, not new code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from o2c.adapters.sources.common import ConfigError, SourceError, at_path, decimal_of, is_missing, require

LINE_FIELDS = ("line_no", "product_id", "lot_id", "quantity")


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonPaths:
    fields: dict[str, str]
    lines: dict[str, str]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str, needed: tuple[str, ...]) -> JsonPaths:
        fields = {str(k): str(v) for k, v in require(raw, "paths", dict, where).items()}
        missing = [k for k in needed if k not in fields]
        if missing:
            raise ConfigError(f"{where}: paths must name {missing}")
        lines = {str(k): str(v) for k, v in (raw.get("line_paths") or {}).items()}
        if "lines" in fields and any(k not in lines for k in LINE_FIELDS if k != "lot_id"):
            raise ConfigError(f"{where}: line_paths must name line_no, product_id and quantity")
        return cls(fields=fields, lines=lines)


class EventReader:
    """Typed reads of one JSON event that collect :class:`SourceError`s instead of raising."""

    def __init__(self, source: str, where: str, event: Any, paths: JsonPaths) -> None:
        self.source, self.where, self.event, self.paths = source, where, event, paths
        self.errors: list[SourceError] = []

    def fail(self, path: str, expected: str, value: Any = "") -> None:
        shown = "" if is_missing(value) else str(value)
        self.errors.append(
            SourceError(source=self.source, where=self.where, field=path, expected=expected, value=shown)
        )

    def get(self, name: str) -> Any:
        path = self.paths.fields.get(name)
        return None if path is None else at_path(self.event, path)

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.get(name)
        if is_missing(value):
            if required:
                self.fail(self.paths.fields.get(name, name), f"a {name.replace('_', ' ')}")
            return ""
        if not isinstance(value, str | int):
            self.fail(self.paths.fields[name], f"a {name.replace('_', ' ')} as text", value)
            return ""
        return str(value).strip()

    def lines(self, products: Mapping[str, str], separator: str = ".") -> list[dict[str, Any]]:
        path = self.paths.fields["lines"]
        items = self.get("lines")
        if not isinstance(items, list) or not items:
            self.fail(path, "a non-empty list of lines", "" if is_missing(items) else items)
            return []
        out = []
        for i, item in enumerate(items):

            def at(name: str, item: Any = item) -> Any:
                p = self.paths.lines.get(name)
                return at_path(item, p) if p else None

            def where(name: str, i: int = i) -> str:
                return f"{path}.{i}.{self.paths.lines.get(name, name)}"

            line_no, sku, lot, qty = at("line_no"), at("product_id"), at("lot_id"), at("quantity")
            if isinstance(line_no, str) and line_no.isdigit():
                line_no = int(line_no)
            if not isinstance(line_no, int) or isinstance(line_no, bool) or line_no < 1:
                self.fail(where("line_no"), "a line number (a whole number from 1)", line_no)
            if is_missing(sku):
                self.fail(where("product_id"), "an item code", sku)
            quantity: Decimal | None = decimal_of(qty, separator)
            if quantity is None:
                self.fail(where("quantity"), "a quantity greater than zero", qty)
            out.append(
                {
                    "line_no": line_no,
                    "product_id": products.get(str(sku), str(sku)),
                    "lot_id": "-" if is_missing(lot) else str(lot),
                    "quantity": str(quantity),
                }
            )
        return out
