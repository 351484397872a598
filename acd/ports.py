"""The ports the ACD service needs and offers: its publisher, its clock, where
waiting calls come from, and where closed statistics intervals go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from acd.agent_stats import AgentIntervalRecord
from acd.events import AcdEvent
from acd.model import AgentId, CallRequest, Kept, QueueId
from acd.stats import IntervalRecord
from telephony.channel_events import LiveChannel
from telephony.model import Call, ChannelId, PbxId


class Publisher(Protocol):
    async def publish(self, event: AcdEvent) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC; may run faster than the wall clock (see `time_scale`)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingCall:
    """A call asks for a queue: the caller is on hold in the waiting context."""

    pbx_id: PbxId
    channel: str
    """The caller's channel, which an agent's leg is bridged into."""
    request: CallRequest
    channel_id: ChannelId | None = None
    """The caller's channel Uniqueid: lets the ACD notice the caller hanging up
    while an agent's leg (already part of the call) is ringing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentOnCall:
    """An agent's phone the PBX shows on a call when the service starts again."""

    waiting: WaitingCall
    """The call's caller (their channel, when known) and request."""
    agent_leg: ChannelId
    """The agent's channel on the call."""


class PresenceChange(Protocol):
    """An agent's desktop connected or went away (`agent_ui.events.AgentConnected`
    and `AgentDisconnected` have this shape)."""

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def agent_id(self) -> str:
        """The agent's login (the ACD's `AgentId`)."""
        ...

    @property
    def connections(self) -> int:
        """The agent's desktops open after the change (0: none is left)."""
        ...


class QueueRequests(Protocol):
    """Where a call asking for a queue is handed over (the ACD service). Sources:
    the FastAGI hand-off (`acd.service.queue_on_hand_off`), or an IVR event."""

    async def call_waits(self, waiting: WaitingCall) -> None:
        """Queue the call; a call already queued, ended or asking for an unknown
        queue is logged and ignored (or sent to the default queue)."""
        ...


class PreferredAgents(Protocol):
    """Who should take a caller's call: the owner of their open appeal (the CRM)."""

    async def preferred_agent(self, ani: str) -> str | None:
        """The agent's login for the caller's number as the PBX gave it, or None.
        Must answer quickly (the caller waits); errors are logged and ignored."""
        ...


class CallLocator(Protocol):
    """Finds the call a channel belongs to (`telephony.calls.CallTracker`)."""

    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None: ...


class IntervalStore(Protocol):
    """Keeps closed 15-minute statistics intervals for reports."""

    async def save(self, records: Sequence[IntervalRecord]) -> None:
        """Store the records (one row per queue and interval; a repeat replaces)."""
        ...

    async def save_agents(self, records: Sequence[AgentIntervalRecord]) -> None:
        """Store the agents' records (one per agent and interval; a repeat
        replaces)."""
        ...


class IntervalReader(Protocol):
    """Reads the stored intervals back for reports (`acd.tables.SqlIntervalStore`)."""

    async def between(
        self, start: datetime, end: datetime, *, queue_id: QueueId | None = None
    ) -> list[IntervalRecord]:
        """Queues' intervals starting in [start, end), by queue then start."""
        ...

    async def agents_between(
        self, start: datetime, end: datetime, *, agent_id: AgentId | None = None
    ) -> list[AgentIntervalRecord]:
        """Agents' intervals starting in [start, end), by agent then start."""
        ...


class KeptStore(Protocol):
    """Keeps the agents' sessions and the callbacks owed across restarts of the
    service."""

    def load(self) -> Kept:
        """What was kept (nothing the first time); unreadable entries are logged
        and skipped."""
        ...

    def save(self, kept: Kept) -> None:
        """Keep `kept` in place of what was kept; a failure is logged."""
        ...


class LiveChannels(Protocol):
    """Lists a PBX's channels (`telephony.pbx.AmiPbx`, AMI CoreShowChannels)."""

    async def core_show_channels(self, pbx_id: PbxId) -> list[LiveChannel]:
        """Every live channel now, with its dialplan place and bridge. Raises
        `telephony.errors.PbxError`."""
        ...
