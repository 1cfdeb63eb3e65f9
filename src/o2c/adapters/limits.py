"""How much one request or one order may carry: the limits every intake path holds.

:class:`Limits` is the one value (``o2c serve --max-body-bytes/--max-lines-per-order``,
``O2C_MAX_BODY_BYTES``, ``O2C_MAX_LINES_PER_ORDER``; read and checked by
:func:`o2c.bootstrap.resolve_limits`). It travels with the integration configuration
(:class:`o2c.adapters.documents.Integrations`), so the REST API, canonical JSON, CSV files and
X12 850s refuse the same order alike, each in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass

#: 10 MiB. A canonical order line is 70 to 200 bytes of JSON, so the default line limit fits in
#: about 1 MB and even 50,000 long lines fit; anything bigger is not an order, and parsing it
#: (about ten times its size in memory) is what the limit spares the server.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
#: A distributor's order is tens to a few hundred lines; a retailer's store-opening or
#: replenishment order a few thousand. 5,000 takes those with room, and keeps one order's
#: processing to a few seconds (a 10,000-line order is about ten); raise it for a customer
#: who really sends more.
DEFAULT_MAX_LINES_PER_ORDER = 5_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_lines_per_order: int = DEFAULT_MAX_LINES_PER_ORDER

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_lines_per_order"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")


def too_many_lines(count: int, limit: int) -> str | None:
    """Why an order of ``count`` lines is refused, or None when it is within ``limit``."""
    if count <= limit:
        return None
    return (f"{count:,} lines; an order may have at most {limit:,} "
            "(O2C_MAX_LINES_PER_ORDER): split it into several orders")
