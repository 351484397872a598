"""The event bus: typed routing, order per subscriber, isolation of failures."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest

from contactcentre.bus import Bus


@dataclass(frozen=True)
class Base:
    n: int


@dataclass(frozen=True)
class Child(Base):
    pass


@dataclass(frozen=True)
class Other:
    n: int


async def test_subscriber_gets_only_its_type_when_several_are_published() -> None:
    seen: list[object] = []

    async def on_other(event: Other) -> None:
        seen.append(event)

    async with Bus() as bus:
        bus.subscribe(Other, on_other)
        await bus.publish(Base(1))
        await bus.publish(Other(2))
        await bus.drain()
    assert seen == [Other(2)]


async def test_subscriber_of_a_base_gets_subclasses_when_published() -> None:
    seen: list[Base] = []

    async def on_base(event: Base) -> None:
        seen.append(event)

    async with Bus() as bus:
        bus.subscribe(Base, on_base)
        await bus.publish(Child(1))
        await bus.publish(Base(2))
        await bus.drain()
    assert seen == [Child(1), Base(2)]


async def test_events_arrive_in_order_when_the_handler_is_slow() -> None:
    seen: list[int] = []

    async def slow(event: Base) -> None:
        await asyncio.sleep(0.001 * (5 - event.n))
        seen.append(event.n)

    async with Bus() as bus:
        bus.subscribe(Base, slow)
        for n in range(5):
            await bus.publish(Base(n))
        await bus.drain()
    assert seen == [0, 1, 2, 3, 4]


async def test_other_subscribers_still_run_when_one_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[int] = []

    async def broken(event: Base) -> None:
        raise RuntimeError("boom")

    async def fine(event: Base) -> None:
        seen.append(event.n)

    async with Bus() as bus:
        bus.subscribe(Base, broken)
        bus.subscribe(Base, fine)
        with caplog.at_level(logging.ERROR, logger="contactcentre.bus"):
            await bus.publish(Base(1))
            await bus.publish(Base(2))
            await bus.drain()
    assert seen == [1, 2]
    assert sum("broken" in r.getMessage() for r in caplog.records) == 2


async def test_publisher_is_not_blocked_when_a_subscriber_is_stuck() -> None:
    release = asyncio.Event()
    all_seen = asyncio.Event()
    seen: list[int] = []

    async def stuck(event: Base) -> None:
        await release.wait()

    async def fast(event: Base) -> None:
        seen.append(event.n)
        if len(seen) == 100:
            all_seen.set()

    async with Bus() as bus:
        bus.subscribe(Base, stuck)
        bus.subscribe(Base, fast)
        async with asyncio.timeout(1):
            for n in range(100):
                await bus.publish(Base(n))
            await all_seen.wait()
        release.set()
        await bus.drain()
    assert seen == list(range(100))


async def test_drain_waits_for_events_published_by_handlers() -> None:
    seen: list[object] = []

    async def relay(event: Base) -> None:
        await bus.publish(Other(event.n))

    async def on_other(event: Other) -> None:
        await asyncio.sleep(0.01)
        seen.append(event)

    bus = Bus()
    bus.subscribe(Base, relay)
    bus.subscribe(Other, on_other)
    async with bus:
        await bus.publish(Base(7))
        await bus.drain()
        assert seen == [Other(7)]


async def test_subscriber_added_while_running_gets_later_events() -> None:
    seen: list[int] = []

    async def late(event: Base) -> None:
        seen.append(event.n)

    async with Bus() as bus:
        await bus.publish(Base(1))
        bus.subscribe(Base, late)
        await bus.publish(Base(2))
        await bus.drain()
    assert seen == [2]


async def test_types_share_one_order_when_subscribed_together() -> None:
    seen: list[object] = []

    async def both(event: object) -> None:
        if isinstance(event, Base):
            await asyncio.sleep(0.01)
        seen.append(event)

    async with Bus() as bus:
        bus.subscribe_all((Base, Other), both)
        await bus.publish(Base(1))
        await bus.publish(Other(2))
        await bus.drain()
    assert seen == [Base(1), Other(2)]


async def test_backlog_names_the_subscriber_that_falls_behind() -> None:
    release = asyncio.Event()

    async def stuck(event: Base) -> None:
        await release.wait()

    async def fast(event: Base) -> None:
        return None

    async with Bus() as bus:
        bus.subscribe(Base, stuck)
        bus.subscribe(Base, fast)
        for n in range(5):
            await bus.publish(Base(n))
        await asyncio.sleep(0.01)
        backlog = bus.backlog()
        release.set()
        await bus.drain()
        assert bus.backlog() == {stuck.__qualname__: 0, fast.__qualname__: 0}
    assert backlog == {stuck.__qualname__: 4, fast.__qualname__: 0}
