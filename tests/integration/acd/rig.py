"""The whole inbound path in one process for ACD tests: the PBX simulator, the
telephony bridge, the FastAGI server running the fallback IVR, and the ACD service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from acd.engine import AcdEngine
from acd.events import AcdEvent, CallConnected
from acd.handoff import queue_on_hand_off
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    Membership,
    QueueConfig,
    QueueId,
)
from acd.ports import PreferredAgents
from acd.service import AcdService, AcdSettings, AgentSeat
from ivr.fallback import greet_and_queue
from ivr.playing import Prompter, Speaking
from telephony.agi import AgiServer, AgiSession
from telephony.ami import AmiConfig
from telephony.backoff import Backoff
from telephony.dialplan import INBOUND_SCRIPT
from telephony.events import CallEnded, PbxConnected, TelephonyEvent
from telephony.model import CallId, PbxId
from telephony.pbx import TelephonyBridge
from telephony.sim.model import AgentPhone, Caller, Party, SimConfig
from telephony.sim.simulator import InboundCall, Simulator
from tests.fakes import SilentTts
from tests.integration.recordings.accounts import SystemClock
from tests.waiting import eventually

PBX = PbxId("pbx1")
BILLING, SUPPORT, GENERAL = QueueId("billing"), QueueId("support"), QueueId("general")
T = TypeVar("T")
Handler = Callable[[AgiSession], Awaitable[None]]


async def greet(session: AgiSession) -> None:
    """The default greeting as the IVR plays it (the simulator has its file)."""
    prompter = Prompter(session, Speaking(tts=SilentTts()), who="rig")
    await greet_and_queue(prompter)


@dataclass(slots=True)
class Wire:
    """The bridge's publisher: keeps every event and hands call ends to the ACD."""

    events: list[object] = field(default_factory=list)
    service: AcdService | None = None

    async def publish(self, event: TelephonyEvent | AcdEvent) -> None:
        self.events.append(event)
        if isinstance(event, CallEnded) and self.service is not None:
            await self.service.on_call_ended(event)

    def of_type(self, kind: type[T]) -> list[T]:
        return [e for e in self.events if isinstance(e, kind)]


@dataclass
class Rig:
    sim: Simulator
    bridge: TelephonyBridge
    service: AcdService
    wire: Wire

    async def call(
        self, digits: str, *, patience_s: float | None = None, talk_s: float = 0.3
    ) -> CallId:
        """A caller dials in, presses `digits` and waits in the queue."""
        placed = await self.place(digits, patience_s=patience_s, talk_s=talk_s)
        call_id = CallId(f"{PBX}:{placed.linkedid}")

        async def queued() -> bool:
            return self.service.engine.call(call_id) is not None

        await eventually(queued, timeout_s=5)
        return call_id

    async def place(
        self, digits: str, *, patience_s: float | None, talk_s: float = 0.3
    ) -> InboundCall:
        return await self.sim.place_inbound(
            Caller(
                ani="+74956667788",
                digits=digits,
                digit_delay_s=0.01,
                patience_s=patience_s,
                talk_s=talk_s,
            )
        )

    def state(self, agent: str) -> AgentState:
        return self.service.agent(AgentId(agent)).state

    async def until_state(self, agent: str, state: AgentState) -> None:
        async def reached() -> bool:
            return self.state(agent) is state

        await eventually(reached, timeout_s=5)

    async def connected(self, call_id: CallId) -> CallConnected:
        async def found() -> CallConnected | None:
            hits = [e for e in self.wire.of_type(CallConnected) if e.call_id == call_id]
            return hits[0] if hits else None

        hit: CallConnected = await eventually(found, timeout_s=5)
        return hit

    async def ami_up(self, times: int) -> None:
        async def enough() -> bool:
            return len(self.wire.of_type(PbxConnected)) >= times

        await eventually(enough, timeout_s=5)


def seat(agent: str, endpoint: str, *queues: QueueId) -> AgentSeat:
    return AgentSeat(
        profile=AgentProfile(
            agent_id=AgentId(agent),
            memberships=tuple(Membership(queue_id=q) for q in queues),
        ),
        endpoint=endpoint,
    )


@asynccontextmanager
async def running(
    phones: tuple[AgentPhone, ...],
    seats: tuple[AgentSeat, ...],
    *,
    ring_timeout_s: float = 5.0,
    ivr: Handler | None = None,
    preferred: PreferredAgents | None = None,
    category_boost: Mapping[str, int] | None = None,
    parties: tuple[Party, ...] = (),
    recordings_dir: Path | None = None,
) -> AsyncIterator[Rig]:
    wire = Wire()
    agi = AgiServer(port=0, handlers={})
    agi_port = await agi.start()
    config = SimConfig(agi_port=agi_port, seed=11, agents=phones, parties=parties)
    if recordings_dir is not None:
        config = replace(config, recordings_dir=recordings_dir)
    async with Simulator(config) as sim:
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
            wire,
            backoff=Backoff(initial_s=0.05, cap_s=0.2),
        )
        queues = tuple(
            QueueConfig(
                queue_id=q,
                ring_timeout_s=ring_timeout_s,
                wrap_up_s=0.5,
                category_boost=MappingProxyType(dict(category_boost or {})),
            )
            for q in (BILLING, SUPPORT, GENERAL)
        )
        settings = AcdSettings(
            pbx_id=PBX, queues=queues, agents=seats, default_queue=GENERAL
        )
        service = AcdService(
            AcdEngine(),
            bridge.pbx,
            wire,
            SystemClock(),
            settings=settings,
            calls=bridge.tracker,
        )
        wire.service = service
        agi.route(
            INBOUND_SCRIPT,
            queue_on_hand_off(
                ivr or greet,
                service,
                pbx_id=PBX,
                calls=bridge.tracker,
                preferred=preferred,
            ),
        )
        rig = Rig(sim, bridge, service, wire)
        tasks = [asyncio.create_task(bridge.run()), asyncio.create_task(service.run())]
        try:
            await rig.ami_up(1)
            yield rig
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await agi.stop()
