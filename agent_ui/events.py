"""Events the desktop publishes: an agent's browser connected or went away.

Plain frozen data; the ACD decides what a vanished browser means for a ringing call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConnected:
    """An agent's desktop opened its live channel."""

    topic: ClassVar[str] = "agent_ui.agent_connected"
    occurred_at: datetime
    agent_id: str
    """The agent's user id (the ACD's AgentId)."""
    connections: int
    """The agent's open desktops on this instance, this one included."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentDisconnected:
    """An agent's desktop closed its live channel (tab closed, network lost)."""

    topic: ClassVar[str] = "agent_ui.agent_disconnected"
    occurred_at: datetime
    agent_id: str
    connections: int
    """The agent's desktops still open on this instance; 0 means none is left."""


AgentUiEvent = AgentConnected | AgentDisconnected
