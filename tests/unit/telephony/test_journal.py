"""The call journal: the calls open when the service stopped, from a local file that
survives a killed process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from telephony.channel_events import KnownCall
from telephony.events import CallAnswered, CallArrived, CallBridged, CallEnded
from telephony.journal import JsonLinesCallJournal
from telephony.model import CallId, ChannelId, Direction, EndReason, PbxId

PBX = PbxId("pbx1")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def arrived(linkedid: str, seconds: float = 0) -> CallArrived:
    return CallArrived(
        occurred_at=at(seconds),
        call_id=CallId(f"{PBX}:{linkedid}"),
        pbx_id=PBX,
        linkedid=linkedid,
        direction=Direction.INBOUND,
        ani="+74951234567",
        ani_name="Ivan",
        dnis="2001",
        channel=f"Local/2001@cc-inbound-{linkedid};2",
    )


def ended(linkedid: str, seconds: float) -> CallEnded:
    return CallEnded(
        occurred_at=at(seconds),
        call_id=CallId(f"{PBX}:{linkedid}"),
        pbx_id=PBX,
        direction=Direction.INBOUND,
        ani="",
        dnis="",
        arrived_at=at(0),
        answered_at=None,
        bridged_at=None,
        ended_at=at(seconds),
        hangup_cause=16,
        hangup_cause_text="Normal Clearing",
        reason=EndReason.HANGUP,
    )


def reopened(path: Path) -> list[KnownCall]:
    """What a service started again reads (then it stops)."""
    journal = JsonLinesCallJournal(path)
    try:
        return journal.open_calls()
    finally:
        journal.close()


def test_open_calls_come_back_with_their_times_when_the_service_starts_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "calls.journal"
    before = JsonLinesCallJournal(path)
    assert before.open_calls() == []
    before.note(arrived("a"))
    before.note(arrived("b", 1))
    before.note(
        CallAnswered(
            occurred_at=at(2), call_id=CallId("pbx1:a"), pbx_id=PBX, channel="x"
        )
    )
    before.note(
        CallBridged(
            occurred_at=at(9),
            call_id=CallId("pbx1:a"),
            pbx_id=PBX,
            bridge_id="br",
            caller_channel="x",
            caller_channel_id=ChannelId("x"),
            peer_channel="y",
            peer_channel_id=ChannelId("y"),
        )
    )
    before.legs(CallId("pbx1:a"), [ChannelId("acd-1"), ChannelId("acd-1-2")], "x")
    before.note(ended("b", 4))
    before.alive(at(5))
    before.close()  # as a kill leaves it: nothing more is written

    [call] = reopened(path)
    assert (call.linkedid, call.pbx_id, call.ani, call.dnis) == (
        "a",
        PBX,
        "+74951234567",
        "2001",
    )
    assert (call.arrived_at, call.answered_at, call.bridged_at) == (at(0), at(2), at(9))
    assert call.seen_at == at(9)  # its own news came after the last heartbeat
    assert call.legs == (("acd-1", "x"), ("acd-1-2", "x"))


def test_a_line_cut_by_the_kill_is_skipped_when_read(tmp_path: Path) -> None:
    path = tmp_path / "calls.journal"
    journal = JsonLinesCallJournal(path)
    journal.open_calls()
    journal.note(arrived("a"))
    journal.alive(at(30))
    journal.close()
    with path.open("a") as file:
        file.write('{"op": "arrived", "call_id": "pbx1:b", "pbx')
    [call] = reopened(path)
    assert (call.linkedid, call.seen_at) == ("a", at(30))


def test_journal_keeps_only_open_calls_when_it_compacts(tmp_path: Path) -> None:
    path = tmp_path / "calls.journal"
    journal = JsonLinesCallJournal(path, compact_after=10)
    journal.open_calls()
    journal.note(arrived("kept"))
    for n in range(50):
        journal.note(arrived(f"c{n}", n))
        journal.note(ended(f"c{n}", n + 1))
    journal.close()
    assert len(path.read_text().splitlines()) < 25
    assert [c.linkedid for c in reopened(path)] == ["kept"]


def test_journal_that_cannot_be_written_loses_no_call_when_it_fails(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    journal = JsonLinesCallJournal(blocked / "calls.journal")  # under a file
    assert journal.open_calls() == []
    journal.note(arrived("a"))
    journal.alive(at(1))
    journal.close()
