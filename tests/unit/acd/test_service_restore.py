"""The ACD service across restarts: what it leaves on a waiting caller's channel,
callers and agents put back after its own restart, calls lost with the PBX."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from acd.events import CallAbandoned, CallLeftQueue
from acd.model import (
    AgentId,
    AgentSession,
    AgentState,
    CallRequest,
    ExitReason,
    QueueId,
)
from acd.ports import AgentOnCall, WaitingCall
from acd.queueing import PREFERRED_AGENT_VAR, QUEUE_VAR, QUEUED_AT_VAR
from telephony.model import CallId, ChannelId, EndReason
from tests.unit.acd.test_service import BILLING, PBX, Rig
from tests.waiting import eventually

ANNA, BORIS = AgentId("anna"), AgentId("boris")
GENERAL = QueueId("general")


def waiting(n: int, *, arrived_s: float, rig: Rig) -> WaitingCall:
    request = CallRequest(
        call_id=CallId(f"{PBX}:{n}"),
        queue_id=BILLING,
        arrived_at=rig.clock.now() - timedelta(seconds=arrived_s),
    )
    return WaitingCall(
        pbx_id=PBX,
        channel=f"Local/2001@cc-inbound-{n};2",
        request=request,
        channel_id=ChannelId(f"{n}.2"),
    )


async def test_queue_and_arrival_stay_on_the_channel_when_a_call_is_queued(
    rig: Rig,
) -> None:
    await rig.arrive(1)
    held = CallRequest(
        call_id=CallId(f"{PBX}:2"), queue_id=BILLING, preferred_agent=ANNA
    )
    await rig.service.call_waits(
        WaitingCall(pbx_id=PBX, channel="Local/2001@cc-inbound-2;2", request=held)
    )
    await rig.service.poke()
    arrived = f"{rig.clock.now().timestamp():.3f}"

    async def told() -> bool:
        return len(rig.pbx.variables) >= 6

    await eventually(told, timeout_s=2)
    assert rig.pbx.variables == [
        ("Local/2001@cc-inbound-1;2", QUEUE_VAR, BILLING),
        ("Local/2001@cc-inbound-1;2", QUEUED_AT_VAR, arrived),
        ("Local/2001@cc-inbound-1;2", PREFERRED_AGENT_VAR, ""),
        ("Local/2001@cc-inbound-2;2", QUEUE_VAR, BILLING),
        ("Local/2001@cc-inbound-2;2", QUEUED_AT_VAR, arrived),
        ("Local/2001@cc-inbound-2;2", PREFERRED_AGENT_VAR, ANNA),
    ]


async def test_new_queue_stays_on_the_channel_when_the_agent_sends_the_caller_on(
    rig: Rig,
) -> None:
    call = await rig.on_call(ANNA, 1)
    rig.clock.advance(40)
    rig.pbx.variables.clear()

    await rig.service.requeue_connected(call, queue_id=GENERAL, agent_id=BORIS)

    async def told() -> bool:
        return len(rig.pbx.variables) >= 3

    await eventually(told, timeout_s=2)
    channel = "Local/2001@cc-inbound-1;2"
    assert rig.pbx.variables == [
        (channel, QUEUE_VAR, GENERAL),
        (channel, QUEUED_AT_VAR, f"{rig.clock.now().timestamp():.3f}"),
        (channel, PREFERRED_AGENT_VAR, BORIS),
    ]


async def test_callers_found_waiting_are_served_in_arrival_order_when_restored(
    rig: Rig,
) -> None:
    later, earlier = (
        waiting(1, arrived_s=10, rig=rig),
        waiting(2, arrived_s=40, rig=rig),
    )
    ready = AgentSession(agent_id=ANNA, state=AgentState.READY, since=rig.clock.now())
    await rig.service.restore(
        waiting=[later, earlier],
        agents=[ANNA, BORIS],
        sessions={ANNA: ready},
        on_call={},
    )
    [ring] = await rig.rings(1)
    assert ring.data == earlier.channel
    assert rig.state("anna") is AgentState.RINGING
    assert rig.state("boris") is AgentState.LOGGED_OUT
    assert rig.service.engine.waiting(BILLING) == [later.request.call_id]
    assert rig.service.has_call(later.request.call_id)
    assert rig.pbx.variables == []  # what was on the channels stays as it was


async def test_agent_found_on_a_call_keeps_it_and_is_offered_nothing_when_restored(
    rig: Rig,
) -> None:
    talking = waiting(1, arrived_s=90, rig=rig)
    paused = AgentSession(
        agent_id=BORIS, state=AgentState.PAUSED, since=rig.clock.now(), reason="lunch"
    )
    await rig.service.restore(
        waiting=[waiting(2, arrived_s=5, rig=rig)],
        agents=[ANNA, BORIS],
        sessions={BORIS: paused},
        on_call={ANNA: AgentOnCall(waiting=talking, agent_leg=ChannelId("acd-leg-1"))},
    )
    assert rig.state("anna") is AgentState.ON_CALL
    assert rig.service.agent(BORIS).reason == "lunch"
    connected = rig.service.connected_call(ANNA)
    assert connected is not None
    assert (connected.call_id, connected.caller_channel, connected.agent_leg) == (
        talking.request.call_id,
        talking.channel,
        "acd-leg-1",
    )
    assert rig.pbx.rings == []

    await rig.end(talking.request.call_id)
    await rig.until_state("anna", AgentState.WRAP_UP)
    rig.clock.advance(10)
    await rig.service.poke()
    [ring] = await rig.rings(1)
    assert ring.channel == "Local/1001@cc-agent"


async def test_waiting_call_leaves_unabandoned_when_the_pbx_went_away(
    rig: Rig,
) -> None:
    lost = await rig.arrive(1)
    abandoned = await rig.arrive(2)
    rig.clock.advance(30)  # past the short-abandon grace

    await rig.end(lost, reason=EndReason.PBX_SHUTDOWN)
    await rig.end(abandoned)

    assert [e.call_id for e in rig.published.of_type(CallAbandoned)] == [abandoned]
    [left] = rig.published.of_type(CallLeftQueue)
    assert (left.call_id, left.reason) == (lost, ExitReason.PBX_GONE)
    [stats] = [s for s in rig.service.queue_stats() if s.queue_id == BILLING]
    assert (stats.abandoned, stats.answered, stats.waiting) == (1, 0, 0)


async def test_caller_queued_under_another_call_id_is_not_queued_twice_when_restored(
    rig: Rig,
) -> None:
    found = waiting(1, arrived_s=10, rig=rig)
    handed_off = replace(found, request=replace(found.request, call_id=CallId("x:1")))
    await rig.service.call_waits(handed_off)
    await rig.service.restore(waiting=[found], agents=[], sessions={}, on_call={})
    assert rig.service.engine.waiting(BILLING) == ["x:1"]


async def test_agent_whose_call_ended_while_restoring_wraps_up_when_restored(
    rig: Rig,
) -> None:
    ended = waiting(1, arrived_s=90, rig=rig)
    await rig.end(ended.request.call_id)  # after the PBX was read, before the restore
    await rig.service.restore(
        waiting=[],
        agents=[ANNA],
        sessions={},
        on_call={ANNA: AgentOnCall(waiting=ended, agent_leg=ChannelId("acd-leg-1"))},
    )
    assert rig.state("anna") is AgentState.WRAP_UP
    assert rig.service.connected_call(ANNA) is None
    rig.clock.advance(10)
    await rig.until_state("anna", AgentState.READY)
