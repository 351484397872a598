"""What the customer services need from outside: a clock and somewhere to publish."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.customers.events import CustomerEvent


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class Publisher(Protocol):
    async def publish(self, event: CustomerEvent) -> None: ...


class NoPublisher:
    """For tools (import, seed) that publish nothing."""

    async def publish(self, event: CustomerEvent) -> None:
        return None
