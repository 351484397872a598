"""How the bench's processes talk: a JSON spec file in, commands on standard input
("go T0", "stop"), JSON lines out on standard output. T0 is a `time.monotonic()`
instant, the same clock in every process of the machine."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The run's timeline in wall (monotonic) seconds: calls start at `t0`; the
    measured window is [start, end]; `stop` is when the run ends."""

    t0: float
    speed: float
    warmup_s: float
    measured_s: float
    tail_s: float
    """Simulated seconds: warm-up, measured window, then a tail in which the
    calls queued in the window finish waiting (arrivals go on throughout)."""

    @property
    def start(self) -> float:
        return self.t0 + self.warmup_s / self.speed

    @property
    def end(self) -> float:
        return self.start + self.measured_s / self.speed

    @property
    def stop(self) -> float:
        return self.end + self.tail_s / self.speed

    @property
    def span_s(self) -> float:
        """Simulated seconds from t0 to stop."""
        return self.warmup_s + self.measured_s + self.tail_s

    def within(self, at: float) -> bool:
        return self.start <= at < self.end

    @classmethod
    def of(cls, spec: dict[str, Any], t0: float) -> Window:
        return cls(
            t0=t0,
            speed=spec["speed"],
            warmup_s=spec["warmup_s"],
            measured_s=spec["measured_s"],
            tail_s=spec["tail_s"],
        )


def say(**fields: Any) -> None:
    """One JSON line to the bench."""
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


async def commands() -> asyncio.StreamReader:
    """Standard input as a stream."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    return reader


async def expect(reader: asyncio.StreamReader, word: str) -> list[str]:
    """Wait for the command `word`; its arguments."""
    while True:
        line = await reader.readline()
        if not line:
            raise SystemExit(f"the bench went away before {word!r}")
        parts = line.decode().split()
        if parts and parts[0] == word:
            return parts[1:]


async def sleep_until(at: float) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))


async def loop_lag(samples: list[tuple[float, float]], every_s: float) -> None:
    """How late a short sleep wakes up: (when, lag in wall seconds)."""
    while True:
        start = time.monotonic()
        await asyncio.sleep(every_s)
        now = time.monotonic()
        samples.append((now, now - start - every_s))


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return ",".join(f"{figure:.2f}" for figure in os.getloadavg())


def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
