"""Whose address a failed sign-in counts against: the peer's, or behind a trusted
reverse proxy the client it names in X-Forwarded-For (never a stranger's claim)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from ipaddress import ip_network

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcentre.web import make_web_app
from crm_core.api.addresses import IpNetwork
from crm_core.api.app import ApiDeps, setup_api
from crm_core.auth.service import AuthService
from crm_core.auth.throttle import ADDRESS_RULE
from crm_core.db import Sessions
from tests.fakes import FakeClock
from tests.integration.crm_core.api.conftest import FAST

Client = TestClient[web.Request, web.Application]


@asynccontextmanager
async def _client(
    sessions: Sessions, proxies: tuple[IpNetwork, ...]
) -> AsyncIterator[Client]:
    auth = AuthService(sessions, FakeClock(), passwords=FAST)
    deps = ApiDeps(auth=auth, trusted_proxies=proxies)
    client = TestClient(TestServer(make_web_app([lambda a: setup_api(a, deps)])))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def _storm(client: Client, forwarded_for: str) -> list[int]:
    """Failed sign-ins for many logins claiming to come from `forwarded_for`."""
    statuses = []
    for n in range(ADDRESS_RULE.free_failures + 2):
        response = await client.post(
            "/api/v1/auth/login",
            json={"login": f"user{n}", "password": "wrong password!"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        statuses.append(response.status)
    return statuses


async def test_forwarded_client_is_throttled_when_the_proxy_is_trusted(
    sessions: Sessions,
) -> None:
    async with _client(sessions, (ip_network("127.0.0.1/32"),)) as client:
        assert (await _storm(client, "203.0.113.5"))[-1] == 429
        other = await client.post(
            "/api/v1/auth/login",
            json={"login": "someone", "password": "wrong password!"},
            headers={"X-Forwarded-For": "203.0.113.6"},
        )
        assert other.status == 401


async def test_forwarded_header_is_ignored_when_no_proxy_is_trusted(
    sessions: Sessions,
) -> None:
    async with _client(sessions, ()) as client:
        statuses = await _storm(client, "203.0.113.5")
        assert statuses[-1] == 429
        spoofed = await client.post(
            "/api/v1/auth/login",
            json={"login": "someone", "password": "wrong password!"},
            headers={"X-Forwarded-For": "203.0.113.99"},
        )
        assert spoofed.status == 429  # the peer is the client, whatever it claims
        assert spoofed.headers["Retry-After"].isdigit()
