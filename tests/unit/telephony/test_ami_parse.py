"""AMI framing against recorded transcripts: real traces, failed login, event list,
cut frames, garbage bytes and huge fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.ami_parse import (
    AmiFramer,
    AmiMessage,
    Banner,
    FramingProblem,
    Parsed,
    encode,
    encode_message,
    parse_block,
    parse_lines,
)
from tests.unit.telephony.ami_traces import connections

FAILED_LOGIN = (
    b"Asterisk Call Manager/9.0.0\r\n"
    b"Response: Error\r\nActionID: cc-1\r\nMessage: Authentication failed\r\n\r\n"
)
EVENT_LIST = (
    b"Response: Success\r\nActionID: cc-3\r\nEventList: start\r\n"
    b"Message: Channels will follow\r\n\r\n"
    b"Event: CoreShowChannel\r\nActionID: cc-3\r\nChannel: PJSIP/1-0001\r\n"
    b"Uniqueid: 1.1\r\nLinkedid: 1.1\r\nBridgeId: \r\n\r\n"
    b"Event: CoreShowChannelsComplete\r\nActionID: cc-3\r\nEventList: Complete\r\n"
    b"ListItems: 1\r\n\r\n"
)


def messages(parsed: list[Parsed]) -> list[AmiMessage]:
    return [p for p in parsed if isinstance(p, AmiMessage)]


def problems(parsed: list[Parsed]) -> list[FramingProblem]:
    return [p for p in parsed if isinstance(p, FramingProblem)]


@pytest.mark.parametrize(
    "name",
    [
        "ami-basics.ami.txt",
        "inbound-spine.ami.txt",
        "dialer-amd.ami.txt",
        "restart.ami.txt",
        "agi-hangup.ami.txt",
        "agent-leg-bridges.ami.txt",
        "restart-with-shutdown.ami.txt",
    ],
)
def test_traces_parse_without_problems_when_fed_in_small_chunks(name: str) -> None:
    for conn in connections(name):
        whole = AmiFramer().feed(conn.received)
        framer = AmiFramer()
        chunked: list[Parsed] = []
        for start in range(0, len(conn.received), 7):
            chunked += framer.feed(conn.received[start : start + 7])
        assert chunked == whole
        assert problems(whole) == []
        # The two newest traces were recorded from the login on, without the banner.
        banner = conn.received.startswith(b"Asterisk Call Manager/")
        assert isinstance(whole[0], Banner) is banner
        assert framer.reset() is None


def test_failed_login_is_an_error_reply_when_secret_is_wrong() -> None:
    parsed = AmiFramer().feed(FAILED_LOGIN)
    assert parsed[0] == Banner("Asterisk Call Manager/9.0.0")
    (reply,) = messages(parsed)
    assert (reply.response, reply.action_id, reply["Message"]) == (
        "Error",
        "cc-1",
        "Authentication failed",
    )


def test_event_list_frames_start_items_and_complete_when_listed() -> None:
    parsed = AmiFramer(expect_banner=False).feed(EVENT_LIST)
    start, item, complete = messages(parsed)
    assert start["EventList"] == "start"
    assert item.event == "CoreShowChannel"
    assert item["BridgeId"] == ""
    assert (complete.event, complete["ListItems"]) == ("CoreShowChannelsComplete", "1")


def test_cut_frame_waits_for_its_end_when_split_across_reads() -> None:
    framer = AmiFramer(expect_banner=False)
    block = b"Event: Hangup\r\nUniqueid: 1.1\r\nCause: 16\r\n\r\n"
    assert framer.feed(block[:20]) == []
    assert framer.pending_bytes == 20
    (message,) = framer.feed(block[20:])
    assert isinstance(message, AmiMessage)
    assert message["Cause"] == "16"


def test_cut_frame_is_reported_when_the_connection_closes_inside_it() -> None:
    framer = AmiFramer(expect_banner=False)
    framer.feed(b"Event: Newchannel\r\nChannel: PJSIP/1")
    problem = framer.reset()
    assert problem is not None
    assert problem.reason == "connection closed inside a block"
    assert problem.raw.startswith("Event: Newchannel")
    assert framer.reset() is None


def test_garbage_is_reported_and_good_fields_kept_when_lines_are_not_fields() -> None:
    data = (
        b"\x00\xff junk\r\n\r\nEvent: Newstate\r\nnot a field\r\nUniqueid: 1.1\r\n\r\n"
    )
    parsed = AmiFramer(expect_banner=False).feed(data)
    assert [type(p).__name__ for p in parsed] == [
        "FramingProblem",
        "AmiMessage",
        "FramingProblem",
    ]
    message = messages(parsed)[0]
    assert message.fields == {"Event": "Newstate", "Uniqueid": "1.1"}
    assert problems(parsed)[1].raw == "not a field"


@pytest.mark.parametrize("chunk", [1_000, 10**6])
def test_huge_block_is_dropped_and_next_kept_when_over_the_limit(chunk: int) -> None:
    huge = b"Event: Newstate\r\nHuge: " + b"x" * 5_000 + b"\r\n\r\n"
    data = huge + b"Event: Hangup\r\nUniqueid: 1.1\r\n\r\n"
    framer = AmiFramer(expect_banner=False, max_block_bytes=1_024)
    parsed: list[Parsed] = []
    for start in range(0, len(data), chunk):
        parsed += framer.feed(data[start : start + chunk])
    (problem,) = problems(parsed)
    assert "longer than 1024" in problem.reason
    assert len(problem.raw) <= 200
    assert [m.event for m in messages(parsed)] == ["Hangup"]


def test_noise_events_are_dropped_unparsed_when_named_to_skip() -> None:
    data = (
        b"Event: VarSet\r\nVariable: X\r\n\r\n"
        b"Event: VarSetting\r\nVariable: Y\r\n\r\n"
        b"Event: Newexten\r\n\r\n"
        b"Event: Hangup\r\nUniqueid: 1.1\r\n\r\n"
    )
    framer = AmiFramer(expect_banner=False, skip_events=("VarSet", "Newexten"))
    assert [m.event for m in messages(framer.feed(data))] == ["VarSetting", "Hangup"]


def test_repeated_keys_are_kept_in_order_when_a_block_repeats_them() -> None:
    data = b"Response: Success\r\nOutput: one\r\nOutput: two\r\nActionID: 7\r\n\r\n"
    (message,) = messages(AmiFramer(expect_banner=False).feed(data))
    assert message["Output"] == "one"
    assert message.all("Output") == ["one", "two"]
    assert encode_message(message) == data


def test_encode_refuses_line_breaks_when_a_value_would_inject_fields() -> None:
    with pytest.raises(ValueError, match="line break"):
        encode([("Channel", "PJSIP/1\r\nAction: Hangup")])


_LINES = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["Event", "Channel", "Cause-txt", "A b", ""]),
                  st.sampled_from([": ", ":", ":  ", ": :"]),
                  st.sampled_from(["", "x", " y", "a: b", "Local/1@c-1;2"]))
        .map("".join),
        st.sampled_from(["garbage", ": lone", "Event: Dup"]),
    ),
    min_size=1,
    max_size=6,
)  # fmt: skip


@given(_LINES)
def test_quick_parse_reads_as_the_careful_one_when_lines_vary(lines: list[str]) -> None:
    raw = "\r\n".join(lines).encode()
    quick: list[Parsed] = []
    careful: list[Parsed] = []
    parse_block(raw, quick)
    parse_lines(raw.decode(), careful)
    assert quick == careful
