"""Readiness: named checks of what the service needs to take calls, answered at
`/readyz` (200 when every check is ready, else 503), each check named with its
reason and figures. `/healthz` stays the liveness answer: the process is up.

A part adds its check in one line in the composition root, e.g.
    readiness.add("journal", journal_check(journal))
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contactcentre.journal import Journal
from telephony.agi import AgiServer
from telephony.ami import AmiClient

Figure = str | int | float | bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """One check's answer: ready or not, why not, and any figures worth showing
    (a backlog depth, a count of live calls)."""

    ready: bool
    reason: str | None = None
    figures: Mapping[str, Figure] = field(default_factory=dict)


Check = Callable[[], Probe | Awaitable[Probe]]
"""Plain or async; one that raises or overruns the timeout is not ready."""


class Readiness:
    def __init__(self, *, timeout_s: float = 2.0) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout_s = timeout_s

    def add(self, name: str, check: Check) -> None:
        """Answer `name` at /readyz with what `check` says. Raises ValueError for a
        name already taken."""
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} is already added")
        self._checks[name] = check

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def report(self) -> dict[str, Probe]:
        """Every check's answer, run concurrently, by name in the order added."""
        async with asyncio.TaskGroup() as group:
            tasks = {
                name: group.create_task(self._probe(check))
                for name, check in self._checks.items()
            }
        return {name: task.result() for name, task in tasks.items()}

    async def _probe(self, check: Check) -> Probe:
        try:
            async with asyncio.timeout(self._timeout_s):
                answer = check()
                return await answer if inspect.isawaitable(answer) else answer
        except TimeoutError:
            return Probe(ready=False, reason=f"no answer in {self._timeout_s} s")
        except Exception as exc:  # noqa: BLE001  # a failing check is an answer
            return Probe(ready=False, reason=f"{type(exc).__name__}: {exc}"[:300])


READINESS: web.AppKey[Readiness] = web.AppKey("readiness")


async def readyz(request: web.Request) -> web.Response:
    """`{"ready": bool, "checks": {name: {"ready", "reason"?, ...figures}}}`."""
    report = await request.app[READINESS].report()
    checks = {
        name: {
            "ready": probe.ready,
            **({"reason": probe.reason} if probe.reason else {}),
            **probe.figures,
        }
        for name, probe in report.items()
    }
    ready = all(probe.ready for probe in report.values())
    return web.json_response(
        {"ready": ready, "checks": checks}, status=200 if ready else 503
    )


def database_check(engine: AsyncEngine) -> Check:
    async def check() -> Probe:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return Probe(ready=True)

    return check


def ami_check(client: AmiClient) -> Check:
    def check() -> Probe:
        if client.connected:
            return Probe(ready=True, figures={"connects": client.connects})
        return Probe(ready=False, reason=client.down_reason)

    return check


def agi_check(agi: AgiServer) -> Check:
    def check() -> Probe:
        if agi.listening:
            return Probe(ready=True, figures={"sessions": agi.active_sessions})
        return Probe(ready=False, reason="not listening")

    return check


def subscribed_check(subscribed: asyncio.Event) -> Check:
    """Ready while `subscribed` is set (the Redis bridge's receive side)."""

    def check() -> Probe:
        if subscribed.is_set():
            return Probe(ready=True)
        return Probe(ready=False, reason="not subscribed to Redis")

    return check


def journal_check(journal: Journal) -> Check:
    """Ready while the journal of call records runs, with its depth: records
    waiting for the database (`pending`, of which `on_disk_only` past the memory
    bound), whether it is being retried, and the dead letters kept. A backlog does
    not make the service unready: calls go on and their records wait."""

    def check() -> Probe:
        backlog = journal.backlog()
        figures = {
            "pending": backlog.pending,
            "on_disk_only": backlog.on_disk_only,
            "retrying": backlog.retrying,
            "dead_letters": backlog.dead_letters,
        }
        if journal.running:
            return Probe(ready=True, figures=figures)
        return Probe(ready=False, reason="not running", figures=figures)

    return check


def service_readiness(
    engine: AsyncEngine, clients: Iterable[AmiClient], agi: AgiServer
) -> Readiness:
    """The database, each PBX's AMI link (`ami:<pbx id>`) and the FastAGI
    listener; the composition root adds Redis when it is configured."""
    readiness = Readiness()
    readiness.add("database", database_check(engine))
    for client in clients:
        readiness.add(f"ami:{client.pbx_id}", ami_check(client))
    readiness.add("fastagi", agi_check(agi))
    return readiness
