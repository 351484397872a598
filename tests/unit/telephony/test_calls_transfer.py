"""The call tracker through transfers: the consultation leg, the target taking the
agent's place, and channels dialled by a leg folded into the caller's call."""

from __future__ import annotations

from telephony.calls import CallTracker
from telephony.channel_events import (
    BridgeEntered,
    BridgeLeft,
    ChannelCreated,
    LegExpected,
    TrackerInput,
)
from telephony.events import CallArrived, CallBridged, CallEnded
from telephony.model import ChannelId
from tests.unit.telephony.test_calls import PBX, Script, hangup, names, run


def _caller_with_agent(s: Script) -> list[TrackerInput]:
    """Caller `c` bridged (br1) with an agent leg `ag`/`ag-2` originated into it."""
    return [
        s(ChannelCreated, "c"),
        LegExpected(
            pbx_id=PBX,
            channel_ids=(ChannelId("ag"), ChannelId("ag-2")),
            joins_channel="PJSIP/c",
        ),
        s(ChannelCreated, "ag", context="cc-agent"),
        s(ChannelCreated, "ag-2", linkedid="ag", context="cc-agent"),
        s(BridgeEntered, "c", state="Up", bridge_id="br1"),
        s(BridgeEntered, "ag", linkedid="c", state="Up", bridge_id="br1"),
    ]  # fmt: skip


def test_target_takes_the_agents_place_in_one_call_when_transfer_completes() -> None:
    tracker = CallTracker()
    s = Script()
    consult: list[TrackerInput] = [
        s(ChannelCreated, "t1", linkedid="c", context="cc-outbound"),
        s(ChannelCreated, "t2", linkedid="c", context="cc-outbound"),
        s(BridgeLeft, "ag", linkedid="c", state="Up", bridge_id="br1"),
        s(BridgeEntered, "ag", linkedid="c", state="Up", bridge_id="br2"),
        s(BridgeEntered, "t1", linkedid="c", state="Up", bridge_id="br2"),
        s(BridgeLeft, "ag", linkedid="c", state="Up", bridge_id="br2"),
        s(BridgeLeft, "t1", linkedid="c", state="Up", bridge_id="br2"),
        s(BridgeEntered, "t1", linkedid="c", state="Up", bridge_id="br1"),
        hangup(s, "ag", "c"),
        hangup(s, "ag-2", "ag"),
    ]  # fmt: skip

    events = run(tracker, [*_caller_with_agent(s), *consult])

    assert names(events) == [
        "CallArrived", "CallAnswered", "CallBridged", "CallBridged"
    ]  # fmt: skip
    first, second = (e for e in events if isinstance(e, CallBridged))
    assert (first.caller_channel_id, first.peer_channel_id) == ("c", "ag")
    assert (second.caller_channel_id, second.peer_channel_id) == ("c", "t1")
    [call] = tracker.live_calls()
    assert call.call_id == "pbx1:c"
    assert [leg.channel_id for leg in call.legs if leg.ended_at is None] == [
        "c",
        "t1",
        "t2",
    ]
    ended = run(tracker, [hangup(s, "c"), hangup(s, "t1", "c"), hangup(s, "t2", "c")])
    assert names(ended) == ["CallEnded"]
    assert isinstance(ended[0], CallEnded)
    assert ended[0].call_id == "pbx1:c"


def test_channel_joins_the_call_when_its_linkedid_names_a_folded_leg() -> None:
    tracker = CallTracker()
    s = Script()
    run(tracker, _caller_with_agent(s))

    events = run(
        tracker,
        [
            s(ChannelCreated, "phone", linkedid="ag", context="cc-phones"),
            s(ChannelCreated, "consult", linkedid="ag", context="cc-outbound"),
        ],
    )

    assert [e for e in events if isinstance(e, CallArrived)] == []
    [call] = tracker.live_calls()
    assert {"phone", "consult"} <= {leg.channel_id for leg in call.legs}
    assert tracker.call(PBX, "ag") is None


def test_callback_leg_is_a_call_of_its_own_when_nothing_names_it() -> None:
    tracker = CallTracker()
    s = Script()
    run(tracker, _caller_with_agent(s))

    events = run(
        tracker,
        [
            s(ChannelCreated, "cb", context="cc-agent"),
            s(ChannelCreated, "cb-2", linkedid="cb", context="cc-agent"),
        ],
    )

    assert names(events) == ["CallArrived"]
    assert sorted(c.call_id for c in tracker.live_calls()) == ["pbx1:c", "pbx1:cb"]
