"""The agent desk's services, bundled for the pages: the call controls (ACD), the
call's screen (the caller, their history) and appeal registration (CRM)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from agent_ui.agent.controls import Controls
from agent_ui.agent.registration import Registration
from agent_ui.agent.screen import CallScreen


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentDesk:
    controls: Controls
    screen: CallScreen
    registration: Registration
    country: str
    """Where a phone number without a country code is (new customers' numbers)."""


AGENT_DESK: web.AppKey[AgentDesk] = web.AppKey("agent_ui_agent_desk", AgentDesk)
