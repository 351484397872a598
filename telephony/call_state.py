"""The call tracker's mutable records: a live call and the keys of what has
ended. Pure: no I/O, no clock, no logging; only `telephony.calls` holds them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from telephony.model import Call, CallId, ChannelId, Direction, Leg, PbxId

CallKey = tuple[PbxId, str]
ChannelKey = tuple[PbxId, ChannelId]


@dataclass(slots=True, kw_only=True)
class LiveCall:
    """A live call's mutable record (only the tracker holds one)."""

    key: CallKey
    call_id: CallId
    direction: Direction
    first: ChannelId
    first_channel: str
    ani: str
    ani_name: str
    dnis: str
    arrived_at: datetime
    legs: dict[ChannelId, Leg] = field(default_factory=dict)
    by_name: dict[str, ChannelId] = field(default_factory=dict)
    """The legs by channel name (a Local half finds its other half so)."""
    answered_at: datetime | None = None
    bridged_at: datetime | None = None
    hangup_cause: int | None = None
    hangup_cause_text: str = ""
    bridges: dict[str, dict[ChannelId, None]] = field(default_factory=dict)
    """Each bridge's members, in the order they entered."""
    bridge_of: dict[ChannelId, str] = field(default_factory=dict)
    diallers: set[ChannelId] = field(default_factory=set)
    """Legs that ran Dial."""
    anchor: ChannelId | None = None
    """Where the caller is looked for: the channel an agent leg was originated
    into (LegExpected), else (None) the call's first channel."""
    anchor_is_target: bool = False
    """The anchor is an agent leg's Bridge target (LegExpected named it)."""
    caller: ChannelId | None = None
    """The caller's real channel, once known (see telephony.call_bridges)."""
    peer: ChannelId | None = None
    """The party last announced in CallBridged."""
    hold_s: float = 0.0
    held_since: datetime | None = None
    shut_down: bool = False
    """Asterisk asked a leg to hang up because it is shutting down."""
    announced: bool = False
    """CallArrived was published. A Local channel's caller ID follows its
    Newchannel (NewCallerid, inbound-spine.ami.txt), so the arrival waits for the
    caller ID or for the call's next event, whichever comes first."""

    def snapshot(self) -> Call:
        return Call(
            call_id=self.call_id,
            pbx_id=self.key[0],
            linkedid=self.key[1],
            direction=self.direction,
            ani=self.ani,
            ani_name=self.ani_name,
            dnis=self.dnis,
            legs=tuple(self.legs.values()),
            arrived_at=self.arrived_at,
            answered_at=self.answered_at,
            bridged_at=self.bridged_at,
            hangup_cause=self.hangup_cause,
            hangup_cause_text=self.hangup_cause_text,
            peer_channel_id=self.peer,
        )

    def all_ended(self) -> bool:
        return all(leg.ended_at is not None for leg in self.legs.values())


class RecentKeys:
    """A bounded set of keys that must not come back (ended calls and channels):
    late or duplicated events for them are ignored instead of reviving a call."""

    __slots__ = ("_order", "_set")

    def __init__(self, size: int) -> None:
        self._order: deque[object] = deque(maxlen=size)
        self._set: set[object] = set()

    def add(self, key: object) -> None:
        if key in self._set:
            return
        if len(self._order) == self._order.maxlen:
            self._set.discard(self._order[0])
        self._order.append(key)
        self._set.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self._set

    def __len__(self) -> int:
        return len(self._set)
