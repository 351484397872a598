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

from telephony.call_bridges import caller_of, parties
from telephony.call_state import CallKey, ChannelKey, LiveCall, RecentKeys
from telephony.channel_events import (
    BridgeEntered,
    BridgeLeft,
    CallerIdChanged,
    ChannelCreated,
    ChannelEvent,
    ChannelHungUp,
    ChannelStateChanged,
    DialStarted,
    LegExpectationDropped,
    LegExpected,
    LiveChannel,
    MusicStarted,
    MusicStopped,
    Resynced,
    ShutdownRequested,
    TrackerInput,
)
from telephony.dialplan import HOLD_CONTEXT
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
VANISHED_TEXT = (
    "the PBX went away (restart or lost connection): the call was gone when it "
    "came back"
)
SHUTDOWN_TEXT = "the PBX hung the call up while shutting down or restarting"


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
                    self._enter_bridge(live, event.channel_id, event.bridge_id)
                    self._bridged(live, event.now, out)
            case BridgeLeft():
                live = self._route(event, out, adopt=False)
                if live is not None:
                    self._leave_bridge(live, event.channel_id)
            case DialStarted():
                live = self._route(event, out, adopt=False)
                if live is not None:
                    live.diallers.add(event.channel_id)
            case MusicStarted() | MusicStopped():
                live = self._route(event, out, adopt=False)
                if live is not None and event.channel_id == live.caller:
                    _hold(live, event)
            case ShutdownRequested():
                live = self._route(event, out, adopt=False)
                if live is not None:
                    live.shut_down = True
            case Resynced():
                self._resync(event, out)
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
            found = self._find_channel(event.pbx_id, joins)
            if found is None:
                self.anomalies["leg for a call that has ended"] += 1
                self._ended.add(ckey)
                return None
            target, joined = found
            if target.anchor != joined:  # the leg's Originate names the caller
                target.anchor, target.anchor_is_target = joined, True
                target.caller = None
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

    def _find_channel(
        self, pbx_id: PbxId, channel: str
    ) -> tuple[LiveCall, ChannelId] | None:
        """The live call holding the live channel named `channel`, and its id."""
        for live in self._calls.values():
            if live.key[0] != pbx_id:
                continue
            found = live.by_name.get(channel)
            if found is not None and live.legs[found].ended_at is None:
                return live, found
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
        live.by_name[event.channel] = event.channel_id
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
        self._leave_bridge(live, event.channel_id)
        live.diallers.discard(event.channel_id)
        if live.by_name.get(leg.channel) == event.channel_id:
            del live.by_name[leg.channel]
        target.legs[event.channel_id] = leg
        target.by_name[leg.channel] = event.channel_id
        self._channels[(event.pbx_id, event.channel_id)] = target.key
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
            live.legs[event.channel_id] = _updated_leg(leg, event, answered)
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

    def _enter_bridge(self, live: LiveCall, channel_id: ChannelId, bridge: str) -> None:
        """The channel is in `bridge` now (and in no other: a channel is in one
        bridge at a time, so a missed BridgeLeave is implied)."""
        if live.bridge_of.get(channel_id, bridge) != bridge:
            self._leave_bridge(live, channel_id)
        live.bridges.setdefault(bridge, {})[channel_id] = None
        live.bridge_of[channel_id] = bridge

    @staticmethod
    def _leave_bridge(live: LiveCall, channel_id: ChannelId) -> None:
        bridge = live.bridge_of.pop(channel_id, None)
        if bridge is None:
            return
        members = live.bridges[bridge]
        members.pop(channel_id, None)
        if not members:
            del live.bridges[bridge]

    def _bridged(
        self, live: LiveCall, now: datetime, out: list[TelephonyEvent] | None
    ) -> None:
        """Announce the caller's party when it is new (`out` None: take it in
        silently, as at resync). Local halves that only pass audio through are
        looked past, so optimising them away announces nothing."""
        if live.caller is None:
            live.caller = caller_of(live)
        caller = live.caller
        if caller is None or live.legs[caller].ended_at is not None:
            return
        found = parties(live, caller)
        if not found or live.peer in found:
            return
        peer = live.peer = found[0]
        if live.bridged_at is None:
            live.bridged_at = now
        if out is None:
            return
        self._announce(live, out)
        out.append(
            CallBridged(
                occurred_at=now,
                call_id=live.call_id,
                pbx_id=live.key[0],
                bridge_id=live.bridge_of[caller],
                caller_channel=live.legs[caller].channel,
                caller_channel_id=caller,
                peer_channel=live.legs[peer].channel,
                peer_channel_id=peer,
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
        live.legs[event.channel_id] = _hung_up_leg(leg, event)
        self._leave_bridge(live, event.channel_id)
        # The first non-zero cause says why the call ended: a Local channel's
        # `;1` half often reports 0 "Unknown" before the real cause arrives
        # (dialer-amd.ami.txt, busy: 0 then 17 "User busy").
        if live.hangup_cause is None or (live.hangup_cause == 0 and event.cause != 0):
            live.hangup_cause = event.cause
            live.hangup_cause_text = event.cause_text
        if live.all_ended():
            self._announce(live, out)
            if live.shut_down:
                live.hangup_cause_text = SHUTDOWN_TEXT
                self._end(live, event.now, EndReason.PBX_SHUTDOWN, out)
            else:
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
        if live.held_since is not None:
            live.hold_s += max(0.0, (now - live.held_since).total_seconds())
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
                hold_s=live.hold_s,
            )
        )

    def _resync(self, event: Resynced, out: list[TelephonyEvent]) -> None:
        """Make the PBX's calls match its channel list: end what is gone (at the
        last moment the PBX was known up), drop the legs that hung up unseen,
        adopt what is new (CallArrived once per call)."""
        present = {c.channel_id: c for c in event.channels}
        last_known = event.last_seen or event.now
        for gone in [c for c in self._calls.values() if c.key[0] == event.pbx_id]:
            ended_at = max(last_known, gone.arrived_at)
            for channel_id, leg in list(gone.legs.items()):
                if channel_id not in present and leg.ended_at is None:
                    gone.legs[channel_id] = replace(leg, ended_at=ended_at)
                    self._leave_bridge(gone, channel_id)
            if gone.all_ended():
                gone.hangup_cause_text = VANISHED_TEXT
                self._announce(gone, out)
                self._end(gone, ended_at, EndReason.VANISHED, out)
        ordered = sorted(
            event.channels, key=lambda c: (c.linkedid, c.channel_id != c.linkedid)
        )
        adopted: dict[CallKey, LiveCall] = {}
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
            adopted[live.key] = live
        for live in adopted.values():
            self._bridged(live, event.now, None)

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
            self._enter_bridge(live, channel.channel_id, channel.bridge_id)
        else:
            self._leave_bridge(live, channel.channel_id)


def _updated_leg(leg: Leg, event: ChannelEvent, answered_at: datetime | None) -> Leg:
    """The leg with the event's state and caller ID. Spelled out (here and in
    `_hung_up_leg`) rather than `dataclasses.replace`, which costs three times as
    much on the tracker's hottest path."""
    return Leg(
        channel_id=leg.channel_id, channel=leg.channel, state=event.state,
        caller_num=event.caller_num, caller_name=event.caller_name,
        context=leg.context, exten=leg.exten, created_at=leg.created_at,
        answered_at=answered_at,
    )  # fmt: skip


def _hung_up_leg(leg: Leg, event: ChannelHungUp) -> Leg:
    return Leg(
        channel_id=leg.channel_id, channel=leg.channel, state=event.state,
        caller_num=leg.caller_num, caller_name=leg.caller_name,
        context=leg.context, exten=leg.exten, created_at=leg.created_at,
        answered_at=leg.answered_at, ended_at=event.now, hangup_cause=event.cause,
    )  # fmt: skip


def _hold(live: LiveCall, event: MusicStarted | MusicStopped) -> None:
    """Count music on the caller's channel as hold once the call was bridged,
    while the channel is in a bridge (a phone's hold, a consultation) or in the
    hold context (the desk's hold moves it there); music while queued is
    waiting."""
    if isinstance(event, MusicStarted):
        where = event.channel_id in live.bridge_of or event.context == HOLD_CONTEXT
        bridged = live.bridged_at is not None and where
        if bridged and live.held_since is None:
            live.held_since = event.now
    elif live.held_since is not None:
        live.hold_s += max(0.0, (event.now - live.held_since).total_seconds())
        live.held_since = None
