"""What the customer services need from outside: a clock and somewhere to publish."""

from __future__ import annotations

from typing import Protocol

from crm_core.clock import Clock as Clock
from crm_core.customers.events import CustomerEvent


class Publisher(Protocol):
    async def publish(self, event: CustomerEvent) -> None: ...


class NoPublisher:
    """For tools (import, seed) that publish nothing."""

    async def publish(self, event: CustomerEvent) -> None:
        return None
