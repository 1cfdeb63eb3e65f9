"""Consolidated billing windows: which invoice a shipment of a consolidated customer waits for.

A customer billed ``consolidated`` is invoiced once per window and per key: all the
shipments confirmed for that key in the window, across orders, on one invoice. The
policy says how (``billing.windows``): the grouping (one invoice per ``customer``, or per
``ship_to``), the period (``daily`` or ``weekly`` on a weekday) and the cut-off, a wall-clock
time in the legal entity's zone. A window is the half-open interval ``[start, end)`` between
two consecutive cut-offs, so the windows of one key have no gaps and no overlaps, and every
instant falls in exactly one of them, across daylight-saving changes too (a cut-off at a
wall-clock time the clocks skip is read with the offset before the skip, one that repeats
is the first of the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from o2c.domain.business_time import zone

__all__ = ["WEEKDAYS", "BillingWindow", "Grouping", "Period", "Window", "window_key", "window_of",
           "window_timer_id"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Grouping(StrEnum):
    CUSTOMER = "customer"
    SHIP_TO = "ship_to"


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True, kw_only=True)
class BillingWindow:
    """A consolidation window as the policy names it (``billing.windows.<name>``)."""

    name: str
    grouping: Grouping
    period: Period
    cut_off: time
    #: 0 = Monday … 6 = Sunday; the day a weekly window closes (None for daily)
    weekday: int | None = None

    def __post_init__(self) -> None:
        if (self.period is Period.WEEKLY) != (self.weekday is not None):
            raise ValueError(f"window {self.name}: a weekly window needs a weekday, a daily one none")
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError(f"window {self.name}: weekday {self.weekday} is not 0 (Monday) … 6 (Sunday)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def __contains__(self, at: datetime) -> bool:
        return self.start <= at < self.end


def _cut(day: date, spec: BillingWindow, zone_name: str) -> datetime:
    return datetime.combine(day, spec.cut_off, tzinfo=zone(zone_name)).astimezone(UTC)


def _closes_on(day: date, spec: BillingWindow) -> bool:
    return spec.weekday is None or day.weekday() == spec.weekday


def window_of(at: datetime, spec: BillingWindow, zone_name: str) -> Window:
    """The window of ``spec`` that the instant ``at`` falls in, its cut-offs in ``zone_name``."""
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no UTC offset; a billing window needs an instant")
    step = 1 if spec.weekday is None else 7
    local = at.astimezone(zone(zone_name)).date()
    # The first closing day on or before two periods back: its cut-off is certainly before ``at``.
    day = local - timedelta(days=2 * step)
    while not _closes_on(day, spec):
        day -= timedelta(days=1)
    start = _cut(day, spec, zone_name)
    while True:
        nxt = day + timedelta(days=step)
        end = _cut(nxt, spec, zone_name)
        if at < end:
            return Window(start=start, end=end)
        day, start = nxt, end


def window_key(customer_id: str, ship_to_id: str, spec: BillingWindow) -> str:
    """What one invoice per window groups: the customer, or the customer's ship-to."""
    return customer_id if spec.grouping is Grouping.CUSTOMER else f"{customer_id}/{ship_to_id}"


def window_timer_id(key: str, end: datetime) -> str:
    """The timer that closes the window of ``key`` ending at ``end`` (one per key and window)."""
    return f"bill:{key}:{end.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
