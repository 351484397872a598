"""The ACD service over a fake PBX: rings, outcomes, hang-ups, wrap-up and figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from acd.agent_stats import AgentIntervalRecord
from acd.engine import AcdEngine
from acd.events import (
    CallAbandoned,
    CallConnected,
    CallRequeued,
    QueueStatsUpdated,
)
from acd.handoff import parse_skills
from acd.model import (
    PAUSE_NO_ANSWER,
    AgentId,
    AgentProfile,
    AgentState,
    CallRequest,
    Membership,
    QueueConfig,
    QueueId,
)
from acd.ports import CallLocator, WaitingCall
from acd.service import POSITION_VAR, AcdService, AcdSettings, AgentSeat
from acd.stats import IntervalRecord
from acd.transfers import BRIDGE_PEER_VAR
from telephony.errors import PbxUnavailable
from telephony.events import CallEnded
from telephony.model import CallId, ChannelId, Direction, EndReason, PbxId
from telephony.ports import OriginateResult, Redirection
from tests.fakes import FakeClock, RecordingPublisher
from tests.waiting import eventually

PBX = PbxId("pbx1")
BILLING = QueueId("billing")


@dataclass(slots=True)
class Ring:
    channel: str
    data: str
    channel_id: str
    timeout_s: float
    outcome: asyncio.Future[bool | None]
    exten: str | None = None
    """True answered, False not answered, None unreachable."""


@dataclass(slots=True)
class FakePbx:
    """Rings wait until the test decides their outcome."""

    rings: list[Ring] = field(default_factory=list)
    hangups: list[str] = field(default_factory=list)
    variables: list[tuple[str, str, str]] = field(default_factory=list)
    redirects: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(channel, context, exten, priority), in order."""
    transfers: list[tuple[str, str, str]] = field(default_factory=list)
    """Attended transfers started: (channel, context, exten)."""
    cancelled: list[str] = field(default_factory=list)
    """Channels whose attended transfer was cancelled."""
    bridge_peers: dict[str, str] = field(default_factory=dict)
    """Each channel's BRIDGEPEER, as the test says Asterisk has set it."""

    async def originate(
        self,
        pbx_id: PbxId,
        *,
        channel: str,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str = "",
        caller_id: str = "",
        timeout_s: float = 30.0,
        variables: Mapping[str, str] | None = None,
        channel_id: ChannelId | None = None,
        other_channel_id: ChannelId | None = None,
    ) -> OriginateResult:
        outcome: asyncio.Future[bool | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.rings.append(
            Ring(channel, data, str(channel_id), timeout_s, outcome, exten=exten)
        )
        answered = await outcome
        if answered is None:
            raise PbxUnavailable("not connected")
        return OriginateResult(
            success=answered,
            channel=channel,
            channel_id=None,
            reason=4 if answered else 3,
        )

    async def redirect(
        self,
        pbx_id: PbxId,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int = 1,
        also: Redirection | None = None,
    ) -> None:
        self.redirects.append((channel, context, exten, priority))

    async def hangup(self, pbx_id: PbxId, *, channel: str, cause: int = 16) -> None:
        self.hangups.append(channel)

    async def bridge(self, pbx_id: PbxId, *, channel1: str, channel2: str) -> None:
        return None

    async def set_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str, value: str
    ) -> None:
        self.variables.append((channel or "", name, value))

    async def get_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str
    ) -> str | None:
        if name != BRIDGE_PEER_VAR or channel is None:
            return None
        return self.bridge_peers.get(channel)

    async def mix_monitor(
        self, pbx_id: PbxId, *, channel: str, file: str, options: str = ""
    ) -> None:
        return None

    async def stop_mix_monitor(self, pbx_id: PbxId, *, channel: str) -> None:
        return None

    async def mute_mix_monitor(
        self, pbx_id: PbxId, *, channel: str, muted: bool, direction: str = "both"
    ) -> None:
        return None

    async def play_dtmf(
        self, pbx_id: PbxId, *, channel: str, digit: str, duration_ms: int = 250
    ) -> None:
        return None

    async def attended_transfer(
        self, pbx_id: PbxId, *, channel: str, context: str, exten: str
    ) -> None:
        self.transfers.append((channel, context, exten))

    async def cancel_attended_transfer(self, pbx_id: PbxId, *, channel: str) -> None:
        self.cancelled.append(channel)


@dataclass(slots=True)
class Rig:
    service: AcdService
    pbx: FakePbx
    clock: FakeClock
    published: RecordingPublisher

    async def arrive(self, n: int, *, queue: QueueId = BILLING) -> CallId:
        call = CallId(f"{PBX}:{n}")
        request = CallRequest(call_id=call, queue_id=queue)
        await self.service.call_waits(
            WaitingCall(
                pbx_id=PBX, channel=f"Local/2001@cc-inbound-{n};2", request=request
            )
        )
        await self.service.poke()
        return call

    async def end(self, call: CallId, *, reason: EndReason = EndReason.HANGUP) -> None:
        now = self.clock.now()
        await self.service.on_call_ended(
            CallEnded(
                occurred_at=now,
                call_id=call,
                pbx_id=PBX,
                direction=Direction.INBOUND,
                ani="+74950000000",
                dnis="2001",
                arrived_at=now,
                answered_at=now,
                bridged_at=None,
                ended_at=now,
                hangup_cause=16,
                hangup_cause_text="Normal Clearing",
                reason=reason,
            )
        )
        await self.service.poke()

    async def on_call(self, agent: AgentId, n: int) -> CallId:
        """`agent` logs in and answers caller `n`."""
        await self.service.login(agent)
        call = await self.arrive(n)
        [ring] = await self.rings(1)
        ring.outcome.set_result(True)
        await self.until_state(agent, AgentState.ON_CALL)
        return call

    async def rings(self, count: int) -> list[Ring]:
        async def enough() -> bool:
            return len(self.pbx.rings) >= count

        await eventually(enough, timeout_s=2)
        return self.pbx.rings

    def state(self, agent: str) -> AgentState:
        return self.service.agent(AgentId(agent)).state

    async def until_state(self, agent: str, state: AgentState) -> None:
        async def reached() -> bool:
            await self.service.poke()
            return self.state(agent) is state

        await eventually(reached, timeout_s=2)


def _seat(agent: str, endpoint: str) -> AgentSeat:
    return AgentSeat(
        profile=AgentProfile(
            agent_id=AgentId(agent), memberships=(Membership(queue_id=BILLING),)
        ),
        endpoint=endpoint,
    )


def rig_settings() -> AcdSettings:
    return AcdSettings(
        pbx_id=PBX,
        queues=(
            QueueConfig(queue_id=BILLING, ring_timeout_s=15, wrap_up_s=10),
            QueueConfig(queue_id=QueueId("general")),
        ),
        agents=(_seat("anna", "1001"), _seat("boris", "1002")),
        default_queue=QueueId("general"),
        stats_every_s=0.02,
    )


@asynccontextmanager
async def running(
    settings: AcdSettings, *, calls: CallLocator | None = None
) -> AsyncIterator[Rig]:
    """The service over a fake PBX for the block (`calls`: its call locator)."""
    clock, pbx, published = FakeClock(), FakePbx(), RecordingPublisher()
    service = AcdService(
        AcdEngine(), pbx, published, clock, settings=settings, calls=calls
    )
    task = asyncio.create_task(service.run())
    try:
        yield Rig(service, pbx, clock, published)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with running(rig_settings()) as it:
        yield it


async def test_agent_is_rung_into_the_callers_channel_when_a_call_waits(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    call = await rig.arrive(1)

    [ring] = await rig.rings(1)
    assert ring.channel == "Local/1001@cc-agent"
    assert ring.data == "Local/2001@cc-inbound-1;2"
    assert ring.timeout_s == 15
    assert rig.state("anna") is AgentState.RINGING

    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)
    [connected] = rig.published.of_type(CallConnected)
    assert connected.call_id == call
    assert connected.agent_id == "anna"


async def test_call_returns_to_the_head_and_agent_pauses_when_the_agent_does_not_answer(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    first = await rig.arrive(1)
    rig.clock.advance(1)
    await rig.arrive(2)
    [ring] = await rig.rings(1)

    ring.outcome.set_result(False)
    await rig.until_state("anna", AgentState.PAUSED)

    assert rig.service.agent(AgentId("anna")).reason == PAUSE_NO_ANSWER
    assert [e.call_id for e in rig.published.of_type(CallRequeued)] == [first]
    assert rig.service.engine.waiting(BILLING)[0] == first
    assert rig.service.engine.position(first) == 1


async def test_call_is_offered_to_the_next_agent_when_the_originate_fails(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    await rig.service.login(AgentId("boris"))
    call = await rig.arrive(1)
    [ring] = await rig.rings(1)

    ring.outcome.set_result(False)  # e.g. the phone is not registered
    rings = await rig.rings(2)

    first_agent = "anna" if rings[0].channel.startswith("Local/1001") else "boris"
    assert rig.state(first_agent) is AgentState.PAUSED
    assert rings[1].data == rings[0].data  # the same caller, offered to the other
    assert rig.service.engine.call_phase(call) is not None


async def test_agent_stays_ready_and_call_is_offered_again_when_the_pbx_fails(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    call = await rig.arrive(1)
    [ring] = await rig.rings(1)

    ring.outcome.set_result(None)  # the AMI connection is down

    rings = await rig.rings(2)
    assert rings[1].channel == "Local/1001@cc-agent"
    assert rig.state("anna") is AgentState.RINGING
    assert [e.call_id for e in rig.published.of_type(CallRequeued)] == [call]


async def test_logout_is_a_no_op_when_the_agent_is_logged_out(rig: Rig) -> None:
    view = await rig.service.logout(AgentId("boris"))
    assert view.state is AgentState.LOGGED_OUT


async def test_waiting_caller_is_abandoned_at_once_when_they_hang_up(
    rig: Rig,
) -> None:
    call = await rig.arrive(1)

    await rig.end(call)

    [abandoned] = rig.published.of_type(CallAbandoned)
    assert abandoned.call_id == call
    assert rig.service.engine.call(call) is None
    assert rig.pbx.rings == []


async def test_agent_leg_is_hung_up_when_the_caller_leaves_during_the_ring(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    call = await rig.arrive(1)
    [ring] = await rig.rings(1)

    await rig.end(call)
    await rig.until_state("anna", AgentState.READY)

    async def hung() -> bool:
        return ring.channel_id in rig.pbx.hangups

    await eventually(hung, timeout_s=2)
    ring.outcome.set_result(True)  # answered anyway: the leg is freed again
    await eventually(lambda: _count(rig.pbx.hangups, ring.channel_id, 2), timeout_s=2)
    assert rig.published.of_type(CallConnected) == []
    assert rig.state("anna") is AgentState.READY


async def _count(items: list[str], item: str, times: int) -> bool:
    return items.count(item) >= times


async def test_one_agent_is_offered_one_call_when_many_arrive_at_once(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    calls = await asyncio.gather(*(rig.arrive(n) for n in range(1, 41)))

    [ring] = await rig.rings(1)
    assert len(rig.pbx.rings) == 1
    assert rig.service.engine.size(BILLING) == len(calls)

    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)
    await rig.end(calls[0])
    await rig.service.finish_wrap_up(AgentId("anna"))
    rings = await rig.rings(2)
    assert len(rings) == 2
    assert rings[1].data == "Local/2001@cc-inbound-2;2"


async def test_agent_wraps_up_then_is_ready_when_the_connected_call_ends(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    call = await rig.arrive(1)
    [ring] = await rig.rings(1)
    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)

    await rig.end(call)
    assert rig.state("anna") is AgentState.WRAP_UP

    rig.clock.advance(10)
    await rig.until_state("anna", AgentState.READY)


async def test_ring_timeout_frees_the_phone_when_the_pbx_answers_late(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    await rig.arrive(1)
    [ring] = await rig.rings(1)

    rig.clock.advance(15)
    await rig.until_state("anna", AgentState.PAUSED)
    await eventually(lambda: _count(rig.pbx.hangups, ring.channel_id, 1), timeout_s=2)

    ring.outcome.set_result(False)
    await rig.service.poke()
    assert rig.state("anna") is AgentState.PAUSED
    assert rig.published.of_type(CallConnected) == []


async def test_caller_keeps_their_place_and_is_called_back_when_they_ask(
    rig: Rig,
) -> None:
    anna = AgentId("anna")
    await rig.service.login(anna)
    await rig.service.pause(anna, reason="coffee")
    call = await rig.arrive(1)
    await rig.service.request_callback(call, number="+74951112233")

    await rig.end(call)  # the caller hangs up to wait for the call back
    assert rig.published.of_type(CallAbandoned) == []
    assert rig.service.engine.position(call) == 1

    await rig.service.ready(anna)
    [ring] = await rig.rings(1)
    assert (ring.channel, ring.exten) == ("Local/1001@cc-agent", "+74951112233")
    ring.outcome.set_result(True)
    await rig.until_state("anna", AgentState.ON_CALL)
    assert [e.call_id for e in rig.published.of_type(CallConnected)] == [call]

    await rig.end(CallId(f"{PBX}:{ring.channel_id}"))  # the call back ends
    assert rig.state("anna") is AgentState.WRAP_UP
    assert rig.service.engine.call(call) is None


async def test_call_goes_to_the_default_queue_when_its_queue_is_unknown(
    rig: Rig,
) -> None:
    call = await rig.arrive(1, queue=QueueId("nowhere"))

    assert rig.service.engine.call_queue(call) == "general"


async def test_queue_figures_are_published_every_round_when_the_service_runs(
    rig: Rig,
) -> None:
    await rig.service.login(AgentId("anna"))
    await rig.arrive(1)

    async def figures() -> list[QueueStatsUpdated]:
        return [
            e
            for e in rig.published.of_type(QueueStatsUpdated)
            if e.queue_id == BILLING and e.agents_by_state == (("ringing", 1),)
        ]

    await eventually(figures, timeout_s=2)
    [now] = [s for s in rig.service.queue_stats() if s.queue_id == BILLING]
    assert now.waiting == 1


async def test_agent_logs_in_pauses_and_is_ready_when_asked(rig: Rig) -> None:
    anna = AgentId("anna")
    assert (await rig.service.login(anna)).state is AgentState.READY
    paused = await rig.service.pause(anna, reason="lunch")
    assert (paused.state, paused.reason) == (AgentState.PAUSED, "lunch")
    assert (await rig.service.ready(anna)).state is AgentState.READY
    assert (await rig.service.logout(anna)).state is AgentState.LOGGED_OUT


def test_skills_are_parsed_when_given_as_a_list() -> None:
    assert parse_skills("billing:3, russian:5,,vip") == {
        "billing": 3,
        "russian": 5,
        "vip": 1,
    }


@dataclass(slots=True)
class FakeIntervals:
    saved: list[IntervalRecord] = field(default_factory=list)
    agents: list[AgentIntervalRecord] = field(default_factory=list)

    async def save(self, records: Sequence[IntervalRecord]) -> None:
        self.saved.extend(records)

    async def save_agents(self, records: Sequence[AgentIntervalRecord]) -> None:
        self.agents.extend(records)


async def test_closed_quarter_hours_are_stored_when_the_clock_passes_them() -> None:
    clock, intervals = FakeClock(), FakeIntervals()
    settings = AcdSettings(
        pbx_id=PBX,
        queues=(QueueConfig(queue_id=BILLING),),
        agents=(_seat("anna", "1001"),),
        stats_every_s=0.01,
    )
    service = AcdService(
        AcdEngine(),
        FakePbx(),
        RecordingPublisher(),
        clock,
        settings=settings,
        intervals=intervals,
    )
    async with asyncio.TaskGroup() as group:
        task = group.create_task(service.run())
        await service.login(AgentId("anna"))
        clock.advance(30 * 60)

        async def two() -> bool:
            return len(intervals.saved) >= 2

        await eventually(two, timeout_s=2)
        task.cancel()

    first, second = intervals.saved[:2]
    assert (first.queue_id, first.end) == (BILLING, second.start)
    assert first.counts.staffed_agent_s == 900.0
    anna = intervals.agents[0]
    assert (anna.agent_id, anna.start, anna.end) == ("anna", first.start, first.end)
    assert anna.counts.ready_s == anna.counts.logged_in_s == 900.0


async def test_waiting_callers_are_told_their_place_when_announcements_are_on() -> None:
    clock, pbx = FakeClock(), FakePbx()
    settings = AcdSettings(
        pbx_id=PBX,
        queues=(QueueConfig(queue_id=BILLING),),
        agents=(_seat("anna", "1001"),),
        announce_every_s=0.01,
    )
    service = AcdService(
        AcdEngine(), pbx, RecordingPublisher(), clock, settings=settings
    )
    async with asyncio.TaskGroup() as group:
        task = group.create_task(service.run())
        rig = Rig(service, pbx, clock, RecordingPublisher())
        await rig.arrive(1)
        second = await rig.arrive(2)

        async def told() -> bool:
            return ("Local/2001@cc-inbound-2;2", POSITION_VAR, "2") in pbx.variables

        await eventually(told, timeout_s=2)
        task.cancel()

    assert service.place_of(second) == (2, None)  # nobody staffed: no estimate
    assert service.place_of(CallId("pbx1:404")) is None
