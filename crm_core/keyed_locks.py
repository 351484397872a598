"""One asyncio lock per key (a call id, a cache key), so that work on the same key
runs one at a time while other keys go on; a key's lock is dropped when nobody
holds or awaits it."""

from __future__ import annotations

import asyncio


class KeyedLocks:
    """`async with locks(key):` holds the lock of `key`."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __call__(self, key: str) -> _KeyLock:
        return _KeyLock(self._locks, key)

    def __len__(self) -> int:
        """Keys held or awaited now."""
        return len(self._locks)


class _KeyLock:
    def __init__(self, locks: dict[str, tuple[asyncio.Lock, int]], key: str) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        lock, users = self._locks.get(self._key, (asyncio.Lock(), 0))
        self._locks[self._key] = (lock, users + 1)
        try:
            await lock.acquire()
        except asyncio.CancelledError:
            self._release_user()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._locks[self._key][0].release()
        self._release_user()

    def _release_user(self) -> None:
        lock, users = self._locks[self._key]
        if users <= 1:
            del self._locks[self._key]
        else:
            self._locks[self._key] = (lock, users - 1)
