"""The call tracker when Asterisk restarts: with `Shutdown` announced (every
channel hung up with the shutdown cause first) or with a silent close (the calls
are missing from the channel list after the reconnect)."""

from __future__ import annotations

from datetime import timedelta

from telephony.ami_events import normalise
from telephony.ami_parse import AmiMessage
from telephony.calls import SHUTDOWN_TEXT, VANISHED_TEXT, CallTracker
from telephony.channel_events import (
    BridgeEntered,
    ChannelCreated,
    Resynced,
    ShutdownRequested,
)
from telephony.events import CallEnded, TelephonyEvent
from telephony.model import EndReason
from tests.unit.telephony.ami_traces import timed_messages
from tests.unit.telephony.test_calls import PBX, T0, Script, hangup, run


def ended(events: list[TelephonyEvent]) -> list[CallEnded]:
    return [e for e in events if isinstance(e, CallEnded)]


def test_calls_end_with_the_shutdown_when_asterisk_announces_it() -> None:
    tracker = CallTracker()
    events: list[TelephonyEvent] = []
    for seconds, message in timed_messages("restart-with-shutdown.ami.txt"):
        event = normalise(PBX, message, T0 + timedelta(seconds=seconds))
        if event is not None:
            events += tracker.apply(event)

    # The bridged call began before this connection: its channels are unknown.
    [gone] = ended(events)
    assert gone.call_id == "pbx1:in74450-p"
    assert gone.reason is EndReason.PBX_SHUTDOWN
    assert gone.reason.pbx_gone
    assert gone.hangup_cause_text == SHUTDOWN_TEXT
    assert gone.ended_at == T0 + timedelta(seconds=12.359)  # its last Hangup
    assert len(tracker) == 0


def test_only_the_shutdown_cause_counts_when_soft_hangups_are_read() -> None:
    fields = {
        "Event": "SoftHangupRequest",
        "Channel": "PJSIP/trunk-1",
        "ChannelStateDesc": "Up",
        "Uniqueid": "1.1",
        "Linkedid": "1.1",
    }
    shutdown = normalise(PBX, AmiMessage({**fields, "Cause": "4"}), T0)
    assert isinstance(shutdown, ShutdownRequested)
    assert normalise(PBX, AmiMessage({**fields, "Cause": "16"}), T0) is None


def test_call_ends_at_the_last_news_when_the_pbx_vanished_silently() -> None:
    tracker = CallTracker()
    s = Script()
    run(
        tracker,
        [
            s(ChannelCreated, "c"),
            s(ChannelCreated, "a", linkedid="c", context="cc-phones"),
            s(BridgeEntered, "c", bridge_id="b", state="Up"),
            s(BridgeEntered, "a", linkedid="c", bridge_id="b", state="Up"),
        ],
    )
    last_seen = T0 + timedelta(seconds=30)

    events = tracker.apply(
        Resynced(
            pbx_id=PBX,
            now=T0 + timedelta(minutes=5),
            channels=(),
            last_seen=last_seen,
        )
    )

    [gone] = ended(events)
    assert gone.reason is EndReason.VANISHED
    assert gone.hangup_cause_text == VANISHED_TEXT
    assert gone.ended_at == last_seen
    assert gone.talk_s == 26.0  # bridged at 4 s; the outage is not talk


def test_shutdown_of_one_leg_names_the_call_when_the_others_hang_up() -> None:
    tracker = CallTracker()
    s = Script()

    events = run(
        tracker,
        [
            s(ChannelCreated, "c"),
            s(ChannelCreated, "a", linkedid="c", context="cc-phones"),
            s(ShutdownRequested, "a", linkedid="c", state="Up"),
            hangup(s, "c"),
            hangup(s, "a", "c"),
        ],
    )

    [gone] = ended(events)
    assert gone.reason is EndReason.PBX_SHUTDOWN
