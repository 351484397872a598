"""The agents' desktops of bench/busy_hour in their own process: one Socket.IO
client per agent (python-socketio, websocket, as the agent page connects) with the
session of the agent's sign-in, logged in to its queues through the API as the
page's button does; keeps every screen-pop received.

    python -m bench.busy_hour.desktops SPEC.json
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from agent_ui.sockets import NAMESPACE
from bench.busy_hour.control import commands, expect, say
from crm_core.api.app import CSRF_HEADER

CONNECTING_AT_ONCE = 20
TIMEOUT_S = 60.0


@dataclass(slots=True)
class Desktop:
    login: str
    cookie: str
    csrf: str
    client: Any = None
    pops: list[tuple[str, float]] = field(default_factory=list)
    """(call, epoch seconds received) of every screen-pop."""

    async def open(self, url: str, http: aiohttp.ClientSession) -> None:
        """Connect the live channel, say ready, log in to the queues."""
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("screen_pop", self._popped, namespace=NAMESPACE)
        await self.client.connect(
            url,
            headers={"Cookie": self.cookie},
            transports=["websocket"],
            namespaces=[NAMESPACE],
            wait_timeout=TIMEOUT_S,
        )
        await self.client.emit("ready", namespace=NAMESPACE)
        headers = {"Cookie": self.cookie, CSRF_HEADER: self.csrf}
        async with http.post(
            f"{url}/api/v1/acd/agents/me/login", headers=headers
        ) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{self.login}: ACD login {answer.status}")

    async def _popped(self, pop: dict[str, Any]) -> None:
        self.pops.append((pop["call_id"], time.time()))


async def open_all(
    desktops: list[Desktop], url: str, http: aiohttp.ClientSession
) -> None:
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def one(desktop: Desktop) -> None:
        async with gate, asyncio.timeout(TIMEOUT_S):
            await desktop.open(url, http)

    await asyncio.gather(*(one(d) for d in desktops))


async def run(spec: dict[str, Any]) -> None:
    desktops = [Desktop(**agent) for agent in spec["agents"]]
    reader = await commands()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        await open_all(desktops, spec["url"], http)
        say(event="ready", connected=len(desktops))
        await expect(reader, "stop")
        still = sum(1 for d in desktops if d.client.connected)
        await asyncio.gather(*(d.client.disconnect() for d in desktops))
    say(
        event="done",
        still_connected=still,
        pops={d.login: d.pops for d in desktops},
    )


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(spec))


if __name__ == "__main__":
    main()
