"""AMI events to tracker inputs: the channel events the call tracker uses, the
channel list of a resync, and the noise dropped unparsed. Pure: no I/O; AMI field
names stop here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypedDict

from telephony.ami_parse import AmiMessage
from telephony.channel_events import (
    BridgeEntered,
    BridgeLeft,
    CallerIdChanged,
    ChannelCreated,
    ChannelHungUp,
    ChannelStateChanged,
    DialStarted,
    LiveChannel,
    MusicStarted,
    MusicStopped,
    Resynced,
    ShutdownRequested,
    TrackerInput,
)
from telephony.dialplan import SHUTDOWN_CAUSE
from telephony.model import ChannelId, PbxId

NOISE_EVENTS = (
    "VarSet",
    "Newexten",
    "AGIExecStart",
    "AGIExecEnd",
    "DeviceStateChange",
    "NewConnectedLine",
    "RTCPSent",
    "RTCPReceived",
    "Cdr",
    "CEL",
    "DTMFBegin",
    "DTMFEnd",
    "HangupRequest",
    "LocalBridge",
    "LocalOptimizationBegin",
    "LocalOptimizationEnd",
    "SuccessfulAuth",
    "FullyBooted",
    "ChallengeSent",
    "NewAccountCode",
)
"""Events the bridge never needs: dropped by the framer before they are parsed
(the reference manager.conf filters them out anyway; this is for PBXs without it)."""

UNKNOWN = "<unknown>"


class MalformedEvent(ValueError):
    """A channel event without the ids the tracker needs."""


# --- normalisation: AMI field names stop here -----------------------------------


def _text(fields: dict[str, str], key: str) -> str:
    value = fields.get(key, "")
    return "" if value == UNKNOWN else value


class _ChannelKw(TypedDict):
    pbx_id: PbxId
    now: datetime
    channel_id: ChannelId
    channel: str
    linkedid: str
    state: str
    caller_num: str
    caller_name: str
    context: str
    exten: str


def _channel_fields(pbx_id: PbxId, fields: dict[str, str], now: datetime) -> _ChannelKw:
    uniqueid = fields.get("Uniqueid")
    linkedid = fields.get("Linkedid")
    if not uniqueid or not linkedid or uniqueid == UNKNOWN:
        raise MalformedEvent(f"{fields.get('Event')} without Uniqueid or Linkedid")
    return {
        "pbx_id": pbx_id,
        "now": now,
        "channel_id": ChannelId(uniqueid),
        "channel": fields.get("Channel", ""),
        "linkedid": linkedid,
        "state": fields.get("ChannelStateDesc", ""),
        "caller_num": _text(fields, "CallerIDNum"),
        "caller_name": _text(fields, "CallerIDName"),
        "context": fields.get("Context", ""),
        "exten": fields.get("Exten", ""),
    }


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _created(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return ChannelCreated(**_channel_fields(p, f, now))


def _state(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return ChannelStateChanged(**_channel_fields(p, f, now))


def _callerid(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return CallerIdChanged(**_channel_fields(p, f, now))


def _hangup(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return ChannelHungUp(
        **_channel_fields(p, f, now),
        cause=_int(f.get("Cause", "0")),
        cause_text=f.get("Cause-txt", ""),
    )


def _bridge_enter(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return BridgeEntered(
        **_channel_fields(p, f, now), bridge_id=f.get("BridgeUniqueid", "")
    )


def _bridge_leave(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return BridgeLeft(
        **_channel_fields(p, f, now), bridge_id=f.get("BridgeUniqueid", "")
    )


def _dial_begin(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput | None:
    # An Originate's own dial names only the Dest channel: nothing dials there.
    if "Uniqueid" not in f:
        return None
    return DialStarted(**_channel_fields(p, f, now))


def _music_start(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return MusicStarted(**_channel_fields(p, f, now))


def _music_stop(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput:
    return MusicStopped(**_channel_fields(p, f, now))


def _soft_hangup(p: PbxId, f: dict[str, str], now: datetime) -> TrackerInput | None:
    if f.get("Cause") != SHUTDOWN_CAUSE:
        return None
    return ShutdownRequested(**_channel_fields(p, f, now))


_Builder = Callable[[PbxId, dict[str, str], datetime], TrackerInput | None]
BUILDERS: dict[str, _Builder] = {
    "Newchannel": _created,
    "Newstate": _state,
    "NewCallerid": _callerid,
    "Hangup": _hangup,
    "BridgeEnter": _bridge_enter,
    "BridgeLeave": _bridge_leave,
    "DialBegin": _dial_begin,
    "MusicOnHoldStart": _music_start,
    "MusicOnHoldStop": _music_stop,
    "SoftHangupRequest": _soft_hangup,
}
"""The events the tracker uses, by name; every other event is ignored (and these
give None when they say nothing the tracker needs)."""


def normalise(pbx_id: PbxId, message: AmiMessage, now: datetime) -> TrackerInput | None:
    """The tracker input for one AMI event, or None for an event it does not use.
    Raises MalformedEvent for a channel event without its ids."""
    builder = BUILDERS.get(message.fields.get("Event", ""))
    return None if builder is None else builder(pbx_id, message.fields, now)


def live_channel(pbx_id: PbxId, message: AmiMessage, now: datetime) -> LiveChannel:
    """One `CoreShowChannel` list item."""
    return LiveChannel(
        **_channel_fields(pbx_id, message.fields, now),
        bridge_id=message.fields.get("BridgeId", ""),
    )


def resynced(
    pbx_id: PbxId,
    items: Iterable[AmiMessage],
    now: datetime,
    *,
    last_seen: datetime | None = None,
) -> tuple[Resynced, list[AmiMessage]]:
    """The snapshot from a CoreShowChannels reply, and the items that did not parse.
    `last_seen`: when the previous connection last heard the PBX."""
    channels: list[LiveChannel] = []
    bad: list[AmiMessage] = []
    for item in items:
        if item.fields.get("Event") != "CoreShowChannel":
            continue
        try:
            channels.append(live_channel(pbx_id, item, now))
        except MalformedEvent:
            bad.append(item)
    snapshot = Resynced(
        pbx_id=pbx_id, now=now, channels=tuple(channels), last_seen=last_seen
    )
    return snapshot, bad
