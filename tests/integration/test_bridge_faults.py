"""The AMI bridge against the PBX simulator when things go wrong: an Asterisk
restart with calls up, both as a real Asterisk does it (the socket just closes,
logins are refused for a moment, the calls are gone afterwards; or every channel is
hung up and `Shutdown` sent first), and a dropped AMI connection while calls go on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from telephony.agi import AgiServer, AgiSession
from telephony.ami import AmiConfig
from telephony.backoff import Backoff
from telephony.calls import SHUTDOWN_TEXT, VANISHED_TEXT
from telephony.dialplan import (
    INBOUND_SCRIPT,
    WAIT_CONTEXT,
    WAIT_EXTEN,
    agent_channel,
)
from telephony.events import (
    CallArrived,
    CallBridged,
    CallEnded,
    PbxConnected,
    PbxDisconnected,
)
from telephony.model import EndReason, PbxId
from telephony.pbx import TelephonyBridge
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.simulator import InboundCall, Simulator
from tests.fakes import RecordingPublisher
from tests.waiting import eventually

PBX = PbxId("pbx1")


@dataclass
class Rig:
    sim: Simulator
    bridge: TelephonyBridge
    published: RecordingPublisher

    async def connections(self) -> int:
        return len(self.published.of_type(PbxConnected))

    async def call(self, ani: str) -> InboundCall:
        placed = await self.sim.place_inbound(
            Caller(ani=ani, digits="1", digit_delay_s=0.05, patience_s=None)
        )
        call_id = f"{PBX}:{placed.linkedid}"

        async def arrived() -> bool:
            return any(c.call_id == call_id for c in self.bridge.live_calls())

        await eventually(arrived)
        return placed


async def park(session: AgiSession) -> None:
    """Send every caller to the waiting context (music on hold) at once."""
    await session.set_context(WAIT_CONTEXT)
    await session.set_extension(WAIT_EXTEN)
    await session.set_priority(1)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    agi = AgiServer(port=0, handlers={INBOUND_SCRIPT: park})
    agi_port = await agi.start()
    phone = AgentPhone(endpoint="1001", ring_s=0.1, talk_s=600)
    config = SimConfig(agi_port=agi_port, seed=7, agents=(phone,))
    async with Simulator(config) as sim:
        published = RecordingPublisher()
        bridge = TelephonyBridge(
            [
                AmiConfig(
                    pbx_id=PBX,
                    host="127.0.0.1",
                    port=sim.ami_port,
                    username="cc",
                    secret="ccsecret",
                    action_timeout_s=2,
                    ping_interval_s=0.1,  # an idle link still says the PBX is up
                )
            ],
            published,
            backoff=Backoff(initial_s=0.05, cap_s=0.2),
        )
        task = asyncio.create_task(bridge.run())
        rig = Rig(sim, bridge, published)
        try:
            await eventually(rig.connections)
            yield rig
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await agi.stop()


def _ended(rig: Rig) -> dict[str, CallEnded]:
    return {e.call_id: e for e in rig.published.of_type(CallEnded)}


async def test_calls_vanish_with_a_reason_when_asterisk_restarts(rig: Rig) -> None:
    first = await rig.call("+74951234567")
    second = await rig.call("+74957654321")

    await rig.sim.restart(down_s=0.3)
    await eventually(lambda: _reconnected(rig, 2))
    await rig.bridge.drain()

    assert rig.bridge.live_calls() == []
    ended = _ended(rig)
    for placed in (first, second):
        gone = ended[f"{PBX}:{placed.linkedid}"]
        assert gone.reason is EndReason.VANISHED
        assert gone.hangup_cause_text == VANISHED_TEXT
    refused = [
        a for a in rig.sim.actions if a.action == "Login"
    ]  # the bridge kept trying while logins were refused
    assert len(refused) >= 2


async def test_calls_end_at_the_last_news_when_asterisk_restarts_silently(
    rig: Rig,
) -> None:
    placed = await rig.call("+74951234567")
    call_id = f"{PBX}:{placed.linkedid}"
    await _agent_bridged(rig, placed)
    await asyncio.sleep(0.3)  # talk: no events, only answered pings
    last_news = datetime.now(UTC)

    await rig.sim.restart(down_s=0.5)
    await eventually(lambda: _reconnected(rig, 2))
    await rig.bridge.drain()

    gone = _ended(rig)[call_id]
    assert gone.reason is EndReason.VANISHED
    assert gone.reason.pbx_gone
    assert gone.hangup_cause_text == VANISHED_TEXT
    back = rig.published.of_type(PbxConnected)[-1].occurred_at
    assert gone.ended_at <= last_news  # not the reconnect, 0.5 s later
    assert (back - gone.ended_at).total_seconds() >= 0.5
    assert 0.2 < gone.talk_s < 0.45


async def test_calls_end_as_shut_down_when_asterisk_announces_the_restart(
    rig: Rig,
) -> None:
    bridged = await rig.call("+74951234567")
    await _agent_bridged(rig, bridged)
    waiting = await rig.call("+74957654321")
    logins_before = _logins(rig)
    shutting_down = datetime.now(UTC)

    await rig.sim.restart(down_s=1.0, announce=True)
    await eventually(lambda: _reconnected(rig, 2))
    await rig.bridge.drain()

    ended = _ended(rig)
    for placed in (bridged, waiting):
        gone = ended[f"{PBX}:{placed.linkedid}"]
        assert gone.reason is EndReason.PBX_SHUTDOWN
        assert gone.hangup_cause_text == SHUTDOWN_TEXT
        assert (gone.ended_at - shutting_down).total_seconds() < 0.5  # when hung up
    [down] = rig.published.of_type(PbxDisconnected)
    assert "shutting down" in down.reason
    assert rig.bridge.live_calls() == []
    # While Asterisk refuses logins the bridge backs off: a handful of tries in
    # the second it is down, not a storm (back-off 0.05 s doubling to 0.2 s).
    assert 2 <= _logins(rig) - logins_before <= 9


def _logins(rig: Rig) -> int:
    return len([a for a in rig.sim.actions if a.action == "Login"])


async def _agent_bridged(rig: Rig, placed: InboundCall) -> CallBridged:
    call_id = f"{PBX}:{placed.linkedid}"
    caller = rig.sim.pbx.find(placed.ivr_uniqueid)
    assert caller is not None
    result = await rig.bridge.pbx.originate(
        PBX, channel=agent_channel("1001"), application="Bridge", data=caller.name,
        timeout_s=10,
    )  # fmt: skip
    assert result.success
    bridged: CallBridged = await eventually(lambda: _bridged(rig, call_id))
    return bridged


async def test_calls_are_kept_once_when_the_ami_connection_drops(rig: Rig) -> None:
    kept = await rig.call("+74951112233")

    await rig.sim.drop_ami_connections()
    await eventually(lambda: _reconnected(rig, 2))
    await rig.bridge.drain()

    call_id = f"{PBX}:{kept.linkedid}"
    assert [c.call_id for c in rig.bridge.live_calls()] == [call_id]
    arrivals = [e for e in rig.published.of_type(CallArrived) if e.call_id == call_id]
    assert len(arrivals) == 1
    assert call_id not in _ended(rig)

    assert rig.sim.hangup(kept.uniqueid)

    async def ended() -> bool:
        return call_id in _ended(rig)

    await eventually(ended)
    assert _ended(rig)[call_id].reason is EndReason.HANGUP


async def test_call_hung_up_while_disconnected_ends_at_resync_when_reconnected(
    rig: Rig,
) -> None:
    lost = await rig.call("+74953334455")
    rig.sim.ami.drop_all()
    assert rig.sim.hangup(lost.uniqueid)
    await eventually(lambda: _reconnected(rig, 2))
    await rig.bridge.drain()

    gone = _ended(rig)[f"{PBX}:{lost.linkedid}"]
    assert gone.reason is EndReason.VANISHED
    assert rig.bridge.live_calls() == []


async def _reconnected(rig: Rig, times: int) -> bool:
    return await rig.connections() >= times


async def test_agent_leg_joins_the_callers_call_when_originated_into_it(
    rig: Rig,
) -> None:
    placed = await rig.call("+74956667788")
    call_id = f"{PBX}:{placed.linkedid}"
    [call] = [c for c in rig.bridge.live_calls() if c.call_id == call_id]
    caller_leg = next(leg.channel for leg in call.legs if leg.channel.endswith(";2"))

    result = await rig.bridge.pbx.originate(
        PBX,
        channel=agent_channel("1001"),
        application="Bridge",
        data=caller_leg,
        caller_id='"Queue billing" <+74956667788>',
        timeout_s=10,
    )

    assert result.success
    bridged = await eventually(lambda: _bridged(rig, call_id))
    assert bridged.call_id == call_id
    assert (bridged.caller_channel, bridged.caller_channel_id) == (
        caller_leg,
        placed.ivr_uniqueid,
    )
    assert bridged.peer_channel.startswith("Local/1001@cc-agentphone-")  # the phone
    await eventually(lambda: _optimised(rig))
    await rig.bridge.drain()
    assert [c.call_id for c in rig.bridge.live_calls()] == [call_id]
    assert [e.call_id for e in rig.published.of_type(CallBridged)] == [call_id]


async def _optimised(rig: Rig) -> bool:
    return not any("@cc-agent-" in ch.name for ch in rig.sim.live_channels())


async def _bridged(rig: Rig, call_id: str) -> CallBridged | None:
    found = [e for e in rig.published.of_type(CallBridged) if e.call_id == call_id]
    return found[0] if found else None
