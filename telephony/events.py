"""Events the telephony bridge publishes, in the order a call lives them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from telephony.model import CallId, Direction, EndReason, PbxId


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
    """Two of the call's channels were joined (caller and agent or callee)."""

    topic: ClassVar[str] = "call.bridged"
    occurred_at: datetime
    call_id: CallId
    pbx_id: PbxId
    bridge_id: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded:
    """The call's last channel hung up, or the call vanished in a PBX restart."""

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
    """Seconds the caller spent on hold after the call was bridged (music on hold
    on the caller's channel; music while queued is waiting, not hold)."""

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
