"""FastAGI wire format: the `agi_*` environment, replies and commands. No I/O.

Asterisk sends LF lines `agi_key: value` ended by a blank line, then answers each
command with `200 result=<r> [(data)] [key=value ...]`, a `5xx` error, or a bare
`HANGUP` line ahead of the reply when the caller hangs up (see
../shared/asterisk-traces/agi-hangup.agi.txt).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import parse_qsl

MAX_ENVIRONMENT_LINES = 200
"""More lines than this in one environment is a hostile or broken peer."""
HANGUP_LINE = "HANGUP"
_ABSENT = "unknown"
"""What Asterisk sends for an unset caller id, DNID or RDNIS."""
_TYPED_KEYS = frozenset(  # the keys with a field of their own in AgiRequest
    {
        "agi_network_script",
        "agi_request",
        "agi_channel",
        "agi_language",
        "agi_type",
        "agi_uniqueid",
        "agi_callerid",
        "agi_calleridname",
        "agi_dnid",
        "agi_rdnis",
        "agi_context",
        "agi_extension",
        "agi_priority",
        "agi_accountcode",
    }
)


class AgiParseError(ValueError):
    """A line or environment that is not FastAGI; the message says what and where."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgiRequest:
    """The `agi_*` environment of one FastAGI session, typed."""

    script: str
    """The script name from `agi://host:port/<script>?<params>`, e.g. `inbound`."""
    params: Mapping[str, str]
    """The query parameters of the AGI URL (`agi://h/inbound?flow=main`)."""
    request: str
    channel: str
    uniqueid: str
    callerid: str
    """The caller's number as Asterisk gave it; "" when Asterisk said `unknown`."""
    calleridname: str
    dnid: str
    rdnis: str
    context: str
    extension: str
    priority: str
    """A number, or a label when the dialplan uses one."""
    language: str
    channel_type: str
    accountcode: str
    arguments: tuple[str, ...]
    """`AGI(agi://..., a, b)` arguments, from `agi_arg_1` onwards."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Every other `agi_*` key, without the prefix (`version`, `threadid`, ...)."""


def parse_environment(lines: Iterable[str]) -> AgiRequest:
    """Turn the environment lines (without the final blank line) into an AgiRequest.

    Raises AgiParseError naming the first bad line or the missing key.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if number > MAX_ENVIRONMENT_LINES:
            raise AgiParseError(f"more than {MAX_ENVIRONMENT_LINES} lines")
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or not key.startswith("agi_") or " " in key:
            raise AgiParseError(f"line {number} is not `agi_key: value`: {line!r:.80}")
        values[key] = value
    request = values.get("agi_request", "")
    script, params = _script_of(values.get("agi_network_script"), request)
    if not script:
        raise AgiParseError("no script: agi_network_script and agi_request missing")
    if not values.get("agi_channel"):
        raise AgiParseError("agi_channel missing")
    return AgiRequest(
        script=script,
        params=params,
        request=request,
        channel=values["agi_channel"],
        uniqueid=values.get("agi_uniqueid", ""),
        callerid=_present(values.get("agi_callerid", "")),
        calleridname=_present(values.get("agi_calleridname", "")),
        dnid=_present(values.get("agi_dnid", "")),
        rdnis=_present(values.get("agi_rdnis", "")),
        context=values.get("agi_context", ""),
        extension=values.get("agi_extension", ""),
        priority=values.get("agi_priority", ""),
        language=values.get("agi_language", ""),
        channel_type=values.get("agi_type", ""),
        accountcode=values.get("agi_accountcode", ""),
        arguments=_arguments(values),
        variables={
            key[4:]: value
            for key, value in values.items()
            if key not in _TYPED_KEYS and not key.startswith("agi_arg_")
        },
    )


def _script_of(network_script: str | None, request: str) -> tuple[str, dict[str, str]]:
    if network_script is None:
        # agi://host:port/script?query: the path after the authority
        _, _, rest = request.partition("://")
        _, _, network_script = rest.partition("/")
    name, _, query = network_script.partition("?")
    return name.strip("/"), dict(parse_qsl(query, keep_blank_values=True))


def _present(value: str) -> str:
    return "" if value == _ABSENT else value


def _arguments(values: Mapping[str, str]) -> tuple[str, ...]:
    arguments: list[str] = []
    while (value := values.get(f"agi_arg_{len(arguments) + 1}")) is not None:
        arguments.append(value)
    return tuple(arguments)


class ReplyKind(Enum):
    OK = "ok"
    """`200 result=...`."""
    HANGUP = "hangup"
    """A bare `HANGUP` line: the caller hung up; the real reply follows it."""
    DEAD = "dead"
    """`511`: the command is not permitted on a dead (hung-up) channel."""
    TRYING = "trying"
    """`100 ...`: an interim line; the real reply follows it."""
    USAGE = "usage"
    """`520 ...` or the first line of a multi-line `520-` usage block."""
    INVALID = "invalid"
    """`510`: an unknown command."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgiReply:
    kind: ReplyKind
    result: str = ""
    """The text after `result=`: a number for most commands, digits for GET DATA."""
    data: str | None = None
    """The text in parentheses after the result (a variable's value, `timeout`)."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Trailing `key=value` pairs, e.g. `endpos`."""
    text: str = ""
    """The whole line, for errors and logs."""
    continues: bool = False
    """A `520-` line: usage lines follow up to a `520 ` line."""

    @property
    def hung_up(self) -> bool:
        """`200 result=-1`: the channel hung up during the command. RECORD FILE also
        says -1 for its own failures (`(writefile)`), which are not hang-ups."""
        return (
            self.kind is ReplyKind.OK
            and self.result == "-1"
            and self.data in (None, "hangup")
        )

    @property
    def result_int(self) -> int:
        """The result as an int; raises AgiParseError when it is not one."""
        try:
            return int(self.result)
        except ValueError:
            raise AgiParseError(f"result is not a number: {self.text!r:.80}") from None


def parse_reply(line: str) -> AgiReply:
    """Parse one reply line (without its LF). Raises AgiParseError when it is neither
    a `NNN` status line nor `HANGUP`."""
    if line == HANGUP_LINE:
        return AgiReply(kind=ReplyKind.HANGUP, text=line)
    code, sep, rest = line[:3], line[3:4], line[4:]
    if not code.isdigit() or sep not in (" ", "-", ""):
        raise AgiParseError(f"not an AGI reply: {line!r:.80}")
    match code:
        case "200":
            return _parse_success(line, rest)
        case "100":
            return AgiReply(kind=ReplyKind.TRYING, text=line)
        case "511":
            return AgiReply(kind=ReplyKind.DEAD, text=line)
        case "520":
            return AgiReply(kind=ReplyKind.USAGE, text=line, continues=sep == "-")
        case "510":
            return AgiReply(kind=ReplyKind.INVALID, text=line)
        case _:
            raise AgiParseError(f"unknown AGI status {code}: {line!r:.80}")


def _parse_success(line: str, rest: str) -> AgiReply:
    if not rest.startswith("result="):
        raise AgiParseError(f"200 without result=: {line!r:.80}")
    body = rest[7:]
    result, _, tail = body.partition(" ")
    data: str | None = None
    if tail.startswith("("):
        # the data may itself hold parentheses (a variable's value): take the last
        # `)` that is followed only by key=value pairs
        close = tail.rfind(")")
        while close > 0 and not _only_pairs(tail[close + 1 :]):
            close = tail.rfind(")", 0, close)
        if close <= 0:
            raise AgiParseError(f"unclosed ( in reply: {line!r:.80}")
        data, tail = tail[1:close], tail[close + 1 :]
    extra = dict(_pairs(tail))
    return AgiReply(kind=ReplyKind.OK, result=result, data=data, extra=extra, text=line)


def _only_pairs(text: str) -> bool:
    return all("=" in word for word in text.split())


def _pairs(text: str) -> Iterable[tuple[str, str]]:
    for word in text.split():
        key, sep, value = word.partition("=")
        if not sep:
            raise AgiParseError(f"expected key=value, got {word!r:.40}")
        yield key, value


def quote(argument: str) -> str:
    """Quote one argument as Asterisk's AGI parser reads it (`"` and `\\` escaped).

    Raises ValueError for a line break, which would end the command on the wire.
    """
    if "\n" in argument or "\r" in argument:
        raise ValueError(f"an AGI argument cannot hold a line break: {argument!r:.40}")
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_command(words: Iterable[str | int]) -> bytes:
    """One command line: str arguments quoted, int arguments bare, LF-terminated.

    The command's own words (`GET DATA`) are passed as one leading str that is sent
    as it is: `format_command(["GET DATA", "welcome", 5000, 1])`.
    """
    iterator = iter(words)
    parts = [next(iterator)]
    for word in iterator:
        parts.append(str(word) if isinstance(word, int) else quote(word))
    return (" ".join(str(p) for p in parts) + "\n").encode()
