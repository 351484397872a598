"""The aiohttp application factory: liveness (`/healthz`), readiness (`/readyz`,
see contactcentre.readiness) and the routes modules add."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aiohttp import web

from contactcentre.readiness import READINESS, Readiness, readyz

RouteSetup = Callable[[web.Application], None]

MAX_BODY_BYTES = 2 * 1024 * 1024
"""The largest body a signed-in request may send to be read whole (JSON, an IVR
flow's YAML). Attachments stream part by part under their own limit; requests
without credentials get far less (crm_core.api.app.ANONYMOUS_BODY_BYTES)."""


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def make_web_app(
    setups: Iterable[RouteSetup] = (), *, readiness: Readiness | None = None
) -> web.Application:
    """An application with `/healthz`, `/readyz` (answering `readiness`; with none,
    ready at once) and whatever routes `setups` add."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[READINESS] = readiness or Readiness()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    for setup in setups:
        setup(app)
    return app


async def serve_http(app: web.Application, *, host: str, port: int) -> web.AppRunner:
    """Start serving `app`; the caller cleans the returned runner up."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner
