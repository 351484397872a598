"""Security as the composition root wires it (`build`): the session cookie's Secure
flag under `serve` and in the demo, request body caps, and login throttling."""

from __future__ import annotations

import io
import json
import logging
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from contactcentre.bootstrap import App, build
from contactcentre.web import MAX_BODY_BYTES
from crm_core.appeals.seed import DemoStaff, seed_appeals
from crm_core.auth.accounts import User
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.auth.throttle import ACCOUNT_RULE
from crm_core.clock import UtcClock
from tests.integration.service import service_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """These are HTTP-level checks, the same on either database: SQLite only."""
    path = tmp_path / "test.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(value: object) -> dict[str, Any]:
    """A large JSON body as a stream (aiohttp warns about big in-memory bodies)."""
    return {
        "data": io.BytesIO(json.dumps(value).encode()),
        "headers": {"Content-Type": "application/json"},
    }


@dataclass
class Served:
    server: TestServer
    app: App
    anna: User
    token: str
    """anna's API token."""
    http: aiohttp.ClientSession
    """A client with no credentials of its own."""

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@asynccontextmanager
async def serving(
    database_url: str, tmp_path: Path, *, demo: bool = False, **overrides: Any
) -> AsyncIterator[Served]:
    settings = service_settings(database_url, tmp_path, **overrides)
    app = build(settings, demo=demo)
    auth = AuthService(app.sessions, UtcClock())
    anna = await auth.create_user(
        system_actor(),
        NewUser(login="anna", display_name="Anna", role=Role.AGENT, password=PASSWORD),
    )
    issued = await auth.issue_token(system_actor(), "tests", user_id=anna.id)
    server = TestServer(app.web)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(server, app, anna, issued.secret, http)
    finally:
        await server.close()
        await app.engine.dispose()


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
        async with (
            serving(database_url, tmp_path, demo=demo, crm=crm) as served,
            served.http.post(
                served.url("/api/v1/auth/login"),
                json={"login": "anna", "password": PASSWORD},
            ) as response,
        ):
            assert response.status == 200, await response.text()
            cookie = response.headers["Set-Cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert ("secure" in flags) is secure
    assert {"httponly", "samesite=lax"} <= flags
    [said] = [r for r in caplog.records if r.getMessage().startswith("session cookie")]
    assert ("not Secure" in said.getMessage()) is not secure
    assert said.levelno == (logging.WARNING if not (secure or demo) else logging.INFO)


async def test_anonymous_body_is_refused_when_it_is_larger_than_a_login(
    database_url: str, tmp_path: Path
) -> None:
    big = {"login": "anna", "password": "x" * (1024 * 1024)}
    async with serving(database_url, tmp_path) as served:
        http, url = served.http, served.url("/api/v1/auth/login")
        async with http.post(url, **_json(big)) as response:
            assert response.status == 413
            assert (await response.json())["error_id"] == "request_entity_too_large"

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
            yield b'{"login": "anna", "password": "'
            for _ in range(64):
                yield b"x" * 16384
            yield b'"}'

        async with http.post(url, data=chunks()) as response:
            assert response.status == 413
        upload = served.url(f"/api/v1/appeals/{uuid.uuid4()}/attachments")
        async with http.post(
            upload, data=io.BytesIO(b"x" * (4 * 1024 * 1024))
        ) as response:
            assert response.status == 401
        login = {"login": "anna", "password": PASSWORD}
        async with http.post(url, json=login) as response:
            assert response.status == 200


async def test_signed_in_upload_streams_past_the_body_limit_when_it_is_an_attachment(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(database_url, tmp_path) as served:
        http, auth = served.http, bearer(served.token)
        staff = DemoStaff(
            front=[served.anna.id], technicians=[served.anna.id], administrators=[]
        )
        await seed_appeals(served.app.sessions, UtcClock(), staff)
        async with http.get(served.url("/api/v1/topics"), headers=auth) as response:
            topics = await response.json()
        topic = next(t["id"] for t in topics if t["code"] == "complaint")
        async with http.post(
            served.url("/api/v1/appeals"), headers=auth,
            json={"topic_id": topic, "description": "",
                  "attributes": {"BrokenSince": "2026-01-04", "Speed": 100}},
        ) as response:  # fmt: skip
            assert response.status == 201, await response.text()
            appeal = (await response.json())["id"]
        scan = bytes(range(256)) * (3 * MAX_BODY_BYTES // 256)
        form = aiohttp.FormData()
        form.add_field(
            "file",
            io.BytesIO(scan),
            filename="scan.pdf",
            content_type="application/pdf",
        )
        async with http.post(
            served.url(f"/api/v1/appeals/{appeal}/attachments"), data=form, headers=auth
        ) as response:
            assert response.status == 201, await response.text()
            assert (await response.json())["size_bytes"] == len(scan)
        too_big = _json({"topic_id": topic, "description": "x" * MAX_BODY_BYTES})
        too_big["headers"].update(auth)
        async with http.post(served.url("/api/v1/appeals"), **too_big) as response:
            assert response.status == 413


async def test_login_answers_429_with_retry_after_when_failures_pile_up(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(database_url, tmp_path) as served:

        async def attempt(login: str, password: str) -> tuple[int, str, str | None]:
            async with served.http.post(
                served.url("/api/v1/auth/login"),
                json={"login": login, "password": password},
            ) as response:
                body = await response.json()
                retry = response.headers.get("Retry-After")
                return response.status, body["error_id"], retry

        seen = {}
        for login in ("anna", "nobody"):
            seen[login] = [
                await attempt(login, "wrong password!")
                for _ in range(ACCOUNT_RULE.free_failures + 1)
            ]
            seen[login].append(await attempt(login, PASSWORD))
        assert seen["anna"] == seen["nobody"]
        *refused, throttled = seen["anna"]
        assert set(refused) == {(401, "unauthenticated", None)}
        assert throttled == (429, "login_throttled", "1")
