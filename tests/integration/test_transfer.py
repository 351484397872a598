"""Transfers through the PBX simulator over TCP, seen by the telephony bridge: an
attended transfer (Atxfer, then the agent hangs up or cancels) and a blind one
(Redirect of the caller) keep the caller's call one call until the caller leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from telephony.agi import AgiServer, AgiSession
from telephony.ami import AmiConfig
from telephony.backoff import Backoff
from telephony.dialplan import (
    AGENT_CONTEXT,
    INBOUND_SCRIPT,
    OUTBOUND_CONTEXT,
    WAIT_CONTEXT,
    WAIT_EXTEN,
    agent_channel,
)
from telephony.errors import PbxError
from telephony.events import CallArrived, CallEnded, PbxConnected
from telephony.model import Call, PbxId, call_id
from telephony.pbx import TelephonyBridge
from telephony.sim.channels import Channel
from telephony.sim.model import AgentPhone, Caller, Party, PartyKind, SimConfig
from telephony.sim.simulator import InboundCall, Simulator
from tests.fakes import RecordingPublisher
from tests.waiting import eventually

PBX = PbxId("pbx1")
NUMBER = "+74957654321"
BUSY, SLOW = "+74950000017", "+74950000019"
AGENT, COLLEAGUE = "1001", "1002"
PHONE = f"Local/{AGENT}@cc-agentphone-"
"""The agent's phone (the stand-in for PJSIP/1001) the agent leg dials."""


async def park(session: AgiSession) -> None:
    """Send every caller to the waiting context at once."""
    await session.set_context(WAIT_CONTEXT)
    await session.set_extension(WAIT_EXTEN)
    await session.set_priority(1)


@dataclass
class Connected:
    """A caller bridged with an agent, the caller's channel recorded."""

    placed: InboundCall
    caller: Channel
    """The caller's channel as the PBX bridges it (the `;2` half)."""
    agent: str
    """The agent's phone channel, bridged with the caller."""
    recording: Path

    @property
    def call_id(self) -> str:
        return call_id(PBX, self.placed.linkedid)


@dataclass
class Rig:
    sim: Simulator
    bridge: TelephonyBridge
    published: RecordingPublisher
    recordings: Path

    async def parked(self) -> tuple[InboundCall, Channel]:
        """A caller, and their channel once it waits in the waiting context."""
        placed = await self.sim.place_inbound(
            Caller(ani="+74951112233", patience_s=None, talk_s=600)
        )

        async def parked() -> Channel | None:
            ch = self.sim.pbx.find(placed.ivr_uniqueid)
            return ch if ch is not None and ch.context == WAIT_CONTEXT else None

        caller: Channel = await eventually(parked, timeout_s=5)
        return placed, caller

    async def connected(self) -> Connected:
        placed, caller = await self.parked()
        recording = self.recordings / "call.wav"
        await self.bridge.pbx.mix_monitor(PBX, channel=caller.name, file=str(recording))
        leg = await self.bridge.pbx.originate(
            PBX,
            channel=agent_channel(AGENT),
            application="Bridge",
            data=caller.name,
            timeout_s=5,
        )
        assert leg.success

        async def phone() -> Channel | None:
            bridge = caller.bridge
            members = [] if bridge is None else bridge.channels
            mine = [c for c in members if c.name.startswith(PHONE)]
            return mine[0] if len(members) == 2 and mine else None

        agent: Channel = await eventually(phone, timeout_s=5)
        assert self.sim.pbx.find(leg.channel) is None  # the agent leg optimised away
        return Connected(placed, caller, agent.name, recording)

    def consultation(self, context: str, exten: str) -> Channel | None:
        prefix = f"Local/{exten}@{context}-"
        for ch in self.sim.live_channels():
            if ch.name.startswith(prefix) and ch.name.endswith(";1"):
                return ch
        return None

    def calls(self) -> list[Call]:
        return self.bridge.live_calls()

    def ended(self, cid: str) -> list[CallEnded]:
        return [e for e in self.published.of_type(CallEnded) if e.call_id == cid]

    def arrivals(self) -> list[CallArrived]:
        return self.published.of_type(CallArrived)

    def sim_events(self, name: str) -> list[dict[str, str]]:
        return [dict(e) for e in self.sim.events if dict(e).get("Event") == name]

    async def caller_hangs_up(self, call: Connected) -> CallEnded:
        assert self.sim.hangup(call.placed.uniqueid)

        async def ended() -> list[CallEnded]:
            return self.ended(call.call_id)

        done: list[CallEnded] = await eventually(ended, timeout_s=5)
        return done[0]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    agi = AgiServer(port=0, handlers={INBOUND_SCRIPT: park})
    agi_port = await agi.start()
    config = SimConfig(
        agi_port=agi_port,
        seed=5,
        recordings_dir=tmp_path,
        agents=(
            AgentPhone(endpoint=AGENT, ring_s=0.1, talk_s=600),
            AgentPhone(endpoint=COLLEAGUE, ring_s=0.2, talk_s=600),
        ),
        parties=(
            Party(number=NUMBER, kind=PartyKind.HUMAN, ring_s=0.2, talk_s=600),
            Party(number=BUSY, kind=PartyKind.BUSY),
            Party(number=SLOW, kind=PartyKind.HUMAN, ring_s=1.0, talk_s=600),
        ),
    )
    async with Simulator(config, keep_events=True) as sim:
        published = RecordingPublisher()
        bridge = TelephonyBridge(
            [
                AmiConfig(
                    pbx_id=PBX,
                    host="127.0.0.1",
                    port=sim.ami_port,
                    username="cc",
                    secret="ccsecret",  # the simulator's manager.conf
                    action_timeout_s=2,
                )
            ],
            published,
            backoff=Backoff(initial_s=0.05, cap_s=0.2),
        )
        task = asyncio.create_task(bridge.run())
        rig = Rig(sim, bridge, published, tmp_path)

        async def up() -> bool:
            return bool(published.of_type(PbxConnected))

        try:
            await eventually(up, timeout_s=5)
            yield rig
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await agi.stop()


async def test_caller_is_bridged_with_target_in_one_call_when_agent_completes_transfer(
    rig: Rig,
) -> None:
    call = await rig.connected()
    original = call.caller.bridge
    assert original is not None

    await rig.bridge.pbx.attended_transfer(
        PBX, channel=call.agent, context=OUTBOUND_CONTEXT, exten=NUMBER
    )

    async def consulting() -> Channel | None:
        target = rig.consultation(OUTBOUND_CONTEXT, NUMBER)
        agent = rig.sim.pbx.find(call.agent)
        if target is None or agent is None or target.bridge is None:
            return None
        return target if target.bridge is agent.bridge else None

    target: Channel = await eventually(consulting, timeout_s=5)
    assert call.caller.moh
    assert call.caller.bridge is original
    assert target.linkedid == call.placed.linkedid
    size_before = call.recording.stat().st_size

    await rig.bridge.pbx.hangup(PBX, channel=call.agent)

    async def transferred() -> bool:
        return target.bridge is original and not call.caller.moh

    await eventually(transferred, timeout_s=5)

    async def grown() -> bool:
        return call.recording.stat().st_size > size_before

    await eventually(grown, timeout_s=5)
    await rig.bridge.drain()
    assert rig.sim.pbx.find(call.agent) is None
    [done] = rig.sim_events("AttendedTransfer")
    assert done["Result"] == "Success"
    assert done["DestType"] == "Bridge"
    assert done["DestBridgeUniqueid"] == original.uniqueid
    assert done["TransfereeChannel"] == call.caller.name
    assert done["TransferTargetChannel"] == target.name
    [live] = rig.calls()
    assert live.call_id == call.call_id
    assert target.name in {leg.channel for leg in live.legs if leg.ended_at is None}
    assert len(rig.arrivals()) == 1
    assert rig.ended(call.call_id) == []

    ended = await rig.caller_hangs_up(call)
    assert ended.call_id == call.call_id
    assert rig.consultation(OUTBOUND_CONTEXT, NUMBER) is None
    assert len(rig.published.of_type(CallEnded)) == 1


async def test_agent_is_bridged_with_caller_again_when_transfer_is_cancelled(
    rig: Rig,
) -> None:
    call = await rig.connected()
    original = call.caller.bridge

    await rig.bridge.pbx.attended_transfer(
        PBX, channel=call.agent, context=AGENT_CONTEXT, exten=COLLEAGUE
    )

    async def consulting() -> Channel | None:
        target = rig.consultation(AGENT_CONTEXT, COLLEAGUE)
        return target if target is not None and target.bridge is not None else None

    target: Channel = await eventually(consulting, timeout_s=5)
    await rig.bridge.pbx.cancel_attended_transfer(PBX, channel=call.agent)

    async def back() -> bool:
        agent = rig.sim.pbx.find(call.agent)
        return (
            agent is not None
            and agent.bridge is original
            and not call.caller.moh
            and rig.consultation(AGENT_CONTEXT, COLLEAGUE) is None
        )

    await eventually(back, timeout_s=5)
    await rig.bridge.drain()
    assert target.dead
    assert rig.sim_events("AttendedTransfer") == []
    [live] = rig.calls()
    assert live.call_id == call.call_id
    assert len(rig.arrivals()) == 1
    assert rig.ended(call.call_id) == []

    await rig.caller_hangs_up(call)
    assert rig.sim.pbx.find(call.agent) is None


async def test_phone_hangs_up_and_call_stays_one_when_caller_is_sent_to_a_number(
    rig: Rig,
) -> None:
    call = await rig.connected()
    original = call.caller.bridge
    assert original is not None

    await rig.bridge.pbx.redirect(
        PBX, channel=call.caller.name, context=OUTBOUND_CONTEXT, exten=NUMBER
    )

    async def dialling() -> bool:
        return call.caller.context == OUTBOUND_CONTEXT and call.caller.bridge is None

    await eventually(dialling, timeout_s=5)

    async def agent_gone() -> bool:  # the bridge dissolved: Dial's callee hangs up
        return rig.sim.pbx.find(call.agent) is None

    await eventually(agent_gone, timeout_s=5)
    [hangup] = [e for e in rig.sim_events("Hangup") if e["Channel"] == call.agent]
    assert hangup["Cause"] == "16"
    destroyed = [e["BridgeUniqueid"] for e in rig.sim_events("BridgeDestroy")]
    assert original.uniqueid in destroyed
    await rig.bridge.drain()
    [live] = rig.calls()
    assert live.call_id == call.call_id
    assert not call.caller.dead
    assert rig.ended(call.call_id) == []

    await rig.caller_hangs_up(call)
    assert len(rig.arrivals()) == 1


async def test_phone_hangs_up_when_caller_is_sent_on_as_the_agent_answers(
    rig: Rig,
) -> None:
    _, call = await rig.parked()
    leg = await rig.bridge.pbx.originate(
        PBX, channel=agent_channel(AGENT), application="Bridge", data=call.name,
        timeout_s=5,
    )  # fmt: skip
    assert leg.success

    # At once: the agent leg's Local pair is there for about 12 ms more.
    await rig.bridge.pbx.redirect(
        PBX, channel=call.name, context=OUTBOUND_CONTEXT, exten=NUMBER
    )

    async def phones_gone() -> bool:
        agents = [c for c in rig.sim.live_channels() if f"/{AGENT}@" in c.name]
        return not agents and call.context == OUTBOUND_CONTEXT and not call.dead

    await eventually(phones_gone, timeout_s=5)


async def test_atxfer_is_refused_when_channel_is_not_bridged(rig: Rig) -> None:
    call = await rig.connected()

    with pytest.raises(PbxError, match="not in a two-party bridge"):
        await rig.bridge.pbx.attended_transfer(
            PBX, channel=call.placed.uniqueid, context=OUTBOUND_CONTEXT, exten=NUMBER
        )
    with pytest.raises(PbxError, match="No attended transfer in progress"):
        await rig.bridge.pbx.cancel_attended_transfer(PBX, channel=call.agent)
    with pytest.raises(PbxError, match="Channel specified does not exist"):
        await rig.bridge.pbx.attended_transfer(
            PBX, channel="Local/9@cc-agent-ffff;1", context=AGENT_CONTEXT, exten="9"
        )

    sent = next(a for a in rig.sim.actions if a.action == "Atxfer")
    assert (sent.get("Exten"), sent.get("Context")) == (NUMBER, OUTBOUND_CONTEXT)
    assert call.caller.bridge is not None
    assert not call.caller.moh


async def test_agent_returns_to_caller_when_transfer_target_is_busy(rig: Rig) -> None:
    call = await rig.connected()
    original = call.caller.bridge

    await rig.bridge.pbx.attended_transfer(
        PBX, channel=call.agent, context=OUTBOUND_CONTEXT, exten=BUSY
    )

    async def back() -> bool:
        agent = rig.sim.pbx.find(call.agent)
        return (
            bool(rig.sim_events("DialEnd"))
            and agent is not None
            and agent.bridge is original
            and rig.consultation(OUTBOUND_CONTEXT, BUSY) is None
        )

    await eventually(back, timeout_s=5)
    assert not call.caller.moh
    assert rig.sim_events("DialEnd")[-1]["DialStatus"] == "BUSY"
    assert rig.sim_events("AttendedTransfer") == []
    assert [c.call_id for c in rig.calls()] == [call.call_id]


async def test_target_gets_caller_when_agent_phone_hangs_up_before_target_answers(
    rig: Rig,
) -> None:
    call = await rig.connected()
    original = call.caller.bridge

    await rig.bridge.pbx.attended_transfer(
        PBX, channel=call.agent, context=OUTBOUND_CONTEXT, exten=SLOW
    )

    async def ringing() -> Channel | None:
        return rig.consultation(OUTBOUND_CONTEXT, SLOW)

    target: Channel = await eventually(ringing, timeout_s=5)
    assert target.state != "Up"
    agent = rig.sim.pbx.find(call.agent)
    assert agent is not None
    assert agent.peer is not None
    await rig.bridge.pbx.hangup(PBX, channel=agent.peer.name)  # the phone's half

    async def transferred() -> bool:
        return target.bridge is original and not call.caller.moh

    await eventually(transferred, timeout_s=5)
    assert rig.sim.pbx.find(call.agent) is None
    [done] = rig.sim_events("AttendedTransfer")
    assert done["TransferTargetChannel"] == target.name
    await rig.bridge.drain()
    assert [c.call_id for c in rig.calls()] == [call.call_id]
    assert rig.ended(call.call_id) == []


async def test_hold_counts_only_after_the_bridge_when_the_agent_holds(rig: Rig) -> None:
    call = await rig.connected()  # the caller heard queue music before this

    assert rig.sim.hold(call.agent)
    held = call.caller.moh
    await asyncio.sleep(0.3)
    assert rig.sim.hold(call.agent, on=False)
    assert (held, call.caller.moh) == (True, False)
    ended = await rig.caller_hangs_up(call)

    moh = rig.sim_events("MusicOnHoldStart")
    assert [e["Channel"] for e in moh][-1] == call.caller.name
    assert moh[-1]["Class"] == "default"
    assert 0.25 <= ended.hold_s <= 0.5
    assert ended.hold_s < ended.talk_s
