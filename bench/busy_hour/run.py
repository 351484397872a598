"""One run of bench/busy_hour at one speed: a copy of the template database, then
three processes on loopback (the simulator with the callers and phones, the
service, the agents' desktops), the workload from T0, the CPU of each process read
at the measured window's edges, and what each process saw."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.busy_hour import cpu
from bench.busy_hour.control import Window, sleep_until
from bench.busy_hour.template import AMI_SECRET, TEMPLATE, service_settings
from recordings.model import file_name_for
from tests.servers import PostgresServer, free_port

START_TIMEOUT_S = 180.0
GO_AFTER_S = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What every run shares."""

    pg: PostgresServer
    work: Path
    desks: list[dict[str, str]]
    warmup_s: float
    measured_s: float
    tail_s: float
    seed: int
    logs: Path | None = None
    """Where to keep each run's process logs (None: dropped with the run)."""
    profile: bool = True
    """Profile the service's CPU by component (SIGPROF every 5 ms of CPU)."""


@dataclass(slots=True)
class Child:
    """A process of the run, spoken to on its standard input and output."""

    name: str
    process: asyncio.subprocess.Process

    @classmethod
    async def start(cls, name: str, spec: dict[str, Any], run_dir: Path) -> Child:
        spec_file = run_dir / f"{name}.json"
        spec_file.write_text(json.dumps(spec))
        with (run_dir / f"{name}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                f"bench.busy_hour.{name}",
                str(spec_file),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                limit=2**28,
            )
        return cls(name, process)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def heard(self, event: str, timeout_s: float = START_TIMEOUT_S) -> Any:
        """The next message `event` (raises if the process ends first)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout_s):
            while line := await self.process.stdout.readline():
                message = json.loads(line)
                if message.get("event") == event:
                    return message
        raise RuntimeError(f"{self.name} ended before {event!r}: see its log")

    async def end(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
        await self.process.wait()


async def run_at(plan: Plan, speed: float, number: int) -> dict[str, Any]:
    """Run the workload at `speed`; what the processes reported, and their CPU
    seconds over the measured window."""
    database = f"busy_hour_{number}"
    run_dir = plan.work / database
    run_dir.mkdir()
    await _admin(plan.pg, f'CREATE DATABASE "{database}" TEMPLATE "{TEMPLATE}"')
    children: list[Child] = []
    try:
        report = await _run(plan, speed, run_dir, database, children)
        report["recorded"] = _recorded(run_dir / "recordings", report)
        return report
    finally:
        for child in children:
            await child.end()
        await _admin(plan.pg, f'DROP DATABASE "{database}"')
        if plan.logs is not None:
            plan.logs.mkdir(parents=True, exist_ok=True)
            for log in run_dir.glob("*.log"):
                shutil.copy(log, plan.logs / f"{speed:g}x-{log.name}")
        shutil.rmtree(run_dir, ignore_errors=True)


async def _run(
    plan: Plan, speed: float, run_dir: Path, database: str, children: list[Child]
) -> dict[str, Any]:
    ports = {"ami": free_port(), "agi": free_port(), "http": free_port()}
    timing = {
        "speed": speed,
        "warmup_s": plan.warmup_s,
        "measured_s": plan.measured_s,
        "tail_s": plan.tail_s,
    }
    settings = service_settings(plan.pg.url(database), run_dir, ports)
    callers = await Child.start(
        "callers",
        {
            **timing,
            "ami_port": ports["ami"],
            "agi_port": ports["agi"],
            "secret": AMI_SECRET,
            "seed": plan.seed,
            "recordings_dir": settings["recordings_dir"],
            "sounds_dir": settings["ivr"]["sounds_dir"],
        },
        run_dir,
    )
    children.append(callers)
    await callers.heard("ready")
    service = await Child.start(
        "service",
        {
            **timing,
            "settings": settings,
            "ports": {**ports, "database": plan.pg.port},
            "profile": plan.profile,
        },
        run_dir,
    )
    children.append(service)
    await service.heard("ready")
    url = f"http://127.0.0.1:{ports['http']}"
    desktops = await Child.start(
        "desktops", {"url": url, "agents": plan.desks}, run_dir
    )
    children.append(desktops)
    await desktops.heard("ready")
    return await _measure(plan, timing, callers, service, desktops)


async def _measure(
    plan: Plan,
    timing: dict[str, float],
    callers: Child,
    service: Child,
    desktops: Child,
) -> dict[str, Any]:
    t0 = time.monotonic() + GO_AFTER_S
    window = Window.of(timing, t0)
    for child in (callers, service):
        await child.send(f"go {t0}")
    pids = _pids(plan.pg, callers, service, desktops)
    children = (callers, service, desktops)
    await _while_alive(children, sleep_until(window.start))
    before = _cpu(pids)
    await _while_alive(children, sleep_until(window.end))
    after = _cpu(pids)
    await _while_alive(children, sleep_until(window.stop))
    reports = {}
    for child in (desktops, service, callers):
        await child.send("stop")
        reports[child.name] = await child.heard("done")
    cpu_s = {name: after[name] - before[name] for name in after}
    return {"window": timing, "cpu_s": cpu_s, **reports}


async def _while_alive(
    children: tuple[Child, ...], waiting: Coroutine[Any, Any, None]
) -> None:
    """Await `waiting`; raise if a child process ends meanwhile."""
    task = asyncio.create_task(waiting)
    ends = [asyncio.create_task(child.process.wait()) for child in children]
    try:
        await asyncio.wait([task, *ends], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for end in ends:
            end.cancel()
    if not task.done():
        task.cancel()
        gone = [c.name for c in children if c.process.returncode is not None]
        raise RuntimeError(f"{', '.join(gone)} ended early: see the logs")


def _pids(
    pg: PostgresServer, callers: Child, service: Child, desktops: Child
) -> dict[str, int]:
    return {
        "simulator": callers.pid,
        "service": service.pid,
        "desktops": desktops.pid,
        "postgresql": cpu.postmaster(pg.port),
    }


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far: each process, the service's children (the TTS worker)
    apart, PostgreSQL with every backend."""
    seconds = {name: cpu.tree_cpu_s(pid) for name, pid in pids.items()}
    seconds["service"] = cpu.cpu_s(pids["service"])
    seconds["service_children"] = cpu.tree_cpu_s(pids["service"]) - seconds["service"]
    return seconds


def _recorded(recordings_dir: Path, report: dict[str, Any]) -> int:
    """How many of the window's answered calls have their MixMonitor file (the
    PBX's side of a recording: its row may still wait in the service's journal)."""
    return sum(
        1
        for call, (kind, _) in report["service"]["calls"].items()
        if kind == "answered" and (recordings_dir / file_name_for(call)).is_file()
    )


async def _admin(pg: PostgresServer, statement: str) -> None:
    connection = await asyncpg.connect(pg.dsn("postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
