"""The pages of the service as `serve` builds it (tests/integration/spine.py: the
simulator as the PBX, agents anna and boris with seats), a user of every other
role, and a visitor that signs in and asks for pages as a browser (and htmx)
would: with its own cookies, the session's CSRF token on changes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from tests.integration.recordings.accounts import FAST, SystemClock
from tests.integration.spine import Spine, running

PASSWORD = "correct horse battery"
MORE_USERS = {"olga": Role.BACK_OFFICE, "ivan": Role.ADMINISTRATOR}
"""Beside spine's anna and boris (agents), sveta (supervisor), masha (marketing)."""
TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    text: str


@dataclass
class Visitor:
    """One browser: its cookies, and the CSRF token of its session."""

    base: str
    http: aiohttp.ClientSession
    csrf: str = ""
    language: str = "en"
    headers: dict[str, str] = field(default_factory=dict)

    async def sign_in(self, login: str) -> None:
        async with self.http.post(
            self.base + "/api/v1/auth/login",
            json={"login": login, "password": PASSWORD},
        ) as response:
            assert response.status == 200, await response.text()
            self.csrf = (await response.json())["csrf_token"]

    async def get(self, path: str, *, htmx: bool = False) -> Answer:
        return await self._ask("GET", path, None, htmx=htmx, csrf=False)

    async def post(
        self,
        path: str,
        data: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        *,
        htmx: bool = True,
        csrf: bool = True,
        trigger: str | None = None,
    ) -> Answer:
        extra = {"HX-Trigger-Name": trigger} if trigger else {}
        return await self._ask("POST", path, data or {}, htmx=htmx, csrf=csrf, **extra)

    async def _ask(
        self,
        method: str,
        path: str,
        data: Mapping[str, str] | Sequence[tuple[str, str]] | None,
        *,
        htmx: bool,
        csrf: bool,
        **more: str,
    ) -> Answer:
        headers = {"Accept-Language": self.language, **self.headers, **more}
        if htmx:
            headers |= {"HX-Request": "true", "HX-Current-URL": self.base + "/agent"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        async with self.http.request(
            method, self.base + path, data=data, headers=headers,
            allow_redirects=False,
        ) as response:  # fmt: skip
            return Answer(response.status, response.headers, await response.text())


@dataclass
class Site:
    spine: Spine
    user_ids: dict[str, uuid.UUID]

    @property
    def base(self) -> str:
        return self.spine.base

    async def add_user(
        self,
        login: str,
        role: Role,
        *,
        groups: frozenset[str] | None = None,
        queues: frozenset[str] = frozenset(),
    ) -> uuid.UUID:
        """Another user who signs in with PASSWORD, seeing only `groups` (None:
        every customer group), a member of the work `queues`."""
        auth = AuthService(self.spine.app.sessions, SystemClock(), passwords=FAST)
        new = NewUser(
            login=login, display_name=login.title(), role=role, password=PASSWORD,
            customer_groups=groups, queues=queues,
        )  # fmt: skip
        user = await auth.create_user(system_actor(), new)
        self.user_ids[login] = user.id
        return user.id

    @asynccontextmanager
    async def visitor(self, login: str | None = None) -> AsyncIterator[Visitor]:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=TIMEOUT) as http:
            visitor = Visitor(self.base, http)
            if login is not None:
                await visitor.sign_in(login)
            yield visitor


@asynccontextmanager
async def running_site(
    database_url: str,
    tmp_path: Path,
    *,
    ring_s: float = 0.2,
    supervisor_seat: bool = False,
    acd: dict[str, Any] | None = None,
    queues: dict[str, dict[str, Any]] | None = None,
) -> AsyncIterator[Site]:
    """Wrap-up lasts until the agent finishes it (ten minutes)."""
    async with running(
        database_url, tmp_path, ring_s=ring_s, wrap_up_s=600,
        supervisor_seat=supervisor_seat, acd=acd, queues=queues,
    ) as spine:  # fmt: skip
        auth = AuthService(spine.app.sessions, SystemClock(), passwords=FAST)
        ids = dict(spine.users)
        for login, role in MORE_USERS.items():
            user = await auth.create_user(
                system_actor(),
                NewUser(login=login, display_name=login, role=role, password=PASSWORD),
            )
            ids[login] = user.id
        yield Site(spine, ids)
