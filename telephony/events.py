"""Events the telephony bridge publishes, in the order a call lives them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from telephony.model import CallId, ChannelId, Direction, EndReason, PbxId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallArrived:
    """A new call's first channel appeared (before any answer or IVR)."""

    topic: ClassVar[str] = "call.arrived"
    occurred_at: datetime
    call_id: CallId
    pbx_id: PbxId
    linkedid: str
    direction: Direction
    ani: str
    ani_name: str
    dnis: str
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAnswered:
    """The call's first channel was answered (by the IVR, an agent or a callee)."""

    topic: ClassVar[str] = "call.answered"
    occurred_at: datetime
    call_id: CallId
    pbx_id: PbxId
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallBridged:
    """The caller is in a bridge with a party: an agent's phone, or the called
    party of an outbound call. Published when the call is first bridged and again
    whenever the caller is bridged with another party (a transfer); never for
    Local channel optimisation, which changes the bridge but not the parties.

    Both channels are real ones: a Local channel that only passes audio through
    (the agent leg `Local/<endpoint>@cc-agent`, optimised away about 12 ms after
    the bridge) is never named."""

    topic: ClassVar[str] = "call.bridged"
    occurred_at: datetime
    call_id: CallId
    pbx_id: PbxId
    bridge_id: str
    """The bridge the caller is in at this moment (it may change under
    optimisation: follow the channels, not the bridge)."""
    caller_channel: str
    """The caller's channel: the one the agent leg was originated into, else the
    call's first. MixMonitor runs here."""
    caller_channel_id: ChannelId
    peer_channel: str
    """The party the caller talks to: the agent's phone (`PJSIP/1001-...`), a
    transfer target, the called party."""
    peer_channel_id: ChannelId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    """The call's last channel hung up, or the call vanished in a PBX restart.

    `reason` says which (`reason.pbx_gone`: the PBX went away under the call, nobody
    ended it): HANGUP; PBX_SHUTDOWN when Asterisk hung it up while shutting down
    (`ended_at` is its last Hangup); VANISHED when it was missing after a
    reconnect (`ended_at` is the last moment the PBX was known to be up, so talk
    time leaves the outage out). For both, `hangup_cause_text` says the PBX went
    away."""

    topic: ClassVar[str] = "call.ended"
    occurred_at: datetime
    call_id: CallId
    pbx_id: PbxId
    direction: Direction
    ani: str
    dnis: str
    arrived_at: datetime
    answered_at: datetime | None
    bridged_at: datetime | None
    ended_at: datetime
    hangup_cause: int | None
    hangup_cause_text: str
    reason: EndReason
    hold_s: float = 0.0
    """Seconds the caller spent on hold after the call was bridged: music on hold
    on the caller's channel while it was in a bridge (an agent's hold, an attended
    transfer's consultation). Music while queued is waiting, not hold."""

    @property
    def wait_s(self) -> float:
        """Seconds from arrival to the bridge (or to the end if never bridged)."""
        return ((self.bridged_at or self.ended_at) - self.arrived_at).total_seconds()

    @property
    def talk_s(self) -> float:
        """Seconds bridged; 0 if the call was never bridged."""
        if self.bridged_at is None:
            return 0.0
        return (self.ended_at - self.bridged_at).total_seconds()


@dataclass(frozen=True, slots=True, kw_only=True)
class PbxConnected:
    """The AMI connection to a PBX is up and its live calls are resynchronised."""

    topic: ClassVar[str] = "pbx.connected"
    occurred_at: datetime
    pbx_id: PbxId
    live_calls: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PbxDisconnected:
    topic: ClassVar[str] = "pbx.disconnected"
    occurred_at: datetime
    pbx_id: PbxId
    reason: str


TelephonyEvent = (
    CallArrived
    | CallAnswered
    | CallBridged
    | CallEnded
    | PbxConnected
    | PbxDisconnected
)
