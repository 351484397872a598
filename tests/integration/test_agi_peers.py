"""FastAGI as `build` wires it: only the configured PBXs (their names resolved) and
the explicit allow-list may open a session; anyone else is cut off unread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contactcentre.bootstrap import build
from telephony.agi import AgiServer, AgiSession
from tests.integration.service import service_settings
from tests.integration.test_agi_server import environment

NETWORK_TIMEOUT_S = 5.0


async def _served(
    tmp_path: Path, *, pbx_host: str, allow_from: list[str]
) -> AsyncIterator[tuple[AgiServer, list[str]]]:
    settings = service_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}",
        tmp_path,
        agi={"port": 0, "allow_from": allow_from},
        pbxs=[{"id": "pbx1", "host": pbx_host, "secret": "s"}],
    )
    app = build(settings)
    seen: list[str] = []

    async def script(session: AgiSession) -> None:
        seen.append(session.request.channel)

    app.agi.route("inbound", script)
    await app.agi.start()
    try:
        yield app.agi, seen
    finally:
        await app.agi.stop()
        await app.engine.dispose()


async def _session_runs(agi: AgiServer, seen: list[str]) -> bool:
    async with asyncio.timeout(NETWORK_TIMEOUT_S):
        reader, writer = await asyncio.open_connection("127.0.0.1", agi.port)
        try:
            writer.write(environment().encode())
            await writer.drain()
            await reader.read()
        except ConnectionResetError:  # refused: cut off before a byte was read
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return bool(seen)


@pytest.mark.parametrize(
    ("pbx_host", "allow_from", "admitted"),
    [
        ("localhost", [], True),
        ("127.0.0.1", [], True),
        ("192.0.2.10", [], False),
        ("192.0.2.10", ["127.0.0.0/8"], True),
    ],
)
async def test_fastagi_admits_only_configured_pbxs_when_built_from_settings(
    tmp_path: Path, pbx_host: str, allow_from: list[str], admitted: bool
) -> None:
    async for agi, seen in _served(tmp_path, pbx_host=pbx_host, allow_from=allow_from):
        assert await _session_runs(agi, seen) is admitted
        assert agi.sessions_total == (1 if admitted else 0)
