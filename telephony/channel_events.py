"""What the call tracker is told: one frozen dataclass per channel event Asterisk
reports, the channel list after a (re)connect, and the legs an Originate will
bring into a call. Pure data: no I/O, no clock, no logging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telephony.model import ChannelId, PbxId


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEvent:
    """What every channel event says about its channel (Asterisk's channel snapshot)."""

    pbx_id: PbxId
    now: datetime
    channel_id: ChannelId
    channel: str
    linkedid: str
    state: str
    caller_num: str
    """Empty when Asterisk said `<unknown>`."""
    caller_name: str
    context: str
    exten: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelCreated(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStateChanged(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerIdChanged(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeEntered(ChannelEvent):
    bridge_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeLeft(ChannelEvent):
    bridge_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DialStarted(ChannelEvent):
    """The channel ran Dial (`DialBegin` naming a dialling channel). A Local half
    whose other half dials only passes audio through: once both sides are bridged,
    Asterisk optimises the pair away (agent-leg-bridges.ami.txt)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MusicStarted(ChannelEvent):
    """Music on hold started on the channel (`MusicOnHoldStart`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MusicStopped(ChannelEvent):
    """Music on hold stopped on the channel (`MusicOnHoldStop`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShutdownRequested(ChannelEvent):
    """Asterisk is shutting down and asked the channel to hang up
    (`SoftHangupRequest` with Cause 4, AST_SOFTHANGUP_SHUTDOWN;
    restart-with-shutdown.ami.txt): its Hangup follows."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHungUp(ChannelEvent):
    cause: int
    cause_text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveChannel(ChannelEvent):
    """One channel of a `CoreShowChannels` snapshot."""

    bridge_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resynced:
    """The PBX's complete list of live channels, taken after a (re)connect."""

    pbx_id: PbxId
    now: datetime
    channels: tuple[LiveChannel, ...]
    last_seen: datetime | None = None
    """The last moment the PBX was known to be up before this connection (its
    last event or answered ping); None on the first connection. Calls gone from
    the list ended then, not at the reconnect."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LegExpected:
    """An Originate that will bridge new channels into an existing channel's call
    (e.g. an agent leg with `Application: Bridge`). Asterisk gives those channels a
    Linkedid of their own until they enter the bridge (inbound-spine.ami.txt:
    `agent-1` starts with Linkedid `agent-1`, its `;2` half keeps it to the end),
    so the tracker is told which call they belong to."""

    pbx_id: PbxId
    channel_ids: tuple[ChannelId, ...]
    joins_channel: str
    """The channel name of the call to join (the Originate's `Data`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LegExpectationDropped:
    """The Originate finished (its channels exist by now, or never will)."""

    pbx_id: PbxId
    channel_ids: tuple[ChannelId, ...]


TrackerInput = (
    ChannelCreated
    | ChannelStateChanged
    | CallerIdChanged
    | BridgeEntered
    | BridgeLeft
    | DialStarted
    | MusicStarted
    | MusicStopped
    | ShutdownRequested
    | ChannelHungUp
    | Resynced
    | LegExpected
    | LegExpectationDropped
)
