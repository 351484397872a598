"""Supervision endpoints under /api/v1: the open alerts, and listening to,
whispering to or barging in on an agent's call on one's own phone (ChanSpy),
ended on request. The same services as the wallboard; decisions are theirs.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from acd.alert_watch import AlertWatch
from acd.http import AcdBusy, PbxRefused
from acd.model import AgentId
from acd.monitoring import MonitorDesk, Monitoring, MonitorMode, MonitorRefused
from crm_core.api.routing import ApiCall, ApiRoutes
from crm_core.auth.model import Permission
from crm_core.errors import Conflict
from telephony.errors import PbxError

ALERTS: web.AppKey[AlertWatch] = web.AppKey("acd_alerts", AlertWatch)
MONITORS: web.AppKey[MonitorDesk] = web.AppKey("acd_monitors", MonitorDesk)

routes = ApiRoutes("acd")


class MonitorNotPossible(Conflict):
    error_id = "acd_monitor_refused"


class AlertOut(BaseModel):
    kind: str
    """long_pause, service_level or long_wait."""
    subject: str
    """The agent's login (a pause) or the queue's id."""
    since: datetime
    value: float
    limit: float
    reason: str


class AlertListOut(BaseModel):
    items: list[AlertOut]


class MonitorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: MonitorMode


class MonitoringOut(BaseModel):
    agent_id: str
    call_id: str
    mode: MonitorMode
    started_at: datetime


def monitoring_out(session: Monitoring) -> MonitoringOut:
    return MonitoringOut(
        agent_id=session.agent, call_id=session.call_id, mode=session.mode,
        started_at=session.started_at,
    )  # fmt: skip


@routes.get(
    "/acd/alerts", permission=Permission.QUEUE_SUPERVISE, response=AlertListOut,
    summary="The open alerts",
)  # fmt: skip
async def list_alerts(call: ApiCall) -> AlertListOut:
    """Agents paused too long, queues under their service-level alarm, callers
    waiting past their queue's limit; oldest first, each until it clears."""
    alerts = call.service(ALERTS).alerts()
    return AlertListOut(
        items=[
            AlertOut(
                kind=a.kind,
                subject=a.subject,
                since=a.since,
                value=a.value,
                limit=a.limit,
                reason=a.reason,
            )
            for a in alerts
        ]
    )


@routes.post(
    "/acd/agents/{agent_id}/monitor", permission=Permission.CALL_MONITOR,
    body=MonitorIn, response=MonitoringOut, summary="Listen to an agent's call",
)  # fmt: skip
async def monitor(call: ApiCall) -> MonitoringOut:
    """Ring my phone (my seat's) and, once I answer, listen to the agent's call
    (`listen`), talk to the agent alone (`whisper`) or to both (`barge`); audit-
    logged. 409 `acd_monitor_refused` when I have no seat, the agent has no call
    or my phone did not answer. Answers once my phone answered."""
    desk = call.service(MONITORS)
    agent = AgentId(call.path("agent_id"))
    try:
        async with asyncio.timeout(desk.ring_s + 5.0):
            session = await desk.start(call.actor, agent, call.body(MonitorIn).mode)
    except MonitorRefused as refused:
        raise MonitorNotPossible(f"{refused.problem}: {refused}") from None
    except PbxError as error:
        raise PbxRefused(f"the PBX refused: {error}") from None
    except TimeoutError:
        raise AcdBusy("the PBX did not answer in time; try again") from None
    return monitoring_out(session)


@routes.post(
    "/acd/monitor/stop", permission=Permission.CALL_MONITOR, status=204,
    summary="Stop listening",
)  # fmt: skip
async def stop_monitoring(call: ApiCall) -> None:
    """Hang up my listening leg (nothing happens without one)."""
    await call.service(MONITORS).stop(call.actor)
