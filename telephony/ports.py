"""The ports telephony needs and offers: its publisher, and the PBX command port."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from telephony.events import TelephonyEvent
from telephony.model import ChannelId, PbxId


class Publisher(Protocol):
    async def publish(self, event: TelephonyEvent) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateResult:
    """What `OriginateResponse` said: success with the new channel, or the reason."""

    success: bool
    channel: str
    channel_id: ChannelId | None
    reason: int
    """Asterisk's originate reason code: 4 answered, 1 hung up, 3 no answer, 5 busy,
    8 congestion, 0 failed (no such extension or channel)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirection:
    """A second channel a Redirect moves at the same moment (`ExtraChannel`): two
    bridged channels moved one by one would hang the other up on the way."""

    channel: str
    context: str
    exten: str
    priority: int = 1


class PbxPort(Protocol):
    """Commands to one or more PBXs. Every method raises `PbxError` (telephony.errors)
    when the PBX refuses, and `PbxTimeout` when it does not answer in time."""

    async def originate(
        self,
        pbx_id: PbxId,
        *,
        channel: str,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str = "",
        caller_id: str = "",
        timeout_s: float = 30.0,
        variables: Mapping[str, str] | None = None,
        channel_id: ChannelId | None = None,
        other_channel_id: ChannelId | None = None,
    ) -> OriginateResult:
        """Place a call; wait for its `OriginateResponse` (matched by ActionID)."""
        ...

    async def redirect(
        self,
        pbx_id: PbxId,
        *,
        channel: str,
        context: str,
        exten: str,
        priority: int = 1,
        also: Redirection | None = None,
    ) -> None: ...

    async def hangup(self, pbx_id: PbxId, *, channel: str, cause: int = 16) -> None: ...

    async def bridge(self, pbx_id: PbxId, *, channel1: str, channel2: str) -> None: ...

    async def set_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str, value: str
    ) -> None: ...

    async def get_var(
        self, pbx_id: PbxId, *, channel: str | None, name: str
    ) -> str | None: ...

    async def mix_monitor(
        self, pbx_id: PbxId, *, channel: str, file: str, options: str = ""
    ) -> None: ...

    async def stop_mix_monitor(self, pbx_id: PbxId, *, channel: str) -> None: ...

    async def mute_mix_monitor(
        self, pbx_id: PbxId, *, channel: str, muted: bool, direction: str = "both"
    ) -> None:
        """Pause (muted=True) or resume a recording: `MixMonitorMute`."""
        ...

    async def play_dtmf(
        self, pbx_id: PbxId, *, channel: str, digit: str, duration_ms: int = 250
    ) -> None: ...

    async def attended_transfer(
        self, pbx_id: PbxId, *, channel: str, context: str, exten: str
    ) -> None:
        """Start an attended transfer (`Atxfer`): `channel` is the transferer, in a
        two-party bridge. Its peer is held (music on hold) while a consultation
        channel `Local/<exten>@<context>` with the transferer's Linkedid calls the
        target; once it answers, transferer and target talk in a new bridge.
        Hanging the transferer up completes the transfer (peer and target bridged,
        an `AttendedTransfer` event); `cancel_attended_transfer` returns to the peer.
        The reply only says the request was queued: the rest arrives as events."""
        ...

    async def cancel_attended_transfer(self, pbx_id: PbxId, *, channel: str) -> None:
        """Abort the attended transfer `channel` started (`CancelAtxfer`): the
        consultation channel hangs up and the transferer is bridged with its peer
        again."""
        ...
