"""Security as the composition root wires it (`build`): the session cookie's Secure
flag under `serve` and in the demo, request body caps, and login throttling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from contactcentre.bootstrap import build
from contactcentre.settings import load_settings
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.clock import UtcClock

PASSWORD = "correct horse battery"


@asynccontextmanager
async def serving(
    database_url: str, tmp_path: Path, *, demo: bool = False, **overrides: Any
) -> AsyncIterator[TestServer]:
    settings = load_settings(
        database={"url": database_url},
        recordings_dir=tmp_path / "recordings",
        crm={
            "attachments_dir": str(tmp_path / "attachments"),
            **overrides.pop("crm", {}),
        },
        **overrides,
    )
    app = build(settings, demo=demo)
    auth = AuthService(app.sessions, UtcClock())
    await auth.create_user(
        system_actor(),
        NewUser(login="anna", display_name="Anna", role=Role.AGENT, password=PASSWORD),
    )
    server = TestServer(app.web)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()
        await app.engine.dispose()


async def _login_cookie(server: TestServer) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            server.make_url("/api/v1/auth/login"),
            json={"login": "anna", "password": PASSWORD},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("demo", "crm", "secure"),
    [
        (False, {}, True),
        (True, {}, False),
        (False, {"cookie_secure": False}, False),
        (True, {"cookie_secure": True}, True),
    ],
)
async def test_session_cookie_is_secure_under_serve_when_nothing_says_otherwise(
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    demo: bool,
    crm: dict[str, Any],
    secure: bool,
) -> None:
    with caplog.at_level(logging.INFO, logger="contactcentre.bootstrap"):
        async with serving(database_url, tmp_path, demo=demo, crm=crm) as server:
            cookie = await _login_cookie(server)
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert ("secure" in flags) is secure
    assert {"httponly", "samesite=lax"} <= flags
    [said] = [r for r in caplog.records if r.getMessage().startswith("session cookie")]
    assert ("not Secure" in said.getMessage()) is not secure
    assert said.levelno == (logging.WARNING if not (secure or demo) else logging.INFO)
