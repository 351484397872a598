"""argon2 on its own small pool of threads with a bounded queue, so that a storm of
sign-ins neither blocks the event loop nor fills the loop's default executor (file
checks, speech recognition) nor piles up without end: past the queue it says busy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from crm_core.auth.credentials import Passwords
from crm_core.auth.errors import PasswordWorkBusy

T = TypeVar("T")

THREAD_PREFIX = "argon2"


class PasswordWorkers:
    """Hash and verify passwords on `workers` threads; at most `queue` more wait.

    argon2-cffi releases the GIL while it hashes, so the loop keeps running."""

    def __init__(
        self, passwords: Passwords, *, workers: int = 2, queue: int = 32
    ) -> None:
        self.passwords = passwords
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=THREAD_PREFIX
        )
        self._limit = workers + queue
        self.pending = 0
        """Hashes running or waiting now."""

    async def hash(self, password: str) -> str:
        return await self._run(self.passwords.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        return await self._run(lambda: self.passwords.verify(stored, password))

    def needs_rehash(self, stored: str) -> bool:
        return self.passwords.needs_rehash(stored)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        if self.pending >= self._limit:
            raise PasswordWorkBusy("too many sign-ins at once; try again in a moment")
        self.pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, work, *args)
        finally:
            self.pending -= 1
