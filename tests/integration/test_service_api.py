"""The API as the composition root assembles it: every route but the public ones
refuses a request without credentials, and the OpenAPI document lists them all."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from contactcentre.bootstrap import build
from crm_core.api.app import declared_routes
from tests.integration.service import service_settings

PUBLIC = {("POST", "/api/v1/auth/login")}


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[TestServer]:
    settings = service_settings(database_url, tmp_path)
    app = build(settings)
    test_server = TestServer(app.web)
    await test_server.start_server()
    try:
        yield test_server
    finally:
        await test_server.close()
        await app.engine.dispose()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_route_refuses_a_stranger_when_no_credentials_are_sent(
    server: TestServer,
) -> None:
    routes = declared_routes(server.app)
    assert len(routes) > 40
    async with aiohttp.ClientSession() as http:
        for route in routes:
            if (route.method, route.full_path) in PUBLIC:
                continue
            url = server.make_url(_concrete(route.full_path))
            async with http.request(route.method, url, json={}) as response:
                assert response.status == 401, (route.method, route.full_path)


async def test_openapi_lists_calls_customers_appeals_and_recordings_when_served(
    server: TestServer,
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/api/v1/openapi.json")) as response,
    ):
        assert response.status == 200
        paths = (await response.json())["paths"]
    for path in ("/api/v1/calls", "/api/v1/customers", "/api/v1/appeals/search",
                 "/api/v1/recordings"):  # fmt: skip
        assert path in paths, path
