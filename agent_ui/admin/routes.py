"""The administration area's pages: users (`users`), queues and agents' seats
(`acd_pages`), IVR flows (`flows`), in one table for `agent_ui.app`."""

from __future__ import annotations

from aiohttp import web

from agent_ui.admin import acd_pages, flows, users

routes = web.RouteTableDef()
for table in (users.routes, acd_pages.routes, flows.routes):
    for route in table:
        assert isinstance(route, web.RouteDef), route
        routes.route(route.method, route.path, **route.kwargs)(route.handler)
