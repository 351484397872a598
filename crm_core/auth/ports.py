"""What the auth service needs from outside: a clock and a publisher."""

from __future__ import annotations

from typing import Protocol

from crm_core.auth.events import SessionsEnded
from crm_core.clock import Clock as Clock


class Publisher(Protocol):
    async def publish(self, event: SessionsEnded) -> None: ...
