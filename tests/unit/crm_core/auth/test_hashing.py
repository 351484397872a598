"""argon2 on its own threads, with a bounded queue that answers busy past it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from crm_core.auth.credentials import Passwords
from crm_core.auth.errors import PasswordWorkBusy
from crm_core.auth.hashing import THREAD_PREFIX, PasswordWorkers


class GatedPasswords(Passwords):
    """Hashes only once the gate opens, noting the thread that did it."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=256, parallelism=1)
        self.gate = threading.Event()
        self.threads: list[str] = []

    def verify(self, stored: str | None, password: str) -> bool:
        self.threads.append(threading.current_thread().name)
        assert self.gate.wait(10)
        return super().verify(stored, password)


async def test_hashing_runs_on_its_own_threads_and_refuses_past_the_queue() -> None:
    passwords = GatedPasswords()
    workers = PasswordWorkers(passwords, workers=2, queue=3)
    stored = passwords.hash("correct horse battery")
    checks = [
        asyncio.create_task(workers.verify(stored, "correct horse battery"))
        for _ in range(5)
    ]
    await asyncio.sleep(0)
    assert workers.pending == 5
    with pytest.raises(PasswordWorkBusy):
        await workers.verify(stored, "correct horse battery")
    # the loop is free while the hashes wait on their threads
    assert await asyncio.wait_for(asyncio.sleep(0, result="loop alive"), 1)
    passwords.gate.set()
    assert await asyncio.gather(*checks) == [True] * 5
    assert workers.pending == 0
    assert {name.split("_")[0] for name in passwords.threads} == {THREAD_PREFIX}
    assert await workers.verify(None, "anything") is False
