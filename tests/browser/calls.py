"""The agent page's call controls against a running ACD: the real ACD service and
its state routes over a fake PBX, and the call-control routes of the agent API
(transfer, hang-up, recording pause) served by a fake that records each request and
ends the call through the ACD as the PBX would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from acd import http
from acd.engine import AcdEngine
from acd.errors import UnknownAgent
from acd.model import (
    AgentId,
    AgentProfile,
    AgentState,
    CallRequest,
    Membership,
    QueueConfig,
    QueueId,
)
from acd.ports import WaitingCall
from acd.service import AcdService, AcdSettings, AgentSeat
from contactcentre.bus import Bus
from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.auth.model import Permission
from crm_core.db import Sessions
from crm_core.errors import Conflict, FieldError, ValidationFailed
from recordings.http import MuteIn
from telephony.events import CallEnded
from telephony.model import CallId, Direction, EndReason, PbxId
from tests.fakes import RecordingPublisher
from tests.integration.agent_ui.harness import Desk, running_desk
from tests.integration.recordings.accounts import SystemClock
from tests.unit.acd.test_service import FakePbx, Ring
from tests.waiting import eventually

PBX = PbxId("pbx1")
BILLING, SUPPORT = QueueId("billing"), QueueId("support")
SALES = QueueId("sales")
"""A queue the agent is not a member of (a transfer may still go there)."""
CONTROL_PATHS = frozenset(
    {
        "/acd/agents/me/transfer",
        "/acd/agents/me/transfer/complete",
        "/acd/agents/me/transfer/cancel",
        "/acd/agents/me/hangup",
        "/recordings/mute",
    }
)
"""Served by `CallControls` here, whether or not the ACD serves them too."""


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["blind", "attended"]
    queue: str | None = None
    agent: str | None = None
    number: str | None = None


class NoConnectedCall(Conflict):
    error_id = "acd_no_connected_call"


@dataclass(slots=True)
class CallControls:
    """What the page asked for, in order, and the transfer under way."""

    service: AcdService
    transfers: list[TransferIn] = field(default_factory=list)
    transfer_ends: list[str] = field(default_factory=list)
    mutes: list[MuteIn] = field(default_factory=list)
    consulting: TransferIn | None = None

    def connected_call(self, agent: AgentId) -> CallId:
        view = self.service.agent(agent)
        if view.state != AgentState.ON_CALL or view.call_id is None:
            raise NoConnectedCall("you have no connected call")
        return CallId(view.call_id)


CONTROLS: web.AppKey[CallControls] = web.AppKey("call_controls")
control_routes = ApiRoutes("call controls")


def _transfer_out(body: TransferIn, state: str) -> dict[str, dict[str, str]]:
    kind = "queue" if body.queue else "agent" if body.agent else "number"
    target = body.queue or body.agent or body.number or ""
    return {
        "transfer": {
            "mode": body.mode,
            "target_kind": kind,
            "target": target,
            "state": state,
        }
    }


@control_routes.post(
    "/acd/agents/me/transfer", permission=Permission.AGENT_WORK, body=TransferIn,
    summary="Transfer my call",
)  # fmt: skip
async def transfer(call: ApiCall) -> dict[str, dict[str, str]]:
    controls = call.service(CONTROLS)
    controls.connected_call(AgentId(call.actor.login))
    body = call.body(TransferIn)
    if sum(t is not None for t in (body.queue, body.agent, body.number)) != 1:
        raise ValidationFailed([FieldError("body", "give exactly one target")])
    if body.agent is not None:
        try:
            controls.service.agent(AgentId(body.agent))
        except UnknownAgent:
            raise http.NotAnAgent(f"no ACD agent {body.agent}") from None
    controls.transfers.append(body)
    if body.mode == "attended":
        controls.consulting = body
        return _transfer_out(body, "consulting")
    return _transfer_out(body, "done")


async def _end_transfer(call: ApiCall, outcome: str) -> dict[str, dict[str, str]]:
    controls = call.service(CONTROLS)
    body = controls.consulting
    if body is None:
        raise NoConnectedCall("no attended transfer is under way")
    controls.consulting = None
    controls.transfer_ends.append(outcome)
    return _transfer_out(body, outcome)


@control_routes.post(
    "/acd/agents/me/transfer/complete", permission=Permission.AGENT_WORK,
    summary="Complete my attended transfer",
)  # fmt: skip
async def complete(call: ApiCall) -> dict[str, dict[str, str]]:
    return await _end_transfer(call, "done")


@control_routes.post(
    "/acd/agents/me/transfer/cancel", permission=Permission.AGENT_WORK,
    summary="Cancel my attended transfer",
)  # fmt: skip
async def cancel(call: ApiCall) -> dict[str, dict[str, str]]:
    return await _end_transfer(call, "cancelled")


@control_routes.post(
    "/acd/agents/me/hangup", permission=Permission.AGENT_WORK,
    response=http.AgentOut, summary="Hang up my call",
)  # fmt: skip
async def hang_up(call: ApiCall) -> http.AgentOut:
    """The PBX reports the call ended, as it would after the agent's leg hangs up."""
    controls = call.service(CONTROLS)
    agent = AgentId(call.actor.login)
    call_id = controls.connected_call(agent)
    await controls.service.on_call_ended(_ended(call_id))

    async def wrapping_up() -> bool:
        return controls.service.agent(agent).state != AgentState.ON_CALL

    await eventually(wrapping_up, timeout_s=5)
    return http.agent_out(controls.service.agent(agent))


@control_routes.post(
    "/recordings/mute", permission=Permission.AGENT_WORK, body=MuteIn,
    summary="Pause or resume a recording",
)  # fmt: skip
async def mute(call: ApiCall) -> dict[str, object]:
    body = call.body(MuteIn)
    call.service(CONTROLS).mutes.append(body)
    return {"call_id": body.call_id, "muted": body.muted}


def _ended(call_id: CallId) -> CallEnded:
    now = datetime.now(UTC)
    return CallEnded(
        occurred_at=now, call_id=call_id, pbx_id=PBX, direction=Direction.INBOUND,
        ani="+74950000000", dnis="2001", arrived_at=now, answered_at=now,
        bridged_at=now, ended_at=now, hangup_cause=16,
        hangup_cause_text="Normal Clearing", reason=EndReason.HANGUP,
    )  # fmt: skip


@dataclass(slots=True)
class Floor:
    """The desk with an ACD: the agent page's API and the calls the test places."""

    desk: Desk
    service: AcdService
    pbx: FakePbx
    controls: CallControls
    reported: RecordingPublisher
    """What the ACD routes published (`WrapUpFinished`)."""

    def state(self, login: str) -> AgentState:
        return self.service.agent(AgentId(login)).state

    async def connect_call(self, number: int) -> CallId:
        """A caller waits in billing, the ready agent's phone rings and answers."""
        call_id = CallId(f"{PBX}:{number}")
        request = CallRequest(call_id=call_id, queue_id=BILLING)
        seen = len(self.pbx.rings)
        await self.service.call_waits(
            WaitingCall(
                pbx_id=PBX, channel=f"Local/2001@cc-in-{number};2", request=request
            )
        )

        async def rung() -> Ring | None:
            await self.service.poke()
            return self.pbx.rings[seen] if len(self.pbx.rings) > seen else None

        ring: Ring = await eventually(rung, timeout_s=5)
        ring.outcome.set_result(True)

        async def connected() -> bool:
            return self.state("anna") is AgentState.ON_CALL

        await eventually(connected, timeout_s=5)
        return call_id


def _acd(bus: Bus) -> tuple[AcdService, FakePbx]:
    seat = AgentSeat(
        profile=AgentProfile(
            agent_id=AgentId("anna"),
            memberships=(Membership(queue_id=BILLING), Membership(queue_id=SUPPORT)),
        ),
        endpoint="1001",
    )
    queues = tuple(
        QueueConfig(queue_id=q, ring_timeout_s=30, wrap_up_s=600)
        for q in (BILLING, SUPPORT, SALES)
    )
    settings = AcdSettings(pbx_id=PBX, queues=queues, agents=(seat,))
    pbx = FakePbx()
    return AcdService(AcdEngine(), pbx, bus, SystemClock(), settings=settings), pbx


@asynccontextmanager
async def running_floor(sessions: Sessions) -> AsyncIterator[Floor]:
    bus = Bus()
    service, pbx = _acd(bus)
    controls = CallControls(service)
    reported = RecordingPublisher()
    acd_routes = ApiRoutes(
        "acd", [r for r in http.routes.routes if r.path not in CONTROL_PATHS]
    )

    def extend(app: web.Application) -> None:
        app[http.ACD] = service
        app[http.EVENTS] = reported
        app[CONTROLS] = controls

    task = asyncio.create_task(service.run())
    try:
        async with running_desk(
            sessions, bus=bus, routes=[acd_routes, control_routes], extend=extend
        ) as desk:
            yield Floor(desk, service, pbx, controls, reported)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
