"""Calls from the IVR through the simulator to simulated agents: queues by key,
priority, no answer, unreachable phones, hang-ups during the ring and while
waiting, racing offers, and the AMI connection dropping while calls wait."""

from __future__ import annotations

from acd.events import CallAbandoned, CallRequeued, QueueStatsUpdated
from acd.handoff import PRIORITY_VAR
from acd.model import PAUSE_NO_ANSWER, AgentId
from acd.model import AgentState as S
from telephony.agi import AgiSession
from telephony.events import CallBridged
from telephony.model import CallId
from telephony.sim.model import AgentPhone
from tests.integration.acd.rig import BILLING, SUPPORT, Rig, greet, running, seat
from tests.waiting import eventually


async def _bridged(rig: Rig, call_id: str) -> bool:
    return any(e.call_id == call_id for e in rig.wire.of_type(CallBridged))


async def _originates(rig: Rig) -> int:
    return len([a for a in rig.sim.actions if a.action == "Originate"])


async def test_caller_reaches_the_agent_of_the_chosen_queue_when_both_are_ready() -> (
    None
):
    phones = (
        AgentPhone(endpoint="1001", ring_s=0.1),
        AgentPhone(endpoint="1002", ring_s=0.1),
    )
    seats = (seat("anna", "1001", BILLING), seat("boris", "1002", SUPPORT))
    async with running(phones, seats) as rig:
        await rig.service.login(AgentId("anna"))
        await rig.service.login(AgentId("boris"))

        support_call = await rig.call("2")
        connected = await rig.connected(support_call)

        assert connected.agent_id == "boris"
        assert connected.queue_id == "support"
        await eventually(lambda: _bridged(rig, support_call))
        await rig.until_state("boris", S.WRAP_UP)  # the caller hangs up after talking
        await rig.until_state("boris", S.READY)
        assert rig.state("anna") is S.READY

        async def figures_moved() -> bool:
            return any(
                e.queue_id == "support" and e.answered == 1 and e.waiting == 0
                for e in rig.wire.of_type(QueueStatsUpdated)
            )

        await eventually(figures_moved)


async def test_higher_priority_caller_is_served_first_when_an_agent_frees_up() -> None:
    async def vip_on_key_3(session: AgiSession) -> None:
        await greet(session)
        if (await session.get_variable("CC_QUEUE")) == "sales":  # key 3
            await session.set_variable("CC_QUEUE", "billing")
            await session.set_variable(PRIORITY_VAR, "5")

    phones = (AgentPhone(endpoint="1001", ring_s=0.1),)
    async with running(
        phones, (seat("anna", "1001", BILLING),), ivr=vip_on_key_3
    ) as rig:
        await rig.service.login(AgentId("anna"))
        await rig.service.pause(AgentId("anna"), reason="coffee")
        first = await rig.call("1")
        second = await rig.call("1")
        vip = await rig.call("3")
        assert rig.service.engine.waiting(BILLING) == [vip, first, second]

        await rig.service.ready(AgentId("anna"))

        assert (await rig.connected(vip)).agent_id == "anna"


async def test_call_returns_to_the_head_and_agent_pauses_when_the_phone_rings_out() -> (
    None
):
    phones = (AgentPhone(endpoint="1001", answers=False),)
    async with running(
        phones, (seat("anna", "1001", BILLING),), ring_timeout_s=0.5
    ) as rig:
        await rig.service.login(AgentId("anna"))
        first = await rig.call("1")
        second = await rig.call("1")

        await rig.until_state("anna", S.PAUSED)

        assert rig.service.agent(AgentId("anna")).reason == PAUSE_NO_ANSWER
        assert [e.call_id for e in rig.wire.of_type(CallRequeued)] == [first]
        assert rig.service.engine.waiting(BILLING) == [first, second]

        async def agent_leg_gone() -> bool:
            return not any("cc-agent" in ch.name for ch in rig.sim.live_channels())

        await eventually(agent_leg_gone)


async def test_unreachable_phone_pauses_the_agent_and_the_next_one_answers() -> None:
    phones = (
        AgentPhone(endpoint="1001", reachable=False),
        AgentPhone(endpoint="1002", ring_s=0.1),
    )
    seats = (seat("anna", "1001", BILLING), seat("boris", "1002", BILLING))
    async with running(phones, seats) as rig:
        await rig.service.login(AgentId("anna"))
        await rig.service.login(AgentId("boris"))  # anna has been idle longer

        call = await rig.call("1")

        assert (await rig.connected(call)).agent_id == "boris"
        assert rig.state("anna") is S.PAUSED
        assert rig.service.agent(AgentId("anna")).reason == PAUSE_NO_ANSWER


async def test_agent_is_freed_when_the_caller_hangs_up_during_the_ring() -> None:
    phones = (AgentPhone(endpoint="1001", ring_s=2.0),)
    async with running(phones, (seat("anna", "1001", BILLING),)) as rig:
        await rig.service.login(AgentId("anna"))
        placed = await rig.place("1", patience_s=None)
        call_id = f"pbx1:{placed.linkedid}"
        await rig.until_state("anna", S.RINGING)

        assert rig.sim.hangup(placed.uniqueid)

        async def abandoned() -> bool:
            return any(e.call_id == call_id for e in rig.wire.of_type(CallAbandoned))

        await eventually(abandoned)
        await rig.until_state("anna", S.READY)

        async def agent_leg_gone() -> bool:
            return not any("cc-agent" in ch.name for ch in rig.sim.live_channels())

        await eventually(agent_leg_gone)
        assert not await _bridged(rig, call_id)


async def test_waiting_caller_is_abandoned_when_they_lose_patience() -> None:
    async with running((), ()) as rig:
        call = await rig.call("1", patience_s=0.3)

        async def abandoned() -> list[CallAbandoned]:
            return [e for e in rig.wire.of_type(CallAbandoned) if e.call_id == call]

        [gone] = await eventually(abandoned)
        assert gone.queue_id == "billing"
        assert rig.service.engine.size(BILLING) == 0


async def test_one_agent_gets_one_offer_at_a_time_when_calls_arrive_together() -> None:
    phones = (AgentPhone(endpoint="1001", ring_s=0.3),)
    async with running(phones, (seat("anna", "1001", BILLING),)) as rig:
        calls = [await rig.call("1") for _ in range(4)]
        before = await _originates(rig)
        await rig.service.login(AgentId("anna"))

        await rig.connected(calls[0])
        assert await _originates(rig) == before + 1
        assert rig.service.engine.waiting(BILLING) == calls[1:]
        await rig.connected(calls[1])  # after the first call and its wrap-up
        assert await _originates(rig) == before + 2


async def test_waiting_calls_keep_their_places_when_the_ami_connection_drops() -> None:
    phones = (AgentPhone(endpoint="1001", ring_s=0.1),)
    async with running(phones, (seat("anna", "1001", BILLING),)) as rig:
        calls = [await rig.call("1") for _ in range(3)]
        gone = await rig.place("1", patience_s=None)
        gone_id = CallId(f"pbx1:{gone.linkedid}")

        async def fourth_queued() -> bool:
            return rig.service.engine.call(gone_id) is not None

        await eventually(fourth_queued)
        await rig.sim.drop_ami_connections()
        assert rig.sim.hangup(gone.uniqueid)  # lost while the AMI is down
        await rig.ami_up(2)

        async def vanished() -> bool:
            return rig.service.engine.size(BILLING) == 3

        await eventually(vanished)
        assert rig.service.engine.waiting(BILLING) == calls
        await rig.service.login(AgentId("anna"))
        assert (await rig.connected(calls[0])).agent_id == "anna"
