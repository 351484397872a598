"""The in-process event bus: publish typed events, subscribe handlers by event type.

Each subscriber has an ordered mailbox and its own task, so a slow handler never
stalls the publisher or the other handlers; a failing handler is logged and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]

_MAILBOX_WARNING = 10_000


@dataclass(slots=True, eq=False)
class _Subscriber:
    event_type: type[Any] | tuple[type[Any], ...]
    handler: Handler
    name: str
    mailbox: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    pending: int = 0
    warned: bool = False


class Bus:
    """Use as `async with Bus() as bus:`; the bus owns its subscribers' tasks."""

    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self._by_type: dict[type[Any], list[_Subscriber]] = {}
        self._running = False

    def subscribe(
        self, event_type: type[E], handler: Callable[[E], Awaitable[None]]
    ) -> None:
        """Call `handler` with each published `event_type` (or subclass), in order."""
        self._add(event_type, handler)

    def subscribe_all(
        self,
        event_types: tuple[type[Any], ...],
        handler: Callable[[Any], Awaitable[None]],
    ) -> None:
        """One mailbox for several event types: `handler` sees them in publish order
        (e.g. a call's arrival before its end)."""
        self._add(event_types, handler)

    def _add(self, event_type: Any, handler: Handler) -> None:
        name = getattr(handler, "__qualname__", type(handler).__qualname__)
        subscriber = _Subscriber(event_type, handler, name)
        self._subscribers.append(subscriber)
        self._by_type.clear()
        if self._running:
            self._start(subscriber)

    async def publish(self, event: object) -> None:
        """Queue `event` for every subscriber of its type or a base; never blocks."""
        for subscriber in self._route(type(event)):
            subscriber.pending += 1
            subscriber.mailbox.put_nowait(event)
            if subscriber.mailbox.qsize() > _MAILBOX_WARNING and not subscriber.warned:
                subscriber.warned = True
                log.warning(
                    "subscriber %s is %d events behind",
                    subscriber.name,
                    subscriber.mailbox.qsize(),
                )

    def backlog(self) -> dict[str, int]:
        """Events waiting in each subscriber's mailbox, by handler name."""
        return {s.name: s.mailbox.qsize() for s in self._subscribers}

    async def drain(self) -> None:
        """Wait until every event published so far has been handled (for tests)."""
        while any(s.pending for s in self._subscribers):
            await asyncio.gather(*(s.mailbox.join() for s in self._subscribers))

    async def __aenter__(self) -> Bus:
        self._running = True
        for subscriber in self._subscribers:
            self._start(subscriber)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._running = False
        tasks = [s.task for s in self._subscribers if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for subscriber in self._subscribers:
            subscriber.task = None

    def _route(self, event_type: type[Any]) -> list[_Subscriber]:
        routed = self._by_type.get(event_type)
        if routed is None:
            routed = [
                s for s in self._subscribers if issubclass(event_type, s.event_type)
            ]
            self._by_type[event_type] = routed
        return routed

    def _start(self, subscriber: _Subscriber) -> None:
        subscriber.task = asyncio.create_task(
            self._serve(subscriber), name=f"bus:{subscriber.name}"
        )

    async def _serve(self, subscriber: _Subscriber) -> None:
        while True:
            event = await subscriber.mailbox.get()
            try:
                await subscriber.handler(event)
            except Exception:
                log.exception("subscriber %s failed on %r", subscriber.name, event)
            finally:
                subscriber.pending -= 1
                subscriber.mailbox.task_done()
