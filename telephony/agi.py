"""FastAGI server: accepts Asterisk's `AGI(agi://host:port/<script>)` connections,
dispatches each to the async handler registered for its script, and gives it a typed
session. One session's failure never touches another; the server owns every task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from telephony.agi_parse import (
    AgiParseError,
    AgiReply,
    AgiRequest,
    ReplyKind,
    format_command,
    parse_environment,
    parse_reply,
)
from telephony.agi_peers import AgiPeers, peer_host
from telephony.errors import AgiError, AgiHangup, AgiProtocolError, AgiTimeout

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 64 * 1024
"""A longer line from Asterisk is refused (a variable's value or a hostile peer)."""
_RAW_LOG_CHARS = 300
_USAGE_LINES_MAX = 100
_PLAYING_APPLICATIONS = {"playback": "PLAYBACKSTATUS", "background": "BACKGROUNDSTATUS"}
"""Applications that play files, with the variable where each reports a file it
could not open: they answer `200 result=0` for a missing file (app_playback.c,
pbx_builtins.c) and `-1` only for a hang-up."""
BEEP = "beep"
"""The core sound RECORD FILE plays with its BEEP option."""

AgiHandler = Callable[["AgiSession"], Awaitable[None]]


class SoundMissing(AgiError):
    """Asterisk found no such sound file where it reads sounds; the caller is still
    there and the session goes on (play something else, or nothing)."""

    def __init__(self, message: str, *, sound: str) -> None:
        super().__init__(message)
        self.sound = sound


@dataclass(frozen=True, slots=True, kw_only=True)
class GetDataResult:
    digits: str
    timed_out: bool
    """True when the caller stopped pressing before `max_digits` or `#`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordResult:
    digit: str | None
    """The escape digit that ended the recording, or None."""
    ended_by: str
    """`dtmf`, `timeout` (the limit or the silence), or `` when the caller hung up."""
    end_position: int
    """Samples written (8 kHz for most formats)."""


class AgiSession:
    """One FastAGI conversation. Commands are sent one at a time, in order.

    Every command raises AgiHangup when the caller has hung up (`200 result=-1`, a
    `HANGUP` line ahead of the reply, `511`, or the connection closed), AgiTimeout
    when Asterisk does not answer within the timeout (the session is then closed:
    a late reply would put every later command out of step), and AgiProtocolError
    for `510`/`520` errors or a reply that does not parse. Every command that plays
    a file raises SoundMissing instead when Asterisk has no such file and the caller
    is still there (see `_play`).
    """

    def __init__(
        self,
        request: AgiRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        command_timeout_s: float = 30.0,
    ) -> None:
        self.request = request
        self.hung_up = False
        """The caller has hung up; commands allowed on a dead channel still work."""
        self._reader = reader
        self._writer = writer
        self._command_timeout_s = command_timeout_s
        self._broken: str | None = None
        self._saw_hangup = False

    async def command(
        self, verb: str, *arguments: str | int, wait_s: float = 0.0
    ) -> AgiReply:
        """Send `verb` with its arguments (str quoted, int bare) and return the reply.

        `wait_s` is added to the command timeout for commands that wait by design
        (GET DATA, RECORD FILE, a long STREAM FILE).
        """
        reply = await self._exchange(verb, arguments, wait_s=wait_s)
        return self._check(verb, reply)

    async def _exchange(
        self, verb: str, arguments: tuple[str | int, ...], *, wait_s: float
    ) -> AgiReply:
        """Send one command and read its reply, unchecked."""
        if self._broken is not None:
            raise AgiProtocolError(f"session unusable: {self._broken}")
        line = format_command((verb, *arguments))
        self._saw_hangup = False
        try:
            async with asyncio.timeout(self._command_timeout_s + wait_s):
                self._writer.write(line)
                await self._writer.drain()
                reply = await self._read_reply()
        except TimeoutError:
            self._broken = f"no reply to {verb}"
            if self._saw_hangup or self.hung_up:
                raise AgiHangup(f"{self._who()}: hung up during {verb}") from None
            raise AgiTimeout(f"{self._who()}: no reply to {verb}") from None
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self._broken = "connection lost"
            self.hung_up = True
            raise AgiHangup(f"{self._who()}: connection lost ({exc})") from None
        return reply

    async def _read_reply(self) -> AgiReply:
        while True:
            text = await self._read_line()
            if not text:
                continue
            try:
                reply = parse_reply(text)
            except AgiParseError as exc:
                self._broken = str(exc)
                raise AgiProtocolError(f"{self._who()}: {exc}") from None
            match reply.kind:
                case ReplyKind.HANGUP:
                    # the real reply to the command follows (agi-hangup.agi.txt)
                    self._saw_hangup = True
                case ReplyKind.TRYING:
                    pass
                case ReplyKind.USAGE if reply.continues:
                    return await self._read_usage(reply)
                case _:
                    return reply

    async def _read_usage(self, first: AgiReply) -> AgiReply:
        lines = [first.text[4:]]
        for _ in range(_USAGE_LINES_MAX):
            text = await self._read_line()
            if text.startswith("520 "):
                break
            lines.append(text)
        return AgiReply(kind=ReplyKind.USAGE, text="\n".join(lines))

    async def _read_line(self) -> str:
        try:
            raw = await self._reader.readline()
        except ValueError:  # longer than the reader's limit
            self._broken = "line too long"
            raise AgiProtocolError(f"{self._who()}: reply line too long") from None
        if not raw.endswith(b"\n"):
            raise asyncio.IncompleteReadError(raw, None)
        return raw.rstrip(b"\r\n").decode("utf-8", "replace")

    def _check(self, verb: str, reply: AgiReply) -> AgiReply:
        news = self._saw_hangup and not self.hung_up
        match reply.kind:
            case ReplyKind.DEAD:
                self.hung_up = True
                raise AgiHangup(f"{self._who()}: {verb} on a dead channel")
            case ReplyKind.USAGE | ReplyKind.INVALID:
                raise AgiProtocolError(f"{self._who()}: {verb}: {reply.text}")
            case _:
                pass
        if reply.hung_up or news:
            self.hung_up = True
            raise AgiHangup(f"{self._who()}: hung up during {verb}")
        return reply

    def _who(self) -> str:
        return f"channel={self.request.channel} uniqueid={self.request.uniqueid}"

    # The commands, as res_agi names them.

    async def answer(self) -> None:
        await self.command("ANSWER")

    async def hangup(self) -> None:
        """Hang the channel up; a hang-up reported while doing so is expected."""
        with contextlib.suppress(AgiHangup):
            await self.command("HANGUP")
        self.hung_up = True

    async def stream_file(
        self, name: str, escape_digits: str = "", *, timeout_s: float = 0.0
    ) -> str | None:
        """Play `name` (no extension); return the escape digit pressed, or None.
        `timeout_s` is the longest the prompt may play, beyond the command timeout.
        Raises SoundMissing."""
        verb = "STREAM FILE"
        reply = await self._play(verb, (name, escape_digits), name, wait_s=timeout_s)
        return _digit(reply)

    async def get_option(
        self, name: str, escape_digits: str, timeout_ms: int, *, timeout_s: float = 0.0
    ) -> str | None:
        """Play `name`, then wait up to `timeout_ms` for one of `escape_digits`;
        the digit, or None. Raises SoundMissing."""
        wait_s = timeout_s + max(timeout_ms, 0) / 1000
        arguments = (name, escape_digits, timeout_ms)
        return _digit(await self._play("GET OPTION", arguments, name, wait_s=wait_s))

    async def control_stream_file(
        self,
        name: str,
        escape_digits: str = "",
        *,
        skip_ms: int = 3000,
        forward: str = "#",
        rewind: str = "*",
        timeout_s: float = 0.0,
    ) -> str | None:
        """Play `name` with `forward`/`rewind` keys skipping `skip_ms`; the escape
        digit that stopped it, or None. Raises SoundMissing."""
        arguments = (name, escape_digits, skip_ms, forward, rewind)
        verb = "CONTROL STREAM FILE"
        return _digit(await self._play(verb, arguments, name, wait_s=timeout_s))

    async def playback(self, name: str, *, timeout_s: float = 0.0) -> None:
        """EXEC Playback `name` (no keys interrupt it). Raises SoundMissing."""
        await self._play("EXEC", ("Playback", name), name, wait_s=timeout_s)

    async def background(self, name: str, *, timeout_s: float = 0.0) -> str | None:
        """EXEC Background `name`: any key stops it and is returned (None: played
        to the end). Raises SoundMissing."""
        reply = await self._play("EXEC", ("Background", name), name, wait_s=timeout_s)
        return _digit(reply)

    async def _play(
        self,
        verb: str,
        arguments: tuple[str | int, ...],
        sound: str,
        *,
        wait_s: float = 0.0,
    ) -> AgiReply:
        """Send a command that plays `sound` and return its checked reply; raise
        SoundMissing when Asterisk could not open the file and the caller is still
        there.

        Asterisk answers a missing file as it answers a hang-up: `200 result=-1`
        (STREAM FILE and GET OPTION with `endpos=0`, CONTROL STREAM FILE with
        `endpos=-1`, GET DATA bare, RECORD FILE's beep `(randomerror)`), so the
        channel is asked (see `_sound_missing`); Playback and Background answer
        `result=0` and say FAILED in their status variable.
        """
        status = None
        if verb == "EXEC":
            status = _PLAYING_APPLICATIONS.get(str(arguments[0]).lower())
        reply = await self._exchange(verb, arguments, wait_s=wait_s)
        told = self._saw_hangup or self.hung_up
        if sound and not told and _unplayed(reply, status=status):
            if await self._sound_missing(status):
                raise SoundMissing(f"{self._who()}: no sound {sound!r}", sound=sound)
            if self.hung_up:
                raise AgiHangup(f"{self._who()}: hung up during {verb}")
        return self._check(verb, reply)

    async def _sound_missing(self, status: str | None) -> bool:
        """After a reply that reads both as a missing file and as a hang-up: on a
        hung-up channel Asterisk sends a HANGUP line ahead of the next reply
        (agi-hangup.agi.txt), so the probe raises AgiHangup; on a live one CHANNEL
        STATUS answers its state and the status variable says FAILED."""
        try:
            if status is not None:
                return await self.get_variable(status) == "FAILED"
            return (await self.command("CHANNEL STATUS")).result.isdigit()
        except AgiHangup:
            return False

    async def get_data(
        self, prompt: str, timeout_ms: int, max_digits: int
    ) -> GetDataResult:
        """Play `prompt` (`""`: none) and collect up to `max_digits` (`#` ends
        early). Raises SoundMissing: Asterisk then collected nothing."""
        wait_s = timeout_ms / 1000 * max(max_digits, 1)
        arguments = (prompt, timeout_ms, max_digits)
        reply = await self._play("GET DATA", arguments, prompt, wait_s=wait_s)
        return GetDataResult(digits=reply.result, timed_out=reply.data == "timeout")

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        reply = await self.command("SAY DIGITS", digits, escape_digits)
        return _digit(reply)

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """Wait up to `timeout_ms` (-1: for ever) for one key; None on timeout."""
        wait_s = timeout_ms / 1000 if timeout_ms >= 0 else 24 * 3600.0
        reply = await self.command("WAIT FOR DIGIT", timeout_ms, wait_s=wait_s)
        return _digit(reply)

    async def record_file(
        self,
        path_without_ext: str,
        fmt: str = "wav",
        escape_digits: str = "#",
        timeout_ms: int = 60_000,
        *,
        silence_s: int | None = None,
        beep: bool = False,
    ) -> RecordResult:
        """Record into `path_without_ext.fmt` until an escape digit, `timeout_ms`
        (-1: no limit, bounded by the command timeout) or `silence_s` of silence.
        Raises SoundMissing when `beep` and Asterisk has no beep: nothing was
        recorded."""
        arguments: list[str | int] = [path_without_ext, fmt, escape_digits, timeout_ms]
        if beep:
            arguments.append("BEEP")
        if silence_s is not None:
            arguments.append(f"s={silence_s}")
        wait_s = max(timeout_ms, 0) / 1000
        sound = BEEP if beep else ""
        reply = await self._play("RECORD FILE", tuple(arguments), sound, wait_s=wait_s)
        if reply.result.startswith("-"):
            raise AgiProtocolError(f"{self._who()}: RECORD FILE failed: {reply.text}")
        return RecordResult(
            digit=_digit(reply) if reply.data == "dtmf" else None,
            ended_by=reply.data or "",
            end_position=int(reply.extra.get("endpos", "0") or 0),
        )

    async def set_variable(self, name: str, value: str) -> None:
        await self.command("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        """The channel variable or function (`CALLERID(num)`); None when unset."""
        reply = await self.command("GET VARIABLE", name)
        if reply.result == "0":
            return None
        return reply.data if reply.data is not None else ""

    async def exec(self, application: str, *arguments: str) -> int:
        """Run a dialplan application (`exec("Wait", "1")`) and return its result
        (-2: no such application). Playback and Background raise SoundMissing."""
        if not arguments:
            return (await self.command("EXEC", application)).result_int
        data = ",".join(arguments)
        if application.lower() in _PLAYING_APPLICATIONS:
            reply = await self._play("EXEC", (application, data), arguments[0])
            return reply.result_int
        return (await self.command("EXEC", application, data)).result_int

    async def set_context(self, context: str) -> None:
        await self.command("SET CONTEXT", context)

    async def set_extension(self, extension: str) -> None:
        await self.command("SET EXTENSION", extension)

    async def set_priority(self, priority: int | str) -> None:
        await self.command("SET PRIORITY", priority)

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command("VERBOSE", message, level)


def _unplayed(reply: AgiReply, *, status: str | None) -> bool:
    """A reply that may mean the file was not there (see `AgiSession._play`)."""
    if reply.kind is not ReplyKind.OK:
        return False
    if status is not None:
        return reply.result == "0"
    return (
        reply.result == "-1"
        and reply.data in (None, "randomerror")
        and reply.extra.get("endpos", "0") in ("0", "-1")
    )


def _digit(reply: AgiReply) -> str | None:
    """STREAM FILE, SAY DIGITS and WAIT FOR DIGIT give the key's ASCII code, 0 for
    none."""
    code = reply.result_int
    return chr(code) if code > 0 else None


class AgiServer:
    """Serve FastAGI on `host:port`. `run()` until cancelled, or `start()`/`stop()`.

    `peers` decides who may connect (default: loopback only); anyone else is
    disconnected before a byte is read. `environment_timeout_s` drops a client that
    connects and does not send its environment; `command_timeout_s` bounds every
    command's reply.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 4573,
        handlers: Mapping[str, AgiHandler] | None = None,
        environment_timeout_s: float = 5.0,
        command_timeout_s: float = 30.0,
        peers: AgiPeers | None = None,
    ) -> None:
        self._host = host
        self._peers = peers or AgiPeers()
        self._port = port
        self._handlers: dict[str, AgiHandler] = dict(handlers or {})
        self._environment_timeout_s = environment_timeout_s
        self._command_timeout_s = command_timeout_s
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.active_sessions = 0
        """Connections accepted and not yet closed."""
        self.sessions_total = 0

    def route(self, script: str, handler: AgiHandler) -> None:
        """Send `agi://host:port/<script>` sessions to `handler`."""
        self._handlers[script] = handler

    @property
    def port(self) -> int:
        """The bound port (useful with port 0); the configured one before start."""
        if self._server is None or not self._server.sockets:
            return self._port
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def start(self) -> int:
        """Listen; return the bound port."""
        await self._peers.refresh()
        self._server = await asyncio.start_server(
            self._accept, self._host, self._port, limit=MAX_LINE_BYTES
        )
        log.info("FastAGI listening on %s:%d", self._host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop listening, cancel every session and wait for them to end."""
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def run(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.create_task(self._serve(reader, writer), name="agi-session")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        if not await self._peers.admits(peer_host(peer)):
            writer.transport.abort()
            return
        self.active_sessions += 1
        self.sessions_total += 1
        try:
            request = await self._read_environment(reader, peer)
            if request is not None:
                session = AgiSession(
                    request, reader, writer, command_timeout_s=self._command_timeout_s
                )
                await self._dispatch(session)
        finally:
            self.active_sessions -= 1
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()

    async def _read_environment(
        self, reader: asyncio.StreamReader, peer: object
    ) -> AgiRequest | None:
        lines: list[str] = []
        try:
            async with asyncio.timeout(self._environment_timeout_s):
                while (raw := await reader.readline()) not in (b"\n", b"\r\n"):
                    if not raw:
                        log.warning("AGI client %s closed before its environment", peer)
                        return None
                    lines.append(raw.rstrip(b"\r\n").decode("utf-8", "replace"))
                    if len(lines) > 1000:
                        raise AgiParseError("environment never ends")
            return parse_environment(lines)
        except TimeoutError:
            log.warning(
                "AGI client %s sent no complete environment in %.1fs; raw=%r",
                peer,
                self._environment_timeout_s,
                "\n".join(lines)[:_RAW_LOG_CHARS],
            )
        except ValueError as exc:  # AgiParseError, or a line over the limit
            log.warning(
                "malformed AGI environment from %s: %s; raw=%r",
                peer,
                exc,
                "\n".join(lines)[:_RAW_LOG_CHARS],
            )
        except ConnectionError as exc:
            log.warning("AGI client %s lost before its environment: %s", peer, exc)
        return None

    async def _dispatch(self, session: AgiSession) -> None:
        request = session.request
        handler = self._handlers.get(request.script)
        where = f"script={request.script} channel={request.channel}"
        if handler is None:
            log.warning("no FastAGI handler for %s; hanging up", where)
            with contextlib.suppress(AgiHangup, AgiTimeout, AgiProtocolError):
                await session.hangup()
            return
        try:
            await handler(session)
        except AgiHangup as exc:
            log.info("caller hung up: %s (%s)", where, exc)
        except (AgiTimeout, AgiProtocolError, SoundMissing) as exc:
            log.warning("FastAGI session failed: %s: %s", where, exc)
        except Exception:
            log.exception("FastAGI handler failed: %s", where)
