"""The call tracker across bridges: the agent leg that is itself a Local pair
dialling the phone (two bridges, then Local channel optimisation), bridges formed
in either order, callbacks, and the caller's time on hold."""

from __future__ import annotations

from datetime import timedelta

from telephony.ami_events import normalise
from telephony.calls import CallTracker
from telephony.channel_events import (
    BridgeEntered,
    BridgeLeft,
    ChannelCreated,
    ChannelStateChanged,
    DialStarted,
    LegExpected,
    MusicStarted,
    MusicStopped,
    TrackerInput,
)
from telephony.dialplan import HOLD_CONTEXT
from telephony.events import CallBridged, CallEnded, TelephonyEvent
from telephony.model import ChannelId, EndReason
from tests.unit.telephony.ami_traces import timed_messages
from tests.unit.telephony.test_calls import PBX, T0, E, Script, hangup, run

CALLER = "Local/8800@cc-inbound-00000000;2"
PHONE = "Local/1001@cc-agentphone-00000002;1"


def replay(tracker: CallTracker, name: str) -> list[TelephonyEvent]:
    """Feed a trace's events at the trace's times. The ACD's Originate of the
    agent leg came on another connection: its LegExpected is rebuilt from the
    OriginateResponse (AmiPbx announces it before sending, with `<id>-2` for the
    other half), and applied before the first event of the trace."""
    timed = timed_messages(name)
    out: list[TelephonyEvent] = []
    for _, message in timed:
        if message.get("Event") == "OriginateResponse" and (
            message.get("Application") == "Bridge"
        ):
            first = ChannelId(message["Uniqueid"])
            out += tracker.apply(
                LegExpected(
                    pbx_id=PBX,
                    channel_ids=(first, ChannelId(f"{first}-2")),
                    joins_channel=message["Data"],
                )
            )
    for seconds, message in timed:
        event = normalise(PBX, message, T0 + timedelta(seconds=seconds))
        if event is not None:
            out += tracker.apply(event)
    return out


def bridged(events: list[TelephonyEvent]) -> list[CallBridged]:
    return [e for e in events if isinstance(e, CallBridged)]


def test_call_is_bridged_once_with_the_phone_when_the_agent_leg_is_optimised() -> None:
    tracker = CallTracker()
    events = replay(tracker, "agent-leg-bridges.ami.txt")

    [bridge] = bridged(events)
    assert bridge.call_id == "pbx1:in74268-p"
    assert (bridge.caller_channel, bridge.caller_channel_id) == (CALLER, "in74268-i")
    assert (bridge.peer_channel, bridge.peer_channel_id) == (PHONE, "1796674272.4")
    # not the phone's own bridge (5.654, entered first): the caller's, at 5.654
    assert bridge.bridge_id == "a6641b38-ef73-46bd-9e38-648a8003482f"
    assert bridge.occurred_at == T0 + timedelta(seconds=5.654)
    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert ended.reason is EndReason.HANGUP
    assert ended.bridged_at == bridge.occurred_at
    assert 7.9 < ended.talk_s < 8.1
    assert ended.hold_s == 0.0  # music in cc-wait before the bridge is waiting
    assert len(tracker) == 0


def _agent_leg(s: Script) -> list[TrackerInput]:
    """Caller `c`; the agent leg `ag`/`ag-2` (a Local pair) originated into it,
    whose `;2` dials the phone `ph`."""
    return [
        s(ChannelCreated, "c"),
        LegExpected(
            pbx_id=PBX,
            channel_ids=(ChannelId("ag"), ChannelId("ag-2")),
            joins_channel="PJSIP/c",
        ),
        local(s, ChannelCreated, "ag", ";1"),
        local(s, ChannelCreated, "ag-2", ";2"),
        local(s, DialStarted, "ag-2", ";2"),
        s(ChannelCreated, "ph", linkedid="ag", context="cc-phones"),
        s(ChannelStateChanged, "ph", linkedid="ag", state="Up"),
    ]


def local(s: Script, kind: type[E], channel_id: str, half: str,
          **extra: str) -> E:  # fmt: skip
    """An event of the agent leg's Local half `half`."""
    name = f"Local/1001@cc-agent-00000001{half}"
    return s(kind, channel_id, linkedid="ag", context="cc-agent", name=name, **extra)


def test_phone_is_the_party_when_the_callers_bridge_forms_first() -> None:
    tracker = CallTracker()
    s = Script()
    early: list[TrackerInput] = [
        s(BridgeEntered, "c", bridge_id="callers", state="Up"),
        local(s, BridgeEntered, "ag", ";1", bridge_id="callers", state="Up"),
    ]
    phones: list[TrackerInput] = [
        s(BridgeEntered, "ph", linkedid="ag", bridge_id="dial", state="Up"),
        local(s, BridgeEntered, "ag-2", ";2", bridge_id="dial", state="Up"),
    ]

    before = run(tracker, [*_agent_leg(s), *early])
    after = run(tracker, phones)

    assert bridged(before) == []  # the agent leg still passes through to its dial
    [bridge] = bridged(after)
    assert (bridge.caller_channel_id, bridge.peer_channel_id) == ("c", "ph")


def _both_bridges(s: Script) -> list[TrackerInput]:
    """The agent leg up to both bridges: the phone's (Dial), then the caller's."""
    return [
        *_agent_leg(s),
        s(BridgeEntered, "ph", linkedid="ag", bridge_id="dial", state="Up"),
        local(s, BridgeEntered, "ag-2", ";2", bridge_id="dial", state="Up"),
        s(BridgeEntered, "c", bridge_id="callers", state="Up"),
        local(s, BridgeEntered, "ag", ";1", bridge_id="callers", state="Up"),
    ]


def _optimised(s: Script) -> list[TrackerInput]:
    """The caller swapped into the phone's bridge, the agent leg's pair hung up."""
    return [
        s(BridgeLeft, "c", bridge_id="callers", state="Up"),
        local(s, BridgeLeft, "ag-2", ";2", bridge_id="dial", state="Up"),
        s(BridgeEntered, "c", bridge_id="dial", state="Up"),
        hangup(s, "ag-2", "ag"),
        local(s, BridgeLeft, "ag", ";1", bridge_id="callers", state="Up"),
        hangup(s, "ag", "c"),
    ]


def test_nothing_is_announced_when_the_optimisation_swaps_the_caller() -> None:
    tracker = CallTracker()
    s = Script()
    run(tracker, _both_bridges(s))

    swap = run(tracker, _optimised(s))

    assert swap == []
    [call] = tracker.live_calls()
    assert {leg.channel_id for leg in call.legs if leg.ended_at is None} == {"c", "ph"}


def test_callers_party_is_the_phone_from_the_first_bridge_until_it_hangs_up() -> None:
    tracker = CallTracker()
    s = Script()

    def party() -> str | None:
        [call] = tracker.live_calls()
        return None if call.peer is None else call.peer.channel

    run(tracker, _both_bridges(s))
    assert party() == "PJSIP/ph"  # not the agent leg's `;1`, the caller's BRIDGEPEER
    run(tracker, _optimised(s))
    assert party() == "PJSIP/ph"
    run(tracker, [s(BridgeLeft, "ph", linkedid="c", bridge_id="dial", state="Up")])
    assert party() == "PJSIP/ph"  # left, not gone: an attended transfer's consult
    run(tracker, [hangup(s, "ph", "c")])
    assert party() is None


def test_no_local_half_is_named_when_the_phone_hangs_up_first() -> None:
    tracker = CallTracker()
    s = Script()
    run(
        tracker,
        [
            *_agent_leg(s),
            s(BridgeEntered, "c", bridge_id="callers", state="Up"),
            local(s, BridgeEntered, "ag", ";1", bridge_id="callers", state="Up"),
            s(BridgeEntered, "ph", linkedid="ag", bridge_id="dial", state="Up"),
            local(s, BridgeEntered, "ag-2", ";2", bridge_id="dial", state="Up"),
        ],
    )

    # A pair that is not optimised (Local/.../n) unwinds from the phone's side.
    events = run(
        tracker,
        [
            s(BridgeLeft, "ph", linkedid="ag", bridge_id="dial", state="Up"),
            hangup(s, "ph", "ag"),
            local(s, BridgeLeft, "ag-2", ";2", bridge_id="dial", state="Up"),
            hangup(s, "ag-2", "ag"),
            s(BridgeEntered, "c", bridge_id="callers", state="Up"),
        ],
    )

    assert bridged(events) == []


def test_callers_party_is_the_customer_when_a_callback_leg_dials_out() -> None:
    tracker = CallTracker()
    s = Script()

    def leg(kind: type[E], channel_id: str, half: str, **extra: str) -> E:
        name = f"Local/1001@cc-agent-00000002{half}"
        return s(kind, channel_id, linkedid="cb", context="cc-agent", name=name,
                 **extra)  # fmt: skip

    phone_first: list[TrackerInput] = [
        leg(ChannelCreated, "cb", ";1"),
        leg(ChannelCreated, "cb-2", ";2"),
        leg(DialStarted, "cb-2", ";2"),
        s(ChannelCreated, "ph", linkedid="cb", context="cc-phones"),
        s(BridgeEntered, "ph", linkedid="cb", bridge_id="dial", state="Up"),
        leg(BridgeEntered, "cb-2", ";2", bridge_id="dial", state="Up"),
    ]
    customer: list[TrackerInput] = [
        leg(DialStarted, "cb", ";1", state="Up"),
        s(ChannelCreated, "cust", linkedid="cb", context="cc-outbound"),
        s(BridgeEntered, "cust", linkedid="cb", bridge_id="out", state="Up"),
        leg(BridgeEntered, "cb", ";1", bridge_id="out", state="Up"),
    ]

    assert bridged(run(tracker, phone_first)) == []
    [bridge] = bridged(run(tracker, customer))

    assert (bridge.caller_channel_id, bridge.peer_channel_id) == ("cust", "ph")


def _bridged_call(s: Script) -> list[TrackerInput]:
    return [
        s(ChannelCreated, "c"),
        s(ChannelCreated, "a", linkedid="c", context="cc-phones"),
        s(BridgeEntered, "c", bridge_id="b", state="Up"),
        s(BridgeEntered, "a", linkedid="c", bridge_id="b", state="Up"),
    ]


def test_hold_counts_music_on_the_bridged_caller_when_the_agent_holds() -> None:
    tracker = CallTracker()
    s = Script()  # one second per event
    inputs: list[TrackerInput] = [
        s(ChannelCreated, "c"),
        s(MusicStarted, "c"),  # queued: waiting, not hold
        s(MusicStopped, "c"),
        s(ChannelCreated, "a", linkedid="c", context="cc-phones"),
        s(BridgeEntered, "c", bridge_id="b", state="Up"),
        s(BridgeEntered, "a", linkedid="c", bridge_id="b", state="Up"),
        s(MusicStarted, "a", linkedid="c"),  # not the caller's
        s(MusicStopped, "a", linkedid="c"),
        s(MusicStarted, "c", state="Up"),  # 1 s
        s(MusicStopped, "c", state="Up"),
        s(MusicStarted, "c", state="Up"),  # 2 s, still on hold at the end
        hangup(s, "a", "c"),
        hangup(s, "c"),
    ]

    events = run(tracker, inputs)

    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert ended.hold_s == 3.0
    assert ended.talk_s == 7.0


def test_hold_counts_music_in_the_hold_context_when_the_desk_holds_the_caller() -> None:
    tracker = CallTracker()
    s = Script()
    inputs: list[TrackerInput] = [
        s(ChannelCreated, "c"),
        s(MusicStarted, "c", context="cc-wait"),  # queued: waiting, not hold
        s(MusicStopped, "c", context="cc-wait"),
        s(ChannelCreated, "a", linkedid="c", context="cc-phones"),
        s(BridgeEntered, "c", bridge_id="b", state="Up"),
        s(BridgeEntered, "a", linkedid="c", bridge_id="b", state="Up"),
        s(BridgeLeft, "c", bridge_id="b", state="Up"),
        s(BridgeLeft, "a", linkedid="c", bridge_id="b", state="Up"),
        s(MusicStarted, "c", state="Up", context=HOLD_CONTEXT),  # 2 s on hold
        s(BridgeEntered, "c", bridge_id="b2", state="Up"),
        s(MusicStopped, "c", state="Up", context=HOLD_CONTEXT),
        s(BridgeEntered, "a", linkedid="c", bridge_id="b2", state="Up"),
        hangup(s, "a", "c"),
        hangup(s, "c"),
    ]

    events = run(tracker, inputs)

    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert ended.hold_s == 2.0


def test_bridged_event_repeats_only_for_a_new_party_when_the_caller_returns() -> None:
    tracker = CallTracker()
    s = Script()
    consult: list[TrackerInput] = [
        s(BridgeLeft, "a", linkedid="c", bridge_id="b", state="Up"),
        s(MusicStarted, "c", state="Up"),
        s(MusicStopped, "c", state="Up"),
        s(BridgeEntered, "a", linkedid="c", bridge_id="b", state="Up"),
    ]

    first = run(tracker, _bridged_call(s))
    again = run(tracker, consult)

    assert len(bridged(first)) == 1
    assert bridged(again) == []
