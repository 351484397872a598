"""The loop every outbox runs (webhook deliveries, customer notices): send what is
due, then sleep until woken or the next poll; a failed round is logged, not fatal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_outbox(
    run_once: Callable[[], Awaitable[int]],
    *,
    wake: asyncio.Event,
    batch: int,
    poll_s: float,
    name: str,
) -> None:
    """Call `run_once` (it sends up to `batch` due items and says how many) until
    cancelled; a full batch goes round again at once, otherwise wait for `wake` or
    `poll_s` seconds."""
    while True:
        wake.clear()
        try:
            sent = await run_once()
        except Exception:
            log.exception("%s dispatch failed; retrying in %s s", name, poll_s)
            sent = 0
        if sent < batch:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_s):
                    await wake.wait()
