"""The database every run of bench/busy_hour starts from, made once: migrated, the
demo's customers, 400 agent users, each signed in through the API of the service
as `build` composes it. Each run copies it (CREATE DATABASE ... TEMPLATE), so
every run starts alike and the agents' sessions are there, as after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.busy_hour import workload
from contactcentre.bootstrap import build
from contactcentre.migrate import migrate
from contactcentre.settings import load_settings
from crm_core.api.context import SESSION_COOKIE
from crm_core.auth.credentials import Passwords
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.clock import UtcClock
from crm_core.customers.seed import seed_customers
from crm_core.db import make_engine, make_sessions
from tests.servers import PostgresServer, free_port

TEMPLATE = "busy_hour_template"
AMI_SECRET = "busy-hour-ami"  # noqa: S105  # the simulator's, on loopback
QUICK = Passwords(time_cost=1, memory_kib=1024, parallelism=1)
"""Creating the users only: the first sign-in rehashes with the service's costs."""
SIGNING_IN_AT_ONCE = 4


def service_settings(
    database_url: str, run_dir: Path, ports: dict[str, int]
) -> dict[str, Any]:
    """The service's settings (as `CC_*` would give them) for one run."""
    seats = [workload.seat(i) for i in range(workload.AGENTS)]
    return {**loopback_settings(database_url, run_dir, ports), "acd": {"seats": seats}}


def loopback_settings(
    database_url: str, run_dir: Path, ports: dict[str, int]
) -> dict[str, Any]:
    """Settings for a service on loopback ports (`http`, `agi`, and `ami` for the
    simulator's AMI with `AMI_SECRET`) keeping its files in `run_dir`."""
    return {
        "database": {"url": database_url},
        "http": {"port": ports["http"]},
        "agi": {"port": ports["agi"]},
        "pbxs": [{"id": "pbx1", "port": ports["ami"], "secret": AMI_SECRET}],
        "recordings_dir": str(run_dir / "recordings"),
        "data_dir": str(run_dir),
        "crm": {"attachments_dir": str(run_dir / "attachments")},
        "ivr": {"sounds_dir": str(run_dir / "sounds")},
    }


async def prepare(pg: PostgresServer, work: Path) -> list[dict[str, str]]:
    """Make the template database; each agent's login, session cookie and CSRF
    token."""
    admin = await asyncpg.connect(pg.dsn("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await admin.close()
    url = pg.url(TEMPLATE)
    await migrate(url)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        await seed_customers(sessions, workload.CUSTOMERS)
        auth = AuthService(sessions, UtcClock(), passwords=QUICK)
        for i in range(workload.AGENTS):
            login = workload.login(i)
            await auth.create_user(
                system_actor(),
                NewUser(
                    login=login,
                    display_name=login,
                    role=Role.AGENT,
                    password=workload.AGENT_PASSWORD,
                ),
            )
    finally:
        await engine.dispose()
    ports = {"http": free_port(), "agi": free_port(), "ami": free_port()}
    settings = service_settings(url, work / "sign-in", ports)
    async with serving(settings) as base:  # no PBX is needed to sign in
        return await _sign_in_all(base)


@contextlib.asynccontextmanager
async def serving(settings: dict[str, Any]) -> AsyncIterator[str]:
    """The service as `build` composes it from `settings`, running in this
    process until the block ends: its URL once /healthz answers."""
    loaded = load_settings(**settings)
    app = build(loaded)
    running = asyncio.create_task(app.run())
    base = f"http://127.0.0.1:{loaded.http.port}"
    try:
        async with aiohttp.ClientSession() as http:
            await _until_up(http, base, running)
        yield base
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def _until_up(
    http: aiohttp.ClientSession, base: str, running: asyncio.Task[None]
) -> None:
    async with asyncio.timeout(60):
        while not running.done():
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    running.result()


async def _sign_in_all(base: str) -> list[dict[str, str]]:
    gate = asyncio.Semaphore(SIGNING_IN_AT_ONCE)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:

        async def one(login: str) -> dict[str, str]:
            async with gate:
                return await sign_in(http, base, login, workload.AGENT_PASSWORD)

        logins = [workload.login(i) for i in range(workload.AGENTS)]
        return list(await asyncio.gather(*(one(login) for login in logins)))


async def sign_in(
    http: aiohttp.ClientSession, base: str, login: str, password: str
) -> dict[str, str]:
    """Sign in through the API: the login, its session cookie and CSRF token."""
    body = {"login": login, "password": password}
    async with http.post(f"{base}/api/v1/auth/login", json=body) as answer:
        if answer.status != 200:
            raise RuntimeError(f"sign-in of {login}: {answer.status}")
        session = answer.cookies[SESSION_COOKIE].value
        csrf = (await answer.json())["csrf_token"]
    return {"login": login, "cookie": f"{SESSION_COOKIE}={session}", "csrf": csrf}
