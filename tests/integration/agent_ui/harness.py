"""A running live channel on a free port: the sign-in API, Socket.IO and the bus
that feeds it, over a migrated database with an agent, a supervisor and a
marketer. (The pages are tested through the service as `serve` builds it.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from acd.events import CallOffered
from acd.model import AgentId, QueueId
from agent_ui import sockets
from agent_ui.events import AgentConnected, AgentDisconnected
from agent_ui.ports import CustomerCards
from contactcentre.bus import Bus
from contactcentre.web import make_web_app, serve_http
from crm_core.api.app import ApiDeps, setup_api
from crm_core.api.context import SESSION_COOKIE
from crm_core.api.routing import ApiRoutes
from crm_core.auth.credentials import Passwords
from crm_core.auth.events import SessionsEnded
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from telephony.model import CallId
from tests.fakes import FakeClock

PASSWORD = "correct horse battery"
FAST = Passwords(time_cost=1, memory_kib=256, parallelism=1)
USERS = {"anna": Role.AGENT, "sam": Role.SUPERVISOR, "mark": Role.MARKETING}


@dataclass(slots=True)
class Desk:
    url: str
    bus: Bus
    auth: AuthService
    customers: CustomerService
    user_ids: dict[str, uuid.UUID]
    desktops: sockets.Desktops
    presence: list[AgentConnected | AgentDisconnected] = field(default_factory=list)

    async def cookie(self, login: str) -> str:
        """A `Cookie` header for a fresh session of `login`."""
        signed = await self.auth.login(login, PASSWORD, address="127.0.0.1")
        return f"{SESSION_COOKIE}={signed.session_token}"

    def agent_id(self, login: str) -> str:
        return login

    def offer(self, call_id: str, login: str) -> CallOffered:
        return CallOffered(
            occurred_at=datetime.now(UTC),
            call_id=CallId(call_id),
            queue_id=QueueId("billing"),
            agent_id=AgentId(self.agent_id(login)),
        )


def _nothing(_app: web.Application) -> None:
    return None


def _as_is(customers: CustomerService) -> CustomerCards:
    return customers


@asynccontextmanager
async def running_desk(
    sessions: Sessions,
    *,
    bus: Bus | None = None,
    routes: Sequence[ApiRoutes] = (),
    extend: Callable[[web.Application], None] = _nothing,
    cards: Callable[[CustomerService], CustomerCards] = _as_is,
) -> AsyncIterator[Desk]:
    """The desk on a free port; `routes` are served under /api/v1 beside sign-in,
    `extend` stores their services on the app, `bus` (a new one by default)
    may already have publishers that feed the desktops, and `cards` gives the
    pops' cards from the CRM's customers (as they are, by default)."""
    clock = FakeClock()
    bus = bus if bus is not None else Bus()
    auth = AuthService(sessions, clock, passwords=FAST, publisher=bus)
    user_ids = {}
    for login, role in USERS.items():
        user = await auth.create_user(
            system_actor(),
            NewUser(login=login, display_name=login, role=role, password=PASSWORD),
        )
        user_ids[login] = user.id
    customers = CustomerService(sessions, clock)
    desktops = sockets.Desktops(
        sockets.make_server(),
        sessions=auth,
        cards=cards(customers),
        publisher=bus,
        clock=clock,
    )
    bus.subscribe_all(sockets.EVENTS, desktops.handle)
    bus.subscribe(SessionsEnded, desktops.on_sessions_ended)
    app = make_web_app(
        [
            lambda app: setup_api(app, ApiDeps(auth=auth, routes=routes)),
            desktops.mount,
            extend,
        ]
    )
    runner = await serve_http(app, host="127.0.0.1", port=0)
    address: Any = runner.addresses[0]
    desk = Desk(
        url=f"http://127.0.0.1:{address[1]}",
        bus=bus,
        auth=auth,
        customers=customers,
        user_ids=user_ids,
        desktops=desktops,
    )

    async def record(event: AgentConnected | AgentDisconnected) -> None:
        desk.presence.append(event)

    bus.subscribe_all((AgentConnected, AgentDisconnected), record)
    try:
        async with bus:
            yield desk
    finally:
        await runner.cleanup()
