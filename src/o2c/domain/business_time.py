"""Business time: instants are UTC, business dates belong to a legal entity's zone.

The log keeps instants (aware datetimes). An invoice date, a due date, a discount
deadline or the day an account falls past due is the calendar date the entity's
people would write, so it is the instant's date in the entity's IANA zone: an
invoice issued at 03:30 UTC on 2 March by a company in Chicago is dated 1 March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["business_date", "start_of_day", "zone"]


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (cached: asked for on every business date)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time zone {name!r} is not an IANA time zone name "
                         "(like America/Chicago)") from None


def business_date(instant: datetime, zone_name: str) -> date:
    """The calendar date of ``instant`` in ``zone_name``; an instant without an
    offset is a bug (which zone would it be in?)."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant.isoformat()} has no UTC offset; a business date needs an instant")
    return instant.astimezone(zone(zone_name)).date()


def start_of_day(day: date, zone_name: str) -> datetime:
    """The first instant of ``day`` in ``zone_name``, in UTC.

    Where the clocks skip midnight (a spring-forward at 00:00), the day starts at
    the skip: ``fold=0`` reads the missing 00:00 with the offset before it, which is
    that instant; where midnight repeats, the first one."""
    return datetime.combine(day, time(0), tzinfo=zone(zone_name)).astimezone(UTC)
