"""The simulator's FastAGI client answers the commands the service sends as Asterisk
does, timeouts and missing sounds included."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ivr.messages import WAV_HEADER_BYTES, RecordedMessage, record_message
from telephony.agi import AgiServer, AgiSession, SoundMissing
from telephony.errors import AgiError
from telephony.sim.model import Caller, SimConfig
from telephony.sim.simulator import InboundCall, Simulator
from telephony.sim.sounds import BEEP, INSTALLED_SOUNDS
from tests.integration.sim_harness import write_sound
from tests.waiting import eventually

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


PlaceCall = Callable[..., Awaitable[tuple[Simulator, InboundCall]]]


@pytest.fixture
async def sounding(tmp_path: Path) -> AsyncIterator[PlaceCall]:
    """Places one call whose `inbound` session runs a script, against a simulator
    reading `tmp_path/sounds`, which holds `cc/test/here`."""
    sounds = tmp_path / "sounds"
    write_sound(sounds, "cc/test/here")
    async with contextlib.AsyncExitStack() as stack:

        async def place(
            script: Script, *, installed: frozenset[str] = INSTALLED_SOUNDS
        ) -> tuple[Simulator, InboundCall]:
            server = AgiServer(
                port=0, handlers={"inbound": script}, command_timeout_s=5
            )
            port = await server.start()
            stack.push_async_callback(server.stop)
            config = SimConfig(
                agi_port=port,
                speed=SPEED,
                recordings_dir=tmp_path / "mix",
                sounds_dir=sounds,
                installed_sounds=installed,
                agi_timeout_s=5,
            )
            sim = await stack.enter_async_context(Simulator(config, keep_events=True))
            placed = await sim.place_inbound(Caller(ani="+74951234567", digits="5"))
            return sim, placed

        yield place


async def outcome(command: Awaitable[object]) -> object:
    """The command's result, or the name of the FastAGI error it raised."""
    try:
        return await command
    except AgiError as error:
        return type(error).__name__


async def test_missing_sounds_are_told_from_played_ones_when_the_caller_is_there(
    sounding: PlaceCall, tmp_path: Path
) -> None:
    seen: dict[str, object] = {}
    done = asyncio.Event()

    async def script(session: AgiSession) -> None:
        absent = "cc/test/absent"
        seen["stream here"] = await outcome(session.stream_file("cc/test/here"))
        seen["stream absent"] = await outcome(session.stream_file(absent))
        seen["get data absent"] = await outcome(session.get_data(absent, 1000, 1))
        seen["get option absent"] = await outcome(session.get_option(absent, "5", 100))
        seen["control absent"] = await outcome(session.control_stream_file(absent))
        seen["playback here"] = await outcome(session.playback("cc/test/here"))
        seen["playback absent"] = await outcome(session.playback(absent))
        seen["background absent"] = await outcome(session.background(absent))
        seen["installed"] = await outcome(session.stream_file("silence/1"))
        seen["data dir"] = await session.get_variable("ASTDATADIR")
        seen["linkedid"] = await session.get_variable("CHANNEL(linkedid)")
        done.set()

    _sim, placed = await sounding(script)
    await asyncio.wait_for(done.wait(), timeout=10)
    assert seen == {
        "stream here": None,
        "stream absent": "SoundMissing",
        "get data absent": "SoundMissing",
        "get option absent": "SoundMissing",
        "control absent": "SoundMissing",
        "playback here": None,
        "playback absent": "SoundMissing",
        "background absent": "SoundMissing",
        "installed": None,
        "data dir": str(tmp_path),  # sounds are read from <astdatadir>/sounds
        "linkedid": placed.linkedid,
    }


async def test_agi_fails_when_a_sound_was_missing_for_stream_file_on_a_live_channel(
    sounding: PlaceCall,
) -> None:
    async def script(session: AgiSession) -> None:
        with contextlib.suppress(SoundMissing):
            await session.stream_file("cc/test/absent")

    sim, placed = await sounding(script)

    async def status() -> str | None:
        for event in sim.events:
            fields = dict(event)
            if fields.get("Variable") == "AGISTATUS" and (
                fields.get("Uniqueid") == placed.ivr_uniqueid
            ):
                return fields["Value"]
        return None

    # res_agi.c: RESULT_FAILURE on a live channel; the script went on regardless
    assert await eventually(status) == "FAILURE"


async def test_voicemail_is_recorded_without_a_beep_when_the_pbx_has_none(
    sounding: PlaceCall, tmp_path: Path
) -> None:
    recorded: list[RecordedMessage] = []

    async def script(session: AgiSession) -> None:
        target = tmp_path / "mix" / "vm-1"
        recorded.append(
            await record_message(session, target, local=target, max_s=2, silence_s=1)
        )

    await sounding(script, installed=INSTALLED_SOUNDS - {BEEP})

    [message] = await eventually(lambda: _some(recorded))
    assert message.path is not None
    assert message.path.stat().st_size > WAV_HEADER_BYTES


async def _some(items: list[RecordedMessage]) -> list[RecordedMessage] | None:
    return items or None
