"""Screen-pop latency at the busy hour: from an agent's phone starting to ring to
the pop arriving in the agent's own Socket.IO client, 400 agents connected.

Run from the repository root (about 8 minutes a run, plus 2 to sign the agents
in; needs PostgreSQL 15 and espeak-ng, as the tests do):

    .venv/bin/python -m bench.screenpop [--runs 3] [--warmup 3] [--minutes 3]

The rig is bench/busy_hour's at 1x (real time), each part its own process on
loopback: the service as `contactcentre.bootstrap.build` composes it on a
throwaway PostgreSQL started as the tests start it; the PBX simulator
(telephony/sim/) with Poisson callers at 12,000 an hour through the shipped IVR
menus and 400 agents' phones; 400 python-socketio clients, each with the session
of its agent's sign-in through the API, connected over websocket to `/desktop`
and logged in to the agent's queues as the agent page does
(bench/busy_hour/desktops.py). The service's CPU profiler stays off.

The start: the simulator's send time of the DialBegin toward the agent's phone
(`Dial(PJSIP/<endpoint>)` on Asterisk; the stand-in phone here), taken as the
event is written to the AMI socket. That is when the PBX says the phone rings,
so the AMI link, the bridge's parsing and every queue in the service count
against the pop; the bridge's receipt time would hide the first two. The end:
the agent's client receiving `screen_pop` (its callback's wall time; one clock,
one machine). The ACD publishes the offer (which the pop shows) as it asks the
PBX to ring, so a pop may arrive before the ring: those count with negative
latency, and their share is printed. Also printed: the latency from the ACD's
offer to the pop (`offer_to_pop_p99_ms`), and the share of offers that popped.

Figures cover the offers made in the measured window (after the warm-up, when
the agents' occupancy is near the hour's); each run gives its percentiles, the
figure is the median over runs. The load line says the offered rate, the agents
and clients, the offers measured and the machine's load average; each run's line
also gives the service's event-loop lag and its deepest bus mailbox, which name
the part a late pop waited in.

Left out: a browser's rendering of the pop (the client is python-socketio), a
network between the agent and the service, Redis (one instance), the agents'
own actions beyond logging in, and the rest of the hour.
Last line: `screenpop_p99_ms=N ms` (target 25).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.busy_hour import workload
from bench.busy_hour.control import load_average, p99
from bench.busy_hour.run import Plan, run_at
from bench.busy_hour.template import prepare
from tests import servers

SPEED = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency:
    """One run's figures, in milliseconds."""

    offers: int
    popped: int
    ring_to_pop: list[float]
    offer_to_pop: list[float]
    lag_p99_ms: float
    """The service's event loop: how late a 20 ms sleep woke (p99)."""
    deepest: tuple[str, int]
    """The bus mailbox (or call-record journal) that got deepest in the window."""

    @property
    def before_ring(self) -> float:
        early = sum(1 for ms in self.ring_to_pop if ms < 0)
        return early / len(self.ring_to_pop) if self.ring_to_pop else 0.0


def latency(report: dict[str, Any]) -> Latency:
    """Match each offer of the window to its agent's first pop of that call and to
    the ring of that agent's phone for that call."""
    offers: list[list[Any]] = report["service"]["offers"]
    popped: dict[tuple[str, str], float] = {}
    for agent, pops in report["desktops"]["pops"].items():
        for call, at in pops:
            popped.setdefault((call, agent), at)
    rung: dict[tuple[str, str], float] = {}
    for endpoint, call, at in report["callers"]["rings"]:
        rung.setdefault((endpoint, call), at)
    endpoints = {
        workload.login(i): workload.endpoint(i) for i in range(workload.AGENTS)
    }
    ring_to_pop, offer_to_pop = [], []
    for call, agent, offered_at in offers:
        pop = popped.get((call, agent))
        if pop is None:
            continue
        offer_to_pop.append((pop - offered_at) * 1000)
        ring = rung.get((endpoints[agent], call))
        if ring is not None:
            ring_to_pop.append((pop - ring) * 1000)
    backlog: dict[str, int] = report["service"]["backlog"]
    return Latency(
        offers=len(offers),
        popped=len(offer_to_pop),
        ring_to_pop=ring_to_pop,
        offer_to_pop=offer_to_pop,
        lag_p99_ms=report["service"]["lag_p99_s"] * 1000,
        deepest=max(backlog.items(), key=lambda i: i[1], default=("", 0)),
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


async def runs(plan: Plan, count: int) -> list[Latency]:
    found = []
    for number in range(count):
        started = time.monotonic()
        result = latency(await run_at(plan, SPEED, number))
        found.append(result)
        print(
            f"run={number + 1} offers={result.offers} popped={result.popped} "
            f"matched_rings={len(result.ring_to_pop)} "
            f"ring_to_pop_p50_ms={median(result.ring_to_pop):.1f} "
            f"ring_to_pop_p99_ms={p99(result.ring_to_pop):.1f} "
            f"offer_to_pop_p99_ms={p99(result.offer_to_pop):.1f} "
            f"popped_before_ring={result.before_ring:.3f} "
            f"service_loop_lag_p99_ms={result.lag_p99_ms:.0f} "
            f"deepest_mailbox={result.deepest[0]}:{result.deepest[1]} "
            f"wall_s={time.monotonic() - started:.0f}",
            flush=True,
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=3.0, help="minutes")
    parser.add_argument("--minutes", type=float, default=3.0, help="measured")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    before = load_average()
    with servers.postgres() as pg, tempfile.TemporaryDirectory() as tmp:
        desks = asyncio.run(prepare(pg, Path(tmp)))
        plan = Plan(
            pg=pg, work=Path(tmp), desks=desks, warmup_s=args.warmup * 60,
            measured_s=args.minutes * 60, tail_s=30.0, seed=args.seed,
            profile=False,
        )  # fmt: skip
        found = asyncio.run(runs(plan, args.runs))
    offers = sum(r.offers for r in found)
    print(
        f"load: calls_per_hour={workload.CALLS_PER_HOUR} agents={workload.AGENTS} "
        f"clients={len(desks)} offers_measured={offers} runs={len(found)} "
        f"load_average_before={before} after={load_average()} "
        f"cores={os.cpu_count()}"
    )
    print(f"popped_share={sum(r.popped for r in found) / max(offers, 1):.3f}")
    print(f"popped_before_ring={median([r.before_ring for r in found]):.3f}")
    print(f"offer_to_pop_p99_ms={median([p99(r.offer_to_pop) for r in found]):.1f} ms")
    print(f"screenpop_p50_ms={median([median(r.ring_to_pop) for r in found]):.1f} ms")
    print(f"screenpop_p99_ms={median([p99(r.ring_to_pop) for r in found]):.1f} ms")


if __name__ == "__main__":
    main()
