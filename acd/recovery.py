"""The ACD after its own restart (K3): agents' sessions and the callbacks owed are
kept in a store while it runs; when it starts again, the first time each PBX
connects it reads the PBX's channels and puts back what it finds: callers waiting
in `cc-wait` (their request and arrival are on their channels), agents still on a
call (on that call), the others as their sessions say, and the callbacks. Rings
left over from before are hung up first.

No routing decisions here: `acd.service.AcdService.restore` applies them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from acd.dialing import AgentSeat
from acd.handoff import QUEUE_VAR, REQUEST_VARIABLES, read_request
from acd.model import AgentId, AgentSession, CallRequest, Kept, KeptCallback, QueueId
from acd.ports import AgentOnCall, CallLocator, KeptStore, LiveChannels, WaitingCall
from acd.service import AcdService
from telephony.channel_events import LiveChannel
from telephony.dialplan import AGENT_CONTEXT, PHONE_STAND_IN_CONTEXT, WAIT_CONTEXT
from telephony.errors import PbxError
from telephony.events import PbxConnected
from telephony.model import CallId, PbxId, call_id
from telephony.ports import PbxPort

log = logging.getLogger(__name__)

SAVE_EVERY_S = 1.0
"""Longest a change to an agent's session waits before it is kept."""
MIN_SAVE_GAP_S = 0.2
"""Shortest time between two saves (state changes come in bursts)."""
READS_AT_ONCE = 64
"""Channels whose variables are read at the same time while recovering."""
UP = "Up"
_PHONE_TECHNOLOGIES = ("PJSIP/", "SIP/", "IAX2/")
_AGENT_PLACES = (f"{AGENT_CONTEXT}-", f"{PHONE_STAND_IN_CONTEXT}-")


def endpoint_in(channel: str) -> str | None:
    """The agent's phone endpoint a channel rings or is: `Local/<ep>@cc-agent-…`
    (the ACD's agent leg), `PJSIP/<ep>-<n>` (the phone itself) or its stand-in
    `Local/<ep>@cc-agentphone-…`; else None."""
    if channel.startswith("Local/"):
        exten, _, place = channel.removeprefix("Local/").partition("@")
        return exten if place.startswith(_AGENT_PLACES) else None
    if channel.startswith(_PHONE_TECHNOLOGIES):
        endpoint = channel.partition("/")[2].rpartition("-")[0]
        return endpoint or None
    return None


@dataclass(slots=True, kw_only=True)
class Findings:
    """What one PBX shows when the service starts again."""

    waiting: list[LiveChannel] = field(default_factory=list)
    """Callers in `cc-wait`, not bridged."""
    busy: dict[AgentId, LiveChannel] = field(default_factory=dict)
    """Agents whose phone is on a call, and its channel there."""
    stale: list[LiveChannel] = field(default_factory=list)
    """Agents' phones still ringing for an offer made before the restart."""
    peers: dict[str, list[LiveChannel]] = field(default_factory=dict)
    """Channels by bridge, to find who an agent is talking to."""


def findings(channels: Iterable[LiveChannel], seats: dict[str, AgentSeat]) -> Findings:
    """Sort a PBX's channels: waiting callers, agents on calls, stale rings
    (`seats` by endpoint). Pure."""
    found = Findings()
    phones: dict[AgentId, list[LiveChannel]] = {}
    for channel in channels:
        if channel.bridge_id:
            found.peers.setdefault(channel.bridge_id, []).append(channel)
        endpoint = endpoint_in(channel.channel)
        if endpoint is None:
            if channel.context == WAIT_CONTEXT and not channel.bridge_id:
                found.waiting.append(channel)
            continue
        seat = seats.get(endpoint)
        if seat is not None:
            phones.setdefault(seat.profile.agent_id, []).append(channel)
    for agent_id, legs in phones.items():
        up = [leg for leg in legs if leg.state == UP]
        if up:
            found.busy[agent_id] = min(up, key=lambda leg: _talking(leg, found))
        else:  # the ACD's own leg (`…@cc-agent-…;1`) names first: hanging it
            # up takes what it dialled with it
            found.stale.append(min(legs, key=lambda leg: leg.channel))
    return found


def _talking(leg: LiveChannel, found: Findings) -> tuple[bool, str]:
    """Order of an agent's answered channels: first the one bridged with the
    caller (anyone not an agent's), then by name."""
    peers = found.peers.get(leg.bridge_id, []) if leg.bridge_id else []
    with_caller = any(endpoint_in(p.channel) is None for p in peers)
    return (not with_caller, leg.channel)


class AcdRecovery:
    """Keeps agents' sessions and callbacks (`run`, with `on_agent_state_changed`)
    and restores the ACD the first time each PBX connects after a start
    (`on_pbx_connected`)."""

    def __init__(
        self,
        service: AcdService,
        *,
        pbx: PbxPort,
        channels: LiveChannels,
        calls: CallLocator,
        store: KeptStore,
        configured: asyncio.Event | None = None,
    ) -> None:
        self._service = service
        self._pbx = pbx
        self._channels = channels
        self._calls = calls
        self._store = store
        self._configured = configured
        """Set once the seats to restore are known (read from the database)."""
        self._kept: dict[AgentId, AgentSession] = {}
        self._callbacks: tuple[KeptCallback, ...] = ()
        self._loaded = asyncio.Event()
        self._changed = asyncio.Event()
        self._started: set[PbxId] = set()
        self._restored: set[AgentId] = set()
        self.recovered = asyncio.Event()
        """Set once every PBX was restored (figures and tests wait for it)."""

    async def run(self) -> None:
        """Read the kept sessions, then keep them up to date until cancelled."""
        kept = self._store.load()
        self._kept = {s.agent_id: s for s in kept.agents}
        self._callbacks = kept.callbacks
        log.info(
            "kept from before: %d agent sessions, %d callbacks owed",
            len(self._kept),
            len(self._callbacks),
        )
        self._loaded.set()
        try:
            while True:
                try:
                    async with asyncio.timeout(SAVE_EVERY_S):
                        await self._changed.wait()
                except TimeoutError:
                    pass
                self._changed.clear()
                self._store.save(self.kept())
                await asyncio.sleep(MIN_SAVE_GAP_S)
        finally:
            self._store.save(self.kept())

    def kept(self) -> Kept:
        """What to keep: each agent and callback as the ACD has them, or, until
        their PBX is restored, as they were kept."""
        agents: list[AgentSession] = []
        for seat in self._service.settings.agents:
            agent_id = seat.profile.agent_id
            live = self._service.engine.session(agent_id)
            if live is None and agent_id not in self._restored:
                live = self._kept.get(agent_id)
            if live is not None:
                agents.append(live)
        waiting = [c for c in self._callbacks if c.pbx_id not in self._started]
        owed = self._service.pending_callbacks()
        return Kept(agents=tuple(agents), callbacks=(*waiting, *owed))

    async def on_agent_state_changed(self, _event: object) -> None:
        """Bus handler for `acd.events.AgentStateChanged`: keep the change soon."""
        self._changed.set()

    async def on_pbx_connected(self, event: PbxConnected) -> None:
        """Bus handler for `PbxConnected`: the first time after the start, restore
        what the PBX shows (later reconnects find the ACD as it was)."""
        pbx_id = event.pbx_id
        if pbx_id in self._started:
            return
        await self._loaded.wait()
        if self._configured is not None:
            await self._configured.wait()
        try:
            await self._recover(pbx_id)
        except PbxError as error:
            log.warning("pbx=%s ACD not restored yet: %r", pbx_id, error)
            return
        self._started.add(pbx_id)
        self._changed.set()
        if self._started >= set(self._pbx_ids()):
            self.recovered.set()

    async def _recover(self, pbx_id: PbxId) -> None:
        began = time.monotonic()
        seats = self._seats(pbx_id)
        by_endpoint = {seat.endpoint: seat for seat in seats}
        found = findings(await self._channels.core_show_channels(pbx_id), by_endpoint)
        for leg in found.stale:
            await self._hang_up(pbx_id, leg)
        limit = asyncio.Semaphore(READS_AT_ONCE)
        waiting = await asyncio.gather(
            *(self._waiting(pbx_id, c, limit) for c in found.waiting)
        )
        by_agent = {seat.profile.agent_id: seat for seat in seats}
        on_call = await asyncio.gather(
            *(
                self._on_call(pbx_id, by_agent[agent_id], leg, found, limit)
                for agent_id, leg in found.busy.items()
            )
        )
        agents = list(by_agent)
        callbacks = [c for c in self._callbacks if c.pbx_id == pbx_id]
        await self._service.restore(
            waiting=[w for w in waiting if w is not None],
            agents=agents,
            sessions=self._kept,
            on_call=dict(zip(found.busy, on_call, strict=True)),
            callbacks=callbacks,
        )
        self._restored.update(agents)
        log.info(
            "pbx=%s ACD restored in %.2fs: %d waiting callers, %d agents (%d on "
            "calls), %d callbacks owed, %d stale rings hung up",
            pbx_id,
            time.monotonic() - began,
            len(found.waiting),
            len([a for a in agents if a in self._kept or a in found.busy]),
            len(found.busy),
            len(callbacks),
            len(found.stale),
        )

    async def _waiting(
        self, pbx_id: PbxId, channel: LiveChannel, limit: asyncio.Semaphore
    ) -> WaitingCall | None:
        request = await self._request(pbx_id, channel, None, limit)
        if request is None:
            return None
        return WaitingCall(
            pbx_id=pbx_id,
            channel=channel.channel,
            request=request,
            channel_id=channel.channel_id,
        )

    async def _request(
        self,
        pbx_id: PbxId,
        channel: LiveChannel,
        queue: QueueId | None,
        limit: asyncio.Semaphore,
    ) -> CallRequest | None:
        """The caller's request, from the variables on their channel (in `queue`
        when known, else theirs, else the default queue); None when it cannot be
        read (hung up meanwhile) or names no queue."""
        get = partial(self._pbx.get_var, pbx_id, channel=channel.channel)
        names = (QUEUE_VAR, *REQUEST_VARIABLES)
        async with limit:
            try:  # all at once: one round trip's wait, not one per variable
                values = await asyncio.gather(*(get(name=name) for name in names))
            except PbxError as error:
                log.info("pbx=%s %s not read: %r", pbx_id, channel.channel, error)
                return None
        found = dict(zip(names, values, strict=True))
        queue = queue or QueueId(found[QUEUE_VAR] or "")
        queue = queue or self._service.settings.default_queue
        if not queue:
            log.warning("pbx=%s %s waits in no queue", pbx_id, channel.channel)
            return None

        async def read(name: str) -> str | None:
            return found[name]

        return await read_request(read, self._call_of(channel), queue, pbx_id)

    async def _on_call(
        self,
        pbx_id: PbxId,
        seat: AgentSeat,
        leg: LiveChannel,
        found: Findings,
        limit: asyncio.Semaphore,
    ) -> AgentOnCall:
        """The call an agent's phone is on: its caller's channel and request (in
        the agent's first queue when nothing better is known)."""
        peers = found.peers.get(leg.bridge_id, [])
        callers = [c for c in peers if endpoint_in(c.channel) is None]
        caller = callers[0] if callers else leg
        the_call = self._call_of(caller)
        kept = self._kept.get(seat.profile.agent_id)
        queue = kept.queue_id if kept is not None and kept.call_id == the_call else None
        request = await self._request(pbx_id, caller, queue, limit)
        if request is None:
            first = seat.profile.memberships[0].queue_id
            request = CallRequest(call_id=the_call, queue_id=first, pbx_id=pbx_id)
        return AgentOnCall(
            waiting=WaitingCall(
                pbx_id=pbx_id,
                channel=caller.channel if callers else "",
                request=request,
                channel_id=caller.channel_id if callers else None,
            ),
            agent_leg=leg.channel_id,
        )

    def _call_of(self, channel: LiveChannel) -> CallId:
        found = self._calls.call_of_channel(channel.pbx_id, channel.channel_id)
        return found.call_id if found else call_id(channel.pbx_id, channel.linkedid)

    async def _hang_up(self, pbx_id: PbxId, leg: LiveChannel) -> None:
        log.info("pbx=%s hanging up a ring from before the restart: %s", pbx_id, leg)
        try:
            await self._pbx.hangup(pbx_id, channel=leg.channel)
        except PbxError as error:  # answered or gone meanwhile
            log.info("pbx=%s %s not hung up: %r", pbx_id, leg.channel, error)

    def _seats(self, pbx_id: PbxId) -> Sequence[AgentSeat]:
        settings = self._service.settings
        return [s for s in settings.agents if (s.pbx_id or settings.pbx_id) == pbx_id]

    def _pbx_ids(self) -> set[PbxId]:
        settings = self._service.settings
        return {s.pbx_id or settings.pbx_id for s in settings.agents} | {
            settings.pbx_id
        }
