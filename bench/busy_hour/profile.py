"""Where the service process spends its CPU, by component: a statistical profiler.

SIGPROF fires every `interval_s` of the process's CPU time (ITIMER_PROF); its
handler runs in the main thread, where the event loop runs, and looks at the stack
it interrupted. The sample goes to the innermost frame that belongs to a
component: product packages by path, libraries by what they serve (SQLAlchemy and
asyncpg are the database, python-socketio/engineio and aiohttp's websocket code
are Socket.IO). Frames of asyncio's socket transports are placed by the port of
their socket (the AMI, FastAGI, HTTP or PostgreSQL port), so protocol callbacks in
C (asyncpg's) count for the connection they serve. What matches nothing (the event
loop's own work, the bus, logging) is "loop/other".
"""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = str(Path(__file__).resolve().parents[2])
AMI, AGI, ACD, CRM, SOCKETS, RECORDINGS, OTHER = (
    "AMI/tracker",
    "FastAGI+IVR",
    "ACD",
    "CRM/database",
    "Socket.IO",
    "recordings",
    "loop/other",
)
PRODUCT = (
    ("/telephony/agi", AGI),
    ("/telephony/pbx_of", AGI),
    ("/telephony/", AMI),
    ("/ivr/", AGI),
    ("/contactcentre/scripts", AGI),
    ("/acd/", ACD),
    ("/crm_core/", CRM),
    ("/contactcentre/call_contacts", CRM),
    ("/contactcentre/crm_sinks", CRM),
    ("/recordings/", RECORDINGS),
    ("/agent_ui/", SOCKETS),
)
LIBRARIES = (
    ("/sqlalchemy/", CRM),
    ("/asyncpg/", CRM),
    ("/socketio/", SOCKETS),
    ("/engineio/", SOCKETS),
    ("/aiohttp/_websocket", SOCKETS),
    ("/aiohttp/http_websocket", SOCKETS),
    ("/aiohttp/web_ws", SOCKETS),
)
TRANSPORTS = "/asyncio/selector_events.py"


@dataclass(slots=True)
class Ports:
    """The service's sockets, by which a transport's frame is placed."""

    ami: int
    agi: int
    http: int
    database: int

    def component(self, local: int, peer: int) -> str | None:
        if peer == self.ami:
            return AMI
        if local == self.agi:
            return AGI
        if local == self.http:
            return SOCKETS
        if peer == self.database:
            return CRM
        return None


@dataclass(slots=True)
class Profiler:
    """`start()` ... `stop()`; `samples` counts samples per component."""

    ports: Ports
    interval_s: float = 0.005
    samples: Counter[str] = field(default_factory=Counter)
    _paths: dict[str, str | None] = field(default_factory=dict)

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval_s, self.interval_s)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_IGN)

    def shares(self) -> dict[str, float]:
        total = sum(self.samples.values())
        return {name: n / total for name, n in self.samples.items()} if total else {}

    def _sample(self, _signum: int, frame: FrameType | None) -> None:
        self.samples[self.component(frame)] += 1

    def component(self, frame: FrameType | None) -> str:
        while frame is not None:
            path = frame.f_code.co_filename
            if path == TRANSPORTS or path.endswith(TRANSPORTS):
                found = self._transport(frame.f_locals.get("self"))
            else:
                found = self._by_path(path)
            if found is not None:
                return found
            frame = frame.f_back
        return OTHER

    def _by_path(self, path: str) -> str | None:
        if path not in self._paths:
            self._paths[path] = component_of(path)
        return self._paths[path]

    def _transport(self, transport: Any) -> str | None:
        extra = getattr(transport, "_extra", None)
        if not isinstance(extra, dict):
            return None
        local, peer = extra.get("sockname"), extra.get("peername")
        if not (isinstance(local, tuple) and isinstance(peer, tuple)):
            return None
        return self.ports.component(local[1], peer[1])


def component_of(path: str) -> str | None:
    """The component a source file belongs to, if any."""
    if path.startswith(REPO) and "/.venv/" not in path:
        relative = path[len(REPO) :]
        return next((name for part, name in PRODUCT if relative.startswith(part)), None)
    return next((name for part, name in LIBRARIES if part in path), None)
