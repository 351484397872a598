"""AMI events per second the bridge parses and feeds through the call tracker.

Run from the repository root: `.venv/bin/python -m bench.ami_ingest`.

The event stream is built before timing from the real Asterisk traces (inbound
spine with its agent leg, and the four dialer legs), each copy with fresh channel
ids, noise events included as Asterisk sends them. A sender thread writes the
prepared bytes to loopback TCP (blocking sendall, the GIL released), so the time
measured is the receiving side: framing, dispatch, normalising and the tracker.
The same bytes are then read by panoramisk 1.4's AMIProtocol (its framing and
Message parsing, events dispatched to a counter) as the baseline.
Prints the median of several runs; the last line is `ami_events_per_s=N ratio=R`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import statistics
import threading
import time
from collections.abc import Callable

from panoramisk.ami_protocol import AMIProtocol

from telephony.ami import AmiConfig
from telephony.backoff import Backoff
from telephony.events import TelephonyEvent
from telephony.model import PbxId
from telephony.pbx import TelephonyBridge
from tests.unit.telephony.ami_traces import connections

CALL_COPIES = 400
RUNS = 5
BLOCK_END = b"\r\n\r\n"
_ID_FIELD = re.compile(rb"^(?:\w*Uniqueid|\w*Linkedid): (.+)$", re.MULTILINE)


def trace_events(name: str) -> list[bytes]:
    """The event blocks Asterisk sent in a trace (replies left out)."""
    blocks = [b.strip(b"\r\n") for b in connections(name)[0].received.split(BLOCK_END)]
    return [b + BLOCK_END for b in blocks if b.startswith(b"Event:")]


def with_fresh_ids(blocks: list[bytes], copy: int) -> bytes:
    """The blocks with every channel id suffixed by `copy`: a new set of calls."""
    ids = sorted(
        {m.group(1).strip() for b in blocks for m in _ID_FIELD.finditer(b)}
        - {b"<unknown>"},
        key=len,
        reverse=True,
    )
    pattern = re.compile(b"|".join(re.escape(i) for i in ids))
    suffix = f"~{copy}".encode()
    return b"".join(pattern.sub(lambda m: m.group(0) + suffix, b) for b in blocks)


def build_stream() -> tuple[bytes, int]:
    """The bytes to send and how many events they hold."""
    spine = trace_events("inbound-spine.ami.txt")
    dialer = trace_events("dialer-amd.ami.txt")
    parts = []
    for copy in range(CALL_COPIES):
        parts.append(with_fresh_ids(spine, copy))
        parts.append(with_fresh_ids(dialer, copy))
    data = b"".join(parts)
    return data, data.count(b"Event: ")


def _reply(action_id: bytes, body: bytes) -> bytes:
    return b"Response: Success\r\nActionID: " + action_id + b"\r\n" + body + b"\r\n"


def serve_once(data: bytes, *, handshake: bool) -> tuple[int, threading.Thread]:
    """A one-connection AMI peer on a free port, in a thread: banner, (login and an
    empty channel list), then `data`, then close."""
    listener = socket.create_server(("127.0.0.1", 0))
    port: int = listener.getsockname()[1]

    def run() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            conn.sendall(b"Asterisk Call Manager/9.0.0\r\n")
            if handshake:
                _read_block(conn)  # Login
                conn.sendall(_reply(b"cc-1", b"Message: Authentication accepted\r\n"))
                _read_block(conn)  # CoreShowChannels
                conn.sendall(
                    _reply(b"cc-2", b"EventList: start\r\n")
                    + b"Event: CoreShowChannelsComplete\r\nActionID: cc-2\r\n"
                    b"EventList: Complete\r\nListItems: 0\r\n\r\n"
                )
            conn.sendall(data)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


def _read_block(conn: socket.socket) -> None:
    got = b""
    while BLOCK_END not in got:
        chunk = conn.recv(4096)
        if not chunk:
            return
        got += chunk


class _NullPublisher:
    async def publish(self, event: TelephonyEvent) -> None:
        return None


class _Timing:
    def __init__(self, bridge: TelephonyBridge, done: asyncio.Event) -> None:
        self.bridge = bridge
        self.done = done
        self.started = 0.0
        self.ended = 0.0

    def on_connection(self, pbx_id: PbxId, *, up: bool, reason: str) -> None:
        if up:
            self.started = time.perf_counter()
        else:
            self.ended = time.perf_counter()
            self.done.set()


async def ours_once(data: bytes) -> float:
    """Seconds the bridge takes from the end of its resync to the close."""
    port, thread = serve_once(data, handshake=True)
    config = AmiConfig(
        pbx_id=PbxId("bench"), host="127.0.0.1", port=port, username="cc", secret=""
    )
    bridge = TelephonyBridge(
        [config], _NullPublisher(), backoff=Backoff(initial_s=60, cap_s=60)
    )
    done = asyncio.Event()
    timing = _Timing(bridge, done)
    original = bridge.on_connection

    def on_connection(pbx_id: PbxId, *, up: bool, reason: str) -> None:
        timing.on_connection(pbx_id, up=up, reason=reason)
        original(pbx_id, up=up, reason=reason)

    bridge.on_connection = on_connection  # type: ignore[method-assign]  # timing hook
    task = asyncio.create_task(bridge.clients[PbxId("bench")].run())
    async with asyncio.timeout(120):
        await done.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    thread.join(5)
    assert len(bridge.tracker) == 0, "every call in the stream ends"
    return timing.ended - timing.started


class _CountingFactory:
    """What panoramisk's AMIProtocol calls back: counts events, notes the close."""

    def __init__(self, done: asyncio.Event) -> None:
        self.events = 0
        self.done = done
        self.forgetable_actions: tuple[str, ...] = ()
        self.awaiting_actions: list[object] = []

    def dispatch(self, message: object) -> None:
        self.events += 1

    def connection_lost(self, exc: object) -> None:
        self.done.set()


async def panoramisk_once(data: bytes, expected: int) -> float:
    port, thread = serve_once(data, handshake=False)
    done = asyncio.Event()
    factory = _CountingFactory(done)
    loop = asyncio.get_running_loop()
    started = 0.0

    def protocol() -> AMIProtocol:
        nonlocal started
        proto = AMIProtocol()
        original: Callable[[object], None] = proto.connection_made

        def made(transport: object) -> None:
            original(transport)
            proto.factory = factory

        proto.connection_made = made
        started = time.perf_counter()
        return proto

    transport, _ = await loop.create_connection(protocol, "127.0.0.1", port)
    async with asyncio.timeout(120):
        await done.wait()
    elapsed = time.perf_counter() - started
    transport.close()
    thread.join(5)
    assert factory.events == expected, (factory.events, expected)
    return elapsed


async def main() -> None:
    # Each run ends with the sender closing: the reconnect warning is expected.
    logging.getLogger("telephony").setLevel(logging.ERROR)
    data, events = build_stream()
    print(f"stream: {events} events, {len(data) / 1e6:.1f} MB, {CALL_COPIES * 5} calls")
    ours, bare = [], []
    for _ in range(RUNS):
        ours.append(events / await ours_once(data))
        bare.append(events / await panoramisk_once(data, events))
    ours_rate = statistics.median(ours)
    bare_rate = statistics.median(bare)
    print(f"runs ours: {', '.join(f'{r:,.0f}' for r in ours)}")
    print(f"runs panoramisk: {', '.join(f'{r:,.0f}' for r in bare)}")
    print(f"panoramisk_bare_events_per_s={bare_rate:.0f}")
    print(f"ami_events_per_s={ours_rate:.0f} ratio={ours_rate / bare_rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
