"""The FastAGI server over real TCP, against a peer that plays Asterisk's side as the
traces in shared/asterisk-traces/*.agi.txt show it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from telephony.agi import (
    AgiServer,
    AgiSession,
    GetDataResult,
    RecordResult,
    SoundMissing,
)
from telephony.errors import AgiHangup, AgiProtocolError, AgiTimeout

NETWORK_TIMEOUT_S = 5.0


def environment(script: str = "inbound", *, channel: str = "Local/2001@x;2") -> str:
    """The environment Asterisk 20 sends (inbound-spine.agi.txt), LF lines."""
    lines = [
        "agi_network: yes",
        f"agi_network_script: {script}",
        f"agi_request: agi://127.0.0.1:4573/{script}",
        f"agi_channel: {channel}",
        "agi_language: en",
        "agi_type: Local",
        "agi_uniqueid: caller-1b",
        "agi_version: UNKNOWN__and_probably_unsupported",
        "agi_callerid: +74951234567",
        "agi_calleridname: Ivan Petrov",
        "agi_dnid: unknown",
        "agi_context: cc-inbound",
        "agi_extension: 2001",
        "agi_priority: 3",
        "agi_accountcode: ",
        "agi_threadid: 140360746972864",
    ]
    return "\n".join(lines) + "\n\n"


class AsteriskPeer:
    """Asterisk's end of one FastAGI connection."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> AsteriskPeer:
        async with asyncio.timeout(NETWORK_TIMEOUT_S):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer)
        _open_peers.append(peer)
        return peer

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(NETWORK_TIMEOUT_S):
                await self.writer.wait_closed()

    async def send(self, text: str) -> None:
        self.writer.write(text.encode())
        async with asyncio.timeout(NETWORK_TIMEOUT_S):
            await self.writer.drain()

    async def command(self) -> str:
        async with asyncio.timeout(NETWORK_TIMEOUT_S):
            line = await self.reader.readline()
        assert line.endswith(b"\n"), f"connection closed, got {line!r}"
        return line.decode().rstrip("\n")

    async def expect(self, command: str, *reply: str) -> None:
        """Read one command, check it, answer with `reply` lines."""
        assert await self.command() == command
        await self.send("".join(f"{line}\n" for line in reply))

    async def closed_by_server(self) -> bool:
        async with asyncio.timeout(NETWORK_TIMEOUT_S):
            return await self.reader.read() == b""


_open_peers: list[AsteriskPeer] = []


@pytest.fixture(autouse=True)
async def _close_peers() -> AsyncIterator[None]:
    yield
    while _open_peers:
        await _open_peers.pop().close()


@dataclass
class Outcome:
    """What a handler saw: its results in order, then the exception that ended it."""

    results: list[object] = field(default_factory=list)
    error: BaseException | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def finished(self) -> None:
        async with asyncio.timeout(NETWORK_TIMEOUT_S):
            await self.done.wait()


def recording(
    body: Callable[[AgiSession, Outcome], Awaitable[None]],
) -> tuple[Callable[[AgiSession], Awaitable[None]], Outcome]:
    outcome = Outcome()

    async def handler(session: AgiSession) -> None:
        try:
            await body(session, outcome)
        except Exception as exc:
            outcome.error = exc
            raise
        finally:
            outcome.done.set()

    return handler, outcome


@pytest.fixture
async def server() -> AsyncIterator[AgiServer]:
    agi = AgiServer(
        host="127.0.0.1", port=0, environment_timeout_s=0.3, command_timeout_s=0.5
    )
    await agi.start()
    try:
        yield agi
    finally:
        await agi.stop()


async def eventually(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110 - polling state, not awaiting a signal
            await asyncio.sleep(0.01)


async def test_inbound_trace_is_followed_when_asterisk_answers_as_recorded(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        outcome.results.append(session.request.callerid)
        outcome.results.append(await session.exec("Playback", "custom/welcome"))
        outcome.results.append(await session.get_data("custom/welcome", 5000, 1))
        await session.set_variable("CC_CHOICE", "200 result=2")
        await session.set_variable("CC_QUEUE", "billing")
        outcome.results.append(await session.get_variable("CALLERID(num)"))
        await session.set_context("cc-wait")
        await session.set_extension("s")
        await session.set_priority(1)

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('EXEC "Playback" "custom/welcome"', "200 result=0")
    # Playback answers 0 for a missing file too: its status tells them apart
    await peer.expect('GET VARIABLE "PLAYBACKSTATUS"', "200 result=1 (SUCCESS)")
    await peer.expect('GET DATA "custom/welcome" 5000 1', "200 result=2")
    await peer.expect('SET VARIABLE "CC_CHOICE" "200 result=2"', "200 result=1")
    await peer.expect('SET VARIABLE "CC_QUEUE" "billing"', "200 result=1")
    await peer.expect('GET VARIABLE "CALLERID(num)"', "200 result=1 (+74951234567)")
    await peer.expect('SET CONTEXT "cc-wait"', "200 result=0")
    await peer.expect('SET EXTENSION "s"', "200 result=0")
    await peer.expect("SET PRIORITY 1", "200 result=0")
    await outcome.finished()
    assert outcome.error is None
    assert outcome.results == [
        "+74951234567",
        0,
        GetDataResult(digits="2", timed_out=False),
        "+74951234567",
    ]
    assert await peer.closed_by_server()


async def test_commands_stay_in_step_when_hangup_line_arrives_ahead_of_a_reply(
    server: AgiServer,
) -> None:
    # agi-hangup.agi.txt: result=-1, then HANGUP ahead of the next reply
    async def body(session: AgiSession, outcome: Outcome) -> None:
        with pytest.raises(AgiHangup):
            await session.get_data("custom/welcome", 10000, 4)
        outcome.results.append(session.hung_up)
        await session.set_variable("AFTER", "1")
        outcome.results.append(await session.get_variable("AFTER"))
        await session.stream_file("custom/welcome")

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('GET DATA "custom/welcome" 10000 4', "200 result=-1")
    # a missing prompt reads the same: the channel is asked, and HANGUP comes first
    await peer.expect("CHANNEL STATUS", "HANGUP", "200 result=6")
    await peer.expect('SET VARIABLE "AFTER" "1"', "200 result=1")
    await peer.expect('GET VARIABLE "AFTER"', "200 result=1 (1)")
    await peer.expect(
        'STREAM FILE "custom/welcome" ""',
        "511 Command Not Permitted on a dead channel or intercepted channel",
    )
    await outcome.finished()
    assert outcome.results == [True, "1"]
    assert isinstance(outcome.error, AgiHangup)


async def test_hangup_is_raised_and_its_reply_consumed_when_hangup_line_is_news(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        with pytest.raises(AgiHangup):
            await session.set_variable("CC_QUEUE", "billing")
        outcome.results.append(await session.get_variable("CC_QUEUE"))

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('SET VARIABLE "CC_QUEUE" "billing"', "HANGUP", "200 result=1")
    await peer.expect('GET VARIABLE "CC_QUEUE"', "200 result=1 (billing)")
    await outcome.finished()
    assert outcome.error is None
    assert outcome.results == ["billing"]


DEAD = "511 Command Not Permitted on a dead channel or intercepted channel"


async def test_sound_missing_is_raised_and_session_goes_on_when_channel_is_up(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        with pytest.raises(SoundMissing) as caught:
            await session.stream_file("cc/en/absent", "12")
        outcome.results.append(caught.value.sound)
        outcome.results.append(session.hung_up)
        outcome.results.append(await session.stream_file("cc/en/hello", "12"))

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('STREAM FILE "cc/en/absent" "12"', "200 result=-1 endpos=0")
    await peer.expect("CHANNEL STATUS", "200 result=6")
    await peer.expect('STREAM FILE "cc/en/hello" "12"', "200 result=49 endpos=800")
    await outcome.finished()
    assert outcome.error is None
    assert outcome.results == ["cc/en/absent", False, "1"]


@dataclass(frozen=True)
class Playing:
    """One command that plays a file, and what Asterisk 20 sends when the file is
    missing (res_agi.c, app_playback.c, pbx_builtins.c): the reply, then the probe
    the session sends to tell a missing file from a hang-up, and its answer on a
    live channel."""

    play: Callable[[AgiSession], Awaitable[object]]
    command: str
    reply: str
    probe: str
    alive: str
    sound: str = "cc/en/absent"


PLAYING = {
    "stream-file": Playing(
        lambda s: s.stream_file("cc/en/absent", "12"),
        'STREAM FILE "cc/en/absent" "12"',
        "200 result=-1 endpos=0",
        "CHANNEL STATUS",
        "200 result=6",
    ),
    "get-data": Playing(
        lambda s: s.get_data("cc/en/absent", 5000, 1),
        'GET DATA "cc/en/absent" 5000 1',
        "200 result=-1",
        "CHANNEL STATUS",
        "200 result=6",
    ),
    "get-option": Playing(
        lambda s: s.get_option("cc/en/absent", "12", 3000),
        'GET OPTION "cc/en/absent" "12" 3000',
        "200 result=-1 endpos=0",
        "CHANNEL STATUS",
        "200 result=6",
    ),
    "control-stream-file": Playing(
        lambda s: s.control_stream_file("cc/en/absent", "12"),
        'CONTROL STREAM FILE "cc/en/absent" "12" 3000 "#" "*"',
        "200 result=-1 endpos=-1",
        "CHANNEL STATUS",
        "200 result=6",
    ),
    "playback": Playing(
        lambda s: s.playback("cc/en/absent"),
        'EXEC "Playback" "cc/en/absent"',
        "200 result=0",
        'GET VARIABLE "PLAYBACKSTATUS"',
        "200 result=1 (FAILED)",
    ),
    "exec-playback": Playing(
        lambda s: s.exec("Playback", "cc/en/absent"),
        'EXEC "Playback" "cc/en/absent"',
        "200 result=0",
        'GET VARIABLE "PLAYBACKSTATUS"',
        "200 result=1 (FAILED)",
    ),
    "background": Playing(
        lambda s: s.background("cc/en/absent"),
        'EXEC "Background" "cc/en/absent"',
        "200 result=0",
        'GET VARIABLE "BACKGROUNDSTATUS"',
        "200 result=1 (FAILED)",
    ),
    "record-file-beep": Playing(
        lambda s: s.record_file("/var/spool/asterisk/vm-1", beep=True),
        'RECORD FILE "/var/spool/asterisk/vm-1" "wav" "#" 60000 "BEEP"',
        "200 result=-1 (randomerror) endpos=0",
        "CHANNEL STATUS",
        "200 result=6",
        sound="beep",
    ),
}


@pytest.mark.parametrize("playing", PLAYING.values(), ids=PLAYING.keys())
async def test_sound_missing_is_raised_for_every_playing_command_when_caller_is_there(
    server: AgiServer, playing: Playing
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        with pytest.raises(SoundMissing) as caught:
            await playing.play(session)
        outcome.results.append(caught.value.sound)
        outcome.results.append(session.hung_up)
        await session.set_variable("AFTER", "1")

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect(playing.command, playing.reply)
    await peer.expect(playing.probe, playing.alive)
    await peer.expect('SET VARIABLE "AFTER" "1"', "200 result=1")
    await outcome.finished()
    assert outcome.error is None
    assert outcome.results == [playing.sound, False]


@pytest.mark.parametrize("playing", PLAYING.values(), ids=PLAYING.keys())
async def test_hangup_is_raised_for_every_playing_command_when_the_probe_finds_it(
    server: AgiServer, playing: Playing
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        await playing.play(session)

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect(playing.command, playing.reply)
    # the hang-up happened during the command: HANGUP precedes the probe's reply
    await peer.expect(playing.probe, "HANGUP", playing.alive)
    await outcome.finished()
    assert isinstance(outcome.error, AgiHangup)
    assert not isinstance(outcome.error, SoundMissing)


async def test_playback_is_not_probed_when_asterisk_says_it_was_hung_up(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        await session.playback("cc/en/hello")

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('EXEC "Playback" "cc/en/hello"', "200 result=-1")
    await outcome.finished()
    assert isinstance(outcome.error, AgiHangup)
    assert await peer.closed_by_server()


@pytest.mark.parametrize(
    "status",
    [(DEAD,), ("HANGUP", "200 result=-1"), ("200 result=-1",)],
    ids=["511", "hangup-line", "result-minus-one"],
)
async def test_hangup_is_raised_when_the_status_probe_finds_the_channel_gone(
    server: AgiServer, status: tuple[str, ...]
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        await session.stream_file("cc/en/hello")

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('STREAM FILE "cc/en/hello" ""', "200 result=-1 endpos=0")
    await peer.expect("CHANNEL STATUS", *status)
    await outcome.finished()
    assert isinstance(outcome.error, AgiHangup)
    assert not isinstance(outcome.error, SoundMissing)
    assert await peer.closed_by_server()


async def test_hangup_is_raised_without_a_probe_when_hangup_line_came_first(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        await session.stream_file("cc/en/hello")

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect(
        'STREAM FILE "cc/en/hello" ""', "HANGUP", "200 result=-1 endpos=0"
    )
    await outcome.finished()
    assert isinstance(outcome.error, AgiHangup)
    assert await peer.closed_by_server()  # no CHANNEL STATUS was sent


async def test_usage_error_is_raised_with_its_text_when_asterisk_says_520(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        with pytest.raises(AgiProtocolError, match="Usage: GET DATA") as caught:
            await session.command("GET DATA")
        outcome.results.append(str(caught.value))
        with pytest.raises(AgiProtocolError, match="510"):
            await session.command("FROB")
        await session.answer()
        outcome.results.append("answered")

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect(
        "GET DATA",
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: GET DATA <file to be streamed> [timeout] [maxdigits]",
        "520 End of proper usage.",
    )
    await peer.expect("FROB", "510 Invalid or unknown command")
    await peer.expect("ANSWER", "100 result=0 Trying...", "200 result=0")
    await outcome.finished()
    assert outcome.error is None
    assert outcome.results[1] == "answered"


async def test_digits_and_recordings_are_typed_when_replies_carry_them(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        outcome.results.append(await session.stream_file("menu", "123"))
        outcome.results.append(await session.stream_file("menu"))
        outcome.results.append(await session.wait_for_digit(2000))
        outcome.results.append(await session.say_digits("42"))
        outcome.results.append(await session.get_data("pin", 3000, 4))
        outcome.results.append(
            await session.record_file("/tmp/msg", "wav", "#", 10_000, silence_s=3)
        )
        outcome.results.append(await session.exec("NoSuchApp"))
        outcome.results.append(await session.get_variable("UNSET"))

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('STREAM FILE "menu" "123"', "200 result=50 endpos=1234")
    await peer.expect('STREAM FILE "menu" ""', "200 result=0 endpos=9000")
    await peer.expect("WAIT FOR DIGIT 2000", "200 result=0")
    await peer.expect('SAY DIGITS "42" ""', "200 result=35")
    await peer.expect('GET DATA "pin" 3000 4', "200 result=12 (timeout)")
    await peer.expect(
        'RECORD FILE "/tmp/msg" "wav" "#" 10000 "s=3"',
        "200 result=35 (dtmf) endpos=16000",
    )
    await peer.expect('EXEC "NoSuchApp"', "200 result=-2")
    await peer.expect('GET VARIABLE "UNSET"', "200 result=0")
    await outcome.finished()
    assert outcome.error is None
    assert outcome.results == [
        "2",
        None,
        None,
        "#",
        GetDataResult(digits="12", timed_out=True),
        RecordResult(digit="#", ended_by="dtmf", end_position=16000),
        -2,
        None,
    ]


async def test_quotes_spaces_and_empty_strings_reach_the_wire_when_set(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        await session.set_variable("NOTE", 'He said "hi" \\o/')
        await session.set_variable("EMPTY", "")
        await session.exec("Dial", "PJSIP/1001", "30", "tT")

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    await peer.expect('SET VARIABLE "NOTE" "He said \\"hi\\" \\\\o/"', "200 result=1")
    await peer.expect('SET VARIABLE "EMPTY" ""', "200 result=1")
    await peer.expect('EXEC "Dial" "PJSIP/1001,30,tT"', "200 result=0")
    await outcome.finished()
    assert outcome.error is None


async def test_command_times_out_and_session_closes_when_asterisk_is_silent(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        await session.answer()

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    assert await peer.command() == "ANSWER"
    await outcome.finished()
    assert isinstance(outcome.error, AgiTimeout)
    assert await peer.closed_by_server()


async def test_hangup_is_raised_when_the_connection_drops_mid_command(
    server: AgiServer,
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        await session.get_data("custom/welcome", 10000, 4)

    handler, outcome = recording(body)
    server.route("inbound", handler)
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment())
    assert await peer.command() == 'GET DATA "custom/welcome" 10000 4'
    await peer.send("200 res")
    peer.writer.close()
    await outcome.finished()
    assert isinstance(outcome.error, AgiHangup)
    await eventually(lambda: server.active_sessions == 0)


async def test_client_is_dropped_when_it_connects_and_says_nothing(
    server: AgiServer, caplog: pytest.LogCaptureFixture
) -> None:
    peer = await AsteriskPeer.connect(server.port)
    await eventually(lambda: server.active_sessions == 1)
    assert await peer.closed_by_server()
    await eventually(lambda: server.active_sessions == 0)
    assert "no complete environment" in caplog.text


@pytest.mark.parametrize(
    ("garbage", "logged"),
    [
        ("GET / HTTP/1.1\nHost: example\n\n", "GET / HTTP/1.1"),
        ("agi_request: agi://h/inbound\n\n", "agi_channel missing"),
        ("agi_network_script: inbound\nagi_channel: " + "x" * 70_000 + "\n\n", ""),
        ("\x00\xff\xfe binary\n\n", "binary"),
    ],
)
async def test_bad_environment_is_logged_and_closed_without_harm_to_others_when_sent(
    server: AgiServer, caplog: pytest.LogCaptureFixture, garbage: str, logged: str
) -> None:
    async def body(session: AgiSession, outcome: Outcome) -> None:
        outcome.results.append(await session.get_variable("X"))

    handler, outcome = recording(body)
    server.route("inbound", handler)
    good = await AsteriskPeer.connect(server.port)
    bad = await AsteriskPeer.connect(server.port)
    await good.send(environment())
    await bad.send(garbage)
    assert await bad.closed_by_server()
    await good.expect('GET VARIABLE "X"', "200 result=1 (fine)")
    await outcome.finished()
    assert outcome.results == ["fine"]
    assert "malformed AGI environment" in caplog.text
    assert logged in caplog.text


async def test_unknown_script_is_hung_up_and_closed_when_nothing_is_routed(
    server: AgiServer, caplog: pytest.LogCaptureFixture
) -> None:
    peer = await AsteriskPeer.connect(server.port)
    await peer.send(environment("nosuch"))
    await peer.expect("HANGUP", "200 result=1")
    assert await peer.closed_by_server()
    assert "no FastAGI handler for script=nosuch" in caplog.text


async def test_other_sessions_go_on_when_a_handler_fails(
    server: AgiServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def failing(session: AgiSession) -> None:
        raise RuntimeError("flow bug")

    handler, outcome = recording(
        lambda session, outcome: session.set_variable("A", "1")
    )
    server.route("broken", failing)
    server.route("inbound", handler)
    bad = await AsteriskPeer.connect(server.port)
    good = await AsteriskPeer.connect(server.port)
    await bad.send(environment("broken"))
    await good.send(environment())
    assert await bad.closed_by_server()
    await good.expect('SET VARIABLE "A" "1"', "200 result=1")
    await outcome.finished()
    assert outcome.error is None
    with caplog.at_level(logging.ERROR):
        await eventually(lambda: "FastAGI handler failed: script=broken" in caplog.text)


async def test_sessions_are_cancelled_and_counted_when_the_server_stops() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def waiting(session: AgiSession) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    agi = AgiServer(port=0, handlers={"inbound": waiting})
    await agi.start()
    peer = await AsteriskPeer.connect(agi.port)
    await peer.send(environment())
    async with asyncio.timeout(NETWORK_TIMEOUT_S):
        await started.wait()
    assert agi.active_sessions == 1
    async with asyncio.timeout(NETWORK_TIMEOUT_S):
        await agi.stop()
    assert cancelled.is_set()
    assert agi.active_sessions == 0
    assert await peer.closed_by_server()


async def test_many_sessions_run_at_once_when_callers_arrive_together(
    server: AgiServer,
) -> None:
    answered: list[str] = []

    async def body(session: AgiSession) -> None:
        for _ in range(5):
            value = await session.get_variable("CALLERID(num)")
            assert value == session.request.channel
        answered.append(session.request.channel)

    server.route("inbound", body)

    async def caller(n: int) -> None:
        peer = await AsteriskPeer.connect(server.port)
        await peer.send(environment(channel=f"PJSIP/{n}"))
        for _ in range(5):
            await peer.expect(
                'GET VARIABLE "CALLERID(num)"', f"200 result=1 (PJSIP/{n})"
            )
        assert await peer.closed_by_server()

    async with asyncio.TaskGroup() as group:
        for n in range(200):
            group.create_task(caller(n))
    assert sorted(answered) == sorted(f"PJSIP/{n}" for n in range(200))
    await eventually(lambda: server.active_sessions == 0)
    assert server.sessions_total == 200
