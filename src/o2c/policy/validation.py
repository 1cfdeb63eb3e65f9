"""Every error of a policy document, not only the first (``o2c policy validate``).

:func:`~o2c.policy.document.parse_policy` stops at the first error; here the document
is checked part by part (its header, the base sections, each entity's overrides merged
over them) so that one run names the path of each part's error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from o2c.policy.document import (
    OPTIONAL_SECTIONS,
    SECTIONS,
    PolicyError,
    _effective,
    _map,
    _section,
    merge,
    parse_policy,
)


def problems(raw: object) -> list[str]:
    """The errors of a document (a mapping, as read from YAML), each naming its path;
    empty if it is valid."""
    try:
        parse_policy(raw)
        return []
    except PolicyError as e:
        first = str(e)
    if not isinstance(raw, Mapping):
        return [first]
    found: list[str] = []

    def check(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except PolicyError as e:
            found.append(str(e))
            return None

    for key in ("policy_id", "version", "effective_from"):
        if key not in raw:
            found.append(f"policy.{key}: missing")
    tz = str(raw.get("timezone") or "UTC")
    if "effective_from" in raw:
        check(_effective, raw["effective_from"], tz)
    base = {k: raw[k] for k in (*SECTIONS, *OPTIONAL_SECTIONS) if k in raw}
    check(_section, "policy", base)
    base_errors = list(found)
    entities = check(_map, "policy.entities", raw.get("entities", {})) or {}
    for entity, over in entities.items():
        over_map = check(_map, f"policy.entities.{entity}", over)
        if over_map is not None:
            check(_section, f"policy.entities.{entity}", merge(base, over_map))
            inherited = {e.replace("policy.", f"policy.entities.{entity}.", 1) for e in base_errors}
            if found and found[-1] in inherited:  # the base's error, seen again through the entity
                found.pop()
    if first not in found:
        found.insert(0, first)
    return found
