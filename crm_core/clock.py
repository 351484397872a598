"""The clock every CRM service takes: a Protocol, and the wall clock in UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class UtcClock:
    """The wall clock in UTC. With `speed` above 1 it runs that many times faster
    from its creation on: a time-compressed simulation, where the PBX simulator
    runs at the same `SimConfig.speed`."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._origin = datetime.now(UTC)
        self._origin_mono_s = time.monotonic()

    def now(self) -> datetime:
        if self.speed == 1.0:
            return datetime.now(UTC)
        elapsed_s = (time.monotonic() - self._origin_mono_s) * self.speed
        return self._origin + timedelta(seconds=elapsed_s)
