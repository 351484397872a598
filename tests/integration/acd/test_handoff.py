"""What the IVR leaves on the channel reaches the ACD's request: the VIP category
raises the priority, the owner of the caller's open appeal is the preferred
agent, and the call id is the call's even before AMI has told of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from acd.handoff import CATEGORY_VAR, VIP_VAR, queue_on_hand_off
from acd.model import AgentId
from acd.ports import WaitingCall
from telephony.agi import AgiServer, AgiSession
from telephony.dialplan import INBOUND_SCRIPT, WAIT_CONTEXT, WAIT_EXTEN
from telephony.model import Call, ChannelId, PbxId, call_id
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.simulator import Simulator
from tests.integration.acd.rig import BILLING, PBX, running, seat
from tests.waiting import eventually


@dataclass(slots=True)
class AppealOwners:
    """The CRM's answer: the owner of each number's open appeal."""

    owners: dict[str, str]
    asked: list[str] = field(default_factory=list)

    async def preferred_agent(self, ani: str) -> str | None:
        self.asked.append(ani)
        return self.owners.get(ani)


def flow(**variables: str) -> Callable[[AgiSession], Awaitable[None]]:
    """A flow that queues the caller in billing with these channel variables."""

    async def to_billing(session: AgiSession) -> None:
        await session.answer()
        await session.set_variable("CC_QUEUE", BILLING)
        for name, value in variables.items():
            await session.set_variable(name, value)
        await session.set_context(WAIT_CONTEXT)
        await session.set_extension(WAIT_EXTEN)
        await session.set_priority(1)

    return to_billing


async def test_vip_caller_gets_the_category_boost_when_the_ivr_marks_them() -> None:
    phones = (AgentPhone(endpoint="1001", ring_s=0.1),)
    async with running(
        phones,
        (seat("anna", "1001", BILLING),),
        ivr=flow(**{VIP_VAR: "1"}),
        category_boost={"vip": 10, "gold": 5},
    ) as rig:
        vip = await rig.call("")
        view = rig.service.engine.call(vip)
        assert view is not None
        assert view.priority == 10


async def test_category_from_the_ivr_sets_the_priority_when_it_is_given() -> None:
    phones = (AgentPhone(endpoint="1001", ring_s=0.1),)
    async with running(
        phones,
        (seat("anna", "1001", BILLING),),
        ivr=flow(**{CATEGORY_VAR: "gold", VIP_VAR: "1"}),
        category_boost={"vip": 10, "gold": 5},
    ) as rig:
        gold = await rig.call("")
        view = rig.service.engine.call(gold)
        assert view is not None
        assert view.priority == 5


async def test_call_is_held_for_the_appeal_owner_when_the_crm_names_one() -> None:
    phones = (
        AgentPhone(endpoint="1001", ring_s=0.1),
        AgentPhone(endpoint="1002", ring_s=0.1),
    )
    owners = AppealOwners({"+74956667788": "anna"})
    seats = (seat("anna", "1001", BILLING), seat("boris", "1002", BILLING))
    async with running(phones, seats, ivr=flow(), preferred=owners) as rig:
        await rig.service.login(AgentId("anna"))
        await rig.service.pause(AgentId("anna"), reason="coffee")
        await rig.service.login(AgentId("boris"))

        held = await rig.call("")

        view = rig.service.engine.call(held)
        assert view is not None
        assert view.held_for == "anna"
        assert rig.service.agent(AgentId("boris")).call_id is None
        assert owners.asked == ["+74956667788"]


@dataclass(slots=True)
class Requests:
    """The ACD's side of the hand-off: every waiting call it was handed."""

    waiting: list[WaitingCall] = field(default_factory=list)

    async def call_waits(self, waiting: WaitingCall) -> None:
        self.waiting.append(waiting)


@dataclass(frozen=True, slots=True)
class NotYetTracked:
    """A tracker that AMI has not told of the call yet (FastAGI came first)."""

    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None:
        return None


async def test_call_id_is_the_channels_linkedid_when_the_tracker_lags_behind() -> None:
    requests = Requests()
    handler = queue_on_hand_off(flow(), requests, pbx_id=PBX, calls=NotYetTracked())
    agi = AgiServer(port=0, handlers={INBOUND_SCRIPT: handler})
    config = SimConfig(agi_port=await agi.start(), seed=3)
    try:
        async with Simulator(config) as sim:
            placed = await sim.place_inbound(Caller(ani="+74956667788"))

            async def handed() -> list[WaitingCall]:
                return requests.waiting

            [waiting] = await eventually(handed, timeout_s=5)
    finally:
        await agi.stop()

    assert placed.ivr_uniqueid != placed.linkedid  # the IVR runs on a Local `;2`
    assert waiting.channel_id == placed.ivr_uniqueid
    assert waiting.request.call_id == call_id(PBX, placed.linkedid)
