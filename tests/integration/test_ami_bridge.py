"""The AMI bridge against a real TCP peer: a scripted AMI server on loopback that
speaks Asterisk's framing (banner, CRLF blocks, ActionID, event lists) and
records the actions it receives."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from telephony.ami import AmiConfig
from telephony.ami_parse import AmiFramer, AmiMessage, encode
from telephony.backoff import Backoff
from telephony.errors import PbxError, PbxTimeout, PbxUnavailable
from telephony.events import (
    CallArrived,
    CallEnded,
    PbxConnected,
    PbxDisconnected,
)
from telephony.model import EndReason, PbxId
from telephony.pbx import TelephonyBridge
from telephony.ports import PbxPort
from tests.fakes import RecordingPublisher

PBX = PbxId("pbx1")
SECRET = "ccsecret"
FAST = Backoff(initial_s=0.01, factor=2, cap_s=0.05, jitter=0.5)


async def eventually(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110 - polling state, not awaiting a signal
            await asyncio.sleep(0.01)


def channel_fields(uniqueid: str, linkedid: str, state: str = "Up") -> dict[str, str]:
    return {
        "Channel": f"PJSIP/trunk-{uniqueid}",
        "ChannelState": "6",
        "ChannelStateDesc": state,
        "CallerIDNum": "+74951234567",
        "CallerIDName": "Ivan Petrov",
        "Context": "cc-inbound",
        "Exten": "2001",
        "Uniqueid": uniqueid,
        "Linkedid": linkedid,
    }


def event(name: str, fields: dict[str, str]) -> bytes:
    return encode([("Event", name), ("Privilege", "call,all"), *fields.items()])


@dataclass
class ScriptedAmi:
    """Asterisk's side of AMI, as far as the bridge needs it."""

    secret: str = SECRET
    channels: list[dict[str, str]] = field(default_factory=list)
    """What CoreShowChannels lists."""
    shutting_down: int = 0
    """Refuse this many logins with `Asterisk is shutting down`."""
    silent: set[str] = field(default_factory=set)
    """Actions never answered."""
    actions: list[AmiMessage] = field(default_factory=list)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    logins: int = 0
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    def named(self, action: str) -> list[AmiMessage]:
        return [a for a in self.actions if a.action == action]

    async def serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        framer = AmiFramer(expect_banner=False)
        try:
            while data := await reader.read(65536):
                for message in framer.feed(data):
                    if isinstance(message, AmiMessage):
                        self.actions.append(message)
                        if not self.reply(message, writer):
                            writer.close()
                            return
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(ValueError):
                self.writers.remove(writer)
            writer.close()

    def reply(self, message: AmiMessage, writer: asyncio.StreamWriter) -> bool:
        name, action_id = message.action or "", message.action_id or ""
        head = [("ActionID", action_id)]
        if name in self.silent:
            return True
        if name == "Login":
            self.logins += 1
            if self.shutting_down > 0:
                self.shutting_down -= 1
                writer.write(
                    encode(
                        [
                            ("Response", "Error"),
                            *head,
                            ("Message", "Asterisk is shutting down"),
                        ]
                    )
                )
                return False
            if message.get("Secret") != self.secret:
                writer.write(
                    encode(
                        [
                            ("Response", "Error"),
                            *head,
                            ("Message", "Authentication failed"),
                        ]
                    )
                )
                return False
            writer.write(
                encode(
                    [
                        ("Response", "Success"),
                        *head,
                        ("Message", "Authentication accepted"),
                    ]
                )
            )
            writer.write(event("FullyBooted", {"Status": "Fully Booted"}))
        elif name == "CoreShowChannels":
            writer.write(
                encode(
                    [
                        ("Response", "Success"),
                        *head,
                        ("EventList", "start"),
                        ("Message", "Channels will follow"),
                    ]
                )
            )
            for fields in self.channels:
                writer.write(
                    encode(
                        [
                            ("Event", "CoreShowChannel"),
                            *head,
                            *fields.items(),
                            ("BridgeId", ""),
                        ]
                    )
                )
            writer.write(
                encode(
                    [
                        ("Event", "CoreShowChannelsComplete"),
                        *head,
                        ("EventList", "Complete"),
                        ("ListItems", str(len(self.channels))),
                    ]
                )
            )
        elif name == "Originate":
            writer.write(
                encode(
                    [
                        ("Response", "Success"),
                        *head,
                        ("Message", "Originate successfully queued"),
                    ]
                )
            )
            ok = "busy" not in message.get("Channel")
            writer.write(
                encode(
                    [
                        ("Event", "OriginateResponse"),
                        *head,
                        ("Response", "Success" if ok else "Failure"),
                        ("Channel", message.get("Channel")),
                        ("Reason", "4" if ok else "5"),
                        (
                            "Uniqueid",
                            message.get("ChannelId") or "1.1" if ok else "<unknown>",
                        ),
                    ]
                )
            )
        elif name == "Hangup" and message.get("Channel") == "PJSIP/nosuch":
            writer.write(
                encode([("Response", "Error"), *head, ("Message", "No such channel")])
            )
        elif name == "Getvar":
            writer.write(
                encode(
                    [
                        ("Response", "Success"),
                        *head,
                        ("Variable", message.get("Variable")),
                        ("Value", "42"),
                    ]
                )
            )
        else:
            writer.write(encode([("Response", "Success"), *head]))
        return True

    def push(self, data: bytes) -> None:
        for writer in self.writers:
            writer.write(data)

    def drop(self) -> None:
        """Close every connection at once, without a word (as a restart does)."""
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()


@pytest.fixture
async def ami() -> AsyncIterator[ScriptedAmi]:
    scripted = ScriptedAmi()
    scripted.server = await asyncio.start_server(scripted.serve, "127.0.0.1", 0)
    try:
        yield scripted
    finally:
        scripted.drop()
        scripted.server.close()
        await scripted.server.wait_closed()


@dataclass
class Running:
    bridge: TelephonyBridge
    published: RecordingPublisher

    def arrived(self) -> list[str]:
        return [e.call_id for e in self.published.of_type(CallArrived)]

    def ended(self) -> list[CallEnded]:
        return self.published.of_type(CallEnded)


@contextlib.asynccontextmanager
async def running(
    ami: ScriptedAmi,
    *,
    secret: str = SECRET,
    action_timeout_s: float = 2.0,
    ping_interval_s: float = 20.0,
) -> AsyncIterator[Running]:
    config = AmiConfig(
        pbx_id=PBX,
        host="127.0.0.1",
        port=ami.port,
        username="cc",
        secret=secret,
        connect_timeout_s=2.0,
        action_timeout_s=action_timeout_s,
        ping_interval_s=ping_interval_s,
    )
    published = RecordingPublisher()
    bridge = TelephonyBridge([config], published, backoff=FAST)
    task = asyncio.create_task(bridge.run())
    try:
        yield Running(bridge, published)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def connected(run: Running, times: int = 1) -> None:
    await eventually(lambda: len(run.published.of_type(PbxConnected)) >= times)
    await run.bridge.drain()


async def test_live_calls_are_adopted_once_when_bridge_connects(
    ami: ScriptedAmi,
) -> None:
    ami.channels = [channel_fields("1.1", "1.1"), channel_fields("1.2", "1.1")]
    async with running(ami) as run:
        await connected(run)
        assert run.arrived() == ["pbx1:1.1"]
        (up,) = run.published.of_type(PbxConnected)
        assert up.live_calls == 1
        (call,) = run.bridge.live_calls()
        assert (call.ani, call.dnis, len(call.legs)) == ("+74951234567", "2001", 2)
        assert call.answered_at is not None


async def test_bridge_reconnects_and_resyncs_when_server_closes(
    ami: ScriptedAmi,
) -> None:
    ami.channels = [channel_fields("1.1", "1.1")]
    async with running(ami) as run:
        await connected(run)
        ami.drop()
        await connected(run, times=2)
        assert len(ami.named("CoreShowChannels")) == 2
        assert len(run.published.of_type(PbxDisconnected)) == 1
        assert run.arrived() == ["pbx1:1.1"]
        assert run.ended() == []


async def test_restart_ends_vanished_calls_keeps_live_ones_when_logins_refused(
    ami: ScriptedAmi, caplog: pytest.LogCaptureFixture
) -> None:
    ami.channels = [channel_fields("1.1", "1.1"), channel_fields("2.1", "2.1")]
    async with running(ami) as run:
        await connected(run)
        ami.push(event("Newchannel", channel_fields("3.1", "3.1", state="Ring")))
        await eventually(lambda: len(run.arrived()) == 3)
        # Asterisk restarts: the socket closes with no Hangup; the call on 1.1
        # survives (a second box, say), 2.1 and 3.1 are gone, 4.1 is new.
        ami.channels = [channel_fields("1.1", "1.1"), channel_fields("4.1", "4.1")]
        ami.shutting_down = 2
        with caplog.at_level(logging.WARNING, logger="telephony.ami"):
            ami.drop()
            await connected(run, times=2)

        assert ami.logins == 4
        assert "Asterisk is shutting down" in caplog.text
        assert sorted(run.arrived()) == ["pbx1:1.1", "pbx1:2.1", "pbx1:3.1", "pbx1:4.1"]
        vanished = sorted((e.call_id, e.reason) for e in run.ended())
        assert vanished == [
            ("pbx1:2.1", EndReason.VANISHED),
            ("pbx1:3.1", EndReason.VANISHED),
        ]
        assert sorted(c.call_id for c in run.bridge.live_calls()) == [
            "pbx1:1.1",
            "pbx1:4.1",
        ]


async def test_login_is_retried_with_backoff_when_secret_is_wrong(
    ami: ScriptedAmi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="telephony.ami"):
        async with running(ami, secret="wrong") as run:
            await eventually(lambda: ami.logins >= 3)
            assert not run.bridge.clients[PBX].connected
            assert run.published.of_type(PbxConnected) == []
            with pytest.raises(PbxUnavailable):
                await run.bridge.pbx.hangup(PBX, channel="PJSIP/1")
    assert "login refused: Authentication failed" in caplog.text
    assert "pbx=pbx1" in caplog.text


async def test_every_action_gets_its_reply_when_sent_to_the_pbx(
    ami: ScriptedAmi,
) -> None:
    ami.channels = [channel_fields("1.1", "1.1")]
    async with running(ami) as run:
        await connected(run)
        pbx: PbxPort = run.bridge.pbx
        ok = await pbx.originate(
            PBX,
            channel="Local/human@cc-party",
            context="cc-dialer",
            exten="s",
            variables={"CC_CAMPAIGN": "7"},
            timeout_s=1,
        )
        busy = await pbx.originate(
            PBX,
            channel="Local/busy@cc-party",
            context="cc-dialer",
            exten="s",
            timeout_s=1,
        )
        leg = await pbx.originate(
            PBX,
            channel="PJSIP/1001",
            application="Bridge",
            data="PJSIP/trunk-1.1",
            timeout_s=1,
        )
        await pbx.redirect(PBX, channel="PJSIP/trunk-1.1", context="cc-wait", exten="s")
        await pbx.hangup(PBX, channel="PJSIP/trunk-1.1", cause=17)
        await pbx.bridge(PBX, channel1="PJSIP/a", channel2="PJSIP/b")
        await pbx.set_var(PBX, channel=None, name="GLOBAL(X)", value="1")
        value = await pbx.get_var(PBX, channel="PJSIP/a", name="X")
        await pbx.mix_monitor(PBX, channel="PJSIP/a", file="/rec/a.wav", options="b")
        await pbx.mute_mix_monitor(PBX, channel="PJSIP/a", muted=True)
        await pbx.stop_mix_monitor(PBX, channel="PJSIP/a")
        await pbx.play_dtmf(PBX, channel="PJSIP/a", digit="2")
        listed = await run.bridge.pbx.core_show_channels(PBX)

    assert (ok.success, ok.reason) == (True, 4)
    assert (busy.success, busy.reason, busy.channel_id) == (False, 5, None)
    assert leg.success
    assert leg.channel_id is not None
    assert leg.channel_id.startswith("cc-")
    assert value == "42"
    assert [c.channel_id for c in listed] == ["1.1"]
    sent = {a.action: a for a in ami.actions}
    assert sent["Originate"].get("Async") == "true"
    assert ami.named("Originate")[0].all("Variable") == ["CC_CAMPAIGN=7"]
    assert ami.named("Originate")[0].get("Timeout") == "1000"
    assert sent["Hangup"].get("Cause") == "17"
    assert (
        sent["MixMonitorMute"].get("State"),
        sent["MixMonitorMute"].get("Direction"),
    ) == ("1", "both")
    assert sent["PlayDTMF"].get("Duration") == "250"
    assert sent["Setvar"].get("Channel") == ""
    assert run.bridge.tracker.pending_expectations == 0


async def test_error_reply_raises_with_asterisk_message_when_pbx_refuses(
    ami: ScriptedAmi,
) -> None:
    async with running(ami) as run:
        await connected(run)
        with pytest.raises(PbxError, match="No such channel"):
            await run.bridge.pbx.hangup(PBX, channel="PJSIP/nosuch")


async def test_action_times_out_when_pbx_never_answers(ami: ScriptedAmi) -> None:
    ami.silent = {"Bridge"}
    async with running(ami, action_timeout_s=0.2) as run:
        await connected(run)
        with pytest.raises(PbxTimeout, match="Bridge"):
            await run.bridge.pbx.bridge(PBX, channel1="a", channel2="b")
        await run.bridge.pbx.hangup(PBX, channel="PJSIP/1")


async def test_action_raises_unavailable_when_pbx_is_unknown(ami: ScriptedAmi) -> None:
    async with running(ami) as run:
        with pytest.raises(PbxUnavailable, match="nope"):
            await run.bridge.pbx.hangup(PbxId("nope"), channel="PJSIP/1")


async def test_connection_survives_when_pbx_sends_garbage_unknown_and_huge_blocks(
    ami: ScriptedAmi, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(ami) as run:
        await connected(run)
        with caplog.at_level(logging.WARNING, logger="telephony.ami"):
            ami.push(b"\x00\xffgarbage line\r\nno colon here\r\n\r\n")
            ami.push(event("SomethingNew", {"Foo": "bar"}))
            ami.push(b"Event: Newstate\r\nHuge: " + b"x" * 300_000 + b"\r\n\r\n")
            ami.push(
                event("Newstate", {"Channel": "PJSIP/x", "ChannelStateDesc": "Up"})
            )
            ami.push(event("Newchannel", channel_fields("5.1", "5.1", state="Ring")))
            await eventually(lambda: run.arrived() == ["pbx1:5.1"])
        assert len(ami.named("Login")) == 1
        assert "pbx=pbx1" in caplog.text
        assert "garbage line" in caplog.text
        assert "block longer than" in caplog.text
        assert "without Uniqueid or Linkedid" in caplog.text
        assert max(len(r.getMessage()) for r in caplog.records) < 600


async def test_call_is_kept_once_when_connection_drops_mid_event(
    ami: ScriptedAmi, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(ami) as run:
        await connected(run)
        ami.push(event("Newchannel", channel_fields("6.1", "6.1", state="Ring")))
        await eventually(lambda: run.arrived() == ["pbx1:6.1"])
        ami.channels = [channel_fields("6.1", "6.1"), channel_fields("6.2", "6.1")]
        with caplog.at_level(logging.WARNING, logger="telephony.ami"):
            ami.push(event("Newchannel", channel_fields("6.2", "6.1"))[:60])
            client = run.bridge.clients[PBX]
            await eventually(lambda: client.pending_bytes > 0)
            ami.drop()
            await connected(run, times=2)
        assert run.arrived() == ["pbx1:6.1"]
        (call,) = run.bridge.live_calls()
        assert sorted(leg.channel_id for leg in call.legs) == ["6.1", "6.2"]
        assert "connection closed inside a block" in caplog.text


async def test_dead_peer_is_dropped_when_ping_goes_unanswered(ami: ScriptedAmi) -> None:
    ami.silent = {"Ping"}
    async with running(ami, action_timeout_s=0.2, ping_interval_s=0.1) as run:
        await connected(run, times=2)
        assert len(ami.named("Ping")) >= 1
