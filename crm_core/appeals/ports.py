"""What the appeals services need from outside: a clock and somewhere to publish."""

from __future__ import annotations

from typing import Protocol

from crm_core.appeals.events import AppealEvent
from crm_core.clock import Clock as Clock


class Publisher(Protocol):
    async def publish(self, event: AppealEvent) -> None: ...


class NoPublisher:
    """For tools (seed, bulk jobs) that publish nothing."""

    async def publish(self, event: AppealEvent) -> None:
        return None
