"""The call tracker: channel events in, one `Call` per (PBX, Linkedid) and the
telephony events to publish out. Pure: no I/O, no clock, no logging.

The tracker keeps its state in plain dicts and updates them in place (one
dict operation per event) instead of returning a new frozen state per event: at
tens of thousands of events a second with thousands of live calls, copying the
state per event would cost more than the whole AMI parse. It is still a
deterministic function of its inputs; `Call` values handed out are frozen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from telephony.call_state import CallKey, ChannelKey, LiveCall, RecentKeys
from telephony.channel_events import (
    BridgeEntered,
    BridgeLeft,
    CallerIdChanged,
    CallsKnown,
    ChannelCreated,
    ChannelEvent,
    ChannelHungUp,
    ChannelStateChanged,
    LegExpectationDropped,
    LegExpected,
    LiveChannel,
    Resynced,
    TrackerInput,
)
from telephony.events import (
    CallAnswered,
    CallArrived,
    CallBridged,
    CallEnded,
    TelephonyEvent,
)
from telephony.model import (
    Call,
    ChannelId,
    Direction,
    EndReason,
    Leg,
    PbxId,
    call_id,
)

UP = "Up"
VANISHED_TEXT = "call gone from the PBX's channel list after reconnect"
SERVICE_DOWN_TEXT = "call ended while the service was down"


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectionRule:
    """A call's direction from the dialplan context of its first channel.

    Inbound calls start in an inbound context (`cc-inbound`); the dialer's
    Originates create their first channel in the called-party context (a Local
    channel shows its own context, `cc-party`, dialer-amd.ami.txt) or the dialer
    context; everything else is internal."""

    inbound_contexts: frozenset[str] = frozenset({"cc-inbound"})
    outbound_contexts: frozenset[str] = frozenset({"cc-dialer", "cc-party"})

    def direction(self, context: str) -> Direction:
        if context in self.inbound_contexts:
            return Direction.INBOUND
        if context in self.outbound_contexts:
            return Direction.OUTBOUND
        return Direction.INTERNAL


class CallTracker:
    """Turns channel events into calls. `apply` returns the events to publish, in
    order. Inputs outside a call's normal life (ignored or adopted) are counted by
    reason in `anomalies`."""

    def __init__(
        self, *, rule: DirectionRule | None = None, remember_ended: int = 20_000
    ) -> None:
        self.rule = rule or DirectionRule()
        self.anomalies: Counter[str] = Counter()
        self._calls: dict[CallKey, LiveCall] = {}
        self._channels: dict[ChannelKey, CallKey] = {}
        self._expected: dict[ChannelKey, str] = {}
        self._restoring: set[ChannelKey] = set()
        """Expected legs of calls known from before the start, until their PBX's
        first resync."""
        self._ended = RecentKeys(remember_ended)

    # --- queries ---

    def live_calls(self, pbx_id: PbxId | None = None) -> list[Call]:
        return [
            live.snapshot()
            for live in self._calls.values()
            if pbx_id is None or live.key[0] == pbx_id
        ]

    def call(self, pbx_id: PbxId, linkedid: str) -> Call | None:
        live = self._calls.get((pbx_id, linkedid))
        return live.snapshot() if live is not None else None

    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None:
        key = self._channels.get((pbx_id, channel_id))
        return self._calls[key].snapshot() if key is not None else None

    def call_with_channel(self, pbx_id: PbxId, channel: str) -> Call | None:
        """The live call with a live channel of that name (a scan: use sparingly)."""
        live = self._find_channel(pbx_id, channel)
        return live.snapshot() if live is not None else None

    def __len__(self) -> int:
        return len(self._calls)

    @property
    def tracked_channels(self) -> int:
        return len(self._channels)

    @property
    def pending_expectations(self) -> int:
        return len(self._expected)

    # --- updates ---

    def apply(self, event: TrackerInput) -> list[TelephonyEvent]:
        """Apply one input; return the telephony events it causes, in order."""
        out: list[TelephonyEvent] = []
        match event:
            case ChannelHungUp():
                self._hangup(event, out)
            case ChannelCreated() | ChannelStateChanged() | CallerIdChanged():
                live = self._route(event, out)
                if live is not None:
                    self._update(live, event, out)
            case BridgeEntered():
                live = self._route(event, out)
                if live is not None:
                    self._update(live, event, out)
                    self._enter_bridge(live, event, out)
            case BridgeLeft():
                live = self._route(event, out, adopt=False)
                if live is not None:
                    members = live.bridges.get(event.bridge_id)
                    if members is not None:
                        members.discard(event.channel_id)
                        if not members:
                            del live.bridges[event.bridge_id]
            case Resynced():
                self._resync(event, out)
            case CallsKnown():
                self._know(event)
            case LegExpected():
                for channel_id in event.channel_ids:
                    self._expected[(event.pbx_id, channel_id)] = event.joins_channel
            case LegExpectationDropped():
                for channel_id in event.channel_ids:
                    self._expected.pop((event.pbx_id, channel_id), None)
        return out

    def _route(
        self, event: ChannelEvent, out: list[TelephonyEvent], *, adopt: bool = True
    ) -> LiveCall | None:
        """The live call of the event's channel, creating it for a new channel."""
        ckey = (event.pbx_id, event.channel_id)
        key = self._channels.get(ckey)
        if key is not None:
            live = self._calls[key]
            leg = live.legs[event.channel_id]
            if leg.ended_at is not None:
                self.anomalies["event for a hung-up channel"] += 1
                return None
            if event.linkedid != key[1]:
                return self._relink(live, event, out)
            return live
        if ckey in self._ended:
            self.anomalies["event after the channel's hangup"] += 1
            return None
        if not adopt:
            self.anomalies["event for an unknown channel"] += 1
            return None
        if not isinstance(event, ChannelCreated):
            self.anomalies["adopted a channel seen first mid-call"] += 1
        return self._new_channel(event, out)

    def _new_channel(
        self, event: ChannelEvent, out: list[TelephonyEvent]
    ) -> LiveCall | None:
        ckey = (event.pbx_id, event.channel_id)
        joins = self._expected.pop(ckey, None)
        if joins is not None:
            target = self._find_channel(event.pbx_id, joins)
            if target is None:
                self.anomalies["leg for a call that has ended"] += 1
                self._ended.add(ckey)
                return None
            self._add_leg(target, event)
            return target
        key = (event.pbx_id, event.linkedid)
        if key in self._ended:
            self.anomalies["channel of an ended call"] += 1
            self._ended.add(ckey)
            return None
        live = self._calls.get(key) or self._call_of_linked(event)
        if live is None:
            live = self._arrive(event, out)
        self._add_leg(live, event)
        return live

    def _call_of_linked(self, event: ChannelEvent) -> LiveCall | None:
        """The call of the channel the event's Linkedid names, when that channel
        was folded into a call keyed otherwise: a leg originated into a call keeps
        its own Linkedid on its `;2` half, so what that half dials (the agent's
        phone, a transfer's consultation) names it and belongs to the same call."""
        key = self._channels.get((event.pbx_id, ChannelId(event.linkedid)))
        return self._calls[key] if key is not None else None

    def _find_channel(self, pbx_id: PbxId, channel: str) -> LiveCall | None:
        for live in self._calls.values():
            if live.key[0] != pbx_id:
                continue
            for leg in live.legs.values():
                if leg.channel == channel and leg.ended_at is None:
                    return live
        return None

    def _arrive(self, event: ChannelEvent, out: list[TelephonyEvent]) -> LiveCall:
        key = (event.pbx_id, event.linkedid)
        cid = call_id(event.pbx_id, event.linkedid)
        live = LiveCall(
            key=key,
            call_id=cid,
            direction=self.rule.direction(event.context),
            first=event.channel_id,
            first_channel=event.channel,
            ani=event.caller_num,
            ani_name=event.caller_name,
            dnis=event.exten,
            arrived_at=event.now,
        )
        self._calls[key] = live
        if live.ani or not isinstance(event, ChannelCreated):
            self._announce(live, out)
        return live

    def _announce(self, live: LiveCall, out: list[TelephonyEvent]) -> None:
        """Publish the call's CallArrived once, before any other event of it."""
        if live.announced:
            return
        live.announced = True
        out.append(
            CallArrived(
                occurred_at=live.arrived_at,
                call_id=live.call_id,
                pbx_id=live.key[0],
                linkedid=live.key[1],
                direction=live.direction,
                ani=live.ani,
                ani_name=live.ani_name,
                dnis=live.dnis,
                channel=live.first_channel,
            )
        )

    def _add_leg(self, live: LiveCall, event: ChannelEvent) -> None:
        live.legs[event.channel_id] = Leg(
            channel_id=event.channel_id,
            channel=event.channel,
            state=event.state,
            caller_num=event.caller_num,
            caller_name=event.caller_name,
            context=event.context,
            exten=event.exten,
            created_at=event.now,
        )
        self._channels[(event.pbx_id, event.channel_id)] = live.key

    def _relink(
        self, live: LiveCall, event: ChannelEvent, out: list[TelephonyEvent]
    ) -> LiveCall:
        """The channel now reports another call's Linkedid (Asterisk relinks a
        channel bridged into another call): move it there when that call is known."""
        target = self._calls.get((event.pbx_id, event.linkedid))
        if target is None or target is live:
            return live
        leg = live.legs.pop(event.channel_id)
        target.legs[event.channel_id] = leg
        self._channels[(event.pbx_id, event.channel_id)] = target.key
        for members in live.bridges.values():
            members.discard(event.channel_id)
        if not live.legs or live.all_ended():
            self._end(live, event.now, EndReason.HANGUP, out)
        return target

    def _update(
        self, live: LiveCall, event: ChannelEvent, out: list[TelephonyEvent]
    ) -> None:
        leg = live.legs[event.channel_id]
        if leg.state != event.state or (
            isinstance(event, CallerIdChanged) and leg.caller_num != event.caller_num
        ):
            answered = leg.answered_at
            if event.state == UP and answered is None:
                answered = event.now
            leg = replace(
                leg,
                state=event.state,
                caller_num=event.caller_num,
                caller_name=event.caller_name,
                answered_at=answered,
            )
            live.legs[event.channel_id] = leg
        if isinstance(event, CallerIdChanged) and event.channel_id == live.first:
            live.ani = event.caller_num
            live.ani_name = event.caller_name
        if not isinstance(event, ChannelCreated):
            self._announce(live, out)
        if event.state == UP and live.answered_at is None:
            live.answered_at = event.now
            out.append(
                CallAnswered(
                    occurred_at=event.now,
                    call_id=live.call_id,
                    pbx_id=live.key[0],
                    channel=event.channel,
                )
            )

    def _enter_bridge(
        self, live: LiveCall, event: BridgeEntered, out: list[TelephonyEvent]
    ) -> None:
        members = live.bridges.setdefault(event.bridge_id, set())
        members.add(event.channel_id)
        if live.bridged_at is None and (
            len(members) >= 2 or event.bridge_channels >= 2
        ):
            live.bridged_at = event.now
            out.append(
                CallBridged(
                    occurred_at=event.now,
                    call_id=live.call_id,
                    pbx_id=live.key[0],
                    bridge_id=event.bridge_id,
                    channels=tuple(sorted(live.legs[c].channel for c in members)),
                )
            )

    def _hangup(self, event: ChannelHungUp, out: list[TelephonyEvent]) -> None:
        ckey = (event.pbx_id, event.channel_id)
        key = self._channels.get(ckey)
        if key is None:
            if ckey in self._ended:
                self.anomalies["duplicate hangup"] += 1
                return
            self.anomalies["hangup of an unknown channel"] += 1
            self._expected.pop(ckey, None)
            self._ended.add(ckey)
            return
        live = self._calls[key]
        leg = live.legs[event.channel_id]
        if leg.ended_at is not None:
            self.anomalies["duplicate hangup"] += 1
            return
        live.legs[event.channel_id] = replace(
            leg, ended_at=event.now, hangup_cause=event.cause, state=event.state
        )
        for members in live.bridges.values():
            members.discard(event.channel_id)
        # The first non-zero cause says why the call ended: a Local channel's
        # `;1` half often reports 0 "Unknown" before the real cause arrives
        # (dialer-amd.ami.txt, busy: 0 then 17 "User busy").
        if live.hangup_cause is None or (live.hangup_cause == 0 and event.cause != 0):
            live.hangup_cause = event.cause
            live.hangup_cause_text = event.cause_text
        if live.all_ended():
            self._announce(live, out)
            self._end(live, event.now, EndReason.HANGUP, out)

    def _end(
        self,
        live: LiveCall,
        now: datetime,
        reason: EndReason,
        out: list[TelephonyEvent],
    ) -> None:
        pbx_id = live.key[0]
        del self._calls[live.key]
        self._ended.add(live.key)
        for channel_id in live.legs:
            ckey = (pbx_id, channel_id)
            if self._channels.get(ckey) == live.key:
                del self._channels[ckey]
            self._ended.add(ckey)
        if not live.announced:
            return  # a leg merged into another call before it was ever news
        out.append(
            CallEnded(
                occurred_at=now,
                call_id=live.call_id,
                pbx_id=pbx_id,
                direction=live.direction,
                ani=live.ani,
                dnis=live.dnis,
                arrived_at=live.arrived_at,
                answered_at=live.answered_at,
                bridged_at=live.bridged_at,
                ended_at=now,
                hangup_cause=live.hangup_cause,
                hangup_cause_text=live.hangup_cause_text,
                reason=reason,
            )
        )

    def _know(self, event: CallsKnown) -> None:
        """Take the calls known from before the start as live and announced."""
        for known in event.calls:
            key = (known.pbx_id, known.linkedid)
            if key in self._calls or key in self._ended:
                continue
            self._calls[key] = LiveCall(
                key=key,
                call_id=call_id(known.pbx_id, known.linkedid),
                direction=known.direction,
                first=ChannelId(known.linkedid),
                first_channel=known.channel,
                ani=known.ani,
                ani_name=known.ani_name,
                dnis=known.dnis,
                arrived_at=known.arrived_at,
                answered_at=known.answered_at,
                bridged_at=known.bridged_at,
                announced=True,
                seen_at=known.seen_at,
            )
            for channel_id, joins in known.legs:
                self._expected[(known.pbx_id, channel_id)] = joins
                self._restoring.add((known.pbx_id, channel_id))

    def _resync(self, event: Resynced, out: list[TelephonyEvent]) -> None:
        """Make the PBX's calls match its channel list: end what is gone, drop the
        legs that hung up unseen, adopt what is new (CallArrived once per call). A
        call known from before the start is gone when no channel has its Linkedid:
        it ended while the service was down."""
        present = {c.channel_id: c for c in event.channels}
        linked = {c.linkedid for c in event.channels}
        for gone in [c for c in self._calls.values() if c.key[0] == event.pbx_id]:
            for channel_id, leg in list(gone.legs.items()):
                if channel_id not in present and leg.ended_at is None:
                    gone.legs[channel_id] = replace(leg, ended_at=event.now)
            if gone.seen_at is not None and gone.key[1] not in linked:
                gone.hangup_cause_text = SERVICE_DOWN_TEXT
                self._end(gone, gone.seen_at, EndReason.SERVICE_DOWN, out)
            elif gone.seen_at is None and gone.all_ended():
                gone.hangup_cause_text = VANISHED_TEXT
                self._announce(gone, out)
                self._end(gone, event.now, EndReason.VANISHED, out)
            gone.seen_at = None
        # Legs that join another call (and what they dial, which names them as
        # its Linkedid) come after the channels of the calls they join.
        joining = {cid for pbx, cid in self._expected if pbx == event.pbx_id}
        ordered = sorted(
            event.channels,
            key=lambda c: (
                c.linkedid in joining,
                c.linkedid,
                c.channel_id != c.linkedid,
            ),
        )
        for channel in ordered:
            ckey = (event.pbx_id, channel.channel_id)
            key = self._channels.get(ckey)
            if key is None:
                if (event.pbx_id, channel.linkedid) in self._ended:
                    self.anomalies["live channel of an ended call"] += 1
                    continue
                live = self._new_channel(channel, out)
                if live is None:
                    continue
                self.anomalies["adopted a channel at resync"] += 1
            else:
                live = self._calls[key]
            self._announce(live, out)
            self._adopt_state(live, channel)
        for ckey in [k for k in self._restoring if k[0] == event.pbx_id]:
            self._restoring.discard(ckey)
            self._expected.pop(ckey, None)

    def _adopt_state(self, live: LiveCall, channel: LiveChannel) -> None:
        """Take answer and bridge state from the snapshot without publishing it
        again: what happened while disconnected is not replayed as news."""
        leg = live.legs[channel.channel_id]
        if channel.state != leg.state:
            answered = leg.answered_at
            if channel.state == UP and answered is None:
                answered = channel.now
            live.legs[channel.channel_id] = replace(
                leg, state=channel.state, answered_at=answered
            )
        if channel.state == UP and live.answered_at is None:
            live.answered_at = channel.now
        if channel.bridge_id:
            members = live.bridges.setdefault(channel.bridge_id, set())
            members.add(channel.channel_id)
            if len(members) >= 2 and live.bridged_at is None:
                live.bridged_at = channel.now
