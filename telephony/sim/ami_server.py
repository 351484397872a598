"""The simulator's AMI server: Asterisk 20's manager protocol over real TCP.

Banner line, CRLF `Key: Value` blocks ended by a blank line, ActionID echoed,
`Response: Success|Error` with Asterisk's texts, event lists with `EventList:
start`/`Complete`, events to every logged-in session (ami-basics.ami.txt).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telephony.ami_parse import AmiFramer, AmiMessage, FramingProblem, encode
from telephony.sim.channels import Channel, Event
from telephony.sim.dialplan import Dialplan, OriginateRequest, parse_callerid
from telephony.sim.originate import originate, originate_response, split_local
from telephony.sim.transfer import TransferRefused, Transfers
from telephony.sim.wav import GrowingWav

log = logging.getLogger(__name__)

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
MAX_PENDING_BYTES = 64 * 1024 * 1024
"""A client that lets this much output pile up is dropped (Asterisk's write timeout)."""


@dataclass(eq=False)
class AmiSession:
    writer: asyncio.StreamWriter
    session_id: str
    local: str
    remote: str
    authenticated: bool = False

    def send(self, data: bytes) -> None:
        transport = self.writer.transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size() > MAX_PENDING_BYTES:
            log.warning("ami client too slow, dropping session=%s", self.session_id)
            transport.abort()
            return
        self.writer.write(data)


@dataclass(eq=False)
class AmiState:
    """What the server shares with the simulator."""

    booted_at: float = field(default_factory=time.monotonic)
    shutting_down: bool = False
    booting: bool = False
    actions: list[AmiMessage] = field(default_factory=list)


class AmiServer:
    def __init__(
        self,
        dp: Dialplan,
        state: AmiState,
        *,
        on_restart: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        self.dp = dp
        self.state = state
        self.on_restart = on_restart
        self.sessions: set[AmiSession] = set()
        self.transfers = Transfers(dp)
        self._server: asyncio.Server | None = None
        self._next_session = 0x7FA828004940
        self._held: list[Event] | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._client, host, port)

    async def stop(self) -> None:
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def drop_all(self) -> None:
        """Close every AMI connection at once, without a word (a crash or restart)."""
        for session in list(self.sessions):
            session.writer.transport.abort()
        self.sessions.clear()

    def hold(self) -> None:
        """Keep events back from now on, as a congested manager link would."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        """Send the events held back, in order, and stop holding."""
        held, self._held = self._held or [], None
        for event in held:
            self.broadcast(event)

    def broadcast(self, event: Event) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        if not self.sessions:
            return
        data = encode(event)
        for session in list(self.sessions):
            if session.authenticated:
                session.send(data)

    def uptime_s(self) -> int:
        return int((time.monotonic() - self.state.booted_at) * self.dp.config.speed)

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        local = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        remote = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        self._next_session += 0x10
        session = AmiSession(
            writer,
            hex(self._next_session),
            f"IPV4/TCP/{local[0]}/{local[1]}",
            f"IPV4/TCP/{remote[0]}/{remote[1]}",
        )
        self.sessions.add(session)
        framer = AmiFramer(expect_banner=False)
        try:
            writer.write(BANNER)
            while not writer.transport.is_closing():
                data = await reader.read(65536)
                if not data:
                    break
                for item in framer.feed(data):
                    if isinstance(item, FramingProblem):
                        log.warning(
                            "ami bad input session=%s: %s %r",
                            session.session_id,
                            item.reason,
                            item.raw,
                        )
                    elif isinstance(item, AmiMessage):
                        await self._action(session, item)
        except (ConnectionError, OSError) as exc:
            log.info("ami session closed session=%s error=%s", session.session_id, exc)
        finally:
            self.sessions.discard(session)
            writer.close()

    def _reply(
        self,
        session: AmiSession,
        msg: AmiMessage,
        response: str,
        *pairs: tuple[str, str],
    ) -> None:
        out: list[tuple[str, str]] = [("Response", response)]
        if msg.action_id is not None:
            out.append(("ActionID", msg.action_id))
        out.extend(pairs)
        session.send(encode(out))

    async def _action(self, session: AmiSession, msg: AmiMessage) -> None:
        self.state.actions.append(msg)
        action = (msg.action or "").lower()
        if action == "login":
            await self._login(session, msg)
            return
        if action == "logoff":
            self._reply(
                session, msg, "Goodbye", ("Message", "Thanks for all the fish.")
            )
            session.writer.close()
            return
        if not session.authenticated:
            self._reply(session, msg, "Error", ("Message", "Permission denied"))
            return
        handler = _HANDLERS.get(action)
        if handler is None:
            self._reply(
                session,
                msg,
                "Error",
                (
                    "Message",
                    f"Invalid/unknown command: {msg.action}. "
                    "Use Action: ListCommands to show available commands.",
                ),
            )
            self.broadcast(
                self._security(
                    "RequestBadFormat",
                    session,
                    "Error",
                    ("RequestType", f"Action: {msg.action}"),
                )
            )
            return
        await handler(self, session, msg)

    def _security(
        self, name: str, session: AmiSession, severity: str, *extra: tuple[str, str]
    ) -> Event:
        tv = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
        head: Event = [
            ("Event", name),
            ("Privilege", "security,all"),
            ("EventTV", tv),
            ("Severity", severity),
            ("Service", "AMI"),
            ("EventVersion", "1"),
        ]
        where = [
            ("SessionID", session.session_id),
            ("LocalAddress", session.local),
            ("RemoteAddress", session.remote),
        ]
        if name == "SuccessfulAuth":
            return [
                *head,
                ("AccountID", self.dp.config.username),
                *where,
                ("UsingPassword", "0"),
                ("SessionTV", tv),
            ]
        return [
            *head,
            *where,
            *extra,
            ("SessionTV", tv),
            ("AccountID", self.dp.config.username),
        ]

    async def _login(self, session: AmiSession, msg: AmiMessage) -> None:
        cfg = self.dp.config
        if self.state.shutting_down:
            self._reply(session, msg, "Error", ("Message", "Asterisk is shutting down"))
            session.writer.close()
            return
        if msg.get("Username") != cfg.username or msg.get("Secret") != cfg.secret:
            if cfg.auth_fail_delay_s > 0:
                await asyncio.sleep(cfg.auth_fail_delay_s)
            self._reply(session, msg, "Error", ("Message", "Authentication failed"))
            session.writer.close()
            return
        self._reply(session, msg, "Success", ("Message", "Authentication accepted"))
        session.authenticated = True
        if not self.state.booting:
            up = str(self.uptime_s())
            session.send(
                encode(
                    [
                        ("Event", "FullyBooted"),
                        ("Privilege", "system,all"),
                        ("Uptime", up),
                        ("LastReload", up),
                        ("Status", "Fully Booted"),
                    ]
                )
            )
        self.broadcast(self._security("SuccessfulAuth", session, "Informational"))

    def fully_booted_broadcast(self) -> None:
        """What a restarted Asterisk sends once booted (restart.ami.txt)."""
        self.broadcast(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Status", "Fully Booted"),
                ("Uptime", "0"),
                ("LastReload", "0"),
            ]
        )


Handler = Callable[[AmiServer, AmiSession, AmiMessage], Awaitable[None]]


async def _ping(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    server._reply(
        session, msg, "Success", ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")
    )


async def _core_show_channels(
    server: AmiServer, session: AmiSession, msg: AmiMessage
) -> None:
    action_id = msg.action_id or ""
    server._reply(
        session,
        msg,
        "Success",
        ("EventList", "start"),
        ("Message", "Channels will follow"),
    )
    items = server.dp.pbx.core_show_channels(action_id)
    for item in items:
        if not msg.action_id:
            item.remove(("ActionID", ""))
        session.send(encode(item))
    done: Event = [("Event", "CoreShowChannelsComplete")]
    if msg.action_id:
        done.append(("ActionID", action_id))
    done += [("EventList", "Complete"), ("ListItems", str(len(items)))]
    session.send(encode(done))


async def _originate(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    dp = server.dp
    channel = msg.get("Channel")
    if not channel:
        server._reply(session, msg, "Error", ("Message", "Channel not specified"))
        return
    if not msg.get("Application") and not msg.get("Exten"):
        server._reply(session, msg, "Error", ("Message", "Exten not specified"))
        return
    variables: list[tuple[str, str]] = []
    for value in msg.all("Variable"):
        for part in value.split(","):
            name, _, val = part.partition("=")
            if name:
                variables.append((name, val))
    timeout_ms = msg.get("Timeout", "30000")
    req = OriginateRequest(
        channel=channel,
        context=msg.get("Context", "default"),
        exten=msg.get("Exten"),
        priority=int(msg.get("Priority", "1") or 1),
        application=msg.get("Application"),
        data=msg.get("Data"),
        callerid=parse_callerid(msg["CallerID"]) if msg.get("CallerID") else None,
        variables=tuple(variables),
        timeout_s=int(timeout_ms) / 1000 if timeout_ms.isdigit() else 30.0,
        channel_id=msg.get("ChannelId") or None,
        other_channel_id=msg.get("OtherChannelId") or None,
        action_id=msg.action_id,
    )
    if msg.get("Async", "false").lower() not in ("true", "yes", "1"):
        server._reply(session, msg, "Error", ("Message", "Originate failed"))
        return
    server._reply(session, msg, "Success", ("Message", "Originate successfully queued"))
    local = split_local(channel)
    if local is None:
        originate_response(dp, req, ok=False, reason=0, one=None)
        return
    dp.spawn(originate(dp, req, local))


async def _hangup(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    ch = server.dp.pbx.find(msg.get("Channel"))
    if ch is None:
        server._reply(session, msg, "Error", ("Message", "No such channel"))
        return
    server._reply(session, msg, "Success", ("Message", "Channel Hungup"))
    # Hanging up a transferer, or the phone half of its Local pair, completes its
    # attended transfer before the hangup reaches the bridge.
    if not server.transfers.complete(ch) and ch.peer is not None:
        server.transfers.complete(ch.peer)
    server.dp.hangup_from_ami(ch)


async def _atxfer(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    name, exten = msg.get("Channel"), msg.get("Exten")
    if not name:
        server._reply(session, msg, "Error", ("Message", "No channel specified"))
        return
    if not exten:
        server._reply(session, msg, "Error", ("Message", "No extension specified"))
        return
    ch = server.dp.pbx.find(name)
    if ch is None:
        server._reply(
            session, msg, "Error", ("Message", "Channel specified does not exist")
        )
        return
    try:
        server.transfers.start(
            ch, context=msg.get("Context") or ch.context, exten=exten
        )
    except TransferRefused as refused:
        server._reply(session, msg, "Error", ("Message", str(refused)))
        return
    server._reply(session, msg, "Success", ("Message", "Atxfer successfully queued"))


async def _cancel_atxfer(
    server: AmiServer, session: AmiSession, msg: AmiMessage
) -> None:
    name = msg.get("Channel")
    if not name:
        server._reply(session, msg, "Error", ("Message", "No channel specified"))
        return
    ch = server.dp.pbx.find(name)
    if ch is None:
        server._reply(
            session, msg, "Error", ("Message", "Channel specified does not exist")
        )
        return
    try:
        server.transfers.cancel(ch)
    except TransferRefused as refused:
        server._reply(session, msg, "Error", ("Message", str(refused)))
        return
    server._reply(
        session, msg, "Success", ("Message", "CancelAtxfer successfully queued")
    )


async def _redirect(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    dp = server.dp
    ch = dp.pbx.find(msg.get("Channel"))
    if ch is None:
        server._reply(
            session, msg, "Error", ("Message", "Channel specified does not exist")
        )
        return
    extra = dp.pbx.find(msg.get("ExtraChannel")) if msg.get("ExtraChannel") else None
    if msg.get("ExtraChannel") and extra is None:
        server._reply(
            session, msg, "Error", ("Message", "Channel specified does not exist")
        )
        return
    _send(dp, ch, msg, "")
    if extra is not None:
        _send(dp, extra, msg, "Extra")
    server._reply(session, msg, "Success", ("Message", "Redirect successful"))


def _send(dp: Dialplan, ch: Channel, msg: AmiMessage, prefix: str) -> None:
    """Move `ch` to the place the Redirect names (`Extra*` fields for the second
    channel); it leaves its bridge when its line takes the jump."""
    line = dp.line(ch)
    line.redirect = (
        msg.get(prefix + "Context", ch.context),
        msg.get(prefix + "Exten", ch.exten),
        int(msg.get(prefix + "Priority", "1") or 1),
    )
    line.wake.set()


async def _bridge(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    dp = server.dp
    one = dp.pbx.find(msg.get("Channel1"))
    two = dp.pbx.find(msg.get("Channel2"))
    if one is None or two is None:
        which = "Channel1" if one is None else "Channel2"
        server._reply(
            session,
            msg,
            "Error",
            ("Message", f"{which} does not exist: {msg.get(which)}"),
        )
        return
    server._reply(session, msg, "Success", ("Message", "Channels have been bridged"))
    for ch in (one, two):  # each leaves the bridge it is in (an emptied one goes)
        old = ch.bridge
        dp.pbx.bridge_leave(ch)
        if old is not None and not old.channels:
            dp.pbx.bridge_destroy(old)
    dp.pbx.moh_stop(one)
    dp.bridge(dp.line(one), dp.line(two))
    dp.line(one).wake.set()


async def _setvar(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    dp = server.dp
    name = msg.get("Variable")
    if not name:
        server._reply(session, msg, "Error", ("Message", "No variable specified"))
        return
    if msg.get("Channel"):
        ch = dp.pbx.find(msg.get("Channel"))
        if ch is None:
            server._reply(session, msg, "Error", ("Message", "Channel not found"))
            return
        dp.pbx.varset(ch, name, msg.get("Value"))
    else:
        dp.globals[name] = msg.get("Value")
    server._reply(session, msg, "Success", ("Message", "Variable Set"))


async def _getvar(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    dp = server.dp
    name = msg.get("Variable")
    value: str | None
    if msg.get("Channel"):
        ch = dp.pbx.find(msg.get("Channel"))
        if ch is None:
            server._reply(session, msg, "Error", ("Message", "No such channel"))
            return
        from telephony.sim.agi_client import AgiRun

        value = AgiRun(dp, dp.line(ch), "").read_variable(name)
    elif name.startswith("GLOBAL(") and name.endswith(")"):
        value = dp.globals.get(name[7:-1])
    else:
        value = dp.globals.get(name)
    server._reply(session, msg, "Success", ("Variable", name), ("Value", value or ""))


async def _play_dtmf(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    dp = server.dp
    ch = dp.pbx.find(msg.get("Channel"))
    digit = msg.get("Digit")
    if ch is None:
        server._reply(session, msg, "Error", ("Message", "Channel not found"))
        return
    if not digit:
        server._reply(session, msg, "Error", ("Message", "No digit specified"))
        return
    duration = int(msg.get("Duration", "250") or 250)
    await asyncio.sleep(duration / 1000 / dp.config.speed)
    server._reply(session, msg, "Success", ("Message", "DTMF successfully queued"))
    hearer = ch.peer if ch.peer is not None and not ch.peer.dead else ch
    dp.pbx.dtmf(hearer, digit[0], duration)
    dp.line(hearer).digits.put_nowait(digit[0])


async def _mixmonitor(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    dp = server.dp
    ch = dp.pbx.find(msg.get("Channel"))
    if ch is None:
        server._reply(session, msg, "Error", ("Message", "No such channel"))
        return
    line = dp.line(ch)
    dp.stop_mix(line)
    path = dp.record_path(msg.get("File") or f"{ch.uniqueid}.wav")
    line.mix = GrowingWav(path)
    line.mix_started = dp.clock()
    server._reply(session, msg, "Success")
    dp.pbx.varset(ch, "MIXMONITOR_FILENAME", str(path))
    dp.pbx.mixmonitor_event("MixMonitorStart", ch)


async def _stop_mixmonitor(
    server: AmiServer, session: AmiSession, msg: AmiMessage
) -> None:
    dp = server.dp
    ch = dp.pbx.find(msg.get("Channel"))
    if ch is None:
        server._reply(session, msg, "Error", ("Message", "No such channel"))
        return
    line = dp.line(ch)
    if line.mix is None:
        server._reply(
            session, msg, "Error", ("Message", "Could not stop monitoring channel")
        )
        return
    dp.stop_mix(line)
    server._reply(session, msg, "Success", ("Message", "Stopped monitoring channel"))
    dp.pbx.mixmonitor_event("MixMonitorStop", ch)


async def _mixmonitor_mute(
    server: AmiServer, session: AmiSession, msg: AmiMessage
) -> None:
    dp = server.dp
    ch = dp.pbx.find(msg.get("Channel"))
    if ch is None:
        server._reply(session, msg, "Error", ("Message", "No such channel"))
        return
    line = dp.line(ch)
    state = msg.get("State", "1")
    if line.mix is not None:
        line.mix.advance_to(dp.clock() - line.mix_started)
        line.mix.muted = state not in ("0", "false", "no")
    server._reply(session, msg, "Success")
    direction = msg.get("Direction", "both")
    dp.pbx.mixmonitor_event(
        "MixMonitorMute", ch, ("Direction", direction), ("State", state)
    )


async def _command(server: AmiServer, session: AmiSession, msg: AmiMessage) -> None:
    command = msg.get("Command").strip()
    if command.startswith("core restart"):
        # A real restart answers nothing: the socket just closes (restart.ami.txt).
        server.dp.spawn(server.on_restart())
        return
    if command == "core show uptime":
        up = server.uptime_s()
        text = f"{up // 60} minute, {up % 60} seconds" if up >= 60 else f"{up} seconds"
        out = [("Output", f"System uptime: {text}"), ("Output", f"Last reload: {text}")]
        server._reply(
            session, msg, "Success", ("Message", "Command output follows"), *out
        )
        return
    server._reply(
        session,
        msg,
        "Error",
        ("Message", "Command output follows"),
        (
            "Output",
            f"No such command '{command}' "
            f"(type 'core show help {command}' for other possible commands)",
        ),
    )


_HANDLERS: dict[str, Handler] = {
    "ping": _ping,
    "coreshowchannels": _core_show_channels,
    "originate": _originate,
    "hangup": _hangup,
    "atxfer": _atxfer,
    "cancelatxfer": _cancel_atxfer,
    "redirect": _redirect,
    "bridge": _bridge,
    "setvar": _setvar,
    "getvar": _getvar,
    "playdtmf": _play_dtmf,
    "mixmonitor": _mixmonitor,
    "stopmixmonitor": _stop_mixmonitor,
    "mixmonitormute": _mixmonitor_mute,
    "command": _command,
}
