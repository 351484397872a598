"""The service process of bench/busy_hour: `contactcentre.bootstrap.build` from
settings, run as `serve` runs it, at the bench's time scale. Beside it, only
observers: the ACD's outcome of every call (from the bus), the offers made (to
match the screen-pops the desktops receive), the event loop's lag and (unless
the spec says `"profile": false`) the CPU profile by component, kept for the
measured window.

    python -m bench.busy_hour.service SPEC.json
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acd.events import (
    CallAbandoned,
    CallConnected,
    CallLeftQueue,
    CallOffered,
    CallQueued,
)
from bench.busy_hour.control import (
    Window,
    commands,
    expect,
    loop_lag,
    p99,
    say,
    sleep_until,
)
from bench.busy_hour.profile import Ports, Profiler
from contactcentre.bootstrap import App, build
from contactcentre.readiness import Readiness
from contactcentre.settings import load_settings
from contactcentre.startup import prepare_directories

LAG_EVERY_S = 0.02
BACKLOG_EVERY_S = 0.5

Outcome = CallConnected | CallAbandoned | CallLeftQueue


@dataclass(slots=True)
class Observer:
    """What the ACD published, with the wall time it was heard."""

    queued_at: dict[str, float] = field(default_factory=dict)
    """Call -> when it first entered a queue (monotonic)."""
    outcomes: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Call -> (answered | abandoned | left, simulated seconds waited)."""
    offers: list[tuple[str, str, float]] = field(default_factory=list)
    """(call, agent, epoch seconds) of every offer."""
    offered_at: list[float] = field(default_factory=list)

    async def on_queued(self, event: CallQueued) -> None:
        self.queued_at.setdefault(str(event.call_id), time.monotonic())

    async def on_outcome(self, event: Outcome) -> None:
        kind = {CallConnected: "answered", CallAbandoned: "abandoned"}.get(
            type(event), "left"
        )
        self.outcomes.setdefault(str(event.call_id), (kind, event.waited_s))

    async def on_offered(self, event: CallOffered) -> None:
        self.offers.append((str(event.call_id), str(event.agent_id), time.time()))
        self.offered_at.append(time.monotonic())

    def report(self, window: Window) -> dict[str, Any]:
        calls = {
            call: self.outcomes.get(call, ("waiting", -1.0))
            for call, at in self.queued_at.items()
            if window.within(at)
        }
        offers = [
            offer
            for offer, at in zip(self.offers, self.offered_at, strict=True)
            if window.within(at)
        ]
        return {"calls": calls, "offers": offers}


async def serve(spec: dict[str, Any]) -> None:
    settings = load_settings(**spec["settings"])
    prepare_directories(settings)
    app = build(settings, time_scale=spec["speed"])
    observer = Observer()
    app.bus.subscribe(CallQueued, observer.on_queued)
    app.bus.subscribe_all(
        (CallConnected, CallAbandoned, CallLeftQueue), observer.on_outcome
    )
    app.bus.subscribe(CallOffered, observer.on_offered)
    profiler = Profiler(Ports(**spec["ports"]))
    lags: list[tuple[float, float]] = []
    reader = await commands()
    running = asyncio.create_task(app.run())
    lagging = asyncio.create_task(loop_lag(lags, LAG_EVERY_S))
    backlog: dict[str, int] = {}
    try:
        await until_ready(app.readiness, running)
        say(event="ready")
        window = Window.of(spec, float((await expect(reader, "go"))[0]))
        await sleep_until(window.start)
        cpu = time.process_time()
        if spec.get("profile", True):
            profiler.start()
        watching = asyncio.create_task(deepest(app, backlog))
        await sleep_until(window.end)
        watching.cancel()
        profiler.stop()
        cpu = time.process_time() - cpu
        await expect(reader, "stop")
    finally:
        for task in (running, lagging):
            task.cancel()
        await asyncio.gather(running, lagging, return_exceptions=True)
    in_window = [lag for at, lag in lags if window.within(at)]
    say(
        event="done",
        cpu_s=cpu,
        samples=dict(profiler.samples),
        lag_p99_s=p99(in_window),
        lag_max_s=max(in_window, default=0.0),
        backlog=backlog,
        **observer.report(window),
    )


async def deepest(app: App, backlog: dict[str, int]) -> None:
    """Keep in `backlog` each bus subscriber's deepest mailbox, and the most call
    records waiting in the journal for the database (as /readyz says), looked at
    every `BACKLOG_EVERY_S`: which part fell behind."""
    while True:
        depths = app.bus.backlog()
        journal = (await app.readiness.report()).get("journal")
        if journal is not None:
            depths["journal"] = int(journal.figures.get("pending", 0))
        for name, depth in depths.items():
            backlog[name] = max(depth, backlog.get(name, 0))
        await asyncio.sleep(BACKLOG_EVERY_S)


async def until_ready(readiness: Readiness, running: asyncio.Task[None]) -> None:
    """Wait until /readyz would answer ready (the database, the AMI link, the
    FastAGI listener); raise what the service failed with, if it did."""
    while not running.done():
        report = await readiness.report()
        if all(probe.ready for probe in report.values()):
            return
        await asyncio.sleep(0.1)
    running.result()
    raise SystemExit("the service stopped before it was ready")


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    logging.basicConfig(
        level=spec["settings"].get("log_level", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(serve(spec))


if __name__ == "__main__":
    main()
