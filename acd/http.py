"""ACD endpoints under /api/v1: an agent logs in and out of the queues, pauses with a
reason, becomes ready, ends wrap-up, transfers or hangs up their call (as
themselves: the agent id is their login; wrap-up ends with a disposition the CRM
keeps) and list the queues to transfer to; supervisors see every agent, the queues'
live figures and a waiting call's place, and may turn a waiting call into a
callback. Decisions are the service's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from acd import wrapup
from acd.engine import AgentView
from acd.errors import (
    AcdError,
    AgentBusy,
    NoConnectedCall,
    TransferRefused,
    UnknownAgent,
    UnknownCall,
)
from acd.events import Disposition, QueueStatsUpdated
from acd.model import AgentId, TargetKind, TransferMode
from acd.service import AcdService
from acd.transfers import Transfer, TransferTarget
from acd.wrapup import WrapUpPublisher
from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.auth.model import Permission
from crm_core.errors import Conflict, NotFound
from telephony.errors import PbxError
from telephony.model import CallId

ACD: web.AppKey[AcdService] = web.AppKey("acd_service")


EVENTS: web.AppKey[WrapUpPublisher] = web.AppKey("acd_events")
"""Where the routes publish what agents report (`WrapUpFinished`): the bus."""

ANSWER_TIMEOUT_S = 5.0
"""How long a request waits for the ACD's owner task to apply it."""

routes = ApiRoutes("acd")


class NotAnAgent(NotFound):
    error_id = "acd_agent_not_found"


class AgentStateConflict(Conflict):
    error_id = "acd_agent_state_conflict"


class AcdBusy(Conflict):
    error_id = "acd_busy"


class NotOnACall(Conflict):
    error_id = "acd_no_connected_call"


class AgentNotReady(Conflict):
    error_id = "acd_agent_busy"


class TransferNotPossible(Conflict):
    error_id = "acd_transfer_refused"


class PbxRefused(Conflict):
    error_id = "acd_pbx_refused"


class AgentOut(BaseModel):
    agent_id: str
    state: str
    reason: str
    call_id: str | None


class AgentListOut(BaseModel):
    items: list[AgentOut]


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=64, description="a pause code")


class WrapUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposition: Disposition | None = Field(
        default=None, description="how the call ended, from a fixed list"
    )
    notes: str = Field(default="", max_length=2000)


class QueueOut(BaseModel):
    queue_id: str


class QueueListOut(BaseModel):
    items: list[QueueOut]


class QueueStatsOut(BaseModel):
    queue_id: str
    occurred_at: datetime
    interval_start: datetime
    waiting: int
    longest_wait_s: float
    answered: int
    abandoned: int
    abandoned_short: int
    service_level: float | None
    average_speed_of_answer_s: float | None
    average_handle_time_s: float | None
    agents_by_state: dict[str, int]
    occupancy: float | None
    agents_needed: int | None


class QueueStatsListOut(BaseModel):
    items: list[QueueStatsOut]


class PlaceOut(BaseModel):
    call_id: str
    position: int
    expected_wait_s: float | None


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(
        min_length=2, max_length=32, pattern=r"^\+?[0-9]+$",
        description="the number to call back",
    )  # fmt: skip


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: TransferMode
    queue: str | None = Field(default=None, min_length=1, max_length=64)
    agent: str | None = Field(default=None, min_length=1, max_length=64)
    number: str | None = Field(
        default=None, min_length=2, max_length=32, pattern=r"^\+?[0-9]+$"
    )

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if sum(v is not None for v in (self.queue, self.agent, self.number)) != 1:
            raise ValueError("give exactly one of queue, agent, number")
        return self

    def target(self) -> TransferTarget:
        if self.queue is not None:
            return TransferTarget(kind=TargetKind.QUEUE, value=self.queue)
        if self.agent is not None:
            return TransferTarget(kind=TargetKind.AGENT, value=self.agent)
        assert self.number is not None
        return TransferTarget(kind=TargetKind.NUMBER, value=self.number)


class TransferStateOut(BaseModel):
    mode: str
    target_kind: str
    target: str
    state: str


class TransferOut(BaseModel):
    transfer: TransferStateOut


def transfer_out(transfer: Transfer) -> TransferOut:
    return TransferOut(
        transfer=TransferStateOut(
            mode=transfer.mode,
            target_kind=transfer.target.kind,
            target=transfer.target.value,
            state=transfer.state,
        )
    )


class CallNotWaiting(NotFound):
    error_id = "acd_call_not_waiting"


def agent_out(view: AgentView) -> AgentOut:
    return AgentOut(
        agent_id=view.agent_id,
        state=view.state,
        reason=view.reason,
        call_id=view.call_id,
    )


def stats_out(stats: QueueStatsUpdated) -> QueueStatsOut:
    return QueueStatsOut(
        queue_id=stats.queue_id, occurred_at=stats.occurred_at,
        interval_start=stats.interval_start, waiting=stats.waiting,
        longest_wait_s=stats.longest_wait_s, answered=stats.answered,
        abandoned=stats.abandoned, abandoned_short=stats.abandoned_short,
        service_level=stats.service_level,
        average_speed_of_answer_s=stats.average_speed_of_answer_s,
        average_handle_time_s=stats.average_handle_time_s,
        agents_by_state=dict(stats.agents_by_state), occupancy=stats.occupancy,
        agents_needed=stats.agents_needed,
    )  # fmt: skip


def _me(call: ApiCall) -> AgentId:
    return AgentId(call.actor.login)


async def _answer(request: Awaitable[AgentView]) -> AgentOut:
    """The service's answer, with ACD errors as API errors."""
    try:
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            return agent_out(await request)
    except UnknownAgent as error:
        raise NotAnAgent(f"no ACD agent {error}") from None
    except AcdError as error:
        raise AgentStateConflict(str(error)) from None
    except TimeoutError:
        raise AcdBusy("the ACD did not answer in time; try again") from None


@routes.get(
    "/acd/agents/me", permission=Permission.AGENT_WORK, response=AgentOut,
    summary="My ACD state",
)  # fmt: skip
async def my_state(call: ApiCall) -> AgentOut:
    """The signed-in agent's state, pause reason and current call."""
    try:
        return agent_out(call.service(ACD).agent(_me(call)))
    except UnknownAgent as error:
        raise NotAnAgent(f"no ACD agent {error}") from None


@routes.post(
    "/acd/agents/me/login", permission=Permission.AGENT_WORK, response=AgentOut,
    summary="Log in to my queues",
)  # fmt: skip
async def log_in(call: ApiCall) -> AgentOut:
    """Log in with the configured skills and queues; the agent is ready at once."""
    return await _answer(call.service(ACD).login(_me(call)))


@routes.post(
    "/acd/agents/me/logout", permission=Permission.AGENT_WORK, response=AgentOut,
    summary="Log out of my queues",
)  # fmt: skip
async def log_out(call: ApiCall) -> AgentOut:
    """Log out (refused with 409 while on a call); an offered call is re-queued."""
    return await _answer(call.service(ACD).logout(_me(call)))


@routes.post(
    "/acd/agents/me/pause", permission=Permission.AGENT_WORK, body=PauseIn,
    response=AgentOut, summary="Pause with a reason",
)  # fmt: skip
async def pause(call: ApiCall) -> AgentOut:
    """Pause now, or when the current call and wrap-up end."""
    reason = call.body(PauseIn).reason
    return await _answer(call.service(ACD).pause(_me(call), reason=reason))


@routes.post(
    "/acd/agents/me/ready", permission=Permission.AGENT_WORK, response=AgentOut,
    summary="Ready for calls",
)  # fmt: skip
async def ready(call: ApiCall) -> AgentOut:
    """End a pause (including the "no_answer" pause after a missed offer)."""
    return await _answer(call.service(ACD).ready(_me(call)))


@routes.post(
    "/acd/agents/me/wrap-up/finish", permission=Permission.AGENT_WORK,
    body=WrapUpIn, response=AgentOut, summary="End wrap-up now",
)  # fmt: skip
async def finish_wrap_up(call: ApiCall) -> AgentOut:
    """End wrap-up before its time runs out, with an optional disposition and notes
    (422 for a code not on the list); the agent may be offered a call. The call
    wrapped up gets `WrapUpFinished`; without a call in wrap-up nothing changes."""
    body = call.body(WrapUpIn)
    return await _answer(
        wrapup.finish_wrap_up(
            call.service(ACD), call.service(EVENTS), _me(call),
            disposition=body.disposition, notes=body.notes, at=datetime.now(UTC),
        )
    )  # fmt: skip


@routes.get(
    "/acd/agents", permission=Permission.QUEUE_SUPERVISE, response=AgentListOut,
    summary="Every ACD agent's state",
)  # fmt: skip
async def list_agents(call: ApiCall) -> AgentListOut:
    """The agents the ACD knows, logged in or not."""
    service = call.service(ACD)
    return AgentListOut(items=[agent_out(v) for v in service.agents()])


@routes.get(
    "/acd/queues", permission=Permission.AGENT_WORK, response=QueueListOut,
    summary="The queues",
)  # fmt: skip
async def list_queues(call: ApiCall) -> QueueListOut:
    """Every configured queue, sorted by id (a transfer may go to any of them)."""
    queues = sorted(q.queue_id for q in call.service(ACD).settings.queues)
    return QueueListOut(items=[QueueOut(queue_id=q) for q in queues])


@routes.get(
    "/acd/queues/stats", permission=Permission.QUEUE_SUPERVISE,
    response=QueueStatsListOut, summary="Live queue figures",
)  # fmt: skip
async def queue_stats(call: ApiCall) -> QueueStatsListOut:
    """Each queue's figures now (the same as the `acd.queue_stats` events)."""
    return QueueStatsListOut(
        items=[stats_out(s) for s in call.service(ACD).queue_stats()]
    )


@routes.get(
    "/acd/calls/{call_id}/place", permission=Permission.QUEUE_SUPERVISE,
    response=PlaceOut, summary="A waiting call's place",
)  # fmt: skip
async def call_place(call: ApiCall) -> PlaceOut:
    """Position in the queue and expected wait from the live figures (404 when the
    call is not waiting)."""
    call_id = CallId(call.path("call_id"))
    place = call.service(ACD).place_of(call_id)
    if place is None:
        raise CallNotWaiting(f"call {call_id} is not waiting")
    return PlaceOut(call_id=call_id, position=place[0], expected_wait_s=place[1])


@routes.post(
    "/acd/calls/{call_id}/callback", permission=Permission.QUEUE_SUPERVISE,
    body=CallbackIn, response=PlaceOut, summary="Call back instead of waiting",
)  # fmt: skip
async def call_back(call: ApiCall) -> PlaceOut:
    """The waiting call keeps its place; its caller may hang up and is called back
    on `number` when an agent is free (404 when the call is not waiting)."""
    call_id = CallId(call.path("call_id"))
    service = call.service(ACD)
    try:
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            await service.request_callback(call_id, number=call.body(CallbackIn).number)
    except UnknownCall:
        raise CallNotWaiting(f"call {call_id} is not waiting") from None
    except TimeoutError:
        raise AcdBusy("the ACD did not answer in time; try again") from None
    place = service.place_of(call_id)
    position, expected = place if place is not None else (0, None)
    return PlaceOut(call_id=call_id, position=position, expected_wait_s=expected)


async def _transfer(request: Awaitable[Transfer]) -> TransferOut:
    """The transfer's outcome, with its errors as API errors."""
    try:
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            return transfer_out(await request)
    except NoConnectedCall as error:
        raise NotOnACall(str(error)) from None
    except TransferRefused as error:
        raise TransferNotPossible(str(error)) from None
    except AgentBusy as error:
        raise AgentNotReady(str(error)) from None
    except AcdError as error:
        raise AgentStateConflict(str(error)) from None
    except PbxError as error:
        raise PbxRefused(f"the PBX refused: {error}") from None
    except TimeoutError:
        raise AcdBusy("the ACD did not answer in time; try again") from None


@routes.post(
    "/acd/agents/me/transfer", permission=Permission.AGENT_WORK, body=TransferIn,
    response=TransferOut, summary="Transfer my call",
)  # fmt: skip
async def transfer(call: ApiCall) -> TransferOut:
    """Blind: the caller goes to the queue (waiting again, priority kept), the agent
    or the number at once, and I wrap up. Attended: I consult the agent or number
    first ("consulting"), then complete or cancel. 409 when I have no call, and
    `acd_agent_busy` when the agent to consult is not ready."""
    body = call.body(TransferIn)
    desk = call.service(ACD).transfers
    return await _transfer(
        desk.transfer(_me(call), mode=body.mode, target=body.target())
    )


@routes.post(
    "/acd/agents/me/transfer/complete", permission=Permission.AGENT_WORK,
    response=TransferOut, summary="Complete my attended transfer",
)  # fmt: skip
async def complete_transfer(call: ApiCall) -> TransferOut:
    """I leave; the caller and the consulted party stay together."""
    return await _transfer(call.service(ACD).transfers.complete(_me(call)))


@routes.post(
    "/acd/agents/me/transfer/cancel", permission=Permission.AGENT_WORK,
    response=TransferOut, summary="Cancel my attended transfer",
)  # fmt: skip
async def cancel_transfer(call: ApiCall) -> TransferOut:
    """The consulted party is hung up; I am back with the caller."""
    return await _transfer(call.service(ACD).transfers.cancel(_me(call)))


@routes.post(
    "/acd/agents/me/hangup", permission=Permission.AGENT_WORK, response=AgentOut,
    summary="Hang up my call",
)  # fmt: skip
async def hang_up(call: ApiCall) -> AgentOut:
    """Hang up my leg; the call ends and wrap-up follows (409 when I have none)."""
    service, me = call.service(ACD), _me(call)
    try:
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            await service.transfers.hang_up(me)
    except NoConnectedCall as error:
        raise NotOnACall(str(error)) from None
    except PbxError as error:
        raise PbxRefused(f"the PBX refused: {error}") from None
    except TimeoutError:
        raise AcdBusy("the ACD did not answer in time; try again") from None
    return await _answer(_current(service, me))


async def _current(service: AcdService, agent_id: AgentId) -> AgentView:
    return service.agent(agent_id)
