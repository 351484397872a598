"""FastAGI wire parsing: environments and replies as real Asterisk 20 sends them."""

from __future__ import annotations

import pytest

from telephony.agi_parse import (
    MAX_ENVIRONMENT_LINES,
    AgiParseError,
    ReplyKind,
    format_command,
    parse_environment,
    parse_reply,
    quote,
)

# agi-hangup.agi.txt / inbound-spine.agi.txt (shared/asterisk-traces), as sent
INBOUND_ENVIRONMENT = [
    "agi_network: yes",
    "agi_network_script: inbound",
    "agi_request: agi://127.0.0.1:4573/inbound",
    "agi_channel: Local/2001@cc-inbound-00000004;2",
    "agi_language: en",
    "agi_type: Local",
    "agi_uniqueid: caller-1b",
    "agi_version: UNKNOWN__and_probably_unsupported",
    "agi_callerid: +74951234567",
    "agi_calleridname: Ivan Petrov",
    "agi_callingpres: 0",
    "agi_callingani2: 0",
    "agi_callington: 0",
    "agi_callingtns: 0",
    "agi_dnid: unknown",
    "agi_rdnis: unknown",
    "agi_context: cc-inbound",
    "agi_extension: 2001",
    "agi_priority: 3",
    "agi_enhanced: 0.0",
    "agi_accountcode: ",
    "agi_threadid: 140360746972864",
]


def test_environment_is_typed_when_it_is_the_inbound_trace() -> None:
    request = parse_environment(INBOUND_ENVIRONMENT)
    assert request.script == "inbound"
    assert request.channel == "Local/2001@cc-inbound-00000004;2"
    assert request.uniqueid == "caller-1b"
    assert request.callerid == "+74951234567"
    assert request.calleridname == "Ivan Petrov"
    assert request.dnid == ""
    assert request.rdnis == ""
    assert request.context == "cc-inbound"
    assert request.extension == "2001"
    assert request.priority == "3"
    assert request.language == "en"
    assert request.channel_type == "Local"
    assert request.accountcode == ""
    assert request.arguments == ()
    assert request.variables["threadid"] == "140360746972864"
    assert request.variables["version"] == "UNKNOWN__and_probably_unsupported"
    assert request.variables["callingpres"] == "0"


def test_arguments_and_params_are_read_when_the_url_carries_them() -> None:
    lines = [
        "agi_network_script: dialer?campaign=7&mode=",
        "agi_request: agi://127.0.0.1:4573/dialer?campaign=7&mode=",
        "agi_channel: Local/human@cc-party-00000000;1",
        "agi_arg_1: first",
        "agi_arg_2: with space",
        "agi_arg_4: skipped after a gap",
    ]
    request = parse_environment(lines)
    assert request.script == "dialer"
    assert request.params == {"campaign": "7", "mode": ""}
    assert request.arguments == ("first", "with space")


def test_script_comes_from_the_request_url_when_network_script_is_missing() -> None:
    request = parse_environment(
        ["agi_request: agi://10.0.0.5/inbound", "agi_channel: PJSIP/1001-00000001"]
    )
    assert request.script == "inbound"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["GET / HTTP/1.1", "Host: x"], "line 1"),
        (["agi_channel: SIP/1"], "no script"),
        (["agi_network_script: inbound"], "agi_channel"),
        (["agi_network_script: inbound", "no colon here"], "line 2"),
        (["agi_request: agi://h/x"] * (MAX_ENVIRONMENT_LINES + 1), "more than"),
    ],
)
def test_environment_is_refused_with_the_reason_when_malformed(
    lines: list[str], message: str
) -> None:
    with pytest.raises(AgiParseError, match=message):
        parse_environment(lines)


@pytest.mark.parametrize(
    ("line", "result", "data", "extra"),
    [
        ("200 result=0", "0", None, {}),
        ("200 result=2", "2", None, {}),
        ("200 result= (timeout)", "", "timeout", {}),
        ("200 result=12 (timeout)", "12", "timeout", {}),
        ("200 result=1 (+74951234567)", "1", "+74951234567", {}),
        ("200 result=1 (HUMAN-800-800)", "1", "HUMAN-800-800", {}),
        ("200 result=1 (a (b) c)", "1", "a (b) c", {}),
        ("200 result=1 (x) y)", "1", "x) y", {}),
        ("200 result=50 endpos=1234", "50", None, {"endpos": "1234"}),
        ("200 result=35 (dtmf) endpos=8000", "35", "dtmf", {"endpos": "8000"}),
        ("200 result=1 ()", "1", "", {}),
    ],
)
def test_success_reply_is_split_when_asterisk_sends_it(
    line: str, result: str, data: str | None, extra: dict[str, str]
) -> None:
    reply = parse_reply(line)
    assert reply.kind is ReplyKind.OK
    assert (reply.result, reply.data, dict(reply.extra)) == (result, data, extra)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("HANGUP", ReplyKind.HANGUP),
        (
            "511 Command Not Permitted on a dead channel or intercepted channel",
            ReplyKind.DEAD,
        ),
        ("520-Invalid command syntax.  Proper usage follows:", ReplyKind.USAGE),
        ("520 Invalid command syntax.", ReplyKind.USAGE),
        ("510 Invalid or unknown command", ReplyKind.INVALID),
        ("100 result=0 Trying...", ReplyKind.TRYING),
    ],
)
def test_status_is_classified_when_it_is_not_a_success(
    line: str, kind: ReplyKind
) -> None:
    assert parse_reply(line).kind is kind


def test_usage_reply_says_it_continues_when_it_is_a_dash_line() -> None:
    assert parse_reply("520-Invalid command syntax.").continues
    assert not parse_reply("520 End of proper usage.").continues


def test_hang_up_is_recognised_when_result_is_minus_one() -> None:
    assert parse_reply("200 result=-1").hung_up
    assert parse_reply("200 result=-1 (hangup) endpos=0").hung_up
    assert not parse_reply("200 result=-1 (writefile)").hung_up
    assert not parse_reply("200 result=0").hung_up


@pytest.mark.parametrize(
    "line",
    ["", "hello", "20 result=1", "200 nothing", "404 Not Found", "200 result=1 (x"],
)
def test_reply_is_refused_when_it_is_not_agi(line: str) -> None:
    with pytest.raises(AgiParseError):
        parse_reply(line)


def test_result_int_is_refused_when_the_result_is_not_a_number() -> None:
    with pytest.raises(AgiParseError, match="not a number"):
        _ = parse_reply("200 result=12#").result_int


@pytest.mark.parametrize(
    ("argument", "wire"),
    [
        ("billing", '"billing"'),
        ("", '""'),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
    ],
)
def test_argument_is_quoted_when_formatted(argument: str, wire: str) -> None:
    assert quote(argument) == wire


def test_argument_is_refused_when_it_holds_a_line_break() -> None:
    with pytest.raises(ValueError, match="line break"):
        quote("a\nHANGUP")


def test_command_quotes_strings_and_leaves_numbers_bare_when_formatted() -> None:
    assert (
        format_command(["GET DATA", "custom/welcome", 5000, 1])
        == b'GET DATA "custom/welcome" 5000 1\n'
    )
    assert format_command(["ANSWER"]) == b"ANSWER\n"
    assert (
        format_command(["SET VARIABLE", "CC_CHOICE", "200 result=2"])
        == b'SET VARIABLE "CC_CHOICE" "200 result=2"\n'
    )
