"""The pages on the aiohttp app: the sign-in page, each area's pages (see
`agent_ui.areas`), the language switch, signing out, the static files and the
Socket.IO endpoint. Every page but the sign-in needs a session and its area's
right; changes need the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
from aiohttp import web

from agent_ui import areas, pages, sockets
from agent_ui.admin import routes as admin_routes
from agent_ui.admin.service import ADMIN_DESK, AdminDesk
from agent_ui.agent import routes as agent_routes
from agent_ui.agent.service import AGENT_DESK, AgentDesk
from agent_ui.backoffice import routes as backoffice_routes
from agent_ui.backoffice.service import BACK_OFFICE, BackOffice
from agent_ui.i18n import setup_templates
from agent_ui.kb import routes as kb_routes
from agent_ui.kb.http import KNOWLEDGE
from agent_ui.language import supported
from agent_ui.ports import Sessions
from agent_ui.reports import routes as reports_routes
from agent_ui.reports.service import REPORT_DESK, ReportDesk
from agent_ui.supervisor import routes as supervisor_routes
from agent_ui.supervisor.service import WALLBOARD, Wallboard
from crm_core.api.context import SESSION_COOKIE
from crm_core.kb.service import KnowledgeBase

HERE = Path(__file__).parent
STATIC_PREFIX = "/ui/static"
LANGUAGE_COOKIE_AGE_S = 365 * 24 * 3600

AREA_ROUTES: Mapping[str, web.RouteTableDef] = {
    areas.AGENT.key: agent_routes.routes,
    areas.WALLBOARD.key: supervisor_routes.routes,
    areas.BACK_OFFICE.key: backoffice_routes.routes,
    areas.REPORTS.key: reports_routes.routes,
    areas.KNOWLEDGE_BASE.key: kb_routes.routes,
    areas.ADMIN.key: admin_routes.routes,
}
"""Each built area's pages (by `Area.key`); the others show their start page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PageServices:
    """What the pages need from the composition root."""

    desktops: sockets.Desktops
    sessions: Sessions
    desk: AgentDesk
    wallboard: Wallboard
    back_office: BackOffice
    reports: ReportDesk
    knowledge: KnowledgeBase
    admin: AdminDesk


def setup_agent_ui(app: web.Application, services: PageServices) -> None:
    """Mount `/`, `/login`, every area's pages, `/ui/language`, `/ui/sign-out`,
    `/ui/static/` and Socket.IO (`/socket.io/`, namespace `/desktop`) on `app`."""
    app[pages.PAGE_SESSIONS] = services.sessions
    app[AGENT_DESK] = services.desk
    app[WALLBOARD] = services.wallboard
    app[BACK_OFFICE] = services.back_office
    app[REPORT_DESK] = services.reports
    app[KNOWLEDGE] = services.knowledge
    app[ADMIN_DESK] = services.admin
    setup_templates(app, template_loader())
    app.router.add_get("/", _home)
    app.router.add_get("/login", _login)
    app.router.add_post("/ui/language", _language)
    app.router.add_post("/ui/sign-out", _sign_out)
    for area in areas.AREAS:
        table = AREA_ROUTES.get(area.key)
        if table is None:
            app.router.add_get(area.path, pages.guarded(area.permission, _start))
            continue
        for route in table:
            assert isinstance(route, web.RouteDef), route
            assert areas.area_of(route.path) is area, (route.path, area.key)
            guarded = pages.guarded(area.permission, route.handler)
            app.router.add_route(route.method, route.path, guarded)
    app.router.add_static(STATIC_PREFIX, HERE / "static", follow_symlinks=False)
    services.desktops.mount(app)


def template_loader() -> jinja2.BaseLoader:
    """The shared templates (layout, components) by name, and each area's under
    its key: `agent/desk.html` is `agent_ui/agent/templates/agent/desk.html`."""
    folders = [HERE / "templates"]
    folders += [
        HERE / area.key / "templates" for area in areas.AREAS if area.key in AREA_ROUTES
    ]
    return jinja2.FileSystemLoader([str(f) for f in folders])


async def _home(request: web.Request) -> web.StreamResponse:
    found = await pages.find_viewer(request)
    if found is None:
        raise web.HTTPFound("/login?next=/")
    request[pages.VIEWER] = found
    start = areas.start(found.actor)
    if start is None:
        return pages.forbidden(request)
    raise web.HTTPFound(start.path)


async def _login(request: web.Request) -> web.StreamResponse:
    return pages.render(request, "login.html", {})


async def _start(request: web.Request) -> web.StreamResponse:
    area = areas.area_of(request.path)
    assert area is not None
    return pages.render(request, "start.html", {"start_area": area})


async def _language(request: web.Request) -> web.StreamResponse:
    """Switch the pages' language: kept for the user when signed in (a change,
    so it needs the session's CSRF token), and for this browser in a cookie."""
    form = await request.post()
    chosen = supported(str(form.get("language", "")))
    back = pages.safe_next(str(form.get("next", "")))
    if chosen is None:
        raise web.HTTPSeeOther(back)
    found = await pages.find_viewer(request)
    if found is not None:
        if not pages.same_token(str(form.get(pages.CSRF_FIELD, "")), found.csrf_token):
            request[pages.VIEWER] = found
            return pages.forbidden(request)
        await request.app[pages.PAGE_SESSIONS].set_language(found.actor, chosen)
    response = web.HTTPSeeOther(back)
    response.set_cookie(
        pages.LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_AGE_S,
        path="/", samesite="Lax", httponly=True,
    )  # fmt: skip
    raise response


async def _sign_out(request: web.Request) -> web.StreamResponse:
    """End the session (its desktops are cut off at once) and go to sign in."""
    form = await request.post()
    found = await pages.find_viewer(request)
    token = request.cookies.get(SESSION_COOKIE)
    if found is not None and token:
        if not pages.same_token(str(form.get(pages.CSRF_FIELD, "")), found.csrf_token):
            request[pages.VIEWER] = found
            return pages.forbidden(request)
        await request.app[pages.PAGE_SESSIONS].logout(token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
