"""The whole recording path against the PBX simulator: a caller parked by FastAGI,
an agent leg originated into the call, MixMonitor on the caller when bridged, a
pause and resume, the hangup, the real WAV attached to the CRM contact, listed and
played back over HTTP with Range and rights. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_core.api.app import ApiDeps, setup_api
from crm_core.auth.credentials import Passwords
from crm_core.auth.model import system_actor
from crm_core.customers.contacts import ContactService
from crm_core.customers.model import CallLog, ContactDirection
from crm_core.db import Sessions
from recordings import http
from recordings.events import RecordingReady
from recordings.service import RecordingService
from recordings.storage import RecordingFiles, SqlCallContacts
from telephony.agi import AgiServer, AgiSession
from telephony.ami import AmiConfig
from telephony.backoff import Backoff
from telephony.dialplan import INBOUND_SCRIPT, WAIT_CONTEXT, WAIT_EXTEN, agent_channel
from telephony.events import CallArrived, CallBridged, CallEnded, PbxConnected
from telephony.model import PbxId
from telephony.pbx import TelephonyBridge
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.simulator import Simulator
from telephony.sim.wav import read_pcm
from tests.fakes import RecordingPublisher
from tests.integration.recordings.accounts import SystemClock, users
from tests.waiting import eventually

PBX = PbxId("pbx1")
FAST = Passwords(time_cost=1, memory_kib=256, parallelism=1)


@dataclass
class Crm:
    """What the composition root does with telephony events, for this test: the
    contact opens on arrival, closes with the agent at the end, then the recording
    is attached."""

    contacts: ContactService
    agent_id: uuid.UUID
    seen: RecordingPublisher
    recordings: RecordingService | None = None

    async def publish(self, event: object) -> None:
        await self.seen.publish(event)
        assert self.recordings is not None
        if isinstance(event, CallArrived):
            await self.contacts.open_call_contact(
                event.call_id, event.ani, dnis=event.dnis,
                direction=ContactDirection.IN, started_at=event.occurred_at,
            )  # fmt: skip
        elif isinstance(event, CallBridged):
            await self.recordings.on_call_bridged(event)
        elif isinstance(event, CallEnded):
            log = CallLog(
                ended_at=event.ended_at, wait_s=event.wait_s, talk_s=event.talk_s,
                outcome="answered", agent_id=self.agent_id,
            )  # fmt: skip
            await self.contacts.close_call_contact(event.call_id, log)
            await self.recordings.on_call_ended(event)


async def park(session: AgiSession) -> None:
    await session.set_context(WAIT_CONTEXT)
    await session.set_extension(WAIT_EXTEN)
    await session.set_priority(1)


@dataclass
class Rig:
    sim: Simulator
    bridge: TelephonyBridge
    recordings: RecordingService
    files: RecordingFiles
    ready: RecordingPublisher
    client: TestClient[web.Request, web.Application]
    tokens: dict[str, str]

    async def get(self, path: str, who: str, **headers: str) -> Any:
        return await self.client.get(
            path, headers={"Authorization": f"Bearer {self.tokens[who]}", **headers}
        )


@pytest.fixture
async def rig(sessions: Sessions, tmp_path: Path) -> AsyncIterator[Rig]:
    auth, tokens, anna = await users(sessions)
    ready = RecordingPublisher()
    agi = AgiServer(port=0, handlers={INBOUND_SCRIPT: park})
    config = SimConfig(
        agi_port=await agi.start(), seed=3, recordings_dir=tmp_path / "sim",
        agents=(AgentPhone(endpoint="1001", ring_s=0.1),),
    )  # fmt: skip
    async with Simulator(config) as sim:
        crm = Crm(ContactService(sessions, SystemClock()), anna, ready)
        bridge = TelephonyBridge(
            [AmiConfig(pbx_id=PBX, host="127.0.0.1", port=sim.ami_port,
                       username="cc", secret="ccsecret", action_timeout_s=2)],
            crm, backoff=Backoff(initial_s=0.05, cap_s=0.2),
        )  # fmt: skip
        files = RecordingFiles(tmp_path / "recordings")
        recordings = crm.recordings = RecordingService(
            sessions, bridge.pbx, files,
            SystemClock(), contacts=SqlCallContacts(sessions), publisher=ready,
        )  # fmt: skip
        app = web.Application()
        setup_api(app, ApiDeps(auth=auth, routes=[http.routes]))
        app[http.RECORDINGS] = recordings
        client = TestClient(TestServer(app))
        await client.start_server()
        task = asyncio.create_task(bridge.run())
        try:
            await eventually(lambda: _connected(ready))
            yield Rig(sim, bridge, recordings, files, ready, client, tokens)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await client.close()
            await agi.stop()


async def _connected(seen: RecordingPublisher) -> bool:
    return bool(seen.of_type(PbxConnected))


@dataclass(frozen=True)
class Recorded:
    call_id: str
    caller: str
    file: Path
    ready: RecordingReady


async def record_a_call(rig: Rig) -> Recorded:
    """A caller parked, an agent bridged in, 0.6 s talk, 0.4 s paused, hang up."""
    placed = await rig.sim.place_inbound(
        Caller(ani="+74951234567", digits="1", digit_delay_s=0.05, patience_s=None)
    )
    call_id = f"{PBX}:{placed.linkedid}"

    async def caller_leg() -> str | None:
        for call in rig.bridge.live_calls():
            if call.call_id == call_id:
                legs = [leg.channel for leg in call.legs if leg.channel.endswith(";2")]
                return legs[0] if legs else None
        return None

    caller = await eventually(caller_leg)
    result = await rig.bridge.pbx.originate(
        PBX, channel=agent_channel("1001"), application="Bridge", data=caller,
        caller_id='"Queue billing" <+74951234567>', timeout_s=10,
    )  # fmt: skip
    assert result.success

    async def recording_started() -> bool:
        found = await rig.recordings.find(system_actor(), call_id=call_id)
        return bool(found) and found[0].channel == caller

    await eventually(recording_started)
    file = rig.files.path_of(f"{PBX}_{placed.linkedid}.wav")
    await eventually(lambda: _longer_than(file, 0.6))
    await rig.recordings.set_muted(system_actor(), call_id, muted_=True)
    await eventually(lambda: _longer_than(file, 1.0))
    await rig.recordings.set_muted(system_actor(), call_id, muted_=False)
    assert rig.sim.hangup(placed.uniqueid)

    async def attached() -> RecordingReady | None:
        found = [e for e in rig.ready.of_type(RecordingReady) if e.call_id == call_id]
        return found[0] if found else None

    return Recorded(call_id, caller, file, await eventually(attached))


async def test_bridged_call_is_recorded_and_attached_when_it_ends(rig: Rig) -> None:
    done = await record_a_call(rig)

    assert done.ready.status == "ready"
    assert done.ready.contact_id is not None
    assert done.ready.duration_s is not None
    assert done.ready.duration_s >= 1.0
    assert done.ready.size_bytes == done.file.stat().st_size
    mix = [a for a in rig.sim.actions if a.action in ("MixMonitor", "MixMonitorMute")]
    assert [a.get("Channel") for a in mix] == [done.caller] * 3
    assert [a.get("State") for a in mix[1:]] == ["1", "0"]
    pcm = read_pcm(done.file)
    assert max(pcm[: 16000 // 2]) > 0, "talk before the pause is audible"
    assert b"\x00\x00" * 1600 in pcm, "the pause left at least 0.1 s of silence"

    listed = await rig.get(f"/api/v1/recordings?call_id={done.call_id}", "anna")
    assert listed.status == 200
    [item] = (await listed.json())["items"]
    assert (item["id"], item["status"]) == (done.ready.recording_id, "ready")
    assert item["contact_id"] == done.ready.contact_id
    [span] = item["muted_spans"]
    assert span["ended_at"] is not None
    by_contact = await rig.get(
        f"/api/v1/recordings?contact_id={done.ready.contact_id}", "sveta"
    )
    assert [i["id"] for i in (await by_contact.json())["items"]] == [item["id"]]


async def test_recording_plays_with_range_for_those_allowed_when_requested(
    rig: Rig,
) -> None:
    done = await record_a_call(rig)
    audio = f"/api/v1/recordings/{done.ready.recording_id}/audio"
    size = done.ready.size_bytes
    assert size is not None

    part = await rig.get(audio, "anna", Range="bytes=0-99")
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 0-99/{size}"
    body = await part.read()
    assert len(body) == 100
    assert body[:4] == b"RIFF"
    tail = await rig.get(audio, "anna", Range="bytes=-10")
    assert tail.status == 206
    assert await tail.read() == done.file.read_bytes()[-10:]
    whole = await rig.get(audio, "sveta")
    assert whole.status == 200
    assert whole.headers["Content-Type"] == "audio/wav"
    assert await whole.read() == done.file.read_bytes()
    beyond = await rig.get(audio, "anna", Range=f"bytes={size + 10}-")
    assert beyond.status == 416
    stranger = await rig.get(audio, "boris")
    assert stranger.status == 403
    assert (await stranger.json())["error_id"] == "forbidden"

    done.file.unlink()
    gone = await rig.get(audio, "sveta")
    assert gone.status == 410
    assert (await gone.json())["status"] == "missing"


async def _longer_than(path: Path, seconds: float) -> bool:
    """More than `seconds` of 8 kHz 16-bit mono audio after the 44-byte header."""
    size = await asyncio.to_thread(lambda: path.stat().st_size if path.exists() else 0)
    return size > 44 + 16000 * seconds
