"""The composition root: builds every adapter from the settings and wires the handlers.

The only place that constructs adapters and subscribes handlers to the bus.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from contactcentre import migrate as migrations
from contactcentre.bus import Bus
from contactcentre.settings import Settings
from contactcentre.web import make_web_app, serve_http
from crm_core.db import Sessions, make_engine, make_sessions

log = logging.getLogger(__name__)


@dataclass(eq=False)
class App:
    """Everything one running service holds; `run()` serves until cancelled."""

    settings: Settings
    bus: Bus
    engine: AsyncEngine
    sessions: Sessions
    web: web.Application
    demo: bool = False
    background: list[object] = field(default_factory=list)

    async def run(self) -> None:
        http = self.settings.http
        runner = await serve_http(self.web, host=http.host, port=http.port)
        log.info("serving http://%s:%d", http.host, http.port)
        try:
            async with self.bus:
                await asyncio.Event().wait()
        finally:
            await runner.cleanup()
            await self.engine.dispose()


def build(settings: Settings, *, demo: bool = False) -> App:
    """Construct the service's parts from `settings` and wire them together."""
    engine = make_engine(settings.database.url, echo=settings.database.echo)
    sessions = make_sessions(engine)
    bus = Bus()
    app = make_web_app()
    return App(
        settings=settings,
        bus=bus,
        engine=engine,
        sessions=sessions,
        web=app,
        demo=demo,
    )


async def migrate(settings: Settings) -> None:
    await migrations.migrate(settings.database.url)
    log.info("database migrated to the newest schema")


async def serve(settings: Settings, *, demo: bool) -> None:
    log.info("settings: %s", settings.masked())
    if demo:
        await migrate(settings)
    await build(settings, demo=demo).run()


async def import_file(
    settings: Settings,
    kind: str,
    file: Path,
    *,
    encoding: str | None,
    report: Path | None,
) -> int:
    raise NotImplementedError(kind)
