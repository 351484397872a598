"""A supervisor listens to, whispers to or barges in on an agent's call. The
supervisor's own phone (their seat's) is rung with an AMI Originate through the
PBX port; once it answers it runs the mode's extension of `cc-spy`, whose
ChanSpy spies on the agent's phone channel (telephony/asterisk/extensions.conf).
Allowed by the `call.monitor` right; every start is audit-logged with whether the
supervisor's phone answered.

PBX commands and bookkeeping only: the agent's state stays the engine's.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from acd.errors import AcdError
from acd.model import AgentId
from acd.ports import CallLocator, Clock
from acd.transfers import ConnectedCalls, agent_channel_now
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from telephony.dialplan import SPY_CHANNEL_VARIABLE, SPY_CONTEXT, agent_channel
from telephony.errors import PbxError
from telephony.model import CallId, ChannelId, PbxId
from telephony.ports import PbxPort

log = logging.getLogger(__name__)

RING_S = 30.0
"""How long the supervisor's phone rings before the request gives up."""


class MonitorMode(StrEnum):
    """The extensions of `cc-spy` (telephony.dialplan.SPY_OPTIONS)."""

    LISTEN = "listen"
    WHISPER = "whisper"
    """Talk to the agent; the customer does not hear."""
    BARGE = "barge"
    """Talk to both."""


class MonitorProblem(StrEnum):
    NO_PHONE = "no_phone"
    """The supervisor has no seat, so no phone to ring."""
    NO_CALL = "no_call"
    """The agent has no call connected."""
    OWN_CALL = "own_call"
    OTHER_PBX = "other_pbx"
    """The agent's call is on another PBX than the supervisor's phone."""
    NOT_ANSWERED = "not_answered"
    """The supervisor's phone did not answer."""


class MonitorRefused(AcdError):
    def __init__(self, problem: MonitorProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True, slots=True, kw_only=True)
class Monitoring:
    supervisor: AgentId
    agent: AgentId
    call_id: CallId
    mode: MonitorMode
    started_at: datetime
    pbx_id: PbxId
    leg: ChannelId
    """The supervisor's leg (the Originate's channel): hung up to stop."""


class AuditLog(Protocol):
    """Where starts are recorded (`crm_core.auth.audit.AuditTrail`)."""

    async def record(
        self,
        actor: Actor,
        action: str,
        *,
        object_type: str,
        object_id: object = None,
        details: dict[str, Any] | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorParts:
    calls: ConnectedCalls
    pbx: PbxPort
    audit: AuditLog
    locator: CallLocator
    """Tells whether a supervisor's leg is still up."""
    clock: Clock
    ring_s: float = RING_S


class MonitorDesk:
    """Starts and stops supervisors' monitoring. `start` raises Forbidden
    (crm_core.errors) without the right, MonitorRefused with the problem, and
    PbxError when the PBX refuses."""

    def __init__(self, parts: MonitorParts) -> None:
        self._parts = parts
        self._sessions: dict[AgentId, Monitoring] = {}

    @property
    def ring_s(self) -> float:
        """How long a start may wait for the supervisor's phone to answer."""
        return self._parts.ring_s

    async def start(
        self, actor: Actor, agent_id: AgentId, mode: MonitorMode
    ) -> Monitoring:
        """Ring the actor's phone; once answered it hears (and per `mode` talks
        into) `agent_id`'s call. A monitoring the actor had open is ended first."""
        require(actor, Permission.CALL_MONITOR)
        calls, supervisor = self._parts.calls, AgentId(actor.login)
        if supervisor == agent_id:
            raise MonitorRefused(MonitorProblem.OWN_CALL, "that is your own call")
        endpoint, pbx_id = calls.endpoint_of(supervisor), calls.seat_pbx(supervisor)
        if endpoint is None or pbx_id is None:
            raise MonitorRefused(MonitorProblem.NO_PHONE, f"{supervisor} has no seat")
        connected = calls.connected_call(agent_id)
        if connected is None:
            raise MonitorRefused(MonitorProblem.NO_CALL, f"{agent_id} has no call")
        if connected.pbx_id != pbx_id:
            raise MonitorRefused(
                MonitorProblem.OTHER_PBX, f"call on {connected.pbx_id}, phone {pbx_id}"
            )
        spied = await agent_channel_now(self._parts.pbx, calls, connected)
        await self.stop(actor)
        leg = ChannelId(f"spy-{uuid.uuid4().hex}")
        number = calls.endpoint_of(agent_id) or ""
        result = await self._parts.pbx.originate(
            pbx_id, channel=agent_channel(endpoint), context=SPY_CONTEXT,
            exten=mode.value, caller_id=f'"{mode.value} {agent_id}" <{number}>',
            timeout_s=self._parts.ring_s, variables={SPY_CHANNEL_VARIABLE: spied},
            channel_id=leg,
        )  # fmt: skip
        await self._parts.audit.record(
            actor, f"call.{mode.value}", object_type="call",
            object_id=connected.call_id,
            details={"agent": agent_id, "channel": spied, "answered": result.success},
        )  # fmt: skip
        log.info(
            "call=%s agent=%s %s by %s: answered=%s",
            connected.call_id, agent_id, mode.value, supervisor, result.success,
        )  # fmt: skip
        if not result.success:
            raise MonitorRefused(MonitorProblem.NOT_ANSWERED, f"reason {result.reason}")
        session = Monitoring(
            supervisor=supervisor, agent=agent_id, call_id=connected.call_id,
            mode=mode, started_at=self._parts.clock.now(), pbx_id=pbx_id, leg=leg,
        )  # fmt: skip
        self._sessions[supervisor] = session
        return session

    async def stop(self, actor: Actor) -> None:
        """End the actor's monitoring (nothing happens without one)."""
        session = self._sessions.pop(AgentId(actor.login), None)
        if session is None:
            return
        try:
            await self._parts.pbx.hangup(session.pbx_id, channel=session.leg)
        except PbxError as error:  # hung up meanwhile
            log.info("monitoring leg %s not hung up: %r", session.leg, error)

    def sessions(self) -> list[Monitoring]:
        """The monitorings going on now (a supervisor's leg that hung up ends
        its monitoring)."""
        for supervisor, session in list(self._sessions.items()):
            if not self._up(session):
                del self._sessions[supervisor]
        return list(self._sessions.values())

    def _up(self, session: Monitoring) -> bool:
        call = self._parts.locator.call_of_channel(session.pbx_id, session.leg)
        legs = [] if call is None else call.legs
        return any(
            leg.channel_id == session.leg and leg.ended_at is None for leg in legs
        )
