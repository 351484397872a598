"""`contactcentre serve` as a real child process beside a PBX simulator in this
process: its settings (its environment, nothing inherited), its start and its
SIGKILL, and an API client that acts as its agents and a supervisor with bearer
tokens made in its database. Used by the restart test and bench/recovery.py."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.clock import UtcClock
from crm_core.db import make_engine, make_sessions
from telephony.sim.model import SimConfig
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
PBX_SECRET = "restart-secret"  # the simulator's, for this process only
SUPERVISOR = "boss"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSetup:
    """What the child service is told, and where it keeps its files."""

    database_url: str
    workdir: Path
    seats: tuple[tuple[str, str], ...]
    """(login, phone endpoint) of every agent."""
    queues: tuple[str, ...] = ("billing", "support", "sales", "general")
    ami_port: int = field(default_factory=free_port)
    agi_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    ring_timeout_s: float = 10.0
    wrap_up_s: float = 1.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/api/v1"

    @property
    def log(self) -> Path:
        return self.workdir / "service.log"

    def environment(self) -> dict[str, str]:
        pbx = {"id": "pbx1", "port": self.ami_port, "secret": PBX_SECRET}
        seats = [{"login": login, "endpoint": ep} for login, ep in self.seats]
        queues = [
            {
                "id": q,
                "ring_timeout_s": self.ring_timeout_s,
                "wrap_up_s": self.wrap_up_s,
            }
            for q in self.queues
        ]
        return {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "CC_DATABASE__URL": self.database_url,
            "CC_PBXS": json.dumps([pbx]),
            "CC_AGI__PORT": str(self.agi_port),
            "CC_HTTP__PORT": str(self.http_port),
            "CC_DATA_DIR": str(self.workdir / "data"),
            "CC_RECORDINGS_DIR": str(self.workdir / "recordings"),
            "CC_IVR__SOUNDS_DIR": str(self.workdir / "sounds"),
            "CC_ACD__SEATS": json.dumps(seats),
            "CC_ACD__QUEUES": json.dumps(queues),
            "CC_ACD__DEFAULT_QUEUE": self.queues[-1],
        }

    def simulator(self, **changes: Any) -> SimConfig:
        """The simulator the service is pointed at."""
        return SimConfig(
            ami_port=self.ami_port,
            secret=PBX_SECRET,
            agi_port=self.agi_port,
            recordings_dir=self.workdir / "recordings",
            sounds_dir=self.workdir / "sounds",
            **changes,
        )


class ServiceProcess:
    """One `contactcentre serve` child at a time: `start`, `kill` (SIGKILL),
    `stop` (SIGTERM), then `start` again on the same files."""

    def __init__(self, setup: ServiceSetup) -> None:
        self.setup = setup
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> float:
        """Start the service; returns the monotonic time it was started at."""
        assert self._process is None, "already running"
        self.setup.workdir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.setup.log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "contactcentre",
                "serve",
                env=self.setup.environment(),
                cwd=self.setup.workdir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        return started

    async def healthy(self, http: aiohttp.ClientSession, *, timeout_s: float) -> None:
        """Wait until it answers `/healthz`; RuntimeError if it died first."""
        url = f"http://127.0.0.1:{self.setup.http_port}/healthz"
        async with asyncio.timeout(timeout_s):
            while True:
                if self._process is None or self._process.returncode is not None:
                    raise RuntimeError(f"the service died; see {self.setup.log}")
                try:
                    async with http.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind in the service."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM, as docker stop; SIGKILL after 10 s."""
        try:
            async with asyncio.timeout(10):
                await self._end(signal.SIGTERM)
        except TimeoutError:
            await self.kill()

    async def _end(self, how: signal.Signals) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            process.send_signal(how)
        await process.wait()
        self._process = None


@dataclass(slots=True)
class Desk:
    """The service's API as its agents and a supervisor (bearer tokens)."""

    http: aiohttp.ClientSession
    base: str
    tokens: dict[str, str]

    @classmethod
    async def made(cls, setup: ServiceSetup, http: aiohttp.ClientSession) -> Desk:
        """Users and tokens for every seat and a supervisor, in the database."""
        engine = make_engine(setup.database_url)
        try:
            auth = AuthService(make_sessions(engine), UtcClock())
            tokens: dict[str, str] = {}
            users = [(login, Role.AGENT) for login, _ in setup.seats]
            for login, role in [*users, (SUPERVISOR, Role.SUPERVISOR)]:
                user = await auth.create_user(
                    system_actor(),
                    NewUser(login=login, display_name=login, role=role),
                )
                issued = await auth.issue_token(system_actor(), "test", user_id=user.id)
                tokens[login] = issued.secret
        finally:
            await engine.dispose()
        return cls(http, setup.base, tokens)

    async def post(
        self, login: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[login]}"}
        url = self.base + path
        async with self.http.post(url, headers=headers, json=body) as response:
            answer: dict[str, Any] = await response.json()
            if response.status != 200:
                raise RuntimeError(
                    f"POST {path} as {login}: {response.status} {answer}"
                )
            return answer

    async def get(self, path: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[SUPERVISOR]}"}
        async with self.http.get(self.base + path, headers=headers) as response:
            body: dict[str, Any] = await response.json()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body}")
            return body

    async def agents(self) -> dict[str, dict[str, Any]]:
        """Every agent's state, by login (as the supervisor sees them)."""
        return {a["agent_id"]: a for a in (await self.get("/acd/agents"))["items"]}

    async def waiting(self, call_id: str) -> bool:
        """The ACD holds the call waiting (a supervisor's `place` of it)."""
        headers = {"Authorization": f"Bearer {self.tokens[SUPERVISOR]}"}
        url = f"{self.base}/acd/calls/{call_id}/place"
        async with self.http.get(url, headers=headers) as response:
            return response.status == 200
