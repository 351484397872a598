"""The simulator's FastAGI client answers the commands the service sends as Asterisk
does, timeouts included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from telephony.agi import AgiServer, AgiSession
from telephony.sim.model import Caller, SimConfig
from telephony.sim.simulator import Simulator

SPEED = 20.0

Script = Callable[[AgiSession], Awaitable[None]]


@pytest.fixture
async def heard(
    tmp_path: Path,
) -> AsyncIterator[tuple[Simulator, asyncio.Queue[object]]]:
    replies: asyncio.Queue[object] = asyncio.Queue()

    async def script(session: AgiSession) -> None:
        await replies.put(await session.wait_for_digit(2000))

    server = AgiServer(port=0, handlers={"inbound": script}, command_timeout_s=5)
    port = await server.start()
    config = SimConfig(
        agi_port=port, speed=SPEED, recordings_dir=tmp_path / "mix", agi_timeout_s=5
    )
    try:
        async with Simulator(config) as sim:
            yield sim, replies
    finally:
        await server.stop()


async def test_wait_for_digit_times_out_when_the_caller_presses_nothing(
    heard: tuple[Simulator, asyncio.Queue[object]],
) -> None:
    sim, replies = heard
    await sim.place_inbound(Caller(ani="+74951234567", digits=""))
    # 2 s at 20x is 0.1 s wall: a reply long before the 3 s here proves the timeout
    # was read from the command, not taken as "for ever".
    assert await asyncio.wait_for(replies.get(), timeout=3) is None


async def test_wait_for_digit_gives_the_key_when_the_caller_presses_one(
    heard: tuple[Simulator, asyncio.Queue[object]],
) -> None:
    sim, replies = heard
    await sim.place_inbound(Caller(ani="+74951234567", digits="7", digit_delay_s=0.5))
    assert await asyncio.wait_for(replies.get(), timeout=3) == "7"
