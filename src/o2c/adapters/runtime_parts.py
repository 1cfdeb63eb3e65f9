"""Clocks and id generators: the runtime's sources of time and identity."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime


class SystemClock:
    """Wall-clock business time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimClock:
    """A clock the simulation moves forward; never goes backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        if at < self._now:
            raise ValueError(f"time cannot go back from {self._now} to {at}")
        self._now = at


class UuidIds:
    """Random UUIDs for live use."""

    def new(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex}"


class SeededIds:
    """128-bit random ids from a seeded generator: the same seed gives the same ids."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def new(self, prefix: str) -> str:
        return f"{prefix}-{self._rng.getrandbits(128):032x}"
