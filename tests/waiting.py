"""Waiting in tests without bare sleeps: poll a condition with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

POLL_S = 0.02


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout_s: float = 10.0
) -> Any:
    """Poll `check` until it returns something truthy and return that value;
    TimeoutError after `timeout_s`."""
    async with asyncio.timeout(timeout_s):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(POLL_S)
