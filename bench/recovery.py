"""The service's own restart under load (K3): how soon it has everything back, and
what it lost.

Run from the repository root: `.venv/bin/python -m bench.recovery [--runs 3]`.

`contactcentre serve` runs as a real child process on a PostgreSQL started here,
beside the PBX simulator in this process: 200 agents take a steady inbound load
(every caller goes through the IVR and waits as long as it takes). After `--warm-s`
a burst of callers fills the queues, and the service is killed with SIGKILL while
callers are in menus, waiting, ringing and talking; it is started again after
`--down-s`. From the new process's start, `recovery_s` (the median over `--runs`) is
the time until the service logs that it restored the PBX, and the supervisor API
is polled to confirm it: every caller then waiting in `cc-wait` is queued again
(waiting, or on an agent) and every agent is back (none logged out). `startup_s`
is the part until the new process answers HTTP. Then the load stops
and every call drains: `lost_calls` counts, over all runs, the calls that ended
without reaching an agent (and each run says how many agents were not ready once
every call and wrap-up was over: none should be).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from acd.recovery import endpoint_in
from contactcentre.migrate import migrate
from telephony.dialplan import WAIT_CONTEXT
from telephony.sim.channels import Event
from telephony.sim.model import AgentPhone, Caller
from telephony.sim.simulator import InboundCall, Simulator
from tests import servers
from tests.service_process import Desk, ServiceProcess, ServiceSetup

AGENTS = 200
SEATS = tuple((f"agent{n:03d}", str(3000 + n)) for n in range(AGENTS))
TALK_S = (8.0, 16.0)
RING_S = 1.0
WRAP_UP_S = 2.0
POLL_S = 0.05
RESTORED = "acd.recovery: pbx=pbx1 ACD restored in"
LOOKS_AT_ONCE = 16


@dataclass(frozen=True, slots=True)
class Run:
    recovery_s: float
    startup_s: float
    confirmed_s: float
    """Until the supervisor API showed it all back (its answers wait for the
    database, which a restart keeps busy replaying the call records' journal)."""
    waiting: int
    """Callers waiting in cc-wait when the service started again."""
    talking: int
    placed: int
    lost: int
    stuck: int
    """Agents not ready once every call ended and its wrap-up was over."""


def caller(rng: random.Random, n: int) -> Caller:
    return Caller(
        ani=f"+7495{n:07d}",
        digits=rng.choice("123"),
        digit_delay_s=rng.uniform(0.2, 1.5),
        patience_s=None,
        talk_s=rng.uniform(*TALK_S),
    )


async def arrivals(
    sim: Simulator,
    rng: random.Random,
    per_s: float,
    placed: list[InboundCall],
    stop: asyncio.Event,
) -> None:
    """Poisson arrivals until `stop` (never cut in the middle of placing a call:
    the caller would never hang up)."""
    while not stop.is_set():
        placed.append(await sim.place_inbound(caller(rng, len(placed))))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(rng.expovariate(per_s)):
                await stop.wait()


def bridged_channels(events: Iterable[Event]) -> set[str]:
    """Uniqueids of every channel that entered a bridge."""
    return {dict(e)["Uniqueid"] for e in events if ("Event", "BridgeEnter") in e}


def waiting_calls(sim: Simulator) -> set[str]:
    """The call ids of the callers waiting in cc-wait now, not bridged."""
    return {
        f"pbx1:{c.linkedid}"
        for c in sim.live_channels()
        if c.context == WAIT_CONTEXT and c.bridge is None
    }


async def until_recovered(
    desk: Desk, sim: Simulator, waiting: set[str], started: float
) -> float:
    """Seconds from `started` until every agent is back and each of `waiting` is
    queued again (or with an agent, or gone): the start of the first look that
    finds it so. Callers are looked at once agents are back (the ACD restores
    both in one step), a few at a time, so the looking costs the service little."""
    pending = set(waiting)
    while True:
        looked = time.monotonic()
        try:
            agents = await desk.agents()
            if all(a["state"] != "logged_out" for a in agents.values()):
                pending = await unknown(desk, sim, pending, agents)
                if not pending:
                    return looked - started
        except (aiohttp.ClientError, RuntimeError):
            pass  # not answering yet
        await asyncio.sleep(POLL_S)


async def unknown(
    desk: Desk, sim: Simulator, pending: set[str], agents: dict[str, dict[str, Any]]
) -> set[str]:
    """Those of `pending` still live that the ACD neither has waiting nor gave to
    an agent."""
    live = {f"pbx1:{c.linkedid}" for c in sim.live_channels()}
    with_agents = {a["call_id"] for a in agents.values() if a["call_id"]}
    checks = sorted(pending & live - with_agents)
    limit = asyncio.Semaphore(LOOKS_AT_ONCE)

    async def known(call_id: str) -> bool:
        async with limit:
            return await desk.waiting(call_id)

    found = await asyncio.gather(*(known(c) for c in checks))
    return {c for c, ok in zip(checks, found, strict=True) if not ok}


def restored_at(log: Path) -> float:
    """When the service last logged that it restored a PBX (epoch seconds)."""
    stamps = [line[:23] for line in log.read_text().splitlines() if RESTORED in line]
    if not stamps:
        raise RuntimeError(f"the service never said it restored; see {log}")
    clock, _, millis = stamps[-1].partition(",")
    return time.mktime(time.strptime(clock, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000


async def fresh_database(server: servers.PostgresServer, name: str) -> str:
    conn = await asyncpg.connect(server.dsn("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "recovery_template"')
    finally:
        await conn.close()
    return server.url(name)


async def run_once(
    server: servers.PostgresServer, index: int, args: argparse.Namespace
) -> Run:
    url = await fresh_database(server, f"recovery{index}")
    workdir = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
    setup = ServiceSetup(
        database_url=url,
        workdir=workdir,
        seats=SEATS,
        ring_timeout_s=15.0,
        wrap_up_s=WRAP_UP_S,
    )
    phones = tuple(
        AgentPhone(endpoint=ep, ring_s=RING_S, talk_s=3600) for _, ep in SEATS
    )
    config = setup.simulator(agents=phones, seed=index)
    service = ServiceProcess(setup)
    try:
        async with (
            aiohttp.ClientSession() as http,
            Simulator(config, keep_events=True) as sim,
        ):
            try:
                return await killed_under_load(
                    service,
                    sim,
                    await Desk.made(setup, http),
                    random.Random(index),
                    args,
                )
            finally:
                await service.stop()
    finally:
        if args.keep:
            print(f"run {index + 1}: files in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


async def killed_under_load(
    service: ServiceProcess,
    sim: Simulator,
    desk: Desk,
    rng: random.Random,
    args: argparse.Namespace,
) -> Run:
    await service.start()
    await service.healthy(desk.http, timeout_s=60)
    await asyncio.gather(
        *(desk.post(login, "/acd/agents/me/login") for login, _ in SEATS)
    )
    placed: list[InboundCall] = []
    stop = asyncio.Event()
    load = asyncio.create_task(arrivals(sim, rng, args.per_s, placed, stop))
    await asyncio.sleep(args.warm_s)
    for _ in range(args.burst):
        placed.append(await sim.place_inbound(caller(rng, len(placed))))
    await asyncio.sleep(args.burst_s)

    await service.kill()
    await asyncio.sleep(args.down_s)
    spawned = time.time()
    started = await service.start()
    waiting = waiting_calls(sim)
    talking = len(
        {endpoint_in(c.name) for c in sim.live_channels() if c.bridge} - {None}
    )
    await service.healthy(desk.http, timeout_s=60)
    startup_s = time.monotonic() - started
    confirmed_s = await until_recovered(desk, sim, waiting, started)
    recovery_s = restored_at(service.setup.log) - spawned

    await asyncio.sleep(args.after_s)
    stop.set()
    await load
    async with asyncio.timeout(args.drain_timeout_s):
        while sim.live_channels():  # noqa: ASYNC110  # the simulator has no event for it
            await asyncio.sleep(0.5)
    await asyncio.sleep(WRAP_UP_S + 1.0)
    agents = await desk.agents()
    stuck = sum(1 for a in agents.values() if a["state"] != "ready")
    reached = bridged_channels(sim.events)
    lost = sum(1 for c in placed if c.ivr_uniqueid not in reached)
    return Run(
        recovery_s,
        startup_s,
        confirmed_s,
        len(waiting),
        talking,
        len(placed),
        lost,
        stuck,
    )


async def main(args: argparse.Namespace) -> None:
    with servers.postgres() as server:
        conn = await asyncpg.connect(server.dsn("postgres"))
        try:
            await conn.execute('CREATE DATABASE "recovery_template"')
        finally:
            await conn.close()
        await migrate(server.url("recovery_template"))
        runs: list[Run] = []
        for index in range(args.runs):
            run = await run_once(server, index, args)
            runs.append(run)
            print(
                f"run {index + 1}: recovery {run.recovery_s:.2f}s (start "
                f"{run.startup_s:.2f}s, seen through the API at "
                f"{run.confirmed_s:.2f}s) with {run.waiting} callers waiting and "
                f"{run.talking} agents talking at the restart; {run.placed} calls, "
                f"{run.lost} lost; {run.stuck} agents not ready at the end",
                flush=True,
            )
    print(f"agents={AGENTS} runs={args.runs} per_s={args.per_s} burst={args.burst}")
    print(f"startup_s={statistics.median(r.startup_s for r in runs):.2f} s")
    print(f"confirmed_s={statistics.median(r.confirmed_s for r in runs):.2f} s")
    print(f"lost_calls={sum(r.lost for r in runs)} calls")
    print(f"recovery_s={statistics.median(r.recovery_s for r in runs):.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-s", type=float, default=12.0, help="calls a second")
    parser.add_argument("--warm-s", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=80, help="callers before the kill")
    parser.add_argument("--burst-s", type=float, default=5.0)
    parser.add_argument("--down-s", type=float, default=1.0)
    parser.add_argument("--after-s", type=float, default=5.0)
    parser.add_argument("--drain-timeout-s", type=float, default=180.0)
    parser.add_argument(
        "--keep", action="store_true", help="keep each run's service log and files"
    )
    asyncio.run(main(parser.parse_args()))
