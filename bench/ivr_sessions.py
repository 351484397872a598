"""IVR load: many concurrent callers in menus, through the PBX simulator over TCP
into the real FastAGI server and IVR runner, in one process. Measures the AGI command
round trip from the service side (command sent to reply read, timed around
AgiSession.command) and checks that every session placed completes.

Round trip percentiles are over the commands that answer at once (ANSWER, SET ...,
GET VARIABLE); prompts and key waits last as long as the simulated audio, so they are
reported apart. Last line: `agi_roundtrip_p99_ms=N`.
Run: .venv/bin/python -m bench.ivr_sessions [--callers 1000] [--ramp-s 10]
     [--speed 1] [--think-s 14]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import resource
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from ivr.crm_port import CallerInfo, LookupAnswer
from ivr.events import IvrCompleted
from ivr.loader import FlowRegistry
from ivr.model import LookupKind
from ivr.parts import IvrParts, RunnerConfig
from ivr.session import run_flow
from telephony.agi import AgiServer, AgiSession
from telephony.agi_parse import AgiReply
from telephony.sim.model import Caller, SimConfig
from telephony.sim.simulator import Simulator
from telephony.sim.wav import tone, write_wav

IMMEDIATE = ("ANSWER", "SET ", "GET VARIABLE", "VERBOSE")
NUMBER = "7100"
FLOW: dict[str, object] = {
    "flow": "bench",
    "language": "en",
    "numbers": [NUMBER],
    "start": "welcome",
    "operator": "operator",
    "nodes": {
        "welcome": {"kind": "play", "files": ["cc/bench/welcome"], "next": "main"},
        "main": {
            "kind": "menu",
            "prompt": [{"file": "cc/bench/menu-1"}, {"file": "cc/bench/menu-2"}],
            "choices": [
                {"key": "1", "goto": "billing", "label": "billing"},
                {"key": "2", "goto": "support", "label": "support"},
            ],
            "timeout_s": 20,
            "retries": 1,
            "default": "operator",
        },
        "billing": {"kind": "queue", "queue": "billing", "skills": ["billing"]},
        "support": {"kind": "queue", "queue": "support", "skills": ["support"]},
        "operator": {"kind": "queue", "queue": "general"},
    },
}


@dataclass
class Timings:
    immediate: list[float] = field(default_factory=list)
    waiting: list[float] = field(default_factory=list)
    started: int = 0


TIMINGS = Timings()


class TimedSession(AgiSession):
    """AgiSession that records each command's round trip (seconds)."""

    async def command(
        self, verb: str, *arguments: str | int, wait_s: float = 0.0
    ) -> AgiReply:
        began = time.perf_counter()
        try:
            return await super().command(verb, *arguments, wait_s=wait_s)
        finally:
            took = time.perf_counter() - began
            bucket = (
                TIMINGS.immediate if verb.startswith(IMMEDIATE) else TIMINGS.waiting
            )
            bucket.append(took)


class StrangerCrm:
    """Every caller is unknown; no outages. Answers at once."""

    async def caller(self, ani: str, *, call_id: str) -> CallerInfo:
        return CallerInfo(ani=ani)

    async def lookup(
        self, kind: LookupKind, params: Mapping[str, str], caller: CallerInfo
    ) -> LookupAnswer:
        return LookupAnswer(found=False)

    async def store_meter_reading(self, *args: object, **kwargs: object) -> None:
        return None

    async def register_callback(self, **kwargs: object) -> UUID:
        return uuid4()

    async def store_survey_answer(self, **kwargs: object) -> None:
        return None

    async def leave_voicemail(self, **kwargs: object) -> UUID:
        return uuid4()

    async def outage_heard(self, **kwargs: object) -> None:
        return None


class NamedTts:
    """Names each text and writes its sound once where the simulator reads them."""

    def __init__(self, sounds: Path) -> None:
        self.sounds = sounds

    async def say(self, text: str, *, language: str) -> str:
        name = f"cc/tts/{abs(hash(text)):x}"
        write_sound(self.sounds, name)
        return name


def write_sound(sounds: Path, name: str) -> None:
    path = sounds / f"{name}.wav"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, tone(800))


class Collector:
    def __init__(self, expected: int) -> None:
        self.events: list[IvrCompleted] = []
        self.expected = expected
        self.all_in = asyncio.Event()

    async def publish(self, event: IvrCompleted) -> None:
        self.events.append(event)
        if len(self.events) >= self.expected:
            self.all_in.set()


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(callers: int, ramp_s: float, speed: float, think_s: float) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (max(soft, min(hard, 8 * callers)), hard)
    )
    flows = FlowRegistry()
    flows.publish(FLOW, source="bench")
    collector = Collector(callers)
    crm = StrangerCrm()
    clock = WallClock()
    active = 0
    peak = 0

    with tempfile.TemporaryDirectory() as tmp:
        sounds = Path(tmp) / "sounds"
        for name in ("cc/bench/welcome", "cc/bench/menu-1", "cc/bench/menu-2"):
            write_sound(sounds, name)
        tts = NamedTts(sounds)
        parts = IvrParts(
            flows=flows,
            crm=crm,
            tts=tts,
            asr=None,
            publish=collector,
            clock=clock,
            config=RunnerConfig(recordings_dir=Path(tmp) / "rec"),
        )

        async def handle(session: AgiSession) -> None:
            nonlocal active, peak
            session.__class__ = TimedSession
            TIMINGS.started += 1
            active += 1
            peak = max(peak, active)
            try:
                await run_flow(session, parts)
            finally:
                active -= 1

        server = AgiServer(port=0, handlers={"inbound": handle}, command_timeout_s=30)
        port = await server.start()
        sim_config = SimConfig(
            agi_port=port,
            speed=speed,
            recordings_dir=Path(tmp) / "mix",
            sounds_dir=sounds,
            agi_timeout_s=60,
        )
        began = time.perf_counter()
        try:
            async with Simulator(sim_config) as sim:
                interval = ramp_s / callers
                for n in range(callers):
                    await sim.place_inbound(
                        Caller(
                            ani=f"7916{n:07d}",
                            dnis=NUMBER,
                            digits="12"[n % 2],
                            digit_delay_s=think_s,
                            patience_s=600.0,
                        )
                    )
                    due = began + (n + 1) * interval
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(120):
                        await collector.all_in.wait()
                elapsed = time.perf_counter() - began
        finally:
            await server.stop()

    outcomes: dict[str, int] = {}
    for event in collector.events:
        key = f"{event.outcome}:{event.queue}"
        outcomes[key] = outcomes.get(key, 0) + 1
    queued_right = sum(
        1 for e in collector.events if e.outcome == "queued" and e.queue != "general"
    )
    ms = 1000.0
    print(
        f"callers={callers} ramp_s={ramp_s} speed={speed} think_s={think_s}"
        f" elapsed_s={elapsed:.1f}"
    )
    print(
        f"sessions_started={TIMINGS.started} sessions_completed={len(collector.events)}"
        f" sessions_lost={TIMINGS.started - len(collector.events)}"
        f" peak_concurrent={peak}"
    )
    print(f"outcomes={outcomes} reached_chosen_queue={queued_right}")
    print(
        f"immediate_commands={len(TIMINGS.immediate)}"
        f" p50_ms={percentile(TIMINGS.immediate, 0.5) * ms:.3f}"
        f" p99_ms={percentile(TIMINGS.immediate, 0.99) * ms:.3f}"
        f" max_ms={max(TIMINGS.immediate, default=0.0) * ms:.3f}"
        f" mean_ms={statistics.fmean(TIMINGS.immediate or [0.0]) * ms:.3f}"
    )
    print(
        f"waiting_commands={len(TIMINGS.waiting)} (prompts and key waits, simulated"
        f" audio included) p50_ms={percentile(TIMINGS.waiting, 0.5) * ms:.1f}"
    )
    print(f"agi_roundtrip_p99_ms={percentile(TIMINGS.immediate, 0.99) * ms:.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callers", type=int, default=1000)
    parser.add_argument("--ramp-s", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument(
        "--think-s",
        type=float,
        default=14.0,
        help="simulated seconds before a caller presses a key (under 20)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.callers, args.ramp_s, args.speed, args.think_s))
