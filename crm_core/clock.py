"""The clock every CRM service takes: a Protocol, and the wall clock in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
