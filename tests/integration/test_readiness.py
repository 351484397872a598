"""/readyz as `build` wires it: the database, each PBX's AMI link, the FastAGI
listener and Redis, each named, 503 when one goes away; /healthz stays 200 (the
process is alive) whatever /readyz says."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from contactcentre.demo import simulator_config
from contactcentre.settings import Settings
from telephony.sim.simulator import Simulator
from tests.integration.service import service_settings, serving
from tests.servers import free_port
from tests.waiting import eventually


class Relay:
    """A TCP relay in front of a server: `cut()` closes it and every connection
    through it, as a server that went down would."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        await self._server.wait_closed()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        self._writers += [writer, up_writer]
        async with asyncio.TaskGroup() as group:
            group.create_task(_copy(reader, up_writer))
            group.create_task(_copy(up_reader, writer))


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


async def _get(settings: Settings, path: str) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{settings.http.port}{path}"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


async def _answer(settings: Settings, status: int) -> dict[str, Any] | None:
    try:
        got, body = await _get(settings, "/readyz")
    except aiohttp.ClientConnectionError:  # not serving HTTP yet
        return None
    return body if got == status else None


async def test_every_part_is_named_ready_when_database_pbx_fastagi_and_redis_are_up(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    settings = service_settings(database_url, tmp_path, redis={"url": redis_url})
    async with Simulator(simulator_config(settings)), serving(settings):
        body = await eventually(lambda: _answer(settings, 200))
    assert body["ready"] is True
    assert set(body["checks"]) == {
        "database", "ami:pbx1", "fastagi", "journal", "redis"
    }  # fmt: skip
    assert all(check["ready"] for check in body["checks"].values())
    assert body["checks"]["ami:pbx1"]["connects"] == 1
    assert body["checks"]["journal"] == {
        "ready": True, "pending": 0, "on_disk_only": 0, "retrying": False,
        "dead_letters": 0,
    }  # fmt: skip


async def test_the_pbx_is_named_not_ready_when_asterisk_goes_away(
    database_url: str, tmp_path: Path
) -> None:
    settings = service_settings(database_url, tmp_path)
    async with serving(settings):
        async with Simulator(simulator_config(settings)):
            await eventually(lambda: _answer(settings, 200))
        body = await eventually(lambda: _answer(settings, 503))
        assert body["ready"] is False
        pbx = body["checks"]["ami:pbx1"]
        assert pbx["ready"] is False
        assert pbx["reason"]
        assert body["checks"]["database"] == {"ready": True}
        assert body["checks"]["fastagi"]["ready"] is True
        assert await _get(settings, "/healthz") == (200, {"status": "ok"})


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_database_is_named_not_ready_when_it_goes_down(
    database_url: str, tmp_path: Path
) -> None:
    prefix, _, rest = database_url.rpartition("@")
    host_port, _, name = rest.partition("/")
    relay = Relay(int(host_port.rsplit(":", 1)[1]))
    await relay.start()
    through_relay = f"{prefix}@127.0.0.1:{relay.port}/{name}"
    settings = service_settings(through_relay, tmp_path)
    async with Simulator(simulator_config(settings)), serving(settings) as app:
        await eventually(lambda: _answer(settings, 200))
        await relay.cut()
        body = await eventually(lambda: _answer(settings, 503))
        assert body["checks"]["database"]["ready"] is False
        assert body["checks"]["ami:pbx1"]["ready"] is True
        assert await _get(settings, "/healthz") == (200, {"status": "ok"})
        assert app.readiness.names == ["database", "ami:pbx1", "fastagi", "journal"]
