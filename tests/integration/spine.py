"""The service as `serve` composes it (`contactcentre.bootstrap.build`) with the PBX
simulator as its Asterisk: agents anna and boris with phones, seats and users, a
supervisor (sveta), API tokens, and helpers to place calls and read their contacts. What
every spine test runs against; nothing here wires production objects itself."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from acd.model import AgentId, AgentState
from contactcentre.bootstrap import App
from contactcentre.demo import simulator_config
from contactcentre.settings import Settings
from crm_core.customers import contact_rows
from crm_core.customers.model import Contact
from crm_core.customers.seed import seed_customers
from telephony.model import CallId, PbxId, call_id
from telephony.sim.model import AgentPhone, Caller
from telephony.sim.simulator import InboundCall, Simulator
from tests.integration.recordings.accounts import users
from tests.integration.service import ready, service_settings, serving
from tests.waiting import eventually

ANNA, BORIS = AgentId("anna"), AgentId("boris")
SVETA = AgentId("sveta")
"""The supervisor: her phone rings to listen to calls when she has a seat."""
PHONES = {ANNA: "1001", BORIS: "1002", SVETA: "1009"}
FALLBACK_DNIS = "2001"
"""No flow serves it: the default greeting, then key 1 billing, 2 support, 3 sales,
anything else general (ivr.fallback)."""
SALES_MAX_WAIT_S = 1.0
"""Sales has no agents: its callers leave through the voicemail exit."""


@dataclass
class Spine:
    app: App
    sim: Simulator
    settings: Settings
    http: aiohttp.ClientSession
    tokens: dict[str, str]
    users: dict[str, uuid.UUID]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.settings.http.port}"

    async def get(self, path: str, who: str, **headers: str) -> aiohttp.ClientResponse:
        auth = {"Authorization": f"Bearer {self.tokens[who]}", **headers}
        return await self.http.get(self.base + path, headers=auth)

    async def json(self, path: str, who: str) -> Any:
        async with await self.get(path, who) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def call(self, caller: Caller) -> tuple[InboundCall, str]:
        placed = await self.sim.place_inbound(caller)
        pbx_id = PbxId(self.sim.config.pbx_id)
        return placed, call_id(pbx_id, placed.linkedid)

    def hangup_cause(self, placed: InboundCall) -> tuple[int, str]:
        """The call's cause as the PBX's Hangup events gave it: the first that
        is not 0 (a channel hung up by another says 0), else 0."""
        causes = [
            (int(e["Cause"]), e["Cause-txt"])
            for e in map(dict, self.sim.events)
            if e.get("Event") == "Hangup" and e.get("Linkedid") == placed.linkedid
        ]
        assert causes, f"no Hangup of call {placed.linkedid}"
        return next((c for c in causes if c[0] != 0), causes[0])

    async def contact(self, call: str) -> Contact | None:
        async with self.app.sessions() as s:
            row = await contact_rows.contact_by_call(s, call)
            return None if row is None else contact_rows.contact_from(row)

    async def settled(
        self, call: str, done: Callable[[Contact], bool], *, timeout_s: float = 15
    ) -> Contact:
        """The call's contact once it has ended and `done` holds of it."""

        async def check() -> Contact | None:
            found = await self.contact(call)
            ended = found is not None and found.ended_at is not None
            return found if ended and found is not None and done(found) else None

        contact: Contact = await eventually(check, timeout_s=timeout_s)
        return contact

    async def queued(self, call: str) -> None:
        """Until the ACD holds the call in a queue."""

        async def waiting() -> bool:
            return self.app.acd.engine.call(CallId(call)) is not None

        await eventually(waiting)

    async def logged_in(self, *agents: AgentId) -> None:
        for agent in agents:
            await self.app.acd.login(agent)

    async def until_state(self, agent: AgentId, state: AgentState) -> None:
        async def reached() -> bool:
            return self.app.acd.agent(agent).state is state

        await eventually(reached)


def spine_settings(
    database_url: str,
    tmp_path: Path,
    *,
    wrap_up_s: float = 0.2,
    supervisor_seat: bool = False,
    acd: dict[str, Any] | None = None,
    queues: dict[str, dict[str, Any]] | None = None,
) -> Settings:
    """`supervisor_seat`: sveta has a seat (her phone); `acd`: more ACD settings;
    `queues`: more settings of some queues, by id."""
    seats = [
        {"login": ANNA, "endpoint": PHONES[ANNA], "queues": ["general", "billing"]},
        {"login": BORIS, "endpoint": PHONES[BORIS], "queues": ["general", "support"]},
    ]
    if supervisor_seat:
        seats.append({"login": SVETA, "endpoint": PHONES[SVETA], "queues": ["general"]})
    extra = queues or {}
    configured = [
        {"id": q, "wrap_up_s": wrap_up_s, "ring_timeout_s": 5, **extra.get(q, {})}
        for q in ("general", "billing", "support")
    ]
    configured.append(
        {"id": "sales", "max_wait_s": SALES_MAX_WAIT_S, **extra.get("sales", {})}
    )
    return service_settings(
        database_url,
        tmp_path,
        acd={
            "seats": seats,
            "queues": configured,
            "announce_every_s": None,
            **(acd or {}),
        },
        crm={"cookie_secure": False},  # the browser tests sign in over plain HTTP
    )


@asynccontextmanager
async def running(
    database_url: str,
    tmp_path: Path,
    *,
    ring_s: float = 0.2,
    wrap_up_s: float = 0.2,
    supervisor_seat: bool = False,
    acd: dict[str, Any] | None = None,
    queues: dict[str, dict[str, Any]] | None = None,
) -> AsyncIterator[Spine]:
    """The spine; the agents' phones ring `ring_s` before they answer, and
    wrap-up ends by itself after `wrap_up_s` (see `spine_settings` for the rest)."""
    settings = spine_settings(
        database_url, tmp_path, wrap_up_s=wrap_up_s,
        supervisor_seat=supervisor_seat, acd=acd, queues=queues,
    )  # fmt: skip
    config = replace(
        simulator_config(settings),
        agents=tuple(
            AgentPhone(endpoint=endpoint, ring_s=ring_s, talk_s=600)
            for endpoint in PHONES.values()
        ),
    )
    async with (
        serving(settings) as app,
        Simulator(config, keep_events=True) as sim,
        aiohttp.ClientSession() as http,
    ):
        await seed_customers(app.sessions, 30)
        _, tokens, ids = await users(app.sessions)
        await eventually(lambda: ready(app))
        yield Spine(app, sim, settings, http, tokens, ids)
