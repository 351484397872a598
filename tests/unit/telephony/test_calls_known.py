"""The tracker after a restart of the service: calls known from before are kept when
their PBX still has them and ended, as unseen, when it does not."""

from __future__ import annotations

from datetime import timedelta

from telephony.calls import SERVICE_DOWN_TEXT, CallTracker
from telephony.channel_events import (
    CallsKnown,
    ChannelCreated,
    KnownCall,
    Resynced,
)
from telephony.events import CallEnded
from telephony.model import ChannelId, Direction, EndReason, PbxId
from tests.unit.telephony.test_calls import PBX, T0, Script, live, names

SEEN = T0 + timedelta(minutes=5)


def known(
    linkedid: str,
    *,
    pbx_id: PbxId = PBX,
    legs: tuple[tuple[ChannelId, str], ...] = (),
) -> KnownCall:
    return KnownCall(
        pbx_id=pbx_id,
        linkedid=linkedid,
        direction=Direction.INBOUND,
        ani="+74951234567",
        ani_name="Ivan",
        dnis="2001",
        channel=f"PJSIP/{linkedid}",
        arrived_at=T0,
        answered_at=T0 + timedelta(seconds=1),
        bridged_at=T0 + timedelta(seconds=40),
        seen_at=SEEN,
        legs=legs,
    )


def test_known_call_still_there_is_kept_without_a_second_arrival_when_resynced() -> (
    None
):
    tracker = CallTracker()
    s = Script()
    tracker.apply(CallsKnown(calls=(known("kept"),)))
    events = tracker.apply(
        Resynced(
            pbx_id=PBX,
            now=SEEN + timedelta(seconds=9),
            channels=(live(s, "kept"), live(s, "kept-2", linkedid="kept")),
        )
    )
    assert events == []
    call = tracker.call(PBX, "kept")
    assert call is not None
    assert (call.arrived_at, call.bridged_at) == (T0, T0 + timedelta(seconds=40))
    assert len(call.legs) == 2


def test_known_call_gone_ends_unseen_at_the_last_time_seen_when_resynced() -> None:
    tracker = CallTracker()
    tracker.apply(CallsKnown(calls=(known("gone"),)))
    events = tracker.apply(
        Resynced(pbx_id=PBX, now=SEEN + timedelta(seconds=9), channels=())
    )
    [ended] = events
    assert isinstance(ended, CallEnded)
    assert (ended.call_id, ended.reason, ended.ended_at) == (
        "pbx1:gone",
        EndReason.SERVICE_DOWN,
        SEEN,
    )
    assert ended.hangup_cause_text == SERVICE_DOWN_TEXT
    assert ended.talk_s == (SEEN - T0).total_seconds() - 40
    assert not ended.reason.pbx_gone
    assert len(tracker) == 0


def test_kept_call_vanishes_as_usual_when_a_later_reconnect_misses_it() -> None:
    tracker = CallTracker()
    s = Script()
    tracker.apply(CallsKnown(calls=(known("kept"),)))
    tracker.apply(Resynced(pbx_id=PBX, now=SEEN, channels=(live(s, "kept"),)))
    [ended] = tracker.apply(Resynced(pbx_id=PBX, now=SEEN, channels=()))
    assert isinstance(ended, CallEnded)
    assert ended.reason is EndReason.VANISHED


def test_known_calls_wait_for_their_own_pbx_when_another_resyncs() -> None:
    tracker = CallTracker()
    other = PbxId("pbx2")
    tracker.apply(CallsKnown(calls=(known("there", pbx_id=other),)))
    assert tracker.apply(Resynced(pbx_id=PBX, now=SEEN, channels=())) == []
    assert names(tracker.apply(Resynced(pbx_id=other, now=SEEN, channels=()))) == [
        "CallEnded"
    ]


def test_known_call_is_ignored_when_it_is_already_tracked() -> None:
    tracker = CallTracker()
    s = Script()
    tracker.apply(s(ChannelCreated, "busy"))
    tracker.apply(CallsKnown(calls=(known("busy"),)))
    call = tracker.call(PBX, "busy")
    assert call is not None
    assert call.arrived_at != T0


def test_legs_originated_into_a_known_call_rejoin_it_when_resynced() -> None:
    tracker = CallTracker()
    s = Script()
    caller = live(s, "kept-2", linkedid="kept")
    ring = (ChannelId("acd-1"), caller.channel)
    tracker.apply(CallsKnown(calls=(known("kept", legs=(ring,)),)))
    events = tracker.apply(
        Resynced(
            pbx_id=PBX,
            now=SEEN,
            channels=(
                live(s, "phone", linkedid="acd-1"),  # what the leg dialled
                live(s, "acd-1"),  # its own Linkedid, as Originate gives it
                caller,
            ),
        )
    )
    assert events == []
    assert len(tracker) == 1
    call = tracker.call_of_channel(PBX, ChannelId("phone"))
    assert call is not None
    assert call.call_id == "pbx1:kept"
    assert tracker.pending_expectations == 0


def test_phone_the_known_leg_dialled_rejoins_its_call_when_the_leg_is_gone() -> None:
    tracker = CallTracker()
    s = Script()
    caller = live(s, "kept-2", linkedid="kept")
    ring = (ChannelId("acd-1"), caller.channel)
    tracker.apply(CallsKnown(calls=(known("kept", legs=(ring,)),)))
    snapshot = (live(s, "phone", linkedid="acd-1"), caller)  # leg optimised away
    assert tracker.apply(Resynced(pbx_id=PBX, now=SEEN, channels=snapshot)) == []
    call = tracker.call_of_channel(PBX, ChannelId("phone"))
    assert call is not None
    assert call.call_id == "pbx1:kept"
