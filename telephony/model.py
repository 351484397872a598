"""Telephony value types: ids, directions and the live `Call` the tracker keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NewType

PbxId = NewType("PbxId", str)
CallId = NewType("CallId", str)
"""`<pbx id>:<Asterisk Linkedid>`: unique across PBXs and restarts."""
ChannelId = NewType("ChannelId", str)
"""An Asterisk channel's `Uniqueid` (any form: `<epoch>.<n>`, `name-<epoch>.<n>`, or
the `ChannelId` given to Originate)."""


def call_id(pbx_id: PbxId, linkedid: str) -> CallId:
    return CallId(f"{pbx_id}:{linkedid}")


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class EndReason(StrEnum):
    HANGUP = "hangup"
    """Asterisk reported the last channel's Hangup."""
    VANISHED = "vanished"
    """The call was missing from the PBX's channel list after a reconnect (the PBX
    restarted, or the Hangup was lost while the AMI connection was down)."""
    PBX_SHUTDOWN = "pbx_shutdown"
    """Asterisk hung the call up because it was shutting down or restarting (its
    channels were soft-hung-up with the shutdown cause before `Shutdown`)."""

    @property
    def pbx_gone(self) -> bool:
        """The PBX went away under the call: nobody abandoned or ended it."""
        return self is not EndReason.HANGUP


@dataclass(frozen=True, slots=True, kw_only=True)
class Leg:
    channel_id: ChannelId
    channel: str
    """The channel name, e.g. `PJSIP/1001-00000004` or `Local/2001@cc-inbound-...;2`."""
    state: str
    """Asterisk's ChannelStateDesc: Down, Ring, Ringing, Up, Busy, ..."""
    caller_num: str
    caller_name: str
    context: str
    exten: str
    created_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One call: every channel sharing a Linkedid on one PBX."""

    call_id: CallId
    pbx_id: PbxId
    linkedid: str
    direction: Direction
    ani: str
    """The caller's number as Asterisk gave it (not normalised)."""
    ani_name: str
    dnis: str
    """The dialled number (the first channel's extension)."""
    legs: tuple[Leg, ...]
    arrived_at: datetime
    answered_at: datetime | None = None
    bridged_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: int | None = None
    hangup_cause_text: str = ""
    peer_channel_id: ChannelId | None = None
    """The party the caller was last bridged with, as `CallBridged` named it: an
    agent's phone, a transfer target, the called party; never a Local half that
    only passes audio through. It may have hung up or left since (see `peer`)."""

    @property
    def peer(self) -> Leg | None:
        """The caller's party while its channel is up (None: never bridged, or
        hung up). Stable across Local channel optimisation, unlike the caller's
        BRIDGEPEER, which names the agent leg's Local half until it is gone."""
        for leg in self.legs:
            if leg.channel_id == self.peer_channel_id and leg.ended_at is None:
                return leg
        return None
