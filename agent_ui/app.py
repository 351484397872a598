"""The desktops on the aiohttp app: login, agent and wallboard pages, their static
files, and the Socket.IO endpoint. Every page but the login needs a session and the
page's right; the REST API under /api/v1 does the signing in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from agent_ui import sockets, views
from agent_ui.ports import Sessions
from crm_core.api.context import SESSION_COOKIE
from crm_core.auth.errors import Unauthenticated
from crm_core.auth.model import Actor

_HERE = Path(__file__).parent
STATIC_PREFIX = "/ui/static"
SESSION_TIMEOUT_S = 5.0

_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

PAGE_SESSIONS: web.AppKey[Sessions] = web.AppKey("agent_ui_sessions")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup_agent_ui(
    app: web.Application, *, desktops: sockets.Desktops, sessions: Sessions
) -> None:
    """Mount `/`, `/login`, `/agent`, `/wallboard`, `/ui/static/` and Socket.IO
    (`/socket.io/`, namespace `/desktop`) on `app`."""
    app[PAGE_SESSIONS] = sessions
    app.router.add_get("/", _home)
    app.router.add_get("/login", _template("login.html"))
    app.router.add_get("/agent", _page(views.Page.AGENT, "agent.html"))
    app.router.add_get("/wallboard", _page(views.Page.WALLBOARD, "wallboard.html"))
    app.router.add_static(STATIC_PREFIX, _HERE / "static", follow_symlinks=False)
    desktops.mount(app)


def _html(name: str, *, status: int = 200) -> web.Response:
    text = (_HERE / "templates" / name).read_text(encoding="utf-8")
    return web.Response(
        text=text, status=status, content_type="text/html", headers=_HEADERS
    )


def _template(name: str) -> Handler:
    async def show(_request: web.Request) -> web.StreamResponse:
        return _html(name)

    return show


async def _actor(request: web.Request) -> Actor | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        async with asyncio.timeout(SESSION_TIMEOUT_S):
            session = await request.app[PAGE_SESSIONS].session_actor(token)
    except Unauthenticated:
        return None
    return session.actor


def _to_login(request: web.Request) -> web.HTTPFound:
    return web.HTTPFound("/login?next=" + quote(request.path_qs, safe="/"))


def _page(page: views.Page, name: str) -> Handler:
    async def show(request: web.Request) -> web.StreamResponse:
        actor = await _actor(request)
        if actor is None:
            raise _to_login(request)
        if not views.may_open(actor, page):
            return _html("forbidden.html", status=403)
        return _html(name)

    return show


async def _home(request: web.Request) -> web.StreamResponse:
    actor = await _actor(request)
    if actor is None:
        raise _to_login(request)
    page = views.home_page(actor)
    if page is None:
        return _html("forbidden.html", status=403)
    raise web.HTTPFound("/" + page.value)
