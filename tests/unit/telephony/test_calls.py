"""The call tracker, fed from real Asterisk traces and from table-driven edge cases."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telephony.ami_events import NOISE_EVENTS, normalise, resynced
from telephony.ami_parse import AmiFramer, AmiMessage
from telephony.calls import VANISHED_TEXT, CallTracker, DirectionRule
from telephony.channel_events import (
    BridgeEntered,
    CallerIdChanged,
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
from telephony.model import ChannelId, Direction, EndReason, PbxId
from tests.unit.telephony.ami_traces import connections

E = TypeVar("E", bound=ChannelEvent)
PBX = PbxId("pbx1")
T0 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def feed_connection(
    tracker: CallTracker, name: str, index: int, *, start_s: float = 0
) -> list[TelephonyEvent]:
    """Replay what Asterisk sent on one connection of a trace, as the client does:
    announce bridged legs before their Originate, end with the resync replies."""
    conn = connections(name)[index]
    out: list[TelephonyEvent] = []
    for action in conn.sent:
        if action.action == "Originate" and action.get("Application") == "Bridge":
            ids = (ChannelId(action["ChannelId"]), ChannelId(action["OtherChannelId"]))
            out += tracker.apply(
                LegExpected(pbx_id=PBX, channel_ids=ids, joins_channel=action["Data"])
            )
    list_items: list[AmiMessage] = []
    framed = AmiFramer(skip_events=NOISE_EVENTS).feed(conn.received)
    for n, message in enumerate(framed):
        if not isinstance(message, AmiMessage):
            continue
        now = T0 + timedelta(seconds=start_s + n)
        if message.get("Event") == "CoreShowChannel":
            list_items.append(message)
        elif message.get("Event") == "CoreShowChannelsComplete":
            snapshot, bad = resynced(PBX, list_items, now)
            assert not bad
            out += tracker.apply(snapshot)
            list_items = []
        else:
            event = normalise(PBX, message, now)
            if event is not None:
                out += tracker.apply(event)
    return out


def of(
    kind: type[TelephonyEvent], events: list[TelephonyEvent]
) -> list[TelephonyEvent]:
    return [e for e in events if isinstance(e, kind)]


# --- real traces ----------------------------------------------------------------


def test_inbound_call_is_one_call_when_agent_leg_is_bridged_in() -> None:
    tracker = CallTracker()
    events = feed_connection(tracker, "inbound-spine.ami.txt", 0)

    kinds = [type(e).__name__ for e in events]
    assert kinds == ["CallArrived", "CallAnswered", "CallBridged", "CallEnded"]
    arrived, _, bridged, ended = events
    assert isinstance(arrived, CallArrived)
    assert arrived.call_id == "pbx1:caller-1"
    assert arrived.direction is Direction.INBOUND
    assert arrived.dnis == "2001"
    assert isinstance(bridged, CallBridged)
    assert (bridged.caller_channel, bridged.caller_channel_id) == (
        "Local/2001@cc-inbound-00000004;2",
        "caller-1b",
    )
    assert (bridged.peer_channel, bridged.peer_channel_id) == (
        "Local/1001@cc-agentphone-00000005;1",
        "agent-1",
    )
    assert isinstance(ended, CallEnded)
    assert ended.ani == "+74951234567"
    assert ended.hangup_cause == 16
    assert ended.hangup_cause_text == "Normal Clearing"
    assert ended.reason is EndReason.HANGUP
    assert ended.arrived_at < ended.answered_at  # type: ignore[operator]  # set above
    assert ended.talk_s > 0
    assert len(tracker) == 0
    assert tracker.tracked_channels == 0
    assert tracker.pending_expectations == 0


def test_caller_id_is_taken_when_newcallerid_follows_the_first_channel() -> None:
    tracker = CallTracker()
    conn = connections("inbound-spine.ami.txt")[0]
    framed = AmiFramer().feed(conn.received)
    for n, message in enumerate(framed):
        if isinstance(message, AmiMessage):
            event = normalise(PBX, message, T0 + timedelta(seconds=n))
            if event is not None:
                tracker.apply(event)
        if message == framed[-1] or len(tracker) == 0:
            continue
        call = tracker.call(PBX, "caller-1")
        if call is not None and call.answered_at is not None:
            assert call.ani == "+74951234567"
            assert call.ani_name == "Ivan Petrov"
            assert call.legs[0].channel == "Local/2001@cc-inbound-00000004;1"
            return
    pytest.fail("the call was never answered")


def test_agent_leg_relinks_into_the_call_when_originate_was_not_announced() -> None:
    tracker = CallTracker()
    conn = connections("inbound-spine.ami.txt")[0]
    events: list[TelephonyEvent] = []
    for n, message in enumerate(AmiFramer().feed(conn.received)):
        if isinstance(message, AmiMessage):
            event = normalise(PBX, message, T0 + timedelta(seconds=n))
            if event is not None:
                events += tracker.apply(event)
    arrived = [e.call_id for e in events if isinstance(e, CallArrived)]
    ended = [e.call_id for e in events if isinstance(e, CallEnded)]
    # Without the announcement the agent leg is a call of its own until Asterisk
    # relinks it; the caller's call still sees the bridge.
    assert sorted(arrived) == sorted(ended) == ["pbx1:agent-1", "pbx1:caller-1"]
    assert len(of(CallBridged, events)) == 1
    assert len(tracker) == 0


def test_dialer_legs_are_four_outbound_calls_with_their_causes() -> None:
    tracker = CallTracker()
    events = feed_connection(tracker, "dialer-amd.ami.txt", 0)

    ended = [e for e in events if isinstance(e, CallEnded)]
    assert len(of(CallArrived, events)) == 4
    assert [e.direction for e in ended] == [Direction.OUTBOUND] * 4
    assert [(e.hangup_cause, e.hangup_cause_text) for e in ended] == [
        (16, "Normal Clearing"),
        (16, "Normal Clearing"),
        (19, "User alerting, no answer"),
        (17, "User busy"),
    ]
    assert [e.answered_at is not None for e in ended] == [True, True, False, False]
    assert all(e.ani == "+74950000000" for e in ended)
    assert len(tracker) == 0


def test_call_vanishes_when_pbx_restarts_and_lists_no_channels() -> None:
    tracker = CallTracker()
    before = feed_connection(tracker, "restart.ami.txt", 0)
    assert len(of(CallArrived, before)) == 1
    assert len(tracker) == 1
    refused = feed_connection(tracker, "restart.ami.txt", 1, start_s=100)
    assert refused == []

    after = feed_connection(tracker, "restart.ami.txt", 2, start_s=200)

    assert len(after) == 1
    ended = after[0]
    assert isinstance(ended, CallEnded)
    assert ended.reason is EndReason.VANISHED
    assert ended.hangup_cause_text == VANISHED_TEXT
    assert ended.call_id == "pbx1:1795527685.8"
    assert len(tracker) == 0


def test_failed_originate_arrives_and_ends_when_context_does_not_exist() -> None:
    tracker = CallTracker()
    events = feed_connection(tracker, "ami-basics.ami.txt", 1)
    assert [type(e).__name__ for e in events] == ["CallArrived", "CallEnded"]
    assert events[1].hangup_cause == 0  # type: ignore[union-attr]
    assert events[1].direction is Direction.INTERNAL  # type: ignore[union-attr]


# --- edge cases -----------------------------------------------------------------


@dataclass
class Script:
    """Builds channel events at a running clock."""

    seconds: int = 0

    def __call__(
        self,
        kind: type[E],
        channel_id: str,
        *,
        linkedid: str | None = None,
        state: str = "Ring",
        context: str = "cc-inbound",
        caller: str = "+74951234567",
        name: str = "",
        **extra: object,
    ) -> E:
        """`name`: the channel's name (default `PJSIP/<channel_id>`)."""
        self.seconds += 1
        return kind(
            pbx_id=PBX,
            now=T0 + timedelta(seconds=self.seconds),
            channel_id=ChannelId(channel_id),
            channel=name or f"PJSIP/{channel_id}",
            linkedid=linkedid or channel_id,
            state=state,
            caller_num=caller,
            caller_name="",
            context=context,
            exten="2001",
            **extra,
        )


def hangup(s: Script, channel_id: str, linkedid: str | None = None) -> ChannelHungUp:
    return s(ChannelHungUp, channel_id, linkedid=linkedid, cause=16, cause_text="N")


def run(tracker: CallTracker, inputs: list[TrackerInput]) -> list[TelephonyEvent]:
    out: list[TelephonyEvent] = []
    for item in inputs:
        out += tracker.apply(item)
    return out


def names(events: list[TelephonyEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


@pytest.mark.parametrize(
    ("context", "direction"),
    [
        ("cc-inbound", Direction.INBOUND),
        ("from-trunk", Direction.INBOUND),
        ("cc-dialer", Direction.OUTBOUND),
        ("cc-party", Direction.OUTBOUND),
        ("agents", Direction.INTERNAL),
    ],
)
def test_direction_follows_the_rule_when_first_context_varies(
    context: str, direction: Direction
) -> None:
    rule = DirectionRule(inbound_contexts=frozenset({"cc-inbound", "from-trunk"}))
    tracker = CallTracker(rule=rule)
    s = Script()
    (arrived,) = tracker.apply(s(ChannelCreated, "a", context=context))
    assert isinstance(arrived, CallArrived)
    assert arrived.direction is direction


@pytest.mark.parametrize(
    ("inputs", "expected", "anomaly"),
    [
        pytest.param(
            lambda s: [s(ChannelCreated, "a"), hangup(s, "a"), hangup(s, "a")],
            ["CallArrived", "CallEnded"],
            "duplicate hangup",
            id="duplicate hangup after the end",
        ),
        pytest.param(
            lambda s: [
                s(ChannelCreated, "a"),
                s(ChannelCreated, "b", linkedid="a"),
                hangup(s, "b", "a"),
                hangup(s, "b", "a"),
                hangup(s, "a"),
            ],
            ["CallArrived", "CallEnded"],
            "duplicate hangup",
            id="duplicate hangup of one leg",
        ),
        pytest.param(
            lambda s: [hangup(s, "x")],
            [],
            "hangup of an unknown channel",
            id="hangup of an unknown channel",
        ),
        pytest.param(
            lambda s: [s(ChannelStateChanged, "a", state="Up"), hangup(s, "a")],
            ["CallArrived", "CallAnswered", "CallEnded"],
            "adopted a channel seen first mid-call",
            id="first seen mid-call",
        ),
        pytest.param(
            lambda s: [
                s(ChannelCreated, "a"),
                hangup(s, "a"),
                s(ChannelStateChanged, "a", state="Up"),
            ],
            ["CallArrived", "CallEnded"],
            "event after the channel's hangup",
            id="late event after the end",
        ),
        pytest.param(
            lambda s: [
                s(ChannelCreated, "a"),
                hangup(s, "a"),
                s(ChannelCreated, "b", linkedid="a"),
            ],
            ["CallArrived", "CallEnded"],
            "channel of an ended call",
            id="new channel of an ended call",
        ),
        pytest.param(
            lambda s: [
                LegExpected(
                    pbx_id=PBX, channel_ids=(ChannelId("g"),), joins_channel="PJSIP/a"
                ),
                s(ChannelCreated, "g"),
                hangup(s, "g"),
            ],
            [],
            "leg for a call that has ended",
            id="agent leg after the caller left",
        ),
    ],
)
def test_odd_inputs_are_counted_not_fatal_when_they_do_not_fit_a_call(
    inputs: object, expected: list[str], anomaly: str
) -> None:
    tracker = CallTracker()
    events = run(tracker, inputs(Script()))  # type: ignore[operator]  # a lambda
    assert names(events) == expected
    assert tracker.anomalies[anomaly] >= 1
    assert len(tracker) == 0


def test_ani_is_empty_when_asterisk_says_unknown() -> None:
    message = AmiMessage(
        {
            "Event": "Newchannel",
            "Channel": "PJSIP/trunk-1",
            "ChannelStateDesc": "Ring",
            "CallerIDNum": "<unknown>",
            "CallerIDName": "<unknown>",
            "Context": "cc-inbound",
            "Exten": "2001",
            "Uniqueid": "1.1",
            "Linkedid": "1.1",
        }
    )
    event = normalise(PBX, message, T0)
    assert event is not None
    tracker = CallTracker()
    assert tracker.apply(event) == []
    state = normalise(PBX, AmiMessage({**message.fields, "Event": "Newstate"}), T0)
    assert state is not None
    (arrived,) = tracker.apply(state)
    assert isinstance(arrived, CallArrived)
    assert (arrived.ani, arrived.ani_name) == ("", "")


def test_arrival_waits_for_the_caller_id_when_newchannel_has_none() -> None:
    tracker = CallTracker()
    s = Script()
    assert run(tracker, [s(ChannelCreated, "a", caller="")]) == []
    (arrived,) = tracker.apply(s(CallerIdChanged, "a", caller="+74951234567"))
    assert isinstance(arrived, CallArrived)
    assert arrived.ani == "+74951234567"
    assert arrived.occurred_at == T0 + timedelta(seconds=1)


def test_arrival_comes_before_the_end_when_a_call_hangs_up_at_once() -> None:
    tracker = CallTracker()
    s = Script()
    events = run(tracker, [s(ChannelCreated, "a", caller=""), hangup(s, "a")])
    assert names(events) == ["CallArrived", "CallEnded"]


def test_ani_follows_newcallerid_when_it_names_the_first_channel() -> None:
    tracker = CallTracker()
    s = Script()
    run(
        tracker,
        [s(ChannelCreated, "a", caller=""), s(ChannelCreated, "b", linkedid="a")],
    )
    tracker.apply(s(CallerIdChanged, "b", linkedid="a", caller="+7999"))
    assert tracker.call(PBX, "a").ani == ""  # type: ignore[union-attr]
    tracker.apply(s(CallerIdChanged, "a", caller="+74951234567"))
    assert tracker.call(PBX, "a").ani == "+74951234567"  # type: ignore[union-attr]


def test_bridged_is_published_once_when_channels_enter_two_bridges() -> None:
    tracker = CallTracker()
    s = Script()
    events = run(
        tracker,
        [
            s(ChannelCreated, "a"),
            s(ChannelCreated, "b", linkedid="a"),
            s(BridgeEntered, "a", bridge_id="br1", state="Up"),
            s(BridgeEntered, "b", linkedid="a", bridge_id="br1"),
            s(BridgeEntered, "a", bridge_id="br2", state="Up"),
            s(BridgeEntered, "b", linkedid="a", bridge_id="br2"),
        ],
    )
    assert names(events) == ["CallArrived", "CallAnswered", "CallBridged"]


def live(s: Script, channel_id: str, linkedid: str | None = None) -> LiveChannel:
    return s(LiveChannel, channel_id, linkedid=linkedid, state="Up")


def test_resync_keeps_adopts_and_ends_when_snapshot_differs() -> None:
    tracker = CallTracker()
    s = Script()
    run(
        tracker,
        [
            s(ChannelCreated, "kept"),
            s(ChannelCreated, "kept-2", linkedid="kept"),
            s(ChannelCreated, "gone"),
        ],
    )
    snapshot = Resynced(
        pbx_id=PBX,
        now=T0 + timedelta(hours=1),
        channels=(live(s, "kept"), live(s, "new")),
    )

    events = tracker.apply(snapshot)
    again = tracker.apply(snapshot)

    assert names(events) == ["CallEnded", "CallArrived"]
    ended, arrived = events
    assert isinstance(ended, CallEnded)
    assert (ended.call_id, ended.reason) == ("pbx1:gone", EndReason.VANISHED)
    assert isinstance(arrived, CallArrived)
    assert arrived.call_id == "pbx1:new"
    assert again == []
    kept = tracker.call(PBX, "kept")
    assert kept is not None
    assert [leg.ended_at is None for leg in kept.legs] == [True, False]
    assert kept.answered_at is not None
    assert tracker.call(PBX, "new").answered_at is not None  # type: ignore[union-attr]


def test_resync_touches_only_its_pbx_when_several_are_tracked() -> None:
    tracker = CallTracker()
    s = Script()
    tracker.apply(s(ChannelCreated, "a"))
    other = PbxId("pbx2")
    assert tracker.apply(Resynced(pbx_id=other, now=T0, channels=())) == []
    assert len(tracker) == 1


def test_expected_leg_joins_the_call_when_its_channel_appears() -> None:
    tracker = CallTracker()
    s = Script()
    tracker.apply(s(ChannelCreated, "caller"))
    tracker.apply(
        LegExpected(
            pbx_id=PBX, channel_ids=(ChannelId("agent"),), joins_channel="PJSIP/caller"
        )
    )
    events = tracker.apply(s(ChannelCreated, "agent", context="agents"))
    assert events == []
    call = tracker.call(PBX, "caller")
    assert call is not None
    assert [leg.channel_id for leg in call.legs] == ["caller", "agent"]
    tracker.apply(LegExpectationDropped(pbx_id=PBX, channel_ids=(ChannelId("agent"),)))
    assert tracker.pending_expectations == 0


def test_memory_stays_flat_when_many_calls_come_and_go() -> None:
    tracker = CallTracker(remember_ended=100)
    s = Script()
    for n in range(1000):
        a, b = f"{n}.1", f"{n}.2"
        run(
            tracker,
            [
                s(ChannelCreated, a),
                s(ChannelCreated, b, linkedid=a),
                s(ChannelStateChanged, b, linkedid=a, state="Up"),
                hangup(s, a),
                hangup(s, b, a),
            ],
        )
    assert len(tracker) == 0
    assert tracker.tracked_channels == 0
    assert len(tracker._ended) == 100


# --- invariants -----------------------------------------------------------------

_KINDS = st.sampled_from(["create", "up", "bridge", "callerid"])


@st.composite
def scenarios(draw: st.DrawFn) -> list[TrackerInput]:
    """A few calls of a few channels each; each channel's events in any order,
    duplicated at random, every channel hung up at least once somewhere."""
    s = Script()
    inputs: list[TrackerInput] = []
    for call in range(draw(st.integers(1, 3))):
        linkedid = f"c{call}"
        for leg in range(draw(st.integers(1, 3))):
            channel = f"{linkedid}-{leg}" if leg else linkedid
            for kind in draw(st.lists(_KINDS, max_size=5)):
                inputs.append(_event(s, kind, channel, linkedid))
            inputs.append(hangup(s, channel, linkedid))
    inputs += draw(st.lists(st.sampled_from(inputs), max_size=6))
    if draw(st.booleans()):
        inputs.append(Resynced(pbx_id=PBX, now=T0, channels=()))
    return draw(st.permutations(inputs))


def _event(s: Script, kind: str, channel: str, linkedid: str) -> TrackerInput:
    if kind == "create":
        return s(ChannelCreated, channel, linkedid=linkedid)
    if kind == "up":
        return s(ChannelStateChanged, channel, linkedid=linkedid, state="Up")
    if kind == "callerid":
        return s(CallerIdChanged, channel, linkedid=linkedid, caller="+1")
    return s(BridgeEntered, channel, linkedid=linkedid, bridge_id="b")


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_each_call_arrives_and_ends_once_when_events_come_in_any_order(
    inputs: list[TrackerInput],
) -> None:
    tracker = CallTracker()
    events = run(tracker, inputs)

    arrived = Counter(e.call_id for e in events if isinstance(e, CallArrived))
    ended = Counter(e.call_id for e in events if isinstance(e, CallEnded))
    answered = Counter(e.call_id for e in events if isinstance(e, CallAnswered))
    assert all(n == 1 for n in arrived.values())
    assert arrived == ended
    assert all(n == 1 for n in answered.values())
    assert len(tracker) == 0
    assert tracker.tracked_channels == 0
