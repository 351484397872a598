"""AMI events per second the bridge parses and feeds through the call tracker.

Run from the repository root: `.venv/bin/python -m bench.ami_ingest`.

Two event streams are built before timing from the real Asterisk traces, each
copy with fresh channel ids. The unfiltered one (inbound spine with its agent
leg, and the four dialer legs) is every event as an account without a filter
gets it: two thirds noise, which our framer drops unread. The production-shaped
one adds the agent leg as the reference dialplan runs it (agent-leg-bridges: a
Local pair dialling the phone, optimised away) and keeps only what the reference
telephony/asterisk/manager.conf event filter lets through, so both parsers read
the same events. A sender thread writes the prepared bytes to loopback TCP
(blocking sendall, the GIL released), so the time measured is the receiving
side: framing, dispatch, normalising and the tracker. The same bytes are then
read by panoramisk 1.4's AMIProtocol (its framing and Message parsing, events
dispatched to a counter) as the baseline, in the same run.
Prints the medians of several runs; the last line is
`ami_events_per_s_filtered=N events/s`.
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
from pathlib import Path

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
MANAGER_CONF = Path(__file__).resolve().parents[1] / "telephony/asterisk/manager.conf"
PRODUCTION_TRACES = (
    "inbound-spine.ami.txt",
    "agent-leg-bridges.ami.txt",
    "dialer-amd.ami.txt",
)
PRODUCTION_CALLS = 6
"""Calls per copy of PRODUCTION_TRACES: one, one, four."""


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


def build_stream(
    names: tuple[str, ...], *, passes: Callable[[bytes], bool] = lambda _: True
) -> tuple[bytes, int]:
    """The bytes to send (CALL_COPIES copies of the traces' events that `passes`
    lets through) and how many events they hold."""
    traces = [[b for b in trace_events(name) if passes(b)] for name in names]
    parts = [
        with_fresh_ids(blocks, copy) for copy in range(CALL_COPIES) for blocks in traces
    ]
    data = b"".join(parts)
    return data, data.count(b"Event: ")


class ManagerFilter:
    """The `eventfilter` lines of a manager.conf (advanced form: include by
    event name, optionally on one header's value, exact or regex)."""

    _CRITERION = re.compile(r"(\w+)\(([^()]*)\)")

    def __init__(self, conf: str) -> None:
        self.rules: dict[bytes, list[tuple[bytes, re.Pattern[bytes]] | None]] = {}
        for line in conf.splitlines():
            key, sep, value = line.partition("=")
            if not sep or not key.startswith("eventfilter("):
                continue
            criteria = dict(self._CRITERION.findall(key[len("eventfilter(") : -1]))
            assert criteria.get("action", "include") == "include", line
            header, expected = criteria.get("header"), value.strip()
            rule = None
            if header is not None:
                exact = criteria.get("method") == "exact"
                pattern = f"^{re.escape(expected)}$" if exact else expected
                rule = (header.encode(), re.compile(pattern.encode()))
            self.rules.setdefault(criteria["name"].encode(), []).append(rule)

    def passes(self, block: bytes) -> bool:
        fields = dict(
            line.split(b": ", 1) for line in block.split(b"\r\n") if b": " in line
        )
        for rule in self.rules.get(fields.get(b"Event", b""), []):
            if rule is None:
                return True
            header, pattern = rule
            if header in fields and pattern.search(fields[header]):
                return True
        return False


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


async def rates(data: bytes, events: int) -> tuple[float, float]:
    """Median events/s of ours and of panoramisk on the same bytes."""
    ours, bare = [], []
    for _ in range(RUNS):
        ours.append(events / await ours_once(data))
        bare.append(events / await panoramisk_once(data, events))
    print(f"  runs ours: {', '.join(f'{r:,.0f}' for r in ours)}")
    print(f"  runs panoramisk: {', '.join(f'{r:,.0f}' for r in bare)}")
    return statistics.median(ours), statistics.median(bare)


async def main() -> None:
    # Each run ends with the sender closing: the reconnect warning is expected.
    logging.getLogger("telephony").setLevel(logging.ERROR)
    data, events = build_stream(("inbound-spine.ami.txt", "dialer-amd.ami.txt"))
    print(f"unfiltered: {events} events, {len(data) / 1e6:.1f} MB, "
          f"{CALL_COPIES * 5} calls")  # fmt: skip
    ours_rate, bare_rate = await rates(data, events)
    print(f"panoramisk_bare_events_per_s={bare_rate:.0f}")
    print(f"ami_events_per_s={ours_rate:.0f} ratio={ours_rate / bare_rate:.2f}")
    kept = ManagerFilter(MANAGER_CONF.read_text())
    data, events = build_stream(PRODUCTION_TRACES, passes=kept.passes)
    print(f"filtered by manager.conf: {events} events, {len(data) / 1e6:.1f} MB, "
          f"{CALL_COPIES * PRODUCTION_CALLS} calls")  # fmt: skip
    ours_rate, bare_rate = await rates(data, events)
    print(f"panoramisk_events_per_s_filtered={bare_rate:.0f} events/s")
    print(f"ratio_filtered={ours_rate / bare_rate:.2f} x")
    print(f"ami_events_per_s_filtered={ours_rate:.0f} events/s")


if __name__ == "__main__":
    asyncio.run(main())
