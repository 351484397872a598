"""Hold and resume of an agent's connected call, and the agent calling a number
from their phone (click-to-dial).

Hold moves both channels out of their bridge with one Redirect: the caller to
`cc-hold` (music on hold, which the call log counts as hold time), the agent's
channel to `cc-held` (silence); resume bridges the two again (AMI `Bridge`).
Moving only the caller would make Asterisk hang the agent's side up. The call id
never changes, so the call record and the recording (MixMonitor on the caller's
channel) follow. A caller who hangs up on hold ends the call: the agent's side is
hung up too, as the bridge would have done.

PBX commands only; the agent's state stays the engine's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from acd.errors import DialRefused, HoldRefused, NoConnectedCall
from acd.model import AgentId, AgentState, ConnectedCall
from acd.transfers import ConnectedCalls, agent_channel_now, caller_gone
from telephony.dialplan import (
    HELD_AGENT_CONTEXT,
    HOLD_CONTEXT,
    HOLD_EXTEN,
    OUTBOUND_CONTEXT,
)
from telephony.dialplan import agent_channel as phone_channel
from telephony.errors import PbxError
from telephony.ports import PbxPort, Redirection

log = logging.getLogger(__name__)

NUMBER = re.compile(r"^\+?[0-9]{2,31}$")
DIAL_RING_S = 30.0
"""How long the agent's own phone rings before a click-to-dial gives up."""
OUTBOUND_PAUSE = "outbound_call"
"""The pause reason a ready agent is given while they call out (no ACD call is
offered on top of it); they become ready again themselves."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Held:
    connected: ConnectedCall
    agent_channel: str
    """The agent's channel, waiting in `cc-held` while the caller hears music."""


class HoldDesk:
    """Carries out agents' hold, resume and call-out requests. Errors:
    NoConnectedCall, HoldRefused (a callback's customer cannot be held; resume
    without hold), DialRefused; `PbxError` from the PBX passes through.
    `close()` stops the watches of held calls (on shutdown)."""

    def __init__(
        self, calls: ConnectedCalls, pbx: PbxPort, *, check_s: float = 0.2
    ) -> None:
        self._calls = calls
        self._pbx = pbx
        self._check_s = check_s
        self._held: dict[AgentId, _Held] = {}
        self._watches: dict[AgentId, asyncio.Task[None]] = {}

    def is_held(self, agent_id: AgentId) -> bool:
        held = self._held.get(agent_id)
        connected = self._calls.connected_call(agent_id)
        return (
            held is not None
            and connected is not None
            and connected.call_id == held.connected.call_id
        )

    async def hold(self, agent_id: AgentId) -> None:
        """Put the agent's caller on hold (nothing changes when already held)."""
        connected = self._calls.connected_call(agent_id)
        if connected is None:
            raise NoConnectedCall(f"agent {agent_id} has no connected call")
        if self.is_held(agent_id):
            return
        caller = connected.caller_channel
        if caller is None:
            raise HoldRefused("a callback's customer cannot be held")
        channel = await agent_channel_now(self._pbx, self._calls, connected)
        agent_side = Redirection(
            channel=channel, context=HELD_AGENT_CONTEXT, exten=HOLD_EXTEN
        )
        await self._pbx.redirect(
            connected.pbx_id, channel=caller, context=HOLD_CONTEXT, exten=HOLD_EXTEN,
            also=agent_side,
        )  # fmt: skip
        held = _Held(connected=connected, agent_channel=channel)
        self._held[agent_id] = held
        self._watches[agent_id] = asyncio.ensure_future(self._watch(agent_id, held))
        log.info("call=%s agent=%s on hold", connected.call_id, agent_id)

    async def resume(self, agent_id: AgentId) -> None:
        """Bridge the held caller with the agent again."""
        if not self.is_held(agent_id):
            self._forget(agent_id)
            raise HoldRefused(f"agent {agent_id} has no call on hold")
        held = self._held[agent_id]
        caller = held.connected.caller_channel
        assert caller is not None
        await self._pbx.bridge(
            held.connected.pbx_id, channel1=held.agent_channel, channel2=caller
        )
        self._forget(agent_id)
        log.info("call=%s agent=%s resumed", held.connected.call_id, agent_id)

    async def dial(self, agent_id: AgentId, number: str, *, state: AgentState) -> bool:
        """Ring the agent's phone and, once they answer, call `number` from it;
        True once their phone answered. `state` is the agent's state now: an agent
        on a call or being offered one may not call out."""
        if not NUMBER.match(number):
            raise DialRefused(f"not a number to dial: {number[:40]!r}")
        if state in (AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL):
            raise DialRefused(f"agent {agent_id} is busy with a call")
        endpoint = self._calls.endpoint_of(agent_id)
        pbx_id = self._calls.seat_pbx(agent_id)
        if endpoint is None or pbx_id is None:
            raise DialRefused(f"agent {agent_id} has no phone")
        result = await self._pbx.originate(
            pbx_id,
            channel=phone_channel(endpoint),
            context=OUTBOUND_CONTEXT,
            exten=number,
            caller_id=f'"{number}" <{number}>',
            timeout_s=DIAL_RING_S,
        )
        log.info("agent=%s calls out: answered=%s", agent_id, result.success)
        return result.success

    def close(self) -> None:
        for watch in self._watches.values():
            watch.cancel()
        self._watches.clear()
        self._held.clear()

    def _forget(self, agent_id: AgentId) -> None:
        self._held.pop(agent_id, None)
        watch = self._watches.pop(agent_id, None)
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()

    async def _watch(self, agent_id: AgentId, held: _Held) -> None:
        """While the call is held: a caller who hangs up ends the agent's side
        too; the call ending any other way just stops the watch."""
        connected = held.connected
        try:
            while self._held.get(agent_id) is held:
                call = self._calls.live_call(connected.call_id)
                if call is None:
                    break
                if caller_gone(call, connected.caller_channel):
                    log.info("call=%s caller hung up on hold", connected.call_id)
                    await self._pbx.hangup(connected.pbx_id, channel=held.agent_channel)
                    break
                await asyncio.sleep(self._check_s)
        except PbxError as error:
            log.warning("call=%s agent side not hung up: %r", connected.call_id, error)
        finally:
            if self._held.get(agent_id) is held:
                self._held.pop(agent_id, None)
                self._watches.pop(agent_id, None)
