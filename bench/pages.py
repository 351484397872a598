"""Server time of the pages people work in, over a full database: the agent desk
on a live call, the wallboard, an appeal and a customer's card, with 5,000,000
appeals and 1,000,000 customers in PostgreSQL.

Run from the repository root (the first run at a scale seeds its database, about
7 minutes at scale 1 and 7 GB, kept under var/bench/pages/ for the next runs;
`--scale 0.1` for a quicker look):

    .venv/bin/python -m bench.pages [--scale 1] [--requests 200] [--rounds 3]

The data: bench/pages_data.py (the demo's seed multiplied in SQL). The service:
`contactcentre.bootstrap.build` on that database, running in this process, with
the PBX simulator (telephony/sim/) as its Asterisk; the demo users sign in
through the API. The agent logs in to the queues from a Socket.IO client, as the
desk does, and a caller from a customer with appeals and calls on record rings
the support queue and is put through to them; the desk is measured on that call.

Pages (each GET as the role that works in it; every answer must be 200):
- agent desk: `/agent`, and its call screen `/agent/calls/{id}` (the pop with
  the customer's card, open appeals and last calls), which the desk loads at
  once: two requests, two figures;
- wallboard: `/wallboard` as the supervisor;
- appeal queues: `/backoffice` as back office (their work lists);
- appeal: `/backoffice/appeals/{id}`, a different appeal of the 5,000,000 each
  time; customer: `/backoffice/customers/{id}`, a different customer each time.

Server time: the time of the HTTP request over loopback, taken by a client in the
service's own process and event loop, one request at a time: the handler with
the session check, the service calls and the template, plus aiohttp's parsing
and loopback (well under a millisecond). Each round asks every page in turn
`--requests` times (after 20 unmeasured each); a page's figure is the median over
rounds of its p95. Before measuring, the service's first SLA pass is let finish
what came due since the seed. The first line says the scale that ran, the
volumes and the machine's load average (the figures stretch with it). Left out:
the browser's own work (assets, htmx, the Socket.IO push), other users' load,
and a network.
Last line: `page_p95_ms=N ms`, the slowest page (target 50).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import logging
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench import pages_data
from bench.busy_hour.control import load_average, p99
from bench.busy_hour.desktops import Desktop
from bench.busy_hour.template import AMI_SECRET, loopback_settings, serving, sign_in
from telephony.sim.model import AgentPhone, Caller, SimConfig
from telephony.sim.simulator import Simulator
from tests import servers
from tests.waiting import eventually

ROOT = Path("var/bench/pages")
WARM_UP = 20
ENDPOINT = "2101"
SEAT = {
    "login": "agent",
    "endpoint": ENDPOINT,
    "queues": ["support"],
    "skills": {"support": 5, "en": 5},
    "languages": ["en"],
}
SUPPORT = Caller(ani="", dnis="8800", digits="2", patience_s=None, talk_s=36_000.0)
"""The English menu, 2 for support (ivr/flows/); `ani` is filled in."""
CALL_TIMEOUT_S = 60.0
CATCH_UP_TIMEOUT_S = 1800.0
PEOPLE = ("agent", "supervisor", "backoffice")


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    login: str
    path: Callable[[random.Random], str]


def pages(call_id: str, counts: pages_data.Counts) -> tuple[Page, ...]:
    def appeal(rng: random.Random) -> str:
        return (
            f"/backoffice/appeals/{copy_id('appeal', rng.randint(1, counts.appeals))}"
        )

    def customer(rng: random.Random) -> str:
        number = rng.randint(1, counts.customers)
        return f"/backoffice/customers/{copy_id('customer', number)}"

    return (
        Page("agent_desk", "agent", lambda _: "/agent"),
        Page("agent_call", "agent", lambda _: f"/agent/calls/{call_id}"),
        Page("wallboard", "supervisor", lambda _: "/wallboard"),
        Page("appeal_queues", "backoffice", lambda _: "/backoffice"),
        Page("appeal", "backoffice", appeal),
        Page("customer", "backoffice", customer),
    )


def copy_id(kind: str, number: int) -> uuid.UUID:
    """The id bench/pages_data gave copy `number`: md5(kind || number)."""
    return uuid.UUID(hashlib.md5(f"{kind}{number}".encode()).hexdigest())  # noqa: S324  ids, not secrets


def caller_number(counts: pages_data.Counts) -> str:
    """The phone of the customer of copy appeal 20 (open, as every 20th): with
    appeals and two calls on record, as every customer."""
    customer = 1 + (20 * 7919) % counts.customers
    return f"+7999{customer:07d}"


async def put_through(
    sim: Simulator, desk: Desktop, http: aiohttp.ClientSession, base: str, ani: str
) -> str:
    """Ring the support queue from `ani` once the service is ready; the call's id
    once the agent's desk has popped it and their phone answered."""

    async def ready() -> bool:
        async with http.get(f"{base}/readyz") as answer:
            return answer.status == 200

    async def popped() -> str | None:
        return str(desk.pops[0][0]) if desk.pops else None

    await eventually(ready, timeout_s=CALL_TIMEOUT_S)
    await sim.place_inbound(dataclasses.replace(SUPPORT, ani=ani))
    call_id: str = await eventually(popped, timeout_s=CALL_TIMEOUT_S)
    await asyncio.sleep(2.0)  # the phone rings 0.5 s, then answers
    return call_id


async def caught_up(pg: servers.PostgresServer) -> None:
    """Wait for the service's first SLA pass to mark overdue and archive what
    came due since the seed (printing how long it took), so that it does not run
    while pages are measured."""
    started = time.monotonic()
    conn = await asyncpg.connect(pg.dsn(pages_data.DATABASE))
    try:
        async with asyncio.timeout(CATCH_UP_TIMEOUT_S):
            while True:
                if not await pages_data.unsettled(conn):
                    break
                await asyncio.sleep(1.0)  # the check reads much of a large table
    finally:
        await conn.close()
    print(f"sla_catch_up_s={time.monotonic() - started:.0f}", flush=True)


async def one_round(
    http: aiohttp.ClientSession,
    base: str,
    cookies: dict[str, str],
    shown: tuple[Page, ...],
    requests: int,
    rng: random.Random,
) -> dict[str, list[float]]:
    """Each page in turn, `WARM_UP` + `requests` times: the measured times (ms)."""
    times: dict[str, list[float]] = {page.name: [] for page in shown}
    for i in range(WARM_UP + requests):
        for page in shown:
            path = page.path(rng)
            started = time.perf_counter()
            async with http.get(
                base + path, headers={"Cookie": cookies[page.login]},
                allow_redirects=False,
            ) as answer:  # fmt: skip
                await answer.read()
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status != 200:
                raise RuntimeError(f"{page.name} {path}: HTTP {answer.status}")
            if i >= WARM_UP:
                times[page.name].append(elapsed)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


async def measure(args: argparse.Namespace, pg: servers.PostgresServer) -> None:
    counts = pages_data.Counts.at(args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        ports = {"http": servers.free_port(), "agi": servers.free_port(),
                 "ami": servers.free_port()}  # fmt: skip
        settings: dict[str, Any] = {
            **loopback_settings(pg.url(pages_data.DATABASE), run_dir, ports),
            "acd": {"seats": [SEAT]},
        }
        config = SimConfig(
            ami_port=ports["ami"], secret=AMI_SECRET, agi_port=ports["agi"],
            recordings_dir=run_dir / "recordings", sounds_dir=run_dir / "sounds",
            agents=(AgentPhone(endpoint=ENDPOINT, ring_s=0.5, talk_s=36_000.0),),
        )  # fmt: skip
        jar = aiohttp.DummyCookieJar()
        async with (
            Simulator(config) as sim,
            serving(settings) as base,
            aiohttp.ClientSession(cookie_jar=jar) as http,
        ):
            signed = {
                login: await sign_in(http, base, login, pages_data.PASSWORD)
                for login in PEOPLE
            }
            agent = signed["agent"]
            desk = Desktop(agent["login"], agent["cookie"], agent["csrf"])
            await caught_up(pg)
            await desk.open(base, http)
            call_id = await put_through(sim, desk, http, base, caller_number(counts))
            cookies = {login: signed[login]["cookie"] for login in PEOPLE}
            shown = pages(call_id, counts)
            rng = random.Random(args.seed)
            rounds = [
                await one_round(http, base, cookies, shown, args.requests, rng)
                for _ in range(args.rounds)
            ]
            await desk.client.disconnect()
    report(args, counts, shown, rounds)


def report(
    args: argparse.Namespace,
    counts: pages_data.Counts,
    shown: tuple[Page, ...],
    rounds: list[dict[str, list[float]]],
) -> None:
    print(
        f"scale={args.scale:g} {counts} rounds={args.rounds} "
        f"requests_per_page_per_round={args.requests} "
        f"load_average={load_average()} cores={os.cpu_count()}"
    )
    slowest = 0.0
    for page in shown:
        figure = statistics.median(p95(r[page.name]) for r in rounds)
        middle = statistics.median(statistics.median(r[page.name]) for r in rounds)
        worst = statistics.median(p99(r[page.name]) for r in rounds)
        slowest = max(slowest, figure)
        print(
            f"{page.name}: p50_ms={middle:.1f} p95_ms={figure:.1f} p99_ms={worst:.1f}"
        )
    print(f"page_p95_ms={slowest:.1f} ms")


async def prepared(args: argparse.Namespace) -> None:
    folder = pages_data.data_dir(ROOT, args.scale)
    if not pages_data.seeded(folder):
        shutil.rmtree(folder, ignore_errors=True)
    with servers.postgres(keep=folder / "pg") as pg:
        if not pages_data.seeded(folder):
            started = time.monotonic()
            await pages_data.seed(pg, folder, args.scale)
            print(f"seeded_s={time.monotonic() - started:.0f} (cached in {folder})")
        await measure(args, pg)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="of the volumes")
    parser.add_argument("--requests", type=int, default=200, help="per page, round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(prepared(args))


if __name__ == "__main__":
    main()
