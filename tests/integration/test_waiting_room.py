"""The waiting room over real FastAGI: the PBX simulator runs cc-wait's loop (music,
AGI `announce`, music again) and cc-queue-exit against the real AgiServer, whose
scripts use fake speech, CRM and ACD implementations of their Protocols."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.waiting import QueueExitParts, WaitingConfig, announce_handler
from ivr.waiting import queue_exit_handler as exit_handler
from telephony.agi import AgiHandler, AgiServer, AgiSession
from telephony.dialplan import (
    ANNOUNCE_EVERY_S,
    ANNOUNCE_SCRIPT,
    INBOUND_SCRIPT,
    QUEUE_EXIT_CONTEXT,
    QUEUE_EXIT_SCRIPT,
    WAIT_CONTEXT,
    WAIT_EXTEN,
    agent_channel,
)
from telephony.model import PbxId
from telephony.sim.channels import Channel
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.simulator import Simulator
from tests.integration.sim_harness import AmiClient, write_sound
from tests.unit.ivr.test_waiting import FakeAcd, FakeCalls, FakeCrm, FakeTts
from tests.waiting import eventually

SPEED = 60.0
"""Simulated seconds per wall second: the 30 s of music play in half a second."""
PBX = PbxId("pbx1")
ANI = "+79161234567"
AGENT = "1001"


async def park(session: AgiSession) -> None:
    """The IVR's hand-off and the ACD's figures, as channel variables."""
    for name, value in (
        ("CC_QUEUE", "billing"),
        ("CC_QUEUE_POSITION", "2"),
        ("CC_EXPECTED_WAIT_S", "90"),
    ):
        await session.set_variable(name, value)
    await session.set_context(WAIT_CONTEXT)
    await session.set_extension(WAIT_EXTEN)
    await session.set_priority(1)


@dataclass
class HeldTts(FakeTts):
    """Holds every announcement until `release` is set (the caller sits in AGI)."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    sounds_dir: Path | None = None
    """Where the sounds are written (the simulator's sounds directory)."""

    async def say(self, text: str, *, language: str) -> str:
        self.waiting += 1
        await self.release.wait()
        name = await super().say(text, language=language)
        if self.sounds_dir is not None:
            write_sound(self.sounds_dir, name)
        return name


@dataclass
class Room:
    sim: Simulator
    ami: AmiClient
    tts: HeldTts
    crm: FakeCrm
    acd: FakeAcd
    ended: list[str]
    recordings: Path

    async def caller(self, digits: str = "") -> Channel:
        placed = await self.sim.place_inbound(
            Caller(ani=ANI, digits=digits, digit_delay_s=0.5, patience_s=None)
        )

        async def waiting() -> Channel | None:
            ch = self.sim.pbx.find(placed.ivr_uniqueid)
            return ch if ch is not None and ch.context == WAIT_CONTEXT else None

        found: Channel = await eventually(waiting, timeout_s=5)
        return found

    async def redirect(self, ch: Channel, exten: str) -> None:
        reply = await self.ami.call(
            "Redirect",
            ("Channel", ch.name),
            ("Context", QUEUE_EXIT_CONTEXT),
            ("Exten", exten),
            ("Priority", "1"),
        )
        assert reply.response == "Success"


def watched(handler: AgiHandler, ended: list[str]) -> AgiHandler:
    """`handler`, noting how each session ended ("ok" or the exception's name)."""

    async def handle(session: AgiSession) -> None:
        try:
            await handler(session)
        except Exception as exc:
            ended.append(type(exc).__name__)
            raise
        ended.append("ok")

    return handle


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Room]:
    tts, crm, acd, ended = HeldTts(), FakeCrm(), FakeAcd(), list[str]()
    tts.release.set()
    tts.sounds_dir = tmp_path / "sounds"
    config = WaitingConfig(recordings_dir=tmp_path)
    parts = QueueExitParts(
        tts=tts, crm=crm, callbacks=acd, calls=FakeCalls(), pbx_id=PBX, config=config
    )
    agi = AgiServer(port=0, command_timeout_s=5)
    agi.route(INBOUND_SCRIPT, park)
    agi.route(ANNOUNCE_SCRIPT, watched(announce_handler(tts, config=config), ended))
    agi.route(QUEUE_EXIT_SCRIPT, watched(exit_handler(parts), ended))
    port = await agi.start()
    sim_config = SimConfig(
        agi_port=port,
        speed=SPEED,
        seed=3,
        recordings_dir=tmp_path,
        sounds_dir=tts.sounds_dir,
        agents=(AgentPhone(endpoint=AGENT, ring_s=1.0, talk_s=600.0),),
    )
    try:
        async with Simulator(sim_config) as sim:
            ami = await AmiClient.connect(sim.ami_port)
            await ami.login()
            yield Room(sim, ami, tts, crm, acd, ended, tmp_path)
            await ami.close()
    finally:
        await agi.stop()


async def test_waiting_caller_hears_place_then_music_again_when_interval_passes(
    room: Room,
) -> None:
    ch = await room.caller()
    started = room.sim.clock()

    async def announced() -> bool:
        return len(room.tts.said) >= 2 and room.ended[:2] == ["ok", "ok"]

    await eventually(announced, timeout_s=10)
    assert room.sim.clock() - started >= 2 * ANNOUNCE_EVERY_S * 0.9
    assert room.tts.said[0] == (
        "You are number two in the queue. Your expected wait is about two minutes.",
        "en",
    )
    assert ch.context == WAIT_CONTEXT
    assert not ch.dead


async def test_caller_leaves_a_voicemail_when_redirected_to_the_queue_exit(
    room: Room,
) -> None:
    ch = await room.caller()
    await room.redirect(ch, "voicemail")

    async def left() -> bool:
        return bool(room.crm.voicemails) and ch.dead

    await eventually(left, timeout_s=10)
    (message,) = room.crm.voicemails
    assert message["ani"] == ANI
    assert message["topic_code"] == "billing"
    recording = message["recording"]
    assert isinstance(recording, Path)
    assert recording.parent == room.recordings
    assert recording.stat().st_size > 44
    assert room.ended == ["ok"]


async def test_callback_is_booked_when_the_redirected_caller_presses_1(
    room: Room,
) -> None:
    ch = await room.caller(digits="1")
    await room.redirect(ch, "callback")

    async def booked() -> bool:
        return bool(room.acd.requested) and ch.dead

    await eventually(booked, timeout_s=10)
    ((call, number),) = room.acd.requested
    assert (call, number) == (f"{PBX}:{ch.uniqueid}", ANI)
    assert room.crm.voicemails == []


async def test_caller_keeps_waiting_when_the_pbx_lacks_the_announcement(
    room: Room,
) -> None:
    room.tts.sounds_dir = None  # synthesised where the PBX does not read
    ch = await room.caller()

    async def announced() -> bool:
        return bool(room.tts.said) and room.ended[:1] == ["ok"]

    await eventually(announced, timeout_s=10)
    assert ch.context == WAIT_CONTEXT
    assert not ch.dead


async def test_voicemail_is_left_when_the_pbx_lacks_the_callback_offer(
    room: Room,
) -> None:
    room.tts.sounds_dir = None
    ch = await room.caller(digits="1")
    await room.redirect(ch, "callback")

    async def left() -> bool:
        return bool(room.crm.voicemails) and ch.dead

    await eventually(left, timeout_s=10)
    assert room.acd.requested == []  # not offered, so not booked
    assert room.ended == ["ok"]


async def test_agent_is_bridged_in_when_the_caller_is_mid_announcement(
    room: Room,
) -> None:
    room.tts.release.clear()
    ch = await room.caller()

    async def in_announcement() -> bool:
        return room.tts.waiting >= 1

    await eventually(in_announcement, timeout_s=10)
    reply = await room.ami.call(
        "Originate",
        ("Channel", agent_channel(AGENT)),
        ("Application", "Bridge"),
        ("Data", ch.name),
        ("Async", "true"),
    )
    assert reply.response == "Success"

    async def bridged() -> bool:
        return ch.bridge is not None

    await eventually(bridged, timeout_s=10)
    room.tts.release.set()

    async def script_ended() -> bool:
        return bool(room.ended)

    await eventually(script_ended, timeout_s=10)
    assert room.ended == ["ok"]
    assert ch.bridge is not None
    assert not ch.dead
    played = [
        m.get("ResultCode")
        for m in room.ami.events()
        if m.event == "AGIExecEnd"
        and m.get("Uniqueid") == ch.uniqueid
        and m.get("Command").startswith("STREAM FILE")
    ]
    assert played == ["511"]  # the announcement never reached the agent's call


async def test_voicemail_follows_when_the_acd_redirects_mid_announcement(
    room: Room,
) -> None:
    room.tts.release.clear()
    ch = await room.caller()

    async def in_announcement() -> bool:
        return room.tts.waiting >= 1

    await eventually(in_announcement, timeout_s=10)
    await room.redirect(ch, "voicemail")
    room.tts.release.set()

    async def left() -> bool:
        return bool(room.crm.voicemails) and ch.dead

    await eventually(left, timeout_s=10)
    assert room.ended == ["ok", "ok"]  # the announcement, then the queue exit
    assert room.crm.voicemails[0]["topic_code"] == "billing"
