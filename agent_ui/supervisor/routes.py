"""The wallboard page; its figures arrive over the live channel."""

from __future__ import annotations

from aiohttp import web

from agent_ui import pages
from agent_ui.supervisor import views

routes = web.RouteTableDef()


@routes.get("/wallboard")
async def wallboard(request: web.Request) -> web.StreamResponse:
    translate = pages.words(request).gettext
    context = {"labels": views.wallboard_labels(translate)}
    return pages.render(request, "supervisor/wallboard.html", context)
