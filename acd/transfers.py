"""Transfers of an agent's connected call: blind (to a queue, an agent or a number)
and attended (consult an agent or a number, then complete or cancel), and the
agent's own hang-up. The call id never changes, so the call record follows; the
recording follows because MixMonitor runs on the caller's channel.

PBX commands and the service's inputs only; the routing stays the engine's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from acd.errors import AcdError, NoConnectedCall, TransferRefused
from acd.model import AgentId, ConnectedCall, QueueId, TargetKind, TransferMode
from telephony.dialplan import AGENT_CONTEXT, OUTBOUND_CONTEXT, WAIT_CONTEXT, WAIT_EXTEN
from telephony.errors import PbxError, PbxTimeout, PbxUnavailable
from telephony.model import Call, CallId, ChannelId, PbxId
from telephony.ports import PbxPort

log = logging.getLogger(__name__)

BRIDGE_PEER_VAR = "BRIDGEPEER"
"""Set by Asterisk on each channel of a two-party bridge: the other one's name."""


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

    def live_call(self, call_id: CallId) -> Call | None: ...

    async def reserve_for_consultation(
        self, call_id: CallId, agent_id: AgentId
    ) -> None: ...

    async def end_consultation(self, call_id: CallId) -> None: ...

    async def hand_over_connected(
        self, call_id: CallId, *, agent_id: AgentId, agent_leg: ChannelId | None
    ) -> bool: ...

    def endpoint_of(self, agent_id: AgentId) -> str | None: ...

    def seat_pbx(self, agent_id: AgentId) -> PbxId | None: ...

    def has_queue(self, queue_id: QueueId) -> bool: ...

    async def requeue_connected(
        self, call_id: CallId, *, queue_id: QueueId, agent_id: AgentId | None = None
    ) -> None: ...

    async def release_connected(
        self,
        call_id: CallId,
        *,
        sent_to: str | None = None,
        mode: TransferMode = TransferMode.BLIND,
    ) -> None: ...


class TransferDesk:
    """Carries out an agent's transfer requests. Errors: NoConnectedCall when the
    agent is not on an ACD call, TransferRefused for an unknown target or a mode
    the call does not allow, AgentBusy when the agent to consult is not ready;
    `PbxError` from the PBX passes through.

    While an agent consults, their leg is watched every `check_s` wall seconds
    (through the service's call locator): hanging up their phone completes the
    transfer, as on the PBX. `close()` stops the watches (on shutdown)."""

    def __init__(
        self, calls: ConnectedCalls, pbx: PbxPort, *, check_s: float = 0.1
    ) -> None:
        self._calls = calls
        self._pbx = pbx
        self._check_s = check_s
        self._consulting: dict[AgentId, _Consultation] = {}
        self._watches: dict[AgentId, asyncio.Task[None]] = {}

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
        consulted = self._consulted_agent(agent_id, target)
        if consulted is not None:  # AgentBusy unless ready; held from now on
            await self._calls.reserve_for_consultation(connected.call_id, consulted)
        try:
            await self._pbx.attended_transfer(
                connected.pbx_id, channel=channel, context=context, exten=exten
            )
        except PbxError:
            if consulted is not None:
                await self._calls.end_consultation(connected.call_id)
            raise
        consulting = Transfer(mode=mode, target=target, state=TransferState.CONSULTING)
        record = _Consultation(transfer=consulting, channel=channel)
        self._consulting[agent_id] = record
        self._watches[agent_id] = asyncio.ensure_future(
            self._watch(agent_id, record, connected)
        )
        return consulting

    async def complete(self, agent_id: AgentId) -> Transfer:
        """The agent leaves: the PBX joins the caller and the consulted party; a
        consulted agent is on the call from now on."""
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
        if self._take(agent_id, consulting):  # else the watch completed it
            await self._hand_over(connected, consulting)
        done = consulting.transfer
        return Transfer(mode=done.mode, target=done.target, state=TransferState.DONE)

    async def cancel(self, agent_id: AgentId) -> Transfer:
        """The consulted party is hung up; the agent is back with the caller and a
        consulted agent is free again."""
        connected = self._connected(agent_id)
        consulting = self._consultation(agent_id)
        await self._pbx.cancel_attended_transfer(
            connected.pbx_id, channel=consulting.channel
        )
        if self._take(agent_id, consulting):
            await self._calls.end_consultation(connected.call_id)
        done = consulting.transfer
        return Transfer(
            mode=done.mode, target=done.target, state=TransferState.CANCELLED
        )

    def consulting(self, agent_id: AgentId) -> Transfer | None:
        """The attended transfer the agent is consulting for, if any."""
        record = self._consulting.get(agent_id)
        return None if record is None else record.transfer

    def close(self) -> None:
        """Stop watching the consulting agents' legs."""
        for watch in self._watches.values():
            watch.cancel()
        self._watches.clear()

    def _take(self, agent_id: AgentId, consulting: _Consultation) -> bool:
        """End the agent's consultation here; False when it had ended already."""
        if self._consulting.get(agent_id) is not consulting:
            return False
        del self._consulting[agent_id]
        watch = self._watches.pop(agent_id, None)
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()
        return True

    async def _hand_over(
        self, connected: ConnectedCall, consulting: _Consultation
    ) -> None:
        """The transferer left: a consulted agent takes the call over; otherwise
        the call leaves the ACD for the number (the transferer wraps up)."""
        target = consulting.transfer.target
        if target.kind is TargetKind.AGENT:
            consulted = AgentId(target.value)
            leg = self._leg_of(connected.call_id, consulted)
            await self._calls.hand_over_connected(
                connected.call_id, agent_id=consulted, agent_leg=leg
            )
            return
        await self._calls.release_connected(
            connected.call_id, sent_to=target.value, mode=TransferMode.ATTENDED
        )

    async def _watch(
        self, agent_id: AgentId, consulting: _Consultation, connected: ConnectedCall
    ) -> None:
        """Hand the call over once the agent's leg hangs up while the call goes
        on (the PBX completes an attended transfer so); stop when the call ends."""
        try:
            call = await self._transferer_left(connected, consulting.channel)
            if call is None or not self._take(agent_id, consulting):
                return
            log.info("call=%s agent=%s hung up consulting", call.call_id, agent_id)
            if caller_gone(call, connected.caller_channel):
                await self._calls.release_connected(connected.call_id)
                return
            await self._hand_over(connected, consulting)
        except AcdError as error:  # the call changed meanwhile (it ended)
            log.info(
                "call=%s consultation not handed over: %r", connected.call_id, error
            )
        except Exception:
            log.exception("call=%s consultation watch failed", connected.call_id)

    async def _transferer_left(
        self, connected: ConnectedCall, channel: str
    ) -> Call | None:
        """The call once the agent's `channel` in it has hung up; None once the
        call has ended (or cannot be located)."""
        while True:
            call = self._calls.live_call(connected.call_id)
            if call is None:
                return None
            mine = [
                leg for leg in call.legs if channel in (leg.channel, leg.channel_id)
            ]
            if mine and all(leg.ended_at is not None for leg in mine):
                return call
            await asyncio.sleep(self._check_s)

    def _leg_of(self, call_id: CallId, agent_id: AgentId) -> ChannelId | None:
        """The consulted agent's live leg in the call (their Local half that
        the caller is bridged with, else their phone's channel), if known."""
        endpoint = self._calls.endpoint_of(agent_id)
        call = self._calls.live_call(call_id)
        if endpoint is None or call is None:
            return None
        own = (f"Local/{endpoint}@", f"PJSIP/{endpoint}-")
        legs = [
            leg
            for leg in call.legs
            if leg.ended_at is None and leg.channel.startswith(own)
        ]
        legs.sort(key=lambda leg: leg.channel.endswith(";2"))
        return legs[0].channel_id if legs else None

    def _consulted_agent(
        self, agent_id: AgentId, target: TransferTarget
    ) -> AgentId | None:
        """The agent an attended transfer consults (None: a number)."""
        if target.kind is not TargetKind.AGENT:
            return None
        if target.value == agent_id:
            raise TransferRefused("an agent cannot consult themselves")
        return AgentId(target.value)

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
            stale = self._consulting.get(agent_id)
            if stale is not None:
                self._take(agent_id, stale)
            raise NoConnectedCall(f"agent {agent_id} has no connected call")
        return connected

    async def _agent_channel(self, connected: ConnectedCall) -> str:
        """The agent's own channel in the call (their phone), as the PBX names it."""
        return await agent_channel_now(self._pbx, self._calls, connected)

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
        """Send the caller on, then make sure the agent's phone is free (in that
        order: the phone going first would take the caller with it). Asterisk
        frees it itself: a channel redirected out of a two-party bridge
        dissolves it, and the phone, Dial's callee, hangs up."""
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
        except (PbxTimeout, PbxUnavailable) as error:
            # The caller is on their way: the ACD follows whatever became of
            # the agent's phone.
            log.warning("call=%s agent not hung up: %r", connected.call_id, error)
        except PbxError as gone:
            # The usual case on Asterisk: the caller leaving dissolved the
            # bridge, which hung the agent's phone up before this arrived.
            log.info("call=%s agent already gone: %r", connected.call_id, gone)
        if queue_id is None:
            await self._calls.release_connected(connected.call_id, sent_to=target.value)
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


async def agent_channel_now(
    pbx: PbxPort, calls: ConnectedCalls, connected: ConnectedCall
) -> str:
    """The agent's own channel in the call (their phone), as the PBX names it now.

    The ACD rings the agent through a Local pair that Dials the phone; about
    12 ms after the phone answers Asterisk optimises the pair away, moving the
    caller into the phone's bridge (agent-leg-bridges.ami.txt), so the
    originated leg and the caller's first BRIDGEPEER (the pair's `;1`) vanish
    while the call goes on. The tracker names the phone from the first bridge
    on; the caller's BRIDGEPEER is asked only while the tracker has not seen
    the bridge yet (the Local half lives 12 ms more then), the originated leg
    when neither can tell (a callback, a bridge of more)."""
    call = calls.live_call(connected.call_id)
    party = None if call is None else call.peer
    if party is not None:
        return party.channel
    caller = connected.caller_channel
    if caller is None:
        return connected.agent_leg
    try:
        peer = await pbx.get_var(connected.pbx_id, channel=caller, name=BRIDGE_PEER_VAR)
    except PbxError as error:
        log.info("call=%s no bridge peer: %r", connected.call_id, error)
        return connected.agent_leg
    if not peer or "," in peer:
        return connected.agent_leg
    return peer


def caller_gone(call: Call, caller_channel: str | None) -> bool:
    """Whether the caller's own leg has hung up (unknown for a callback: no)."""
    legs = [leg for leg in call.legs if leg.channel == caller_channel]
    return bool(legs) and all(leg.ended_at is not None for leg in legs)
