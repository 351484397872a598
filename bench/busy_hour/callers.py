"""The PBX side of bench/busy_hour in its own process: the simulator playing
Asterisk over AMI and FastAGI, the callers (Poisson arrivals from the workload)
and the 400 agents' phones, at the bench's speed. MixMonitor files are written
where the service asks, and the prompts played from the sounds directory the
service writes, as a deployment shares them with Asterisk. Each agent's phone
starting to ring (the DialBegin toward it, written to the AMI link) is noted with
its wall time.

    python -m bench.busy_hour.callers SPEC.json
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from bench.busy_hour import workload
from bench.busy_hour.control import Window, commands, expect, loop_lag, p99, say
from telephony.dialplan import PHONE_STAND_IN_CONTEXT
from telephony.sim.channels import Event
from telephony.sim.model import SimConfig
from telephony.sim.simulator import Simulator

LAG_EVERY_S = 0.02


async def play(spec: dict[str, Any]) -> None:
    config = SimConfig(
        ami_port=spec["ami_port"],
        secret=spec["secret"],
        agi_port=spec["agi_port"],
        speed=spec["speed"],
        seed=spec["seed"],
        recordings_dir=Path(spec["recordings_dir"]),
        sounds_dir=Path(spec["sounds_dir"]),
        agents=workload.phones(workload.AGENTS),
    )
    reader = await commands()
    lags: list[tuple[float, float]] = []
    late: list[float] = []
    rings: list[tuple[str, str, float]] = []
    async with Simulator(config, watch=lambda e: note_ring(e, rings)) as sim:
        lagging = asyncio.create_task(loop_lag(lags, LAG_EVERY_S))
        say(event="ready")
        window = Window.of(spec, float((await expect(reader, "go"))[0]))
        placing = asyncio.create_task(place(sim, window, spec["seed"], late))
        try:
            await expect(reader, "stop")
        finally:
            for task in (placing, lagging):
                task.cancel()
            await asyncio.gather(placing, lagging, return_exceptions=True)
    in_window = [lag for at, lag in lags if window.within(at)]
    say(
        event="done",
        placed=len(late),
        late_p99_s=p99(late),
        lag_p99_s=p99(in_window),
        rings=rings,
    )


def note_ring(event: Event, rings: list[tuple[str, str, float]]) -> None:
    """Keep (endpoint, caller ID number, epoch seconds) of a DialBegin toward an
    agent's phone (`Dial(PJSIP/<endpoint>)` on a real Asterisk). The ACD's agent
    leg carries the call's id as its caller ID number."""
    if event[0][1] != "DialBegin":
        return
    fields = dict(event)
    endpoint, _, context = fields["DialString"].partition("@")
    if context == PHONE_STAND_IN_CONTEXT:
        rings.append((endpoint, fields["CallerIDNum"], time.time()))


async def place(sim: Simulator, window: Window, seed: int, late: list[float]) -> None:
    """Place every arrival at its simulated time; `late` gets how late each was
    placed (wall seconds)."""
    for due_s, caller in workload.arrivals(seed, window.span_s):
        wall_due = window.t0 + due_s / window.speed
        await asyncio.sleep(max(0.0, wall_due - time.monotonic()))
        late.append(time.monotonic() - wall_due)
        await sim.place_inbound(caller)


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(play(spec))


if __name__ == "__main__":
    main()
