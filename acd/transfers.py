"""Transfers of an agent's connected call: blind (to a queue, an agent or a number)
and attended (consult an agent or a number, then complete or cancel), and the
agent's own hang-up. The call id never changes, so the call record follows; the
recording follows because MixMonitor runs on the caller's channel.

PBX commands and the service's inputs only; the routing stays the engine's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from acd.errors import NoConnectedCall, TransferRefused
from acd.model import AgentId, ConnectedCall, QueueId
from telephony.dialplan import AGENT_CONTEXT, OUTBOUND_CONTEXT, WAIT_CONTEXT, WAIT_EXTEN
from telephony.errors import PbxError, PbxTimeout, PbxUnavailable
from telephony.model import CallId
from telephony.ports import PbxPort

log = logging.getLogger(__name__)

BRIDGE_PEER_VAR = "BRIDGEPEER"
"""Set by Asterisk on each channel of a two-party bridge: the other one's name."""


class TransferMode(StrEnum):
    BLIND = "blind"
    ATTENDED = "attended"


class TargetKind(StrEnum):
    QUEUE = "queue"
    AGENT = "agent"
    NUMBER = "number"


class TransferState(StrEnum):
    DONE = "done"
    CONSULTING = "consulting"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferTarget:
    kind: TargetKind
    value: str
    """The queue id, the agent's login or the number."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    mode: TransferMode
    target: TransferTarget
    state: TransferState


@dataclass(frozen=True, slots=True, kw_only=True)
class _Consultation:
    transfer: Transfer
    channel: str
    """The agent's channel Atxfer acted on (the one hung up or cancelled on)."""


class ConnectedCalls(Protocol):
    """What transfers need of the ACD service (`acd.service.AcdService`)."""

    def connected_call(self, agent_id: AgentId) -> ConnectedCall | None: ...

    def endpoint_of(self, agent_id: AgentId) -> str | None: ...

    def has_queue(self, queue_id: QueueId) -> bool: ...

    async def requeue_connected(
        self, call_id: CallId, *, queue_id: QueueId, agent_id: AgentId | None = None
    ) -> None: ...

    async def release_connected(self, call_id: CallId) -> None: ...


class TransferDesk:
    """Carries out an agent's transfer requests. Errors: NoConnectedCall when the
    agent is not on an ACD call, TransferRefused for an unknown target or a mode
    the call does not allow; `PbxError` from the PBX passes through."""

    def __init__(self, calls: ConnectedCalls, pbx: PbxPort) -> None:
        self._calls = calls
        self._pbx = pbx
        self._consulting: dict[AgentId, _Consultation] = {}

    async def transfer(
        self, agent_id: AgentId, *, mode: TransferMode, target: TransferTarget
    ) -> Transfer:
        connected = self._connected(agent_id)
        if agent_id in self._consulting:
            raise TransferRefused("a consultation is in progress: complete or cancel")
        if mode is TransferMode.BLIND:
            await self._blind(agent_id, connected, target)
            return Transfer(mode=mode, target=target, state=TransferState.DONE)
        context, exten = self._dial_target(target)
        channel = await self._agent_channel(connected)
        await self._pbx.attended_transfer(
            connected.pbx_id, channel=channel, context=context, exten=exten
        )
        consulting = Transfer(mode=mode, target=target, state=TransferState.CONSULTING)
        self._consulting[agent_id] = _Consultation(transfer=consulting, channel=channel)
        return consulting

    async def complete(self, agent_id: AgentId) -> Transfer:
        """The agent leaves: the PBX joins the caller and the consulted party."""
        connected = self._connected(agent_id)
        consulting = self._consultation(agent_id)
        try:
            await self._pbx.hangup(connected.pbx_id, channel=consulting.channel)
        except (PbxTimeout, PbxUnavailable):
            raise  # the agent may still be consulting: nothing changed
        except PbxError as refused:
            # The agent's channel is gone already: hanging up the transferer is
            # what completes an attended transfer, so the PBX has done it.
            log.info("call=%s transferer already gone: %r", connected.call_id, refused)
        del self._consulting[agent_id]
        await self._calls.release_connected(connected.call_id)
        done = consulting.transfer
        return Transfer(mode=done.mode, target=done.target, state=TransferState.DONE)

    async def cancel(self, agent_id: AgentId) -> Transfer:
        """The consulted party is hung up; the agent is back with the caller."""
        connected = self._connected(agent_id)
        consulting = self._consultation(agent_id)
        await self._pbx.cancel_attended_transfer(
            connected.pbx_id, channel=consulting.channel
        )
        del self._consulting[agent_id]
        done = consulting.transfer
        return Transfer(
            mode=done.mode, target=done.target, state=TransferState.CANCELLED
        )

    async def hang_up(self, agent_id: AgentId) -> None:
        """Hang up the agent's leg: the caller's call ends and wrap-up follows;
        during a consultation the PBX hands the caller to the consulted party
        instead (as `complete`)."""
        connected = self._connected(agent_id)
        if agent_id in self._consulting:
            await self.complete(agent_id)
            return
        channel = await self._agent_channel(connected)
        await self._pbx.hangup(connected.pbx_id, channel=channel)

    def _connected(self, agent_id: AgentId) -> ConnectedCall:
        connected = self._calls.connected_call(agent_id)
        if connected is None:
            self._consulting.pop(agent_id, None)
            raise NoConnectedCall(f"agent {agent_id} has no connected call")
        return connected

    async def _agent_channel(self, connected: ConnectedCall) -> str:
        """The agent's channel in the caller's bridge, as the PBX names it now.

        The ACD rings the agent through a Local channel; on Asterisk the pair is
        optimised away once the phone answers, leaving the phone's own channel
        (`PJSIP/<endpoint>-...`) in the caller's bridge and the originated leg
        gone. The caller's BRIDGEPEER names whichever is there; the originated
        leg is the answer when it cannot tell (a callback, a bridge of more)."""
        caller = connected.caller_channel
        if caller is None:
            return connected.agent_leg
        try:
            peer = await self._pbx.get_var(
                connected.pbx_id, channel=caller, name=BRIDGE_PEER_VAR
            )
        except PbxError as error:
            log.info("call=%s no bridge peer: %r", connected.call_id, error)
            return connected.agent_leg
        if not peer or "," in peer:
            return connected.agent_leg
        return peer

    def _consultation(self, agent_id: AgentId) -> _Consultation:
        consulting = self._consulting.get(agent_id)
        if consulting is None:
            raise TransferRefused(f"agent {agent_id} is not consulting anyone")
        return consulting

    def _dial_target(self, target: TransferTarget) -> tuple[str, str]:
        """The dialplan place that rings an agent's phone or a number."""
        match target.kind:
            case TargetKind.AGENT:
                endpoint = self._calls.endpoint_of(AgentId(target.value))
                if endpoint is None:
                    raise TransferRefused(f"no agent {target.value}")
                return AGENT_CONTEXT, endpoint
            case TargetKind.NUMBER:
                return OUTBOUND_CONTEXT, target.value
            case TargetKind.QUEUE:
                raise TransferRefused("an attended transfer goes to an agent or number")

    async def _blind(
        self, agent_id: AgentId, connected: ConnectedCall, target: TransferTarget
    ) -> None:
        """Send the caller on, then free the agent's leg (in that order: the leg
        going first would take the caller with it)."""
        caller = connected.caller_channel
        if caller is None:
            raise TransferRefused("a callback can only be transferred attended")
        pbx, pbx_id = self._pbx, connected.pbx_id
        queue_id, preferred = self._queue_target(connected, target)
        agent_channel = await self._agent_channel(connected)
        if target.kind is TargetKind.NUMBER:
            await pbx.redirect(
                pbx_id, channel=caller, context=OUTBOUND_CONTEXT, exten=target.value
            )
        else:
            await pbx.redirect(
                pbx_id, channel=caller, context=WAIT_CONTEXT, exten=WAIT_EXTEN
            )
        log.info(
            "call=%s agent=%s blind transfer to %s %s",
            connected.call_id,
            agent_id,
            target.kind,
            target.value,
        )
        try:
            await pbx.hangup(pbx_id, channel=agent_channel)
        except PbxError as error:
            # The caller is on their way: the ACD follows whatever became of
            # the agent's leg (already gone, or the AMI link lost meanwhile).
            log.warning("call=%s agent leg not hung up: %r", connected.call_id, error)
        if queue_id is None:
            await self._calls.release_connected(connected.call_id)
        else:
            await self._calls.requeue_connected(
                connected.call_id, queue_id=queue_id, agent_id=preferred
            )

    def _queue_target(
        self, connected: ConnectedCall, target: TransferTarget
    ) -> tuple[QueueId | None, AgentId | None]:
        """The queue the call re-enters and its preferred agent (None: it leaves)."""
        match target.kind:
            case TargetKind.QUEUE:
                if not self._calls.has_queue(QueueId(target.value)):
                    raise TransferRefused(f"no queue {target.value}")
                return QueueId(target.value), None
            case TargetKind.AGENT:
                if self._calls.endpoint_of(AgentId(target.value)) is None:
                    raise TransferRefused(f"no agent {target.value}")
                return connected.queue_id, AgentId(target.value)
            case TargetKind.NUMBER:
                return None, None
