"""Test-side peers for the simulator: a minimal AMI client, a FastAGI responder that
plays a fixed command list, a reader of the recorded traces, and sound files for
its sounds directory."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from telephony.ami_parse import AmiFramer, AmiMessage, Banner, encode
from telephony.sim.wav import RATE_HZ, tone, write_wav

TRACES = Path("/work/shared/asterisk-traces")
TIMEOUT_S = 10.0


def write_sound(sounds_dir: Path, name: str, *, seconds: float = 2.0) -> None:
    """Put sound `name` (a tone of `seconds`) where a simulator reading
    `sounds_dir` finds it."""
    path = sounds_dir / f"{name}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, tone(int(seconds * RATE_HZ)))


def read_trace(name: str) -> list[tuple[str, AmiMessage | str]]:
    """The AMI blocks of a trace: ("<<" or ">>", message), banner and notes as text."""
    out: list[tuple[str, AmiMessage | str]] = []
    cur: list[tuple[str, str]] = []
    direction = ""
    for raw in (TRACES / name).read_text().splitlines():
        m = re.match(r"\s*[\d.]+ (<<|>>|!!) ?(.*)$", raw)
        if not m:
            continue
        d, text = m.groups()
        if text == "" or d == "!!" or text.startswith("["):
            if cur:
                out.append((direction, AmiMessage.of(cur)))
                cur = []
            if text:
                out.append((d, text))
            continue
        key, sep, value = text.partition(": ")
        if not sep and text.endswith(":"):
            key, sep, value = text[:-1], ":", ""
        if sep and " " not in key:
            cur.append((key, value))
            direction = d
        else:
            out.append((d, text))
    if cur:
        out.append((direction, AmiMessage.of(cur)))
    return out


def trace_agi_commands(name: str) -> list[str]:
    """The FastAGI commands the service sent in a trace, in order, as Asterisk
    reports them (`AGIExecStart`): what an AgiScript replays."""
    return [m["Command"] for m in trace_events(name) if m.event == "AGIExecStart"]


def trace_sounds(name: str) -> frozenset[str]:
    """The sound files the service played in a trace (they were on that Asterisk):
    a simulator replaying the trace must have them too."""
    played = set()
    for command in trace_agi_commands(name):
        words = command.split()
        if command.startswith(("GET DATA", "STREAM FILE")) and len(words) > 2:
            played.add(words[2].strip('"'))
    return frozenset(played)


def trace_events(name: str) -> list[AmiMessage]:
    return [
        m
        for d, m in read_trace(name)
        if d == "<<" and isinstance(m, AmiMessage) and m.event
    ]


@dataclass
class AmiClient:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    received: list[AmiMessage] = field(default_factory=list)
    banner: str = ""
    closed: bool = False
    _task: asyncio.Task[None] | None = None
    _seq: int = 0

    @classmethod
    async def connect(cls, port: int) -> AmiClient:
        async with asyncio.timeout(TIMEOUT_S):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        client._task = asyncio.get_running_loop().create_task(client._read())
        await client.wait_for(lambda: bool(client.banner))
        return client

    async def _read(self) -> None:
        framer = AmiFramer()
        while True:
            data = await self.reader.read(65536)
            if not data:
                self.closed = True
                return
            for item in framer.feed(data):
                if isinstance(item, Banner):
                    self.banner = item.text
                elif isinstance(item, AmiMessage):
                    self.received.append(item)

    async def send(self, action: str, *pairs: tuple[str, str]) -> str:
        self._seq += 1
        action_id = f"cc-{self._seq}"
        self.writer.write(encode([("Action", action), ("ActionID", action_id), *pairs]))
        await self.writer.drain()
        return action_id

    async def call(self, action: str, *pairs: tuple[str, str]) -> AmiMessage:
        action_id = await self.send(action, *pairs)
        return await self.wait_for_message(
            lambda m: m.action_id == action_id and m.response is not None
        )

    async def login(self, secret: str = "ccsecret") -> AmiMessage:  # noqa: S107
        return await self.call("Login", ("Username", "cc"), ("Secret", secret))

    async def wait_for(
        self, predicate: Callable[[], bool], timeout_s: float = TIMEOUT_S
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met")
            await asyncio.sleep(0.01)

    async def wait_for_message(
        self, predicate: Callable[[AmiMessage], bool], timeout_s: float = TIMEOUT_S
    ) -> AmiMessage:
        found: list[AmiMessage] = []

        def check() -> bool:
            found[:] = [m for m in self.received if predicate(m)]
            return bool(found)

        await self.wait_for(check, timeout_s)
        return found[0]

    def events(self) -> list[AmiMessage]:
        return [m for m in self.received if m.event]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.writer.close()


@dataclass
class AgiScript:
    """A FastAGI server that sends `commands` in order on each connection and keeps
    every line it got back, reading the `HANGUP` line as Asterisk sends it."""

    commands: list[str]
    environments: list[dict[str, str]] = field(default_factory=list)
    replies: list[list[str]] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        env: dict[str, str] = {}
        replies: list[str] = []
        self.replies.append(replies)
        try:
            async with asyncio.timeout(TIMEOUT_S):
                while (line := (await reader.readline()).decode()) not in ("\n", ""):
                    key, _, value = line.rstrip("\n").partition(": ")
                    env[key] = value
                self.environments.append(env)
                for command in self.commands:
                    writer.write(command.encode() + b"\n")
                    await writer.drain()
                    reply = (await reader.readline()).decode().rstrip("\n")
                    if reply == "HANGUP":
                        replies.append(reply)
                        reply = (await reader.readline()).decode().rstrip("\n")
                    replies.append(reply)
        finally:
            writer.close()
