"""A busy hour through the whole inbound path in one process, time compressed.

Run from the repository root: `.venv/bin/python -m bench.busy_hour [--speed 10]`.

The PBX simulator (SimConfig.speed), the telephony bridge over AMI/TCP, the FastAGI
server and the ACD service run in one asyncio loop. Callers arrive as a Poisson
process (12,000 an hour by default) over 10 queues with mixed skill needs; talk
time is log-normal with mean 90 s, patience exponential with mean 120 s, wrap-up
10 s, agents' phones ring 2 s; 400 agents, each in two queues (the second with a
penalty) with a seniority level. Every time is simulated time; the ACD's clock runs
`speed` times faster than the wall clock, like the simulator's.

Prints average speed of answer, service level (20 s), abandonment, the CPU seconds
of the whole process per simulated hour, and the event loop's lag in simulated
seconds (how late timers fire: if the loop falls behind, waits stretch and the
figures stop being those of real time). The last line is `time_compression=N`:
the speed run, when the loop's p99 lag stayed under `--max-lag-s` simulated
seconds, else 0 (the service did not keep up at that speed).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from acd.engine import AcdEngine
from acd.events import AcdEvent, CallAbandoned, CallConnected
from acd.handoff import QUEUE_VAR, SKILLS_VAR, queue_on_hand_off
from acd.model import (
    AgentId,
    AgentProfile,
    Membership,
    QueueConfig,
    QueueId,
)
from acd.service import AcdService, AcdSettings, AgentSeat
from telephony.agi import AgiServer, AgiSession
from telephony.ami import AmiConfig
from telephony.dialplan import INBOUND_SCRIPT, WAIT_CONTEXT, WAIT_EXTEN
from telephony.events import CallEnded, TelephonyEvent
from telephony.model import PbxId
from telephony.pbx import TelephonyBridge
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.simulator import Simulator

PBX = PbxId("pbx1")
QUEUES = 10
SENIOR_SHARE = 0.3
TALK_MEAN_S, TALK_SIGMA = 90.0, 0.6
PATIENCE_MEAN_S = 120.0
WRAP_UP_S = 10.0
RING_S = 2.0
SERVICE_LEVEL_S = 20.0


class ScaledClock:
    """UTC that runs `speed` times faster than the wall clock (as the simulator)."""

    def __init__(self, speed: float) -> None:
        self._speed = speed
        self._start = datetime.now(UTC)
        self._mono = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._mono) * self._speed
        return self._start + timedelta(seconds=elapsed)


@dataclass
class Tally:
    """The publisher for the bridge and the ACD: counts outcomes, forwards call ends."""

    service: AcdService | None = None
    waits_s: list[float] = field(default_factory=list)
    abandoned: int = 0

    async def publish(self, event: TelephonyEvent | AcdEvent) -> None:
        match event:
            case CallEnded() if self.service is not None:
                await self.service.on_call_ended(event)
            case CallConnected():
                self.waits_s.append(event.waited_s)
            case CallAbandoned():
                self.abandoned += 1
            case _:
                pass


async def route_by_number(session: AgiSession) -> None:
    """The dialled number says the queue and whether a senior agent is needed:
    3<queue><0|1>."""
    request = session.request
    number = request.extension or request.dnid
    await session.answer()
    await session.set_variable(QUEUE_VAR, f"q{number[1]}")
    if number[2:] == "1":
        await session.set_variable(SKILLS_VAR, "senior:2")
    await session.set_context(WAIT_CONTEXT)
    await session.set_extension(WAIT_EXTEN)
    await session.set_priority(1)


def seats(agents: int) -> tuple[AgentSeat, ...]:
    return tuple(
        AgentSeat(
            profile=AgentProfile(
                agent_id=AgentId(f"a{i}"),
                skills={"senior": 1 + i % 3},
                memberships=(
                    Membership(queue_id=QueueId(f"q{i % QUEUES}")),
                    Membership(queue_id=QueueId(f"q{(i * 3 + 1) % QUEUES}"), penalty=1),
                ),
            ),
            endpoint=str(10000 + i),
        )
        for i in range(agents)
    )


def caller(rng: random.Random) -> Caller:
    mu = math.log(TALK_MEAN_S) - TALK_SIGMA**2 / 2
    senior = "1" if rng.random() < SENIOR_SHARE else "0"
    return Caller(
        ani=f"+7495{rng.randrange(10**7):07d}",
        dnis=f"3{rng.randrange(QUEUES)}{senior}",
        patience_s=rng.expovariate(1 / PATIENCE_MEAN_S),
        talk_s=rng.lognormvariate(mu, TALK_SIGMA),
    )


async def loop_lag(samples: list[float], every_s: float) -> None:
    """How late a short sleep wakes up, in wall seconds."""
    while True:
        start = time.monotonic()
        await asyncio.sleep(every_s)
        samples.append(time.monotonic() - start - every_s)


@dataclass
class Result:
    placed: int
    answered: int
    abandoned: int
    asa_s: float
    service_level: float
    cpu_s: float
    lag_p99_s: float
    simulated_s: float


async def run(args: argparse.Namespace) -> Result:
    speed = args.speed
    rng = random.Random(args.seed)
    agi = AgiServer(port=0, handlers={}, host="127.0.0.1")
    agi_port = await agi.start()
    phones = tuple(
        AgentPhone(endpoint=str(10000 + i), ring_s=RING_S, talk_s=36000.0)
        for i in range(args.agents)
    )
    config = SimConfig(agi_port=agi_port, seed=args.seed, speed=speed, agents=phones)
    tally = Tally()
    async with Simulator(config) as sim:
        bridge = TelephonyBridge(
            [
                AmiConfig(
                    pbx_id=PBX, host="127.0.0.1", port=sim.ami_port, username="cc",
                    secret="ccsecret",  # noqa: S106  # the simulator's manager.conf
                    action_timeout_s=5,
                )
            ],
            tally,
        )  # fmt: skip
        queues = tuple(
            QueueConfig(
                queue_id=QueueId(f"q{q}"), ring_timeout_s=15.0, wrap_up_s=WRAP_UP_S,
                service_level_s=SERVICE_LEVEL_S,
            )
            for q in range(QUEUES)
        )  # fmt: skip
        settings = AcdSettings(
            pbx_id=PBX, queues=queues, agents=seats(args.agents), time_scale=speed,
            caller_check_s=0.5 / speed,
        )  # fmt: skip
        clock = ScaledClock(speed)
        service = AcdService(
            AcdEngine(), bridge.pbx, tally, clock, settings=settings,
            calls=bridge.tracker,
        )  # fmt: skip
        tally.service = service
        agi.route(
            INBOUND_SCRIPT,
            queue_on_hand_off(
                route_by_number, service, pbx_id=PBX, calls=bridge.tracker
            ),
        )
        lags: list[float] = []
        tasks = [
            asyncio.create_task(bridge.run()),
            asyncio.create_task(service.run()),
            asyncio.create_task(loop_lag(lags, 0.02)),
        ]
        try:
            await asyncio.sleep(0.5)  # the bridge logs in
            for seat in settings.agents:
                await service.login(seat.profile.agent_id)
            lags.clear()  # from the first caller on
            cpu0, wall0 = time.process_time(), time.monotonic()
            placed = await arrivals(sim, rng, args)
            simulated = (time.monotonic() - wall0) * speed
            cpu = time.process_time() - cpu0
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await agi.stop()
    waits = tally.waits_s
    within = sum(1 for w in waits if w <= SERVICE_LEVEL_S)
    offered = len(waits) + tally.abandoned
    return Result(
        placed=placed,
        answered=len(waits),
        abandoned=tally.abandoned,
        asa_s=statistics.fmean(waits) if waits else 0.0,
        service_level=within / offered if offered else 0.0,
        cpu_s=cpu,
        lag_p99_s=statistics.quantiles(lags, n=100)[98] if len(lags) > 100 else 0.0,
        simulated_s=simulated,
    )


async def arrivals(sim: Simulator, rng: random.Random, args: argparse.Namespace) -> int:
    """Place Poisson arrivals for `--hour-s` simulated seconds; returns the count."""
    rate_per_s = args.calls_per_hour / 3600.0
    start = time.monotonic()
    due_s = 0.0
    placed = 0
    while True:
        due_s += rng.expovariate(rate_per_s)
        if due_s >= args.hour_s:
            break
        wall_due = start + due_s / args.speed
        await asyncio.sleep(max(0.0, wall_due - time.monotonic()))
        await sim.place_inbound(caller(rng))
        placed += 1
    return placed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--agents", type=int, default=400)
    parser.add_argument("--calls-per-hour", type=float, default=12000.0)
    parser.add_argument("--hour-s", type=float, default=3600.0, help="simulated span")
    parser.add_argument("--max-lag-s", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--log-level", default="ERROR")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level)
    result = asyncio.run(run(args))
    lag_sim_s = result.lag_p99_s * args.speed
    per_hour = result.cpu_s / result.simulated_s * 3600 if result.simulated_s else 0.0
    print(f"calls_placed={result.placed}")
    print(f"answered={result.answered} abandoned={result.abandoned}")
    print(f"asa_s={result.asa_s:.1f}")
    print(f"service_level_20s={result.service_level:.3f}")
    offered = result.answered + result.abandoned
    print(f"abandonment={result.abandoned / offered if offered else 0.0:.3f}")
    print(f"simulated_s={result.simulated_s:.0f}")
    print(f"cpu_s_per_simulated_hour={per_hour:.0f}")
    print(f"loop_lag_p99_simulated_s={lag_sim_s:.2f}")
    kept_up = lag_sim_s <= args.max_lag_s
    print(f"time_compression={args.speed if kept_up else 0:g}")


if __name__ == "__main__":
    main()
