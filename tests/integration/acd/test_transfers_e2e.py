"""Transfers with the real ACD service over the PBX simulator over TCP: a queued
caller reaches an agent, then the agent transfers blind (to a number, a queue, an
agent) or attended (to a number, completed or cancelled). The caller's call stays
one telephony call throughout, and the agents' states follow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from acd.errors import TransferRefused
from acd.events import AgentStateChanged, CallConnected, CallHandled, CallOffered
from acd.model import AgentId, CallPhase, ConnectedCall, TargetKind, TransferMode
from acd.model import AgentState as S
from acd.transfers import TransferState, TransferTarget
from telephony.dialplan import OUTBOUND_CONTEXT
from telephony.events import CallArrived, CallEnded
from telephony.model import CallId
from telephony.sim.channels import Channel
from telephony.sim.model import AgentPhone, Party, PartyKind
from tests.integration.acd.rig import BILLING, PBX, SUPPORT, Rig, running, seat
from tests.waiting import eventually

NUMBER = "+74957654321"
ANNA, BORIS = AgentId("anna"), AgentId("boris")


@dataclass
class Talk:
    """A caller connected to anna, the caller's channel recorded."""

    rig: Rig
    call_id: CallId
    connected: ConnectedCall
    caller: Channel
    """The caller's channel the PBX bridges (the one the ACD redirects)."""
    recording: Path
    phone: Channel | None = None
    """anna's phone, bridged with the caller once the agent leg that rang it (a
    Local pair) has been optimised away."""

    def peer(self) -> Channel | None:
        """Whoever shares the caller's bridge."""
        bridge = self.caller.bridge
        if bridge is None:
            return None
        others = [c for c in bridge.channels if c is not self.caller]
        return others[0] if len(others) == 1 else None

    async def until_bridged_with(self, prefix: str) -> Channel:
        async def found() -> Channel | None:
            peer = self.peer()
            ok = peer is not None and peer.name.startswith(prefix) and not peer.dead
            return peer if ok and not self.caller.moh else None

        peer: Channel = await eventually(found, timeout_s=5)
        return peer

    def states(self, agent: AgentId) -> list[S]:
        return [
            e.state
            for e in self.rig.wire.of_type(AgentStateChanged)
            if e.agent_id == agent
        ]

    def arrivals(self) -> list[CallArrived]:
        return self.rig.wire.of_type(CallArrived)

    def ended(self) -> list[CallEnded]:
        return self.rig.wire.of_type(CallEnded)

    def sent(self, action: str) -> list[str]:
        """The Channel of every `action` the PBX received."""
        return [a.get("Channel") for a in self.rig.sim.actions if a.action == action]

    async def caller_hangs_up(self) -> CallEnded:
        assert self.rig.sim.hangup(self.caller.name)

        async def ended() -> list[CallEnded]:
            return self.ended()

        done: list[CallEnded] = await eventually(ended, timeout_s=5)
        assert len(done) == 1
        return done[0]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    phones = (
        AgentPhone(endpoint="1001", ring_s=0.1, talk_s=600),
        AgentPhone(endpoint="1002", ring_s=0.1, talk_s=600),
    )
    seats = (seat("anna", "1001", BILLING), seat("boris", "1002", SUPPORT))
    parties = (Party(number=NUMBER, kind=PartyKind.HUMAN, ring_s=0.1, talk_s=600),)
    async with running(phones, seats, parties=parties, recordings_dir=tmp_path) as rig:
        yield rig


async def _talk(rig: Rig, *, boris: bool = True) -> Talk:
    recording_dir = rig.sim.config.recordings_dir
    """anna answers a billing caller; boris (support) is ready but idle."""
    await rig.service.login(ANNA)
    if boris:
        await rig.service.login(BORIS)
    call_id = await rig.call("1", talk_s=600)
    assert (await rig.connected(call_id)).agent_id == ANNA

    async def answered() -> ConnectedCall | None:
        return rig.service.connected_call(ANNA)

    connected: ConnectedCall = await eventually(answered, timeout_s=5)
    assert connected.caller_channel is not None
    caller = rig.sim.pbx.find(connected.caller_channel)
    assert caller is not None
    talk = Talk(rig, call_id, connected, caller, recording_dir / "call.wav")
    talk.phone = await talk.until_bridged_with("Local/1001@cc-agentphone-")
    assert rig.sim.pbx.find(connected.agent_leg) is None  # optimised away
    await rig.bridge.pbx.mix_monitor(PBX, channel=caller.name, file=str(talk.recording))
    return talk


async def _gone(talk: Talk) -> None:
    """anna's phone has left the call."""
    phone = talk.phone
    assert phone is not None

    async def phone_gone() -> bool:
        return phone.dead

    await eventually(phone_gone, timeout_s=5)


async def test_caller_talks_to_the_number_and_agent_wraps_up_when_sent_blind(
    rig: Rig,
) -> None:
    talk = await _talk(rig)
    agent = talk.peer()
    assert agent is not None

    done = await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.BLIND,
        target=TransferTarget(kind=TargetKind.NUMBER, value=NUMBER),
    )

    assert done.state is TransferState.DONE
    await talk.until_bridged_with(f"Local/{NUMBER}@cc-outbound-")
    await _gone(talk)
    assert talk.sent("Redirect") == [talk.caller.name]
    assert talk.sent("Hangup") == [agent.name]  # the one in the caller's bridge
    assert S.WRAP_UP in talk.states(ANNA)
    await rig.until_state("anna", S.READY)
    assert rig.service.connected_call(ANNA) is None
    assert rig.service.engine.call(talk.call_id) is None
    size = talk.recording.stat().st_size
    await rig.bridge.drain()
    assert [c.call_id for c in rig.bridge.live_calls()] == [talk.call_id]
    assert talk.ended() == []

    ended = await talk.caller_hangs_up()

    assert ended.call_id == talk.call_id
    assert len(talk.arrivals()) == 1
    assert talk.recording.stat().st_size > size
    assert rig.state("boris") is S.READY


async def test_second_agent_gets_the_same_call_when_sent_blind_to_a_queue(
    rig: Rig,
) -> None:
    talk = await _talk(rig)

    await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.BLIND,
        target=TransferTarget(kind=TargetKind.QUEUE, value=SUPPORT),
    )

    again = await _connected_to(rig, talk.call_id, BORIS)
    assert again.queue_id == SUPPORT
    await talk.until_bridged_with("Local/1002@cc-agentphone-")
    await _gone(talk)
    assert S.WRAP_UP in talk.states(ANNA)
    await rig.until_state("boris", S.ON_CALL)
    assert rig.service.connected_call(BORIS) is not None
    assert rig.service.connected_call(ANNA) is None
    await rig.bridge.drain()
    assert [c.call_id for c in rig.bridge.live_calls()] == [talk.call_id]

    ended = await talk.caller_hangs_up()

    assert ended.call_id == talk.call_id
    assert len(talk.arrivals()) == 1
    await rig.until_state("boris", S.WRAP_UP)


async def test_named_agent_gets_the_same_call_when_sent_blind_to_them(
    rig: Rig,
) -> None:
    talk = await _talk(rig)

    await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.BLIND,
        target=TransferTarget(kind=TargetKind.AGENT, value=BORIS),
    )

    again = await _connected_to(rig, talk.call_id, BORIS)
    assert again.queue_id == BILLING
    await talk.until_bridged_with("Local/1002@cc-agentphone-")
    await _gone(talk)
    assert S.WRAP_UP in talk.states(ANNA)
    assert talk.ended() == []

    await talk.caller_hangs_up()

    assert len(talk.arrivals()) == 1
    await rig.until_state("boris", S.WRAP_UP)


async def test_caller_talks_to_the_number_when_attended_transfer_completes(
    rig: Rig,
) -> None:
    talk = await _talk(rig, boris=False)
    original = talk.caller.bridge
    agent = talk.peer()
    assert agent is not None

    consulting = await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.ATTENDED,
        target=TransferTarget(kind=TargetKind.NUMBER, value=NUMBER),
    )

    assert consulting.state is TransferState.CONSULTING
    target = await _consulted(talk, f"Local/{NUMBER}@cc-outbound-")
    assert talk.caller.moh
    assert rig.state("anna") is S.ON_CALL
    assert talk.sent("Atxfer") == [agent.name]  # the one in the caller's bridge
    size = talk.recording.stat().st_size

    done = await rig.service.transfers.complete(ANNA)

    assert done.state is TransferState.DONE
    assert talk.sent("Hangup") == [agent.name]
    assert await talk.until_bridged_with(f"Local/{NUMBER}@cc-outbound-") is target
    assert talk.caller.bridge is original
    await _gone(talk)
    assert S.WRAP_UP in talk.states(ANNA)
    assert rig.service.connected_call(ANNA) is None
    await rig.bridge.drain()
    assert [c.call_id for c in rig.bridge.live_calls()] == [talk.call_id]
    assert talk.ended() == []

    ended = await talk.caller_hangs_up()

    assert ended.call_id == talk.call_id
    assert len(talk.arrivals()) == 1
    assert talk.recording.stat().st_size > size


async def test_agent_is_back_with_the_caller_when_attended_transfer_is_cancelled(
    rig: Rig,
) -> None:
    talk = await _talk(rig)
    leg = talk.phone
    assert leg is not None

    await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.ATTENDED,
        target=TransferTarget(kind=TargetKind.AGENT, value=BORIS),
    )
    target = await _consulted(talk, "Local/1002@cc-agent-")
    assert rig.state("boris") is S.RESERVED

    cancelled = await rig.service.transfers.cancel(ANNA)

    assert cancelled.state is TransferState.CANCELLED
    assert talk.sent("Atxfer") == talk.sent("CancelAtxfer") == [leg.name]
    assert await talk.until_bridged_with("Local/1001@cc-agentphone-") is leg

    async def target_gone() -> bool:
        return target.dead

    await eventually(target_gone, timeout_s=5)
    assert rig.state("anna") is S.ON_CALL
    assert rig.state("boris") is S.READY
    assert rig.service.connected_call(ANNA) == talk.connected
    assert talk.ended() == []

    ended = await talk.caller_hangs_up()

    assert ended.call_id == talk.call_id
    assert len(talk.arrivals()) == 1
    await rig.until_state("anna", S.WRAP_UP)
    assert [e.agent_id for e in rig.wire.of_type(CallConnected)] == [ANNA]


async def _connected_to(rig: Rig, call_id: CallId, agent: AgentId) -> CallConnected:
    async def found() -> CallConnected | None:
        hits = [
            e
            for e in rig.wire.of_type(CallConnected)
            if e.call_id == call_id and e.agent_id == agent
        ]
        return hits[0] if hits else None

    hit: CallConnected = await eventually(found, timeout_s=5)
    return hit


async def _consulted(talk: Talk, prefix: str) -> Channel:
    """The consultation channel, once it talks with anna's leg."""

    async def talking() -> Channel | None:
        leg = talk.phone
        if leg is None or leg.bridge is None:
            return None
        others = [c for c in leg.bridge.channels if c is not leg]
        hit = [c for c in others if c.name.startswith(prefix)]
        return hit[0] if hit else None

    target: Channel = await eventually(talking, timeout_s=5)
    return target


async def test_caller_still_reaches_the_number_when_agent_leg_hangs_up_at_once(
    rig: Rig,
) -> None:
    talk = await _talk(rig)
    agent = talk.peer()
    assert agent is not None
    pbx = rig.bridge.pbx

    await asyncio.gather(  # both on the wire before the caller has left the bridge
        pbx.redirect(
            PBX, channel=talk.caller.name, context=OUTBOUND_CONTEXT, exten=NUMBER
        ),
        pbx.hangup(PBX, channel=agent.name),
    )

    await talk.until_bridged_with(f"Local/{NUMBER}@cc-outbound-")
    assert agent.dead
    assert talk.ended() == []


async def test_agent_wraps_up_when_hanging_up_during_a_consultation(
    rig: Rig,
) -> None:
    talk = await _talk(rig, boris=False)
    await rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.ATTENDED,
        target=TransferTarget(kind=TargetKind.NUMBER, value=NUMBER),
    )
    target = await _consulted(talk, f"Local/{NUMBER}@cc-outbound-")

    await rig.service.transfers.hang_up(ANNA)

    assert await talk.until_bridged_with(f"Local/{NUMBER}@cc-outbound-") is target
    await _gone(talk)
    assert S.WRAP_UP in talk.states(ANNA)
    assert rig.service.connected_call(ANNA) is None
    assert talk.ended() == []


async def _consult_boris(talk: Talk) -> Channel:
    """anna starts an attended transfer to boris; his phone talks with her."""
    consulting = await talk.rig.service.transfers.transfer(
        ANNA,
        mode=TransferMode.ATTENDED,
        target=TransferTarget(kind=TargetKind.AGENT, value=BORIS),
    )
    assert consulting.state is TransferState.CONSULTING
    target = await _consulted(talk, "Local/1002@cc-agent-")
    assert talk.rig.state("boris") is S.RESERVED
    return target


async def _boris_has_the_call(talk: Talk) -> None:
    rig = talk.rig
    await rig.until_state("boris", S.ON_CALL)
    assert rig.service.agent(BORIS).call_id == talk.call_id
    handed = rig.service.connected_call(BORIS)
    assert handed is not None
    assert handed.call_id == talk.call_id
    assert rig.service.connected_call(ANNA) is None
    assert S.WRAP_UP in talk.states(ANNA)


async def _boris_wraps_up_after_the_caller(talk: Talk) -> None:
    ended = await talk.caller_hangs_up()
    assert ended.call_id == talk.call_id

    async def boris_handled() -> list[CallHandled]:
        return [e for e in talk.rig.wire.of_type(CallHandled) if e.agent_id == BORIS]

    [handled] = await eventually(boris_handled, timeout_s=5)
    assert handled.call_id == talk.call_id
    assert talk.states(BORIS)[-2:] == [S.WRAP_UP, S.READY]
    assert len(talk.arrivals()) == 1
    assert [e.agent_id for e in talk.rig.wire.of_type(CallConnected)] == [ANNA]


async def test_consulted_agent_is_on_the_call_when_attended_transfer_completes(
    rig: Rig,
) -> None:
    talk = await _talk(rig)
    target = await _consult_boris(talk)

    done = await rig.service.transfers.complete(ANNA)

    assert done.state is TransferState.DONE
    assert await talk.until_bridged_with("Local/1002@cc-agent-") is target
    await _boris_has_the_call(talk)
    await _gone(talk)
    await _boris_wraps_up_after_the_caller(talk)


async def test_no_call_is_offered_to_the_consulted_agent_while_consulting(
    rig: Rig,
) -> None:
    talk = await _talk(rig)
    await _consult_boris(talk)

    second = await rig.call("2", talk_s=600)  # support: boris's queue

    assert rig.service.engine.call_phase(second) is CallPhase.WAITING
    assert [e.call_id for e in rig.wire.of_type(CallOffered)] == [talk.call_id]
    assert rig.state("boris") is S.RESERVED

    await rig.service.transfers.cancel(ANNA)

    assert (await _connected_to(rig, second, BORIS)).queue_id == SUPPORT
    assert rig.state("anna") is S.ON_CALL


async def test_consulted_agent_gets_the_call_when_the_agent_hangs_up_the_phone(
    rig: Rig,
) -> None:
    talk = await _talk(rig)
    agent = talk.peer()
    assert agent is not None
    target = await _consult_boris(talk)

    # The phone hangs up: the PBX ends the leg on its own (the simulator's
    # in-process hangup skips the transfer completion AMI Hangup models).
    await rig.bridge.pbx.hangup(PBX, channel=agent.name)

    assert await talk.until_bridged_with("Local/1002@cc-agent-") is target
    await _boris_has_the_call(talk)
    assert talk.sent("Hangup") == [agent.name]  # only the phone's own
    with pytest.raises(TransferRefused):
        await rig.service.transfers.complete(BORIS)
    await _boris_wraps_up_after_the_caller(talk)
