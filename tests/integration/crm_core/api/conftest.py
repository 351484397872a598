"""An API served on a free port over a migrated database, with an admin and an agent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcentre.web import make_web_app
from crm_core.api.app import ApiDeps, setup_api
from crm_core.api.report_routes import ReportApi
from crm_core.api.routing import ApiRoutes
from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.ports import NoPublisher
from crm_core.appeals.service import AppealService
from crm_core.appeals.sla import SlaMonitor
from crm_core.appeals.topics import TopicService
from crm_core.auth.accounts import AuthPolicy
from crm_core.auth.credentials import Passwords
from crm_core.auth.model import Permission, Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.customers.contacts import ContactService
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from crm_core.reports.bulk import BulkOperations
from crm_core.reports.reports import ReportService
from crm_core.reports.search import AppealSearch
from crm_core.webhooks.service import WebhookService
from crm_core.webhooks.targets import TargetPolicy
from tests.fakes import FakeClock

PASSWORD = "correct horse battery"
ATTACHMENT_MAX_BYTES = 100_000
FAST = Passwords(time_cost=1, memory_kib=256, parallelism=1)
LOOPBACK_RECEIVERS = TargetPolicy(
    allowed_networks=(ip_network("127.0.0.0/8"), ip_network("::1/128"))
)
"""Webhook receivers in these tests listen on loopback: allowed, as a deployment
would allow its LAN; every other internal address stays refused."""


@dataclass(slots=True)
class Api:
    client: TestClient[web.Request, web.Application]
    auth: AuthService
    clock: FakeClock
    sessions: Sessions
    admin_token: str
    agent_token: str
    powerless_token: str
    agent_id: uuid.UUID
    admin_id: uuid.UUID
    sla: SlaMonitor

    async def sign_in(self, login: str) -> str:
        """Sign `login` in with the cookie; returns the CSRF token."""
        response = await self.client.post(
            "/api/v1/auth/login", json={"login": login, "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        token: str = (await response.json())["csrf_token"]
        return token


def extra_route_tables() -> list[ApiRoutes]:
    """Route tables the composition root adds besides the API's own."""
    return []


@pytest.fixture
async def api(sessions: Sessions, tmp_path: Path) -> AsyncIterator[Api]:
    clock = FakeClock()
    policy = AuthPolicy(session_idle_s=600, session_max_s=3600)
    auth = AuthService(sessions, clock, passwords=FAST, policy=policy)
    tokens = []
    ids = []
    for login, role, revoked in (
        ("admin", Role.ADMINISTRATOR, frozenset[Permission]()),
        ("anna", Role.AGENT, frozenset()),
        ("nobody", Role.MARKETING, frozenset(Permission)),
    ):
        user = await auth.create_user(
            system_actor(),
            NewUser(login=login, display_name=login, role=role, password=PASSWORD,
                    revoked=revoked),
        )  # fmt: skip
        issued = await auth.issue_token(system_actor(), "test", user_id=user.id)
        tokens.append(issued.secret)
        ids.append(user.id)
    webhooks = WebhookService(sessions, clock, targets=LOOPBACK_RECEIVERS)
    appeals = AppealService(sessions, clock, NoPublisher())
    search = AppealSearch(sessions)
    sla = SlaMonitor(sessions, clock, NoPublisher(), archive_after=timedelta(days=90))
    deps = ApiDeps(
        auth=auth,
        webhooks=webhooks,
        customers=CustomerService(sessions, clock),
        contacts=ContactService(sessions, clock),
        appeals=appeals,
        topics=TopicService(sessions, clock),
        attachments=AttachmentService(
            sessions,
            clock,
            directory=tmp_path / "attachments",
            max_bytes=ATTACHMENT_MAX_BYTES,
        ),
        notifications=sla,
        reports=ReportApi(
            search=search,
            bulk=BulkOperations(appeals, search),
            reports=ReportService(sessions, clock),
        ),
        routes=extra_route_tables(),
    )
    app = make_web_app([lambda app: setup_api(app, deps)])
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(
            client=client, auth=auth, clock=clock, sessions=sessions,
            admin_token=tokens[0], agent_token=tokens[1], powerless_token=tokens[2],
            agent_id=ids[1], admin_id=ids[0], sla=sla,
        )  # fmt: skip
    finally:
        await client.close()
