"""The desktop pages: signed in or sent to the login, and only for the right role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from crm_core.db import Sessions
from tests.integration.agent_ui.harness import Desk, running_desk

TIMEOUT = aiohttp.ClientTimeout(total=5)


@pytest.fixture
async def desk(sessions: Sessions) -> AsyncIterator[Desk]:
    async with running_desk(sessions) as running:
        yield running


async def _get(
    desk: Desk, path: str, cookie: str | None = None
) -> tuple[int, str, str]:
    """Status, Location header and body of GET `path`, redirects not followed."""
    headers = {"Cookie": cookie} if cookie else {}
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as client,
        client.get(desk.url + path, headers=headers, allow_redirects=False) as response,
    ):
        return (
            response.status,
            response.headers.get("Location", ""),
            await response.text(),
        )


@pytest.mark.parametrize("path", ["/", "/agent", "/wallboard"])
async def test_page_redirects_to_the_login_when_not_signed_in(
    desk: Desk, path: str
) -> None:
    status, location, _ = await _get(desk, path)
    assert status == 302
    assert location == f"/login?next={path}"


async def test_login_page_is_served_when_not_signed_in(desk: Desk) -> None:
    status, _, body = await _get(desk, "/login")
    assert status == 200
    assert 'id="login-form"' in body


async def test_wallboard_is_forbidden_when_an_agent_asks(desk: Desk) -> None:
    cookie = await desk.cookie("anna")
    assert (await _get(desk, "/agent", cookie))[0] == 200
    status, _, body = await _get(desk, "/wallboard", cookie)
    assert status == 403
    assert "Not allowed" in body


async def test_home_leads_each_role_to_its_page_when_signed_in(desk: Desk) -> None:
    assert (await _get(desk, "/", await desk.cookie("anna")))[1] == "/agent"
    assert (await _get(desk, "/", await desk.cookie("sam")))[1] == "/wallboard"
    assert (await _get(desk, "/", await desk.cookie("mark")))[0] == 403
    status, _, body = await _get(desk, "/wallboard", await desk.cookie("sam"))
    assert status == 200
    assert 'id="queues"' in body


async def test_vendored_client_is_served_when_a_page_loads_it(desk: Desk) -> None:
    status, _, body = await _get(desk, "/ui/static/vendor/socket.io.min.js")
    assert status == 200
    assert "Socket.IO v4" in body
