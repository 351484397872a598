"""The service as `serve` runs it, for tests: settings on free ports and temporary
directories, and `build(...).run()` in a task that ends with the block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from contactcentre.bootstrap import App, build
from contactcentre.settings import Settings, load_settings
from tests.servers import free_port


def service_settings(database_url: str, tmp_path: Path, **more: Any) -> Settings:
    """Settings of a service on free ports, writing under `tmp_path` only (its own
    data directory, so no journal is shared with another test or run), with one
    PBX (the simulator's secret) on a free port. `more` overrides them, a section
    given as a dict key by key."""
    values: dict[str, Any] = {
        "database": {"url": database_url},
        "http": {"port": free_port()},
        "agi": {"port": free_port()},
        "pbxs": [{"id": "pbx1", "port": free_port(), "secret": "sim-secret"}],
        "recordings_dir": tmp_path / "recordings",
        "data_dir": tmp_path / "var",
        "crm": {"attachments_dir": str(tmp_path / "attachments")},
        "ivr": {"sounds_dir": str(tmp_path / "sounds")},
    }
    for key, value in more.items():
        section = values.get(key)
        if isinstance(section, dict) and isinstance(value, dict):
            value = {**section, **value}
        values[key] = value
    return load_settings(**values)


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[App]:
    """`build(settings)` running (HTTP, FastAGI, AMI, every job) for the block."""
    app = build(settings)
    task = asyncio.create_task(app.run())
    try:
        yield app
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
