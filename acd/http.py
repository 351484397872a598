"""ACD endpoints under /api/v1: an agent logs in and out of the queues, pauses with a
reason, becomes ready and ends wrap-up (as themselves: the agent id is their login);
supervisors see every agent and the queues' live figures. Decisions are the service's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from acd.engine import AgentView
from acd.errors import AcdError, UnknownAgent
from acd.events import QueueStatsUpdated
from acd.model import AgentId
from acd.service import AcdService
from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.auth.model import Permission
from crm_core.errors import Conflict, NotFound

ACD: web.AppKey[AcdService] = web.AppKey("acd_service")
ANSWER_TIMEOUT_S = 5.0
"""How long a request waits for the ACD's owner task to apply it."""

routes = ApiRoutes("acd")


class NotAnAgent(NotFound):
    error_id = "acd_agent_not_found"


class AgentStateConflict(Conflict):
    error_id = "acd_agent_state_conflict"


class AcdBusy(Conflict):
    error_id = "acd_busy"


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
    response=AgentOut, summary="End wrap-up now",
)  # fmt: skip
async def finish_wrap_up(call: ApiCall) -> AgentOut:
    """End wrap-up before its time runs out; the agent may be offered a call."""
    return await _answer(call.service(ACD).finish_wrap_up(_me(call)))


@routes.get(
    "/acd/agents", permission=Permission.QUEUE_SUPERVISE, response=AgentListOut,
    summary="Every ACD agent's state",
)  # fmt: skip
async def list_agents(call: ApiCall) -> AgentListOut:
    """The agents the ACD knows, logged in or not."""
    service = call.service(ACD)
    return AgentListOut(items=[agent_out(v) for v in service.agents()])


@routes.get(
    "/acd/queues/stats", permission=Permission.QUEUE_SUPERVISE,
    response=QueueStatsListOut, summary="Live queue figures",
)  # fmt: skip
async def queue_stats(call: ApiCall) -> QueueStatsListOut:
    """Each queue's figures now (the same as the `acd.queue_stats` events)."""
    return QueueStatsListOut(
        items=[stats_out(s) for s in call.service(ACD).queue_stats()]
    )
